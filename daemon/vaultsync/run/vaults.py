"""One vault's work in the daemon: its full passes (start-up, reconcile, a folder event, a
takeover, its folder back) and the updates the coalescer's due paths ask for, each under the
vault's lock and only while this machine holds its lease, and what each leaves in the log, the
status file and the activity log."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from vaultsync.activity import ActivityLog
from vaultsync.errors import VaultsyncError
from vaultsync.lease import VaultLease
from vaultsync.locks import LockBusy, LockWaitCancelled, vault_lock
from vaultsync.pipeline.report import PassReport
from vaultsync.pipeline.session import VaultSession
from vaultsync.render import daemon_line, pass_line, vault_state, who_cleans
from vaultsync.run.status import LeftAloneSaid, Status, log_report, now, record_report, rel
from vaultsync.vault import Vault

log = logging.getLogger("vaultsync")


@dataclass
class VaultRun:
    """A watched vault: its session (kept from pass to pass), lease and last pass."""

    vault: Vault
    session: VaultSession
    last_pass: str | None = None
    last_summary: str = ""
    available: bool = True
    lease: VaultLease | None = None
    behind: bool = False  # changes went unhandled while another machine cleaned: catch up


class VaultPasses:
    """Runs passes and updates on VaultRuns. `stopping`: whether the daemon was asked to stop
    (a wait for a vault's lock ends then); `wrote`: told (path, sha256) of each page a pass
    wrote, so the event our own write fires is known as our echo."""

    def __init__(
        self,
        state_dir: Path,
        status: Status,
        activity: ActivityLog,
        left_said: LeftAloneSaid,
        *,
        stopping: Callable[[], bool],
        wrote: Callable[[Path, str], None],
    ) -> None:
        self.state_dir = state_dir
        self.status = status
        self.activity = activity
        self.left_said = left_said  # pages left alone on purpose the log has named
        self.stopping = stopping
        self.wrote = wrote

    def _vault_lock(self, run: VaultRun):
        return vault_lock(self.state_dir, run.vault.root, cancelled=self.stopping)

    def full_pass(self, run: VaultRun, why: str) -> None:
        """A full pass over the vault (`why` names it in the log); a vanished folder is
        reported once, and its return too."""
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
            # Said here, not in the health check: a restarted watch may be what brings it back.
            log.info("%s", daemon_line("vault back", vault=run.vault.name, root=run.vault.root))
            self.status.resolved(f"folder\0{run.vault.name}")
            self.activity.record("vault back", run.vault.name, detail=str(run.vault.root))
            run.available = True
        if not self.may_write(run):
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
            run.vault.name, keep={rel(run.vault, p) for p, _ in report.failed}
        )
        log.debug("%s: %s", run.vault.name, run.last_summary)

    def update(self, run: VaultRun, changed: list[Path], deleted: list[Path]) -> bool:
        """Hand the paths an event named to the session. False when the vault's lock was busy
        (a `resync` holds it): the caller tries them again after a quiet period. Raises
        LockWaitCancelled when asked to stop while waiting for the lock."""
        if not self.may_write(run):
            return True  # another machine cleans; the catch-up pass at a takeover covers it
        try:
            with self._vault_lock(run):
                report = run.session.update(changed, deleted)
        except LockWaitCancelled:
            raise
        except VaultsyncError as err:
            line = daemon_line("vault error", vault=run.vault.name, error=err)
            log.error("%s", line)
            self.status.error(line, f"pass\0{run.vault.name}")
            return not isinstance(err, LockBusy)
        self._remember_writes(run)
        log_report(report, self.status, self.left_said)
        self._recorded(run, report, "update")
        failed = {rel(run.vault, p) for p, _ in report.failed}
        handed = {rel(run.vault, p) for p in [*changed, *deleted]} - failed
        self.status.resolved_pages(run.vault.name, only=handed)
        return True

    def may_write(self, run: VaultRun) -> bool:
        """Whether this daemon cleans the vault now (it holds the vault's lease); when not,
        remember that a catch-up pass is owed for the day it does."""
        if run.lease is None or run.lease.poll():
            return True
        run.behind = True
        assert run.lease is not None
        run.last_summary = vault_state("not cleaning here", who=who_cleans(run.lease.cleaner()))
        return False

    def leases(self, runs: Iterable[VaultRun]) -> bool:
        """Renew, claim or take over leases; a vault this daemon now cleans gets a catch-up
        pass when changes went unhandled meanwhile. True when a lease's state changed."""
        changed = False
        for run in runs:
            if run.lease is None or not run.vault.root.is_dir():
                continue
            before = run.lease.state
            if run.lease.poll() and run.behind:
                run.behind = False
                self.full_pass(run, "lease taken")
            elif not run.lease.may_write():
                run.behind = True
            changed = changed or run.lease.state != before
        return changed

    def _remember_writes(self, run: VaultRun) -> None:
        for path, data in run.session.written.items():
            self.wrote(path, hashlib.sha256(data).hexdigest())
        run.session.written.clear()

    def _recorded(self, run: VaultRun, report: PassReport, why: str) -> None:
        """A pass is done: its actions go to the activity log, and the time and summary of
        the vault's last pass are set together (never a new time beside an old summary)."""
        record_report(self.activity, report)
        if why == "start-up" and report.scanned == 0:
            from vaultsync.render import filter_problem as filter_words
            from vaultsync.vault import filter_problem

            problem = filter_problem(run.vault)  # include/exclude let no page through
            if problem:
                log.warning("%s", filter_words(problem))
        self.status.resolved(f"pass\0{run.vault.name}")
        run.last_pass = now()
        run.last_summary = pass_line(why, report)
