"""One page's result in words, the pieces every voice shares: counts (`plural`), what the
rules did (`describe`), what they left alone on purpose (`left_alone_words`), why a page is
listed as it is (`reason_text`), its path relative to the vault."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.results import Outcome, PageResult, Reason, unchanged_results

if TYPE_CHECKING:
    from vaultsync.core.model import LeftAlone
    from vaultsync.core.normalize import Stats
    from vaultsync.pipeline.report import PassReport

# (field of Stats, singular phrase, plural phrase)
_PHRASES = (
    ("duplicates_removed", "repeat removed", "repeats removed"),
    ("highlights_moved", "highlight moved", "highlights moved"),
    ("mojibake_repaired", "line of mojibake repaired", "lines of mojibake repaired"),
    ("sections_folded", "section folded", "sections folded"),
    ("authors_linked", "author linked", "authors linked"),
)


def plural(n: int, one: str, many: str | None = None) -> str:
    """`1 page`, `2 pages` (`many` when the plural is not one + "s")."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def describe(stats: Stats) -> str:
    """What the rules did, in words: "3 repeats removed, 1 section folded"."""
    parts = [plural(getattr(stats, name), one, many) for name, one, many in _PHRASES]
    parts = [p for p, (name, _, _) in zip(parts, _PHRASES, strict=True) if getattr(stats, name)]
    return ", ".join(parts) or "no change"


def stats_dict(stats: Stats) -> dict[str, int]:
    return {name: int(getattr(stats, name)) for name, _, _ in _PHRASES}


_LEFT_BECAUSE = {
    Reason.NOT_READWISE: "not a Readwise page (no Readwise link or sync header)",
    Reason.NOTHING_TO_CHANGE: "Readwise page; nothing to change",
    Reason.AUTHOR_PAGE_UP_TO_DATE: "author page vaultsync keeps; up to date",
}


# Why a rule left a page or a section as it was (core.model.Untouched, by its value).
_UNTOUCHED = {
    "chapters": lambda n: (
        f"{n} sync section(s) not folded: their highlights sit under the document's own "
        "chapter headings, which folding would take them away from"
    ),
    "quoted": lambda n: (
        "its template writes each highlight as a blockquote, not a list item: "
        "not deduplicated, folded or ordered"
    ),
    "headed": lambda n: (
        "its template writes each highlight under a heading of its own (other notes may "
        "link to it): not deduplicated, folded or ordered"
    ),
}


def left_alone_words(note: LeftAlone) -> str:
    """What a rule left as it was on purpose, and why: "fold left alone: 2 sync …"."""
    return f"{note.rule} left alone: {_UNTOUCHED[note.why.value](note.count)}"


def reason_text(result: PageResult) -> str:
    """Why a page is listed as it is: the pass's own words, else its typed reason's."""
    if result.reason is not None:
        return result.reason
    return _LEFT_BECAUSE.get(result.why, "nothing to change") if result.why else ""


def unchanged_pages(report: PassReport) -> list[tuple[Path, str]]:
    """With `-v`: each page the pass walked and left as it was, with why (what the walk found
    it to be). Pages changed, skipped or failed are listed elsewhere, with their own reason."""
    return [(r.path, reason_text(r)) for r in unchanged_results(report)]


def rel(report: PassReport, path: Path) -> str:
    root = report.vault.root
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def page_rel(root: Path, path: Path) -> str:
    """`path` relative to the vault `root` (POSIX), or as it is when outside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


# What the summary, the log and the activity log call an author page's outcome.
AUTHOR_VERB = {
    Outcome.AUTHOR_CREATED: "created author page",
    Outcome.AUTHOR_UPDATED: "updated author page",
    Outcome.AUTHOR_MERGED: "merged author page",
}
