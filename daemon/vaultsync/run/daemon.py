"""The daemon's main loop: `Daemon.run` (lock, signals, watcher, start-up passes, then the
loop until asked to stop), the events read off the inbox and handed to the coalescer, the
coalescer's due paths handed to each vault's session, the health check (dead watches, vault
folders gone or back, configured vaults appearing) and the config's hot reload."""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path

from vaultsync.activity import ActivityLog
from vaultsync.coalescer import Coalescer
from vaultsync.errors import VaultsyncError
from vaultsync.lease import Timing, VaultLease, machine_id
from vaultsync.locks import DaemonLock, LockWaitCancelled
from vaultsync.pipeline.report import PassOptions
from vaultsync.pipeline.session import VaultSession
from vaultsync.render import daemon_line, error_message
from vaultsync.run.appsettings import AppSettings
from vaultsync.run.control import OVERFLOW, RELOAD, STOP, Inbox, OverflowAlarm
from vaultsync.run.schedule import Schedule
from vaultsync.run.status import LeftAloneSaid, Status, rel
from vaultsync.run.vaults import VaultPasses, VaultRun
from vaultsync.vault import Vault
from vaultsync.writer import VaultGuard, is_temp_file, read_page

log = logging.getLogger("vaultsync")


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
        self.inbox = Inbox()
        self.runs: dict[str, VaultRun] = {}
        self.coalescer = self._coalescer()
        self.status = Status(state_dir / "status.json")
        self.activity = ActivityLog(state_dir)
        self.app_settings = AppSettings(self.status)  # each Logseq graph's config.edn, followed
        self.passes = VaultPasses(
            state_dir,
            self.status,
            self.activity,
            LeftAloneSaid(),
            stopping=lambda: self.inbox.stopping,
            # Looked up at each write: a reload may replace the coalescer.
            wrote=lambda path, digest: self.coalescer.note_own_write(path, digest),
        )
        self._config_stamp = self._stamp()
        self._initial = vaults
        self.watcher = None
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
        previous = self.inbox.install_signals()
        overflow = OverflowAlarm(self.inbox.events)
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
            self.inbox.restore_signals(previous)
            self._write_status(running=False)
            lock.release()
            log.info("%s", daemon_line("stopped"))

    def stop(self) -> None:
        """Ask the loop to stop after the page in hand (thread-safe)."""
        self.inbox.request(STOP)

    def reload(self) -> None:
        """Ask the loop to load the config again now (thread-safe; what SIGHUP does)."""
        self.inbox.request(RELOAD)

    # ------------------------------------------------------------------ vaults

    def _coalescer(self) -> Coalescer:
        return Coalescer(self.settings.quiet_period, self.settings.max_delay)

    def _set_vaults(self, vaults: list[Vault]) -> None:
        """Start, stop or restart vaults so the running set matches `vaults`."""
        guard = VaultGuard([v.root for v in vaults])
        wanted = {v.name: v for v in vaults}
        for name, run in self.runs.items():
            if name in wanted:  # (a config.edn that does not read keeps its last settings)
                wanted[name] = self.app_settings.keep_last_good(run.vault, wanted[name])
        for name in list(self.runs):
            if name not in wanted or self.runs[name].vault != wanted[name]:
                log.info("%s", daemon_line("unwatched", vault=name))
                if self.runs[name].lease is not None:
                    self.runs[name].lease.release()  # another machine may clean it now
                del self.runs[name]
                self.app_settings.forget(name)
        added: list[VaultRun] = []
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
            self.runs[name] = VaultRun(vault, session, lease=lease)
            self.app_settings.started(vault)
            log.info("%s", daemon_line("watched", vault=name, root=vault.root, kind=vault.kind))
            added.append(self.runs[name])
        # Watch first, then catch up: a page that changes while the start-up pass runs (after
        # the pass read its folder) has an event waiting, instead of going unseen.
        self._watch()
        for run in added:
            self.passes.full_pass(run, "start-up")
        self._write_status()

    def _watch(self) -> None:
        """Give the watcher each vault's filter. Every file a pass reads is watched, not only
        the pages it cleans: a note outside the include patterns, or a canvas, may add a block
        reference (vaultsync.ignore)."""
        assert self.watcher is not None
        self.watcher.update(
            {
                n: (r.vault.root, r.vault.path_filter.reading(), r.vault.poll)
                for n, r in self.runs.items()
            }
        )

    def _follow_settings(self, run: VaultRun) -> bool:
        """Read the vault's own settings again (a Logseq graph's config.edn); when they changed
        the vault goes on under them (its filter, its pages folder), with a full pass when what
        a pass cleans changed. True when that pass ran."""
        followed = self.app_settings.follow(run.vault)
        new = followed.vault
        if new is not None and followed.full_pass:
            # A new session, as a config reload makes: what the old one knew was filtered by
            # the old settings. The lease stays: the vault is the same.
            run.vault = new
            run.session = VaultSession(new, self.settings.options, run.session.guard)
            self._watch()
            self.passes.full_pass(run, "settings changed")
        elif new is not None:
            # Nothing a pass uses changed (`:journals-directory`): the session stays.
            run.vault = run.session.vault = run.session.store.vault = new
        self._write_status()
        return followed.full_pass

    def _vault_of(self, path: Path) -> VaultRun | None:
        for run in self.runs.values():
            if path.is_relative_to(run.vault.root):
                return run
        return None

    # ------------------------------------------------------------------ the loop

    def _sink(self, vault_name: str, path: Path, kind: str) -> None:
        if not is_temp_file(path.name):
            self.inbox.events.put((kind, vault_name, path))

    def _loop(self) -> None:
        lease = self.lease_timing if self.lease_timing.enabled else None
        schedule = Schedule(self.settings.reconcile_interval, lease)
        while True:
            timeout = schedule.timeout(time.monotonic(), self.coalescer.next_deadline())
            try:
                event = self.inbox.events.get(timeout=timeout)
            except queue.Empty:
                event = None
            while event is not None:
                kind, name, path = event
                if kind == STOP:
                    return
                if kind == RELOAD:
                    self._reload(force=True)
                elif kind == OVERFLOW:
                    # The kernel dropped events: which vault is not said, so rescan them all
                    # (with the state cache, a rescan of unchanged pages is a stat walk).
                    for vault_name in self.runs:
                        self._queue_rescan(schedule, vault_name)
                elif kind == "dir" and name in self.runs:
                    log.debug("%s: folder event at %s", name, rel(self.runs[name].vault, path))
                    self._queue_rescan(schedule, name)
                elif name in self.runs:
                    log.debug("%s: %s %s", name, kind, rel(self.runs[name].vault, path))
                    self.coalescer.add(path, "deleted" if kind == "deleted" else "modified")
                try:
                    event = self.inbox.events.get_nowait()
                except queue.Empty:
                    event = None
            for name in schedule.due_rescans():
                if name in self.runs and not self._follow_settings(self.runs[name]):
                    self.passes.full_pass(self.runs[name], "folder event")
                    self._write_status()
            self._process_due()
            now = time.monotonic()
            if schedule.config_due(now):
                self._reload()
            schedule.reconcile_every(self.settings.reconcile_interval)
            if schedule.health_due(now):
                self._health()
            if schedule.lease_due(now) and self.passes.leases(list(self.runs.values())):
                self._write_status()
            if schedule.reconcile_due(now):
                for run in list(self.runs.values()):
                    if not self._follow_settings(run):  # (its event may have been lost)
                        self.passes.full_pass(run, "reconcile")
                self._write_status()
                schedule.reconciled()

    def _queue_rescan(self, schedule: Schedule, name: str) -> None:
        schedule.queue_rescan(name, self.settings.quiet_period, self.settings.max_delay)

    def _process_due(self) -> None:
        due = self.coalescer.due()
        if not due:
            return
        work: dict[str, tuple[VaultRun, list[Path], list[Path]]] = {}
        for path, kind in due:
            run = self._vault_of(path)
            if run is None:
                continue
            if self.app_settings.is_settings_file(run.vault, path):
                # Followed before the pages due with it, which are then seen under it.
                self._follow_settings(run)
                continue
            entry = work.setdefault(run.vault.name, (run, [], []))
            if kind == "deleted" or not path.exists():
                entry[2].append(path)
            elif not self._is_echo(path):
                entry[1].append(path)
            else:
                log.debug("%s: %s is as we wrote it", run.vault.name, rel(run.vault, path))
        for run, changed, deleted in work.values():
            if not changed and not deleted:
                continue
            try:
                handled = self.passes.update(run, changed, deleted)
            except LockWaitCancelled:
                return  # stopping
            if not handled:  # the lock was busy: not lost, tried again after a quiet period
                for path in changed:
                    self.coalescer.add(path, "modified")
                for path in deleted:
                    self.coalescer.add(path, "deleted")
        self._write_status()

    def _is_echo(self, path: Path) -> bool:
        try:
            data = read_page(path).data
        except VaultsyncError:
            return False
        return self.coalescer.is_own_echo(path, hashlib.sha256(data).hexdigest())

    # ------------------------------------------------------------------ health

    def _health(self) -> None:
        assert self.watcher is not None
        health = self.watcher.check_health()
        for name, state in health.items():
            if state == "restarted" and name in self.runs:
                # The observer was restarted (limit hit, folder replaced): events were lost.
                self.passes.full_pass(self.runs[name], "watch restarted")
        changed = bool(health)
        for run in self.runs.values():
            back = run.vault.root.is_dir()
            if back and not run.available:
                if not self._follow_settings(run):  # (changed while it was away?)
                    self.passes.full_pass(run, "vault returned")
                changed = True
            elif not back and run.available:
                self.passes.full_pass(run, "health")  # logs the vault as unavailable
                changed = True
        if changed:
            self._write_status()  # so `vaultsync status` shows a vault gone or back
        self._check_waiting()

    def _check_waiting(self) -> None:
        """A configured vault whose folder was missing at load is there now: load the config
        again, which starts watching it (with its start-up pass)."""
        waiting = self.settings.waiting
        if waiting and any(gone.root.is_dir() for gone in waiting):
            log.info("%s", daemon_line("folder appeared"))
            self._reload(force=True)

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
            for path, _kind in pending.due() + [(p, "modified") for p in pending.pending()]:
                self.coalescer.add(path, "modified")
        self._set_vaults(vaults)

    def _write_status(self, running: bool = True) -> None:
        watched = self.watcher.watched() if self.watcher is not None else {}
        self.status.publish(
            self.runs, watched, self.settings.waiting, self.config_path, running=running
        )


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
