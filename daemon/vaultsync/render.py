"""How a pass's results read to a person and to a script: the summary, what each page's change
was, the diff (coloured on a terminal), and the stable `--json` shapes.

The passes and the daemon produce data (PassReport, Stats); only this module turns them into
words, so the CLI and the daemon's log say the same thing the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from vaultsync.core.normalize import Stats
    from vaultsync.pipeline.report import PassReport

JSON_VERSION = 1  # bumped only when a key changes meaning or goes; new keys may be added

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
    "other": "not a Readwise page (no Readwise link or sync header)",
    "candidate": "Readwise page; nothing to change",
    "managed": "author page vaultsync keeps; up to date",
}


def unchanged_pages(report: PassReport) -> list[tuple[Path, str]]:
    """With `-v`: each page the pass walked and left as it was, with why (what the walk found
    it to be). Pages changed, skipped or failed are listed elsewhere, with their own reason."""
    listed = {
        *report.changed,
        *report.authors_created,
        *report.authors_updated,
        *report.authors_merged,
        *(p for p, _ in report.skipped),
        *(p for p, _ in report.failed),
    }
    out = []
    for name, kind in getattr(report, "kinds", ()):
        path = Path(name)
        if path not in listed:
            out.append((path, _LEFT_BECAUSE.get(kind, "nothing to change")))
    return out


def rel(report: PassReport, path: Path) -> str:
    root = report.vault.root
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


# ------------------------------------------------------------------------------- JSON


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


# ------------------------------------------------------------------------------- diffs


def unified_diff(
    path: Path, root: Path, before: str, after: str, *, new: bool = False, gone: bool = False
) -> str:
    """A git-style unified diff of one page: `a/`/`b/` paths relative to the vault, and
    `/dev/null` for the side of a file created (`new`) or removed (`gone`), as git shows it."""
    import difflib

    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile="/dev/null" if new else f"a/{rel}",
        tofile="/dev/null" if gone else f"b/{rel}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def use_colour(stream: TextIO) -> bool:
    """Colour on a terminal only, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


_RESET = "\x1b[0m"
_COLOURS = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m"}
_BOLD = "\x1b[1m"


def colour_diff(diff: str) -> str:
    """A unified diff with git's colours: file headers bold, hunks cyan, removals red, additions
    green. Every line keeps its text; only escape codes are added."""
    out = []
    for line in diff.splitlines(keepends=True):
        body = line.rstrip("\n")
        end = line[len(body) :]
        if line.startswith(("--- ", "+++ ")):
            out.append(f"{_BOLD}{body}{_RESET}{end}")
        elif line[:1] in _COLOURS:
            out.append(f"{_COLOURS[line[:1]]}{body}{_RESET}{end}")
        else:
            out.append(line)
    return "".join(out)
