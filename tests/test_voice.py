"""One voice (issue 14): the passes, the daemon and the commands hand typed results and errors
with fields to one renderer (`vaultsync/render.py`); no other module makes a sentence a user
reads. An ast scan fails on a print, a write to stdout/stderr or an info-or-louder log call with
literal text anywhere else, except the few places listed below with their reason."""

from __future__ import annotations

import ast
import errno
import logging
import re
from pathlib import Path

import pytest

from vaultsync import errors
from vaultsync.locks import DaemonRunning, LockBusy, LockWaitCancelled
from vaultsync.render import cli_error, error_message, log_lines, summary
from vaultsync.results import Outcome, Reason, page_results

PACKAGE = Path(__file__).resolve().parent.parent / "daemon" / "vaultsync"

# Modules whose job is to speak.
SPEAKERS = {
    "render.py",  # the renderer
    "logs.py",  # where the log goes (print_error, the journald/terminal/file handlers)
    # The command layer: argument parsing and what each command prints. Its pass summary,
    # status, errors and warnings come from render; the short lines of the small commands
    # (config validate/init, history, service, authors) are still written beside them.
    "cli.py",
    # (config.py's error formatter, ConfigProblem/ConfigError in errors.py, builds its lines
    # with f-strings and prints nothing itself, so the scan needs no entry for it.)
}

# (module, function): a sentence that stays where it is, and why.
ALLOWED = {
    # Diagnostics of layers below the pass that have no report to carry them to the renderer:
    # the state cache, the history store, the writer's temp-file clean-up, the worker pool,
    # watchdog's threads and the one-time move of a shared state folder. They are operator
    # notes for the log, not results of a pass; giving them a result channel is future work.
    ("state/cache.py", "_guarded"),
    ("state/cache.py", "_disable"),
    ("state/cache.py", "remove_cache_files"),
    ("state/cache.py", "_failed"),
    ("history.py", "_read_meta"),
    ("history.py", "_read_pack"),
    ("writer.py", "remove_quietly"),
    ("writer.py", "report"),
    ("writer.py", "remove_temp_file"),
    ("workers.py", "worker_count"),
    ("workers.py", "map_pages"),
    ("watcher.py", "show"),  # watchdog's own warnings, routed into our log
    ("watcher.py", "_shutdown"),
    ("paths.py", "_move_earlier_state"),
}

_LOUD = {"info", "warning", "error", "exception", "critical"}
_PLACEHOLDER = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdrgfi]")


def _has_words(node: ast.AST) -> bool:
    """A string literal (or f-string, or concatenation) with words beyond placeholders."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z]", _PLACEHOLDER.sub("", node.value)))
    if isinstance(node, ast.JoinedStr):
        return any(_has_words(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _has_words(node.left) or _has_words(node.right)
    return False


def _spoken_text(call: ast.Call) -> ast.AST | None:
    """The text argument of a call that speaks to a user, or None."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in {"print", "print_error"}:
        return call.args[0] if call.args else None
    if not isinstance(func, ast.Attribute):
        return None
    owner = func.value
    if func.attr == "write" and isinstance(owner, ast.Attribute):
        if owner.attr in {"stdout", "stderr"}:
            return call.args[0] if call.args else None
    if isinstance(owner, ast.Name) and owner.id in {"log", "logger", "logging"}:
        if func.attr in _LOUD:
            return call.args[0] if call.args else None
        if func.attr == "log" and len(call.args) > 1:
            return call.args[1]
    return None


def _sentences(path: Path) -> list[tuple[str, int]]:
    """(function, line) of each call in `path` that speaks literal text."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Call):
                text = _spoken_text(child)
                if text is not None and _has_words(text):
                    found.append((name, child.lineno))
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), "<module>")
    return found


def test_no_sentence_outside_the_renderer() -> None:
    stray = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module in SPEAKERS:
            continue
        stray += [
            f"{module}:{line} in {function}()"
            for function, line in _sentences(path)
            if (module, function) not in ALLOWED
        ]
    assert not stray, "user-facing text outside render.py (say it there): " + ", ".join(stray)


def test_the_allow_list_has_no_stale_entries() -> None:
    """Each allowed place still speaks: an entry whose sentence moved is removed."""
    spoken = {
        (path.relative_to(PACKAGE).as_posix(), function)
        for path in PACKAGE.rglob("*.py")
        for function, _ in _sentences(path)
    }
    assert ALLOWED <= spoken, sorted(ALLOWED - spoken)


def test_the_scan_sees_each_way_of_speaking(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "import sys\n"
        "def a():\n    print('hello there')\n"
        "def b():\n    sys.stderr.write(f'bad {x}')\n"
        "def c():\n    log.warning('cannot %s', x)\n"
        "def d():\n    log.log(30, 'said %s', x)\n"
        "def quiet():\n    log.warning('%s', x); log.debug('detail %s', x); print(x)\n"
    )
    assert [f for f, _ in _sentences(source)] == ["a", "b", "c", "d"]


# ------------------------------------------------------------------------------- errors' words

P = Path("/v/pages/a.md")

# Each error with fields, and the words it has always had (render.py makes them now).
MESSAGES = [
    (errors.UnsafePathError(P, "outside the vault"), f"{P}: refused to write: outside the vault"),
    (
        errors.ChangedSinceRead(P),
        f"{P}: changed on disk while being cleaned; left as it is, will retry",
    ),
    (
        errors.PageAppeared(P),
        f"{P}: a file appeared here before vaultsync could create it; left it as it is",
    ),
    (
        errors.LossCheckFailed(None, ["x" * 90, "b", "c", "d"]),
        f"page: not written, the result would lose: {'x' * 80}; b; c (+1 more). "
        "Please report this.",
    ),
    (errors.PageUnreadable(P, "not UTF-8 at line 2"), f"{P}: not UTF-8 at line 2"),
    (errors.PageVanished(P), f"{P}: cannot read: it was deleted or moved away"),
    (errors.WriteFailed(P, "disk full"), f"{P}: not written: disk full"),
    (
        errors.NoSuchVersion(P, 9, 3),
        f"{P}: there is no version 9; the history holds versions 1 (newest) to 3",
    ),
    (
        errors.NoHistory(P),
        f"no history for {P}; vaultsync keeps a copy before each rewrite, none was made for "
        "this page",
    ),
    (errors.HistoryUnavailable(Path("/s/h"), "damaged"), "history store /s/h: damaged"),
    (
        errors.StateFolderUnusable(Path("/s"), "the lock", errno.EROFS, "Read-only"),
        "state folder /s: cannot write the lock: it is on a read-only file system: make it "
        "writable, or set state_dir in the config (or $VAULTSYNC_STATE_DIR) to a folder elsewhere",
    ),
    (LockBusy("vault notes", "pid 7"), "vault notes is busy: pid 7"),
    (LockWaitCancelled("vault notes"), "vault notes is busy: stopped waiting for it"),
    (errors.UsageError("no such vault"), "no such vault"),
]


@pytest.mark.parametrize(("err", "words"), MESSAGES, ids=lambda v: type(v).__name__)
def test_an_error_has_the_same_words_everywhere(err: errors.VaultsyncError, words: str) -> None:
    assert error_message(err) == words
    assert str(err) == words  # what a pass lists, what the log says
    assert cli_error(err) == f"vaultsync: {words}"  # what the CLI prints


def test_a_page_error_beside_its_page_leaves_the_path_out() -> None:
    err = errors.WriteFailed(P, "disk full")
    assert errors.page_reason(err, P) == "not written: disk full"
    assert errors.page_reason(err, Path("/v/other.md")) == f"{P}: not written: disk full"


def test_the_daemon_running_message_says_what_to_do() -> None:
    text = error_message(DaemonRunning("42", Path("/s")))
    assert text.startswith("already running (pid 42, state folder /s)")
    assert "`vaultsync status`" in text


def test_a_bug_is_told_as_one() -> None:
    text = cli_error(ValueError("boom"))
    assert text.startswith("vaultsync: internal error: ValueError: boom\nThis is a bug")


# ------------------------------------------------------------------------- one report, three voices


def _report(tmp_path: Path):
    from vaultsync.core.normalize import Stats
    from vaultsync.pipeline.report import PassReport
    from vaultsync.vault import make_vault

    (tmp_path / ".obsidian").mkdir()
    vault = make_vault(tmp_path)
    a, b, c, d = (tmp_path / f"{n}.md" for n in "abcd")
    return PassReport(
        vault,
        changed=[a],
        page_stats={a: Stats(duplicates_removed=2)},
        stats=Stats(duplicates_removed=2),
        authors_merged=[b],
        skipped=[(c, "held after undo")],
        held={c: False},
        failed=[(d, "not written: disk full")],
    )


def test_the_summary_and_the_log_tell_the_same_results(tmp_path: Path) -> None:
    report = _report(tmp_path)
    results = list(page_results(report))
    assert [r.outcome for r in results] == [
        Outcome.CLEANED,
        Outcome.AUTHOR_MERGED,
        Outcome.SKIPPED,
        Outcome.FAILED,
    ]
    assert results[2].why is Reason.HELD_AFTER_UNDO
    text = summary(report)
    assert "  cleaned a.md: 2 repeats removed\n" in text
    assert "  merged author page b.md\n" in text
    assert f"  FAILED  {tmp_path / 'd.md'}: not written: disk full\n" in text
    lines = [(level, line) for level, _, line in log_lines(report)]
    name = report.vault.name
    assert (logging.INFO, f"{name}: cleaned a.md") in lines
    # The daemon's log names merged author pages too (it used to leave them out).
    assert (logging.INFO, f"{name}: merged author page b.md") in lines
    # A hold met before is logged quietly; a failure loudly.
    assert (logging.DEBUG, f"{name}: skipped c.md: held after undo") in lines
    assert (logging.ERROR, f"{name}: FAILED d.md: not written: disk full") in lines
    assert lines[-1] == (logging.INFO, f"{name}: 2 repeats removed")


def test_the_small_commands_words_are_kept() -> None:
    """The words `undo`, `release`, `stop`/`reload` and `history` print (moved into render.py
    unchanged; pinned here where no command test reads them)."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from vaultsync.render import daemon_state, history_list, not_held, released, restored

    done = SimpleNamespace(version=2, size=10, sha256="0123456789abcdef")
    assert restored(done, P, dry_run=True) == (
        f"[dry run] would restore version 2 of {P} (10 bytes)"
    )
    assert restored(done, P).startswith(
        f"restored version 2 of {P} (sha256 0123456789ab…); vaultsync leaves it as it is"
    )
    assert released(P).startswith(f"released {P}: the next pass cleans it")
    assert not_held(P) == f"vaultsync: {P} is not held after undo; nothing to release"
    assert daemon_state("starting") == (
        "vaultsync: the daemon is just starting; try again in a moment"
    )
    assert daemon_state("exited", pid=7) == "vaultsync: the daemon (pid 7) has just exited"
    entry = SimpleNamespace(path=P, count=1, newest=datetime(2026, 1, 2, tzinfo=UTC))
    first, last = history_list([entry], {P})
    assert first.startswith(f"{P}  (1 version, newest 2026-") and first.endswith(
        "  [held after undo]"
    )
    assert last == "see one with: vaultsync history PAGE (a page name or path)"


def test_the_authors_listing_reads_as_before() -> None:
    from vaultsync.render import authors_lines

    data = {
        "vault": "notes",
        "authors": [
            {
                "name": "Ann",
                "page": None,
                "sources": ["a", "b"],
                "aliases": ["A. N."],
                "handles": ["ann"],
            }
        ],
        "likely_duplicates": [("Ann", "Anne")],
    }
    assert authors_lines(data) == [
        "notes: 1 author",
        "  Ann  —  2 sources, page: (no page yet)",
        "    also named: A. N.",
        "    handle: @ann",
        "  likely the same person (map one to the other under authors.aliases):",
        "    'Ann' ~ 'Anne'",
    ]
