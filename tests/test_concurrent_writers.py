"""Concurrent writers: a simulated Readwise plugin appends "New highlights added" sections while
vaultsync rewrites the same pages. No appended highlight may ever be lost.

In process: one thread is the plugin (it appends a section of fresh highlights to a page, the way
the Obsidian plugin appends, or rewrites the page in place with the section added, the way Logseq
saves a page the plugin changed), another runs VaultSession.update on the pages it appended to and
a full pass now and then, as the daemon does. Each round the plugin writes at a random moment of
the daemon's pass. At the end every fresh highlight is on its page exactly once, every highlight,
user line and block id the page started with is still there, and `check` finds nothing to do.

One interleaving is ruled out, because no writer that renames can see it: the plugin opening the
page before vaultsync's rename and writing into it after vaultsync's post-rename check (the
write goes to a file that is no longer the page). A write that lands anywhere else, the moment
just before the rename included, must survive; the post-rename check puts that last one back.
Then the same with the real `vaultsync run` process, where nothing is coordinated at all.

The race must be proven to happen, not hoped for: every tenth round the plugin's write is made
to land, from inside the daemon's pass, between the daemon's read and its re-check (a conflict
the re-check must catch), and every tenth round, five rounds later, just before the rename (a
late write the post-rename check must put back). The test counts the conflicts and put-backs
that fired and asserts there were at least that many, whatever the machine's speed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from vaultsync import writer
from vaultsync.core.highlights import comparable
from vaultsync.errors import ChangedSinceRead, WriteFailed
from vaultsync.history import History
from vaultsync.pipeline import clean
from vaultsync.pipeline.passes import run_pass
from vaultsync.pipeline.report import PassOptions
from vaultsync.pipeline.session import VaultSession
from vaultsync.vault import make_vault
from vaultsync.writer import VaultGuard, read_page, write_atomic

try:
    from genvault import GeneratedVault, build_vault, files, fresh_highlight, fresh_section
except ModuleNotFoundError:  # pragma: no cover
    from tests.genvault import (
        GeneratedVault,
        build_vault,
        files,
        fresh_highlight,
        fresh_section,
    )

REPO = Path(__file__).resolve().parents[1]
JOIN_TIMEOUT = 120.0  # generous: only a hung thread ever gets near it


@dataclass
class Plugin:
    """The simulated Readwise plugin: appends sections of fresh, uniquely marked highlights."""

    vault: GeneratedVault
    rng: random.Random
    appended: dict[str, list[str]] = field(default_factory=dict)  # page → its fresh markers
    count: int = 0

    def section(self, rel: str, data: bytes) -> bytes:
        """A new section of 1-3 fresh highlights, in the page's template."""
        self.count += 1
        texts = []
        for j in range(self.rng.randint(1, 3)):
            marker = f"fresh{self.count}x{j}q"
            self.appended.setdefault(rel, []).append(marker)
            texts.append(fresh_highlight(marker, f"the {self.rng.choice(WORDS)}"))
        return fresh_section(self.vault.app, data, texts, self.count)

    def append(self, rel: str) -> None:
        """Append a section: read the page, then write the addition (either way)."""
        path = self.vault.root / rel
        data = path.read_bytes()
        addition = self.section(rel, data)
        if self.rng.random() < 0.5:
            with open(path, "ab") as f:  # Obsidian's plugin: an append
                f.write(addition)
        else:
            with open(path, "r+b") as f:  # Logseq: the whole page saved in place
                current = f.read()
                f.seek(0)
                f.write(current + (addition if current.endswith(b"\n") else b"\n" + addition))
                f.truncate()


WORDS = ("team", "ledger", "queue", "garden", "river", "library", "signal", "draft")


def check_nothing_lost(vault: GeneratedVault, plugin: Plugin, before: dict[str, bytes]) -> None:
    """Every fresh highlight once; every original highlight, user line and id still there."""
    after = files(vault.root)
    for rel, markers in plugin.appended.items():
        text = after[rel].decode("utf-8")
        for marker in markers:
            assert text.count(marker) == 1, f"{rel}: {marker} appears {text.count(marker)} times"
    for rel, truth in vault.truths.items():
        text = comparable(after[rel].decode("utf-8").replace("\r\n", "\n"))
        for hl in truth.highlights:
            first = comparable(hl.text.split("\n")[0])
            assert first in text, f"{rel}: lost highlight {first[:60]!r}"
        for user in truth.user_blocks:
            assert comparable(user.text) in text, f"{rel}: lost user line {user.text!r}"
        # Logseq ids all stay; an Obsidian `^id` must stay only when a note links to it (none
        # does here), except on the user's own blocks, which are never merged.
        ids = (
            truth.block_ids
            if vault.app == "logseq"
            else [u.block_id for u in truth.user_blocks if u.block_id]
        )
        for block_id in ids:
            assert block_id in after[rel].decode("utf-8"), f"{rel}: lost block id {block_id}"
    for rel in before:
        assert rel in after, f"{rel} was lost"


def settle(root: Path) -> None:
    """Passes until nothing changes; then `check` finds nothing to do."""
    vault = make_vault(root)
    for _ in range(3):
        report = run_pass(vault, PassOptions())
        assert report.failed == []
        if not report.any_change:
            break
    report = run_pass(vault, PassOptions(mode="check"))
    assert not report.any_change and not report.failed and not report.skipped


BATCH = 100  # rounds per generated vault, so pages stay the size real pages have


def race(tmp_path: Path, seed: int, app: str, rounds: int) -> dict[str, int]:
    """`rounds` rounds of: the daemon thread cleans the pages the plugin appended to last round,
    while the plugin thread appends to one of them at a random moment of that pass."""
    rng = random.Random(seed)
    stats = dict.fromkeys(
        (
            "appends",
            "passes",
            "rewrites",
            "conflicts",
            "put_back",
            "gave_up",
            "forced_conflicts",
            "forced_late",
        ),
        0,
    )
    for batch in range(0, rounds, BATCH):
        race_batch(tmp_path / f"b{batch}", rng, app, min(BATCH, rounds - batch), stats)
    return stats


def race_batch(
    base: Path, rng: random.Random, app: str, rounds: int, stats: dict[str, int]
) -> None:
    gv = build_vault(base / app, rng, app, pages=4, ordinary=1)
    before = files(gv.root)
    plugin = Plugin(gv, random.Random(rng.random()))
    session = VaultSession(make_vault(gv.root), PassOptions(history=History(base / "history")))
    pages = sorted(gv.truths)
    pick: list[str] = [rng.choice(pages)]
    appended: list[str] = []
    started, appended_event = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    pass_seconds = [0.005]

    real_write, real_replace = clean.write_page, os.replace
    # The write the daemon thread itself makes land (see the module docstring), once per
    # scheduled round: "conflict" before its next page write, "late" just before its rename.
    forced: list[str | None] = [None]
    real_put_back = writer.atomic.put_back_late_write
    # See the module docstring: the plugin's own open → write → close never straddles the
    # daemon's rename → post-rename check. Everything else may interleave.
    window = threading.RLock()
    daemon_thread: list[threading.Thread] = []

    def force(kind: str, path: Path) -> None:
        """The plugin's append to `path`, made now from the daemon thread, if `kind` is due."""
        if forced[0] != kind or not path.is_relative_to(gv.root) or not path.exists():
            return
        forced[0] = None
        with window:
            plugin.append(path.relative_to(gv.root).as_posix())
        stats["forced_conflicts" if kind == "conflict" else "forced_late"] += 1

    def counting_write(guard, snap, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if snap is not None:
            force("conflict", Path(path))  # after the read, before the re-check
        try:
            return real_write(guard, snap, path, *args, **kwargs)
        except ChangedSinceRead:
            stats["conflicts"] += 1  # the re-check caught the plugin's write
            raise

    def replace(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        full = _full_path(dst, kwargs.get("dst_dir_fd"))
        ours = threading.current_thread() in daemon_thread and full.is_relative_to(gv.root)
        if ours:
            window.acquire()  # released after the post-rename check
            force("late", full)  # after the last re-check, before the rename
        try:
            return real_replace(src, dst, *args, **kwargs)
        except BaseException:
            if ours:
                window.release()
            raise

    def put_back(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return real_put_back(*args, **kwargs)
        except ChangedSinceRead:
            stats["put_back"] += 1  # a write that landed just before the rename, put back
            raise
        finally:
            window.release()

    def run_plugin() -> None:
        try:
            for _ in range(rounds):
                if not started.wait(JOIN_TIMEOUT):
                    raise TimeoutError("the daemon thread stopped starting passes")
                started.clear()
                # pacing only: the append lands somewhere in the pass (or just after it)
                time.sleep(rng.uniform(0, 1.5 * pass_seconds[0]))
                rel = rng.choice(pick)
                with window:
                    plugin.append(rel)
                appended.append(rel)
                stats["appends"] += 1
                appended_event.set()
        except BaseException as err:  # pragma: no cover - reported by the main thread
            errors.append(err)
            appended_event.set()

    def run_daemon() -> None:
        try:
            for i in range(rounds):
                if i % 10 in (3, 8) and forced[0] is None:
                    forced[0] = "conflict" if i % 10 == 3 else "late"
                paths = [gv.root / rel for rel in pick]
                begin = time.monotonic()
                started.set()
                report = session.full_pass() if i % 25 == 24 else session.update(paths)
                pass_seconds[0] = 0.8 * pass_seconds[0] + 0.2 * (time.monotonic() - begin)
                stats["passes"] += 1
                stats["rewrites"] += len(report.changed)
                stats["gave_up"] += sum("kept changing" in why for _, why in report.skipped)
                assert report.failed == [], report.failed
                if not appended_event.wait(JOIN_TIMEOUT):
                    raise TimeoutError("the plugin thread stopped appending")
                appended_event.clear()
                if errors:
                    return
                pick[:] = sorted(set(appended[-1:]) | {rng.choice(pages)})
        except BaseException as err:
            errors.append(err)
            started.set()

    threads = [threading.Thread(target=run_plugin), threading.Thread(target=run_daemon)]
    daemon_thread.append(threads[1])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clean, "write_page", counting_write)
        mp.setattr(os, "replace", replace)
        mp.setattr(writer.atomic, "put_back_late_write", put_back)
        for t in threads:
            t.start()
        for t in threads:
            t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    settle(gv.root)
    check_nothing_lost(gv, plugin, before)
    assert [k for k in files(gv.root) if ".vaultsync-" in k] == []


def _full_path(path: object, dir_fd: int | None) -> Path:
    """`path` as the file system sees it, when given relative to the folder open as `dir_fd`."""
    full = Path(os.fsdecode(path))  # type: ignore[arg-type]
    if dir_fd is not None and not full.is_absolute():
        full = Path(os.readlink(f"/proc/self/fd/{dir_fd}")) / full
    return full


def check_the_race_happened(stats: dict[str, int], rounds: int) -> None:
    """The conflicts and late writes were not left to chance: those forced all fired, and each
    was caught (a conflict by the re-check, a late write put back after the rename)."""
    assert stats["forced_conflicts"] >= rounds // 10 - 1 > 0, stats
    assert stats["forced_late"] >= rounds // 10 - 1 > 0, stats
    assert stats["conflicts"] >= stats["forced_conflicts"] + stats["forced_late"], stats
    assert stats["put_back"] >= stats["forced_late"], stats


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_plugin_appends_while_the_daemon_rewrites(tmp_path: Path, app: str) -> None:
    stats = race(tmp_path, 31 if app == "logseq" else 32, app, 60)
    print(f"\n{app}: {stats}")
    assert stats["appends"] == 60
    assert stats["rewrites"] > 0
    check_the_race_happened(stats, 60)


@pytest.mark.slow
@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_plugin_appends_while_the_daemon_rewrites_1000_rounds(tmp_path: Path, app: str) -> None:
    stats = race(tmp_path, 1000 if app == "logseq" else 1001, app, 1000)
    print(f"\n{app}: {stats}")
    assert stats["appends"] == 1000
    check_the_race_happened(stats, 1000)


# ------------------------------------------------------------------------------ the rename window


def _late_writer(target: Path, late: bytes, after: bytes = b"") -> object:
    """os.replace that, the first time, writes `late` into the page about to be replaced (a
    write landing after the last check) and `after` into the new page once renamed."""
    real_replace = os.replace
    calls: list[object] = []

    def replace(src, dst, **kwargs):  # type: ignore[no-untyped-def]
        page = _where(dst, kwargs)
        first = page == target and not calls
        if first:
            calls.append(dst)
            with open(page, "ab") as f:
                f.write(late)
        real_replace(src, dst, **kwargs)
        if first and after:
            with open(page, "ab") as f:
                f.write(after)

    return replace


def _where(name: str, kwargs: dict[str, int]) -> Path:
    """The path an os.replace destination names: the writer renames relative to the folder it
    holds open (dst_dir_fd), so a bare name is looked up through that handle."""
    folder = kwargs.get("dst_dir_fd")
    if folder is None:
        return Path(name)
    return Path(os.readlink(f"/proc/self/fd/{folder}")) / name


def test_a_write_just_before_the_rename_is_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "page.md"
    page.write_bytes(b"old\n")
    snap = read_page(page)
    history = History(tmp_path / "history")
    monkeypatch.setattr(os, "replace", _late_writer(page, b"late\n"))
    with pytest.raises(ChangedSinceRead):
        write_atomic(VaultGuard([tmp_path]), snap, page, b"new\n", history=history)
    assert page.read_bytes() == b"old\nlate\n"
    assert sorted(os.listdir(tmp_path)) == ["history", "page.md"]


def test_a_page_written_again_after_the_rename_keeps_both_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Late write on the old file and another on the new one: the new one stays, the late one
    is in the history, and the error says so."""
    page = tmp_path / "page.md"
    page.write_bytes(b"old\n")
    snap = read_page(page)
    history = History(tmp_path / "history")
    monkeypatch.setattr(os, "replace", _late_writer(page, b"late\n", after=b"later\n"))
    with pytest.raises(WriteFailed) as err:
        write_atomic(VaultGuard([tmp_path]), snap, page, b"new\n", history=history)
    assert page.read_bytes() == b"new\nlater\n"
    assert "in the history" in str(err.value)
    assert history.load(page, 1) == b"old\nlate\n"


def test_the_session_cleans_a_page_whose_late_write_was_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gv = build_vault(tmp_path / "vault", random.Random(3), "logseq", pages=1, ordinary=0)
    before = files(gv.root)
    (rel,) = gv.truths
    plugin = Plugin(gv, random.Random(4))
    page = gv.root / rel
    section = plugin.section(rel, page.read_bytes())
    monkeypatch.setattr(os, "replace", _late_writer(page, section))
    report = VaultSession(make_vault(gv.root), PassOptions(author_pages=False)).update([page])
    assert report.failed == [] and report.changed == [page]
    check_nothing_lost(gv, plugin, before)
    settle(gv.root)


# ------------------------------------------------------------------------------ the real daemon


def _daemon(base: Path, root: Path) -> subprocess.Popen[bytes]:
    config = base / "config.yaml"
    config.write_text(
        f"vaults:\n  - path: {str(root)!r}\n"
        "daemon:\n  quiet_period: 0.05\n  max_delay: 0.3\n"
        f"state_dir: {str(base / 'state')!r}\n",
        encoding="utf-8",
    )
    env = dict(os.environ, VAULTSYNC_CONFIG=str(config), VAULTSYNC_STATE_DIR=str(base / "state"))
    return subprocess.Popen(
        [sys.executable, "-m", "vaultsync", "run", "--config", str(config)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_until(condition, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + JOIN_TIMEOUT
    while not condition():
        assert proc.poll() is None, "the daemon stopped"
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the daemon never {what}")
        time.sleep(0.05)


def _clean(root: Path) -> bool:
    report = run_pass(make_vault(root), PassOptions(mode="check", author_pages=False))
    return not report.changed and not report.failed


def real_daemon_race(tmp_path: Path, seed: int, app: str, rounds: int) -> None:
    rng = random.Random(seed)
    gv = build_vault(tmp_path / "vault", rng, app, pages=4, ordinary=1)
    before = files(gv.root)
    plugin = Plugin(gv, random.Random(seed + 1))
    proc = _daemon(tmp_path, gv.root)
    try:
        _wait_until(lambda: _clean(gv.root), proc, "cleaned the vault")
        pages = sorted(gv.truths)
        for _ in range(rounds):
            plugin.append(rng.choice(pages))
            time.sleep(rng.uniform(0, 0.1))  # pacing only: the daemon races the next append
        _wait_until(lambda: _clean(gv.root), proc, "cleaned the appended sections")
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=JOIN_TIMEOUT)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    check_nothing_lost(gv, plugin, before)
    assert [k for k in files(gv.root) if ".vaultsync-" in k] == []
    shutil.rmtree(gv.root)


def test_real_daemon_with_the_plugin_appending(tmp_path: Path) -> None:
    real_daemon_race(tmp_path, 77, "obsidian", 12)


@pytest.mark.slow
@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_real_daemon_with_the_plugin_appending_long(tmp_path: Path, app: str) -> None:
    real_daemon_race(tmp_path, 78, app, 150)
