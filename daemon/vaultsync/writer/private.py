"""vaultsync's own files and folders outside any vault (the state folder, the history, the
config, service units, lock and pid files, the activity log), and the folders it makes in the
user's own places. No guard: never use these for vault pages."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

from vaultsync.errors import PrivateFolderIsFile, PrivateFolderUnusable
from vaultsync.render.causes import strerror_words
from vaultsync.writer.folders import CLOEXEC, NOFOLLOW, Folder, fsync_folder
from vaultsync.writer.stage import write_temp


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
        raise FileExistsError(errno.EEXIST, strerror_words("not a folder"), str(path))


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed, readable by its owner only (0o700).

    A folder that exists already keeps its mode: vaultsync changes the mode only of folders it
    creates (the state folder itself is chosen by `state_folder`, so it is private)."""
    try:
        make_private_dirs(path)
    except FileExistsError:
        raise PrivateFolderIsFile(path) from None
    except OSError as err:
        raise PrivateFolderUnusable(path, err) from None
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
    temp = write_temp(folder, path.name, data, create_mode=mode)
    try:
        os.replace(folder.path / temp, path)
    except BaseException:
        folder.remove_quietly(temp)
        raise
    fsync_folder(path.parent)


def open_private_file(path: Path, mode: int = 0o600) -> int:
    """Open one of vaultsync's own files that is kept in place rather than replaced (a lock or
    pid file: the lock belongs to that very file), creating it with `mode`; a link at its name
    is never followed. Raises OSError."""
    return os.open(path, os.O_RDWR | os.O_CREAT | NOFOLLOW | CLOEXEC, mode)


def create_private_file(path: Path, mode: int = 0o600) -> int:
    """Create one of vaultsync's own files, which must not exist yet (a history pack, written
    as a pass goes and made durable by its barrier), open for writing; a link at its name is
    never followed. Raises OSError."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC, mode)


def touch_private_file(path: Path, mode: int = 0o600) -> None:
    """Create one of vaultsync's own files empty, with `mode`, if it is missing; an existing one
    is left as it is: the state cache's database, which SQLite then opens and writes itself (so
    it is created private, not with the umask's mode). Raises OSError."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT | CLOEXEC, mode))


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
