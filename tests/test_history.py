"""Previous versions: saved before each rewrite, pruned, given back, kept private."""

from __future__ import annotations

import ast
import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.errors import HistoryError, HistoryUnavailable, NoHistory, NoSuchVersion
from vaultsync.history import History

try:  # pytest puts tests/ on sys.path (no tests/__init__.py)
    from hypo_profiles import scaled
except ModuleNotFoundError:  # pragma: no cover
    from tests.hypo_profiles import scaled

T0 = 1_700_000_000 * 10**9  # 2023-11-14T22:13:20Z


class FakeClock:
    """Nanoseconds that advance one second per call, unless told otherwise."""

    def __init__(self, start: int = T0, step: int = 10**9) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> int:
        now = self.now
        self.now += self.step
        return now


@pytest.fixture
def page(tmp_path: Path) -> Path:
    return tmp_path / "vault" / "Readwise" / "Book.md"


def make(tmp_path: Path, **kwargs: Any) -> History:
    return History(tmp_path / "state" / "history", clock=FakeClock(), **kwargs)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(root: Path) -> Iterator[Path]:
    for folder, _, names in os.walk(root):
        for name in names:
            yield Path(folder, name)


def test_round_trip(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path)
    history.save(page, b"first")
    history.save(page, b"second!")

    versions = history.versions(page)
    assert [v.number for v in versions] == [1, 2]
    assert [v.size for v in versions] == [7, 5]
    assert [v.sha256 for v in versions] == [sha(b"second!"), sha(b"first")]
    assert versions[1].saved_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert versions[0].saved_at == datetime(2023, 11, 14, 22, 13, 21, tzinfo=UTC)
    assert history.load(page, 1) == b"second!"
    assert history.load(page, 2) == b"first"


def test_a_new_instance_sees_what_was_saved(tmp_path: Path, page: Path) -> None:
    make(tmp_path).save(page, b"kept")
    again = make(tmp_path)
    assert again.load(page, 1) == b"kept"
    assert again.pages() == [page.resolve()]


def test_pages_are_keyed_by_their_real_path(tmp_path: Path, page: Path) -> None:
    page.parent.mkdir(parents=True)
    alias = tmp_path / "alias"
    alias.symlink_to(tmp_path / "vault", target_is_directory=True)
    history = make(tmp_path)
    history.save(alias / "Readwise" / "Book.md", b"via the link")
    assert history.load(page, 1) == b"via the link"
    assert history.pages() == [page.resolve()]


def test_identical_consecutive_saves_are_stored_once(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path)
    history.save(page, b"A")
    history.save(page, b"A")
    assert len(history.versions(page)) == 1
    history.save(page, b"B")
    history.save(page, b"A")  # not identical to the newest: a real step back
    assert [history.load(page, n) for n in (1, 2, 3)] == [b"A", b"B", b"A"]


def test_pages_do_not_share_versions(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path)
    other = page.with_name("Other.md")
    history.save(page, b"one")
    history.save(other, b"two")
    assert history.load(page, 1) == b"one"
    assert history.load(other, 1) == b"two"
    assert history.pages() == sorted([page.resolve(), other.resolve()])


def test_prune_by_count(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path, keep_versions=3)
    for i in range(6):
        history.save(page, f"v{i}".encode())
    assert [history.load(page, n) for n in (1, 2, 3)] == [b"v5", b"v4", b"v3"]
    assert len(history.versions(page)) == 3
    assert len(list(files_under(history.root))) == 3 + 1  # versions + page.json


def test_prune_by_total_size_removes_the_oldest_of_any_page(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path, max_total_bytes=100)
    other = page.with_name("Other.md")
    history.save(page, b"a" * 40)  # oldest
    history.save(other, b"b" * 40)
    history.save(page, b"c" * 40)  # 120 bytes: the oldest goes

    assert [v.size for v in history.versions(page)] == [40]
    assert history.load(page, 1) == b"c" * 40
    assert history.load(other, 1) == b"b" * 40


def test_the_version_just_saved_is_kept_even_if_too_big(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path, max_total_bytes=10)
    other = page.with_name("Other.md")
    history.save(other, b"small")
    history.save(page, b"x" * 50)
    assert history.load(page, 1) == b"x" * 50
    assert history.versions(other) == []
    assert history.pages() == [page.resolve()]  # the emptied page's folder is gone


def test_keep_versions_zero_saves_nothing(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path, keep_versions=0)
    history.save(page, b"anything")
    assert history.versions(page) == []
    assert list(files_under(history.root)) == []


def test_negative_limits_are_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make(tmp_path, keep_versions=-1)


def test_folders_are_private(tmp_path: Path, page: Path) -> None:
    old_umask = os.umask(0)  # even a permissive umask must not open them up
    try:
        history = History(tmp_path / "state" / "deep" / "history")
        history.save(page, b"private notes")
    finally:
        os.umask(old_umask)
    for folder in (tmp_path / "state", tmp_path / "state" / "deep", history.root):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
    for path in files_under(history.root):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_an_existing_root_is_made_private(tmp_path: Path) -> None:
    root = tmp_path / "history"
    root.mkdir(mode=0o755)
    History(root)
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700


def test_no_history_error_says_why(tmp_path: Path, page: Path) -> None:
    with pytest.raises(NoHistory) as info:
        make(tmp_path).load(page, 1)
    assert str(info.value) == (
        f"no history for {page}; vaultsync keeps a copy before each rewrite, "
        "none was made for this page"
    )


@pytest.mark.parametrize("number", [0, 3, -1])
def test_no_such_version_error_says_what_exists(tmp_path: Path, page: Path, number: int) -> None:
    history = make(tmp_path)
    history.save(page, b"1")
    history.save(page, b"2")
    with pytest.raises(NoSuchVersion) as info:
        history.load(page, number)
    assert f"no version {number}" in str(info.value)
    assert "1 (newest) to 2" in str(info.value)
    assert isinstance(info.value, HistoryError)


def test_a_damaged_copy_is_reported_not_returned(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path)
    history.save(page, b"good bytes")
    (stored,) = [p for p in files_under(history.root) if p.suffix == ".bin"]
    stored.write_bytes(b"bad bytes!")
    with pytest.raises(HistoryUnavailable, match="damaged"):
        history.load(page, 1)


def test_a_failing_save_is_clear_and_keeps_older_versions(
    tmp_path: Path, page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = make(tmp_path)
    history.save(page, b"older")

    def full(src: Any, dst: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(HistoryUnavailable) as info:
        history.save(page, b"newer")
    assert "disk is full" in str(info.value) and str(page) in str(info.value)
    monkeypatch.undo()
    assert history.load(page, 1) == b"older"
    assert [p for p in files_under(history.root) if ".vaultsync-" in p.name] == []


def test_an_unusable_root_is_clear(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_bytes(b"a file where the folder should be")
    with pytest.raises(HistoryUnavailable, match="cannot create it"):
        History(blocker / "history")


def test_a_damaged_index_does_not_break_history(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path)
    history.save(page, b"one")
    (index,) = [p for p in files_under(history.root) if p.name == "page.json"]
    index.write_text("{not json", encoding="utf-8")
    assert history.restored_hash(page) is None
    history.save(page, b"two")  # rewrites the index
    assert history.pages() == [page.resolve()]
    assert history.load(page, 2) == b"one"


def test_a_clock_that_stands_still_keeps_the_order(tmp_path: Path, page: Path) -> None:
    history = History(tmp_path / "history", clock=FakeClock(step=0))
    for data in (b"a", b"b", b"c"):
        history.save(page, data)
    assert [history.load(page, n) for n in (1, 2, 3)] == [b"c", b"b", b"a"]


def test_restored_hash(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path)
    assert history.restored_hash(page) is None
    history.save(page, b"v1")
    history.mark_restored(page, b"v1")
    assert history.restored_hash(page) == sha(b"v1")
    assert make(tmp_path).restored_hash(page) == sha(b"v1")  # survives a restart
    history.save(page, b"v2")
    assert history.restored_hash(page) == sha(b"v1")
    history.mark_restored(page, b"v2")
    assert history.restored_hash(page) == sha(b"v2")


def test_restored_mark_works_without_versions(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path, keep_versions=0)
    history.mark_restored(page, b"restored")
    assert history.restored_hash(page) == sha(b"restored")
    assert history.pages() == []


def test_restored_mark_survives_pruning(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path, max_total_bytes=5)
    history.save(page, b"12345")
    history.mark_restored(page, b"12345")
    history.save(page.with_name("Other.md"), b"67890")
    assert history.versions(page) == []
    assert history.restored_hash(page) == sha(b"12345")


def test_a_hold_lapses_when_the_page_changes_and_is_released(tmp_path: Path, page: Path) -> None:
    page.parent.mkdir(parents=True)
    page.write_bytes(b"restored")
    history = make(tmp_path)
    history.save(page, b"cleaned")
    assert not history.is_held(page)
    history.mark_restored(page, b"restored")
    assert history.is_held(page) and history.is_held(page, b"restored")
    assert not history.is_held(page, b"edited since")
    assert history.release(page) and not history.is_held(page)
    assert not history.release(page)  # twice: nothing to release
    assert history.versions(page)  # the versions stay


def test_a_released_hold_without_versions_leaves_nothing_behind(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path, max_total_bytes=5)
    history.save(page, b"12345")
    history.mark_restored(page, b"12345")
    history.save(page.with_name("Other.md"), b"67890")  # prunes the page's only version
    assert [e.path for e in history.entries()] == sorted([page, page.with_name("Other.md")])
    assert history.release(page)
    assert [e.path for e in history.entries()] == [page.with_name("Other.md")]


def test_a_hold_is_announced_once_per_undo(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path)
    assert not history.announce_hold(page)  # not held
    history.mark_restored(page, b"one")
    assert history.announce_hold(page)
    assert not history.announce_hold(page)
    assert not make(tmp_path).announce_hold(page)  # persisted: not again after a restart
    history.mark_restored(page, b"two")  # another undo: news again
    assert history.announce_hold(page)


def test_entries_say_versions_newest_and_hold(tmp_path: Path, page: Path) -> None:
    history = make(tmp_path)
    assert history.entries() == []
    history.save(page, b"v1")
    history.save(page, b"v2")
    (entry,) = history.entries()
    assert (entry.path, entry.count, entry.restored_sha256) == (page, 2, None)
    assert entry.newest == history.versions(page)[0].saved_at


def test_find_a_page_as_a_user_names_it(tmp_path: Path) -> None:
    pages = tmp_path / "graph" / "pages"
    pages.mkdir(parents=True)
    titled = pages / "a file.md"
    titled.write_bytes(b"title:: Deep Work / Notes\nauthor:: [[X]]\n\n- text\n")
    lowbar = pages / "Books___Re%3Aname (highlights).md"
    deleted = tmp_path / "vault" / "Readwise" / "Books" / "Renée's Book.md"
    history = make(tmp_path)
    for path in (titled, lowbar, deleted):
        history.save(path, b"old")
    assert history.find("deep work / notes") == [titled]
    assert history.find("A FILE") == [titled]
    assert history.find("books/re:name (highlights)") == [lowbar]
    assert history.find("RENÉE'S  BOOK") == [deleted]  # case, form, doubled space ignored
    assert history.find("Books/Renée's Book.md") == [deleted]  # the end of its path
    assert history.find("nothing like it") == []


def test_a_history_that_may_not_create_creates_nothing(tmp_path: Path, page: Path) -> None:
    root = tmp_path / "state" / "history"
    history = History(root, create=False)
    assert not root.exists()
    assert history.entries() == [] and history.versions(page) == []
    assert not history.is_held(page, b"x")
    assert not root.exists()


@scaled(30, deadline=None)
@given(
    saves=st.lists(st.sampled_from([b"a", b"b", b"cc", b""]), max_size=12),
    keep=st.integers(min_value=0, max_value=4),
)
def test_property_history_matches_a_model(saves: list[bytes], keep: int) -> None:
    model: list[bytes] = []
    for data in saves:
        if keep and (not model or model[-1] != data):
            model.append(data)
    expected = list(reversed(model[-keep:])) if keep else []
    with tempfile.TemporaryDirectory() as tmp:
        history = History(Path(tmp) / "history", keep_versions=keep, clock=FakeClock())
        page = Path(tmp) / "p.md"
        for data in saves:
            history.save(page, data)
        assert [history.load(page, v.number) for v in history.versions(page)] == expected


def test_undo_restores_holds_and_keeps_what_it_replaced(tmp_path: Path, page: Path) -> None:
    """history.undo is the whole of `vaultsync undo` but the printing: a dry run writes
    nothing; a restore marks the hold, keeps the bytes it replaced, and writes the version."""
    from vaultsync.history import undo

    history = make(tmp_path)
    page.parent.mkdir(parents=True)
    page.write_bytes(b"cleaned")
    history.save(page, b"original")
    state = tmp_path / "state"

    def root() -> Path:
        return page.parent.parent

    dry = undo(history, page, 1, root, state, dry_run=True)
    assert (dry.size, dry.sha256) == (8, hashlib.sha256(b"original").hexdigest())
    assert page.read_bytes() == b"cleaned" and not history.is_held(page, b"original")
    assert undo(history, page, 1, root, state) == dry
    assert page.read_bytes() == b"original"
    assert history.is_held(page, b"original")
    assert history.load(page, 1) == b"cleaned"  # the undo itself can be undone


def test_undo_names_a_missing_version_before_asking_for_the_vault(
    tmp_path: Path, page: Path
) -> None:
    from vaultsync.history import undo

    history = make(tmp_path)
    history.save(page, b"original")

    def no_vault() -> Path:
        raise AssertionError("asked for the vault of a version that does not exist")

    with pytest.raises(NoSuchVersion):
        undo(history, page, 2, no_vault, tmp_path / "state")


# ------------------------------------------------------------------ the package's shape (#14)

HISTORY_PACKAGE = Path(__file__).resolve().parent.parent / "daemon" / "vaultsync" / "history"


def test_the_names_callers_use_are_reexported_by_the_package() -> None:
    import vaultsync.history as package

    for name in ("History", "HistoryPack", "PageHistory", "Version", "Restored", "undo",
                 "held_after_undo", "RECOUNT_EVERY"):  # fmt: skip
        assert getattr(package, name) is not None, name
    assert callable(package.undo)  # the function, not the module that holds it


def test_each_history_module_is_small_and_says_its_job() -> None:
    for path in sorted(HISTORY_PACKAGE.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert len(source.splitlines()) <= 400, path.name
        assert ast.get_docstring(ast.parse(source)), path.name
