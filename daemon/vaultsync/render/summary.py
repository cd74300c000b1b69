"""The end-of-pass summary `resync`, `check` and `demo` print."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vaultsync.render.diff import colour_diff
from vaultsync.render.pages import AUTHOR_VERB, describe, reason_text, rel
from vaultsync.results import Outcome, PageResult, page_results

if TYPE_CHECKING:
    from vaultsync.pipeline.report import PassReport

_TOTAL_VERB = {"write": "rewritten", "dry-run": "would be rewritten", "check": "would change"}
_PAGE_VERB = {"write": "cleaned", "dry-run": "would clean", "check": "would clean"}


def _summary_rows(report: PassReport) -> list[tuple[str, object]]:
    s = report.stats
    authors = f"{len(report.authors_created)} created, {len(report.authors_updated)} updated"
    if report.authors_merged:
        authors += f", {len(report.authors_merged)} merged"
    return [
        ("pages scanned", report.scanned),
        ("Readwise pages", report.readwise),
        (_TOTAL_VERB[report.mode], len(report.changed)),
        ("duplicates removed", s.duplicates_removed),
        ("highlights moved", s.highlights_moved),
        ("mojibake repaired", s.mojibake_repaired),
        ("sections folded", s.sections_folded),
        ("authors linked", s.authors_linked),
        ("author pages", authors),
        ("skipped", len(report.skipped)),
        ("failed", len(report.failed)),
    ]


def _summary_page_line(report: PassReport, result: PageResult) -> str:
    """One page in the summary. Skipped, failed and left-alone pages are named by the path
    the pass gave (as they always were); the others relative to the vault."""
    path = result.path
    outcome = result.outcome
    if outcome is Outcome.CLEANED:
        what = f": {describe(result.stats)}" if result.stats is not None else ""
        return f"{_PAGE_VERB[report.mode]} {rel(report, path)}{what}"
    if outcome in AUTHOR_VERB:
        return f"{AUTHOR_VERB[outcome]} {rel(report, path)}"
    if outcome is Outcome.SKIPPED:
        return f"skipped {path}: {reason_text(result)}"
    if outcome is Outcome.FAILED:
        return f"FAILED  {path}: {reason_text(result)}"
    if outcome is Outcome.LEFT_ALONE:
        return f"left    {path}: {reason_text(result)}"
    return f"unchanged {rel(report, path)}: {reason_text(result)}"


def summary(
    report: PassReport, diffs: bool = False, verbose: bool = False, colour: bool = False
) -> str:
    """The end-of-pass summary: the vault, its diffs when asked for (`colour`: on a terminal),
    the counts, then each page changed (with what the rules did to it), skipped or failed
    (with the reason); `verbose` (-v): then each page left alone, with why."""
    label = "[dry run] " if report.mode == "dry-run" else ""
    from vaultsync.core import formats

    kind = formats.of(report.vault.kind).app
    out = [f"{label}{report.vault.name} ({kind} at {report.vault.root})\n"]
    if diffs and report.diffs:
        text = "".join(report.diffs)
        out.append(colour_diff(text) if colour else text)
    out += [f"{label}  {name:<20} {value}\n" for name, value in _summary_rows(report)]
    out += [f"{label}  {_summary_page_line(report, r)}\n" for r in page_results(report, verbose)]
    return "".join(out)
