"""WriteBatch: many pages made durable with one barrier, each renamed only after its re-check,
in its folder reopened from the vault root; and a whole pass through it gives the same vault as
a pass page by page."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import vaultsync.writer.barrier
import vaultsync.writer.batch
from vaultsync.errors import ChangedSinceRead, PageAppeared, UnsafePathError, WriteFailed
from vaultsync.history import History
from vaultsync.writer import VaultGuard, WriteBatch, is_temp_file, read_page

try:  # pytest puts tests/ on sys.path (no tests/__init__.py)
    from genvault import build_vault, files
except ModuleNotFoundError:  # pragma: no cover
    from tests.genvault import build_vault, files


def temps(root: Path) -> list[str]:
    return [name for _, _, names in os.walk(root) for name in names if is_temp_file(name)]


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / "pages").mkdir(parents=True)
    for i in range(20):
        (root / "pages" / f"p{i}.md").write_bytes(f"old {i}\n".encode())
    return root


def test_a_batch_writes_every_page_with_one_barrier(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard = VaultGuard([vault])
    history = History(tmp_path / "history")
    outcomes: list[object] = []
    fsyncs: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real(fd))[1])
    with WriteBatch(guard, history=history, direct=0) as batch:
        for i in range(20):
            page = vault / "pages" / f"p{i}.md"
            batch.add(read_page(page), page, f"new {i}\n".encode(), outcomes.append)
        batch.add(None, vault / "pages" / "fresh.md", b"fresh\n", outcomes.append, history=False)
        assert outcomes == []  # nothing is in place before the commit
        assert (vault / "pages" / "p0.md").read_bytes() == b"old 0\n"
    assert outcomes == [None] * 21
    for i in range(20):
        assert (vault / "pages" / f"p{i}.md").read_bytes() == f"new {i}\n".encode()
        assert history.load(vault / "pages" / f"p{i}.md", 1) == f"old {i}\n".encode()
    assert (vault / "pages" / "fresh.md").read_bytes() == b"fresh\n"
    assert temps(vault) == []
    if vaultsync.writer.barrier._barrier_kind()[0] == "syncfs":
        # the history pack and its folder, the page folder: no fsync per page
        assert len(fsyncs) <= 3
    else:
        assert len(fsyncs) <= 21 + 3


def test_a_page_changed_after_it_was_read_is_never_written_over(vault: Path) -> None:
    guard = VaultGuard([vault])
    outcomes: list[object] = []
    batch = WriteBatch(guard, direct=0)
    pages = [vault / "pages" / f"p{i}.md" for i in range(3)]
    for page in pages:
        batch.add(read_page(page), page, b"cleaned\n", outcomes.append)
    pages[1].write_bytes(b"the user typed this meanwhile\n")
    (vault / "pages" / "new.md").write_bytes(b"")
    batch.add(None, vault / "pages" / "late.md", b"ours\n", outcomes.append)
    (vault / "pages" / "late.md").write_bytes(b"someone else's\n")
    batch.commit()
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], ChangedSinceRead)
    assert isinstance(outcomes[3], PageAppeared)
    assert pages[1].read_bytes() == b"the user typed this meanwhile\n"
    assert (vault / "pages" / "late.md").read_bytes() == b"someone else's\n"
    assert temps(vault) == []


def test_a_folder_swapped_for_a_link_between_add_and_commit_gets_nothing(
    vault: Path, tmp_path: Path
) -> None:
    """The temp file is in the folder that was checked; at the commit the folder, reopened
    from the root, is another one: nothing is renamed, nothing lands outside the vault."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "p0.md").write_bytes(b"outside\n")
    guard = VaultGuard([vault])
    outcomes: list[object] = []
    batch = WriteBatch(guard, direct=0)
    page = vault / "pages" / "p0.md"
    batch.add(read_page(page), page, b"cleaned\n", outcomes.append)
    moved = tmp_path / "moved-out"
    os.rename(vault / "pages", moved)
    os.symlink(outside, vault / "pages")
    batch.commit()
    assert isinstance(outcomes[0], UnsafePathError)
    assert (outside / "p0.md").read_bytes() == b"outside\n"
    assert (moved / "p0.md").read_bytes() == b"old 0\n"
    assert temps(outside) == [] and temps(moved) == []


def test_a_failed_barrier_replaces_nothing(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(fd: int) -> int:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(vaultsync.writer.barrier, "_BARRIER", ("syncfs", failing))
    outcomes: list[object] = []
    batch = WriteBatch(VaultGuard([vault]), direct=0)
    for i in range(3):
        page = vault / "pages" / f"p{i}.md"
        batch.add(read_page(page), page, b"cleaned\n", outcomes.append)
    batch.commit()
    assert all(isinstance(o, WriteFailed) for o in outcomes) and len(outcomes) == 3
    assert "nothing was replaced" in str(outcomes[0])
    assert (vault / "pages" / "p0.md").read_bytes() == b"old 0\n"
    assert temps(vault) == []


def test_abort_leaves_no_temp_file(vault: Path) -> None:
    outcomes: list[object] = []
    batch = WriteBatch(VaultGuard([vault]), direct=0)
    page = vault / "pages" / "p0.md"
    batch.add(read_page(page), page, b"cleaned\n", outcomes.append)
    assert len(temps(vault)) == 1
    batch.abort()
    assert temps(vault) == [] and outcomes == []
    assert page.read_bytes() == b"old 0\n"


def test_the_first_writes_go_one_by_one(vault: Path) -> None:
    """Below the threshold a write is in place at once (write_atomic); `done` still waits
    for the commit, like a batched one."""
    outcomes: list[object] = []
    batch = WriteBatch(VaultGuard([vault]), direct=2)
    for i in range(3):
        page = vault / "pages" / f"p{i}.md"
        batch.add(read_page(page), page, b"cleaned\n", outcomes.append)
    assert (vault / "pages" / "p1.md").read_bytes() == b"cleaned\n"
    assert (vault / "pages" / "p2.md").read_bytes() == b"old 2\n"
    batch.commit()
    assert outcomes == [None, None, None]
    assert (vault / "pages" / "p2.md").read_bytes() == b"cleaned\n"


def _resync(root: Path, state: Path, batch_min: str) -> str:
    env = dict(os.environ, VAULTSYNC_STATE_DIR=str(state), VAULTSYNC_BATCH_MIN=batch_min, CI="1")
    env["VAULTSYNC_CONFIG"] = os.devnull  # no config: the defaults
    done = subprocess.run(
        [sys.executable, "-m", "vaultsync", "resync", "--vault", str(root)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_a_batched_pass_gives_the_vault_a_pass_page_by_page_gives(tmp_path: Path, app: str) -> None:
    template = tmp_path / "template"
    build_vault(template, random.Random(7), app, pages=30)
    one, two = tmp_path / "one" / "vault", tmp_path / "two" / "vault"  # (the report names it)
    shutil.copytree(template, one, symlinks=True)
    shutil.copytree(template, two, symlinks=True)
    report_one = _resync(one, tmp_path / "s1", "1000000")
    report_two = _resync(two, tmp_path / "s2", "0")
    assert files(one) == files(two) != files(template)
    assert report_one.replace(str(one), "V") == report_two.replace(str(two), "V")
    history_one, history_two = (
        History(tmp_path / "s1" / "history"),
        History(tmp_path / "s2" / "history"),
    )
    for rel, data in files(template).items():
        if files(two).get(rel) != data:
            assert history_two.load(two / rel, 1) == data
            assert history_one.load(one / rel, 1) == data
    assert (tmp_path / "s2" / "history" / "packs").is_dir()
    assert temps(two) == []
    # and a second pass changes nothing
    assert files(two) == (_resync(two, tmp_path / "s2", "0"), files(two))[1]


def test_a_full_pass_with_history_no_longer_costs_fsyncs_per_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: with history on, each rewritten page cost 6 fsyncs (the page, its folder,
    the saved version, its folder, the history index, its folder). Batched, a pass costs a
    few in all (the state cache's own aside)."""
    from vaultsync.pipeline.passes import run_pass
    from vaultsync.pipeline.report import PassOptions
    from vaultsync.vault import make_vault

    root = tmp_path / "vault"
    build_vault(root, random.Random(11), "logseq", pages=60)
    before = files(root)
    history = History(tmp_path / "history")
    monkeypatch.setenv("VAULTSYNC_BATCH_MIN", "0")
    fsyncs: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real(fd))[1])
    report = run_pass(make_vault(root), PassOptions(history=history, cache=False))
    written = len(report.changed) + len(report.authors_created)
    assert len(report.changed) >= 10
    assert all(history.load(p, 1) == before[p.relative_to(root).as_posix()] for p in report.changed)
    if vaultsync.writer.barrier._barrier_kind()[0] == "syncfs":
        assert len(fsyncs) <= 8, (len(fsyncs), written)
    else:
        assert len(fsyncs) <= written + 8


def test_the_versions_of_a_pass_go_into_one_pack_over_many_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vaultsync.pipeline.passes import run_pass
    from vaultsync.pipeline.report import PassOptions
    from vaultsync.vault import make_vault

    root = tmp_path / "vault"
    build_vault(root, random.Random(12), "obsidian", pages=40)
    before = files(root)
    history = History(tmp_path / "history")
    monkeypatch.setenv("VAULTSYNC_BATCH_MIN", "0")
    monkeypatch.setattr(vaultsync.writer.batch, "BATCH_MAX_FILES", 5)  # many commits in one pass
    report = run_pass(make_vault(root), PassOptions(history=history, cache=False))
    assert len(report.changed) > 10
    assert len(list((tmp_path / "history" / "packs").iterdir())) == 1
    for page in report.changed:
        assert history.load(page, 1) == before[page.relative_to(root).as_posix()]
    assert temps(root) == []


def test_where_fsync_does_not_reach_the_disk_one_full_flush_ends_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS's path, run here by its parts: each temp file fsynced as written, then one
    F_FULLFSYNC (on a file of the batch, in its own folder) before any rename."""
    root = tmp_path / "vault"
    for folder in ("a", "b"):
        (root / folder).mkdir(parents=True)
        (root / folder / "p.md").write_bytes(b"old\n")
    flushed: list[str] = []

    def full_fsync(fd: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        assert (root / "a" / "p.md").read_bytes() == b"old\n"  # nothing renamed yet

    monkeypatch.setattr(vaultsync.writer.barrier, "_BARRIER", ("fullfsync", None))
    monkeypatch.setattr(vaultsync.writer.barrier, "_full_fsync", full_fsync)
    fsyncs: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real(fd))[1])
    outcomes: list[object] = []
    with WriteBatch(VaultGuard([root]), direct=0) as batch:
        for folder in ("a", "b"):
            page = root / folder / "p.md"
            batch.add(read_page(page), page, b"new\n", outcomes.append)
    assert outcomes == [None, None]
    assert len(flushed) == 1 and is_temp_file(flushed[0]) and Path(flushed[0]).parent == root / "b"
    assert len(fsyncs) == 2 + 2  # each temp file, then each folder
    assert (root / "a" / "p.md").read_bytes() == (root / "b" / "p.md").read_bytes() == b"new\n"


def _burst(tmp_path: Path, name: str, batch_min: str, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """A settled vault, then a burst of Readwise pages that the daemon's update cleans: what
    the vault, the history and the report hold after it, and the fsyncs the update made."""
    from vaultsync.pipeline.report import PassOptions
    from vaultsync.pipeline.session import VaultSession
    from vaultsync.vault import make_vault

    root = tmp_path / name / "vault"
    build_vault(root, random.Random(5), "logseq", pages=5)
    history = History(tmp_path / name / "history")
    session = VaultSession(make_vault(root), PassOptions(history=history, cache=False))
    session.full_pass()
    burst = tmp_path / name / "burst"
    build_vault(burst, random.Random(6), "logseq", pages=40)
    arrived = []
    for page in sorted((burst / "pages").iterdir()):
        target = root / "pages" / f"burst-{page.name}"
        target.write_bytes(page.read_bytes())
        arrived.append(target)
    monkeypatch.setenv("VAULTSYNC_BATCH_MIN", batch_min)
    fsyncs: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real(fd))[1])
    report = session.update(arrived)
    monkeypatch.setattr(os, "fsync", real)
    saved = {p.relative_to(root).as_posix(): history.load(p, 1) for p in report.changed}
    rel = {p.relative_to(root).as_posix() for p in report.changed}
    return files(root), saved, rel, len(fsyncs)


def test_a_burst_the_daemon_cleans_goes_through_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: a burst of pages after the quiet period is cleaned by one update; its writes go
    through a WriteBatch as a full pass's do (the first few one by one, at once), giving the
    vault and the history a page-by-page update gives, for a few fsyncs instead of six a page."""
    one = _burst(tmp_path, "one", "1000000", monkeypatch)  # every write one by one
    two = _burst(tmp_path, "two", "0", monkeypatch)  # every write batched
    assert one[0] == two[0]  # the same vault, author pages included
    assert one[1] == two[1] and one[2] == two[2]  # the same versions saved, for the same pages
    assert len(two[2]) >= 10
    assert temps(tmp_path / "two" / "vault") == []
    assert two[3] < one[3] / 2, (one[3], two[3])
