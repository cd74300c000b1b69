"""The daemon loop's timers (vaultsync/run/schedule.py), on a fake clock: when each periodic job
is due, how long the loop may wait, and the folder-event rescans' quiet period and ceiling."""

from __future__ import annotations

import pytest

from vaultsync.lease import Timing
from vaultsync.run.schedule import (
    CONFIG_CHECK_SECONDS,
    HEALTH_CHECK_SECONDS,
    Schedule,
    lease_check_seconds,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_config_and_health_are_due_at_once_then_at_their_period(clock: Clock) -> None:
    s = Schedule(3600.0, None, clock)
    assert s.timeout(clock.now, None) == 0.0
    assert s.config_due(clock.now) and s.health_due(clock.now)
    assert not s.config_due(clock.now) and not s.health_due(clock.now)
    assert s.timeout(clock.now, None) == CONFIG_CHECK_SECONDS
    clock.now += CONFIG_CHECK_SECONDS
    assert s.config_due(clock.now) and not s.health_due(clock.now)
    clock.now += HEALTH_CHECK_SECONDS
    assert s.health_due(clock.now)


def test_the_wait_ends_at_the_earliest_deadline(clock: Clock) -> None:
    s = Schedule(3600.0, None, clock)
    s.config_due(clock.now)
    s.health_due(clock.now)
    assert s.timeout(clock.now, clock.now + 0.25) == 0.25  # a page due sooner
    assert s.timeout(clock.now, clock.now - 5) == 0.0  # overdue: no wait at all
    s.queue_rescan("v", 0.5, 30.0)
    assert s.timeout(clock.now, None) == 0.5


def test_no_lease_checks_without_leases(clock: Clock) -> None:
    s = Schedule(0.0, None, clock)
    assert not s.lease_due(clock.now)
    timing = Timing(heartbeat=3.0, settle=0.6)
    s = Schedule(0.0, timing, clock)
    assert s.lease_due(clock.now) and not s.lease_due(clock.now)
    clock.now += lease_check_seconds(timing)
    assert s.lease_due(clock.now)


def test_the_lease_check_stays_within_a_heartbeat_and_the_health_period() -> None:
    assert lease_check_seconds(Timing(heartbeat=3.0, settle=0.6)) == pytest.approx(0.2)
    assert lease_check_seconds(Timing(heartbeat=600.0, settle=600.0)) == HEALTH_CHECK_SECONDS
    assert lease_check_seconds(Timing(heartbeat=0.01, settle=0.01)) == 0.1


def test_reconcile_every_interval_counted_from_the_last(clock: Clock) -> None:
    s = Schedule(60.0, None, clock)
    assert not s.reconcile_due(clock.now)
    clock.now += 60
    assert s.reconcile_due(clock.now)
    clock.now += 7  # the passes took a while: the next is a full interval after them
    s.reconciled()
    assert not s.reconcile_due(clock.now + 59) and s.reconcile_due(clock.now + 60)


def test_a_reload_turning_reconcile_on_or_off_restarts_its_schedule(clock: Clock) -> None:
    s = Schedule(0.0, None, clock)
    assert not s.reconcile_due(clock.now + 10**9)  # 0: never
    s.reconcile_every(0.0)  # unchanged: nothing happens
    s.reconcile_every(5.0)
    assert not s.reconcile_due(clock.now + 4.9) and s.reconcile_due(clock.now + 5)
    clock.now += 3
    s.reconcile_every(5.0)  # the same interval again: the schedule is kept
    assert s.reconcile_due(clock.now + 2)
    s.reconcile_every(0.0)
    assert not s.reconcile_due(clock.now + 10**9)


def test_a_rescan_waits_for_quiet_but_no_longer_than_the_ceiling(clock: Clock) -> None:
    s = Schedule(0.0, None, clock)
    s.queue_rescan("v", 2.0, 5.0)
    clock.now += 1.9
    assert s.due_rescans() == []
    for _ in range(3):  # a folder copied in: events keep coming
        s.queue_rescan("v", 2.0, 5.0)
        clock.now += 1.5
        s.queue_rescan("w", 2.0, 5.0)
    assert s.due_rescans() == ["v"]  # 5 s after its first event, though never quiet
    assert s.due_rescans() == []  # taken off the schedule
    clock.now += 2.5  # w: 5 s after its first event too
    assert s.due_rescans() == ["w"]
