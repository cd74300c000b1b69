"""The stable `--json` shapes of `resync` and `check` (docs/scripting.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from vaultsync.render.pages import rel, stats_dict, unchanged_pages

if TYPE_CHECKING:
    from vaultsync.pipeline.report import PassReport

JSON_VERSION = 1  # bumped only when a key changes meaning or goes; new keys may be added


def report_json(report: PassReport, verbose: bool = False) -> dict[str, Any]:
    """One vault's pass as `resync --json` / `check --json` print it (docs/scripting.md);
    `verbose` (-v) adds "unchanged": the pages left alone, with why."""
    per_page = getattr(report, "page_stats", {}) or {}
    data = {
        "vault": report.vault.name,
        "kind": report.vault.kind,
        "root": str(report.vault.root),
        "mode": report.mode,
        "scanned": report.scanned,
        "readwise": report.readwise,
        "changed": [
            {
                "path": rel(report, p),
                "rules": stats_dict(per_page[p]) if p in per_page else None,
            }
            for p in report.changed
        ],
        "totals": stats_dict(report.stats),
        "author_pages": {
            "created": [rel(report, p) for p in report.authors_created],
            "updated": [rel(report, p) for p in report.authors_updated],
            "merged": [rel(report, p) for p in report.authors_merged],
        },
        "skipped": [{"path": rel(report, p), "reason": r} for p, r in report.skipped],
        "failed": [{"path": rel(report, p), "reason": r} for p, r in report.failed],
    }
    if verbose:
        data["unchanged"] = [
            {"path": rel(report, p), "reason": r} for p, r in unchanged_pages(report)
        ]
    return data


def passes_json(
    command: str, reports: Iterable[PassReport], exit_code: int, verbose: bool = False
) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "command": command,
        "exit_code": exit_code,
        "vaults": [report_json(r, verbose) for r in reports],
    }
