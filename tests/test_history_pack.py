"""History packs: the versions a batch saves go into one file with one fsync; the folders the
earlier layout made (one file and an index per page) stay readable, by the API and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import vaultsync.history.packs
from vaultsync.errors import HistoryUnavailable
from vaultsync.history import History
from vaultsync.history.files import page_folder

try:  # pytest puts tests/ on sys.path (no tests/__init__.py)
    import legacy_history
except ModuleNotFoundError:  # pragma: no cover
    from tests import legacy_history

T0 = 1_700_000_000 * 10**9


class Clock:
    def __init__(self, start: int = T0) -> None:
        self.now = start

    def __call__(self) -> int:
        self.now += 10**9
        return self.now


def packs(root: Path) -> list[Path]:
    folder = root / "packs"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def save_pass(history: History, pages: dict[Path, bytes]) -> None:
    pack = history.pack()
    for path, data in pages.items():
        pack.add(path, data)
    pack.close()


def test_a_pass_is_one_file_and_one_fsync_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History(tmp_path / "h", clock=Clock())
    pages = {tmp_path / "v" / f"p{i}.md": f"old {i}\n".encode() for i in range(100)}
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    save_pass(history, pages)
    assert len(synced) == 2  # the pack, and its folder (the first time)
    assert len(packs(history.root)) == 1
    assert [p for p in history.root.iterdir() if p.name != "packs"] == []  # no page folders
    for path, data in pages.items():
        assert [v.number for v in history.versions(path)] == [1]
        assert history.load(path, 1) == data
    assert history.pages() == sorted(pages)


def test_folders_of_the_old_layout_stay_readable(tmp_path: Path) -> None:
    """A history folder made by the code before packs: its versions are listed, loaded, and
    kept in order with the versions packs add after the upgrade."""
    root = tmp_path / "h"
    page = tmp_path / "v" / "Book.md"
    old = legacy_history.History(root, clock=Clock(T0))
    old.save(page, b"first\n")
    old.save(page, b"second\n")
    old.mark_restored(page, b"second\n")
    history = History(root, clock=Clock(T0 + 100 * 10**9))
    assert [history.load(page, v.number) for v in history.versions(page)] == [
        b"second\n",
        b"first\n",
    ]
    assert history.restored_hash(page) == old.restored_hash(page)
    save_pass(history, {page: b"third\n"})
    assert [history.load(page, v.number) for v in history.versions(page)] == [
        b"third\n",
        b"second\n",
        b"first\n",
    ]
    history.save(page, b"fourth\n")  # a daemon's single save, after the pack
    assert history.load(page, 1) == b"fourth\n"
    assert len(history.versions(page)) == 4
    assert history.pages() == [page.resolve()]


def test_the_cli_lists_and_undoes_versions_the_old_layout_saved(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / "pages").mkdir(parents=True)
    (vault / "logseq").mkdir()
    (vault / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}\n")
    page = vault / "pages" / "Book.md"
    page.write_bytes(b"cleaned\n")
    state = tmp_path / "state"
    legacy_history.History(state / "history").save(page, b"as Readwise wrote it\n")
    env = dict(os.environ, VAULTSYNC_STATE_DIR=str(state), VAULTSYNC_CONFIG=os.devnull)
    listed = subprocess.run(
        [sys.executable, "-m", "vaultsync", "history", str(page)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "1 earlier version" in listed.stdout
    undone = subprocess.run(
        [sys.executable, "-m", "vaultsync", "undo", str(page), "--version", "1"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert undone.returncode == 0, undone.stderr
    assert page.read_bytes() == b"as Readwise wrote it\n"


def test_the_same_bytes_are_not_saved_twice(tmp_path: Path) -> None:
    history = History(tmp_path / "h", clock=Clock())
    page = tmp_path / "v" / "p.md"
    history.save(page, b"a\n")
    save_pass(history, {page: b"a\n"})
    save_pass(history, {page: b"b\n"})
    save_pass(history, {page: b"b\n"})
    assert [history.load(page, v.number) for v in history.versions(page)] == [b"b\n", b"a\n"]


def test_a_record_cut_short_by_a_crash_is_ignored(tmp_path: Path) -> None:
    history = History(tmp_path / "h", clock=Clock())
    one, two = tmp_path / "v" / "one.md", tmp_path / "v" / "two.md"
    save_pass(history, {one: b"one\n" * 100, two: b"two\n" * 100})
    (pack,) = packs(history.root)
    with open(pack, "r+b") as f:
        f.truncate(pack.stat().st_size - 10)
    fresh = History(history.root)
    assert fresh.load(one, 1) == b"one\n" * 100
    assert fresh.versions(two) == []


def test_keep_versions_counts_both_layouts_and_drops_packs_no_longer_needed(
    tmp_path: Path,
) -> None:
    history = History(tmp_path / "h", keep_versions=2, clock=Clock())
    page, other = tmp_path / "v" / "p.md", tmp_path / "v" / "q.md"
    history.save(page, b"v1\n")  # the old layout's file
    save_pass(history, {page: b"v2\n", other: b"w1\n"})
    save_pass(history, {page: b"v3\n"})
    assert [history.load(page, v.number) for v in history.versions(page)] == [b"v3\n", b"v2\n"]
    assert list((page_folder(history.root, page)).glob("*.bin")) == []
    assert len(packs(history.root)) == 2  # the first still holds q's only version
    save_pass(history, {page: b"v4\n", other: b"w2\n"})
    save_pass(history, {page: b"v5\n", other: b"w3\n"})
    assert len(packs(history.root)) == 2  # the older ones hold nothing kept
    assert [history.load(other, v.number) for v in history.versions(other)] == [b"w3\n", b"w2\n"]


def test_over_the_size_limit_the_oldest_packs_go_first(tmp_path: Path) -> None:
    history = History(tmp_path / "h", max_total_bytes=5000, clock=Clock())
    for n in range(6):
        save_pass(history, {tmp_path / "v" / f"p{n}-{i}.md": bytes(1000) for i in range(2)})
    kept = packs(history.root)
    assert 1 <= len(kept) <= 3
    assert history.versions(tmp_path / "v" / "p5-0.md") != []  # the newest pass is kept
    assert history.versions(tmp_path / "v" / "p0-0.md") == []


def test_a_pack_that_cannot_be_written_names_the_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History(tmp_path / "h", clock=Clock())

    def full(*args: object, **kwargs: object) -> int:
        raise OSError(28, "No space left on device")

    pack = history.pack()
    monkeypatch.setattr(vaultsync.history.packs.os, "write", full)
    with pytest.raises(HistoryUnavailable) as err:
        pack.add(tmp_path / "v" / "p.md", b"x\n")
    assert "space" in str(err.value).lower() or "full" in str(err.value).lower()
