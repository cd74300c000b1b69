"""Turns a stream of file events into one piece of work per path, after the path goes quiet.

Pure and clock-injected (no threads, no I/O), so it is tested with a fake clock. A lock makes
it safe to call `add` from watchdog's threads while the daemon loop calls `due`.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

#: Kinds `add` accepts. A move is `add(dest, "moved")` plus `add(src, "deleted")`.
EVENT_KINDS = frozenset({"created", "modified", "deleted", "moved"})
#: Kinds `due` reports: the page may have new bytes, or the page is gone.
CHANGED = "changed"
DELETED = "deleted"


@dataclass(slots=True)
class _Pending:
    first: float  # first event since the path last fired: the ceiling counts from here
    kind: str  # CHANGED or DELETED: what the last event says about the path now
    deadline: float
    seq: int  # identifies the heap entry that is current for this path


class Coalescer:
    """Pending work keyed by path: a path fires once it has been quiet for `quiet_period`
    (deletes: `delete_grace`), or `max_delay` after its first event, whichever comes first.
    """

    def __init__(
        self,
        quiet_period: float = 2.0,
        max_delay: float = 30.0,
        delete_grace: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if delete_grace is None:
            # Long enough that an atomic save's delete + create lands in one firing.
            delete_grace = quiet_period * 1.5
        if quiet_period < 0 or delete_grace < 0 or max_delay <= 0:
            raise ValueError(
                "quiet_period and delete_grace must be >= 0 and max_delay > 0, got "
                f"{quiet_period=}, {delete_grace=}, {max_delay=}"
            )
        self.quiet_period = quiet_period
        self.max_delay = max_delay
        self.delete_grace = delete_grace
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[Path, _Pending] = {}
        # (deadline, seq, path); entries whose seq is no longer the path's are stale and skipped.
        self._heap: list[tuple[float, int, Path]] = []
        self._seq = itertools.count()
        self._written: dict[Path, str] = {}

    def add(self, path: str | PathLike[str], kind: str) -> None:
        """Record one event; repeated events on a path merge into one pending entry."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}; expected one of {sorted(EVENT_KINDS)}")
        key = Path(path)
        effective = DELETED if kind == "deleted" else CHANGED
        wait = self.delete_grace if effective == DELETED else self.quiet_period
        with self._lock:
            now = self._clock()
            pending = self._pending.get(key)
            first = now if pending is None else pending.first
            deadline = min(now + wait, first + self.max_delay)
            seq = next(self._seq)
            self._pending[key] = _Pending(first, effective, deadline, seq)
            heapq.heappush(self._heap, (deadline, seq, key))
            if len(self._heap) > 4 * len(self._pending) + 64:
                self._compact()

    def due(self) -> list[tuple[Path, str]]:
        """Remove and return the paths whose deadline has passed, earliest first."""
        fired: list[tuple[Path, str]] = []
        with self._lock:
            now = self._clock()
            heap = self._heap
            while heap and heap[0][0] <= now:
                _, seq, key = heapq.heappop(heap)
                pending = self._pending.get(key)
                if pending is None or pending.seq != seq:
                    continue  # stale: a later event moved this path's deadline
                del self._pending[key]
                if pending.kind == DELETED:
                    self._written.pop(key, None)  # the file is gone; whatever comes next is new
                fired.append((key, pending.kind))
        return fired

    def next_deadline(self) -> float | None:
        """Clock time at which the next path becomes due, or None when nothing is pending."""
        with self._lock:
            self._drop_stale_top()
            return self._heap[0][0] if self._heap else None

    def pending(self) -> list[Path]:
        """The paths still waiting (not yet due), in the order they were first added."""
        with self._lock:
            return list(self._pending)

    def forget(self, path: str | PathLike[str]) -> bool:
        """Drop pending work for a path (e.g. it was just handled another way); True if any."""
        with self._lock:
            return self._pending.pop(Path(path), None) is not None

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str | PathLike) and Path(path) in self._pending

    def note_own_write(self, path: str | PathLike[str], digest: str) -> None:
        """Remember the hash of the bytes we just wrote, so the event it causes is ignored."""
        with self._lock:
            self._written[Path(path)] = digest

    def is_own_echo(self, path: str | PathLike[str], digest: str) -> bool:
        """True when the bytes now on disk are the ones we last wrote there: nothing to do."""
        # The record is kept, not consumed: one write can fire twice (ceiling, a late close
        # event), and bytes equal to our own output are already clean anyway.
        with self._lock:
            return self._written.get(Path(path)) == digest

    def _drop_stale_top(self) -> None:
        heap = self._heap
        while heap:
            _, seq, key = heap[0]
            pending = self._pending.get(key)
            if pending is not None and pending.seq == seq:
                return
            heapq.heappop(heap)

    def _compact(self) -> None:
        # Bursts on one path leave stale heap entries until their deadlines pass; rebuild then.
        self._heap = [(p.deadline, p.seq, key) for key, p in self._pending.items()]
        heapq.heapify(self._heap)
