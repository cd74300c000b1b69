"""Staging new bytes beside a page: the hidden temp file (its name, mode, owner, extended
attributes, fsync) and the checks that the page is still exactly as it was read. `stage_temp`
is the one staging step `write_atomic` and `WriteBatch.add` share."""

from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import stat
from pathlib import Path

from vaultsync.errors import ChangedSinceRead, PageAppeared
from vaultsync.render.notes import note
from vaultsync.writer.folders import NOFOLLOW, Folder, write_failed
from vaultsync.writer.guard import MAX_NAME_BYTES
from vaultsync.writer.read import Snapshot

log = logging.getLogger(__name__)

# Temp files are hidden (leading dot) so that watchers, Obsidian, Logseq and sync tools skip them.
TEMP_GLOB = ".*.vaultsync-*.tmp"
TEMP_PATTERN = re.compile(r"\A\..+\.vaultsync-[0-9a-f]{16}\.tmp\Z", re.DOTALL)
_TEMP_SUFFIX_BYTES = len(".vaultsync-") + 16 + len(".tmp")


def is_temp_file(name: str | os.PathLike[str]) -> bool:
    """True for a name (or path) that is one of vaultsync's own temp files."""
    return TEMP_PATTERN.match(os.path.basename(os.fspath(name))) is not None


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
            log.debug("%s", note("attribute not kept", name=name, error=err))


def write_temp(
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
            fd = folder.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, create_mode)
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


def verify_unchanged(
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


def close_fd(fd: int | None) -> None:
    """Close `fd` unless it is None."""
    if fd is not None:
        os.close(fd)


def open_unchanged(folder: Folder, name: str, target: Path, snapshot: Snapshot) -> int:
    """A handle on the page exactly as read (ChangedSinceRead if it is not)."""
    try:
        fd = folder.open(name, os.O_RDONLY | os.O_NONBLOCK | NOFOLLOW)
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


def stage_temp(
    folder: Folder,
    name: str,
    target: Path,
    snapshot: Snapshot | None,
    data: bytes,
    original: os.stat_result | None,
    *,
    durable: bool = True,
) -> tuple[str, int | None]:
    """Write `data` to a new temp file beside the page `name` in `folder`, ready to be renamed
    onto it; `original` is the page's stat as verify_unchanged found it (None for a new page).

    Returns the temp file's name and a handle on the page exactly as read (None for a new
    page), which the caller closes: its extended attributes went to the temp file, and
    write_atomic holds it across the rename (see put_back_late_write). Not `durable`: no fsync
    (a batch's barrier makes the file durable later). Raises ChangedSinceRead if the page is
    no longer as read, WriteFailed when the disk refuses the temp file.
    """
    old_fd: int | None = None
    try:
        if snapshot is not None:
            old_fd = open_unchanged(folder, name, target, snapshot)
        # New pages get 0o644 minus the umask (the kernel applies it); a rewrite starts private
        # and then takes the original's mode, so no one reads a half-written copy it hid.
        temp = write_temp(
            folder,
            name,
            data,
            create_mode=0o644 if original is None else 0o600,
            original=original,
            original_fd=old_fd,
            durable=durable,
        )
    except OSError as err:
        close_fd(old_fd)
        raise write_failed(target, folder.path, err) from None
    except BaseException:
        close_fd(old_fd)
        raise
    return temp, old_fd
