"""The pass scheduling: when each of the loop's periodic jobs is next due, and how long the
loop may wait for an event before one is.

The jobs: the config check (every second), the health check (every 5 s), the lease check
(when leases are on), the reconcile pass (`reconcile_interval`, 0: never) and the rescans
folder events asked for, delayed like page events (a quiet period, capped by `max_delay`), so
a folder being copied in is read once, after the copy, not once per folder. All times are
`time.monotonic()` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from vaultsync.lease import Timing

CONFIG_CHECK_SECONDS = 1.0
HEALTH_CHECK_SECONDS = 5.0


def lease_check_seconds(timing: Timing) -> float:
    """How often leases are renewed, claimed or taken over: well within a heartbeat and a
    claim's settling time, and never rarer than the health check."""
    return max(0.1, min(HEALTH_CHECK_SECONDS, timing.heartbeat / 3, timing.settle / 3 or 5))


class Schedule:
    """The loop's timers. `lease`: the lease timing when leases are on, else None; `clock`:
    a seam for the tests."""

    def __init__(
        self,
        reconcile_interval: float,
        lease: Timing | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.interval = reconcile_interval
        self.next_reconcile = self._after_interval()
        self.next_config = self.next_health = self.next_lease = clock()
        self.lease_every = lease_check_seconds(lease) if lease is not None else None
        # Vaults to rescan after a folder event: name -> (first event, due).
        self.rescans: dict[str, tuple[float, float]] = {}

    def _after_interval(self) -> float | None:
        return self.clock() + self.interval if self.interval > 0 else None

    def timeout(self, now: float, pages_due: float | None) -> float:
        """How long the loop may wait for an event; `pages_due`: the coalescer's next
        deadline."""
        deadlines = [self.next_config, self.next_health]
        if self.lease_every is not None:
            deadlines.append(self.next_lease)
        if self.next_reconcile is not None:
            deadlines.append(self.next_reconcile)
        if pages_due is not None:
            deadlines.append(pages_due)
        deadlines += [due for _first, due in self.rescans.values()]
        return max(0.0, min(deadlines) - now)

    # ------------------------------------------------------------------ rescans

    def queue_rescan(self, name: str, quiet_period: float, max_delay: float) -> None:
        now = self.clock()
        first = self.rescans[name][0] if name in self.rescans else now
        due = min(now + quiet_period, first + max_delay)
        self.rescans[name] = (first, due)

    def due_rescans(self) -> list[str]:
        """The vaults whose rescan is due, taken off the schedule."""
        now = self.clock()
        due = [name for name, (_first, at) in self.rescans.items() if at <= now]
        for name in due:
            del self.rescans[name]
        return due

    # ------------------------------------------------------------------ periodic jobs
    # Each *_due(now) says whether the job is due and, if so, schedules its next run.

    def config_due(self, now: float) -> bool:
        if now < self.next_config:
            return False
        self.next_config = now + CONFIG_CHECK_SECONDS
        return True

    def health_due(self, now: float) -> bool:
        if now < self.next_health:
            return False
        self.next_health = now + HEALTH_CHECK_SECONDS
        return True

    def lease_due(self, now: float) -> bool:
        if self.lease_every is None or now < self.next_lease:
            return False
        self.next_lease = now + self.lease_every
        return True

    def reconcile_every(self, interval: float) -> None:
        """A reload set `reconcile_interval`: when it changed (from 0, the old schedule was
        none at all), the next reconcile is a full interval from now."""
        if interval != self.interval:
            self.interval = interval
            self.next_reconcile = self._after_interval()

    def reconcile_due(self, now: float) -> bool:
        return self.next_reconcile is not None and now >= self.next_reconcile

    def reconciled(self) -> None:
        """The reconcile passes are done: the next is an interval from now."""
        self.next_reconcile = self._after_interval()
