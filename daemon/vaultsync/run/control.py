"""The daemon's inbox: the one queue watchdog's threads, signals and `stop()` put work on.

Its items are `(kind, vault name, path)`: the watcher's events, and the requests made here with
no vault or path: STOP (SIGTERM, SIGINT, `Daemon.stop`), RELOAD (SIGHUP) and OVERFLOW (watchdog
logged that the kernel dropped events). The loop reads it only between passes, so a request to
stop also sets a flag a wait for a vault's lock looks at.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
from types import FrameType

STOP, RELOAD, OVERFLOW = "stop", "reload", "overflow"


class OverflowAlarm(logging.Handler):
    """watchdog only logs an inotify queue overflow (events were lost); turn that warning into
    a rescan request on the daemon's queue."""

    def __init__(self, events: queue.SimpleQueue) -> None:
        super().__init__(logging.WARNING)
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.events.put((OVERFLOW, None, None))


class Inbox:
    """The queue and the stop flag, and the signal handlers that feed them."""

    def __init__(self) -> None:
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        # Set by the signal handler itself (the queue is read only between passes), so a wait
        # for a vault a `resync` holds ends as soon as we are asked to stop.
        self.stopping = False

    def request(self, what: str) -> None:
        """Put STOP, RELOAD or OVERFLOW on the queue (thread-safe, and safe in a signal
        handler)."""
        if what == STOP:
            self.stopping = True
        self.events.put((what, None, None))

    def install_signals(self) -> dict:
        """SIGTERM/SIGINT stop, SIGHUP reloads; returns the handlers to restore. Only the main
        thread may set them (a daemon run in a thread, as tests do, is stopped by `request`)."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            previous[sig] = signal.signal(sig, self.on_signal)
        return previous

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.request(RELOAD)
            return
        if signum == signal.SIGINT:
            # The loop stops after the pass in hand, which on a big vault takes a while: a
            # second Ctrl-C stops at once (the writer removes its temp file on the way out).
            signal.signal(signal.SIGINT, signal.default_int_handler)
        self.request(STOP)

    @staticmethod
    def restore_signals(previous: dict) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
