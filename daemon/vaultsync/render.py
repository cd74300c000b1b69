"""How a pass's results read to a person and to a script: the summary, the daemon's log lines,
its activity entries and `status`, what each page's change was, the diff (coloured on a
terminal), the stable `--json` shapes, and any error as the CLI and the log show it.

The passes and the daemon produce data (PassReport, Stats, the typed results of
`vaultsync.results`, errors with fields); only this module turns them into words, so the CLI,
the daemon's log and `status` say the same thing the same way (tests/test_voice.py keeps
sentences from creeping back elsewhere).
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from vaultsync.results import Outcome, PageResult, Reason, page_results, unchanged_results

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
    Reason.NOT_READWISE: "not a Readwise page (no Readwise link or sync header)",
    Reason.NOTHING_TO_CHANGE: "Readwise page; nothing to change",
    Reason.AUTHOR_PAGE_UP_TO_DATE: "author page vaultsync keeps; up to date",
}


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


# ------------------------------------------------------------------------------- the summary

_TOTAL_VERB = {"write": "rewritten", "dry-run": "would be rewritten", "check": "would change"}
_PAGE_VERB = {"write": "cleaned", "dry-run": "would clean", "check": "would clean"}
_AUTHOR_VERB = {
    Outcome.AUTHOR_CREATED: "created author page",
    Outcome.AUTHOR_UPDATED: "updated author page",
    Outcome.AUTHOR_MERGED: "merged author page",
}


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
    if outcome in _AUTHOR_VERB:
        return f"{_AUTHOR_VERB[outcome]} {rel(report, path)}"
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


# ------------------------------------------------------------------------------- the daemon's log

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
    if outcome in _AUTHOR_VERB:
        return logging.INFO, f"{vault}: {_AUTHOR_VERB[outcome]} {page}"
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
        elif r.outcome in _AUTHOR_VERB:
            out.append((_AUTHOR_VERB[r.outcome], page, ""))
        elif r.outcome is Outcome.FAILED:
            out.append(("FAILED", page, reason_text(r)))
    return out


def pass_line(why: str, report: PassReport) -> str:
    """A vault's last pass as `status` shows it."""
    return (
        f"{why}: {report.scanned} scanned, {report.readwise} Readwise, "
        f"{len(report.changed)} cleaned, {len(report.failed)} failed"
    )


def page_rel(root: Path, path: Path) -> str:
    """`path` relative to the vault `root` (POSIX), or as it is when outside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------- status and log


def local_time(stamp: str | None) -> str:
    """A recorded UTC time (ISO 8601) in local time with its offset."""
    from datetime import datetime

    if not stamp:
        return "never"
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S%z")


def describe_entry(entry: dict[str, Any]) -> str:
    """One activity entry as `status` and `log` print it: when, vault, what, page, details."""
    parts = [local_time(entry.get("time"))]
    if entry.get("vault"):
        parts.append(f"{entry['vault']}:")
    parts.append(str(entry.get("what", "?")))
    if entry.get("page"):
        parts.append(str(entry["page"]))
    line = " ".join(parts)
    if entry.get("detail"):
        line += f": {entry['detail']}"
    return line


def _local_error(line: str) -> str:
    """A recorded error ("<UTC time> message") with its time in local time."""
    stamp, _, message = line.partition(" ")
    shown = local_time(stamp)
    return f"{shown} {message}" if shown != stamp else line


def status_lines(data: dict[str, Any]) -> list[str]:
    """`vaultsync status` as text, from the data `status --json` prints."""
    out = []
    if not data["running"]:
        out.append("daemon: not running")
    else:
        out.append(f"daemon: running (pid {data['pid'] or 'not recorded yet'})")
    if data["log"]:
        out.append(f"log: {data['log']}")
    if not data["recorded"]:
        out.append(f"no status recorded yet in {data['state_dir']}")
        return out
    for name, v in data["vaults"].items():
        kind = v.get("kind") or "kind not known yet"  # (a folder missing since the start)
        out.append(f"  {name}: {v.get('root')} ({kind}, {v.get('watching')})")
        out.append(f"    last pass: {local_time(v.get('last_pass'))}  {v.get('last_summary', '')}")
        if v.get("cleaner"):
            out.append(f"    cleaned by: {v['cleaner']}")
    if data["actions"]:
        out.append("last actions (newest first; all of them: vaultsync log):")
        out += [f"  {describe_entry(entry)}" for entry in data["actions"]]
    errors = data["recent_errors"]
    out.append(f"recent errors: {len(errors)}")
    out += [f"  {_local_error(line)}" for line in errors[:10]]
    return out


# ------------------------------------------------------------------------------- errors
# Every error's words. The errors (errors.py, locks.py) carry fields only; their `str()` asks
# this module, so a message reads the same wherever it is shown. Looked up by class name along
# the error's MRO, so this module never imports the errors back (no import cycle).

_ELSEWHERE = "or set state_dir in the config (or $VAULTSYNC_STATE_DIR) to a folder elsewhere"


def state_folder_advice(code: int | None, strerror: str = "") -> str:
    """What went wrong writing in vaultsync's own state folder, and what the user can do."""
    if code in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full (or over quota): free some space there, {_ELSEWHERE}"
    if code == errno.EROFS:
        return f"it is on a read-only file system: make it writable, {_ELSEWHERE}"
    if code in (errno.EACCES, errno.EPERM):
        return f"permission denied: give this user write access to it, {_ELSEWHERE}"
    return f"{strerror or 'the system refused'}: check that folder, {_ELSEWHERE}"


def _lost(err: Any) -> str:
    shown = "; ".join(m[:80] for m in err.missing[:3])
    more = f" (+{len(err.missing) - 3} more)" if len(err.missing) > 3 else ""
    return f"not written, the result would lose: {shown}{more}. Please report this."


# A page error's detail: what is said beside the page (its path is said by the list).
_DETAILS: dict[str, Callable[[Any], str]] = {
    "UnsafePathError": lambda e: f"refused to write: {e.reason}",
    "PageAppeared": lambda e: (
        "a file appeared here before vaultsync could create it; left it as it is"
    ),
    "ChangedSinceRead": lambda e: "changed on disk while being cleaned; left as it is, will retry",
    "LossCheckFailed": _lost,
    "PageUnreadable": lambda e: e.reason,
    "WriteFailed": lambda e: f"not written: {e.reason}",
    "NoSuchVersion": lambda e: (
        f"there is no version {e.number}; the history holds versions 1 (newest) to {e.available}"
    ),
}

# Whole messages of the errors that are not about one page.
_MESSAGES: dict[str, Callable[[Any], str]] = {
    "NoHistory": lambda e: (
        f"no history for {e.path}; vaultsync keeps a copy before each rewrite, "
        "none was made for this page"
    ),
    "HistoryUnavailable": lambda e: f"history store {e.path}: {e.reason}",
    "StateFolderUnusable": lambda e: (
        f"state folder {e.folder}: cannot write {e.what}: "
        f"{state_folder_advice(e.errno, e.strerror)}"
    ),
    "DaemonRunning": lambda e: (
        f"already running (pid {e.pid}, state folder {e.state_dir}); one daemon "
        "watches every configured vault, so stop that one first if you want to restart it. "
        "`vaultsync status` shows what it watches"
    ),
    "LockBusy": lambda e: f"{e.what} is busy: {e.holder}",
}


def _words(err: BaseException) -> tuple[str, Callable[[Any], str]] | None:
    """The nearest class of `err` with words here: ("detail" | "message", its function)."""
    for cls in type(err).__mro__:
        if cls.__name__ in _DETAILS:
            return "detail", _DETAILS[cls.__name__]
        if cls.__name__ in _MESSAGES:
            return "message", _MESSAGES[cls.__name__]
    return None


def _is_vaultsync_error(err: BaseException) -> bool:
    return any(cls.__name__ == "VaultsyncError" for cls in type(err).__mro__)


def error_detail(err: BaseException) -> str:
    """A page error's detail (`PageError.detail()`): what a pass lists beside the page."""
    words = _words(err)
    if words is None or words[0] != "detail":
        return str(getattr(err, "reason", "") or type(err).__name__)
    return words[1](err)


def error_message(err: BaseException) -> str:
    """Any error in words, as the CLI and the daemon's log show it (without a prefix): a
    vaultsync error from its fields (ConfigError through the config's own formatter), anything
    else as what it is, a bug."""
    words = _words(err)
    if words is not None:
        kind, say = words
        if kind == "message":
            return say(err)
        path = getattr(err, "path", None)
        return f"{'page' if path is None else path}: {say(err)}"
    if _is_vaultsync_error(err):
        return str(err)  # its own words: a usage error's text, the config formatter's
    if isinstance(err, KeyboardInterrupt):
        return "interrupted"
    return f"internal error: {type(err).__name__}: {err}"


_BUG_ADVICE = (
    "This is a bug in vaultsync, not something you did. Nothing was written for the page in "
    "hand. Run again with VAULTSYNC_DEBUG=1 for details, and please report it."
)


def cli_error(err: BaseException) -> str:
    """An error as the command line prints it: `vaultsync: ` and the message, and for a bug
    what to do about it."""
    text = f"vaultsync: {error_message(err)}"
    if not (_is_vaultsync_error(err) or isinstance(err, KeyboardInterrupt)):
        text += f"\n{_BUG_ADVICE}"
    return text


def warning(message: str | BaseException) -> str:
    """A warning as the command line prints it."""
    text = error_message(message) if isinstance(message, BaseException) else message
    return f"vaultsync: warning: {text}"


# ------------------------------------------------------------------------------- the daemon's news

# What the daemon says about itself, by event; the fields are filled in by `daemon_line`.
_DAEMON_LINES = {
    "watching": "watching {count} vault(s); Ctrl-C or SIGTERM stops",
    "stopped": "stopped",
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
    by `error_message`."""
    if isinstance(fields.get("error"), BaseException):
        fields["error"] = error_message(fields["error"])  # type: ignore[arg-type]
    return _DAEMON_LINES[event].format(**fields)


# ------------------------------------------------------------------------------- the demo


def demo_copied(base: Path) -> str:
    return f"Copied the sample vaults to {base}\n"


def demo_watching(base: Path, logseq_pages: Path, obsidian_readwise: Path) -> str:
    return (
        f"Watching {base}. Drop a Readwise page into {logseq_pages} or "
        f"{obsidian_readwise} to see it cleaned; Ctrl-C to stop."
    )


# ------------------------------------------------------------------------------- history and undo


def _when(saved: Any) -> str:
    """A saved time in local time with its offset."""
    return f"{saved.astimezone():%Y-%m-%d %H:%M:%S%z}"


def history_lines(path: Path, versions: list[Any], held: bool) -> list[str]:
    """`vaultsync history PAGE`: its earlier versions, newest first."""
    note = "; held after undo (`vaultsync release` lets it be cleaned)" if held else ""
    out = [f"{path}: {len(versions)} earlier version(s), newest first{note}"]
    out += [f"  {v.number:>3}  {_when(v.saved_at)}  {v.size:>8} bytes" for v in versions]
    out.append("restore one with: vaultsync undo PAGE --version N")
    return out


def history_list(entries: list[Any], held: set[Path]) -> list[str]:
    """`vaultsync history`: every page with history, its versions, the newest one's time,
    and whether it is held after undo."""
    if not entries:
        return ["no page has history yet: vaultsync keeps a copy of a page before each rewrite"]
    out = []
    for entry in entries:
        n = plural(entry.count, "version")
        newest = f", newest {_when(entry.newest)}" if entry.newest else ""
        mark = "  [held after undo]" if entry.path in held else ""
        out.append(f"{entry.path}  ({n}{newest}){mark}")
    out.append("see one with: vaultsync history PAGE (a page name or path)")
    return out


def restored(done: Any, path: Path, dry_run: bool = False) -> str:
    """What `vaultsync undo` did (or, in a dry run, would do)."""
    if dry_run:
        return f"[dry run] would restore version {done.version} of {path} ({done.size} bytes)"
    return (
        f"restored version {done.version} of {path} (sha256 {done.sha256[:12]}…); vaultsync "
        "leaves it as it is until the page changes again, or until `vaultsync release` names it"
    )


def released(path: Path) -> str:
    return (
        f"released {path}: the next pass cleans it (now: `vaultsync resync`; the "
        "daemon: when the page changes or at its next reconcile pass)"
    )


def not_held(path: Path) -> str:
    return f"vaultsync: {path} is not held after undo; nothing to release"


# ------------------------------------------------------------------------------- authors


def authors_lines(data: dict[str, Any]) -> list[str]:
    """`vaultsync authors` for one vault, from the data `authors --json` prints: each author
    with its page, other names and handles, then the names that are likely one person."""
    out = [f"{data['vault']}: {plural(len(data['authors']), 'author')}"]
    for author in data["authors"]:
        where = author["page"] or "(no page yet)"
        n = plural(len(author["sources"]), "source")
        out.append(f"  {author['name']}  —  {n}, page: {where}")
        if author["aliases"]:
            out.append(f"    also named: {', '.join(author['aliases'])}")
        if author["handles"]:
            out.append(f"    handle: {', '.join('@' + h for h in author['handles'])}")
    if data["likely_duplicates"]:
        out.append("  likely the same person (map one to the other under authors.aliases):")
        out += [f"    {a!r} ~ {b!r}" for a, b in data["likely_duplicates"]]
    return out


# ------------------------------------------------------------------------------- the CLI's notes


def refused_here(vault: str, why: str) -> str:
    """A vault `resync` leaves to another machine's daemon (lease.py)."""
    return f"vaultsync: {vault}: not cleaned here: {why}"


_DAEMON_STATES = {
    "not running": "vaultsync: no daemon is running (state folder {state})",
    "starting": "vaultsync: the daemon is just starting; try again in a moment",
    "exited": "vaultsync: the daemon (pid {pid}) has just exited",
}


def daemon_state(state_of_daemon: str, **fields: object) -> str:
    """Why `stop`/`reload` could not signal the daemon."""
    return _DAEMON_STATES[state_of_daemon].format(**fields)
