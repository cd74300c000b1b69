"""The write protocol: polite (no-op when unchanged), atomic, never over a change, in the vault."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from vaultsync import writer
from vaultsync.errors import (
    ChangedSinceRead,
    HistoryUnavailable,
    PageAppeared,
    PageUnreadable,
    PageVanished,
    UnsafePathError,
    VaultsyncError,
    WriteFailed,
)
from vaultsync.history import History
from vaultsync.writer import (
    Snapshot,
    VaultGuard,
    cleanup_temp_files,
    ensure_folder,
    is_temp_file,
    read_page,
    remove_page,
    write_atomic,
)

try:  # pytest puts tests/ on sys.path (no tests/__init__.py)
    from hypo_profiles import scaled
except ModuleNotFoundError:  # pragma: no cover
    from tests.hypo_profiles import scaled

OLD_NS = 1_600_000_000_123_456_789  # a fixed past mtime, so "now" always differs from it
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    other = tmp_path / "outside"
    other.mkdir()
    return other


@pytest.fixture
def guard(vault: Path) -> VaultGuard:
    return VaultGuard([vault])


def make_page(path: Path, data: bytes, mode: int | None = None) -> Path:
    path.write_bytes(data)
    if mode is not None:
        os.chmod(path, mode)
    os.utime(path, ns=(OLD_NS, OLD_NS))
    return path


def temps_in(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if ".vaultsync-" in n)


def fail_with(
    err: OSError, when: Callable[..., bool], real: Callable[..., Any]
) -> Callable[..., Any]:
    """Wrap `real` so that it raises `err` for the calls `when` picks."""

    def fake(*args: Any, **kwargs: Any) -> Any:
        if when(*args):
            raise err
        return real(*args, **kwargs)

    return fake


# --------------------------------------------------------------------------- polite and atomic


def test_unchanged_bytes_are_not_written_and_mtime_stays(vault: Path, guard: VaultGuard) -> None:
    page = make_page(vault / "page.md", b"- same\n")
    before = os.stat(page)
    snap = read_page(page)

    assert write_atomic(guard, snap, page, b"- same\n") is False

    after = os.stat(page)
    assert after.st_mtime_ns == before.st_mtime_ns == OLD_NS
    assert after.st_ino == before.st_ino
    assert temps_in(vault) == []


def test_changed_bytes_replace_the_page_and_keep_its_mode(vault: Path, guard: VaultGuard) -> None:
    page = make_page(vault / "page.md", b"old\r\n", mode=0o640)
    snap = read_page(page)

    assert write_atomic(guard, snap, page, b"new\r\n") is True

    assert page.read_bytes() == b"new\r\n"
    assert stat.S_IMODE(os.stat(page).st_mode) == 0o640
    assert temps_in(vault) == []


def test_new_page_is_created_with_umask_mode(vault: Path, guard: VaultGuard) -> None:
    page = vault / "new.md"
    old_umask = os.umask(0o027)
    try:
        assert write_atomic(guard, None, page, b"hello") is True
    finally:
        os.umask(old_umask)
    assert page.read_bytes() == b"hello"
    assert stat.S_IMODE(os.stat(page).st_mode) == 0o640  # 0o644 & ~0o027
    assert temps_in(vault) == []


def test_the_temp_file_is_hidden_and_recognised(
    vault: Path, guard: VaultGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page(vault / "page.md", b"old")
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any, **kwargs: Any) -> None:
        seen.append(os.path.basename(src))
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", spy)
    write_atomic(guard, read_page(page), page, b"new")

    assert len(seen) == 1
    assert seen[0].startswith(".page.md.vaultsync-")
    assert is_temp_file(seen[0]) and is_temp_file(vault / seen[0])


def test_a_255_byte_name_can_be_written(vault: Path, guard: VaultGuard) -> None:
    # The temp name is longer than the page's; it must be shortened, not fail.
    name = "é" * 125 + "xy.md"
    assert len(name.encode()) == 255
    page = make_page(vault / name, b"old")
    assert write_atomic(guard, read_page(page), page, b"new") is True
    assert page.read_bytes() == b"new"


@scaled(40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=st.binary(max_size=3000), new=st.binary(max_size=3000))
def test_property_result_is_exactly_the_new_bytes(old: bytes, new: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        page = make_page(root / "p.md", old)
        wrote = write_atomic(VaultGuard([root]), read_page(page), page, new)
        assert wrote is (old != new)
        assert page.read_bytes() == new
        assert os.listdir(root) == ["p.md"]


# --------------------------------------------------------------------------- changed since read


def test_content_written_after_the_read_is_never_overwritten(
    vault: Path, guard: VaultGuard
) -> None:
    page = make_page(vault / "page.md", b"as read")
    snap = read_page(page)
    page.write_bytes(b"user typed")  # same size, new mtime

    with pytest.raises(ChangedSinceRead):
        write_atomic(guard, snap, page, b"cleaned")
    assert page.read_bytes() == b"user typed"
    assert temps_in(vault) == []


def test_a_touched_mtime_counts_as_a_change(vault: Path, guard: VaultGuard) -> None:
    page = make_page(vault / "page.md", b"as read")
    snap = read_page(page)
    os.utime(page, ns=(OLD_NS + 1, OLD_NS + 1))

    with pytest.raises(ChangedSinceRead):
        write_atomic(guard, snap, page, b"cleaned")
    assert page.read_bytes() == b"as read"


def test_a_page_replaced_by_rename_counts_as_a_change(vault: Path, guard: VaultGuard) -> None:
    page = make_page(vault / "page.md", b"as read")
    snap = read_page(page)
    other = make_page(vault / "other", b"as read")  # same size, same mtime, other inode
    os.replace(other, page)

    with pytest.raises(ChangedSinceRead):
        write_atomic(guard, snap, page, b"cleaned")


def test_a_page_deleted_after_the_read_is_not_recreated(vault: Path, guard: VaultGuard) -> None:
    page = make_page(vault / "page.md", b"as read")
    snap = read_page(page)
    page.unlink()

    with pytest.raises(ChangedSinceRead):
        write_atomic(guard, snap, page, b"cleaned")
    assert not page.exists()


def test_a_change_during_the_temp_write_is_caught_by_the_last_check(
    vault: Path, guard: VaultGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page(vault / "page.md", b"as read")
    snap = read_page(page)
    real_fsync = os.fsync

    def editor_saves_meanwhile(fd: int) -> None:
        real_fsync(fd)
        if page.read_bytes() == b"as read":
            page.write_bytes(b"typed!!")

    monkeypatch.setattr(os, "fsync", editor_saves_meanwhile)
    with pytest.raises(ChangedSinceRead):
        write_atomic(guard, snap, page, b"cleaned")
    assert page.read_bytes() == b"typed!!"
    assert temps_in(vault) == []


def test_creating_refuses_when_the_file_exists(vault: Path, guard: VaultGuard) -> None:
    page = make_page(vault / "Author.md", b"mine")
    with pytest.raises(PageAppeared) as info:
        write_atomic(guard, None, page, b"generated")
    assert isinstance(info.value, ChangedSinceRead)
    assert "appeared" in str(info.value)
    assert page.read_bytes() == b"mine"


def test_creating_refuses_when_the_file_appears_during_the_write(
    vault: Path, guard: VaultGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = vault / "Author.md"
    real_fsync = os.fsync

    def someone_creates_it(fd: int) -> None:
        real_fsync(fd)
        if not page.exists():
            page.write_bytes(b"theirs")

    monkeypatch.setattr(os, "fsync", someone_creates_it)
    with pytest.raises(PageAppeared):
        write_atomic(guard, None, page, b"generated")
    assert page.read_bytes() == b"theirs"
    assert temps_in(vault) == []


def test_creating_never_replaces_a_file_that_wins_the_last_race(
    vault: Path, guard: VaultGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = vault / "Author.md"
    real_link = os.link

    def created_just_before_link(src: Any, dst: Any, **kwargs: Any) -> None:
        (vault / os.path.basename(dst)).write_bytes(b"theirs")
        real_link(src, dst, **kwargs)

    monkeypatch.setattr(os, "link", created_just_before_link)
    with pytest.raises(PageAppeared):
        write_atomic(guard, None, page, b"generated")
    assert page.read_bytes() == b"theirs"
    assert temps_in(vault) == []


# --------------------------------------------------------------------------- history


def test_history_gets_the_bytes_as_read_before_the_rewrite(
    vault: Path, guard: VaultGuard, tmp_path: Path
) -> None:
    history = History(tmp_path / "state" / "history")
    page = make_page(vault / "page.md", b"original")

    assert write_atomic(guard, read_page(page), page, b"original", history=history) is False
    assert history.versions(page) == []

    assert write_atomic(guard, read_page(page), page, b"cleaned", history=history) is True
    assert history.load(page, 1) == b"original"


def test_a_failing_history_stops_the_rewrite(
    vault: Path, guard: VaultGuard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History(tmp_path / "state" / "history")
    page = make_page(vault / "page.md", b"original")
    snap = read_page(page)

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("vaultsync.history.files.write_private_file", disk_full)
    with pytest.raises(HistoryUnavailable, match="disk is full"):
        write_atomic(guard, snap, page, b"cleaned", history=history)
    assert page.read_bytes() == b"original"


def test_remove_page_keeps_a_copy_in_history(
    vault: Path, guard: VaultGuard, tmp_path: Path
) -> None:
    history = History(tmp_path / "state" / "history")
    page = make_page(vault / "Old Author.md", b"merged away")
    remove_page(guard, read_page(page), history=history)
    assert not page.exists()
    assert history.load(page, 1) == b"merged away"


def test_remove_page_refuses_a_page_changed_since_read(vault: Path, guard: VaultGuard) -> None:
    page = make_page(vault / "Old Author.md", b"merged away")
    snap = read_page(page)
    page.write_bytes(b"user added")
    with pytest.raises(ChangedSinceRead):
        remove_page(guard, snap)
    assert page.read_bytes() == b"user added"


def test_remove_page_refuses_outside_the_vault(guard: VaultGuard, outside: Path) -> None:
    page = make_page(outside / "page.md", b"not ours")
    with pytest.raises(UnsafePathError):
        remove_page(guard, read_page(page))
    assert page.exists()


# --------------------------------------------------------------------------- the guard


def refused(guard: VaultGuard, path: Path) -> str:
    with pytest.raises(UnsafePathError) as info:
        guard.check(path)
    return info.value.detail().removeprefix("refused to write: ")


def test_guard_accepts_pages_in_the_vault(vault: Path, guard: VaultGuard) -> None:
    (vault / "Readwise").mkdir()
    assert guard.check(vault / "Readwise" / "new.md") == vault.resolve() / "Readwise" / "new.md"
    make_page(vault / "page.md", b"x")
    assert guard.check(vault / "page.md") == vault.resolve() / "page.md"


def test_guard_refuses_a_path_outside_the_vault(guard: VaultGuard, outside: Path) -> None:
    assert "outside" in refused(guard, outside / "page.md")


def test_guard_refuses_a_dotdot_escape(vault: Path, guard: VaultGuard, outside: Path) -> None:
    assert "outside" in refused(guard, vault / ".." / "outside" / "page.md")
    assert "outside" in refused(guard, vault / ".." / "page.md")
    assert "not a file name" in refused(guard, vault / "..")


def test_guard_refuses_a_symlinked_folder_leading_out(
    vault: Path, guard: VaultGuard, outside: Path
) -> None:
    (vault / "linked").symlink_to(outside, target_is_directory=True)
    reason = refused(guard, vault / "linked" / "page.md")
    assert "symbolic link" in reason and str(outside.resolve()) in reason


def test_guard_allows_a_symlinked_folder_that_stays_inside(vault: Path, guard: VaultGuard) -> None:
    (vault / "real").mkdir()
    (vault / "alias").symlink_to(vault / "real", target_is_directory=True)
    assert guard.check(vault / "alias" / "p.md") == vault.resolve() / "real" / "p.md"


def test_guard_refuses_a_symlinked_page(vault: Path, guard: VaultGuard, outside: Path) -> None:
    target = make_page(outside / "secret.md", b"keep me")
    (vault / "page.md").symlink_to(target)
    assert "symbolic link" in refused(guard, vault / "page.md")
    make_page(vault / "inside.md", b"x")
    (vault / "alias.md").symlink_to(vault / "inside.md")
    assert "symbolic link" in refused(guard, vault / "alias.md")
    (vault / "dangling.md").symlink_to(outside / "nothing.md")
    assert "symbolic link" in refused(guard, vault / "dangling.md")


def test_write_through_a_symlinked_page_leaves_the_target_alone(
    vault: Path, guard: VaultGuard, outside: Path
) -> None:
    target = make_page(outside / "secret.md", b"keep me")
    (vault / "page.md").symlink_to(target)
    snap = read_page(vault / "page.md")  # reading through links is fine
    with pytest.raises(UnsafePathError):
        write_atomic(guard, snap, vault / "page.md", b"changed")
    assert target.read_bytes() == b"keep me"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("a\x00b.md", "NUL"),
        ("line\nbreak.md", "control character"),
        ("tab\t.md", "control character"),
        ("bell\x07.md", "control character"),
        ("x" * 256, "255 bytes"),
        ("é" * 128, "255 bytes"),  # 128 characters, 256 bytes
    ],
)
def test_guard_refuses_bad_names(vault: Path, guard: VaultGuard, name: str, words: str) -> None:
    assert words in refused(guard, vault / name)


def test_guard_refuses_empty_and_missing_folders(vault: Path, guard: VaultGuard) -> None:
    assert "empty" in refused(guard, Path(""))
    assert "empty" in refused(guard, Path("/"))
    assert "does not exist" in refused(guard, vault / "no" / "such" / "page.md")


def test_guard_with_a_vault_reached_through_a_symlink(tmp_path: Path, vault: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(vault, target_is_directory=True)
    guard = VaultGuard([alias])
    assert guard.check(alias / "p.md") == vault.resolve() / "p.md"
    assert guard.check(vault / "p.md") == vault.resolve() / "p.md"


def test_guard_with_no_vaults_refuses_everything(vault: Path) -> None:
    assert "no vault" in refused(VaultGuard([]), vault / "p.md")


@scaled(60, deadline=None)
@given(
    name=st.text(
        alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40
    ).filter(lambda n: "/" not in n and n not in (".", ".."))
)
def test_property_names_with_control_characters_are_refused(name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        has_control = any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name)
        if has_control:
            with pytest.raises(UnsafePathError):
                VaultGuard([root]).check(root / name)
        else:
            assert VaultGuard([root]).check(root / name) == root.resolve() / name


# --------------------------------------------------------------------------- folders


def test_ensure_folder_creates_nested_folders_inside(vault: Path, guard: VaultGuard) -> None:
    made = ensure_folder(guard, vault / "Readwise" / "Authors")
    assert made == vault.resolve() / "Readwise" / "Authors"
    assert made.is_dir()
    assert ensure_folder(guard, vault / "Readwise" / "Authors") == made  # already there


def test_ensure_folder_refuses_to_create_outside(
    vault: Path, guard: VaultGuard, outside: Path
) -> None:
    (vault / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        ensure_folder(guard, vault / "linked" / "Authors")
    with pytest.raises(UnsafePathError):
        ensure_folder(guard, outside / "Authors")
    with pytest.raises(UnsafePathError):
        ensure_folder(guard, vault / "linked")
    assert os.listdir(outside) == []


def test_ensure_folder_refuses_a_file_in_the_way(vault: Path, guard: VaultGuard) -> None:
    make_page(vault / "Readwise", b"a file")
    with pytest.raises(UnsafePathError, match="not a folder"):
        ensure_folder(guard, vault / "Readwise" / "Authors")


# --------------------------------------------------------------------------- the disk refuses


def _interrupt(*args: Any) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("call", "fault", "raised", "words"),
    [
        pytest.param(
            "open",
            # only the temp file's open fails: the folder is read-only to us
            lambda: fail_with(
                PermissionError(errno.EACCES, "Permission denied"),
                lambda p, *a: is_temp_file(p),
                os.open,
            ),
            WriteFailed,
            [
                "cannot write into {vault}: read-only or permission denied",
                "needs write access to the vault",
            ],
            id="read-only-folder",
        ),
        pytest.param(
            "replace",
            lambda: fail_with(
                OSError(errno.EROFS, "Read-only file system"), lambda *a: True, os.replace
            ),
            WriteFailed,
            ["read-only or permission denied"],
            id="failing-rename",
        ),
        pytest.param(
            "write",
            lambda: fail_with(
                OSError(errno.ENOSPC, "No space left on device"), lambda *a: True, os.write
            ),
            WriteFailed,
            ["disk is full"],
            id="full-disk-midway",
        ),
        pytest.param("fsync", lambda: _interrupt, KeyboardInterrupt, [], id="interrupt"),
    ],
)
def test_a_failing_write_leaves_the_page_and_no_temp(
    vault: Path,
    guard: VaultGuard,
    monkeypatch: pytest.MonkeyPatch,
    call: str,
    fault: Callable[[], Callable[..., Any]],
    raised: type[BaseException],
    words: list[str],
) -> None:
    """Whatever step of the write fails (or is interrupted), the page keeps its bytes, no temp
    file is left behind, and a user-caused failure says what went wrong."""
    page = make_page(vault / "page.md", b"original")
    snap = read_page(page)
    monkeypatch.setattr(os, call, fault())

    with pytest.raises(raised) as info:
        write_atomic(guard, snap, page, b"cleaned")
    for expected in words:
        assert expected.format(vault=vault.resolve()) in str(info.value)
    assert page.read_bytes() == b"original"
    assert temps_in(vault) == []


def test_folder_fsync_unsupported_is_ignored(
    vault: Path, guard: VaultGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page(vault / "page.md", b"original")
    snap = read_page(page)
    real_fsync = os.fsync

    def no_dir_fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", no_dir_fsync)
    assert write_atomic(guard, snap, page, b"cleaned") is True
    assert page.read_bytes() == b"cleaned"


@pytest.mark.skipif(IS_ROOT, reason="root ignores folder permissions")
def test_really_read_only_folder(vault: Path, guard: VaultGuard) -> None:
    page = make_page(vault / "page.md", b"original")
    snap = read_page(page)
    os.chmod(vault, 0o555)
    try:
        with pytest.raises(WriteFailed, match="read-only or permission denied"):
            write_atomic(guard, snap, page, b"cleaned")
    finally:
        os.chmod(vault, 0o755)
    assert page.read_bytes() == b"original"
    assert temps_in(vault) == []


# --------------------------------------------------------------------------- leftover temp files


def test_cleanup_removes_only_our_temp_files(tmp_path: Path, vault: Path, outside: Path) -> None:
    ours = ".page.md.vaultsync-0123456789abcdef.tmp"
    nested = vault / "Readwise" / "Books"
    nested.mkdir(parents=True)
    expected = {vault / ours, nested / ".Some Book.md.vaultsync-fedcba9876543210.tmp"}
    for path in expected:
        path.write_bytes(b"partial")
    keep = [
        vault / ".page.md.vaultsync-XYZ.tmp",  # not our random part
        vault / "page.md.vaultsync-0123456789abcdef.tmp",  # not hidden
        vault / ".page.md.tmp",
        vault / ".page.md.vaultsync-0123456789abcdef.tmp.bak",
        vault / "page.md",
    ]
    for path in keep:
        path.write_bytes(b"user data")
    for skipped in (".git", "node_modules"):
        (vault / skipped).mkdir()
        keep.append(vault / skipped / ours)
        keep[-1].write_bytes(b"not ours to judge")
    keep.append(outside / ours)
    keep[-1].write_bytes(b"outside")
    (vault / "linked").symlink_to(outside, target_is_directory=True)
    (vault / ".x.md.vaultsync-0000000000000000.tmp").symlink_to(outside / ours)

    removed = cleanup_temp_files(vault)

    assert set(removed) == expected
    assert not any(p.exists() for p in expected)
    assert all(p.exists() for p in keep)
    assert (vault / ".x.md.vaultsync-0000000000000000.tmp").is_symlink()
    assert cleanup_temp_files(vault) == []


def test_is_temp_file() -> None:
    assert is_temp_file(".a.md.vaultsync-0123456789abcdef.tmp")
    assert is_temp_file("/some/where/.a b.md.vaultsync-0123456789abcdef.tmp")
    assert not is_temp_file("a.md")
    assert not is_temp_file(".a.md.vaultsync-0123456789ABCDEF.tmp")
    assert not is_temp_file("..vaultsync-0123456789abcdef.tmp")


# --------------------------------------------------------------------------- reading


def test_read_page_snapshot_matches_the_file(vault: Path) -> None:
    page = make_page(vault / "page.md", b"\xef\xbb\xbfbody\r\n")
    snap = read_page(page)
    st_ = os.stat(page)
    assert snap == Snapshot(page, b"\xef\xbb\xbfbody\r\n", st_.st_mtime_ns, st_.st_size, st_.st_ino)


def test_read_page_missing_file_is_vanished(vault: Path) -> None:
    with pytest.raises(PageVanished) as info:
        read_page(vault / "gone.md")
    assert isinstance(info.value, PageUnreadable)
    assert "deleted or moved" in str(info.value)


def test_read_page_folder(vault: Path) -> None:
    with pytest.raises(PageUnreadable, match="is a folder") as info:
        read_page(vault)
    assert not isinstance(info.value, PageVanished)


def test_read_page_too_large_names_size_and_limit(vault: Path) -> None:
    page = make_page(vault / "big.md", b"x" * 3 * 2**20)
    with pytest.raises(PageUnreadable) as info:
        read_page(page, max_bytes=2**20)
    assert "3.0 MiB" in str(info.value) and "1.0 MiB limit" in str(info.value)


def test_read_page_permission_denied(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = make_page(vault / "page.md", b"secret")
    denied = PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(os, "open", fail_with(denied, lambda *a: True, os.open))
    with pytest.raises(PageUnreadable) as info:
        read_page(page)
    assert info.value.detail() == "cannot read: permission denied; check the file's permissions"


def test_read_page_symlink_loop(vault: Path) -> None:
    (vault / "a.md").symlink_to(vault / "b.md")
    (vault / "b.md").symlink_to(vault / "a.md")
    with pytest.raises(PageUnreadable, match="loops"):
        read_page(vault / "a.md")


def test_read_page_does_not_hang_on_a_fifo(vault: Path) -> None:
    os.mkfifo(vault / "pipe.md")
    with pytest.raises(PageUnreadable, match="not a regular file"):
        read_page(vault / "pipe.md")


def test_read_page_rereads_when_the_page_changes_during_the_read(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page(vault / "page.md", b"first version")
    real_read = os.read
    calls = 0

    def append_during_first_read(fd: int, n: int) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 1:
            with open(page, "ab") as f:
                f.write(b" and more")
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", append_during_first_read)
    snap = read_page(page)
    assert snap.data == b"first version and more"
    assert snap.size == len(snap.data) == os.stat(page).st_size


def test_read_page_rereads_a_page_that_grows_right_after_the_read(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read stops at the size fstat gave; the growth shows in the re-stat, so it reads again."""
    page = make_page(vault / "page.md", b"first version")
    real_read = os.read
    calls = 0

    def append_after_first_read(fd: int, n: int) -> bytes:
        nonlocal calls
        calls += 1
        data = real_read(fd, n)
        if calls == 1:
            with open(page, "ab") as f:
                f.write(b" and more")
        return data

    monkeypatch.setattr(os, "read", append_after_first_read)
    snap = read_page(page)
    assert snap.data == b"first version and more"
    assert snap.size == len(snap.data) == os.stat(page).st_size


def test_read_page_rereads_a_page_truncated_during_the_read(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page(vault / "page.md", b"a long first version")
    real_read = os.read
    calls = 0

    def truncate_during_first_read(fd: int, n: int) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 1:
            with open(page, "r+b") as f:
                f.truncate(7)
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", truncate_during_first_read)
    assert read_page(page).data == b"a long "


@pytest.mark.parametrize("size", [0, 1, 2**20 - 1, 2**20, 2**20 + 1, 5 * 2**20 + 3])
def test_read_page_reads_every_byte_whatever_the_size(vault: Path, size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    page = make_page(vault / "page.md", data)
    assert read_page(page).data == data
    assert read_page(page, max_bytes=size).data == data  # exactly at the limit
    if size:
        with pytest.raises(PageUnreadable):
            read_page(page, max_bytes=size - 1)


def test_read_page_gives_up_on_a_page_that_keeps_changing(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page(vault / "page.md", b"busy")
    real_read = os.read

    def always_appending(fd: int, n: int) -> bytes:
        if os.lseek(fd, 0, os.SEEK_CUR) == 0:  # once per attempt, at its start
            with open(page, "ab") as f:
                f.write(b"!")
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", always_appending)
    with pytest.raises(ChangedSinceRead):
        read_page(page)


def test_every_error_here_is_a_vaultsync_error() -> None:
    for cls in (PageUnreadable, PageVanished, PageAppeared, WriteFailed):
        assert issubclass(cls, VaultsyncError)
    assert writer.TEMP_GLOB == ".*.vaultsync-*.tmp"


# ------------------------------------------------------------------ removing our own files


def test_remove_private_file_removes_a_link_never_what_it_points_to(tmp_path: Path) -> None:
    """A service unit or a history copy is removed; a link at its name goes, its target stays;
    a file already gone is an error unless the caller says it may be."""
    own, elsewhere = tmp_path / "vaultsync.service", tmp_path / "elsewhere.txt"
    own.write_bytes(b"unit")
    elsewhere.write_bytes(b"keep me")
    link = tmp_path / "link.service"
    link.symlink_to(elsewhere)
    writer.remove_private_file(own)
    writer.remove_private_file(link)
    assert not own.exists() and not os.path.lexists(link)
    assert elsewhere.read_bytes() == b"keep me"
    with pytest.raises(FileNotFoundError):
        writer.remove_private_file(own)
    writer.remove_private_file(own, missing_ok=True)


def test_remove_private_folder_removes_only_an_empty_folder(tmp_path: Path) -> None:
    full, empty = tmp_path / "full", tmp_path / "empty"
    full.mkdir()
    (full / "page.json").write_bytes(b"{}")
    empty.mkdir()
    with pytest.raises(OSError):
        writer.remove_private_folder(full)
    writer.remove_private_folder(empty)
    assert full.is_dir() and not empty.exists()


def test_remove_private_tree_removes_everything_but_what_links_lead_to(tmp_path: Path) -> None:
    """The demo's temporary copies go, nested folders and all; a link inside is removed, the
    folder it leads to is left whole; a folder already gone is no error."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "note.md").write_bytes(b"mine")
    base = tmp_path / "demo"
    (base / "logseq" / "pages").mkdir(parents=True)
    (base / "logseq" / "pages" / "a.md").write_bytes(b"- a\n")
    (base / "out").symlink_to(outside)
    writer.remove_private_tree(base)
    assert not base.exists()
    assert (outside / "note.md").read_bytes() == b"mine"
    writer.remove_private_tree(base)
