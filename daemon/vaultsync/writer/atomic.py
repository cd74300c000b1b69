"""The atomic single write, `write_atomic`: the write protocol for one page.

Write only when the bytes change, never over a change made since the page was read, always
through a temp file in the same folder that is fsynced and renamed onto the page; the page is
checked once more just before the rename, and a write that lands in the instant between is put
back (`put_back_late_write`)."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.errors import (
    ChangedSinceRead,
    PageAppeared,
    VaultsyncError,
    WriteFailed,
    WriteProblem,
)
from vaultsync.writer.folders import Folder, open_folder, write_failed
from vaultsync.writer.guard import VaultGuard
from vaultsync.writer.read import Snapshot, read_page
from vaultsync.writer.stage import close_fd, stage_temp, verify_unchanged

if TYPE_CHECKING:
    from vaultsync.history import History

log = logging.getLogger(__name__)


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
    original = verify_unchanged(folder, name, target, snapshot)
    if history is not None and snapshot is not None:
        history.save(real, snapshot.data)
    # old_fd: a handle on the page exactly as read, held across the rename (see
    # put_back_late_write).
    temp, old_fd = stage_temp(folder, name, target, snapshot, new_data, original)
    placed = False
    try:
        verify_unchanged(folder, name, target, snapshot)  # once more: narrows the race
        if snapshot is None:
            link_new(folder, temp, name, target)
        else:
            folder.replace(temp, name)
        placed = True
    except OSError as err:
        close_fd(old_fd)
        raise write_failed(target, folder.path, err) from None
    except BaseException:
        close_fd(old_fd)
        raise
    finally:
        if not placed:  # refused or failed: no temp file is left behind
            folder.remove_quietly(temp)
    if old_fd is not None and snapshot is not None:
        try:
            put_back_late_write(guard, snapshot, new_data, target, real, old_fd, history)
        finally:
            os.close(old_fd)
    try:
        folder.fsync()
    except OSError as err:
        raise WriteFailed(target, WriteProblem.NOT_FLUSHED, folder.path, err) from None


def _read_all_at(fd: int) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def put_back_late_write(
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
    kept = False  # the first write's bytes are in the history
    if history is not None and history.keep_versions > 0:  # (0: read for holds, keeps none)
        try:  # kept there even if the page changes again before it goes back
            history.save(real, late)
            kept = True
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
    raise WriteFailed(target, WriteProblem.LATE_WRITE, kept=kept)


def link_new(folder: Folder, temp: str, name: str, target: Path) -> None:
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
