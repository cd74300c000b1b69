"""Advisory locks in the state folder: one per vault, one for the daemon itself.

A `resync` started while the daemon runs waits for the daemon's pass on that vault (and the
other way round), so two writers never work on one vault at the same moment. The kernel drops
a lock when its holder dies, so a crash never leaves a vault locked.

A state folder that cannot be written (full disk, read-only file system, no permission) stops
the command or the daemon here, before anything is cleaned, with StateFolderUnusable naming
the folder and what to do.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vaultsync.errors import StateFolderUnusable, VaultsyncError
from vaultsync.render import error_message
from vaultsync.writer import ensure_private_dir, open_private_file, rewrite_private_file


class LockBusy(VaultsyncError):
    """Another vaultsync process holds the lock of the vault at `root`."""

    exit_code = 1

    def __init__(self, root: Path | None) -> None:
        super().__init__(root)
        self.root = root

    def __str__(self) -> str:
        return error_message(self)  # its words, and its subclasses', are in render/errors.py


class LockWaitCancelled(LockBusy):
    """The wait for a vault's lock was given up because the waiter is stopping."""


class DaemonRunning(LockBusy):
    """A daemon (`pid`, as its pid file holds it) already runs on this state folder."""

    def __init__(self, pid: str, state_dir: Path) -> None:
        super().__init__(None)
        self.pid, self.state_dir = pid, state_dir


def _lock_path(state_dir: Path, key: str) -> Path:
    folder = ensure_private_dir(state_dir / "locks")
    return folder / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.lock"


@contextmanager
def vault_lock(
    state_dir: Path,
    root: Path,
    timeout: float = 600.0,
    cancelled: Callable[[], bool] | None = None,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold the vault's lock; waits (polling) up to `timeout` seconds for another holder, and
    gives up (LockWaitCancelled) as soon as `cancelled()` turns true. `on_wait` is called once
    if the lock is busy, so a command can say why it waits."""
    path = _lock_path(state_dir, str(root))
    what = f"the lock of vault {root}"
    fd = _open(path, what)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                    on_wait = None
                if cancelled is not None and cancelled():
                    raise LockWaitCancelled(root) from None
                if time.monotonic() >= deadline:
                    raise LockBusy(root) from None
                time.sleep(0.05)
            except OSError as err:  # such as ENOLCK: a file system without locks
                raise _unusable(path, what, err) from None
        _write_pid(fd, path, what)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _unusable(path: Path, what: str, err: OSError) -> StateFolderUnusable:
    return StateFolderUnusable(path.parent, what, err.errno, err.strerror or str(err))


def _open(path: Path, what: str) -> int:
    try:
        return open_private_file(path)
    except OSError as err:
        raise _unusable(path, what, err) from None


def _write_pid(fd: int, path: Path, what: str) -> None:
    """Note our pid in the lock file we hold (for `status` and for the waiting side); a full or
    read-only state folder stops here, before any page is cleaned."""
    try:
        rewrite_private_file(fd, f"{os.getpid()}\n".encode())
    except OSError as err:
        raise _unusable(path, what, err) from None


class DaemonLock:
    """Held for the daemon's lifetime: a second `vaultsync run` on the same state folder stops."""

    def __init__(self, state_dir: Path) -> None:
        self.path = ensure_private_dir(state_dir) / "daemon.pid"
        self.fd: int | None = None

    def acquire(self) -> None:
        what = "the daemon's pid file"
        fd = _open(self.path, what)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "not recorded yet"
            os.close(fd)
            raise DaemonRunning(holder, self.path.parent) from None
        except OSError as err:
            os.close(fd)
            raise _unusable(self.path, what, err) from None
        try:
            _write_pid(fd, self.path, what)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def running_pid(state_dir: Path) -> int | None:
    """The pid of the daemon holding the state folder's lock, or None when none runs."""
    path = state_dir / "daemon.pid"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.read(fd, 32).decode(errors="replace").strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
