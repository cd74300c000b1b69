"""watchdog's observers, one at a time: made (native or polling), scheduled on a vault with
the event filter, started, checked alive and stopped with their threads joined; and
watchdog's own warnings routed into our log. The only module that imports watchdog's
observers, and only inside functions, so `vaultsync --help` stays fast."""

from __future__ import annotations

import logging
import os
import stat
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaultsync.render.notes import note
from vaultsync.watcher.events import Handler, event_filter

if TYPE_CHECKING:
    from watchdog.observers.api import BaseObserver

JOIN_TIMEOUT = 10.0


def native_observer() -> BaseObserver:
    from watchdog.observers import Observer

    return Observer()


def polling_observer(interval: float) -> BaseObserver:
    from watchdog.observers.polling import PollingObserver

    return PollingObserver(timeout=interval)


def start_observer(make: Callable[[], BaseObserver], handler: Handler, root: Path) -> BaseObserver:
    """Create, schedule and start an observer; on failure stop whatever threads it started."""
    observer = make()  # may raise (EMFILE); the native one starts a reader thread here
    try:
        observer.schedule(
            handler,  # type: ignore[arg-type]
            os.fspath(root),
            recursive=True,
            event_filter=event_filter(),  # watchdog 5 and later (pyproject's lower bound)
        )
        observer.start()
    except BaseException:
        shutdown(observer)
        raise
    return observer


def alive(observer: BaseObserver) -> bool:
    """An observer whose emitter stopped (e.g. its root was deleted) keeps its own thread alive."""
    emitters: Any = observer.emitters
    return observer.is_alive() and bool(emitters) and all(e.is_alive() for e in emitters)


def shutdown(observer: BaseObserver, log: logging.Logger | None = None) -> None:
    """Stop an observer and join its threads (the emitters and the inotify reader are joined by
    watchdog's stop(); the dispatcher thread here)."""
    try:
        observer.stop()
    except Exception:  # a half-started observer can fail to stop; its threads are daemons
        if log is not None:
            log.exception("%s", note("watcher not stopped"))
    if observer.ident is not None:  # join() raises on a thread that never started
        observer.join(JOIN_TIMEOUT)
        if observer.is_alive() and log is not None:
            log.warning("%s", note("watcher thread lingers", seconds=JOIN_TIMEOUT))


def dir_identity(root: Path) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the folder at `root`, or None when no folder is there."""
    try:
        st = os.stat(root)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    return (st.st_dev, st.st_ino)


def route_watchdog_warnings(log: logging.Logger) -> Callable[[], None]:
    """Send the warnings watchdog raises through the `warnings` module to `log`; returns the
    function that undoes it.

    Python prints a warning as two raw lines on stderr, which misses a `--log-file` and reads
    like a crash; watchdog 7 raises a RuntimeWarning when one folder is reachable by two paths
    (a bind mount inside the vault). As `logging.captureWarnings` does, but only for warnings
    raised from watchdog's own files: every other warning is shown as before.
    """
    import watchdog

    package = os.path.dirname(os.path.abspath(watchdog.__file__)) + os.sep
    previous = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        if not os.path.abspath(filename).startswith(package):
            previous(message, category, filename, lineno, file, line)
            return
        where = os.path.relpath(filename, os.path.dirname(package.rstrip(os.sep)))
        words = note(
            "watchdog warning",
            message=message,
            category=category.__name__,
            file=where,
            line=lineno,
        )
        log.warning("%s", words)

    warnings.showwarning = show

    def restore() -> None:
        if warnings.showwarning is show:  # someone else's hook installed since stays
            warnings.showwarning = previous

    return restore
