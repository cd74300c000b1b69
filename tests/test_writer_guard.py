"""VaultGuard's quick path (an lstat per path component instead of realpath) never trusts an
answer from an earlier write: whatever changed since, the next check sees it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.errors import UnsafePathError
from vaultsync.writer import VaultGuard, ensure_folder, read_page, write_atomic

try:  # pytest puts tests/ on sys.path (no tests/__init__.py)
    from hypo_profiles import scaled
except ModuleNotFoundError:  # pragma: no cover
    from tests.hypo_profiles import scaled


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "home" / "vault"
    (root / "pages").mkdir(parents=True)
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    other = tmp_path / "outside"
    other.mkdir()
    return other


def refused(guard: VaultGuard, path: Path) -> str:
    with pytest.raises(UnsafePathError) as info:
        guard.check(path)
    return info.value.detail().removeprefix("refused to write: ")


def test_a_proven_folder_swapped_for_a_link_out_is_refused_at_the_next_write(
    vault: Path, outside: Path
) -> None:
    guard = VaultGuard([vault])
    pages = vault / "pages"
    assert write_atomic(guard, None, pages / "one.md", b"- one\n")
    pages.rename(vault / "old-pages")
    pages.symlink_to(outside, target_is_directory=True)
    assert "symbolic link" in refused(guard, pages / "two.md")
    with pytest.raises(UnsafePathError):
        write_atomic(guard, None, pages / "two.md", b"- two\n")
    assert list(outside.iterdir()) == []


def test_a_folder_moved_out_and_linked_back_is_refused(vault: Path, outside: Path) -> None:
    """The moved folder keeps its inode: only a look at every level catches the link."""
    guard = VaultGuard([vault])
    deep = vault / "pages" / "deep"
    deep.mkdir()
    page = deep / "p.md"
    assert write_atomic(guard, None, page, b"- a\n")
    snap = read_page(page)
    (vault / "pages").rename(outside / "pages")
    (vault / "pages").symlink_to(outside / "pages", target_is_directory=True)
    assert read_page(page).ino == snap.ino  # the same file, now outside
    assert "outside every vault" in refused(guard, page)
    with pytest.raises(UnsafePathError):
        write_atomic(guard, snap, page, b"- changed\n")
    assert (outside / "pages" / "deep" / "p.md").read_bytes() == b"- a\n"
    with pytest.raises(UnsafePathError):
        guard.check_folder(deep)
    with pytest.raises(UnsafePathError):
        ensure_folder(guard, deep / "new")
    assert not (outside / "pages" / "deep" / "new").exists()


def test_an_ancestor_of_the_vault_swapped_for_a_link_is_refused(
    tmp_path: Path, vault: Path, outside: Path
) -> None:
    guard = VaultGuard([vault])
    assert write_atomic(guard, None, vault / "pages" / "one.md", b"- one\n")
    (outside / "vault" / "pages").mkdir(parents=True)
    home = tmp_path / "home"
    home.rename(tmp_path / "home-was")
    home.symlink_to(outside, target_is_directory=True)  # .../home/vault now lands outside
    assert "outside every vault" in refused(guard, vault / "pages" / "two.md")
    assert list((outside / "vault" / "pages").iterdir()) == []


def test_a_page_swapped_for_a_link_between_writes_is_refused(vault: Path, outside: Path) -> None:
    guard = VaultGuard([vault])
    page = vault / "pages" / "p.md"
    assert write_atomic(guard, None, page, b"- a\n")
    snap = read_page(page)
    page.unlink()
    (outside / "secret.md").write_bytes(b"keep")
    page.symlink_to(outside / "secret.md")
    with pytest.raises(UnsafePathError):
        write_atomic(guard, snap, page, b"- b\n")
    assert (outside / "secret.md").read_bytes() == b"keep"


def test_a_link_that_stays_inside_is_still_resolved(vault: Path) -> None:
    guard = VaultGuard([vault])
    (vault / "alias").symlink_to(vault / "pages", target_is_directory=True)
    assert guard.check(vault / "alias" / "p.md") == vault / "pages" / "p.md"
    assert guard.check_folder(vault / "alias") == vault / "pages"


def test_unnormalized_and_relative_paths_take_the_full_check(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard = VaultGuard([vault])
    assert guard.check(vault / "pages" / ".." / "pages" / "p.md") == vault / "pages" / "p.md"
    assert "outside" in refused(guard, vault / "pages" / ".." / ".." / "p.md")
    monkeypatch.chdir(vault)
    assert guard.check(Path("pages") / "p.md") == vault / "pages" / "p.md"
    assert guard.check_folder(Path("pages")) == vault / "pages"


# A small tree with links in and out of the vault; every path checked the quick way must get the
# answer of the full resolution (the guard before the quick path): the same real path, or a refusal.

FOLDERS = ["", "a", "b", "a/b", "b/a"]
LINKS = {"in": "vault/b", "out": "out", "up": "", "loop": "vault/a/loop"}


def reference(root: Path, path: Path) -> Path | None:
    """The guard's answer by realpath alone; None for a refusal."""
    try:
        folder = path.parent.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not folder.is_dir() or not folder.is_relative_to(Path(os.path.realpath(root))):
        return None
    real = folder / path.name
    return None if real.is_symlink() else real


@scaled(300, deadline=None)
@given(
    links=st.sets(st.tuples(st.sampled_from(FOLDERS), st.sampled_from(sorted(LINKS))), min_size=4),
    path=st.lists(
        st.sampled_from(["a", "b", "in", "out", "up", "loop", "vault", "..", "file.md"]),
        min_size=1,
        max_size=5,
    ),
)
def test_property_the_quick_path_agrees_with_the_full_resolution(
    links: set[tuple[str, str]], path: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(os.path.realpath(tmp))
        root = base / "vault"
        for top in (root, base / "out"):  # the same folders and pages in and out of the vault
            for folder in FOLDERS:
                (top / folder).mkdir(parents=True, exist_ok=True)
                (top / folder / "file.md").write_bytes(b"x")
        for folder, kind in sorted(links):
            link = root / folder / kind
            if not os.path.lexists(link):
                link.symlink_to(base / LINKS[kind], target_is_directory=True)
        target = root.joinpath(*path)
        try:
            got: Path | None = VaultGuard([root]).check(target)
        except UnsafePathError:
            got = None
        if path[-1] == "..":  # refused by its name, wherever it is
            assert got is None
        else:
            assert got == reference(root, target)
