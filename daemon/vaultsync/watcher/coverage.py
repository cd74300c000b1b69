"""Is every folder watched? The check that finds the inotify watch limit reached below a
vault's root, from outside watchdog.

On Linux each folder costs one inotify watch. When the per-user limit is reached, watchdog
raises only for the root; a subfolder (at start, or created later) is left unwatched, with at
most a log line, and where it says so is private and changed between releases. So we ask the
kernel instead: /proc/self/fdinfo lists every inotify watch of this process by device and
inode, which we compare with the folders the vault holds. A folder that stays unwatched past a
short grace (watchdog adds a new folder's watch a moment after the folder appears) makes that
vault poll. Other platforms (FSEvents, ReadDirectoryChangesW) watch a root recursively, with no
per-folder limit, and have nothing to check.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from vaultsync.ignore import PathFilter

COVERAGE_GRACE = 1.0  # seconds a folder may stay unwatched before it counts as missed
COVERAGE_SECONDS = 60.0  # a full check this often even without folder events (overflow rebuilds)
_FDINFO = "/proc/self/fdinfo"
_WATCH_LINE = re.compile(rb"^inotify wd:\S+ ino:([0-9a-fA-F]+) sdev:([0-9a-fA-F]+)", re.M)

FolderId = tuple[int, int]  # (st_dev, st_ino)
_clock = time.monotonic  # a seam for the tests


def watched_folders() -> set[FolderId] | None:
    """(st_dev, st_ino) of every inode an inotify watch of this process is on, or None when the
    kernel does not tell (not Linux, no /proc)."""
    if not os.path.isdir(_FDINFO):
        return None
    found: set[FolderId] = set()
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:inotify":
                continue
            with open(f"{_FDINFO}/{fd}", "rb") as f:
                info = f.read()
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor, a stopped observer)
        for match in _WATCH_LINE.finditer(info):
            # The kernel prints its internal device number (major << 20 | minor); stat() gives
            # the user-space encoding.
            sdev = int(match[2], 16)
            found.add((os.makedev(sdev >> 20, sdev & 0xFFFFF), int(match[1], 16)))
    return found


def vault_folders(root: Path, flt: PathFilter) -> dict[FolderId, str]:
    """The folders of a vault a page can live in, below the root, as identity -> path.

    As watchdog does: symlinked folders are not followed. Unreadable folders are left out (no
    watch and no poll can see into them; the pass reports them)."""
    found: dict[FolderId, str] = {}
    stack: list[tuple[str, str]] = [(os.fspath(root), "")]
    while stack:
        folder, rel_prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = [e for e in it if _real_dir(e)]
        except OSError:
            continue
        for entry in entries:
            rel = rel_prefix + entry.name
            if flt.dir_excluded(rel):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # removed meanwhile
            found[(st.st_dev, st.st_ino)] = entry.path
            stack.append((entry.path, rel + "/"))
    return found


def _real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


@dataclass
class Coverage:
    """One natively watched vault's coverage checks: the folders the last check saw unwatched,
    and when the next check is due without a folder event. A new observer starts a new one."""

    # Folders seen unwatched by the last check: identity -> (path, first seen).
    suspects: dict[FolderId, tuple[str, float]] = field(default_factory=dict)
    next_check: float = 0.0  # monotonic time of the next check due without events

    def due(self, folder_event: bool) -> float | None:
        """The time of a check to make now, or None when nothing is new since the last one
        came back clean (`folder_event`: a folder event arrived since)."""
        now = _clock()
        if not (folder_event or self.suspects or now >= self.next_check):
            return None
        self.next_check = now + COVERAGE_SECONDS
        return now

    def missed(self, root: Path, flt: PathFilter, now: float) -> list[str]:
        """The folders of the vault without an inotify watch for longer than COVERAGE_GRACE,
        sorted (none where the kernel does not tell)."""
        folders = vault_folders(root, flt)
        watched = watched_folders()  # read after the walk: a watch added meanwhile counts
        if watched is None:
            return []  # nothing to compare with (not Linux): nothing that needs it either
        previous = self.suspects
        self.suspects = {
            key: (path, previous[key][1] if key in previous else now)
            for key, path in folders.items()
            if key not in watched
        }
        return sorted(
            path for path, first in self.suspects.values() if now - first >= COVERAGE_GRACE
        )


def read_limit() -> str:
    """fs.inotify.max_user_watches, as the kernel says it ("unknown" where it does not)."""
    try:
        with open("/proc/sys/fs/inotify/max_user_watches", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return "unknown"
