"""Writes held in their folder: a folder renamed or swapped for a link at any moment of a write
cannot send it (or its temp file) anywhere else; a page is never replaced by another file than
the one read; the page's extended attributes survive a rewrite; the by-path fallback (where the
platform has no dir_fd) still follows the write protocol."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vaultsync import writer
from vaultsync.errors import ChangedSinceRead, PageAppeared, UnsafePathError
from vaultsync.writer import (
    VaultGuard,
    ensure_folder,
    read_page,
    remove_page,
    write_atomic,
)

needs_dir_fd = pytest.mark.skipif(
    not writer.DIR_FD_SUPPORTED, reason="no dir_fd here: writes go by path (the fallback)"
)


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / "Readwise" / "Authors").mkdir(parents=True)
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    other = tmp_path / "outside"
    other.mkdir()
    return other


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def swap_for_link(folder: Path, outside: Path) -> Path:
    """Move `folder` aside (inside the vault) and put a link to `outside` at its name."""
    moved = folder.with_name(folder.name + "-moved")
    folder.rename(moved)
    folder.symlink_to(outside, target_is_directory=True)
    return moved


class SwapRightAfterCheck(VaultGuard):
    """The attacker's best moment for a writer by path: just after the guard said yes."""

    def __init__(self, root: Path, folder: Path, outside: Path) -> None:
        super().__init__([root])
        self.folder, self.outside, self.armed = folder, outside, True

    def check(self, path: Path) -> Path:
        real = super().check(path)
        if self.armed:
            self.armed = False
            swap_for_link(self.folder, self.outside)
        return real


# --------------------------------------------------------------------------- the vault's edge


def test_a_sibling_folder_whose_name_starts_like_the_vault_is_outside(tmp_path: Path) -> None:
    """/x/vault-evil is not inside /x/vault: the test is by path component, not by prefix."""
    root = tmp_path / "vault"
    evil = tmp_path / "vault-evil"
    root.mkdir()
    evil.mkdir()
    guard = VaultGuard([root])
    with pytest.raises(UnsafePathError, match="outside every configured vault"):
        guard.check(evil / "p.md")
    with pytest.raises(UnsafePathError):
        guard.check_folder(evil)
    with pytest.raises(UnsafePathError):
        write_atomic(guard, None, evil / "p.md", b"- x\n")
    with pytest.raises(UnsafePathError):
        ensure_folder(guard, evil / "sub")
    assert list(evil.iterdir()) == []
    assert guard.root_of(evil) is None
    assert guard.root_of(root / "a") == root.resolve()


# --------------------------------------------------------------------------- swaps mid-write


@needs_dir_fd
def test_a_folder_swapped_for_a_link_right_after_the_check_is_refused(
    vault: Path, outside: Path
) -> None:
    authors = vault / "Readwise" / "Authors"
    guard = SwapRightAfterCheck(vault, authors, outside)
    with pytest.raises(UnsafePathError, match="replaced by a symbolic link"):
        write_atomic(guard, None, authors / "Ann.md", b"- Ann\n")
    assert files_under(outside) == []
    assert files_under(authors.with_name("Authors-moved")) == []


@needs_dir_fd
def test_an_upper_folder_swapped_right_after_the_check_is_refused(
    vault: Path, outside: Path
) -> None:
    (outside / "Authors").mkdir()
    guard = SwapRightAfterCheck(vault, vault / "Readwise", outside)
    with pytest.raises(UnsafePathError):
        write_atomic(guard, None, vault / "Readwise" / "Authors" / "Ann.md", b"- Ann\n")
    assert files_under(outside) == ["Authors"]


@needs_dir_fd
def test_a_rewrite_whose_folder_is_swapped_after_the_check_is_refused(
    vault: Path, outside: Path
) -> None:
    authors = vault / "Readwise" / "Authors"
    page = authors / "Ann.md"
    page.write_bytes(b"- old\n")
    snap = read_page(page)
    (outside / "Ann.md").write_bytes(b"- old\n")
    guard = SwapRightAfterCheck(vault, authors, outside)
    with pytest.raises(UnsafePathError):
        write_atomic(guard, snap, page, b"- new\n")
    assert (outside / "Ann.md").read_bytes() == b"- old\n"
    assert files_under(outside) == ["Ann.md"]
    assert (authors.with_name("Authors-moved") / "Ann.md").read_bytes() == b"- old\n"


def swap_at_first_fsync(
    monkeypatch: pytest.MonkeyPatch, folder: Path, outside: Path, then: Callable[[], None] = list
) -> list[Path]:
    """Swap `folder` for a link while the temp file is being flushed (the folder is open)."""
    real_fsync = os.fsync
    moved: list[Path] = []

    def fsync(fd: int) -> None:
        if not moved:
            moved.append(swap_for_link(folder, outside))
            then()
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return moved


@needs_dir_fd
def test_a_folder_swapped_while_written_keeps_the_write(
    vault: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once open, the folder is where the write goes, whatever its name now is."""
    authors = vault / "Readwise" / "Authors"
    moved = swap_at_first_fsync(monkeypatch, authors, outside)
    assert write_atomic(VaultGuard([vault]), None, authors / "Ann.md", b"- Ann\n")
    assert files_under(outside) == []
    assert files_under(moved[0]) == ["Ann.md"]
    assert (moved[0] / "Ann.md").read_bytes() == b"- Ann\n"


@needs_dir_fd
def test_a_refused_write_leaves_no_temp_even_in_a_moved_folder(
    vault: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authors = vault / "Readwise" / "Authors"
    page = authors / "Ann.md"
    page.write_bytes(b"- old\n")
    snap = read_page(page)

    def editor_saves() -> None:
        (authors.with_name("Authors-moved") / "Ann.md").write_bytes(b"- edited\n")

    moved = swap_at_first_fsync(monkeypatch, authors, outside, then=editor_saves)
    with pytest.raises(ChangedSinceRead):
        write_atomic(VaultGuard([vault]), snap, page, b"- cleaned\n")
    assert files_under(outside) == []
    assert files_under(moved[0]) == ["Ann.md"]  # no temp file left
    assert (moved[0] / "Ann.md").read_bytes() == b"- edited\n"


def test_a_page_read_through_a_swapped_folder_is_not_the_one_replaced(
    vault: Path, outside: Path
) -> None:
    """Read by path while the folder was a link out; by the write, the folder is back: the file
    at the name is another file than the one read, so the write is refused."""
    authors = vault / "Readwise" / "Authors"
    (authors / "Ann.md").write_bytes(b"- in the vault\n")
    (outside / "Ann.md").write_bytes(b"- in the vault\n")
    moved = swap_for_link(authors, outside)
    snap = read_page(authors / "Ann.md")  # the file outside
    authors.unlink()
    moved.rename(authors)
    os.utime(authors / "Ann.md", ns=(snap.mtime_ns, snap.mtime_ns))  # same size, same mtime
    with pytest.raises(ChangedSinceRead):
        write_atomic(VaultGuard([vault]), snap, authors / "Ann.md", b"- cleaned\n")
    assert (authors / "Ann.md").read_bytes() == b"- in the vault\n"
    assert (outside / "Ann.md").read_bytes() == b"- in the vault\n"


def test_reading_through_the_guard_refuses_a_folder_leading_out(vault: Path, outside: Path) -> None:
    authors = vault / "Readwise" / "Authors"
    (outside / "Ann.md").write_bytes(b"- outside\n")
    swap_for_link(authors, outside)
    assert read_page(authors / "Ann.md").data == b"- outside\n"  # by path: it is followed
    with pytest.raises(UnsafePathError):
        read_page(authors / "Ann.md", guard=VaultGuard([vault]))


def test_reading_through_the_guard_gives_the_page(vault: Path) -> None:
    page = vault / "Readwise" / "Authors" / "Ann.md"
    page.write_bytes(b"- Ann\n")
    snap = read_page(page, guard=VaultGuard([vault]))
    st = os.stat(page)
    assert (snap.data, snap.ino, snap.dev, snap.path) == (b"- Ann\n", st.st_ino, st.st_dev, page)
    assert write_atomic(VaultGuard([vault]), snap, page, b"- Ann, cleaned\n")


@needs_dir_fd
def test_ensure_folder_makes_nothing_through_a_folder_swapped_after_the_check(
    vault: Path, outside: Path
) -> None:
    readwise = vault / "Readwise"
    guard = SwapRightAfterCheck(vault, readwise, outside)
    with pytest.raises(UnsafePathError):
        ensure_folder(guard, readwise / "New")
    assert files_under(outside) == []


@needs_dir_fd
def test_remove_page_removes_nothing_through_a_folder_swapped_after_the_check(
    vault: Path, outside: Path
) -> None:
    authors = vault / "Readwise" / "Authors"
    (authors / "Ann.md").write_bytes(b"- Ann\n")
    snap = read_page(authors / "Ann.md")
    (outside / "Ann.md").write_bytes(b"- Ann\n")
    with pytest.raises(UnsafePathError):
        remove_page(SwapRightAfterCheck(vault, authors, outside), snap)
    assert files_under(outside) == ["Ann.md"]


# --------------------------------------------------------------------------- extended attributes


def _set_xattr_or_skip(path: Path, name: str, value: bytes) -> None:
    if not hasattr(os, "setxattr"):
        pytest.skip("no extended attribute calls on this platform")
    try:
        os.setxattr(path, name, value)
    except OSError as err:
        if err.errno in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
            pytest.skip(f"this file system keeps no {name.split('.')[0]} attributes")
        raise


def test_extended_attributes_survive_a_rewrite(vault: Path) -> None:
    page = vault / "Readwise" / "Authors" / "Ann.md"
    page.write_bytes(b"- old\n")
    os.chmod(page, 0o640)
    _set_xattr_or_skip(page, "user.tags", b"reading,2024")
    _set_xattr_or_skip(page, "user.empty", b"")
    assert write_atomic(VaultGuard([vault]), read_page(page), page, b"- new\n")
    assert page.read_bytes() == b"- new\n"
    assert os.getxattr(page, "user.tags") == b"reading,2024"
    assert os.getxattr(page, "user.empty") == b""
    assert os.stat(page).st_mode & 0o777 == 0o640


def test_an_attribute_that_cannot_be_set_does_not_stop_the_rewrite(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = vault / "Readwise" / "Authors" / "Ann.md"
    page.write_bytes(b"- old\n")
    _set_xattr_or_skip(page, "user.kept", b"1")
    _set_xattr_or_skip(page, "user.refused", b"2")
    real_setxattr = os.setxattr

    def setxattr(target: Any, name: str, *args: Any, **kwargs: Any) -> None:
        if name == "user.refused":
            raise PermissionError(errno.EPERM, "Operation not permitted")
        real_setxattr(target, name, *args, **kwargs)

    monkeypatch.setattr(os, "setxattr", setxattr)
    assert write_atomic(VaultGuard([vault]), read_page(page), page, b"- new\n")
    assert os.listxattr(page) == ["user.kept"]


# --------------------------------------------------------------------------- the fallback


@pytest.fixture
def by_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer.folders, "DIR_FD_SUPPORTED", False)


@pytest.mark.usefixtures("by_path")
def test_the_fallback_creates_rewrites_and_removes(vault: Path) -> None:
    guard = VaultGuard([vault])
    page = vault / "Readwise" / "Authors" / "Ann.md"
    assert write_atomic(guard, None, page, b"- one\n")
    with pytest.raises(PageAppeared):
        write_atomic(guard, None, page, b"- two\n")
    snap = read_page(page, guard=guard)
    assert write_atomic(guard, snap, page, b"- two\n")
    with pytest.raises(ChangedSinceRead):
        write_atomic(guard, snap, page, b"- three\n")
    remove_page(guard, read_page(page))
    assert files_under(vault / "Readwise" / "Authors") == []
    assert ensure_folder(guard, vault / "a" / "b").is_dir()


@pytest.mark.usefixtures("by_path")
def test_the_fallback_still_refuses_a_folder_leading_out(vault: Path, outside: Path) -> None:
    authors = vault / "Readwise" / "Authors"
    swap_for_link(authors, outside)
    with pytest.raises(UnsafePathError):
        write_atomic(VaultGuard([vault]), None, authors / "Ann.md", b"- Ann\n")
    assert files_under(outside) == []


@needs_dir_fd
def test_a_link_put_at_the_page_after_the_check_is_a_change_when_read_through_the_guard(
    vault: Path, outside: Path
) -> None:
    page = vault / "Readwise" / "Authors" / "Ann.md"
    page.write_bytes(b"- Ann\n")
    (outside / "Ann.md").write_bytes(b"- outside\n")

    class LinkAfterCheck(VaultGuard):
        def check(self, path: Path) -> Path:
            real = super().check(path)
            page.unlink()
            page.symlink_to(outside / "Ann.md")
            return real

    with pytest.raises(ChangedSinceRead):
        read_page(page, guard=LinkAfterCheck([vault]))
