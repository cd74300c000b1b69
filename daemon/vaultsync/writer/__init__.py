"""Every file operation on a vault: reading pages, deciding where writes may go, atomic rewrites.

The write protocol (see the guide on watching and writing): write only when the bytes change,
never over a change made since the page was read, always through a temp file in the same folder
that is fsynced and renamed onto the page.

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
import re
import secrets
import shutil
import stat
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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
    # The device the page lies on, -1 when unknown (a snapshot made from a cache row). With the
    # inode it names the very file that was read, so a write never replaces another file than
    # the one read, even if a folder was swapped between the read and the write.
    dev: int = field(default=-1, compare=False)

    def matches(self, st: os.stat_result) -> bool:
        """True when `st` describes the same, unchanged file as this snapshot."""
        same = (st.st_mtime_ns, st.st_size, st.st_ino) == (self.mtime_ns, self.size, self.ino)
        return same and self.dev in (-1, st.st_dev)


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


def read_page(
    path: Path, max_bytes: int = MAX_PAGE_BYTES, *, guard: VaultGuard | None = None
) -> Snapshot:
    """Read a page and the stat fields the write protocol checks later.

    With `guard`, the page is read the way a write reaches it: through its folder opened from
    the vault root (no link followed), and never through a link at the page itself; use it for
    a page about to be rewritten. A path the guard refuses raises UnsafePathError.

    Raises PageVanished if it is gone, PageUnreadable for anything else that stops the read, and
    ChangedSinceRead if the page kept changing while being read.
    """
    if not isinstance(path, Path):
        path = Path(path)
    if guard is None:
        # O_NONBLOCK: opening a FIFO someone left in the vault must not hang the daemon.
        return _read_snapshot(
            path,
            lambda: os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC),
            lambda: os.stat(path),
            max_bytes,
        )
    real = guard.check(path)
    with open_folder(guard, real.parent, path) as folder:
        name = real.name

        def open_page() -> int:
            try:
                return folder.open(name, os.O_RDONLY | os.O_NONBLOCK | _O_NOFOLLOW)
            except OSError as err:
                if err.errno == errno.ELOOP:  # the guard saw no link: one was put there since
                    raise ChangedSinceRead(path) from None
                raise

        return _read_snapshot(path, open_page, lambda: folder.stat(name), max_bytes)


def _read_snapshot(
    path: Path,
    open_page: Callable[[], int],
    stat_page: Callable[[], os.stat_result],
    max_bytes: int,
) -> Snapshot:
    for _ in range(READ_ATTEMPTS):
        try:
            fd = open_page()
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
            # By name, not through the descriptor: a page replaced by rename during the read
            # shows up as a new inode.
            after = stat_page()
        except OSError as err:
            raise _read_error(path, err) from None
        unchanged = (after.st_mtime_ns, after.st_size, after.st_ino, after.st_dev) == (
            before.st_mtime_ns,
            before.st_size,
            before.st_ino,
            before.st_dev,
        )
        if unchanged and len(data) == after.st_size:
            return Snapshot(
                path, data, after.st_mtime_ns, after.st_size, after.st_ino, after.st_dev
            )
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
        return self.root_of(real) is not None

    def root_of(self, real: Path) -> Path | None:
        """The vault root that `real` (a real path) lies in, compared component by component
        (so /x/vault-evil is not inside /x/vault), or None."""
        for root in self.roots:
            if real == root or real.is_relative_to(root):
                return root
        return None

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
    """Create `folder` and any missing parents, each only inside a vault; return its real path.

    Each folder is made inside its parent held open (see open_folder), so no folder renamed
    meanwhile can have it made elsewhere.
    """
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
        with open_folder(guard, real.parent, folder) as parent:
            try:
                parent.mkdir(real.name)
            except FileExistsError:
                pass  # made meanwhile by someone else; check_folder below verifies it
            except OSError as err:
                raise WriteFailed(folder, _write_reason(real.parent, err)) from None
    return guard.check_folder(folder)


# --------------------------------------------------------------------------- folder handles

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
_O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)


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
        return os.open(self._at(name), flags | _O_CLOEXEC, mode, **self._dir())

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
            log.warning("could not remove temp file %s: %s", self.path / name, err.strerror)

    def fsync(self) -> None:
        """Flush the folder's entries (the rename) to disk, where the filesystem can."""
        if self.fd is None:
            _fsync_folder(self.path)
            return
        try:
            os.fsync(self.fd)
        except OSError as err:
            if err.errno not in _DIR_FSYNC_UNSUPPORTED:
                raise


def _open_dir(name: str, dir_fd: int | None) -> int:
    """Open one folder without following a link at `name` (ELOOP or ENOTDIR if it is one)."""
    flags = os.O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC
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
        raise UnsafePathError(target, "it is outside every configured vault")
    current = root
    try:
        fd = _open_dir(str(root), None)
    except OSError as err:
        raise _folder_error(target, current, err) from None
    try:
        for part in real_folder.relative_to(root).parts:
            if part in (".", ".."):  # a real path has none; never climb, whatever the caller
                raise OSError(errno.ENOTDIR, "not a plain folder name", part)
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
        return UnsafePathError(
            target,
            f"{folder} is no longer a folder (it was replaced by a symbolic link or a file "
            "just now); nothing was written",
        )
    if isinstance(err, FileNotFoundError):
        return UnsafePathError(target, f"{folder} was moved or removed just now; nothing written")
    if isinstance(err, PermissionError):
        return UnsafePathError(
            target, f"cannot look into {folder}: permission denied; check its permissions"
        )
    return UnsafePathError(target, f"cannot look into {folder}: {err.strerror or err}")


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


# Extended attributes: what a platform, a filesystem or our rights do not allow is skipped.
_XATTRS_SUPPORTED = all(hasattr(os, f) for f in ("listxattr", "getxattr", "setxattr"))
_XATTR_SKIPPED = frozenset(
    getattr(errno, name)
    for name in ("ENOTSUP", "EOPNOTSUPP", "EPERM", "EACCES", "ENODATA", "ENOATTR")
    if hasattr(errno, name)
)


def copy_xattrs(source_fd: int, dest_fd: int) -> None:
    """Give `dest_fd` the extended attributes of `source_fd` (user tags, ACLs, labels), which a
    rename onto the page would otherwise drop. Attributes the filesystem or our rights cannot
    set are left out; any other failure raises OSError. A no-op where Python has no xattr
    calls (macOS, Windows)."""
    if not _XATTRS_SUPPORTED:
        return
    try:
        names = os.listxattr(source_fd)
    except OSError as err:
        if err.errno in _XATTR_SKIPPED:
            return
        raise
    for name in names:
        try:
            os.setxattr(dest_fd, name, os.getxattr(source_fd, name))
        except OSError as err:
            if err.errno not in _XATTR_SKIPPED:
                raise
            log.debug("extended attribute %s not kept: %s", name, err.strerror)


def _write_temp(
    folder: Folder,
    name: str,
    data: bytes,
    *,
    create_mode: int,
    original: os.stat_result | None = None,
    original_fd: int | None = None,
    durable: bool = True,
) -> str:
    """Write `data` to a new hidden temp file in `folder`, fsynced (unless not `durable`: a
    batch's barrier makes it durable later); give it the original's mode,
    owner and extended attributes. Returns the temp file's name."""
    for attempt in range(8):
        temp = _temp_name(name)
        try:
            fd = folder.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW, create_mode)
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
        if original_fd is not None:
            copy_xattrs(original_fd, fd)  # after fchmod: an ACL copied keeps its own mask
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        folder.remove_quietly(temp)
        raise
    os.close(fd)
    return temp


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_CLOEXEC)
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


def _verify_unchanged(
    folder: Folder, name: str, target: Path, snapshot: Snapshot | None
) -> os.stat_result | None:
    """Raise unless the target is still exactly what was read (or still absent for a new page)."""
    st = folder.lstat_or_none(name)
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
    with open_folder(guard, real.parent, target) as folder:
        _write_in(folder, guard, snapshot, target, real, new_data, history)
    return True


def _write_in(
    folder: Folder,
    guard: VaultGuard,
    snapshot: Snapshot | None,
    target: Path,
    real: Path,
    new_data: bytes,
    history: History | None,
) -> None:
    name = real.name
    original = _verify_unchanged(folder, name, target, snapshot)
    if history is not None and snapshot is not None:
        history.save(real, snapshot.data)
    old_fd: int | None = None
    temp: str | None = None
    try:
        if snapshot is not None:
            # A handle on the page exactly as read: its extended attributes go to the temp
            # file, and it is held across the rename (see _put_back_late_write).
            old_fd = _open_unchanged(folder, name, target, snapshot)
        # New pages get 0o644 minus the umask (the kernel applies it); a rewrite starts private
        # and then takes the original's mode, so no one reads a half-written copy it hid.
        temp = _write_temp(
            folder,
            name,
            new_data,
            create_mode=0o644 if original is None else 0o600,
            original=original,
            original_fd=old_fd,
        )
        _verify_unchanged(folder, name, target, snapshot)  # once more: narrows the race
        if snapshot is None:
            _link_new(folder, temp, name, target)
        else:
            folder.replace(temp, name)
        temp = None
    except OSError as err:
        _close(old_fd)
        raise WriteFailed(target, _write_reason(folder.path, err)) from None
    except BaseException:
        _close(old_fd)
        raise
    finally:
        if temp is not None:  # refused or failed: no temp file is left behind
            folder.remove_quietly(temp)
    if old_fd is not None and snapshot is not None:
        try:
            _put_back_late_write(guard, snapshot, new_data, target, real, old_fd, history)
        finally:
            os.close(old_fd)
    try:
        folder.fsync()
    except OSError as err:
        raise WriteFailed(
            target, f"written, but {folder.path} could not be flushed to disk: {err.strerror}"
        ) from None


def remove_page(guard: VaultGuard, snapshot: Snapshot, *, history: History | None = None) -> None:
    """Delete a page vaultsync manages (an author page merged into another), keeping its bytes
    in the history first. Refused outside the vault; ChangedSinceRead if it changed since read."""
    target = Path(snapshot.path)
    real = guard.check(target)
    with open_folder(guard, real.parent, target) as folder:
        _verify_unchanged(folder, real.name, target, snapshot)
        if history is not None:
            history.save(real, snapshot.data)
        try:
            folder.unlink(real.name)
        except FileNotFoundError:
            return
        except OSError as err:
            raise WriteFailed(target, _write_reason(real.parent, err)) from None
        try:
            folder.fsync()
        except OSError:
            pass


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def _open_unchanged(folder: Folder, name: str, target: Path, snapshot: Snapshot) -> int:
    """A handle on the page exactly as read (ChangedSinceRead if it is not)."""
    try:
        fd = folder.open(name, os.O_RDONLY | os.O_NONBLOCK | _O_NOFOLLOW)
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
    if history is not None and history.keep_versions > 0:  # (0: read for holds, keeps none)
        try:  # kept there even if the page changes again before it goes back
            history.save(real, late)
            kept = "the version with the first write is in the history (`vaultsync history`)"
        except VaultsyncError as err:
            log.warning("%s", err)
    put_back = False
    try:
        ours = read_page(real, guard=guard)
        if ours.data == new_data:  # else the page changed again: never write over that
            put_back = write_atomic(guard, ours, target, late)
    except VaultsyncError as err:
        log.warning("%s", err)
    if put_back:
        raise ChangedSinceRead(target)  # the caller starts over from the bytes put back
    raise WriteFailed(
        target, f"another program wrote to it while it was replaced, and again just after; {kept}"
    )


def _link_new(folder: Folder, temp: str, name: str, target: Path) -> None:
    """Move the temp file onto a new page without ever replacing a file that appeared meanwhile."""
    try:
        folder.link(temp, name)  # fails if the name exists: an atomic create-if-absent
    except FileExistsError:
        raise PageAppeared(target) from None
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # Filesystems without hard links (FAT, some network shares): checked just above.
        folder.replace(temp, name)
        return
    folder.remove_quietly(temp)


def make_private_dirs(path: Path) -> None:
    """Create `path` and its missing parents, each with mode 0o700 (mkdir's `parents=True` gives
    the parents the umask's default mode: the state folder came out 0o755). Only the folders
    created here are given that mode: an existing folder's mode is never changed. Raises
    OSError."""
    missing: list[Path] = []
    current = Path(path)
    while not os.path.lexists(current) and current.parent != current:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # made meanwhile by someone else: not ours to chmod
        # A umask can take the owner's own bits away from mkdir's mode: put them back.
        if stat.S_IMODE(os.stat(folder).st_mode) != 0o700:
            os.chmod(folder, 0o700)
    if not Path(path).is_dir():
        raise FileExistsError(errno.EEXIST, "exists and is not a folder", str(path))


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed, readable by its owner only (0o700).

    A folder that exists already keeps its mode: vaultsync changes the mode only of folders it
    creates (the state folder itself is chosen by `state_folder`, so it is private)."""
    try:
        make_private_dirs(path)
    except FileExistsError:
        raise VaultsyncError(
            f"{path}: is a file, but vaultsync needs a folder there; move the file away"
        ) from None
    except OSError as err:
        reason = err.strerror or str(err)
        raise VaultsyncError(
            f"{path}: cannot create or use this folder: {reason}; "
            "check its permissions or choose another place"
        ) from None
    return path


def make_private_folder(folder: Path) -> None:
    """Create `folder` and its missing parents, and make each of them (and `folder`, if it
    existed) 0o700: the history's store, whose copies of pages nobody else may read. Raises
    OSError."""
    missing: list[Path] = []
    current = Path(folder)
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for part in reversed(missing):
        try:
            os.mkdir(part, 0o700)
        except FileExistsError:
            pass
        os.chmod(part, 0o700)  # the umask may not take bits away from mkdir's mode
    os.chmod(folder, 0o700)


def make_folders(path: Path, mode: int = 0o777) -> None:
    """Create the folder `path` (with `mode`, less the umask) and its missing parents (with
    the default mode), for files of the user's outside the state folder: the config file,
    a service unit, the log file. Raises OSError."""
    Path(path).mkdir(parents=True, exist_ok=True, mode=mode)


def copy_folder(source: Path, target: Path) -> None:
    """Copy the folder `source` to `target`, which must not exist (the demo's copies of the
    bundled sample vaults). Raises OSError."""
    shutil.copytree(source, target, dirs_exist_ok=False)


def write_private_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Atomically replace one of vaultsync's own files (history, state) outside any vault.

    No guard and no change check: never use this for vault pages. Raises OSError.
    """
    path = Path(path)
    folder = Folder(path.parent, None)
    temp = _write_temp(folder, path.name, data, create_mode=mode)
    try:
        os.replace(folder.path / temp, path)
    except BaseException:
        folder.remove_quietly(temp)
        raise
    _fsync_folder(path.parent)


def open_private_file(path: Path, mode: int = 0o600) -> int:
    """Open one of vaultsync's own files that is kept in place rather than replaced (a lock or
    pid file: the lock belongs to that very file), creating it with `mode`; a link at its name
    is never followed. Raises OSError."""
    return os.open(path, os.O_RDWR | os.O_CREAT | _O_NOFOLLOW | _O_CLOEXEC, mode)


def create_private_file(path: Path, mode: int = 0o600) -> int:
    """Create one of vaultsync's own files, which must not exist yet (a history pack, written
    as a pass goes and made durable by its barrier), open for writing; a link at its name is
    never followed. Raises OSError."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC, mode)


def touch_private_file(path: Path, mode: int = 0o600) -> None:
    """Create one of vaultsync's own files empty, with `mode`, if it is missing; an existing one
    is left as it is: the state cache's database, which SQLite then opens and writes itself (so
    it is created private, not with the umask's mode). Raises OSError."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT | _O_CLOEXEC, mode))


def append_private_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Append `data` to one of vaultsync's own logs (the activity log), creating it with `mode`;
    a link at its name is never followed. Raises OSError."""
    fd = open_private_file(path, mode)
    try:
        os.lseek(fd, 0, os.SEEK_END)
        os.write(fd, data)
    finally:
        os.close(fd)


def move_private_file(path: Path, target: Path) -> None:
    """Rename one of vaultsync's own files (or folders) to `target`, replacing a file there: a
    log's rotation, an earlier state moved into the private state folder. Raises OSError."""
    os.replace(path, target)


def rewrite_private_file(fd: int, data: bytes) -> None:
    """Make the file open as `fd` (see open_private_file) hold exactly `data`. Raises OSError."""
    os.ftruncate(fd, 0)
    view = memoryview(data)
    offset = 0
    while offset < len(view):
        offset += os.pwrite(fd, view[offset:], offset)


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


# --------------------------------------------------------------------------- batched writes

# Each phase of a full pass writes this many pages one by one (write_atomic), the rest as a
# batch (WriteBatch). Measured with bench/batch_threshold.py (docs/performance.md, "Third
# round"): below 4 pages the barrier's fixed cost is more than the fsyncs it saves, and the
# crossover moved between 4 and 16 with the disk's load. VAULTSYNC_BATCH_MIN overrides it (the
# crash tests run the batched path on small vaults with 0).
BATCH_MIN = 16
# Temp files a batch holds in the vault before it commits (and folders it holds open).
BATCH_MAX_FILES = 512
BATCH_MAX_BYTES = 64 * 2**20
BATCH_MAX_FOLDERS = 64


def batch_threshold() -> int:
    """How many writes a full pass makes one by one before it batches the rest."""
    value = os.environ.get("VAULTSYNC_BATCH_MIN", "")
    return int(value) if value.isdigit() else BATCH_MIN


Done = Callable[[VaultsyncError | None], None]


@dataclass
class _Pending:
    snapshot: Snapshot | None
    target: Path
    real: Path
    data: bytes
    temp: str
    folder: Folder
    done: Done


def _syncfs_call() -> Callable[[int], int] | None:
    """libc's syncfs(2) on Linux (flush one file system, and since Linux 5.8 report its write
    errors), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        call = libc.syncfs
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int]
    call.restype = ctypes.c_int

    def syncfs(fd: int) -> int:
        if call(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        return 0

    return syncfs


def _full_fsync(fd: int) -> None:
    """macOS: fsync(2) only hands the data to the drive; F_FULLFSYNC also empties the drive's
    cache, for every file written before it, so one call ends a batch."""
    import fcntl

    fcntl.fcntl(fd, fcntl.F_FULLFSYNC)  # type: ignore[attr-defined]


class WriteBatch:
    """Many pages written with one durability barrier, as git's `core.fsyncMethod=batch`.

    `add` checks the page and writes its temp file now, in its folder held open (as
    write_atomic does), without an fsync of its own; `commit` makes every temp file durable
    with one barrier (see _barrier_kind: on Linux all of them fsynced at once, which the file
    system commits together; macOS: one F_FULLFSYNC; elsewhere an fsync per file), then, page
    by page, opens the folder afresh from the vault root, checks it is the
    folder the temp file was written in and that the page is still exactly as read, renames,
    and last fsyncs each folder once. A crash at any point leaves each page its old or its new
    bytes; the temp files left behind are removed by the next pass's cleanup.

    The history copies of the pages go into one pack (History.pack), made durable before the
    first rename. The first `direct` writes go through write_atomic (few writes are cheaper
    one by one); each `done` callback is called once, after the page's write or its failure
    (None, or the VaultsyncError that stopped it), in the order the pages were added.
    """

    def __init__(
        self, guard: VaultGuard, *, history: History | None = None, direct: int | None = None
    ) -> None:
        self.guard = guard
        self.history = history
        self.direct = batch_threshold() if direct is None else direct
        self.added = 0  # writes handed to this batch, direct ones included
        self._pending: list[_Pending] = []
        self._targets: set[Path] = set()  # the targets of _pending
        self._bytes = 0
        self._folders: dict[Path, Folder] = {}
        self._pack = None
        self._unsynced = False  # temp files written without their own fsync
        self._written: list[Done] = []  # the callbacks of the direct writes, done already

    def __enter__(self) -> WriteBatch:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:
            self.finish()
        else:
            self.abort()

    def finish(self) -> None:
        """Commit what is left, and close the history pack (the pass's versions: one file,
        fsynced once per commit, pruned once)."""
        self.commit()
        if self._pack is not None:
            pack, self._pack = self._pack, None
            try:
                pack.close()
            except VaultsyncError as err:  # (its copies were synced before their renames)
                log.warning("%s", err)

    def take_direct(self) -> bool:
        """True (and counted) while the batch is below its threshold: the caller writes this
        page itself, through write_atomic, and it is done at once."""
        if self.added < self.direct:
            self.added += 1
            return True
        return False

    def holds(self, target: Path) -> bool:
        """True when a write to `target` waits in this batch."""
        return target in self._targets

    def add(
        self, snapshot: Snapshot | None, target: Path, data: bytes, done: Done, *, history=True
    ) -> bool:
        """Queue `data` for `target` (snapshot None: a new page); False when nothing changes.
        Raises what write_atomic raises for what can be told now (the page changed since read,
        a path outside the vault, the disk refusing the temp file); later failures go to
        `done`. `history`: keep the old bytes in the history (False for a new page)."""
        if not isinstance(target, Path):
            target = Path(target)
        keep = self.history if history else None
        if self.added < self.direct:
            if not write_atomic(self.guard, snapshot, target, data, history=keep):
                return False
            self.added += 1
            self._written.append(done)
            return True
        real = self.guard.check(target)
        if snapshot is not None and data == snapshot.data:
            return False
        self.added += 1
        folder = self._folder(real.parent, target)
        name = real.name
        original = _verify_unchanged(folder, name, target, snapshot)
        if keep is not None and snapshot is not None:
            if self._pack is None:
                self._pack = keep.pack()
            self._pack.add(real, snapshot.data)
        old_fd: int | None = None
        try:
            if snapshot is not None:
                old_fd = _open_unchanged(folder, name, target, snapshot)
            temp = _write_temp(
                folder,
                name,
                data,
                create_mode=0o644 if original is None else 0o600,
                original=original,
                original_fd=old_fd,
                durable=per_file_fsync(),
            )
        except OSError as err:
            raise WriteFailed(target, _write_reason(folder.path, err)) from None
        finally:
            _close(old_fd)
        self._unsynced = True
        self._pending.append(_Pending(snapshot, target, real, data, temp, folder, done))
        self._targets.add(target)
        self._bytes += len(data)
        return True

    @property
    def full(self) -> bool:
        """Time to commit: the caller does, between two pages (never inside `add`, so no
        callback runs in the middle of another page's work)."""
        return (
            len(self._pending) >= BATCH_MAX_FILES
            or self._bytes >= BATCH_MAX_BYTES
            or len(self._folders) >= BATCH_MAX_FOLDERS
            or len(self._written) >= BATCH_MAX_FILES
        )

    def _folder(self, real_folder: Path, target: Path) -> Folder:
        folder = self._folders.get(real_folder)
        if folder is None:
            folder = open_folder(self.guard, real_folder, target)
            self._folders[real_folder] = folder
        return folder

    def commit(self) -> None:
        """Make the batch durable and put every page in place; call each `done`."""
        written, self._written = self._written, []
        for done in written:
            done(None)
        pending, self._pending, self._bytes = self._pending, [], 0
        self._targets = set()
        held, self._folders = self._folders, {}
        fresh: dict[Path, Folder] = {}
        outcomes: list[VaultsyncError | None] = []
        try:
            failure = self._barrier(pending, held)
            for item in pending:
                if failure is None:
                    outcomes.append(self._put(item, fresh))
                else:
                    item.folder.remove_quietly(item.temp)
                    outcomes.append(WriteFailed(item.target, failure))
            for path, folder in fresh.items():  # one fsync per folder: the renames are durable
                try:
                    folder.fsync()
                except OSError as err:
                    reason = f"written, but {path} could not be flushed to disk: {err.strerror}"
                    for i, item in enumerate(pending):
                        if item.real.parent == path and outcomes[i] is None:
                            outcomes[i] = WriteFailed(item.target, reason)
        except BaseException:
            for item in pending[len(outcomes) :]:
                item.folder.remove_quietly(item.temp)
            raise
        finally:
            for folder in [*held.values(), *fresh.values()]:
                folder.close()
        for item, outcome in zip(pending, outcomes, strict=True):
            item.done(outcome)

    def _barrier(self, pending: list[_Pending], folders: dict[Path, Folder]) -> str | None:
        """Make the temp files (and the history pack) durable; a reason when it failed."""
        if self._pack is not None:
            try:
                self._pack.sync()  # every copy is on disk before its page is replaced
            except VaultsyncError as err:
                return str(err)
        if not pending or not self._unsynced:
            return None
        self._unsynced = False
        try:
            kind, syncfs = _barrier_kind()
            if syncfs is not None:
                seen: set[int] = set()
                for folder in folders.values():
                    dev = os.fstat(folder.fd).st_dev if folder.fd is not None else -1
                    if dev not in seen and folder.fd is not None:
                        seen.add(dev)
                        syncfs(folder.fd)
                if -1 in seen or any(f.fd is None for f in folders.values()):
                    os.sync()
            elif kind == "parallel":
                _fsync_all(pending)
            elif kind == "fullfsync":
                last = pending[-1]  # (one full flush empties the drive's cache for all)
                fd = last.folder.open(last.temp, os.O_RDONLY | _O_NOFOLLOW)
                try:
                    _full_fsync(fd)
                finally:
                    os.close(fd)
        except OSError as err:
            return f"cannot be flushed to disk: {err.strerror or err}; nothing was replaced"
        return None

    def _put(self, item: _Pending, fresh: dict[Path, Folder]) -> VaultsyncError | None:
        """Rename one temp file over its page, in its folder opened afresh from the vault root
        and proven the very folder the temp file was written in (a folder moved or swapped
        since is refused); the error that stopped it, or None."""
        placed = False
        try:
            folder = fresh.get(item.real.parent)
            if folder is None:
                real = self.guard.check_folder(item.real.parent)
                folder = open_folder(self.guard, real, item.target)
                fresh[item.real.parent] = folder
            if not _same_folder(folder, item.folder):
                raise UnsafePathError(
                    item.target, f"{item.real.parent} was moved or replaced just now; not written"
                )
            self._rename(folder, item)
            placed = True
            return None
        except VaultsyncError as err:
            return err
        except OSError as err:
            return WriteFailed(item.target, _write_reason(item.folder.path, err))
        finally:
            if not placed:  # refused or failed: no temp file is left behind
                item.folder.remove_quietly(item.temp)

    def _rename(self, folder: Folder, item: _Pending) -> None:
        name, target, snapshot = item.real.name, item.target, item.snapshot
        _verify_unchanged(folder, name, target, snapshot)
        if snapshot is None:
            _link_new(folder, item.temp, name, target)
            return
        old_fd = _open_unchanged(folder, name, target, snapshot)
        try:
            folder.replace(item.temp, name)
        except BaseException:
            os.close(old_fd)
            raise
        try:
            _put_back_late_write(
                self.guard, snapshot, item.data, target, item.real, old_fd, self.history
            )
        finally:
            os.close(old_fd)

    def abort(self) -> None:
        """Remove the temp files of what was added and not committed (nothing replaced)."""
        self._written = []
        pending, self._pending, self._bytes = self._pending, [], 0
        self._targets = set()
        folders, self._folders = self._folders, {}
        self._drop(pending, folders)
        if self._pack is not None:
            pack, self._pack = self._pack, None
            try:
                pack.close()
            except VaultsyncError as err:
                log.warning("%s", err)

    @staticmethod
    def _drop(pending: list[_Pending], folders: dict[Path, Folder]) -> None:
        for item in pending:
            item.folder.remove_quietly(item.temp)
        for folder in folders.values():
            folder.close()


def _same_folder(a: Folder, b: Folder) -> bool:
    if a.fd is None or b.fd is None:
        return a.path == b.path
    one, two = os.fstat(a.fd), os.fstat(b.fd)
    return (one.st_dev, one.st_ino) == (two.st_dev, two.st_ino)


_BARRIER: tuple[str, Callable[[int], int] | None] | None = None


def _barrier_kind() -> tuple[str, Callable[[int], int] | None]:
    """How a batch is made durable here (found on first use: ctypes is imported only by a pass
    that batches):
    - "parallel" (Linux, the default): every temp file fsynced at once from a pool of threads.
      Each is a real fsync (its own error, nothing else flushed), and the file system commits
      them together (ext4's and XFS's journals group concurrent commits): about the cost of one
      barrier, without writing back what other programs left unwritten on the same disk;
    - "syncfs" (Linux, VAULTSYNC_BATCH_BARRIER=syncfs): one syncfs(2) per file system: flushes
      everything dirty on it (write errors reported since Linux 5.8);
    - "fullfsync" (macOS): fsync per file as written (it only reaches the drive's cache, fast),
      then one F_FULLFSYNC empties the drive's cache for all of them;
    - "per-file" (elsewhere): each temp file fsynced as written, as write_atomic does.
    """
    global _BARRIER
    if _BARRIER is None:
        wanted = os.environ.get("VAULTSYNC_BATCH_BARRIER", "")
        syncfs = _syncfs_call() if DIR_FD_SUPPORTED and wanted == "syncfs" else None
        if syncfs is not None:
            _BARRIER = ("syncfs", syncfs)
        elif sys.platform.startswith("linux") and wanted != "per-file":
            _BARRIER = ("parallel", None)
        elif sys.platform == "darwin" and wanted != "per-file":
            _BARRIER = ("fullfsync", None)
        else:
            _BARRIER = ("per-file", None)
    return _BARRIER


def _fsync_all(pending: list[_Pending]) -> None:
    """fsync every temp file of a batch at once (threads: fsync releases the GIL, and the
    file system commits concurrent fsyncs together). Raises the first OSError."""
    from concurrent.futures import ThreadPoolExecutor

    def one(item: _Pending) -> None:
        fd = item.folder.open(item.temp, os.O_RDONLY | _O_NOFOLLOW)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    with ThreadPoolExecutor(max_workers=min(_FSYNC_THREADS, len(pending))) as pool:
        for _ in pool.map(one, pending):
            pass


_FSYNC_THREADS = 32


def per_file_fsync() -> bool:
    """Whether each temp file of a batch is fsynced as it is written (the barrier does not
    cover it alone)."""
    return _barrier_kind()[0] not in ("syncfs", "parallel")
