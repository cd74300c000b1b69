"""What the daemon tells: the status file `vaultsync status` reads (its vaults and recent
errors, each error dropped once what it is about is well again), a pass's lines in the log
(a page left alone on purpose named once) and its entries in the activity log."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaultsync.activity import ActivityLog
from vaultsync.pipeline.report import PassReport
from vaultsync.render import activity_entries, failure_line, log_lines, vault_state, who_cleans
from vaultsync.results import Outcome
from vaultsync.vault import MissingVault, Vault
from vaultsync.writer import write_private_file

if TYPE_CHECKING:
    from vaultsync.run.vaults import VaultRun

log = logging.getLogger("vaultsync")

RECENT_ERRORS = 20


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def rel(vault: Vault, path: Path) -> str:
    """`path` as the log names it: relative to the vault's root when inside it."""
    try:
        return path.relative_to(vault.root).as_posix()
    except ValueError:
        return str(path)


def page_key(vault: str, rel: str) -> str:
    """The status key of an error about one page."""
    return f"page\0{vault}\0{rel}"


@dataclass
class Status:
    """The status file's data. Each error has a key (what it is about: a page, a vault's
    folder or pass, the config), so it is dropped once that is well again: a page cleaned, a
    folder back, a config that loads."""

    path: Path
    started: str = field(default_factory=lambda: now())
    # key -> "time message", newest first
    keyed: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        return list(self.keyed.values())

    def error(self, message: str, key: str | None = None) -> None:
        key = key or message
        self.keyed.pop(key, None)
        self.keyed = dict([(key, f"{now()} {message}"), *self.keyed.items()][:RECENT_ERRORS])

    def resolved(self, key: str) -> None:
        self.keyed.pop(key, None)

    def resolved_pages(self, vault: str, keep: set[str] | None = None, only=None) -> None:
        """Drop the errors of `vault`'s pages (all but `keep`, or only those in `only`)."""
        prefix = page_key(vault, "")
        for key in [k for k in self.keyed if k.startswith(prefix)]:
            page = key[len(prefix) :]
            if (keep is not None and page in keep) or (only is not None and page not in only):
                continue
            del self.keyed[key]

    def publish(
        self,
        runs: Mapping[str, VaultRun],
        watched: Mapping[str, str],
        waiting: list[MissingVault],
        config_path: Path | None,
        running: bool = True,
    ) -> None:
        """Write the status file: every vault's state (`watched`: how each is watched now;
        `waiting`: configured vaults whose folder is missing) and the recent errors."""
        data = {
            "pid": os.getpid() if running else None,
            "running": running,
            "started": self.started,
            "config": str(config_path) if config_path else None,
            "vaults": {
                name: {
                    "root": str(run.vault.root),
                    "kind": run.vault.kind,
                    "watching": watched.get(name, "not watched")
                    if run.available
                    else "unavailable",
                    "last_pass": run.last_pass,
                    "last_summary": run.last_summary,
                    "cleaner": who_cleans(run.lease.cleaner() if run.lease else None),
                }
                for name, run in runs.items()
            }
            | _waiting_status(runs, waiting),
            "recent_errors": self.errors,
        }
        try:
            write_private_file(self.path, json.dumps(data, indent=2).encode())
        except OSError as err:
            log.debug("status not written: %s", err)


def _waiting_status(runs: Mapping[str, Any], waiting: list[MissingVault]) -> dict:
    out = {}
    for gone in waiting:
        if gone.name not in runs:
            out[gone.name] = {
                "root": str(gone.root),
                "kind": None,
                "watching": "unavailable",
                "last_pass": None,
                "last_summary": vault_state("folder missing"),
            }
    return out


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
    report: PassReport, status: Status | None = None, left: LeftAloneSaid | None = None
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
            key = page_key(vault.name, rel(vault, result.path))
            status.error(failure_line(report, result), key)


def record_report(activity: ActivityLog, report: PassReport) -> None:
    """Each thing the pass did, or could not do, as an entry of the activity log."""
    for what, page, detail in activity_entries(report):
        activity.record(what, report.vault.name, page, detail=detail)
