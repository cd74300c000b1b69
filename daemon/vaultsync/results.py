"""What a pass did, page by page, as typed results: the one stream every voice renders.

A pass (`pipeline.report.PassReport`) collects lists; `page_results` turns one report into
results in the order a person reads them (cleaned, author pages, skipped, failed, left alone).
`render/` alone turns results into words: the CLI's summary, the daemon's log lines and its
activity log all come from the same results, so they cannot drift apart.
Pure data, no I/O, no words.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vaultsync.core.normalize import Stats
    from vaultsync.pipeline.report import PassReport


class Outcome(Enum):
    """What happened to one page."""

    CLEANED = "cleaned"  # rewritten (or, in a dry run or check, would be)
    AUTHOR_CREATED = "author created"
    AUTHOR_UPDATED = "author updated"
    AUTHOR_MERGED = "author merged"
    SKIPPED = "skipped"  # not touched; `reason` says why
    FAILED = "failed"  # an error; `reason` says what
    LEFT_ALONE = "left alone"  # a Readwise page a rule left as it is on purpose
    UNCHANGED = "unchanged"  # walked and nothing to do (listed with -v only)


class Reason(Enum):
    """Why a page is listed as it is: the kind of a skipped or failed page's reason
    (`pipeline.report.PageReason`, with the fields its words need), or of a page left unchanged."""

    # Skipped or failed (PassReport.skipped/failed)
    ERROR = "error"  # an error a user can cause (`error`; `page`: the page it is listed beside)
    NOT_UTF8 = "not utf-8"  # bytes that are not UTF-8 (`error`: core.text.NotUtf8; `utf16`)
    NOT_WRITABLE = "not writable here"  # the guard refused the path (`error`: UnsafePathError)
    KEPT_CHANGING = "kept changing"  # changed under every write attempt; retried next pass
    HELD_AFTER_UNDO = "held after undo"  # the user restored it with `undo`
    FOLDER_NOT_READ = "folder not read"  # a folder the walk could not read (`why`)
    BAD_CANVAS = "bad canvas"  # a canvas whose references cannot be read (`problem`)
    NOT_MERGED = "not merged"  # an author page not merged into another (`error`, `page`)
    CHANGED_WHILE_MERGED = "changed while merged"  # an author page changed during its merge
    AUTHOR_NAME_UNSAFE = "author name unsafe"  # no safe file name (`name`, `named_by`, `error`)
    DANGLING_LINK = "dangling link"  # a broken symlink where an author page goes (`target`, `name`)
    # Walked and left unchanged (with -v)
    NOT_READWISE = "not readwise"  # no Readwise link or sync header
    NOTHING_TO_CHANGE = "nothing to change"  # a Readwise page already clean
    AUTHOR_PAGE_UP_TO_DATE = "author page up to date"  # an author page vaultsync keeps


# What the walk found a page to be (PassReport.kinds) → why it was left unchanged.
_UNCHANGED_BECAUSE = {
    "other": Reason.NOT_READWISE,
    "candidate": Reason.NOTHING_TO_CHANGE,
    "managed": Reason.AUTHOR_PAGE_UP_TO_DATE,
}


@dataclass(frozen=True)
class PageResult:
    """One page's result. `reason` is what the pass recorded (a skipped or failed page's
    `PageReason`, a rule's why); `why` its typed kind when known; `first_time` for a held
    page: whether this pass is the first to meet the hold."""

    outcome: Outcome
    path: Path
    reason: str | None = None
    why: Reason | None = None
    stats: Stats | None = None
    first_time: bool | None = None


_AUTHOR_OUTCOMES = (
    (Outcome.AUTHOR_CREATED, "authors_created"),
    (Outcome.AUTHOR_UPDATED, "authors_updated"),
    (Outcome.AUTHOR_MERGED, "authors_merged"),
)


def page_results(report: PassReport, unchanged: bool = False) -> Iterator[PageResult]:
    """Each page of `report` as a typed result; `unchanged` adds the pages walked and left
    as they were (known only when the pass listed them: PassOptions.list_pages)."""
    for path in report.changed:
        yield PageResult(Outcome.CLEANED, path, stats=report.page_stats.get(path))
    for outcome, name in _AUTHOR_OUTCOMES:
        for path in getattr(report, name):
            yield PageResult(outcome, path)
    for path, reason in report.skipped:
        held = report.held.get(path)
        why = Reason.HELD_AFTER_UNDO if held is not None else getattr(reason, "kind", None)
        yield PageResult(Outcome.SKIPPED, path, reason, why, first_time=held)
    for path, reason in report.failed:
        yield PageResult(Outcome.FAILED, path, reason, getattr(reason, "kind", None))
    for path, reason in report.left_alone:
        yield PageResult(Outcome.LEFT_ALONE, path, reason)
    if unchanged:
        yield from unchanged_results(report)


def unchanged_results(report: PassReport) -> Iterator[PageResult]:
    """Each page the pass walked and left as it was, with why (what the walk found it to
    be). Pages changed, skipped or failed are listed elsewhere, with their own reason."""
    listed = {
        *report.changed,
        *report.authors_created,
        *report.authors_updated,
        *report.authors_merged,
        *(p for p, _ in report.skipped),
        *(p for p, _ in report.failed),
    }
    for name, kind in getattr(report, "kinds", ()):
        path = Path(name)
        if path not in listed:
            why = _UNCHANGED_BECAUSE.get(kind, Reason.NOTHING_TO_CHANGE)
            yield PageResult(Outcome.UNCHANGED, path, why=why)
