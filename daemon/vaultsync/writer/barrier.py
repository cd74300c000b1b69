"""The durability barrier of a write batch: how this platform makes many temp files durable at
once (a pool of parallel fsyncs, syncfs, one F_FULLFSYNC, or an fsync per file)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from vaultsync.writer import folders as folder_handles
from vaultsync.writer.folders import NOFOLLOW, Folder

# A temp file of a batch: its folder and its name there.
Temp = tuple[Folder, str]


def sync_temp_files(temps: list[Temp], folders: list[Folder]) -> None:
    """Make the temp files `temps` (written in `folders`, held open) durable, the way this
    platform does it best (see _barrier_kind). Raises OSError."""
    kind, syncfs = _barrier_kind()
    if syncfs is not None:
        seen: set[int] = set()
        for folder in folders:
            dev = os.fstat(folder.fd).st_dev if folder.fd is not None else -1
            if dev not in seen and folder.fd is not None:
                seen.add(dev)
                syncfs(folder.fd)
        if -1 in seen or any(f.fd is None for f in folders):
            os.sync()
    elif kind == "parallel":
        _fsync_all(temps)
    elif kind == "fullfsync":
        folder, temp = temps[-1]  # (one full flush empties the drive's cache for all)
        fd = folder.open(temp, os.O_RDONLY | NOFOLLOW)
        try:
            _full_fsync(fd)
        finally:
            os.close(fd)


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
        syncfs = _syncfs_call() if folder_handles.DIR_FD_SUPPORTED and wanted == "syncfs" else None
        if syncfs is not None:
            _BARRIER = ("syncfs", syncfs)
        elif sys.platform.startswith("linux") and wanted != "per-file":
            _BARRIER = ("parallel", None)
        elif sys.platform == "darwin" and wanted != "per-file":
            _BARRIER = ("fullfsync", None)
        else:
            _BARRIER = ("per-file", None)
    return _BARRIER


def _fsync_all(temps: list[Temp]) -> None:
    """fsync every temp file of a batch at once (threads: fsync releases the GIL, and the
    file system commits concurrent fsyncs together). Raises the first OSError."""
    from concurrent.futures import ThreadPoolExecutor

    def one(temp: Temp) -> None:
        folder, name = temp
        fd = folder.open(name, os.O_RDONLY | NOFOLLOW)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    with ThreadPoolExecutor(max_workers=min(_FSYNC_THREADS, len(temps))) as pool:
        for _ in pool.map(one, temps):
            pass


_FSYNC_THREADS = 32


def per_file_fsync() -> bool:
    """Whether each temp file of a batch is fsynced as it is written (the barrier does not
    cover it alone)."""
    return _barrier_kind()[0] not in ("syncfs", "parallel")
