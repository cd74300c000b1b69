"""The kernel's side of watching, for real: `vaultsync run` under a lowered inotify limit still
cleans a page written into a folder the kernel refused to watch; watchdog's warning about a
folder reachable by two paths (a bind mount) lands in the log, not raw on stderr.

The limit is lowered without touching the machine's settings: the daemon runs in a user
namespace of its own (`unshare --user --map-root-user`), where `/proc/sys/user/max_inotify_watches`
is that namespace's own limit (Linux 4.9 and later), writable by its root and binding on every
inotify watch its processes make. Nothing outside the namespace sees the change. A mount
namespace (`--mount`) lets a bind mount exist for the daemon alone the same way.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_daemon import (
    DaemonProcess,
    assert_clean_page,
    drop_by_rename,
    messy_page,
    page_name,
    write_config,
)

WATCHES = "/proc/sys/user/max_inotify_watches"
WATCH_LINE = re.compile(r"^inotify wd:\S+ ino:([0-9a-f]+) sdev:([0-9a-f]+)", re.M)


def limited(watches: int) -> tuple[str, ...]:
    """A command prefix running what follows in a user namespace allowed `watches` watches."""
    script = f'echo {watches} > {WATCHES} && exec "$@"'
    return ("unshare", "--user", "--map-root-user", "sh", "-c", script, "sh")


def _namespaces_work() -> str | None:
    """Why the tests cannot run here, or None."""
    if not sys.platform.startswith("linux"):
        return "inotify is Linux's"
    if shutil.which("unshare") is None:
        return "needs util-linux's unshare"
    try:
        result = subprocess.run(
            [*limited(1), "cat", WATCHES], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"unshare failed: {err}"
    if result.returncode != 0 or result.stdout.strip() != "1":
        return f"no user namespace with its own inotify limit here: {result.stderr.strip()}"
    return None


def watched_by(pid: int) -> set[tuple[int, int]]:
    """(st_dev, st_ino) of every inode process `pid` holds an inotify watch on."""
    found: set[tuple[int, int]] = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:inotify":
                continue
            info = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
        except OSError:
            continue
        for ino, sdev in WATCH_LINE.findall(info):
            dev = int(sdev, 16)
            found.add((os.makedev(dev >> 20, dev & 0xFFFFF), int(ino, 16)))
    return found


def status(d: DaemonProcess) -> str:
    return d.cli("status").stdout


def test_a_folder_past_the_watch_limit_is_polled_and_its_page_cleaned(
    tmp_path: Path, graph: Path
) -> None:
    why_not = _namespaces_work()
    if why_not:
        pytest.skip(why_not)
    # Exactly one watch per folder the graph has now: the next folder gets none.
    folders = 1 + sum(1 for p in graph.rglob("*") if p.is_dir() and not p.is_symlink())
    config = tmp_path / "config.yaml"
    write_config(config, {"g": graph})
    d = DaemonProcess(config, tmp_path / "state", tmp_path / "daemon.log", wrapper=limited(folders))
    try:
        d.start()
        d.wait(lambda: "(logseq, native)" in status(d), "the graph watched natively")
        assert d.proc is not None
        pid = d.proc.pid

        new = graph / "pages" / "Imported"
        new.mkdir()
        # The folder event's own rescan (the folder is empty then) must be over, or it would
        # find the page below and prove nothing about the fallback.
        d.wait(
            lambda: re.search(r"last pass: .*(folder event|watch restarted):", status(d)),
            "a pass after the new folder appeared",
        )
        st = new.stat()
        assert (st.st_dev, st.st_ino) not in watched_by(pid), "the limit was not hit"

        name = page_name("Past The Limit")
        page = drop_by_rename(new, name, messy_page("Past The Limit"))
        d.wait(
            lambda: d.cleaned("g", f"pages/Imported/{name}") >= 1,
            "the page in the unwatched folder cleaned",
            timeout=60,
        )
        assert_clean_page(page, {88, 230, 412})
        log = d.log()
        assert "inotify watch limit reached" in log
        assert str(new) in log and "fs.inotify.max_user_watches=524288" in log
        assert "(logseq, polling)" in status(d)
        assert "Traceback" not in log
    finally:
        d.kill()


def test_watchdogs_warning_about_a_bind_mount_goes_to_the_log(tmp_path: Path, graph: Path) -> None:
    from watchdog.version import VERSION_INFO

    why_not = _namespaces_work()
    if why_not:
        pytest.skip(why_not)
    if VERSION_INFO < (7,):
        pytest.skip("watchdog before 7 raises no warning for a folder reachable by two paths")
    (graph / "pages" / "Mirror").mkdir()
    source = graph / "pages" / "Books"
    source.mkdir()
    config = tmp_path / "config.yaml"
    write_config(config, {"g": graph})
    log_file = tmp_path / "vaultsync.log"
    mount = f'mount --bind "{source}" "{graph}/pages/Mirror" && exec "$@"'
    d = DaemonProcess(
        config,
        tmp_path / "state",
        tmp_path / "stderr.log",
        args=("--log-file", str(log_file)),
        wrapper=("unshare", "--user", "--map-root-user", "--mount", "sh", "-c", mount, "sh"),
    )
    try:
        d.start()
        d.wait(lambda: "(logseq, native)" in status(d), "the graph watched natively")
        # The warning comes while the watches are set up, before the start-up pass: once a
        # page dropped now is cleaned, it would have been printed.
        name = page_name("After The Mount")
        drop_by_rename(graph / "pages", name, messy_page("After The Mount"))
        d.wait(lambda: d.cleaned("g", f"pages/{name}") >= 1, "a page cleaned")
    finally:
        d.kill()
    stderr, logged = d.log(), log_file.read_text(encoding="utf-8")
    assert "RuntimeWarning:" not in stderr  # Python's raw two-line form
    assert re.search(r" WARNING watchdog: Callback with id .* already exists", logged), logged
    assert "Traceback" not in stderr
