"""Why a page was skipped or failed, in words: a `PageReason`'s kind and fields (the error, the
page it is listed beside, what each kind needs) into the sentence the summary, the log, `status`
and `--json` show."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from vaultsync.render.causes import unsafe_reason
from vaultsync.render.errors import error_words
from vaultsync.results import Reason


def error_beside(err: BaseException | None, page: Path | None) -> str:
    """An error as a pass lists it beside `page`: its detail alone when it is about that very
    page, else its whole message (naming its own path)."""
    reason_for = getattr(err, "reason_for", None)  # a VaultsyncError's (errors.py)
    if reason_for is not None and page is not None:
        return reason_for(page)
    words = None if err is None else error_words(err)  # the core's errors: words made here
    return str(err) if words is None else words


def _not_utf8(err: Any, page: Path | None, fields: dict[str, Any]) -> str:
    if not fields.get("utf16"):
        return error_beside(err, None)  # (render/errors.py words core.text.NotUtf8)
    return (
        f"bytes that are not UTF-8 at line {err.line}, column {err.column}: the page is saved "
        "as UTF-16; left untouched (re-save the page as UTF-8 to have it cleaned)"
    )


def _author_name_unsafe(err: Any, page: Path | None, fields: dict[str, Any]) -> str:
    name = str(fields["name"])
    named_by = ", ".join(fields.get("named_by") or ())
    why = error_beside(err, None)
    return f"author page for {name[:80]!r} (named by {named_by}) not created: {why}"


def _dangling_link(err: Any, page: Path | None, fields: dict[str, Any]) -> str:
    name = str(fields["name"])
    return (
        f"a symbolic link to {fields['target']}, which does not exist, stands where the author "
        f"page for {name[:80]!r} goes; not created. Remove the link (or restore what it points "
        "to) and the next pass creates the page"
    )


_WORDS: dict[Reason, Callable[[Any, Path | None, dict[str, Any]], str]] = {
    Reason.ERROR: lambda err, page, f: error_beside(err, page),
    Reason.NOT_UTF8: _not_utf8,
    Reason.NOT_WRITABLE: lambda err, page, f: f"{unsafe_reason(err)}; left as it is",
    Reason.KEPT_CHANGING: lambda err, page, f: (
        "kept changing while being cleaned; left as it is, will retry on the next pass"
    ),
    Reason.HELD_AFTER_UNDO: lambda err, page, f: (
        "held after `vaultsync undo`: left as it is until it changes again "
        "(`vaultsync release PAGE` lets it be cleaned)"
    ),
    Reason.FOLDER_NOT_READ: lambda err, page, f: f"folder not read: {f['why']}",
    Reason.BAD_CANVAS: lambda err, page, f: (
        f"canvas {f['problem']}; its block references are not read (fix or remove it)"
    ),
    Reason.NOT_MERGED: lambda err, page, f: (
        f"not merged into another author page: {error_beside(err, page)}"
    ),
    Reason.CHANGED_WHILE_MERGED: lambda err, page, f: (
        "changed while being merged; merged on the next pass"
    ),
    Reason.AUTHOR_NAME_UNSAFE: _author_name_unsafe,
    Reason.DANGLING_LINK: _dangling_link,
}


def reason_words(
    kind: Reason, error: BaseException | None, page: Path | None, fields: dict[str, Any]
) -> str:
    """The words of a skipped or failed page's reason (pipeline.report.PageReason)."""
    return _WORDS[kind](error, page, fields)
