"""The daemon's activity log: what it did to which page, and when, for `vaultsync status` and
`vaultsync log`.

One JSON object per line in `activity.jsonl` in the state folder. Its size is bounded by
count: once it holds MAX_LINES entries it becomes `activity.jsonl.1` (the one before is
dropped) and a new file is started, so at most 2 × MAX_LINES entries are ever kept. Both files
are the user's only (the writer's private-file helpers). Times are recorded in UTC and shown
in local time with the offset.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vaultsync.writer import append_private_file, move_private_file

FILE_NAME = "activity.jsonl"
MAX_LINES = 1000


def activity_path(state_dir: Path) -> Path:
    return state_dir / FILE_NAME


class ActivityLog:
    """Appends entries to the state folder's activity log; never raises (a full disk must not
    stop the daemon from cleaning pages: the log is a convenience)."""

    def __init__(self, state_dir: Path, max_lines: int = MAX_LINES) -> None:
        self.path = activity_path(state_dir)
        self.max_lines = max_lines
        self._lines = _count_lines(self.path)

    def record(self, what: str, vault: str | None = None, page: str | None = None, **more: Any):
        entry: dict[str, Any] = {"time": datetime.now(UTC).isoformat(timespec="seconds")}
        entry.update(what=what, vault=vault, page=page, **more)
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            if self._lines >= self.max_lines:
                move_private_file(self.path, self.path.with_name(FILE_NAME + ".1"))
                self._lines = 0
            append_private_file(self.path, line)
            self._lines += 1
        except OSError:
            pass


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def _entries(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return _entries_of(text.splitlines())  # (a line cut short by a crash is left out)


def recent(state_dir: Path, n: int) -> list[dict[str, Any]]:
    """The last `n` entries, oldest first (the rotated file read only when needed)."""
    path = activity_path(state_dir)
    entries = _entries(path)
    if len(entries) < n:
        entries = _entries(path.with_name(FILE_NAME + ".1")) + entries
    return entries[-n:] if n > 0 else []


def tail(state_dir: Path, n: int) -> tuple[list[dict[str, Any]], Iterator[dict[str, Any]]]:
    """The last `n` entries and an iterator over each entry added after them (across
    rotations; forever): `vaultsync log -f`. Where to follow from is taken first, so an
    entry added meanwhile is shown once."""
    path = activity_path(state_dir)
    try:
        st = path.stat()
        start = (st.st_ino, st.st_size)
    except OSError:
        start = (None, 0)
    shown = recent(state_dir, n)
    if start[0] is not None:
        # Only what was there at the start: the rest comes through the follow.
        with open(path, "rb") as f:
            head = f.read(start[1]).decode("utf-8", "replace").splitlines()
        kept = _entries_of(head)
        older = _entries(path.with_name(FILE_NAME + ".1")) if len(kept) < n else []
        shown = (older + kept)[-n:] if n > 0 else []
    return shown, _follow(path, *start)


def _entries_of(lines: list[str]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            out.append(entry)
    return out


def _follow(path: Path, inode: int | None, offset: int, poll: float = 0.3):
    while True:
        try:
            st = path.stat()
            if st.st_ino != inode or st.st_size < offset:
                offset, inode = 0, st.st_ino  # rotated: the new file from its start
            with open(path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError:
            data = b""
        complete = data[: data.rfind(b"\n") + 1]
        offset += len(complete)
        yield from _entries_of(complete.decode("utf-8", "replace").splitlines())
        time.sleep(poll)
