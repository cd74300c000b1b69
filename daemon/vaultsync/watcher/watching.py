"""Watching several vaults, one observer each: started native, falling back to polling when
native events fail or the inotify watch limit is reached (coverage.py finds it below the
root), a filter swapped without a restart, and the health check that restarts a dead watch or
waits for a vanished root. Its warnings say which limit and how to raise it."""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.ignore import PathFilter
from vaultsync.render.notes import note
from vaultsync.watcher.coverage import Coverage, read_limit
from vaultsync.watcher.events import Handler, Sink
from vaultsync.watcher.observers import (
    alive,
    dir_identity,
    native_observer,
    polling_observer,
    shutdown,
    start_observer,
)

if TYPE_CHECKING:
    from watchdog.observers.api import BaseObserver

RootSpec = tuple[Path, PathFilter, bool]  # (vault root, filter, poll instead of native events)

NATIVE = "native"
POLLING = "polling"
#: check_health() statuses; healthy vaults are left out of its result.
HEALTH_MISSING = "missing"  # the root is gone; watching resumes when it is back
HEALTH_RESTARTED = "restarted"  # the watch was re-established; events may have been lost: rescan
HEALTH_FAILED = "failed"  # the root is there but cannot be watched (see the log)

DEFAULT_POLL_INTERVAL = 5.0  # seconds between polling snapshots; each one stats the whole vault

_LIMIT_ERRNOS = (errno.ENOSPC, errno.EMFILE)


@dataclass
class _Watch:
    name: str
    root: Path
    filter: PathFilter
    poll: bool
    observer: BaseObserver | None = None
    handler: Handler | None = None
    mode: str | None = None  # NATIVE or POLLING while running
    root_id: tuple[int, int] | None = None  # (st_dev, st_ino) of the root when watching began
    fell_back: bool = False  # the native observer hit a limit: poll from now on
    coverage: Coverage = field(default_factory=Coverage)  # is every folder watched?
    warned: set[str] = field(default_factory=set)  # warnings already logged, to log each once


class VaultWatcher:
    """Watches several vaults, one observer each, so one vault's failure leaves the others be."""

    def __init__(
        self,
        roots: Mapping[str, RootSpec],
        sink: Sink,
        log: logging.Logger,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        self._sink = sink
        self._log = log
        self._poll_interval = poll_interval
        self._lock = threading.RLock()
        self._watches: dict[str, _Watch] = {
            name: _Watch(name, Path(root), flt, poll) for name, (root, flt, poll) in roots.items()
        }
        self._started = False

    def start(self) -> None:
        """Start watching every vault; a vault that cannot be watched is logged, not raised."""
        with self._lock:
            self._started = True
            for watch in self._watches.values():
                if watch.observer is None:
                    self._start(watch)

    def stop(self) -> None:
        """Stop every observer and join its threads."""
        with self._lock:
            self._started = False
            for watch in self._watches.values():
                self._stop(watch)

    def update(self, roots: Mapping[str, RootSpec]) -> None:
        """Hot reload: watch added vaults, stop removed ones, restart those with a new root/mode."""
        with self._lock:
            for name in list(self._watches):
                if name not in roots:
                    self._stop(self._watches.pop(name))
            for name, (root, flt, poll) in roots.items():
                root = Path(root)
                watch = self._watches.get(name)
                if watch is not None and (watch.root, watch.poll) == (root, poll):
                    watch.filter = flt
                    if watch.handler is not None:
                        watch.handler.filter = flt  # no restart, so no window without events
                    continue
                if watch is not None:
                    self._stop(watch)
                watch = _Watch(name, root, flt, poll)
                self._watches[name] = watch
                if self._started:
                    self._start(watch)

    def watched(self) -> dict[str, str]:
        """Vault name -> "native" or "polling", for the vaults being watched now."""
        with self._lock:
            return {w.name: w.mode for w in self._watches.values() if w.mode is not None}

    def check_health(self) -> dict[str, str]:
        """Find dead watches and restart them when their root exists; healthy vaults are left out.

        Returns vault name -> HEALTH_MISSING, HEALTH_RESTARTED (rescan it: events were missed)
        or HEALTH_FAILED. Call it periodically from the daemon loop.
        """
        report: dict[str, str] = {}
        with self._lock:
            if not self._started:
                return report
            for watch in self._watches.values():
                root_id = dir_identity(watch.root)
                if root_id is None:
                    if watch.observer is not None or "missing" not in watch.warned:
                        self._log.warning(
                            "%s", note("vault folder gone", vault=watch.name, root=watch.root)
                        )
                        watch.warned.add("missing")
                    self._stop(watch)
                    report[watch.name] = HEALTH_MISSING
                    continue
                watch.warned.discard("missing")
                running = watch.observer is not None and alive(watch.observer)
                if running and root_id == watch.root_id:
                    if not self._folder_unwatched(watch):
                        continue
                    watch.fell_back = True  # the limit is reached: more watches would fail too
                self._stop(watch)
                self._start(watch)
                report[watch.name] = HEALTH_RESTARTED if watch.mode else HEALTH_FAILED
                if watch.mode:
                    self._log.info(
                        "%s",
                        note("watching again", vault=watch.name, root=watch.root, mode=watch.mode),
                    )
        return report

    # -- one vault -------------------------------------------------------------------------------

    def _start(self, watch: _Watch) -> None:
        root_id = dir_identity(watch.root)
        if root_id is None:
            if "missing" not in watch.warned:
                self._log.warning(
                    "%s", note("vault folder not found", vault=watch.name, root=watch.root)
                )
                watch.warned.add("missing")
            return
        handler = Handler(watch.name, watch.root, watch.filter, self._sink, self._log)
        observer: BaseObserver | None = None
        mode = NATIVE
        if not watch.poll and not watch.fell_back:
            try:
                observer = start_observer(native_observer, handler, watch.root)
            except OSError as err:  # raised for the root only (see _folder_unwatched)
                if dir_identity(watch.root) is None:
                    return  # the root vanished meanwhile; check_health reports it
                self._warn_native(watch, err)
                watch.fell_back = err.errno in _LIMIT_ERRNOS
        if observer is None:
            mode = POLLING
            try:
                observer = start_observer(
                    lambda: polling_observer(self._poll_interval), handler, watch.root
                )
            except OSError as err:
                self._fail(watch, err)
                return
        watch.observer, watch.handler, watch.mode, watch.root_id = observer, handler, mode, root_id
        watch.warned.discard("failed")

    def _stop(self, watch: _Watch) -> None:
        if watch.handler is not None:
            watch.handler.active = False  # events still queued in the observer are dropped
        if watch.observer is not None:
            shutdown(watch.observer, self._log)
        watch.observer = watch.handler = watch.mode = None
        watch.root_id = None
        watch.coverage = Coverage()  # a new observer is checked at the next health check

    def _folder_unwatched(self, watch: _Watch) -> bool:
        """True when a folder of a natively watched vault has had no inotify watch for longer
        than COVERAGE_GRACE (the watch limit was reached; see coverage.py); logs why."""
        handler = watch.handler
        if watch.mode != NATIVE or handler is None:
            return False
        now = watch.coverage.due(handler.saw_folder)
        if now is None:
            return False  # nothing new since the last check came back clean
        handler.saw_folder = False  # before the walk: a folder made during it triggers another
        missed = watch.coverage.missed(watch.root, watch.filter, now)
        if not missed:
            return False
        self._warn_unwatched(watch, missed)
        return True

    def _warn_unwatched(self, watch: _Watch, missed: list[str]) -> None:
        if "native" in watch.warned:
            return
        watch.warned.add("native")
        words = note(
            "folder got no watch" if len(missed) == 1 else "folders got no watch",
            vault=watch.name,
            limit=read_limit(),
            folder=missed[0],
            others=len(missed) - 1,
            root=watch.root,
            seconds=self._poll_interval,
        )
        self._log.warning("%s", words)

    def _warn_native(self, watch: _Watch, err: OSError) -> None:
        """One warning per vault: native events failed, polling instead (and how to fix a limit)."""
        if "native" in watch.warned:
            return
        watch.warned.add("native")
        if err.errno not in _LIMIT_ERRNOS:
            event = "file events unavailable"
        elif err.errno == errno.ENOSPC:
            event = "watch limit reached"
        else:
            event = "instance limit reached"
        words = note(
            event, vault=watch.name, root=watch.root, error=err, seconds=self._poll_interval
        )
        self._log.warning("%s", words)

    def _fail(self, watch: _Watch, err: OSError) -> None:
        if "failed" not in watch.warned:
            watch.warned.add("failed")
            self._log.warning(
                "%s", note("cannot watch", vault=watch.name, root=watch.root, error=err)
            )
