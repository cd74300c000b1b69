"""An inotify queue overflow (events lost, only logged by watchdog) makes the daemon rescan."""

from __future__ import annotations

import logging
import queue

from vaultsync.run.control import OVERFLOW, OverflowAlarm


def test_the_overflow_warning_becomes_a_rescan_request() -> None:
    events: queue.SimpleQueue = queue.SimpleQueue()
    logger = logging.getLogger("watchdog.observers.inotify_c")
    alarm = OverflowAlarm(events)
    logger.addHandler(alarm)
    try:
        logger.warning("Inotify queue overflowed; filesystem events were lost")
        logger.warning("something else entirely")
    finally:
        logger.removeHandler(alarm)
    assert events.get_nowait() == (OVERFLOW, None, None)
    assert events.empty()
