"""What the daemon says: its log lines for a pass, its activity entries, `status`'s lines
for a pass and a failure, and its news about itself (`daemon_line`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from vaultsync.render.errors import error_message
from vaultsync.render.lease import lease_holder
from vaultsync.render.pages import AUTHOR_VERB, describe, page_rel, reason_text
from vaultsync.results import Outcome, PageResult, page_results

if TYPE_CHECKING:
    from vaultsync.pipeline.report import PassReport

# The order the log names a pass's pages in: what was left alone first (the news of a rule
# holding back), then what was done, then what went wrong.
_LOG_ORDER = (
    Outcome.LEFT_ALONE,
    Outcome.CLEANED,
    Outcome.AUTHOR_CREATED,
    Outcome.AUTHOR_UPDATED,
    Outcome.AUTHOR_MERGED,
    Outcome.SKIPPED,
    Outcome.FAILED,
)


def _log_line(vault: str, page: str, result: PageResult) -> tuple[int, str]:
    outcome = result.outcome
    if outcome is Outcome.LEFT_ALONE:
        return logging.INFO, f"{vault}: left {page} as it is: {reason_text(result)}"
    if outcome is Outcome.CLEANED:
        return logging.INFO, f"{vault}: cleaned {page}"
    if outcome in AUTHOR_VERB:
        return logging.INFO, f"{vault}: {AUTHOR_VERB[outcome]} {page}"
    if outcome is Outcome.SKIPPED:
        # A page held after undo is news once (persisted: not again at every start).
        level = logging.DEBUG if result.first_time is False else logging.WARNING
        return level, f"{vault}: skipped {page}: {reason_text(result)}"
    return logging.ERROR, f"{vault}: FAILED {page}: {reason_text(result)}"


def log_lines(report: PassReport) -> list[tuple[int, PageResult | None, str]]:
    """The daemon's log lines for one pass: (level, the page's result or None, text), one
    readable line per thing worth knowing, then what the rules did in all."""
    vault = report.vault
    results = sorted(page_results(report), key=lambda r: _LOG_ORDER.index(r.outcome))
    out: list[tuple[int, PageResult | None, str]] = []
    for r in results:
        level, text = _log_line(vault.name, page_rel(vault.root, r.path), r)
        out.append((level, r, text))
    if report.changed:
        out.append((logging.INFO, None, f"{vault.name}: {describe(report.stats)}"))
    return out


def failure_line(report: PassReport, result: PageResult) -> str:
    """A failed page as `status` lists it under "recent errors"."""
    vault = report.vault
    return f"{vault.name}: {page_rel(vault.root, result.path)}: {reason_text(result)}"


def activity_entries(report: PassReport) -> list[tuple[str, str, str]]:
    """Each thing the pass did, or could not do, as the activity log keeps it:
    (what, page relative to the vault, detail)."""
    out = []
    for r in page_results(report):
        page = page_rel(report.vault.root, r.path)
        if r.outcome is Outcome.CLEANED:
            out.append(("cleaned", page, describe(r.stats) if r.stats is not None else ""))
        elif r.outcome in AUTHOR_VERB:
            out.append((AUTHOR_VERB[r.outcome], page, ""))
        elif r.outcome is Outcome.FAILED:
            out.append(("FAILED", page, reason_text(r)))
    return out


def pass_line(why: str, report: PassReport) -> str:
    """A vault's last pass as `status` shows it."""
    return (
        f"{why}: {report.scanned} scanned, {report.readwise} Readwise, "
        f"{len(report.changed)} cleaned, {len(report.failed)} failed"
    )


# What the daemon says about itself, by event; the fields are filled in by `daemon_line`.
_DAEMON_LINES = {
    "watching": "watching {count} vault(s); Ctrl-C or SIGTERM stops",
    "stopped": "stopped",
    "no vaults": "no vaults configured in {path}; add some under `vaults:` and they are picked "
    "up without a restart",
    "watched": "{vault}: watching {root} ({kind})",
    "unwatched": "{vault}: no longer watched",
    "vault missing": "{vault}: vault unavailable ({root} is missing); will resume when it returns",
    "vault missing (status)": "{vault}: vault folder missing: {root}",
    "vault back": "{vault}: vault is back at {root}; catching up",
    "pass failed": "{vault}: {why} pass failed: {error}",
    "vault error": "{vault}: {error}",
    "config not reloaded": "config not reloaded, the previous one keeps running: {error}",
    "config error": "config: {error}",
    "config reloaded": "config reloaded from {path}",
    "folder appeared": "a vault folder that was missing is there now; loading the config again",
    # A Logseq graph's own settings (logseq/config.edn), followed while the daemon runs
    "app setting": "{key} {new} (was {old})",
    "app settings followed": "{vault}: {path} changed: {changes}; following it now, with a "
    "full pass of the graph",
    "app settings followed, no pass": "{vault}: {path} changed: {changes}; following it now",
    "app settings broken": "{vault}: {path}: {error}; keeping the settings last read from it "
    "until it is fixed (in Logseq: Settings > Edit config.edn, or in a text editor)",
    "app settings broken (status)": "{vault}: {path} cannot be read ({error}); its last good "
    "settings are kept",
    "app settings fixed": "{vault}: {path} reads again",
    # Two machines, one vault (lease.py)
    "lease elsewhere": "{vault}: {holder} cleans this vault (its lease runs until {until}); "
    "standing by",
    "lease taken": "{vault}: this machine cleans this vault (lease taken)",
    "lease kept": "{vault}: this machine cleans this vault (lease kept)",
    "lease lapsed": "{vault}: this machine's lease lapsed; claiming it again",
    "lease claimed": "{vault}: claimed this vault's lease; cleaning starts in {settle:g} s unless "
    "another machine holds it",
    "lease unusable": "{vault}: cannot keep the lease file {path}: {error}; cleaning without it "
    "(another machine's daemon on this vault may then conflict)",
}


def daemon_line(event: str, **fields: object) -> str:
    """The daemon's line for `event` (a key of _DAEMON_LINES); an `error` field is rendered
    by `error_message`, a `holder` (a lease.Lease) by `lease_holder`."""
    if isinstance(fields.get("error"), BaseException):
        fields["error"] = error_message(fields["error"])  # type: ignore[arg-type]
    if "holder" in fields:
        fields["holder"] = lease_holder(fields["holder"])  # type: ignore[arg-type]
    return _DAEMON_LINES[event].format(**fields)
