"""`vaultsync run`: watch the vaults and keep them clean until told to stop.

One thread (this one) does all the work; watchdog's threads only put events on a queue. Events
are coalesced per path, then handed to the same VaultSession code `resync` uses. A start-up pass
catches up with what changed while the daemon was off, and a periodic reconcile pass covers
events the kernel may have dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from vaultsync.activity import ActivityLog
from vaultsync.coalescer import Coalescer
from vaultsync.errors import VaultsyncError
from vaultsync.lease import Timing, VaultLease, machine_id
from vaultsync.locks import DaemonLock, LockBusy, LockWaitCancelled, vault_lock
from vaultsync.pipeline.report import PassOptions, PassReport
from vaultsync.pipeline.session import VaultSession
from vaultsync.render import (
    activity_entries,
    daemon_line,
    error_message,
    failure_line,
    log_lines,
    pass_line,
)
from vaultsync.results import Outcome
from vaultsync.vault import Vault
from vaultsync.writer import VaultGuard, is_temp_file, read_page, write_private_file

log = logging.getLogger("vaultsync")

CONFIG_CHECK_SECONDS = 1.0
HEALTH_CHECK_SECONDS = 5.0
RECENT_ERRORS = 20
_STOP, _RELOAD, _OVERFLOW = "stop", "reload", "overflow"


class _OverflowAlarm(logging.Handler):
    """watchdog only logs an inotify queue overflow (events were lost); turn that warning into
    a rescan request on the daemon's queue."""

    def __init__(self, events: queue.SimpleQueue) -> None:
        super().__init__(logging.WARNING)
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.events.put((_OVERFLOW, None, None))


@dataclass
class Settings:
    """What the loop needs besides the vaults; rebuilt from the config on every reload."""

    options: PassOptions
    quiet_period: float = 2.0
    max_delay: float = 30.0
    reconcile_interval: float = 3600.0
    # Configured vaults whose folder is missing (vault.MissingVault): waited for, and the
    # config loaded again once one is there.
    waiting: list = field(default_factory=list)


@dataclass
class _VaultRun:
    vault: Vault
    session: VaultSession
    last_pass: str | None = None
    last_summary: str = ""
    available: bool = True
    lease: VaultLease | None = None
    behind: bool = False  # changes went unhandled while another machine cleaned: catch up


@dataclass
class _Status:
    """The status file's data. Each error has a key (what it is about: a page, a vault's
    folder or pass, the config), so it is dropped once that is well again: a page cleaned, a
    folder back, a config that loads."""

    path: Path
    started: str = field(default_factory=lambda: _now())
    # key -> "time message", newest first
    keyed: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        return list(self.keyed.values())

    def error(self, message: str, key: str | None = None) -> None:
        key = key or message
        self.keyed.pop(key, None)
        self.keyed = dict([(key, f"{_now()} {message}"), *self.keyed.items()][:RECENT_ERRORS])

    def resolved(self, key: str) -> None:
        self.keyed.pop(key, None)

    def resolved_pages(self, vault: str, keep: set[str] | None = None, only=None) -> None:
        """Drop the errors of `vault`'s pages (all but `keep`, or only those in `only`)."""
        prefix = _page_key(vault, "")
        for key in [k for k in self.keyed if k.startswith(prefix)]:
            page = key[len(prefix) :]
            if (keep is not None and page in keep) or (only is not None and page not in only):
                continue
            del self.keyed[key]


def _page_key(vault: str, rel: str) -> str:
    return f"page\0{vault}\0{rel}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _rel(vault: Vault, path: Path) -> str:
    try:
        return path.relative_to(vault.root).as_posix()
    except ValueError:
        return str(path)


class LeftAloneSaid:
    """Which pages left alone on purpose (and why) the log has named, so each is named once,
    not at every pass that meets it again. Small: the oldest are forgotten past `limit`, and a
    page's are forgotten when it is cleaned (left alone again later: named again)."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._said: dict[tuple[str, str, str], None] = {}  # (vault, page, reason), in order

    def first_time(self, vault: str, path: Path, reason: str) -> bool:
        key = (vault, str(path), reason)
        if key in self._said:
            return False
        self._said[key] = None
        if len(self._said) > self.limit:
            del self._said[next(iter(self._said))]
        return True

    def forget(self, vault: str, path: Path) -> None:
        page = str(path)
        for key in [k for k in self._said if k[0] == vault and k[1] == page]:
            del self._said[key]


def log_report(
    report: PassReport, status: _Status | None = None, left: LeftAloneSaid | None = None
) -> None:
    """The pass's log lines (render.log_lines). `left`: the memory that keeps a page left
    alone on purpose from being named at every pass (None: named every time)."""
    vault = report.vault
    if left is not None:
        for path in report.changed:
            left.forget(vault.name, path)
    for level, result, text in log_lines(report):
        if result is not None and result.outcome is Outcome.LEFT_ALONE and left is not None:
            if not left.first_time(vault.name, result.path, result.reason or ""):
                continue
        log.log(level, "%s", text)
        if status and result is not None and result.outcome is Outcome.FAILED:
            key = _page_key(vault.name, _rel(vault, result.path))
            status.error(failure_line(report, result), key)


def record_report(activity: ActivityLog, report: PassReport) -> None:
    """Each thing the pass did, or could not do, as an entry of the activity log."""
    for what, page, detail in activity_entries(report):
        activity.record(what, report.vault.name, page, detail=detail)


class Daemon:
    """The watch loop. `load` returns (vaults, settings) from the config, or raises
    VaultsyncError; None means a fixed set of vaults (the demo)."""

    def __init__(
        self,
        vaults: list[Vault],
        settings: Settings,
        state_dir: Path,
        *,
        config_path: Path | None = None,
        load=None,
    ) -> None:
        self.settings = settings
        self.state_dir = state_dir
        self.config_path = config_path
        self.load = load
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.runs: dict[str, _VaultRun] = {}
        self.coalescer = self._coalescer()
        self.status = _Status(state_dir / "status.json")
        self.activity = ActivityLog(state_dir)
        self.left_said = LeftAloneSaid()  # pages left alone on purpose the log has named
        self._config_stamp = self._stamp()
        self._initial = vaults
        self.watcher = None
        # Set by the signal handler itself (the queue is read only between passes), so a wait
        # for a vault a `resync` holds ends as soon as we are asked to stop.
        self._stopping = False
        # Vaults to rescan after a folder event: name -> (first event, due). Delayed like page
        # events, so a folder being copied in is read once, after the copy, not once per folder.
        self._rescans: dict[str, tuple[float, float]] = {}
        # One cleaner per vault across machines (lease.py); read before the vaults start.
        self.lease_timing = Timing.from_env()
        self.machine = ""

    # ------------------------------------------------------------------ lifecycle

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; returns the exit code."""
        from vaultsync.watcher import VaultWatcher, route_watchdog_warnings

        lock = DaemonLock(self.state_dir)
        lock.acquire()
        if self.lease_timing.enabled:
            self.machine = machine_id(self.state_dir) or ""
        previous = self._install_signals()
        overflow = _OverflowAlarm(self.events)
        logging.getLogger("watchdog.observers.inotify_c").addHandler(overflow)
        unroute_warnings = route_watchdog_warnings(log)
        try:
            self.watcher = VaultWatcher({}, self._sink, log)
            self.watcher.start()
            self._set_vaults(self._initial)
            log.info("%s", daemon_line("watching", count=len(self.runs)))
            self._loop()
            for run in self.runs.values():
                if run.lease is not None:
                    run.lease.release()  # a clean stop: another machine may take over now
            return 0
        finally:
            logging.getLogger("watchdog.observers.inotify_c").removeHandler(overflow)
            if self.watcher is not None:
                self.watcher.stop()
            unroute_warnings()  # after stop(): its threads can still warn until joined
            self._restore_signals(previous)
            self._write_status(running=False)
            lock.release()
            log.info("%s", daemon_line("stopped"))

    def _install_signals(self) -> dict:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            previous[sig] = signal.signal(sig, self._on_signal)
        return previous

    def _on_signal(self, signum: int, _frame: object) -> None:
        if signum == signal.SIGHUP:
            self._request(_RELOAD)
            return
        if signum == signal.SIGINT:
            # The loop stops after the pass in hand, which on a big vault takes a while: a
            # second Ctrl-C stops at once (the writer removes its temp file on the way out).
            signal.signal(signal.SIGINT, signal.default_int_handler)
        self._request(_STOP)

    def _request(self, what: str) -> None:
        if what == _STOP:
            self._stopping = True
        self.events.put((what, None, None))

    @staticmethod
    def _restore_signals(previous: dict) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def stop(self) -> None:
        """Ask the loop to stop after the page in hand (thread-safe)."""
        self._request(_STOP)

    def _vault_lock(self, run: _VaultRun):
        return vault_lock(self.state_dir, run.vault.root, cancelled=lambda: self._stopping)

    # ------------------------------------------------------------------ vaults

    def _coalescer(self) -> Coalescer:
        return Coalescer(self.settings.quiet_period, self.settings.max_delay)

    def _set_vaults(self, vaults: list[Vault]) -> None:
        """Start, stop or restart vaults so the running set matches `vaults`."""
        guard = VaultGuard([v.root for v in vaults])
        wanted = {v.name: v for v in vaults}
        for name in list(self.runs):
            if name not in wanted or self.runs[name].vault != wanted[name]:
                log.info("%s", daemon_line("unwatched", vault=name))
                if self.runs[name].lease is not None:
                    self.runs[name].lease.release()  # another machine may clean it now
                del self.runs[name]
        added: list[_VaultRun] = []
        for name, vault in wanted.items():
            if name in self.runs:
                self.runs[name].session.guard = guard
                self.runs[name].session.options = self.settings.options
                if self.runs[name].lease is not None:
                    self.runs[name].lease.guard = guard
                continue
            session = VaultSession(vault, self.settings.options, guard)
            lease = None
            if self.lease_timing.enabled:
                lease = VaultLease(name, vault.root, guard, self.machine, self.lease_timing)
            self.runs[name] = _VaultRun(vault, session, lease=lease)
            log.info("%s", daemon_line("watched", vault=name, root=vault.root, kind=vault.kind))
            added.append(self.runs[name])
        assert self.watcher is not None
        # Watch first, then catch up: a page that changes while the start-up pass runs (after
        # the pass read its folder) has an event waiting, instead of going unseen.
        # Every file a pass reads is watched, not only the pages it cleans: a note outside
        # the include patterns, or a canvas, may add a block reference (vaultsync.ignore).
        self.watcher.update(
            {
                n: (r.vault.root, r.vault.path_filter.reading(), r.vault.poll)
                for n, r in self.runs.items()
            }
        )
        for run in added:
            self._full_pass(run, "start-up")
        self._write_status()

    def _full_pass(self, run: _VaultRun, why: str) -> None:
        if not run.vault.root.is_dir():
            if run.available:
                fields = {"vault": run.vault.name, "root": run.vault.root}
                log.warning("%s", daemon_line("vault missing", **fields))
                self.status.error(
                    daemon_line("vault missing (status)", **fields),
                    f"folder\0{run.vault.name}",
                )
                self.activity.record(
                    "vault unavailable", run.vault.name, detail=str(run.vault.root)
                )
            run.available = False
            return
        if not run.available:
            # Said here, not in _health: a restarted watch may be what brings it back.
            log.info("%s", daemon_line("vault back", vault=run.vault.name, root=run.vault.root))
            self.status.resolved(f"folder\0{run.vault.name}")
            self.activity.record("vault back", run.vault.name, detail=str(run.vault.root))
            run.available = True
        if not self._may_write(run):
            return
        try:
            with self._vault_lock(run):
                report = run.session.full_pass()
        except LockWaitCancelled:
            return  # stopping
        except VaultsyncError as err:
            log.error("%s", daemon_line("pass failed", vault=run.vault.name, why=why, error=err))
            self.status.error(
                daemon_line("vault error", vault=run.vault.name, error=err),
                f"pass\0{run.vault.name}",
            )
            return
        self._remember_writes(run)
        log_report(report, self.status, self.left_said)
        self._recorded(run, report, why)
        # Every page was looked at: only those failing now keep an error.
        self.status.resolved_pages(
            run.vault.name, keep={_rel(run.vault, p) for p, _ in report.failed}
        )
        log.debug("%s: %s", run.vault.name, run.last_summary)

    def _remember_writes(self, run: _VaultRun) -> None:
        for path, data in run.session.written.items():
            self.coalescer.note_own_write(path, hashlib.sha256(data).hexdigest())
        run.session.written.clear()

    # ------------------------------------------------------------------ the loop

    def _sink(self, vault_name: str, path: Path, kind: str) -> None:
        if not is_temp_file(path.name):
            self.events.put((kind, vault_name, path))

    def _loop(self) -> None:
        next_reconcile = self._next_reconcile()
        interval = self.settings.reconcile_interval
        next_config = next_health = next_lease = time.monotonic()
        while True:
            now = time.monotonic()
            deadlines = [next_config, next_health]
            if self.lease_timing.enabled:
                deadlines.append(next_lease)
            if next_reconcile is not None:
                deadlines.append(next_reconcile)
            due_at = self.coalescer.next_deadline()
            if due_at is not None:
                deadlines.append(due_at)
            deadlines += [due for _first, due in self._rescans.values()]
            timeout = max(0.0, min(deadlines) - now)
            try:
                event = self.events.get(timeout=timeout)
            except queue.Empty:
                event = None
            while event is not None:
                kind, name, path = event
                if kind == _STOP:
                    return
                if kind == _RELOAD:
                    self._reload(force=True)
                elif kind == _OVERFLOW:
                    # The kernel dropped events: which vault is not said, so rescan them all
                    # (with the state cache, a rescan of unchanged pages is a stat walk).
                    for vault_name in self.runs:
                        self._queue_rescan(vault_name)
                elif kind == "dir" and name in self.runs:
                    log.debug("%s: folder event at %s", name, _rel(self.runs[name].vault, path))
                    self._queue_rescan(name)
                elif name in self.runs:
                    log.debug("%s: %s %s", name, kind, _rel(self.runs[name].vault, path))
                    self.coalescer.add(path, "deleted" if kind == "deleted" else "modified")
                try:
                    event = self.events.get_nowait()
                except queue.Empty:
                    event = None
            self._process_rescans()
            self._process_due()
            now = time.monotonic()
            if now >= next_config:
                self._reload()
                next_config = now + CONFIG_CHECK_SECONDS
            if self.settings.reconcile_interval != interval:
                # A reload changed it (from 0, the old schedule was none at all): start anew.
                interval = self.settings.reconcile_interval
                next_reconcile = self._next_reconcile()
            if now >= next_health:
                self._health()
                next_health = now + HEALTH_CHECK_SECONDS
            if self.lease_timing.enabled and now >= next_lease:
                self._leases()
                next_lease = now + self._lease_check_seconds()
            if next_reconcile is not None and now >= next_reconcile:
                for run in list(self.runs.values()):
                    self._full_pass(run, "reconcile")
                self._write_status()
                next_reconcile = self._next_reconcile()

    def _queue_rescan(self, name: str) -> None:
        now = time.monotonic()
        first = self._rescans[name][0] if name in self._rescans else now
        due = min(now + self.settings.quiet_period, first + self.settings.max_delay)
        self._rescans[name] = (first, due)

    def _process_rescans(self) -> None:
        now = time.monotonic()
        for name, (_first, due) in list(self._rescans.items()):
            if due <= now:
                del self._rescans[name]
                if name in self.runs:
                    self._full_pass(self.runs[name], "folder event")
                    self._write_status()

    def _next_reconcile(self) -> float | None:
        interval = self.settings.reconcile_interval
        return time.monotonic() + interval if interval > 0 else None

    def _vault_of(self, path: Path) -> _VaultRun | None:
        for run in self.runs.values():
            if path.is_relative_to(run.vault.root):
                return run
        return None

    def _process_due(self) -> None:
        due = self.coalescer.due()
        if not due:
            return
        work: dict[str, tuple[_VaultRun, list[Path], list[Path]]] = {}
        for path, kind in due:
            run = self._vault_of(path)
            if run is None:
                continue
            entry = work.setdefault(run.vault.name, (run, [], []))
            if kind == "deleted" or not path.exists():
                entry[2].append(path)
            elif not self._is_echo(path):
                entry[1].append(path)
            else:
                log.debug("%s: %s is as we wrote it", run.vault.name, _rel(run.vault, path))
        for run, changed, deleted in work.values():
            if not changed and not deleted:
                continue
            if not self._may_write(run):
                continue  # another machine cleans; the catch-up pass at a takeover covers it
            try:
                with self._vault_lock(run):
                    report = run.session.update(changed, deleted)
            except LockWaitCancelled:
                return  # stopping
            except VaultsyncError as err:
                line = daemon_line("vault error", vault=run.vault.name, error=err)
                log.error("%s", line)
                self.status.error(line, f"pass\0{run.vault.name}")
                if isinstance(err, LockBusy):  # not lost: tried again after a quiet period
                    for path in changed:
                        self.coalescer.add(path, "modified")
                    for path in deleted:
                        self.coalescer.add(path, "deleted")
                continue
            self._remember_writes(run)
            log_report(report, self.status, self.left_said)
            self._recorded(run, report, "update")
            failed = {_rel(run.vault, p) for p, _ in report.failed}
            handed = {_rel(run.vault, p) for p in [*changed, *deleted]} - failed
            self.status.resolved_pages(run.vault.name, only=handed)
        self._write_status()

    def _may_write(self, run: _VaultRun) -> bool:
        """Whether this daemon cleans the vault now (it holds the vault's lease); when not,
        remember that a catch-up pass is owed for the day it does."""
        if run.lease is None or run.lease.poll():
            return True
        run.behind = True
        assert run.lease is not None
        run.last_summary = f"not cleaning here: {run.lease.describe()}"
        return False

    def _leases(self) -> None:
        """Renew, claim or take over leases; a vault this daemon now cleans gets a catch-up
        pass when changes went unhandled meanwhile."""
        changed = False
        for run in list(self.runs.values()):
            if run.lease is None or not run.vault.root.is_dir():
                continue
            before = run.lease.state
            if run.lease.poll() and run.behind:
                run.behind = False
                self._full_pass(run, "lease taken")
            elif not run.lease.may_write():
                run.behind = True
            changed = changed or run.lease.state != before
        if changed:
            self._write_status()

    def _lease_check_seconds(self) -> float:
        timing = self.lease_timing
        return max(0.1, min(HEALTH_CHECK_SECONDS, timing.heartbeat / 3, timing.settle / 3 or 5))

    def _is_echo(self, path: Path) -> bool:
        try:
            data = read_page(path).data
        except VaultsyncError:
            return False
        return self.coalescer.is_own_echo(path, hashlib.sha256(data).hexdigest())

    def _health(self) -> None:
        assert self.watcher is not None
        health = self.watcher.check_health()
        for name, state in health.items():
            if state == "restarted" and name in self.runs:
                # The observer was restarted (limit hit, folder replaced): events were lost.
                self._full_pass(self.runs[name], "watch restarted")
        changed = bool(health)
        for run in self.runs.values():
            back = run.vault.root.is_dir()
            if back and not run.available:
                self._full_pass(run, "vault returned")
                changed = True
            elif not back and run.available:
                self._full_pass(run, "health")  # logs the vault as unavailable
                changed = True
        if changed:
            self._write_status()  # so `vaultsync status` shows a vault gone or back
        self._check_waiting()

    # ------------------------------------------------------------------ config reload

    def _stamp(self) -> tuple[int, int] | None:
        if self.config_path is None:
            return None
        try:
            st = os.stat(self.config_path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _reload(self, force: bool = False) -> None:
        if self.load is None:
            return
        stamp = self._stamp()
        if not force and stamp == self._config_stamp:
            return
        self._config_stamp = stamp
        try:
            vaults, settings = self.load()
        except VaultsyncError as err:
            log.error("%s", daemon_line("config not reloaded", error=err))
            self.status.error(daemon_line("config error", error=err), "config")
            self.activity.record("config not reloaded", detail=error_message(err))
            self._write_status()
            return
        log.info("%s", daemon_line("config reloaded", path=self.config_path))
        self.status.resolved("config")
        self.activity.record("config reloaded")
        old = self.settings
        self.settings = settings
        if (old.quiet_period, old.max_delay) != (settings.quiet_period, settings.max_delay):
            pending = self.coalescer
            self.coalescer = self._coalescer()
            for path, _kind in pending.due() + [(p, "modified") for p in list(pending._pending)]:
                self.coalescer.add(path, "modified")
        self._set_vaults(vaults)

    # ------------------------------------------------------------------ status

    def _write_status(self, running: bool = True) -> None:
        watched = self.watcher.watched() if self.watcher is not None else {}
        data = {
            "pid": os.getpid() if running else None,
            "running": running,
            "started": self.status.started,
            "config": str(self.config_path) if self.config_path else None,
            "vaults": {
                name: {
                    "root": str(run.vault.root),
                    "kind": run.vault.kind,
                    "watching": watched.get(name, "not watched")
                    if run.available
                    else "unavailable",
                    "last_pass": run.last_pass,
                    "last_summary": run.last_summary,
                    "cleaner": run.lease.describe() if run.lease else "this machine",
                }
                for name, run in self.runs.items()
            }
            | self._waiting_status(),
            "recent_errors": self.status.errors,
        }
        try:
            write_private_file(self.status.path, json.dumps(data, indent=2).encode())
        except OSError as err:
            log.debug("status not written: %s", err)

    # ------------------------------------------------------------------ activity, waiting

    def _recorded(self, run: _VaultRun, report: PassReport, why: str) -> None:
        """A pass is done: its actions go to the activity log, and the time and summary of
        the vault's last pass are set together (never a new time beside an old summary)."""
        record_report(self.activity, report)
        if why == "start-up" and report.scanned == 0:
            from vaultsync.vault import filter_warning

            problem = filter_warning(run.vault)  # include/exclude let no page through
            if problem:
                log.warning("%s", problem)
        self.status.resolved(f"pass\0{run.vault.name}")
        run.last_pass = _now()
        run.last_summary = pass_line(why, report)

    def _check_waiting(self) -> None:
        """A configured vault whose folder was missing at load is there now: load the config
        again, which starts watching it (with its start-up pass)."""
        waiting = self.settings.waiting
        if waiting and any(gone.root.is_dir() for gone in waiting):
            log.info("%s", daemon_line("folder appeared"))
            self._reload(force=True)

    def _waiting_status(self) -> dict:
        out = {}
        for gone in self.settings.waiting:
            if gone.name not in self.runs:
                out[gone.name] = {
                    "root": str(gone.root),
                    "kind": None,
                    "watching": "unavailable",
                    "last_pass": None,
                    "last_summary": "folder missing; watched for",
                }
        return out


def run_daemon(
    vaults: list[Vault],
    options: PassOptions,
    *,
    state_dir: Path | None = None,
    config_path: Path | None = None,
    load=None,
    settings: Settings | None = None,
) -> int:
    """Run the watch loop on `vaults` (re-read from `load` when the config changes)."""
    from vaultsync.paths import default_state_dir
    from vaultsync.writer import ensure_private_dir

    state = ensure_private_dir(state_dir or default_state_dir())
    daemon = Daemon(
        vaults,
        settings or Settings(options=options),
        state,
        config_path=config_path,
        load=load,
    )
    return daemon.run()
