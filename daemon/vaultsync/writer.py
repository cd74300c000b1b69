"""Every file operation on a vault: reading pages, deciding where writes may go, atomic rewrites.

The write protocol (see the guide on watching and writing): write only when the bytes change,
never over a change made since the page was read, always through a temp file in the same folder
that is fsynced and renamed onto the page.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.errors import (
    ChangedSinceRead,
    PageAppeared,
    PageUnreadable,
    PageVanished,
    UnsafePathError,
    VaultsyncError,
    WriteFailed,
)

if TYPE_CHECKING:
    from vaultsync.history import History

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 20 * 2**20
MAX_NAME_BYTES = 255
READ_ATTEMPTS = 5

# Temp files are hidden (leading dot) so that watchers, Obsidian, Logseq and sync tools skip them.
TEMP_GLOB = ".*.vaultsync-*.tmp"
TEMP_PATTERN = re.compile(r"\A\..+\.vaultsync-[0-9a-f]{16}\.tmp\Z", re.DOTALL)
_TEMP_SUFFIX_BYTES = len(".vaultsync-") + 16 + len(".tmp")

SKIPPED_FOLDERS = frozenset({".git", "node_modules"})

# Filesystems without directory fsync answer with one of these; the rename is still done.
_DIR_FSYNC_UNSUPPORTED = frozenset(
    {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF, errno.EACCES, errno.EPERM}
)


@dataclass(frozen=True)
class Snapshot:
    """The bytes of a page as read, and the stat fields that tell whether it changed since."""

    path: Path
    data: bytes
    mtime_ns: int
    size: int
    ino: int

    def matches(self, st: os.stat_result) -> bool:
        """True when `st` describes the same, unchanged file as this snapshot."""
        return (st.st_mtime_ns, st.st_size, st.st_ino) == (self.mtime_ns, self.size, self.ino)


def is_temp_file(name: str | os.PathLike[str]) -> bool:
    """True for a name (or path) that is one of vaultsync's own temp files."""
    return TEMP_PATTERN.match(os.path.basename(os.fspath(name))) is not None


# --------------------------------------------------------------------------- reading


def _describe_size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.1f} MiB"
    if n >= 2**10:
        return f"{n / 2**10:.1f} KiB"
    return f"{n} bytes"


def _read_error(path: Path, err: OSError) -> PageUnreadable:
    if isinstance(err, FileNotFoundError | NotADirectoryError):
        return PageVanished(path)
    if isinstance(err, PermissionError):
        return PageUnreadable(path, "cannot read: permission denied; check the file's permissions")
    if err.errno == errno.ELOOP:
        return PageUnreadable(
            path, "cannot read: it is a symbolic link that loops back on itself; fix or remove it"
        )
    if err.errno == errno.ENAMETOOLONG:
        return PageUnreadable(path, "cannot read: the file name is too long")
    return PageUnreadable(path, f"cannot read: {err.strerror or err}")


def _read_all(fd: int, limit: int, expected: int = -1) -> bytes:
    """Read until end of file, or until more than `limit` bytes have been read.

    Once exactly `expected` bytes (the size fstat gave) are in, stop without the extra read that
    would only confirm the end: read_page re-stats the page afterwards, and a page that grew
    meanwhile has another size, so it is read again either way. Asking for no more than one
    byte past `expected` also keeps each read's buffer the page's size, not 1 MiB (which glibc
    would map and unmap for every page).
    """
    chunks: list[bytes] = []
    total = 0
    while total <= limit and total != expected:
        want = limit + 1 - total
        if expected > total:
            want = min(want, expected + 1 - total)
        chunk = os.read(fd, min(1 << 20, want))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_page(path: Path, max_bytes: int = MAX_PAGE_BYTES) -> Snapshot:
    """Read a page and the stat fields the write protocol checks later.

    Raises PageVanished if it is gone, PageUnreadable for anything else that stops the read, and
    ChangedSinceRead if the page kept changing while being read.
    """
    if not isinstance(path, Path):
        path = Path(path)
    for _ in range(READ_ATTEMPTS):
        try:
            # O_NONBLOCK: opening a FIFO someone left in the vault must not hang the daemon.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as err:
            raise _read_error(path, err) from None
        try:
            before = os.fstat(fd)
            if stat.S_ISDIR(before.st_mode):
                raise PageUnreadable(path, "cannot read: it is a folder, not a page")
            if not stat.S_ISREG(before.st_mode):
                raise PageUnreadable(path, "cannot read: it is not a regular file")
            if before.st_size > max_bytes:
                size, limit = _describe_size(before.st_size), _describe_size(max_bytes)
                if size == limit:
                    size, limit = f"{before.st_size} bytes", f"{max_bytes} bytes"
                raise PageUnreadable(
                    path,
                    f"cannot read: it is {size}, larger than the {limit} limit for a page; "
                    "vaultsync leaves it alone",
                )
            data = _read_all(fd, max_bytes, before.st_size)
        except OSError as err:
            raise _read_error(path, err) from None
        finally:
            os.close(fd)
        try:
            # Through the path, not the descriptor: a page replaced by rename during the read
            # shows up as a new inode.
            after = os.stat(path)
        except OSError as err:
            raise _read_error(path, err) from None
        unchanged = (after.st_mtime_ns, after.st_size, after.st_ino) == (
            before.st_mtime_ns,
            before.st_size,
            before.st_ino,
        )
        if unchanged and len(data) == after.st_size:
            return Snapshot(path, data, after.st_mtime_ns, after.st_size, after.st_ino)
        if unchanged and len(data) > max_bytes:
            raise PageUnreadable(
                path, f"cannot read: it is larger than {_describe_size(max_bytes)}"
            )
    raise ChangedSinceRead(path)


# --------------------------------------------------------------------------- where writes may go


def _name_problem(name: str) -> str | None:
    """Why a single file or folder name may not be written, or None when it is fine."""
    if name == "":
        return "the file name is empty"
    if name in (".", ".."):
        return f"'{name}' is not a file name"
    # isprintable() is False for every control character (NUL included): only such names, a
    # small minority, need the character-by-character look.
    if not name.isprintable():
        if "\x00" in name:
            return "the file name contains a NUL character"
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            return "the file name contains a control character (such as a line break or tab)"
    size = len(name) if name.isascii() else len(os.fsencode(name))
    if size > MAX_NAME_BYTES:
        return f"the file name is longer than {MAX_NAME_BYTES} bytes, the limit of most filesystems"
    return None


class VaultGuard:
    """The one place that decides whether a path may be written: inside a vault, no links out."""

    def __init__(self, roots: Iterable[Path]) -> None:
        self.roots: tuple[Path, ...] = tuple(Path(os.path.realpath(r)) for r in roots)
        # (root, root + "/") as strings, for _proven_folder's prefix test
        self._prefixes: tuple[tuple[str, str], ...] = tuple(
            (str(root), str(root) if str(root).endswith("/") else f"{root}/") for root in self.roots
        )

    def _inside(self, real: Path) -> bool:
        return any(real == root or real.is_relative_to(root) for root in self.roots)

    def _proven_folder(self, folder: str) -> bool:
        """True when `folder` is, right now, a folder inside a vault reached through no symbolic
        link at all: then it is its own real path, and _resolve_folder would return it unchanged.

        This is the case of nearly every write (vault roots are real paths and pages are found
        by walking them), and it is proven here with one lstat per path component, the same
        system calls realpath makes, without realpath's Python overhead (the full check was
        about 7 % of a cold pass). Every component from "/" down is looked at: a component that
        is a folder per lstat is not a link, so the kernel resolves `folder` through exactly
        these folders to a place inside the vault. Nothing is remembered between calls, so no
        stale answer can ever be trusted: a folder swapped for a link (or moved out of the vault
        and replaced by a link to where it went) since the last write is seen by this lstat.
        False means "not proven here" (a link, a missing folder, a relative or odd path, an
        ancestor of the root turned into a link, another platform): _resolve_folder decides,
        and explains a refusal.
        """
        if os.sep != "/":
            return False
        for root, prefix in self._prefixes:
            if folder == root or folder.startswith(prefix):
                break
        else:
            return False
        parts = folder.split("/")
        if parts[0] != "":
            return False  # relative
        current = ""
        for part in parts[1:]:
            if part in ("", ".", ".."):
                return False  # not normalized: realpath's answer would differ from `folder`
            current += "/" + part
            try:
                mode = os.lstat(current).st_mode
            except OSError:
                return False
            if not stat.S_ISDIR(mode):
                return False
        return True

    def _resolve_folder(self, path: Path, folder: Path) -> Path:
        try:
            real = folder.resolve(strict=True)
        except FileNotFoundError:
            raise UnsafePathError(path, f"its folder {folder} does not exist") from None
        except NotADirectoryError:
            raise UnsafePathError(path, f"part of {folder} is a file, not a folder") from None
        except PermissionError:
            raise UnsafePathError(
                path, f"cannot look into {folder}: permission denied; check its permissions"
            ) from None
        except RuntimeError:  # Python < 3.13 reports symlink loops this way
            raise UnsafePathError(path, f"{folder} contains a symbolic link loop") from None
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise UnsafePathError(path, f"{folder} contains a symbolic link loop") from None
            raise UnsafePathError(path, f"cannot look into {folder}: {err.strerror}") from None
        if not real.is_dir():
            raise UnsafePathError(path, f"{folder} is not a folder")
        if not self._inside(real):
            if str(real) == os.path.normpath(folder.absolute()):
                reason = "it is outside every configured vault"
            else:
                reason = f"{folder} leads to {real} (through a symbolic link), outside every vault"
            raise UnsafePathError(path, reason)
        return real

    def check(self, path: Path) -> Path:
        """Return the real path to write to, or raise UnsafePathError saying why not."""
        if not isinstance(path, Path):
            path = Path(path)
        text = str(path)
        if "\x00" in text:
            raise UnsafePathError(path, "the path contains a NUL character")
        name = path.name  # "" for "/" and for "" (which Path spells ".")
        problem = _name_problem(name)
        if problem:
            raise UnsafePathError(path, problem)
        if not self.roots:
            raise UnsafePathError(path, "no vault is configured")
        if self._proven_folder(os.path.dirname(text)):
            real = path  # its folder is its own real path, so the path is too
        else:
            real = self._resolve_folder(path, path.parent) / name
        try:
            st = os.lstat(real)
        except FileNotFoundError:
            return real
        except OSError as err:
            raise UnsafePathError(path, f"cannot inspect it: {err.strerror}") from None
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePathError(
                path, "it is a symbolic link; vaultsync does not write through links"
            )
        return real

    def check_folder(self, folder: Path) -> Path:
        """Return the real path of an existing folder if it lies inside a vault."""
        if not isinstance(folder, Path):
            folder = Path(folder)
        if not self.roots:
            raise UnsafePathError(folder, "no vault is configured")
        if self._proven_folder(str(folder)):
            return folder
        return self._resolve_folder(folder, folder)


def ensure_folder(guard: VaultGuard, folder: Path) -> Path:
    """Create `folder` and any missing parents, each only inside a vault; return its real path."""
    folder = Path(folder)
    missing: list[Path] = []
    current = folder
    while not os.path.isdir(current):
        if os.path.lexists(current) and not os.path.islink(current):
            raise UnsafePathError(folder, f"{current} exists and is not a folder")
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for part in reversed(missing):
        real = guard.check(part)  # its parent exists now, so this checks where it really goes
        try:
            os.mkdir(real)
        except FileExistsError:
            pass  # made meanwhile by someone else; check_folder below verifies it
        except OSError as err:
            raise WriteFailed(folder, _write_reason(real.parent, err)) from None
    return guard.check_folder(folder)


# --------------------------------------------------------------------------- writing


def _write_reason(folder: Path, err: OSError) -> str:
    if isinstance(err, PermissionError) or err.errno == errno.EROFS:
        return (
            f"cannot write into {folder}: read-only or permission denied; "
            "vaultsync needs write access to the vault"
        )
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot write into {folder}: the disk is full (or over quota); free some space"
    return f"cannot write into {folder}: {err.strerror or err}"


def _temp_name(name: str) -> str:
    # The temp name must fit the same 255-byte limit as the page's own name.
    budget = MAX_NAME_BYTES - 1 - _TEMP_SUFFIX_BYTES
    while len(os.fsencode(name)) > budget:
        name = name[:-1]
    return f".{name}.vaultsync-{secrets.token_hex(8)}.tmp"


def _write_temp(
    folder: Path,
    name: str,
    data: bytes,
    *,
    create_mode: int,
    original: os.stat_result | None = None,
) -> Path:
    """Write `data` to a new hidden temp file in `folder`, fsynced; give it the original's mode."""
    for attempt in range(8):
        temp = folder / _temp_name(name)
        try:
            fd = os.open(
                temp,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                create_mode,
            )
            break
        except FileExistsError:
            if attempt == 7:
                raise
    try:
        if original is not None:
            os.fchmod(fd, stat.S_IMODE(original.st_mode))
            if (original.st_uid, original.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.fchown(fd, original.st_uid, original.st_gid)
                except PermissionError:
                    pass  # only root may give files away; the page becomes ours, as in any editor
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _remove_quietly(temp)
        raise
    os.close(fd)
    return temp


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as err:
        log.warning("could not remove temp file %s: %s", path, err.strerror)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        if err.errno in _DIR_FSYNC_UNSUPPORTED:
            return
        raise
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in _DIR_FSYNC_UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def _lstat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _verify_unchanged(target: Path, real: Path, snapshot: Snapshot | None) -> os.stat_result | None:
    """Raise unless the target is still exactly what was read (or still absent for a new page)."""
    st = _lstat_or_none(real)
    if snapshot is None:
        if st is not None:
            raise PageAppeared(target)
        return None
    # A page deleted since it was read stays deleted: that was the user's decision.
    if st is None or not stat.S_ISREG(st.st_mode) or not snapshot.matches(st):
        raise ChangedSinceRead(target)
    return st


def write_atomic(
    guard: VaultGuard,
    snapshot: Snapshot | None,
    target: Path,
    new_data: bytes,
    *,
    history: History | None = None,
) -> bool:
    """Replace `target` with `new_data` following the write protocol; False when nothing changed.

    `snapshot` is what was read from `target` (None to create a new page, which is refused if a
    file exists there). Raises ChangedSinceRead (PageAppeared when creating) if the page changed
    after the snapshot, UnsafePathError outside the vault, WriteFailed when the disk refuses.
    """
    if not isinstance(target, Path):
        target = Path(target)
    real = guard.check(target)
    if snapshot is not None and new_data == snapshot.data:
        return False
    original = _verify_unchanged(target, real, snapshot)
    if history is not None and snapshot is not None:
        history.save(real, snapshot.data)

    folder = real.parent
    try:
        # New pages get 0o644 minus the umask (the kernel applies it); a rewrite starts private
        # and then takes the original's mode, so no one reads a half-written copy it hid.
        temp = _write_temp(
            folder,
            real.name,
            new_data,
            create_mode=0o644 if original is None else 0o600,
            original=original,
        )
    except OSError as err:
        raise WriteFailed(target, _write_reason(folder, err)) from None
    old_fd: int | None = None
    try:
        if snapshot is not None:
            old_fd = _open_unchanged(target, real, snapshot)
        _verify_unchanged(target, real, snapshot)  # once more: narrows the race with editors
        if snapshot is None:
            _link_new(temp, real, target)
        else:
            os.replace(temp, real)
    except VaultsyncError:
        _remove_quietly(temp)
        _close(old_fd)
        raise
    except OSError as err:
        _remove_quietly(temp)
        _close(old_fd)
        raise WriteFailed(target, _write_reason(folder, err)) from None
    except BaseException:
        _remove_quietly(temp)
        _close(old_fd)
        raise
    if old_fd is not None and snapshot is not None:
        try:
            _put_back_late_write(guard, snapshot, new_data, target, real, old_fd, history)
        finally:
            os.close(old_fd)
    try:
        _fsync_folder(folder)
    except OSError as err:
        raise WriteFailed(
            target, f"written, but {folder} could not be flushed to disk: {err.strerror}"
        ) from None
    return True


def remove_page(guard: VaultGuard, snapshot: Snapshot, *, history: History | None = None) -> None:
    """Delete a page vaultsync manages (an author page merged into another), keeping its bytes
    in the history first. Refused outside the vault; ChangedSinceRead if it changed since read."""
    target = Path(snapshot.path)
    real = guard.check(target)
    _verify_unchanged(target, real, snapshot)
    if history is not None:
        history.save(real, snapshot.data)
    try:
        os.unlink(real)
    except FileNotFoundError:
        return
    except OSError as err:
        raise WriteFailed(target, _write_reason(real.parent, err)) from None
    try:
        _fsync_folder(real.parent)
    except OSError:
        pass


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def _open_unchanged(target: Path, real: Path, snapshot: Snapshot) -> int:
    """A handle on the page exactly as read, held across the rename (see _put_back_late_write)."""
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ChangedSinceRead(target) from None
    except OSError as err:
        if err.errno == errno.ELOOP:  # replaced by a symbolic link since it was read
            raise ChangedSinceRead(target) from None
        raise
    if not snapshot.matches(os.fstat(fd)):
        os.close(fd)
        raise ChangedSinceRead(target)
    return fd


def _read_all_at(fd: int) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _put_back_late_write(
    guard: VaultGuard,
    snapshot: Snapshot,
    new_data: bytes,
    target: Path,
    real: Path,
    old_fd: int,
    history: History | None,
) -> None:
    """A write that reached the page after the last check and before the rename went into the
    file the rename just unlinked, and would vanish with it. Put those bytes back and raise
    ChangedSinceRead, so the caller starts over from them."""
    late = _read_all_at(old_fd)
    if late in (snapshot.data, new_data):  # nothing written there that the page lacks
        return
    kept = "the first write could not be put back"
    if history is not None:
        try:  # kept there even if the page changes again before it goes back
            history.save(real, late)
            kept = "the version with the first write is in the history (`vaultsync history`)"
        except VaultsyncError as err:
            log.warning("%s", err)
    put_back = False
    try:
        ours = read_page(real)
        if ours.data == new_data:  # else the page changed again: never write over that
            put_back = write_atomic(guard, ours, target, late)
    except VaultsyncError as err:
        log.warning("%s", err)
    if put_back:
        raise ChangedSinceRead(target)  # the caller starts over from the bytes put back
    raise WriteFailed(
        target, f"another program wrote to it while it was replaced, and again just after; {kept}"
    )


def _link_new(temp: Path, real: Path, target: Path) -> None:
    """Move the temp file onto a new page without ever replacing a file that appeared meanwhile."""
    try:
        os.link(temp, real)  # fails if the name exists: an atomic create-if-absent
    except FileExistsError:
        raise PageAppeared(target) from None
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # Filesystems without hard links (FAT, some network shares): checked just above.
        os.replace(temp, real)
        return
    _remove_quietly(temp)


def write_private_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Atomically replace one of vaultsync's own files (history, state) outside any vault.

    No guard and no change check: never use this for vault pages. Raises OSError.
    """
    path = Path(path)
    temp = _write_temp(path.parent, path.name, data, create_mode=mode)
    try:
        os.replace(temp, path)
    except BaseException:
        _remove_quietly(temp)
        raise
    _fsync_folder(path.parent)


def cleanup_temp_files(root: Path) -> list[Path]:
    """Remove temp files a crashed vaultsync left under `root`; return the paths removed.

    Only regular files named exactly like ours; links are not followed, .git and node_modules
    are skipped.
    """
    removed: list[Path] = []

    def report(err: OSError) -> None:
        log.warning("cannot look for leftover temp files in %s: %s", err.filename, err.strerror)

    for folder, dirs, files in os.walk(root, onerror=report, followlinks=False):
        dirs[:] = [d for d in dirs if d not in SKIPPED_FOLDERS]
        for name in files:
            path = os.path.join(folder, name)
            if remove_temp_file(path):
                removed.append(Path(path))
    return removed


def remove_temp_file(path: str) -> bool:
    """Remove `path` if it is a temp file a crashed vaultsync left (a regular file named exactly
    like ours); True when removed. For a walk that lists the folders anyway."""
    if not is_temp_file(path):
        return False
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as err:
        log.warning("cannot remove leftover temp file %s: %s", path, err.strerror)
        return False
    return True
