"""Reading a page: its bytes and the stat fields (`Snapshot`) the write protocol re-checks before
it replaces the page; with a guard, read through the folder handle a write would use."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vaultsync.errors import ChangedSinceRead, PageUnreadable, PageVanished, Unreadable
from vaultsync.writer.folders import NOFOLLOW, open_folder
from vaultsync.writer.guard import VaultGuard

MAX_PAGE_BYTES = 20 * 2**20
READ_ATTEMPTS = 5


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


def _read_error(path: Path, err: OSError) -> PageUnreadable:
    if isinstance(err, FileNotFoundError | NotADirectoryError):
        return PageVanished(path)
    if isinstance(err, PermissionError):
        return PageUnreadable(path, Unreadable.DENIED)
    if err.errno == errno.ELOOP:
        return PageUnreadable(path, Unreadable.LINK_LOOP)
    if err.errno == errno.ENAMETOOLONG:
        return PageUnreadable(path, Unreadable.NAME_TOO_LONG)
    return PageUnreadable(path, Unreadable.FAILED, err)


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
                return folder.open(name, os.O_RDONLY | os.O_NONBLOCK | NOFOLLOW)
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
                raise PageUnreadable(path, Unreadable.FOLDER)
            if not stat.S_ISREG(before.st_mode):
                raise PageUnreadable(path, Unreadable.NOT_REGULAR)
            if before.st_size > max_bytes:
                raise PageUnreadable(
                    path, Unreadable.TOO_LARGE, size=before.st_size, limit=max_bytes
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
            raise PageUnreadable(path, Unreadable.GREW, limit=max_bytes)
    raise ChangedSinceRead(path)
