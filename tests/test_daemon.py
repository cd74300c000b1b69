"""`vaultsync run` end to end: the real command in a subprocess, on a temporary vault.

Nothing here sleeps to wait for the daemon: every wait polls for a condition with a generous
deadline, so a loaded machine makes the tests slower, not red. Every daemon started is killed
in the fixture's teardown, whatever the test did.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vaultsync.core.logseq import parse

SAMPLES = Path(__file__).parent / "samples"
SAMPLE_PAGE = SAMPLES / "logseq" / "pages" / "The Art of Maintenance (highlights).md"
TEMP_FILE = re.compile(r"^\..*\.vaultsync-.*\.tmp$")
LOCATION = re.compile(r"\(\[Location (\d+)\]")
WAIT = 20.0  # seconds: generous, only reached when something is wrong


def _vaultsync() -> list[str]:
    """The console script of the interpreter running the tests (not a version-manager shim)."""
    script = shutil.which("vaultsync", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "vaultsync"]


VAULTSYNC = _vaultsync()


def wait_for(predicate: Callable[[], object], timeout: float = WAIT, what: str = "") -> None:
    """Poll `predicate` every 0.05 s until it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or predicate}")
        time.sleep(0.05)


def messy_page(title: str) -> bytes:
    """The sample page under another title: a duplicate, a section to fold, out of order."""
    return SAMPLE_PAGE.read_bytes().replace(b"The Art of Maintenance", title.encode())


def page_name(title: str) -> str:
    return f"{title} (highlights).md"


def drop_by_rename(folder: Path, name: str, data: bytes) -> Path:
    """Write the way sync tools and editors do: a temp file in the same folder, then a rename."""
    temp = folder / f".{name}.incoming"
    temp.write_bytes(data)
    os.replace(temp, folder / name)
    return folder / name


def locations(text: str) -> set[int]:
    return {int(n) for n in LOCATION.findall(text)}


def assert_clean_page(path: Path, expected_locations: set[int]) -> None:
    """Folded, deduplicated, parses back to the same bytes, no highlight lost."""
    text = path.read_text(encoding="utf-8")
    assert "New highlights added" not in text
    assert text.count("Repair is a form of attention.") == 1
    assert locations(text) == expected_locations
    assert "**Note**: quote this in the onboarding doc" in text
    assert "I keep coming back to this chapter." in text
    assert parse(text).serialize() == text


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if TEMP_FILE.match(p.name)]


def write_config(path: Path, vaults: dict[str, Path], extra: str = "") -> None:
    """The YAML config, replaced atomically so the daemon never reads half of it."""
    lines = ["vaults:"]
    for name, root in vaults.items():
        lines += [f"  - name: {name}", f"    path: '{root}'"]
    lines += ["daemon: {quiet_period: 0.3, max_delay: 5}", extra]
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(temp, path)


class DaemonProcess:
    """One `vaultsync run --config FILE` subprocess, its stderr captured to a file."""

    def __init__(
        self,
        config: Path,
        state: Path,
        log: Path,
        args: tuple[str, ...] = (),
        wrapper: tuple[str, ...] = (),
    ) -> None:
        self.config, self.state, self.log_path, self.args = config, state, log, args
        self.wrapper = wrapper  # a command that runs the daemon (e.g. in a user namespace)
        self.env = {**os.environ, "VAULTSYNC_STATE_DIR": str(state)}
        self.env.pop("VAULTSYNC_DEBUG", None)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait_ready: bool = True) -> DaemonProcess:
        with open(self.log_path, "ab") as err:
            self.proc = subprocess.Popen(
                [*self.wrapper, *VAULTSYNC, "run", "--config", str(self.config), *self.args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=self.env,
            )
        if wait_ready:
            self.wait_log("watching \\d+ vault")
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def count(self, pattern: str) -> int:
        return len(re.findall(pattern, self.log(), flags=re.MULTILINE))

    def cleaned(self, vault: str, rel: str) -> int:
        """How many times the log says the daemon rewrote the page."""
        return self.count(rf" {re.escape(vault)}: cleaned {re.escape(rel)}$")

    def cleaned_counts(self, vault: str) -> Counter[str]:
        """Page -> how many times the log says it was rewritten (one read of the log)."""
        found = re.findall(rf" {re.escape(vault)}: cleaned (.+)$", self.log(), re.MULTILINE)
        return Counter(found)

    def wait(self, predicate: Callable[[], object], what: str, timeout: float = WAIT) -> None:
        """Wait for `predicate`; fail at once, with the log, if the daemon exits meanwhile."""
        assert self.proc is not None

        def ready() -> object:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(
                    f"the daemon exited ({self.proc.returncode}) while waiting for {what}:\n"
                    + self.log()
                )
            return predicate()

        try:
            wait_for(ready, timeout, what)
        except AssertionError as err:
            raise AssertionError(f"{err}\n--- daemon log ---\n{self.log()}") from None

    def wait_log(self, pattern: str, count: int = 1, timeout: float = WAIT) -> None:
        what = f"{count} x /{pattern}/ in the log"
        self.wait(lambda: self.count(pattern) >= count, what, timeout)

    def wait_cleaned(self, vault: str, rel: str) -> None:
        self.wait(lambda: self.cleaned(vault, rel) >= 1, f"{vault}: cleaned {rel}")

    def signal(self, sig: int, timeout: float = 15.0) -> int:
        """Send `sig` and return the exit code; fails when the daemon takes over `timeout`."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the daemon did not stop within {timeout:g} s of signal {sig}:\n{self.log()}"
            ) from None

    def signal_no_wait(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Another vaultsync command on the same config and state folder."""
        return subprocess.run(
            [*VAULTSYNC, *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture
def config(tmp_path: Path, graph: Path) -> Path:
    path = tmp_path / "config.yaml"
    write_config(path, {"g": graph})
    return path


@pytest.fixture
def daemons(tmp_path: Path, config: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Start daemons on the config (same state folder each time); all killed at teardown."""
    started: list[DaemonProcess] = []

    def start(
        wait_ready: bool = True, log_name: str = "daemon.log", args: tuple[str, ...] = ()
    ) -> DaemonProcess:
        d = DaemonProcess(config, tmp_path / "state", tmp_path / log_name, args)
        started.append(d)
        return d.start(wait_ready)

    yield start
    for d in started:
        d.kill()


@pytest.fixture
def daemon(daemons: Callable[..., DaemonProcess]) -> DaemonProcess:
    return daemons()


def settle(d: DaemonProcess, folder: Path, tag: str) -> None:
    """Barrier: drop a fresh page and wait until it is cleaned. Events are handled in order with
    one quiet period, so every event that came before has been handled by then."""
    name = page_name(f"Barrier {tag}")
    drop_by_rename(folder, name, messy_page(f"Barrier {tag}"))
    d.wait_cleaned("g", f"pages/{name}")


# ------------------------------------------------------------------------------- cleaning


def test_page_needing_cleaning_is_cleaned_at_start_once(daemon: DaemonProcess, graph: Path):
    pages = graph / "pages"
    first = page_name("The Art of Maintenance")
    daemon.wait_cleaned("g", f"pages/{first}")
    assert_clean_page(pages / first, {88, 230, 412})
    # Readwise pages only: the author page lists the barrier pages as they come.
    before = {p.name: p.stat().st_mtime_ns for p in pages.glob("*(highlights).md")}

    settle(daemon, pages, "1")
    settle(daemon, pages, "2")

    # The daemon's own writes caused no second rewrite: one log line each, same mtimes.
    assert daemon.cleaned("g", f"pages/{first}") == 1
    assert daemon.cleaned("g", f"pages/{page_name('Barrier 1')}") == 1
    assert daemon.cleaned("g", "pages/Almost Two Years After G... (highlights).md") == 1
    after = {p.name: p.stat().st_mtime_ns for p in pages.iterdir() if p.name in before}
    assert after == before
    assert "Traceback" not in daemon.log()


def test_page_dropped_in_by_rename_is_cleaned(daemon: DaemonProcess, graph: Path):
    name = page_name("Dropped In")
    path = drop_by_rename(graph / "pages", name, messy_page("Dropped In"))
    daemon.wait_cleaned("g", f"pages/{name}")
    assert_clean_page(path, {88, 230, 412})
    assert temp_files(graph) == []


def test_readwise_append_is_folded_without_losing_a_highlight(daemon: DaemonProcess, graph: Path):
    name = page_name("Appended")
    path = drop_by_rename(graph / "pages", name, messy_page("Appended"))
    daemon.wait_cleaned("g", f"pages/{name}")
    assert "New highlights added" not in path.read_text(encoding="utf-8")

    # What Readwise does on its next sync: open the page for appending, add a section.
    url = "https://readwise.io/to_kindle?action=open&asin=B0EXAMPLE1&location="
    section = (
        "- New highlights added [[Mar 3rd, 2023]] at 10:00 AM\n"
        f"\t- A brand new highlight from chapter nine. ([Location 901]({url}901))\n"
        f"\t- Repair is a form of attention. ([Location 412]({url}412))\n"
        f"\t- An early highlight synced late. ([Location 12]({url}12))\n"
    )
    with open(path, "a", encoding="utf-8") as page:
        page.write(section)

    daemon.wait(lambda: daemon.cleaned("g", f"pages/{name}") >= 2, "the appended page cleaned")
    daemon.wait(lambda: "New highlights added" not in path.read_text(encoding="utf-8"), "the fold")
    assert_clean_page(path, {12, 88, 230, 412, 901})
    text = path.read_text(encoding="utf-8")
    assert "A brand new highlight from chapter nine." in text
    assert text.index("Location 12]") < text.index("Location 88]") < text.index("Location 901]")


def test_page_dropped_during_the_start_up_pass_is_cleaned(
    daemons: Callable[..., DaemonProcess], graph: Path
):
    """Watching starts before the first pass: a page arriving while it runs is not missed."""
    pages = graph / "pages"
    backlog = [pages / page_name(f"Backlog {i:03d}") for i in range(100)]
    for i, path in enumerate(backlog):
        path.write_bytes(messy_page(f"Backlog {i:03d}"))
    d = daemons(wait_ready=False)
    # The pass is writing (a page of the backlog is clean): it has read the folder already.
    d.wait(lambda: any(p.read_bytes() != messy_page(p.stem[:-13]) for p in backlog), "a write")
    name = page_name("During Start-up")
    drop_by_rename(pages, name, messy_page("During Start-up"))
    d.wait_log("watching \\d+ vault")
    d.wait_cleaned("g", f"pages/{name}")
    assert_clean_page(pages / name, {88, 230, 412})


def test_200_page_burst_is_cleaned_once_each(daemon: DaemonProcess, graph: Path):
    pages = graph / "pages"
    names = [page_name(f"Burst {i:03d}") for i in range(200)]
    for i, name in enumerate(names):
        (pages / name).write_bytes(messy_page(f"Burst {i:03d}"))

    wanted = {f"pages/{n}" for n in names}
    daemon.wait(
        lambda: wanted <= daemon.cleaned_counts("g").keys(), "all 200 pages cleaned", timeout=60
    )
    settle(daemon, pages, "after burst")
    counts = daemon.cleaned_counts("g")
    assert {p: counts[p] for p in wanted if counts[p] != 1} == {}
    for name in names[::20]:
        assert_clean_page(pages / name, {88, 230, 412})
    check = daemon.cli("check", "--config", str(daemon.config), "-q")
    assert check.returncode == 0, check.stdout + check.stderr
    assert temp_files(graph) == []


def test_folder_moved_into_the_vault_is_swept_once(
    daemon: DaemonProcess, tmp_path: Path, graph: Path
):
    """A folder moved in brings pages no file event names: one rescan finds them all."""
    outside = tmp_path / "incoming"
    outside.mkdir()
    names = [page_name(f"Moved {i}") for i in range(5)]
    for i, name in enumerate(names):
        (outside / name).write_bytes(messy_page(f"Moved {i}"))
        (outside / f"sub{i}").mkdir()  # a folder event each, merged into one rescan
    os.rename(outside, graph / "pages" / "incoming")

    for name in names:
        daemon.wait_cleaned("g", f"pages/incoming/{name}")
    settle(daemon, graph / "pages", "after move")
    for name in names:
        assert daemon.cleaned("g", f"pages/incoming/{name}") == 1
        assert_clean_page(graph / "pages" / "incoming" / name, {88, 230, 412})


# ------------------------------------------------------------------------------- config reload


def test_vault_added_to_the_yaml_is_watched(
    daemon: DaemonProcess, tmp_path: Path, config: Path, graph: Path
):
    notes = tmp_path / "notes"
    shutil.copytree(SAMPLES / "obsidian", notes)
    (notes / ".obsidian").mkdir(exist_ok=True)
    write_config(config, {"g": graph, "notes": notes})

    daemon.wait_log(r"config reloaded")
    daemon.wait_cleaned("notes", "Readwise/Articles/Why Logs Beat Dashboards.md")
    # Watched from now on, not only swept once.
    name = "Later Article.md"
    data = (notes / "Readwise" / "Articles" / "Why Logs Beat Dashboards.md").read_bytes()
    original = SAMPLES / "obsidian" / "Readwise" / "Articles" / "Why Logs Beat Dashboards.md"
    assert data != original.read_bytes()
    drop_by_rename(notes / "Readwise" / "Articles", name, original.read_bytes())
    daemon.wait_cleaned("notes", f"Readwise/Articles/{name}")
    status = daemon.cli("status", "--config", str(config))
    assert "notes:" in status.stdout and str(notes) in status.stdout


def test_broken_yaml_keeps_the_old_config(daemon: DaemonProcess, config: Path, graph: Path):
    good = config.read_text(encoding="utf-8")
    broken = good.replace("    path:", "   - path: [unclosed\n    path:", 1)
    temp = config.with_name(".broken.tmp")
    temp.write_text(broken, encoding="utf-8")
    os.replace(temp, config)

    daemon.wait_log(r"config not reloaded")
    line = next(x for x in daemon.log().splitlines() if "config not reloaded" in x)
    assert str(config) in line
    assert re.search(r"line \d+", line), line
    assert "Traceback" not in daemon.log()

    name = page_name("After Broken Config")
    path = drop_by_rename(graph / "pages", name, messy_page("After Broken Config"))
    daemon.wait_cleaned("g", f"pages/{name}")
    assert_clean_page(path, {88, 230, 412})


def test_sighup_reloads_and_log_file_gets_the_log(
    daemons: Callable[..., DaemonProcess], tmp_path: Path
):
    log_file = tmp_path / "logs" / "vaultsync.log"
    log_file.parent.mkdir()
    d = daemons(args=("--log-file", str(log_file)))
    d.signal_no_wait(signal.SIGHUP)
    d.wait_log(r"config reloaded")
    text = log_file.read_text(encoding="utf-8")
    assert "watching 1 vault" in text
    d.wait(lambda: "config reloaded" in log_file.read_text(encoding="utf-8"), "the log file")
    # Moved away (logrotate): the daemon writes a new file at the old name.
    log_file.rename(log_file.with_suffix(".log.1"))
    d.signal_no_wait(signal.SIGHUP)
    d.wait(lambda: log_file.exists() and "config reloaded" in log_file.read_text(), "a new log")
    assert d.proc is not None and d.proc.poll() is None


# ------------------------------------------------------------------------------- lifecycle


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly_mid_burst(daemon: DaemonProcess, graph: Path, sig: int):
    pages = graph / "pages"
    names = [page_name(f"Stop {i:02d}") for i in range(40)]
    for i, name in enumerate(names):
        drop_by_rename(pages, name, messy_page(f"Stop {i:02d}"))
    daemon.wait(
        lambda: any(daemon.cleaned("g", f"pages/{n}") for n in names), "the first page cleaned"
    )

    assert daemon.signal(sig) == 0
    assert temp_files(graph) == []
    assert daemon.log().rstrip().endswith("stopped")
    # Whatever the signal interrupted, every page is whole: either as dropped in, or clean.
    for i, name in enumerate(names):
        data = (pages / name).read_bytes()
        if data != messy_page(f"Stop {i:02d}"):
            assert_clean_page(pages / name, {88, 230, 412})


def test_sigterm_while_waiting_for_a_resyncs_lock(
    daemons: Callable[..., DaemonProcess], tmp_path: Path, graph: Path
):
    """A long `resync` holds the vault: the daemon, waiting for it, still stops at once."""
    from vaultsync.locks import vault_lock

    with vault_lock(tmp_path / "state", graph.resolve()):
        d = daemons(wait_ready=False)
        d.wait_log(r"g: watching ")
        assert d.signal(signal.SIGTERM) == 0
    assert "Traceback" not in d.log()


def test_status_while_running_and_after_stop(daemon: DaemonProcess, config: Path, graph: Path):
    assert daemon.proc is not None
    running = daemon.cli("status", "--config", str(config))
    assert running.returncode == 0, running.stderr
    assert f"running (pid {daemon.proc.pid})" in running.stdout
    assert "g:" in running.stdout and str(graph) in running.stdout

    assert daemon.signal(signal.SIGTERM) == 0
    stopped = daemon.cli("status", "--config", str(config))
    assert stopped.returncode == 3, stopped.stderr  # inactive, as systemctl says
    assert "not running" in stopped.stdout


def test_second_daemon_on_the_same_state_folder_is_refused(
    daemons: Callable[..., DaemonProcess], graph: Path
):
    first = daemons()
    second = daemons(wait_ready=False, log_name="second.log")
    assert second.proc is not None and first.proc is not None
    code = second.proc.wait(WAIT)
    assert code != 0
    message = second.log()
    assert "already running" in message
    assert str(first.proc.pid) in message
    assert "Traceback" not in message
    assert first.proc.poll() is None  # the first one carries on


def test_resync_while_the_daemon_runs(daemon: DaemonProcess, config: Path, graph: Path):
    pages = graph / "pages"
    names = [page_name(f"Both {i:02d}") for i in range(30)]
    for i, name in enumerate(names[:15]):
        (pages / name).write_bytes(messy_page(f"Both {i:02d}"))
    resync = subprocess.Popen(
        [*VAULTSYNC, "resync", "--config", str(config), "-q"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=daemon.env,
    )
    try:
        for i, name in enumerate(names[15:], start=15):
            drop_by_rename(pages, name, messy_page(f"Both {i:02d}"))
        out, err = resync.communicate(timeout=60)
    finally:
        if resync.poll() is None:
            resync.kill()
            resync.wait()
    assert resync.returncode == 0, (out + err).decode()
    assert b"Traceback" not in err

    def all_clean() -> bool:
        return all(
            "New highlights added" not in (pages / n).read_text(encoding="utf-8") for n in names
        )

    daemon.wait(all_clean, "every page clean")
    settle(daemon, pages, "after resync")
    for name in names:
        assert_clean_page(pages / name, {88, 230, 412})
    check = daemon.cli("check", "--config", str(config), "-q")
    assert check.returncode == 0, check.stdout + check.stderr
    assert temp_files(graph) == []
    assert daemon.proc is not None and daemon.proc.poll() is None


def test_undo_while_the_daemon_runs_is_left_alone(daemon: DaemonProcess, graph: Path):
    name = page_name("The Art of Maintenance")
    daemon.wait_cleaned("g", f"pages/{name}")
    page = graph / "pages" / name
    assert page.read_bytes() != SAMPLE_PAGE.read_bytes()

    undo = daemon.cli("undo", str(page), "--config", str(daemon.config))
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert page.read_bytes() == SAMPLE_PAGE.read_bytes()
    settle(daemon, graph / "pages", "after undo")
    assert page.read_bytes() == SAMPLE_PAGE.read_bytes()
    assert daemon.cleaned("g", f"pages/{name}") == 1


def test_vault_removed_then_restored(daemon: DaemonProcess, tmp_path: Path, graph: Path):
    daemon.wait_cleaned("g", f"pages/{page_name('The Art of Maintenance')}")
    # Gone in one step, as when a drive is unmounted (a recursive delete would race with the
    # daemon updating the author page of the pages it sees deleted).
    backup = tmp_path / "backup"
    os.rename(graph, backup)

    daemon.wait_log(r"g: vault unavailable")
    assert daemon.proc is not None and daemon.proc.poll() is None
    status = daemon.cli("status", "--config", str(daemon.config))
    assert status.returncode == 0, status.stderr
    assert "unavailable" in status.stdout

    name = page_name("While Away")
    (backup / "pages" / name).write_bytes(messy_page("While Away"))
    shutil.copytree(backup, graph)
    daemon.wait_log(r"g: vault is back")
    daemon.wait_cleaned("g", f"pages/{name}")
    assert_clean_page(graph / "pages" / name, {88, 230, 412})
    assert daemon.proc.poll() is None
    # The folder is back: its error is resolved, and dropped from status (issue 15).
    status = daemon.cli("status", "--config", str(daemon.config))
    assert "recent errors: 0" in status.stdout, status.stdout
    assert "g: vault back" in status.stdout  # in the last actions
    assert "Traceback" not in daemon.log()


def test_demo_without_a_terminal_exits_after_one_pass(tmp_path: Path):
    env = {**os.environ, "VAULTSYNC_STATE_DIR": str(tmp_path / "state"), "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [*VAULTSYNC, "demo"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Readwise pages" in done.stdout
    assert "Watching" not in done.stdout
    copied = re.search(r"Copied the sample vaults to (.+)", done.stdout)
    assert copied and not Path(copied.group(1).strip()).exists()


def test_demo_on_a_terminal_watches_until_ctrl_c(tmp_path: Path):
    """With a terminal it keeps watching the copy; Ctrl-C stops it and removes the copy."""
    import pty

    # TMPDIR: its temporary copy goes under tmp_path, so even a failed run leaves nothing behind.
    env = {**os.environ, "VAULTSYNC_STATE_DIR": str(tmp_path / "state"), "TMPDIR": str(tmp_path)}
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [*VAULTSYNC, "demo"],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    output = b""
    try:

        def read_until(text: bytes) -> Callable[[], bool]:
            def ready() -> bool:
                nonlocal output
                import select

                while select.select([leader], [], [], 0)[0]:
                    try:
                        output += os.read(leader, 65536)
                    except OSError:  # the terminal closed: the demo exited
                        return True
                return text in output or proc.poll() is not None

            return ready

        wait_for(read_until(b"Watching"), what="the demo to start watching")
        assert proc.poll() is None, output.decode(errors="replace")
        copied = re.search(rb"Copied the sample vaults to (\S+)", output)
        assert copied
        base = Path(copied.group(1).decode())
        assert (base / "logseq" / "pages").is_dir()
        # What it invites you to do: drop a page in, and see it cleaned.
        name = page_name("Demo Drop")
        drop_by_rename(base / "logseq" / "pages", name, messy_page("Demo Drop"))
        wait_for(read_until(f"cleaned pages/{name}".encode()), what="the demo to say so")
        assert proc.poll() is None, output.decode(errors="replace")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
        assert not base.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        os.close(leader)


# ------------------------------------------------------------------------------- in process


def test_log_file_that_cannot_be_opened_is_a_clear_error(tmp_path: Path, config: Path, capsys):
    from vaultsync.cli import main

    missing = tmp_path / "no such folder" / "vaultsync.log"
    assert main(["run", "--config", str(config), "--log-file", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "internal error" not in err


def test_demo_keep_into_a_used_folder_is_a_clear_error(tmp_path: Path, capsys):
    from vaultsync.cli import main

    keep = tmp_path / "demo"
    assert main(["demo", "--once", "--keep", str(keep)]) == 0
    assert (keep / "logseq" / "pages").is_dir()
    capsys.readouterr()
    assert main(["demo", "--once", "--keep", str(keep)]) == 2
    err = capsys.readouterr().err
    assert "exists" in err and str(keep / "logseq") in err
    assert "internal error" not in err


def test_reload_turning_reconcile_on_schedules_it(tmp_path: Path, graph: Path):
    """`reconcile_interval` 0 → on, by a reload: the periodic pass starts without a restart.
    (In process, so the interval can be shorter than the config allows.)"""
    import threading

    from vaultsync.pipeline.report import PassOptions
    from vaultsync.run import Daemon, Settings
    from vaultsync.vault import make_vault

    vault = make_vault(graph, name="g")
    options = PassOptions(state_dir=tmp_path / "state")
    wanted = {"interval": 0.0}

    def load():
        return [vault], Settings(options, 0.2, 5.0, wanted["interval"])

    d = Daemon(
        [vault], Settings(options, 0.2, 5.0, 0.0), tmp_path / "state", config_path=None, load=load
    )
    thread = threading.Thread(target=d.run)
    thread.start()
    try:
        wait_for(lambda: "g" in d.runs and d.runs["g"].last_pass, what="the start-up pass")
        wanted["interval"] = 0.2
        d.reload()  # what SIGHUP does
        wait_for(lambda: d.runs["g"].last_summary.startswith("reconcile"), what="a reconcile")
    finally:
        d.stop()
        thread.join(30)
    assert not thread.is_alive()


# ------------------------------------------------------------------------------- the lease


def another_machines_lease(root: Path, *, live: bool = True, released: bool = False) -> None:
    """Put another machine's lease in the vault, as the user's sync tool would deliver it."""
    import json
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    expires = now + timedelta(minutes=10) if live else now - timedelta(seconds=1)
    folder = root / ".vaultsync"
    folder.mkdir(exist_ok=True)
    data = {
        "vaultsync_lease": 1,
        "machine": "0ther0machine0id0000000000000000",
        "host": "desk",
        "pid": 1,
        "heartbeat": now.isoformat(timespec="seconds"),
        "expires": expires.isoformat(timespec="seconds"),
        "released": released,
        "machines": ["0ther0machine0id0000000000000000"],
    }
    temp = folder / ".lease.json.incoming"
    temp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temp, folder / "lease.json")


def test_the_daemon_stands_by_while_another_machine_cleans_then_takes_over(
    tmp_path: Path, config: Path, graph: Path
):
    another_machines_lease(graph)
    d = DaemonProcess(config, tmp_path / "state", tmp_path / "daemon.log")
    d.env["VAULTSYNC_LEASE_SETTLE"] = "0.5"  # desk held the lease: a claim waits this long
    try:
        _stand_by_then_take_over(d, config, graph)
    finally:
        d.kill()


def _stand_by_then_take_over(d: DaemonProcess, config: Path, graph: Path) -> None:
    d.start()
    status = d.cli("status", "--config", str(config)).stdout
    assert "cleaned by: desk (machine 0ther0ma); standing by" in status, status
    first = page_name("The Art of Maintenance")
    assert "New highlights added" in (graph / "pages" / first).read_text(encoding="utf-8")
    name = page_name("While Standing By")
    drop_by_rename(graph / "pages", name, messy_page("While Standing By"))
    d.wait(
        lambda: "not cleaning here" in d.cli("status", "--config", str(config)).stdout,
        "the page's event handled by standing by",
    )
    assert d.cleaned("g", f"pages/{name}") == 0 and d.cleaned("g", f"pages/{first}") == 0

    another_machines_lease(graph, released=True)  # desk's daemon stopped cleanly
    d.wait_cleaned("g", f"pages/{name}")  # the catch-up pass after the takeover
    assert_clean_page(graph / "pages" / name, {88, 230, 412})
    assert d.cleaned("g", f"pages/{first}") == 1
    status = d.cli("status", "--config", str(config)).stdout
    assert "cleaned by: this machine" in status, status
    assert "Traceback" not in d.log()


def test_resync_leaves_a_vault_another_machine_cleans(config: Path, graph: Path, tmp_path: Path):
    env = {**os.environ, "VAULTSYNC_STATE_DIR": str(tmp_path / "state")}
    before = {p.name: p.read_bytes() for p in (graph / "pages").iterdir()}

    def resync(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*VAULTSYNC, "resync", "--config", str(config), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    another_machines_lease(graph)
    refused = resync()
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "g: not cleaned here: desk (machine 0ther0ma) cleans this vault" in refused.stderr
    assert "Run the resync there" in refused.stderr and "Traceback" not in refused.stderr
    assert {p.name: p.read_bytes() for p in (graph / "pages").iterdir()} == before
    dry = resync("--dry-run")  # reading is always fine
    assert dry.returncode == 0 and "would be rewritten" in dry.stdout

    another_machines_lease(graph, live=False)  # desk's lease ended: this machine may clean
    done = resync()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "New highlights added" not in (
        graph / "pages" / page_name("The Art of Maintenance")
    ).read_text(encoding="utf-8")


# ---------------------------------------------------------------- issue 15: what it did, when

LOCAL_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4}"


def status_json(d: DaemonProcess) -> dict:
    import json

    done = d.cli("status", "--json", "--config", str(d.config))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_status_shows_the_daemons_last_actions_in_local_time(daemon: DaemonProcess, graph: Path):
    rel = f"pages/{page_name('The Art of Maintenance')}"
    daemon.wait_cleaned("g", rel)
    status = daemon.cli("status", "--config", str(daemon.config))
    assert "last actions" in status.stdout
    line = next(x for x in status.stdout.splitlines() if f"cleaned {rel}" in x)
    assert re.match(rf"  {LOCAL_TIME} g: cleaned {re.escape(rel)}: .*repeat", line), line
    assert "1 duplicates" not in daemon.log()  # plural-aware: "1 repeat removed"
    actions = status_json(daemon)["actions"]
    cleaned = [a for a in actions if a["what"] == "cleaned" and a["page"] == rel]
    assert cleaned and cleaned[0]["vault"] == "g" and cleaned[0]["time"].endswith("+00:00")


def test_status_summary_is_of_the_pass_its_time_is_of(daemon: DaemonProcess, graph: Path):
    daemon.wait_cleaned("g", f"pages/{page_name('The Art of Maintenance')}")
    settle(daemon, graph / "pages", "summary")
    # The time of the event's update, with that update's summary (it was the start-up's).
    daemon.wait(
        lambda: status_json(daemon)["vaults"]["g"]["last_summary"].startswith("update: "),
        "an update's summary",
    )


def test_a_config_error_is_dropped_from_status_once_the_config_loads(
    daemon: DaemonProcess, config: Path, graph: Path
):
    good = config.read_text(encoding="utf-8")
    config.write_text(good + "rules: {dedupe: maybe}\n", encoding="utf-8")
    daemon.wait_log("config not reloaded")
    assert "recent errors: 1" in daemon.cli("status", "--config", str(config)).stdout
    write_config(config, {"g": graph})
    daemon.wait_log("config reloaded")
    status = daemon.cli("status", "--config", str(config))
    assert "recent errors: 0" in status.stdout, status.stdout


def test_vaultsync_log_follow_shows_each_new_action(daemon: DaemonProcess, graph: Path):
    import queue
    import threading

    daemon.wait_cleaned("g", f"pages/{page_name('The Art of Maintenance')}")
    shown = daemon.cli("log", "--config", str(daemon.config))
    assert "g: cleaned pages/The Art of Maintenance" in shown.stdout
    follower = subprocess.Popen(
        [*VAULTSYNC, "log", "-f", "-n", "1", "--config", str(daemon.config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=daemon.env,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert follower.stdout is not None
    stream = follower.stdout
    threading.Thread(target=lambda: [lines.put(x) for x in stream], daemon=True).start()
    try:
        lines.get(timeout=WAIT)  # the last entry: it follows from here on
        name = page_name("Followed")
        drop_by_rename(graph / "pages", name, messy_page("Followed"))
        deadline = time.monotonic() + WAIT
        seen = []
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"not followed: {seen}\n{daemon.log()}") from None
            seen.append(line)
            if f"g: cleaned pages/{name}" in line:
                break
        assert re.match(LOCAL_TIME, line), line
        # The log's line for that pass counts in words: "1 repeat removed", not "1 duplicates".
        daemon.wait_log(r"g: 1 repeat removed, 2 highlights moved, 1 section folded$")
    finally:
        follower.terminate()
        follower.wait(10)


def test_a_vault_folder_missing_at_start_is_waited_for(
    daemons: Callable[..., DaemonProcess], config: Path, graph: Path, tmp_path: Path
):
    usb = tmp_path / "usb" / "Travel"
    write_config(config, {"g": graph, "travel": usb})
    d = daemons()  # starts: the missing folder is no reason to refuse
    d.wait_log(r"vault 'travel': its folder .* is missing")
    status = d.cli("status", "--config", str(config))
    assert status.returncode == 0, status.stderr
    assert re.search(r"travel: .*unavailable", status.stdout), status.stdout
    # The other vault is worked on by commands too.
    check = d.cli("check", "--config", str(config))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "warning: vault 'travel'" in check.stderr and "g (Logseq graph" in check.stdout

    shutil.copytree(SAMPLES / "logseq", usb)  # the drive is plugged in
    d.wait_log(r"travel: watching")
    d.wait_cleaned("travel", f"pages/{page_name('The Art of Maintenance')}")
    assert_clean_page(usb / "pages" / page_name("The Art of Maintenance"), {88, 230, 412})


def test_a_failed_pages_error_goes_once_the_page_is_cleaned_or_found_fine(tmp_path: Path):
    """The daemon's error list is keyed by what it is about (run.status.Status): a page's error is
    dropped by an update that handled the page without failing, or by any full pass in which
    it did not fail; other pages' errors stay."""
    from vaultsync.pipeline.report import PassReport
    from vaultsync.run.status import Status, log_report
    from vaultsync.vault import make_vault

    root = shutil.copytree(SAMPLES / "logseq", tmp_path / "g")
    vault = make_vault(root, name="g")
    status = Status(tmp_path / "status.json")
    a, b = root / "pages" / "a.md", root / "pages" / "b.md"
    log_report(PassReport(vault, failed=[(a, "disk full"), (b, "disk full")]), status)
    status.error("g: vault folder missing", "folder\0g")
    assert len(status.errors) == 3
    status.resolved_pages("g", only={"pages/a.md"})  # an update handled a.md, fine this time
    assert [e.split(" ", 1)[1] for e in status.errors] == [
        "g: vault folder missing",
        "g: pages/b.md: disk full",
    ]
    status.resolved_pages("g", keep=set())  # a full pass in which nothing failed
    status.resolved("folder\0g")
    assert status.errors == []


def test_the_daemon_warns_when_include_lets_no_page_through(
    daemons: Callable[..., DaemonProcess], config: Path, graph: Path
):
    write_config(config, {"g": graph})
    text = config.read_text(encoding="utf-8").replace(
        f"    path: '{graph}'\n", f"    path: '{graph}'\n    include: ['Readwise/**/*.md']\n"
    )
    config.write_text(text, encoding="utf-8")
    d = daemons()
    d.wait_log(r"g: include \['Readwise/\*\*/\*\.md'\] matches none of the \.md files")


CHAPTERS = (
    Path(__file__).parent / "shapes" / "logseq" / "pages" / "Chapters from Reader (highlights).md"
)


def test_a_page_left_alone_on_purpose_is_logged_once(daemon: DaemonProcess, graph: Path):
    """The daemon's log names a page it leaves as it is on purpose, and why, as the CLI's
    summary does; once, not again when an event brings the page back."""
    pages = graph / "pages"
    name, data = CHAPTERS.name, CHAPTERS.read_bytes()
    drop_by_rename(pages, name, data)
    line = rf" g: left pages/{re.escape(name)} as it is: .*chapter"
    daemon.wait_log(line)
    drop_by_rename(pages, name, data)  # met again: the same bytes written anew
    settle(daemon, pages, "after the event")
    assert daemon.count(line) == 1, daemon.log()
    assert (pages / name).read_bytes() == data


def test_reconcile_passes_do_not_log_a_page_left_alone_again(
    tmp_path: Path, graph: Path, caplog: pytest.LogCaptureFixture
):
    """Every reconcile pass meets the page again (no state cache here: each pass normalizes
    it afresh); the log names it once. (In process, for a short reconcile interval.)"""
    import logging
    import threading

    from vaultsync.pipeline.report import PassOptions
    from vaultsync.run import Daemon, Settings
    from vaultsync.vault import make_vault

    shutil.copy(CHAPTERS, graph / "pages" / CHAPTERS.name)
    vault = make_vault(graph, name="g")
    options = PassOptions(state_dir=tmp_path / "state", cache=False)
    settings = Settings(options, 0.2, 5.0, 0.2)
    d = Daemon([vault], settings, tmp_path / "state", config_path=None, load=None)
    caplog.set_level(logging.DEBUG, logger="vaultsync")

    def passes() -> int:
        return sum("g: reconcile:" in r.getMessage() for r in caplog.records)

    thread = threading.Thread(target=d.run)
    thread.start()
    try:
        wait_for(lambda: passes() >= 3, what="three reconcile passes")
    finally:
        d.stop()
        thread.join(30)
    assert not thread.is_alive()
    said = [r.getMessage() for r in caplog.records if CHAPTERS.name in r.getMessage()]
    assert len(said) == 1 and "left pages/" in said[0] and "chapter" in said[0], said
