"""The settled vault's stat snapshot (issue 16): a pass over a vault found exactly as the last
settled pass left it looks up no page's row; any page whose stat differs (size, mtime, inode),
any page added or removed, a young mtime or a damaged snapshot sends the pass the usual way,
with the same results as a pass without a cache."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

import vaultsync.pipeline.store as store
from test_state import Clock, Counter, build, cache_file, put, run, summary
from vaultsync.pipeline.report import PassOptions
from vaultsync.pipeline.session import VaultSession
from vaultsync.state import StateCache
from vaultsync.vault import make_vault


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(store, "now_ns", c)
    return c


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Counter:
    return Counter(monkeypatch)


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pages whose row a walk looked up one by one (StateCache.fresh_row)."""
    asked: list[str] = []
    fresh_row = StateCache.fresh_row

    def counted(self: StateCache, rel: str, *a: object) -> tuple | None:
        asked.append(rel)
        return fresh_row(self, rel, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(StateCache, "fresh_row", counted)
    return asked


def settle(root: Path, state_dir: Path, clock: Clock) -> None:
    for _ in range(3):  # cleaned, author pages read back, settled
        clock.later()
        run(root, state_dir)


def twins(tmp_path: Path, app: str, clock: Clock) -> tuple[Path, Path, Path]:
    """A settled vault and its copy without a cache (settled too), and the state folder."""
    a, b, state_dir = tmp_path / "cached", tmp_path / "plain", tmp_path / "state"
    build(a, app, seed=21)
    settle(a, state_dir, clock)
    shutil.copytree(a, b)
    run(b, None)
    return a, b, state_dir


def snapshot(state_dir: Path, root: Path) -> str | None:
    with sqlite3.connect(cache_file(state_dir, root)) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'snapshot'").fetchone()
    return None if row is None else row[0]


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_a_settled_vault_is_known_from_its_stat_snapshot_alone(
    tmp_path: Path, app: str, clock: Clock, counter: Counter, lookups: list[str]
) -> None:
    a, b, state_dir = twins(tmp_path, app, clock)
    assert snapshot(state_dir, a)
    counter.reset()
    lookups.clear()
    clock.later()
    got = run(a, state_dir)
    assert lookups == [] and counter.reads == [] and counter.normalized == 0
    assert summary(got) == summary(run(b, None)) and not got.any_change


def _edit(page: Path) -> None:
    put(page, page.read_bytes().replace(b"- ", b"- x ", 1))


def _same_stat_other_file(page: Path) -> None:
    """Other bytes of the same size and mtime, in a new file (another inode)."""
    st = page.stat()
    data = page.read_bytes()
    other = page.with_name(page.name + ".new")
    other.write_bytes(data.replace(b"- ", b"-\t", 1))
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, page)


def _touch(page: Path) -> None:
    st = page.stat()
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def _remove(page: Path) -> None:
    page.unlink()


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
@pytest.mark.parametrize("change", [_edit, _same_stat_other_file, _touch, _remove])
def test_a_page_whose_stat_differs_is_looked_at_and_the_pass_matches_an_uncached_one(
    tmp_path: Path, app: str, change, clock: Clock, counter: Counter
) -> None:
    a, b, state_dir = twins(tmp_path, app, clock)
    page = sorted(p for p in a.rglob("Source *.md"))[3]
    change(page)
    twin = b / page.relative_to(a)
    if change is _same_stat_other_file:
        shutil.copy2(page, twin)  # (the same bytes in the uncached copy)
    else:
        change(twin)
    counter.reset()
    clock.later()
    got = run(a, state_dir)
    if change is not _remove:
        assert page in counter.reads  # read again: its row no longer vouches for it
    assert summary(got) == summary(run(b, None))


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_a_page_added_is_read(tmp_path: Path, app: str, clock: Clock, counter: Counter) -> None:
    a, b, state_dir = twins(tmp_path, app, clock)
    source = sorted(p for p in a.rglob("Source *.md"))[0]
    for root in (a, b):
        shutil.copy2(source, (root / source.relative_to(a)).with_name("Added.md"))
    counter.reset()
    clock.later()
    got = run(a, state_dir)
    assert source.with_name("Added.md") in counter.reads
    assert summary(got) == summary(run(b, None))


def test_a_young_mtime_leaves_no_snapshot_and_the_page_is_read_again(
    tmp_path: Path, clock: Clock, counter: Counter
) -> None:
    """A row recorded within the racy window of its page's mtime cannot vouch for the bytes:
    no snapshot is made from it, and the next pass reads that page again."""
    a, _b, state_dir = twins(tmp_path, "logseq", clock)
    note = a / "journals" / "note 0.md"
    clock.later()
    young = clock() + 10**9  # (newer than the pass's clock: within the racy window)
    note.write_bytes(note.read_bytes() + b"- more\n")
    os.utime(note, ns=(young, young))
    run(a, state_dir)
    run(a, state_dir)  # settled again, with the young row
    assert snapshot(state_dir, a) == ""
    counter.reset()
    run(a, state_dir)
    assert note in counter.reads


@pytest.mark.parametrize("damage", ["garbage", "0" * 32 + ":1", ""])
def test_a_damaged_or_foreign_snapshot_only_sends_the_walk_the_usual_way(
    tmp_path: Path, damage: str, clock: Clock, counter: Counter, lookups: list[str]
) -> None:
    a, b, state_dir = twins(tmp_path, "obsidian", clock)
    with sqlite3.connect(cache_file(state_dir, a)) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'snapshot'", (damage,))
    counter.reset()
    clock.later()
    got = run(a, state_dir)
    assert lookups and counter.reads == []  # every row looked up, and fresh
    assert summary(got) == summary(run(b, None))


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_the_names_a_settled_walk_leaves_to_the_rows_are_those_a_walk_finds(
    tmp_path: Path, app: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon's start-up pass over a settled vault: its name index and references, filled
    from the rows after the walk, are what looking up each page's row gives."""
    a, _b, state_dir = twins(tmp_path, app, clock)

    def start_up() -> tuple[list[str], set[str], list[str]]:
        clock.later()
        session = VaultSession(make_vault(a), PassOptions(state_dir=state_dir))
        session.full_pass()
        index = session.index
        return sorted(index.names), set(index.referenced_ids), sorted(map(str, index.managed))

    fast = start_up()
    monkeypatch.setattr(StateCache, "same_as_settled", lambda *a: False)
    assert start_up() == fast and fast[0]
