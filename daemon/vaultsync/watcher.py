"""watchdog glue: one observer per vault, events filtered to candidate pages, sent to a sink.

The only module that imports watchdog, and only inside functions, so `vaultsync --help` stays fast.

The sink is called from watchdog's threads as `sink(vault_name, abs_path, kind)` with kind:
- "created", "modified" (also for close-after-write), "deleted": a candidate page;
- "moved": a page appeared at `abs_path` by a rename (the source, if it was a candidate page,
  gets its own "deleted" call first); these four are what `Coalescer.add` takes;
- "dir": a folder appeared, disappeared or moved at `abs_path`; rescan everything at or below
  it (pages of a folder moved out of the vault get no event of their own).
The sink must be quick and must not call back into the VaultWatcher (it would deadlock).
Events can be lost (queue overflow, a restart): keep a periodic reconcile pass.
"""

from __future__ import annotations

import errno
import inspect
import logging
import os
import stat
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaultsync.ignore import PathFilter

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent
    from watchdog.observers.api import BaseObserver

Sink = Callable[[str, Path, str], None]
RootSpec = tuple[Path, PathFilter, bool]  # (vault root, filter, poll instead of native events)

NATIVE = "native"
POLLING = "polling"
#: check_health() statuses; healthy vaults are left out of its result.
HEALTH_MISSING = "missing"  # the root is gone; watching resumes when it is back
HEALTH_RESTARTED = "restarted"  # the watch was re-established; events may have been lost: rescan
HEALTH_FAILED = "failed"  # the root is there but cannot be watched (see the log)

DEFAULT_POLL_INTERVAL = 5.0  # seconds between polling snapshots; each one stats the whole vault
_JOIN_TIMEOUT = 10.0

_LIMIT_ERRNOS = (errno.ENOSPC, errno.EMFILE)
_RAISE_WATCHES = (
    "echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/90-vaultsync.conf "
    "&& sudo sysctl --system"
)
_RAISE_INSTANCES = (
    "echo fs.inotify.max_user_instances=1024 | sudo tee /etc/sysctl.d/91-vaultsync.conf "
    "&& sudo sysctl --system"
)


def _native_observer(on_limit: Callable[[OSError], None]) -> BaseObserver:
    from watchdog.observers import Observer

    observer = Observer()
    _report_limit_errors(observer, on_limit)
    return observer


def _report_limit_errors(observer: BaseObserver, on_limit: Callable[[OSError], None]) -> None:
    """Call `on_limit` when the inotify watch limit is hit below the root.

    watchdog raises ENOSPC only for the root folder; for subfolders (at start or when one is
    created later) it swallows the error and leaves that subtree unwatched, without a word.
    Its private reader object is the one place that sees every error, so hook it when present.
    """
    reader = getattr(observer, "_inotify_fd", None)
    add_callback = getattr(reader, "add_callback", None)
    if reader is None or add_callback is None:
        return  # not inotify, or a watchdog without this internal: only root errors are seen

    def checked_add_callback(*args: Any, **kwargs: Any) -> Any:
        try:
            return add_callback(*args, **kwargs)
        except OSError as err:
            if err.errno in _LIMIT_ERRNOS:
                on_limit(err)
            raise

    reader.add_callback = checked_add_callback


def _event_filter() -> list[type[FileSystemEvent]]:
    """The watchdog event classes _Handler acts on; every other kind is never even subscribed to.

    Without a filter, watchdog's inotify observer subscribes to every event it knows, IN_OPEN and
    IN_CLOSE_NOWRITE included: every page any program merely *reads* (our own passes, the echo
    check, the notes app indexing, backups) puts two events in the kernel queue (16,384 deep by
    default), and a burst of writes plus the reads it causes overflows it, losing events. From
    this list watchdog builds the inotify mask: IN_CREATE, IN_MOVED_FROM/TO, IN_DELETE,
    IN_DELETE_SELF, IN_MODIFY, IN_ATTRIB (it comes with FileModifiedEvent) and IN_CLOSE_WRITE,
    never IN_OPEN, IN_ACCESS or IN_CLOSE_NOWRITE. Other observers (polling, FSEvents, Windows)
    apply the same list to the events they produce, which only drops ones _Handler ignores.
    Keep it in step with _Handler._dispatch (tests/test_watcher.py checks both ways).
    """
    from watchdog.events import (
        DirCreatedEvent,
        DirDeletedEvent,
        DirMovedEvent,
        FileClosedEvent,
        FileCreatedEvent,
        FileDeletedEvent,
        FileModifiedEvent,
        FileMovedEvent,
    )

    return [
        FileCreatedEvent,
        FileModifiedEvent,
        FileDeletedEvent,
        FileMovedEvent,
        FileClosedEvent,  # close after write: Linux only, the cleanest "save finished"
        DirCreatedEvent,
        DirDeletedEvent,
        DirMovedEvent,
    ]


def _schedule(observer: BaseObserver, handler: _Handler, root: Path) -> None:
    options: dict[str, Any] = {"recursive": True}
    # A watchdog without the parameter gets no filter: _Handler still drops what it does not
    # need, only the kernel queue fills faster.
    if "event_filter" in inspect.signature(observer.schedule).parameters:
        options["event_filter"] = _event_filter()
    observer.schedule(handler, os.fspath(root), **options)  # type: ignore[arg-type]


def _polling_observer(interval: float) -> BaseObserver:
    from watchdog.observers.polling import PollingObserver

    return PollingObserver(timeout=interval)


class _Handler:
    """Turns watchdog events of one vault into sink calls (duck-typed watchdog handler)."""

    def __init__(self, name: str, root: Path, flt: PathFilter, sink: Sink, log: logging.Logger):
        self.name = name
        self.root = os.path.abspath(root)
        self.filter = flt  # swapped in place by VaultWatcher.update when only the filter changes
        self.sink = sink
        self.log = log
        self.active = True

    def dispatch(self, event: FileSystemEvent) -> None:
        if not self.active:
            return
        try:
            self._dispatch(event)
        except Exception:
            # An exception here would kill the observer thread and silently end the watch.
            self.log.exception("vault %r: error while handling %r", self.name, event)

    def _dispatch(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        src = os.fsdecode(event.src_path) if event.src_path else ""
        if event.is_directory:
            if kind in ("created", "deleted"):
                self._emit_dir(src)
            elif kind == "moved":
                self._emit_dir(src)
                self._emit_dir(os.fsdecode(event.dest_path) if event.dest_path else "")
            return  # directory modified/attrib: its files report for themselves
        if kind == "moved":
            self._emit_file(src, "deleted")
            self._emit_file(os.fsdecode(event.dest_path) if event.dest_path else "", "moved")
        elif kind in ("created", "modified", "deleted"):
            self._emit_file(src, kind)
        elif kind == "closed":  # close after write (Linux only): the cleanest "save finished"
            self._emit_file(src, "modified")
        # opened, closed_no_write, attrib: the bytes did not change

    def _relative(self, path: str) -> str | None:
        root = self.root
        if not path.startswith(root) or path[len(root) : len(root) + 1] != os.sep:
            return None  # the root itself, or outside it
        rel = path[len(root) + 1 :]
        return rel.replace(os.sep, "/") if os.sep != "/" else rel

    def _emit_file(self, path: str, kind: str) -> None:
        rel = self._relative(path) if path else None
        if rel is not None and self.filter.matches(rel):
            self.sink(self.name, Path(path), kind)

    def _emit_dir(self, path: str) -> None:
        rel = self._relative(path) if path else None
        if rel is not None and not self.filter.dir_excluded(rel):
            self.sink(self.name, Path(path), "dir")


@dataclass
class _Watch:
    name: str
    root: Path
    filter: PathFilter
    poll: bool
    observer: BaseObserver | None = None
    handler: _Handler | None = None
    mode: str | None = None  # NATIVE or POLLING while running
    root_id: tuple[int, int] | None = None  # (st_dev, st_ino) of the root when watching began
    limit_errors: list[OSError] = field(default_factory=list)  # appended by watchdog's threads
    fell_back: bool = False  # the native observer hit a limit: poll from now on
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
                root_id = _dir_identity(watch.root)
                if root_id is None:
                    if watch.observer is not None or "missing" not in watch.warned:
                        self._log.warning(
                            "vault %r: folder %s is gone; watching it again once it is back",
                            watch.name,
                            watch.root,
                        )
                        watch.warned.add("missing")
                    self._stop(watch)
                    report[watch.name] = HEALTH_MISSING
                    continue
                watch.warned.discard("missing")
                if watch.mode == NATIVE and watch.limit_errors:
                    self._warn_native(watch, watch.limit_errors[0])
                    watch.fell_back = True
                elif watch.observer is not None and _alive(watch.observer):
                    if root_id == watch.root_id:
                        continue
                self._stop(watch)
                self._start(watch)
                report[watch.name] = HEALTH_RESTARTED if watch.mode else HEALTH_FAILED
                if watch.mode:
                    self._log.info(
                        "vault %r: watching %s again (%s)", watch.name, watch.root, watch.mode
                    )
        return report

    # -- one vault -------------------------------------------------------------------------------

    def _start(self, watch: _Watch) -> None:
        root_id = _dir_identity(watch.root)
        if root_id is None:
            if "missing" not in watch.warned:
                self._log.warning(
                    "vault %r: cannot watch %s: folder not found; will retry",
                    watch.name,
                    watch.root,
                )
                watch.warned.add("missing")
            return
        handler = _Handler(watch.name, watch.root, watch.filter, self._sink, self._log)
        observer: BaseObserver | None = None
        mode = NATIVE
        if not watch.poll and not watch.fell_back:
            errors: list[OSError] = []  # limit errors below the root land here too
            try:
                observer = self._run(lambda: _native_observer(errors.append), handler, watch.root)
            except OSError as err:
                if _dir_identity(watch.root) is None:
                    return  # the root vanished meanwhile; check_health reports it
                errors.append(err)
            if errors:
                if observer is not None:
                    _shutdown(observer, self._log)
                    observer = None
                self._warn_native(watch, errors[0])
                watch.fell_back = errors[0].errno in _LIMIT_ERRNOS
            watch.limit_errors = errors
        if observer is None:
            mode = POLLING
            try:
                observer = self._run(
                    lambda: _polling_observer(self._poll_interval), handler, watch.root
                )
            except OSError as err:
                self._fail(watch, err)
                return
        watch.observer, watch.handler, watch.mode, watch.root_id = observer, handler, mode, root_id
        watch.warned.discard("failed")

    @staticmethod
    def _run(make: Callable[[], BaseObserver], handler: _Handler, root: Path) -> BaseObserver:
        """Create, schedule and start an observer; on failure stop whatever threads it started."""
        observer = make()  # may raise (EMFILE); the native one starts a reader thread here
        try:
            _schedule(observer, handler, root)
            observer.start()
        except BaseException:
            _shutdown(observer)
            raise
        return observer

    def _stop(self, watch: _Watch) -> None:
        if watch.handler is not None:
            watch.handler.active = False  # events still queued in the observer are dropped
        if watch.observer is not None:
            _shutdown(watch.observer, self._log)
        watch.observer = watch.handler = watch.mode = None
        watch.root_id = None
        watch.limit_errors = []

    def _warn_native(self, watch: _Watch, err: OSError) -> None:
        """One warning per vault: native events failed, polling instead (and how to fix a limit)."""
        if "native" in watch.warned:
            return
        watch.warned.add("native")
        if err.errno not in _LIMIT_ERRNOS:
            self._log.warning(
                "vault %r: file events unavailable for %s (%s); polling every %g s instead",
                watch.name,
                watch.root,
                err.strerror or err,
                self._poll_interval,
            )
            return
        if err.errno == errno.ENOSPC:
            what, fix = "inotify watch limit reached", _RAISE_WATCHES
        else:
            what, fix = "too many inotify instances or open files", _RAISE_INSTANCES
        self._log.warning(
            "vault %r: %s (%s); watching %s by polling every %g s instead, which is slower. "
            "To raise the limit, run: %s",
            watch.name,
            what,
            err.strerror or err,
            watch.root,
            self._poll_interval,
            fix,
        )

    def _fail(self, watch: _Watch, err: OSError) -> None:
        if "failed" not in watch.warned:
            watch.warned.add("failed")
            self._log.warning(
                "vault %r: cannot watch %s: %s; only the periodic pass will see changes there",
                watch.name,
                watch.root,
                err.strerror or err,
            )


def _dir_identity(root: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(root)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    return (st.st_dev, st.st_ino)


def _alive(observer: BaseObserver) -> bool:
    """An observer whose emitter stopped (e.g. its root was deleted) keeps its own thread alive."""
    emitters: Any = observer.emitters
    return observer.is_alive() and bool(emitters) and all(e.is_alive() for e in emitters)


def _shutdown(observer: BaseObserver, log: logging.Logger | None = None) -> None:
    """Stop an observer and join its threads (the emitters and the inotify reader are joined by
    watchdog's stop(); the dispatcher thread here)."""
    try:
        observer.stop()
    except Exception:  # a half-started observer can fail to stop; its threads are daemons
        if log is not None:
            log.exception("error while stopping a watcher")
    if observer.ident is not None:  # join() raises on a thread that never started
        observer.join(_JOIN_TIMEOUT)
        if observer.is_alive() and log is not None:
            log.warning("a watcher thread did not stop within %g s", _JOIN_TIMEOUT)
