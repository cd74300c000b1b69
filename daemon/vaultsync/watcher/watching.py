"""watchdog glue: one observer per vault, events filtered to candidate pages, sent to a sink.

The only module that imports watchdog, and only inside functions, so `vaultsync --help` stays fast.

The sink is called from watchdog's threads as `sink(vault_name, abs_path, kind)` with kind:
- "created", "modified" (also for close-after-write), "deleted": a candidate page;
- "moved": a page appeared at `abs_path` by a rename (the source, if it was a candidate page,
  gets its own "deleted" call first); these four are what `Coalescer.add` takes;
- "dir": a folder appeared, disappeared or moved at `abs_path`; rescan everything at or below
  it (pages of a folder moved out of the vault get no event of their own). Also sent with the
  root when watchdog says events were lost (its queue overflowed).
The sink must be quick and must not call back into the VaultWatcher (it would deadlock).
Events can be lost (queue overflow, a restart): keep a periodic reconcile pass.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
import threading
import time
import warnings
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


def _native_observer() -> BaseObserver:
    from watchdog.observers import Observer

    return Observer()


# -- is every folder watched? ------------------------------------------------------------------
#
# On Linux each folder costs one inotify watch. When the per-user limit is reached, watchdog
# raises only for the root; a subfolder (at start, or created later) is left unwatched, with at
# most a log line, and where it says so is private and changed between releases. So we ask the
# kernel instead: /proc/self/fdinfo lists every inotify watch of this process by device and
# inode, which we compare with the folders the vault holds. A folder that stays unwatched past a
# short grace (watchdog adds a new folder's watch a moment after the folder appears) makes that
# vault poll. Other platforms (FSEvents, ReadDirectoryChangesW) watch a root recursively, with no
# per-folder limit, and have nothing to check.

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
        log.warning("watchdog: %s (%s at %s:%d)", message, category.__name__, where, lineno)

    warnings.showwarning = show

    def restore() -> None:
        if warnings.showwarning is show:  # someone else's hook installed since stays
            warnings.showwarning = previous

    return restore


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

    kinds: list[type[FileSystemEvent]] = [
        FileCreatedEvent,
        FileModifiedEvent,
        FileDeletedEvent,
        FileMovedEvent,
        FileClosedEvent,  # close after write: Linux only, the cleanest "save finished"
        DirCreatedEvent,
        DirDeletedEvent,
        DirMovedEvent,
    ]
    lost = _events_lost_class()
    if lost is not None:
        kinds.append(lost)
    return kinds


def _events_lost_class() -> type[FileSystemEvent] | None:
    """watchdog 7's public "the kernel queue overflowed, rescan" event; None before it existed
    (run.py then learns of an overflow from watchdog's log)."""
    from watchdog import events

    return getattr(events, "EventsLostEvent", None)


def _schedule(observer: BaseObserver, handler: _Handler, root: Path) -> None:
    observer.schedule(
        handler,  # type: ignore[arg-type]
        os.fspath(root),
        recursive=True,
        event_filter=_event_filter(),  # watchdog 5 and later (pyproject's lower bound)
    )


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
        self.saw_folder = False  # a folder event arrived: VaultWatcher checks the watches again

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
        if kind == "events_lost":  # the kernel dropped events: rescan the whole vault
            self.saw_folder = True  # watchdog rebuilt its watches, which the limit can stop
            self.sink(self.name, Path(self.root), "dir")
            return
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
            self.saw_folder = True
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
    fell_back: bool = False  # the native observer hit a limit: poll from now on
    # Folders seen unwatched by the last coverage check: identity -> (path, first seen).
    suspects: dict[FolderId, tuple[str, float]] = field(default_factory=dict)
    next_coverage: float = 0.0  # monotonic time of the next coverage check due without events
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
                alive = watch.observer is not None and _alive(watch.observer)
                if alive and root_id == watch.root_id:
                    if not self._folder_unwatched(watch):
                        continue
                    watch.fell_back = True  # the limit is reached: more watches would fail too
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
            try:
                observer = self._run(_native_observer, handler, watch.root)
            except OSError as err:  # raised for the root only (see _folder_unwatched)
                if _dir_identity(watch.root) is None:
                    return  # the root vanished meanwhile; check_health reports it
                self._warn_native(watch, err)
                watch.fell_back = err.errno in _LIMIT_ERRNOS
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
        watch.suspects = {}
        watch.next_coverage = 0.0  # a new observer is checked at the next health check

    def _folder_unwatched(self, watch: _Watch) -> bool:
        """True when a folder of a natively watched vault has had no inotify watch for longer
        than COVERAGE_GRACE (the watch limit was reached; see watched_folders); logs why."""
        handler = watch.handler
        if watch.mode != NATIVE or handler is None:
            return False
        now = _clock()
        if not (handler.saw_folder or watch.suspects or now >= watch.next_coverage):
            return False  # nothing new since the last check came back clean
        handler.saw_folder = False  # before the walk: a folder made during it triggers another
        watch.next_coverage = now + COVERAGE_SECONDS
        folders = vault_folders(watch.root, watch.filter)
        watched = watched_folders()  # read after the walk: a watch added meanwhile counts
        if watched is None:
            return False  # nothing to compare with (not Linux): nothing that needs it either
        previous = watch.suspects
        watch.suspects = {
            key: (path, previous[key][1] if key in previous else now)
            for key, path in folders.items()
            if key not in watched
        }
        missed = sorted(
            path for path, first in watch.suspects.values() if now - first >= COVERAGE_GRACE
        )
        if not missed:
            return False
        self._warn_unwatched(watch, missed)
        return True

    def _warn_unwatched(self, watch: _Watch, missed: list[str]) -> None:
        if "native" in watch.warned:
            return
        watch.warned.add("native")
        more = f" and {len(missed) - 1} more" if len(missed) > 1 else ""
        self._log.warning(
            "vault %r: inotify watch limit reached (fs.inotify.max_user_watches is %s): folder "
            "%s%s got no watch; watching %s by polling every %g s instead, which is slower. "
            "To raise the limit, run: %s",
            watch.name,
            _read_limit(),
            missed[0],
            more,
            watch.root,
            self._poll_interval,
            _RAISE_WATCHES,
        )

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


def _read_limit() -> str:
    try:
        with open("/proc/sys/fs/inotify/max_user_watches", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return "unknown"


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
