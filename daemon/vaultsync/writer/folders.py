"""Folder handles: a write's folder held open from the vault root, one component at a time and
no link followed (race-free, where the platform has `dir_fd`), and folders made inside a vault
the same way (`ensure_folder`).

Where the platform has `dir_fd` (Linux, macOS, the BSDs), a write holds its folder open: the
folder is opened from the vault root one component at a time, none of them followed if it is a
symbolic link, and the temp file, the checks, the link or rename and the fsync all work relative
to that handle. Renaming folders of the vault meanwhile (say, swapping one for a link to
elsewhere) cannot send the write anywhere but into the folder that was checked. Elsewhere
(Windows) the same steps go by path, right after the guard's check.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from vaultsync.errors import Unsafe, UnsafePathError, WriteFailed, WriteProblem
from vaultsync.render.causes import strerror_words
from vaultsync.render.notes import note
from vaultsync.writer.guard import VaultGuard

log = logging.getLogger(__name__)

# Filesystems without directory fsync answer with one of these; the rename is still done.
_DIR_FSYNC_UNSUPPORTED = frozenset(
    {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF, errno.EACCES, errno.EPERM}
)


# True where every call a write makes can work relative to an open folder. Read once at import:
# tests replace os functions, and the replacements are not in os.supports_dir_fd.
DIR_FD_SUPPORTED: bool = (
    hasattr(os, "O_DIRECTORY")
    and hasattr(os, "O_NOFOLLOW")
    and {os.open, os.stat, os.link, os.rename, os.unlink, os.mkdir} <= os.supports_dir_fd
)
# Where a folder may be entered but not listed (mode --x), O_PATH still gives a handle to
# work in (Linux only; fsync on it fails and is skipped, as on filesystems without it).
_O_PATH: int = getattr(os, "O_PATH", 0)
NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)


class Folder:
    """A folder that writes go to: held open where the platform has `dir_fd`, so every
    operation lands in this very folder whatever is renamed meanwhile; elsewhere named by its
    real path (then the guard's check just before is the only protection). Names given to the
    methods are single file names in this folder."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self.fd = fd

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _at(self, name: str) -> str:
        return name if self.fd is not None else os.path.join(self.path, name)

    def _dir(self) -> dict[str, int]:
        return {} if self.fd is None else {"dir_fd": self.fd}

    def _pair(self) -> dict[str, int]:
        return {} if self.fd is None else {"src_dir_fd": self.fd, "dst_dir_fd": self.fd}

    def open(self, name: str, flags: int, mode: int = 0o777) -> int:
        return os.open(self._at(name), flags | CLOEXEC, mode, **self._dir())

    def stat(self, name: str) -> os.stat_result:
        """lstat: a link at `name` is described, never followed."""
        return os.stat(self._at(name), follow_symlinks=False, **self._dir())

    def lstat_or_none(self, name: str) -> os.stat_result | None:
        try:
            return self.stat(name)
        except FileNotFoundError:
            return None

    def link(self, src: str, dst: str) -> None:
        os.link(self._at(src), self._at(dst), **self._pair())

    def replace(self, src: str, dst: str) -> None:
        os.replace(self._at(src), self._at(dst), **self._pair())

    def unlink(self, name: str) -> None:
        os.unlink(self._at(name), **self._dir())

    def mkdir(self, name: str) -> None:
        os.mkdir(self._at(name), 0o777, **self._dir())

    def remove_quietly(self, name: str) -> None:
        try:
            self.unlink(name)
        except FileNotFoundError:
            pass
        except OSError as err:
            log.warning("%s", note("temp file not removed", path=self.path / name, error=err))

    def fsync(self) -> None:
        """Flush the folder's entries (the rename) to disk, where the filesystem can."""
        if self.fd is None:
            fsync_folder(self.path)
            return
        try:
            os.fsync(self.fd)
        except OSError as err:
            if err.errno not in _DIR_FSYNC_UNSUPPORTED:
                raise


def _open_dir(name: str, dir_fd: int | None) -> int:
    """Open one folder without following a link at `name` (ELOOP or ENOTDIR if it is one)."""
    flags = os.O_DIRECTORY | NOFOLLOW | CLOEXEC
    try:
        return os.open(name, os.O_RDONLY | flags, dir_fd=dir_fd)
    except PermissionError:
        if not _O_PATH:
            raise
        return os.open(name, _O_PATH | flags, dir_fd=dir_fd)


def open_folder(guard: VaultGuard, real_folder: Path, target: Path | None = None) -> Folder:
    """Hold `real_folder` (a real path the guard accepted) open for a write to `target`.

    The folder is opened from its vault root one component at a time, each opened without
    following a link: a folder swapped for a link (or a file) since the guard's check makes
    this refuse, and once open, the handle stays on this folder whatever is renamed. Raises
    UnsafePathError naming `target` (or the folder).
    """
    target = real_folder if target is None else target
    if not DIR_FD_SUPPORTED:
        return Folder(real_folder, None)
    root = guard.root_of(real_folder)
    if root is None:
        raise UnsafePathError(target, Unsafe.OUTSIDE)
    current = root
    try:
        fd = _open_dir(str(root), None)
    except OSError as err:
        raise _folder_error(target, current, err) from None
    try:
        for part in real_folder.relative_to(root).parts:
            if part in (".", ".."):  # a real path has none; never climb, whatever the caller
                raise OSError(errno.ENOTDIR, strerror_words("not a plain name"), part)
            current = current / part
            inner = _open_dir(part, fd)
            os.close(fd)
            fd = inner
    except OSError as err:
        os.close(fd)
        raise _folder_error(target, current, err) from None
    return Folder(real_folder, fd)


def _folder_error(target: Path, folder: Path, err: OSError) -> UnsafePathError:
    if err.errno in (errno.ELOOP, errno.ENOTDIR):
        return UnsafePathError(target, Unsafe.FOLDER_REPLACED, folder)
    if isinstance(err, FileNotFoundError):
        return UnsafePathError(target, Unsafe.FOLDER_GONE, folder)
    if isinstance(err, PermissionError):
        return UnsafePathError(target, Unsafe.NO_LOOK, folder)
    return UnsafePathError(target, Unsafe.NOT_LOOKED_INTO, folder, error=err)


def write_failed(target: Path, folder: Path, err: OSError) -> WriteFailed:
    """`target` was not written: writing into `folder` failed with `err`."""
    return WriteFailed(target, WriteProblem.NOT_WRITTEN, folder, err)


def fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | CLOEXEC)
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


def ensure_folder(guard: VaultGuard, folder: Path) -> Path:
    """Create `folder` and any missing parents, each only inside a vault; return its real path.

    Each folder is made inside its parent held open (see open_folder), so no folder renamed
    meanwhile can have it made elsewhere.
    """
    folder = Path(folder)
    missing: list[Path] = []
    current = folder
    while not os.path.isdir(current):
        if os.path.lexists(current) and not os.path.islink(current):
            raise UnsafePathError(folder, Unsafe.IN_THE_WAY, current)
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for part in reversed(missing):
        real = guard.check(part)  # its parent exists now, so this checks where it really goes
        with open_folder(guard, real.parent, folder) as parent:
            try:
                parent.mkdir(real.name)
            except FileExistsError:
                pass  # made meanwhile by someone else; check_folder below verifies it
            except OSError as err:
                raise write_failed(folder, real.parent, err) from None
    return guard.check_folder(folder)
