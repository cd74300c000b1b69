"""One voice (issue 14): the passes, the daemon and the commands hand typed results and errors
with fields to one renderer (the package `vaultsync/render/`, its `notes.py` for the operator
notes the lower layers log); no other module makes a sentence a user reads. An ast scan fails
on a print, a write to stdout/stderr or an info-or-louder log call with literal text anywhere
else (a logger alone or an attribute: `log`, `self._log`, ...), except the few places listed
below with their reason."""

from __future__ import annotations

import ast
import builtins
import errno
import functools
import logging
import re
from pathlib import Path, PurePosixPath

import pytest

from vaultsync import errors, paths
from vaultsync.locks import DaemonRunning, LockBusy, LockWaitCancelled
from vaultsync.render import cli_error, error_message, log_lines, summary
from vaultsync.render import notes as render_notes
from vaultsync.render.notes import _RAISE_INSTANCES as RAISE_INSTANCES
from vaultsync.render.notes import _RAISE_WATCHES as RAISE_WATCHES
from vaultsync.render.notes import note
from vaultsync.results import Outcome, Reason, page_results

PACKAGE = Path(__file__).resolve().parent.parent / "daemon" / "vaultsync"

# Modules whose job is to speak.
SPEAKERS = {
    # The renderer (the package vaultsync/render/), its notes.py included: the operator notes,
    # the log's diagnostics of the layers below a pass (watcher threads, temp-file clean-up, the
    # history store's files, the state folder's move), which those layers log at once as
    # `log.warning("%s", note(...))`.
    "render",
    "logs.py",  # where the log goes (print_error, the journald/terminal/file handlers)
    # (the config's error formatter, ConfigProblem/ConfigError in problems.py and errors.py,
    # builds its lines with f-strings and prints nothing itself: the scan needs no entry for it.)
}

# (module, function): a sentence that stays where it is, and why.
ALLOWED: set[tuple[str, str]] = set()

_LOUD = {"info", "warning", "error", "exception", "critical"}
# What a logger is called, alone (`log`, `logging`) or as an attribute (`self._log`).
_LOGGERS = {"log", "_log", "logger", "_logger", "logging"}
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
    name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
    if isinstance(owner, ast.Call) and getattr(owner.func, "attr", None) == "getLogger":
        name = "logger"  # logging.getLogger(__name__).warning(...)
    if name in _LOGGERS:
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
        if module in SPEAKERS or module.split("/")[0] in SPEAKERS:
            continue
        stray += [
            f"{module}:{line} in {function}()"
            for function, line in _sentences(path)
            if (module, function) not in ALLOWED
        ]
    assert not stray, "user-facing text outside vaultsync/render/ (say it there): " + ", ".join(
        stray
    )


def test_the_allow_list_has_no_stale_entries() -> None:
    """Each allowed place still speaks: an entry whose sentence moved is removed."""
    spoken = {
        (path.relative_to(PACKAGE).as_posix(), function)
        for path in PACKAGE.rglob("*.py")
        for function, _ in _sentences(path)
    }
    assert ALLOWED <= spoken, sorted(ALLOWED - spoken)


def _built_sentences(path: Path) -> list[int]:
    """Lines of `path` that build a sentence: an f-string with words, or an error made with
    literal text (`UsageError("…")`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.JoinedStr) and _has_words(node):
            found.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id.endswith("Error") and node.args and _has_words(node.args[0]):
                found.append(node.lineno)
    return sorted(set(found))


def test_the_command_layer_builds_no_sentence() -> None:
    """Every sentence a command prints or raises comes from the renderer: the command modules
    hand it typed fields. (The parser's help texts and `--version` are the parser's own.)"""
    modules = sorted((PACKAGE / "cli").glob("*.py"))
    assert len(modules) > 5, "the command layer is the package vaultsync/cli/"
    built = [
        f"cli/{path.name}:{line}"
        for path in modules
        if path.name != "parser.py"
        for line in _built_sentences(path)
    ]
    assert not built, "a sentence built in the command layer (word it in render/): " + ", ".join(
        built
    )


def test_the_command_scan_sees_a_built_sentence(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "def a():\n    raise UsageError(f'no {x}')\n"
        "def b():\n    return f'{n} pages'\n"
        "def quiet():\n    return f'{a}[{i}].' , UsageError(words(x))\n"
    )
    assert _built_sentences(source) == [2, 4]


def test_the_scan_sees_each_way_of_speaking(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "import sys\n"
        "def a():\n    print('hello there')\n"
        "def b():\n    sys.stderr.write(f'bad {x}')\n"
        "def c():\n    log.warning('cannot %s', x)\n"
        "def d():\n    log.log(30, 'said %s', x)\n"
        "def e():\n    self._log.info('vault %r: back', x)\n"
        "def f():\n    self.log.exception('error while %s', x)\n"
        "def g():\n    logger.error('no'); _logger.critical('no'); self.logger.warning('no')\n"
        "def h():\n    logging.log(30, 'said'); logging.getLogger(__name__).warning('hi')\n"
        "def quiet():\n    log.warning('%s', x); log.debug('detail %s', x); print(x)\n"
        "    self._log.warning('%s', note('gone', x=x)); self._log.debug('detail')\n"
        "    self.catalog.info('not a logger'); self.log('a method, not a logger')\n"
    )
    assert [f for f, _ in _sentences(source)] == [*"abcdef", "g", "g", "g", "h", "h"]


# ------------------------------------------------------------------------------- raised words

# Where an error may still be made with a sentence: the renderer, and the config's error
# formatter (config/: pydantic's messages and the problems it lists with their line and key).
RAISERS = {"render", "config"}

# (module, function, error): an error made with words outside render/ and config/, and why.
# A programming contract (an API guarding its own arguments) is worded where it is raised: no
# user can cause it, and it is reported as a bug.
_CONTRACT = "programming contract: guards the API's arguments, no user input reaches it"
RAISE_ALLOWED = {
    ("coalescer.py", "__init__", "ValueError"): _CONTRACT + " (the daemon's own timings)",
    ("coalescer.py", "add", "ValueError"): _CONTRACT + " (event kinds come from the watcher)",
    ("configcache.py", "__setattr__", "AttributeError"): _CONTRACT + " (a read-only view)",
    ("history/store.py", "__init__", "ValueError"): _CONTRACT + " (limits checked by config)",
}


def _exception_names() -> set[str]:
    """The exceptions' names: Python's, and every class of the package derived from one."""
    names = {
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    bases: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [_callee(base) or "" for base in node.bases]
    grown = True
    while grown:
        grown = False
        for name, its_bases in bases.items():
            if name not in names and any(base in names for base in its_bases):
                names.add(name)
                grown = True
    return names


def _callee(node: ast.AST) -> str | None:
    """The name called: `f` of `f(...)` and of `x.f(...)`."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _makes_error(call: ast.Call, exceptions: set[str]) -> bool:
    """An exception built here: a call of an exception's name, or an exception's
    `super().__init__(...)` (the message handed to Exception)."""
    name = _callee(call) or ""
    if name in exceptions or name.endswith("Error"):
        return True
    owner = getattr(call.func, "value", None)
    return name == "__init__" and isinstance(owner, ast.Call) and _callee(owner) == "super"


def _worded(call: ast.Call) -> bool:
    return any(_has_words(arg) for arg in [*call.args, *(k.value for k in call.keywords)])


def _raised_sentences(path: Path, exceptions: set[str]) -> list[tuple[str, int, str]]:
    """(function, line, error) of each error in `path` made with words: anything raised as
    `raise X(<text with words>)`, and an exception built with such text wherever it is made
    (`return UsageError(f"...")`)."""
    found: set[tuple[str, int, str]] = set()

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            call = child.exc if isinstance(child, ast.Raise) else child
            if isinstance(call, ast.Call) and _worded(call):
                if isinstance(child, ast.Raise) or _makes_error(call, exceptions):
                    found.add((name, call.lineno, _callee(call) or "?"))
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), "<module>")
    return sorted(found, key=lambda f: f[1])


@functools.cache
def _raised_everywhere() -> dict[tuple[str, str, str], list[int]]:
    exceptions = _exception_names()
    raised: dict[tuple[str, str, str], list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module.split("/")[0] in RAISERS:
            continue
        for function, line, error in _raised_sentences(path, exceptions):
            raised.setdefault((module, function, error), []).append(line)
    return raised


def test_no_error_is_raised_with_a_sentence() -> None:
    """Exceptions carry fields, not sentences (issue 14): an error's words are made in
    render/errors.py from its fields, or by the config's error formatter."""
    stray = [
        f"{module}:{lines[0]} {error}(...) in {function}()"
        for (module, function, error), lines in _raised_everywhere().items()
        if (module, function, error) not in RAISE_ALLOWED
    ]
    assert not stray, "an error made with a sentence (give it fields, word it in render/): " + (
        ", ".join(stray)
    )


def test_the_raise_allow_list_has_no_stale_entries() -> None:
    """Each allowed error is still made with words there: a routed one leaves the list."""
    assert set(RAISE_ALLOWED) <= set(_raised_everywhere()), sorted(
        set(RAISE_ALLOWED) - set(_raised_everywhere())
    )
    assert all(RAISE_ALLOWED.values()), "each allowed place says why"


def test_the_raise_scan_sees_a_sentence_not_fields(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "def a():\n    raise UsageError(f'no vault {name}; add one')\n"
        "def b():\n    raise Refused(path, 'outside the vault')\n"
        "def c():\n    return UnsafePathError(path, reason=f'{folder} is gone')\n"
        "def d():\n    err = ValueError('bad kind')\n"
        "def e():\n    raise self.error('`#_` with nothing after it', start)\n"
        "class Gone(UsageError):\n    def __init__(self, n):\n"
        "        super().__init__(f'vault {n} is gone')\n"
        "def fields():\n    raise UsageError(name, path); raise NoVaultToWorkOn()\n"
        "    raise ServiceFileExists(path) from None; return LockBusy(what, holder)\n"
        "    raise UsageError(not_in_a_vault(path)); raise Thing(f'{a}[{i}]')\n"
        "    label = f'{where}: ' ; x = make('not an error')\n"
    )
    found = _raised_sentences(source, {"ValueError"})
    assert found == [
        ("a", 2, "UsageError"),
        ("b", 4, "Refused"),
        ("c", 6, "UnsafePathError"),
        ("d", 8, "ValueError"),
        ("e", 10, "error"),
        ("__init__", 13, "__init__"),
    ]


# ------------------------------------------------------------------------------- operator notes

_DENIED = OSError(errno.EACCES, "Permission denied", "/v/x")
_BARE = OSError("no words from the system")  # an OSError without strerror shows its text
_PAGE = Path("/v/pages/a.md")
_SLOWER = "watching %s by polling every %g s instead, which is slower. To raise the limit, run: %s"
_LIMIT = "vault %r: inotify watch limit reached (fs.inotify.max_user_watches is %s): folder %s%s "
_LIMIT += "got no watch; " + _SLOWER


def _was(fmt: str, *args: object) -> str:
    """The note as the module logged it before, with its own %-format (lazy logging's)."""
    return fmt % args  # noqa: UP031 - these are the old log formats, kept as they were


# Each note with its fields, and the words it has always had (the old %-format and arguments
# of the call that logged it): byte for byte, so a grep of the log still matches.
NOTES = [
    (
        "event not handled",
        {"vault": "n", "event": "ev"},
        _was("vault %r: error while handling %r", "n", "ev"),
    ),
    ("watcher not stopped", {}, "error while stopping a watcher"),
    (
        "watcher thread lingers",
        {"seconds": 5.0},
        _was("a watcher thread did not stop within %g s", 5.0),
    ),
    (
        "watchdog warning",
        {"message": UserWarning("two"), "category": "RuntimeWarning", "file": "w/a.py", "line": 7},
        _was("watchdog: %s (%s at %s:%d)", UserWarning("two"), "RuntimeWarning", "w/a.py", 7),
    ),
    (
        "vault folder gone",
        {"vault": "n", "root": _PAGE},
        _was("vault %r: folder %s is gone; watching it again once it is back", "n", _PAGE),
    ),
    (
        "watching again",
        {"vault": "n", "root": _PAGE, "mode": "native"},
        _was("vault %r: watching %s again (%s)", "n", _PAGE, "native"),
    ),
    (
        "vault folder not found",
        {"vault": "n", "root": _PAGE},
        _was("vault %r: cannot watch %s: folder not found; will retry", "n", _PAGE),
    ),
    (
        "folder got no watch",
        {"vault": "n", "limit": 8192, "folder": "a/b", "others": 0, "root": _PAGE, "seconds": 0.5},
        _was(_LIMIT, "n", 8192, "a/b", "", _PAGE, 0.5, RAISE_WATCHES),
    ),
    (
        "folders got no watch",
        {"vault": "n", "limit": None, "folder": "a/b", "others": 2, "root": _PAGE, "seconds": 5},
        _was(_LIMIT, "n", None, "a/b", " and 2 more", _PAGE, 5, RAISE_WATCHES),
    ),
    (
        "watch limit reached",
        {"vault": "n", "error": OSError(errno.ENOSPC, "No space"), "root": _PAGE, "seconds": 5},
        _was(
            "vault %r: %s (%s); " + _SLOWER,
            "n",
            "inotify watch limit reached",
            "No space",
            _PAGE,
            5,
            RAISE_WATCHES,
        ),
    ),
    (
        "instance limit reached",
        {"vault": "n", "error": OSError(errno.EMFILE, "Too many"), "root": _PAGE, "seconds": 5},
        _was(
            "vault %r: %s (%s); " + _SLOWER,
            "n",
            "too many inotify instances or open files",
            "Too many",
            _PAGE,
            5,
            RAISE_INSTANCES,
        ),
    ),
    (
        "file events unavailable",
        {"vault": "n", "root": _PAGE, "error": _BARE, "seconds": 2.5},
        _was(
            "vault %r: file events unavailable for %s (%s); polling every %g s instead",
            "n",
            _PAGE,
            _BARE,
            2.5,
        ),
    ),
    (
        "cannot watch",
        {"vault": "n", "root": _PAGE, "error": _DENIED},
        _was(
            "vault %r: cannot watch %s: %s; only the periodic pass will see changes there",
            "n",
            _PAGE,
            "Permission denied",
        ),
    ),
    (
        "temp file not removed",
        {"path": _PAGE, "error": _DENIED},
        _was("could not remove temp file %s: %s", _PAGE, "Permission denied"),
    ),
    (
        "temp files not searched",
        {"folder": "/v/x", "error": _DENIED},
        _was("cannot look for leftover temp files in %s: %s", "/v/x", "Permission denied"),
    ),
    (
        "leftover temp file not removed",
        {"path": "/v/.a.tmp", "error": _DENIED},
        _was("cannot remove leftover temp file %s: %s", "/v/.a.tmp", "Permission denied"),
    ),
    (
        "attribute not kept",
        {"name": "user.x", "error": _DENIED},
        _was("extended attribute %s not kept: %s", "user.x", "Permission denied"),
    ),
    (
        "state entry not moved",
        {"entry": _PAGE, "folder": Path("/s/p"), "error": _DENIED},
        _was(
            "could not move %s into the private state folder %s: %s",
            _PAGE,
            Path("/s/p"),
            "Permission denied",
        ),
    ),
    (
        "state folder moved",
        {"folder": Path("/s"), "sub": Path("/s/p"), "names": ["c", "h"]},
        _was(
            "the state folder %s may be written by others; vaultsync now keeps its state in "
            "the private subfolder %s (moved there: %s)",
            Path("/s"),
            Path("/s/p"),
            "c, h",
        ),
    ),
    (
        "history pack damaged",
        {"file": Path("/h/p.pack")},
        _was("ignoring the rest of damaged history pack %s", Path("/h/p.pack")),
    ),
    # The error's whole text here ([Errno 13] and its file too), as it always was.
    (
        "history index damaged",
        {"file": Path("/h/meta.json"), "exception": _DENIED},
        _was("ignoring damaged history index %s: %s", Path("/h/meta.json"), _DENIED),
    ),
    (
        "history folder kept",
        {"folder": Path("/h/f"), "exception": _DENIED},
        _was("cannot remove empty history folder %s: %s", Path("/h/f"), _DENIED),
    ),
    (
        "hold not recorded",
        {"path": _PAGE, "exception": _DENIED},
        _was("cannot record that the hold on %s was announced: %s", _PAGE, _DENIED),
    ),
    # The state cache's (state/cache.py) and the worker pool's (workers.py).
    (
        "state cache damaged",
        {"path": Path("/s/c.db"), "exception": ValueError("bad")},
        _was("state cache %s is damaged (%s); starting afresh", Path("/s/c.db"), ValueError("bad")),
    ),
    (
        "state cache off",
        {"path": Path("/s/c.db"), "what": "read it", "exception": _DENIED},
        _was(
            "state cache %s: cannot %s (%s); passes read every page until this is fixed",
            Path("/s/c.db"),
            "read it",
            _DENIED,
        ),
    ),
    (
        "state file not removed",
        {"path": "/s/c.db-wal", "error": _DENIED},
        _was("cannot remove %s%s: %s", Path("/s/c.db"), "-wal", "Permission denied"),
    ),
    (
        "workers not a number",
        {"name": "VAULTSYNC_WORKERS", "value": "x"},
        _was("%s=%r is not a number of workers; using the cores", "VAULTSYNC_WORKERS", "x"),
    ),
    (
        "workers failed",
        {"exception": OSError("gone")},
        _was("the worker processes failed (%s); going on in this process", OSError("gone")),
    ),
]


@pytest.mark.parametrize(("event", "fields", "words"), NOTES, ids=[n[0] for n in NOTES])
def test_an_operator_note_reads_as_it_did(event: str, fields: dict, words: str) -> None:
    assert note(event, **fields) == words


def test_every_operator_note_is_pinned() -> None:
    assert {event for event, _, _ in NOTES} == set(render_notes._NOTES)


# ------------------------------------------------------------------------------- errors' words

P = Path("/v/pages/a.md")
# A write that failed on a full disk, and its words.
_FULL = (errors.WriteProblem.NOT_WRITTEN, P.parent, OSError(errno.ENOSPC, "No space left"))
_FULL_WORDS = "cannot write into /v/pages: the disk is full (or over quota); free some space"

# Each error with fields, and the words it has always had (render/errors.py makes them now).
MESSAGES = [
    (
        errors.UnsafePathError(P, errors.Unsafe.OUTSIDE),
        f"{P}: refused to write: it is outside every configured vault",
    ),
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
    (
        errors.PageUnreadable(P, errors.Unreadable.NOT_REGULAR),
        f"{P}: cannot read: it is not a regular file",
    ),
    (errors.PageVanished(P), f"{P}: cannot read: it was deleted or moved away"),
    (errors.WriteFailed(P, *_FULL), f"{P}: not written: {_FULL_WORDS}"),
    (
        errors.NoSuchVersion(P, 9, 3),
        f"{P}: there is no version 9; the history holds versions 1 (newest) to 3",
    ),
    (
        errors.NoHistory(P),
        f"no history for {P}; vaultsync keeps a copy before each rewrite, none was made for "
        "this page",
    ),
    (
        errors.HistoryUnavailable(Path("/s/h"), errors.HistoryProblem.DAMAGED),
        "history store /s/h: this saved copy is damaged (its checksum does not match)",
    ),
    (
        errors.HistoryUnavailable(Path("/s/h"), errors.HistoryProblem.NOT_RELEASED, P, _DENIED),
        f"history store /s/h: cannot release {P}: permission denied: give this user write "
        "access to it, or set state_dir in the config (or $VAULTSYNC_STATE_DIR) to a folder "
        "elsewhere",
    ),
    (
        errors.HistoryUnavailable(Path("/s/h"), errors.HistoryProblem.NOT_READ, error=_BARE),
        "history store /s/h: cannot read it: no words from the system",
    ),
    (
        errors.StateFolderUnusable(Path("/s"), "the lock", errno.EROFS, "Read-only"),
        "state folder /s: cannot write the lock: it is on a read-only file system: make it "
        "writable, or set state_dir in the config (or $VAULTSYNC_STATE_DIR) to a folder elsewhere",
    ),
    (LockBusy(Path("/v")), "vault /v is busy: another vaultsync pass holds it"),
    (LockWaitCancelled(Path("/v")), "vault /v is busy: stopped waiting for it"),
    # The writer's reasons, from their fields: the words they had as sentences.
    (
        errors.UnsafePathError(Path("/v/.."), errors.Unsafe.NOT_A_NAME),
        "/v/..: refused to write: '..' is not a file name",
    ),
    (
        errors.UnsafePathError(P, errors.Unsafe.NAME_TOO_LONG, limit=255),
        f"{P}: refused to write: the file name is longer than 255 bytes, the limit of most "
        "filesystems",
    ),
    (
        errors.UnsafePathError(P, errors.Unsafe.NOT_LOOKED_INTO, P.parent, error=_BARE),
        f"{P}: refused to write: cannot look into /v/pages: no words from the system",
    ),
    (
        errors.PageUnreadable(P, errors.Unreadable.TOO_LARGE, size=2**20 + 1, limit=2**20),
        f"{P}: cannot read: it is 1048577 bytes, larger than the 1048576 bytes limit for a "
        "page; vaultsync leaves it alone",
    ),
    (
        errors.PageUnreadable(P, errors.Unreadable.TOO_LARGE, size=3 * 2**20, limit=2**20),
        f"{P}: cannot read: it is 3.0 MiB, larger than the 1.0 MiB limit for a page; "
        "vaultsync leaves it alone",
    ),
    (
        errors.PageUnreadable(P, errors.Unreadable.GREW, limit=2048),
        f"{P}: cannot read: it is larger than 2.0 KiB",
    ),
    (
        errors.PageUnreadable(P, errors.Unreadable.FAILED, _DENIED),
        f"{P}: cannot read: Permission denied",
    ),
    (
        errors.WriteFailed(P, errors.WriteProblem.NOT_WRITTEN, P.parent, _DENIED),
        f"{P}: not written: cannot write into /v/pages: read-only or permission denied; "
        "vaultsync needs write access to the vault",
    ),
    (
        errors.WriteFailed(P, errors.WriteProblem.NOT_FLUSHED, P.parent, OSError(5, "I/O")),
        f"{P}: not written: written, but /v/pages could not be flushed to disk: I/O",
    ),
    (
        errors.WriteFailed(P, errors.WriteProblem.LATE_WRITE, kept=True),
        f"{P}: not written: another program wrote to it while it was replaced, and again just "
        "after; the version with the first write is in the history (`vaultsync history`)",
    ),
    (
        errors.WriteFailed(P, errors.WriteProblem.LATE_WRITE),
        f"{P}: not written: another program wrote to it while it was replaced, and again just "
        "after; the first write could not be put back",
    ),
    (
        errors.WriteFailed(P, errors.WriteProblem.TEMP_NOT_FLUSHED, error=_BARE),
        f"{P}: not written: cannot be flushed to disk: no words from the system; nothing was "
        "replaced",
    ),
    (
        errors.PrivateFolderIsFile(Path("/s")),
        "/s: is a file, but vaultsync needs a folder there; move the file away",
    ),
    (
        errors.PrivateFolderUnusable(Path("/s"), _DENIED),
        "/s: cannot create or use this folder: Permission denied; check its permissions or "
        "choose another place",
    ),
    (errors.UsageError("no such vault"), "no such vault"),
    # Raised with f-string sentences before; their words, byte for byte, now made in render.
    (
        errors.UnitTextRefused("/v/a\nb", 10),
        "cannot write '/v/a\\nb' into the service's unit file: it holds the control "
        "character U+000A; rename that folder or file",
    ),
    (
        errors.UnitTextRefused("/v/\udcff", None),
        "cannot write '/v/\\udcff' into the service's unit file: it is not valid UTF-8; "
        "rename that folder or file",
    ),
    (
        errors.AgentTextRefused("/v/a\tb"),
        "cannot write '/v/a\\tb' into the launchd agent: it holds a control "
        "character; rename that folder or file",
    ),
    (
        errors.AgentNotWritten(ValueError("bad")),
        "cannot write the launchd agent: bad; rename that folder or file",
    ),
    (errors.ServiceFileExists(P), f"{P} exists; use --force to overwrite it"),
    (
        errors.NoServiceManager("win32"),
        "no service manager support on win32; see docs/running-in-background.md "
        "for running `vaultsync run` in the background by hand",
    ),
    (errors.NoServiceManager("win32", installing=False), "no service manager support on win32"),
    (
        errors.VaultPathControl("vaults[0].path", "/v/a\x00", paths.ControlCharacter(0)),
        "vaults[0].path: '/v/a\\x00': the path holds the control character U+0000; rename "
        "the folder, or fix the path",
    ),
    (
        errors.VaultFolderMissing("", Path("/v")),
        "/v: no such folder; check the path or create the folder",
    ),
    (
        errors.VaultNotAFolder("vaults[1].path", P),
        f"vaults[1].path: {P}: not a folder; a vault is the folder holding your notes",
    ),
    (
        errors.VaultRefused("vaults[0].path", paths.UnsafeVault(paths.Unsafe.ROOT, Path("/"))),
        "vaults[0].path: / is the root of a file system, not a notes folder; give the folder "
        "that holds your notes (the graph's or vault's own folder)",
    ),
    (
        errors.MissingVault("notes", Path("/media/x")),
        "vault 'notes': its folder /media/x is missing (a drive not plugged in?); "
        "it is left out until the folder is there",
    ),
    (
        errors.NoVaultToWorkOn(),
        "no vault to work on: name one with --vault PATH, or add vaults to the config "
        "(`vaultsync config init` writes a commented example)",
    ),
    (
        errors.UnknownVault("x", ["a", "b"]),
        "--vault 'x': no configured vault has that name, and there is no folder "
        "'x' here; configured vaults: 'a', 'b'",
    ),
    (
        errors.UnknownVault("x", []),
        "--vault 'x': no configured vault has that name, and "
        "there is no folder 'x' here; configured vaults: none",
    ),
    (
        errors.SharedStateFolder(Path("/s"), Path("/s/p")),
        "/s: others may write this state folder, and /s/p is not a folder "
        "of your own (owned by you, writable by you only); vaultsync changes the mode of "
        "neither. "
        "Remove it, or set `state_dir` (or $VAULTSYNC_STATE_DIR) to a folder of your own",
    ),
    (
        errors.StateMoveBlocked(Path("/s"), 42, Path("/s/p")),
        "/s: a vaultsync daemon (pid 42) keeps its state here, a folder others "
        "may write; stop it, then run again: its state moves to the private /s/p",
    ),
    (
        errors.LogFileUnusable(Path("/l/x.log"), _DENIED),
        "log file /l/x.log: cannot open it for appending: Permission denied; "
        "check that its folder exists and is writable",
    ),
    (
        errors.MachineIdUnwritable(Path("/s/id"), _BARE),
        "/s/id: cannot keep this machine's id there: no words from the system; "
        "check the state folder's permissions",
    ),
    (
        errors.BadSeconds("VAULTSYNC_LEASE_TTL", "-3"),
        "$VAULTSYNC_LEASE_TTL is '-3': give a number of seconds, 0 or more",
    ),
    (
        errors.HeartbeatTooLong("HB", 90.0, "TTL", 60.0),
        "$HB is 90: it must be more than 0 and less than $TTL (60), or the lease expires "
        "between heartbeats",
    ),
    (
        errors.DemoFolderTaken(P),
        f"{P} exists (from an earlier demo?); give --keep an empty or new "
        "folder, or remove that one",
    ),
    (errors.UnclosedBracket("a[b"), "'[' without a closing ']' in 'a[b'"),
    (
        errors.BadPattern(errors.PatternProblem.EMPTY),
        "empty pattern; remove it or write a glob such as '**/*.md'",
    ),
    (
        errors.BadPattern(errors.PatternProblem.BACKSLASH),
        "use '/' between folders (patterns are matched against paths like 'pages/a.md')",
    ),
    (
        errors.BadPattern(errors.PatternProblem.LEAVES_VAULT),
        "'..' is not allowed: patterns are relative to the vault and cannot leave it",
    ),
    (
        errors.BadPattern(errors.PatternProblem.WHOLE_VAULT),
        "this matches the whole vault; write a glob such as '**/*.md' or 'pages/'",
    ),
]


@pytest.mark.parametrize(("err", "words"), MESSAGES, ids=lambda v: type(v).__name__)
def test_an_error_has_the_same_words_everywhere(err: errors.VaultsyncError, words: str) -> None:
    assert error_message(err) == words
    assert str(err) == words  # what a pass lists, what the log says
    assert cli_error(err) == f"vaultsync: {words}"  # what the CLI prints


def test_a_page_error_beside_its_page_leaves_the_path_out() -> None:
    err = errors.WriteFailed(P, *_FULL)
    assert errors.page_reason(err, P) == f"not written: {_FULL_WORDS}"
    assert errors.page_reason(err, Path("/v/other.md")) == f"{P}: not written: {_FULL_WORDS}"


def test_the_core_errors_carry_fields_and_render_words_them() -> None:
    """The core imports no renderer: its errors carry a kind and fields (the EDN reader's its
    line and column too), and render/errors.py makes the words they had as sentences."""
    from vaultsync.core.authors import UnsafeName, logseq_file_stem
    from vaultsync.core.edn import EdnError, EdnProblem, read

    with pytest.raises(EdnError) as caught:
        read("{:a [1\n 2}")
    assert (caught.value.problem, caught.value.line, caught.value.column) == (
        EdnProblem.WRONG_CLOSER,
        2,
        3,
    )
    assert error_message(caught.value) == (
        "line 2, column 3: `}` where `]` was expected, to close the `[` opened at line 1, column 5"
    )
    with pytest.raises(EdnError) as caught:
        read("[1 2")
    assert error_message(caught.value) == (
        "line 1, column 5: the `[` opened at line 1, column 1 is never closed (a `]` is missing)"
    )
    with pytest.raises(UnsafeName) as unsafe:
        logseq_file_stem("x" * 300)
    assert error_message(unsafe.value) == (
        "the author name is too long for a file name (300 characters)"
    )


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
    """The words `undo`, `release`, `stop`/`reload` and `history` print (moved into render/
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


def test_the_command_lines_read_as_before() -> None:
    """The short lines of `config`, `service`, `stop`/`reload`, `log`, `undo` and a waiting
    `resync` (moved from cli.py into render/commands.py unchanged)."""
    from vaultsync import render

    assert render.no_config_file(P) == (
        f"vaultsync: no config file at {P} (run `vaultsync config init` to write one)"
    )
    assert render.config_valid(P, 1) == f"{P}: valid (1 vault)"
    assert render.config_valid(P, 2) == f"{P}: valid (2 vaults)"
    assert render.service_uninstalled(None, "") == "no vaultsync service was installed"
    assert render.service_uninstalled(P, "then run x") == f"removed {P}; then run x"
    assert render.service_needs_config(P) == (
        f"no config at {P}; run `vaultsync config init` and name your vaults first"
    )
    assert render.service_would_write(P) == f"# vaultsync service install would write {P}:"
    assert render.service_installed(P, "systemctl --user start x") == (
        f"wrote {P}\nstart it with:\n  systemctl --user start x"
    )
    assert render.signalled("stop", 7) == "asked the daemon to stop (pid 7)"
    assert render.signalled("reload", 7) == "asked the daemon to reload its config (pid 7)"
    assert render.daemon_of_another_user(7) == (
        "the daemon (pid 7) belongs to another user; run this as that user"
    )
    assert render.no_activity(P) == f"no activity recorded yet in {P}"
    assert render.ambiguous_page("a", [P, P]) == (
        f"'a' names 2 pages with history; give one of their paths:\n  {P}\n  {P}"
    )
    assert render.not_in_a_vault(P) == (
        f"{P} is not inside a configured vault, Logseq graph or Obsidian vault"
    )
    assert render.waiting_for_lock("notes") == (
        "vaultsync: notes: waiting for another vaultsync pass on this vault (the daemon?) to "
        "finish…"
    )
    assert render.daemon_line("no vaults", path=P) == (
        f"no vaults configured in {P}; add some under `vaults:` and they are picked up without "
        "a restart"
    )
    assert render.progress_label("cleaning", "notes") == "cleaning notes"
    assert (render.progress_count(1), render.progress_count(0)) == ("1 file", "0 files")
    assert render.progress_count(3, 10) == "3/10 pages"
    assert render.progress_eta(61.6) == ", about 1:02 left"


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


# ------------------------------------------------------------------------- typed reasons


def _reason_words():
    from vaultsync.core.text import NotUtf8
    from vaultsync.pipeline.report import PageReason

    bad = NotUtf8(3, 7)
    unsafe = errors.UnsafePathError(P, errors.Unsafe.LINK_OUT, Path("/v/l"), real=Path("/x"))
    return [
        (PageReason(Reason.ERROR, errors.WriteFailed(P, *_FULL), P), f"not written: {_FULL_WORDS}"),
        (
            PageReason(Reason.ERROR, errors.WriteFailed(P, *_FULL), Path("/v/b.md")),
            f"{P}: not written: {_FULL_WORDS}",
        ),
        (
            PageReason(Reason.NOT_UTF8, bad, P, utf16=True),
            "bytes that are not UTF-8 at line 3, column 7: the page is saved as UTF-16; left "
            "untouched (re-save the page as UTF-8 to have it cleaned)",
        ),
        (
            PageReason(Reason.NOT_WRITABLE, unsafe),
            "/v/l leads to /x (through a symbolic link), outside every vault; left as it is",
        ),
        (
            PageReason(Reason.KEPT_CHANGING),
            "kept changing while being cleaned; left as it is, will retry on the next pass",
        ),
        (
            PageReason(Reason.HELD_AFTER_UNDO),
            "held after `vaultsync undo`: left as it is until it changes again "
            "(`vaultsync release PAGE` lets it be cleaned)",
        ),
        (
            PageReason(Reason.FOLDER_NOT_READ, why="permission denied"),
            "folder not read: permission denied",
        ),
        (
            PageReason(Reason.BAD_CANVAS, problem="is not JSON"),
            "canvas is not JSON; its block references are not read (fix or remove it)",
        ),
        (
            PageReason(Reason.NOT_MERGED, errors.PageUnreadable(P, errors.Unreadable.DENIED), P),
            "not merged into another author page: cannot read: permission denied; check the "
            "file's permissions",
        ),
        (
            PageReason(Reason.CHANGED_WHILE_MERGED),
            "changed while being merged; merged on the next pass",
        ),
        (
            PageReason(
                Reason.AUTHOR_NAME_UNSAFE, ValueError("empty"), name="A", named_by=["x", "y"]
            ),
            "author page for 'A' (named by x, y) not created: empty",
        ),
        (
            PageReason(Reason.DANGLING_LINK, target="/gone", name="Ann"),
            "a symbolic link to /gone, which does not exist, stands where the author page for "
            "'Ann' goes; not created. Remove the link (or restore what it points to) and the "
            "next pass creates the page",
        ),
    ]


def test_each_typed_reason_has_the_words_it_always_had() -> None:
    """A skipped or failed page's reason is a kind and fields; render words it, as before."""
    cases = _reason_words()
    kinds = {reason.kind for reason, _ in cases}
    skipped_or_failed = {
        Reason.ERROR,
        Reason.NOT_UTF8,
        Reason.NOT_WRITABLE,
        Reason.KEPT_CHANGING,
        Reason.HELD_AFTER_UNDO,
        Reason.FOLDER_NOT_READ,
        Reason.BAD_CANVAS,
        Reason.NOT_MERGED,
        Reason.CHANGED_WHILE_MERGED,
        Reason.AUTHOR_NAME_UNSAFE,
        Reason.DANGLING_LINK,
    }
    assert kinds == skipped_or_failed
    for reason, words in cases:
        assert reason == words


def test_a_pass_records_typed_reasons(tmp_path: Path) -> None:
    """The pass records the kind and the error; the summary and --json show their words."""
    from vaultsync.pipeline.passes import run_pass
    from vaultsync.render import report_json
    from vaultsync.vault import make_vault

    (tmp_path / ".obsidian").mkdir()
    page = tmp_path / "Readwise" / "Articles" / "Bad.md"
    page.parent.mkdir(parents=True)
    text = "## Highlights\n- caf\xe9 ([Location 1](https://readwise.io/to_kindle?action=open))\n"
    page.write_bytes(text.encode("latin-1"))
    report = run_pass(make_vault(tmp_path))
    [(path, reason)] = report.skipped
    assert path == page and reason.kind is Reason.NOT_UTF8
    assert (reason.error.line, reason.error.column) == (2, 6)
    assert [r.why for r in page_results(report)] == [Reason.NOT_UTF8]
    assert f"  skipped {page}: {reason}\n" in summary(report)
    assert report_json(report)["skipped"] == [
        {"path": "Readwise/Articles/Bad.md", "reason": str(reason)}
    ]
    assert str(reason).startswith("bytes that are not UTF-8 at line 2, column 6;")


# ------------------------------------------------------------------------------- returned words

# A sentence can also leave a module as a function's return value, which a caller then prints
# or puts in a warning or an error (service.py's "what to run next", paths.py's and
# vault_kind.py's reasons, vault.py's filter warning, vault_settings.py's problems: now typed
# values, worded in render/). Scanned: `return` of a literal or f-string holding a phrase (two
# words or more: a single word such as "other" is a value, not a message) outside the
# renderer, the config's error formatter, the parser's help and logs.py.
RETURNERS = {"render", "config", "cli/parser.py", "logs.py"}
_PHRASE = re.compile(r"[A-Za-z]+[ ,;:]+[A-Za-z]")

_NOT_SHOWN = "not shown to a user: why the clean verdict was unsure (tests and profiling read it)"
# (module, function): a function that returns a phrase, and why it may.
RETURN_ALLOWED: dict[tuple[str, str], str] = {
    ("service.py", "systemd_unit"): "the unit file's text (its comments), not a message",
    ("core/verdict.py", "_foldable"): _NOT_SHOWN,
    ("core/verdict.py", "_scan"): _NOT_SHOWN,
}


def _literal_text(node: ast.AST) -> str:
    """The literal text of a string, f-string or concatenation ("\\0" where a value goes)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _PLACEHOLDER.sub("", node.value)
    if isinstance(node, ast.JoinedStr):
        return "\0".join(v.value if isinstance(v, ast.Constant) else "" for v in node.values)
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) + "\0" + _literal_text(node.right)
    return ""


def _returned(node: ast.AST) -> list[ast.AST]:
    """What a `return` may hand back: each element of a tuple, each arm of `a if c else b`."""
    if isinstance(node, ast.Tuple):
        return [part for element in node.elts for part in _returned(element)]
    if isinstance(node, ast.IfExp):
        return _returned(node.body) + _returned(node.orelse)
    return [node]


def _returned_phrases(path: Path) -> list[tuple[str, int]]:
    """(function, line) of each `return` in `path` that hands back a phrase of literal text."""
    found: set[tuple[str, int]] = set()

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Return) and child.value is not None:
                if any(_PHRASE.search(_literal_text(v)) for v in _returned(child.value)):
                    found.add((name, child.lineno))
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), "<module>")
    return sorted(found, key=lambda f: f[1])


@functools.cache
def _returned_everywhere() -> dict[tuple[str, str], list[int]]:
    returned: dict[tuple[str, str], list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module in RETURNERS or module.split("/")[0] in RETURNERS:
            continue
        for function, line in _returned_phrases(path):
            returned.setdefault((module, function), []).append(line)
    return returned


def test_no_function_returns_a_sentence_outside_the_renderer() -> None:
    """A module below the renderer returns typed values (an enum kind and fields, a small
    dataclass); render/ words them."""
    stray = [
        f"{module}:{lines[0]} in {function}()"
        for (module, function), lines in _returned_everywhere().items()
        if (module, function) not in RETURN_ALLOWED
    ]
    assert not stray, "a sentence returned (return typed values, word them in render/): " + (
        ", ".join(stray)
    )


def test_the_return_allow_list_has_no_stale_entries() -> None:
    assert set(RETURN_ALLOWED) <= set(_returned_everywhere()), sorted(
        set(RETURN_ALLOWED) - set(_returned_everywhere())
    )
    assert all(RETURN_ALLOWED.values()), "each allowed place says why"


def test_the_return_scan_sees_a_phrase_not_a_value(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "def a():\n    return f'stop it first if it runs: {first}'\n"
        "def b():\n    return path, 'logs are in ' + str(log)\n"
        "def c(x):\n    return None if x else 'cannot tell what it is'\n"
        "def d():\n    return ('holds the control character U+%04X; rename it' % x)\n"
        "class E:\n    def __str__(self):\n        return f'{self.rule} left alone'\n"
        "def values():\n    return 'other', names, refs\n"
        "    return f'page\\0{vault}\\0{rel}'; return f':{value}'; return f'[[{stem}|{n}]]'\n"
        "    return words(problem); return ServiceFile(Manager.SYSTEMD, path); return ''\n"
        "    return f'{count} pages'\n"
    )
    assert _returned_phrases(source) == [("a", 2), ("b", 4), ("c", 6), ("d", 8), ("__str__", 11)]


def test_what_the_rules_leave_alone_and_a_page_not_utf8_read_as_before() -> None:
    """The core hands up kinds and fields (core.model.LeftAlone, core.text.NotUtf8); render's
    words for them are those the core made before, byte for byte."""
    from vaultsync.core.model import LeftAlone, Untouched
    from vaultsync.core.normalize import normalize_page
    from vaultsync.core.text import NotUtf8
    from vaultsync.pipeline.report import PageReason
    from vaultsync.render import left_alone_words

    quoted = (
        "# T\n\n![rw-book-cover](https://x/c.png)\n\n"
        "> The ferry leaves. ([Location 144](https://readwise.io/to_kindle?location=144))\n"
    )
    assert normalize_page(quoted, "obsidian").left_alone == [LeftAlone("page", Untouched.QUOTED)]
    rules = (("fold", Untouched.CHAPTERS), ("page", Untouched.QUOTED), ("page", Untouched.HEADED))
    said = {why: left_alone_words(LeftAlone(rule, why, 2)) for rule, why in rules}
    assert said == {
        Untouched.CHAPTERS: "fold left alone: 2 sync section(s) not folded: their highlights sit "
        "under the document's own chapter headings, which folding would take them away from",
        Untouched.QUOTED: "page left alone: its template writes each highlight as a blockquote, "
        "not a list item: not deduplicated, folded or ordered",
        Untouched.HEADED: "page left alone: its template writes each highlight under a heading "
        "of its own (other notes may link to it): not deduplicated, folded or ordered",
    }
    bad = NotUtf8(3, 7)
    words = (
        "bytes that are not UTF-8 at line 3, column 7; left untouched (re-save the page as UTF-8 "
        "to have it cleaned)"
    )
    assert error_message(bad) == words
    assert PageReason(Reason.NOT_UTF8, bad, P) == words
    assert PageReason(Reason.ERROR, bad, P) == words  # (an author page that is not UTF-8)
    assert PageReason(Reason.NOT_MERGED, bad, P) == f"not merged into another author page: {words}"


def test_the_vault_and_path_problems_read_as_before(tmp_path: Path) -> None:
    """The words of the typed values paths.py, vault_kind.py, vault.py and vault_settings.py
    return (render/vaults.py), as they read when those modules made them."""
    from vaultsync import render, vault_settings
    from vaultsync.vault import FilterProblem
    from vaultsync.vault_kind import Detection, KindContradiction

    fix = "give the folder that holds your notes (the graph's or vault's own folder)"
    refused = {
        "/": f"/ is the root of a file system, not a notes folder; {fix}",
        "/home/me": f"/home/me is your home folder, not a notes folder; {fix}",
        "/home": f"/home holds your home folder; {fix}",
        "/usr/x": f"/usr/x is a system folder (/usr), not a notes folder; {fix}",
        "/home/me/a\nb": "the path holds the control character U+000A (a line break); rename "
        "the folder, or fix the path",
    }
    for folder, words in refused.items():
        found = paths.unsafe_vault(PurePosixPath(folder), PurePosixPath("/home/me"), False)
        assert found is not None and render.unsafe_vault(found) == words
    assert paths.unsafe_vault(PurePosixPath("/home/me/n"), PurePosixPath("/home/me"), False) is None
    control = paths.control_character("a\x7f")
    assert control is not None and render.control_character(control) == (
        "holds the control character U+007F; rename the folder, or fix the path"
    )
    kind_fix = (
        "pass --kind logseq|obsidian, or set 'kind: logseq' or 'kind: obsidian' for this vault "
        "in the config"
    )
    assert render.undetected_kind(Detection(None, False, False, P)) == (
        f"cannot tell what {P} is: it has neither logseq/config.edn nor .obsidian/; {kind_fix}"
    )
    assert render.vault_refused(Detection(None, True, True, P, (3, 1))) == (
        f"cannot tell what {P} is: it has both logseq/config.edn and .obsidian/ (opened in both "
        f"apps?) and 3 Readwise page(s) in Logseq's shape and 1 in Obsidian's; {kind_fix}"
    )
    assert render.kind_contradiction(KindContradiction("n", "obsidian", P, "logseq")) == (
        f"vault 'n' is given kind obsidian, but {P} has logseq/config.edn: it is a Logseq graph, "
        "and its Readwise pages are not found as obsidian pages; set 'kind: logseq' (or 'kind: "
        "auto') for it, or pass --kind logseq"
    )
    assert render.filter_problem(FilterProblem("v", P, False, ("a/*.md",))) == (
        f"v: include ['a/*.md'] matches none of the .md files in {P}, so no page is cleaned; "
        "patterns are relative to the vault's folder (e.g. 'Readwise/**/*.md'), or leave "
        "include out for every page"
    )
    assert render.filter_problem(FilterProblem("v", P, True, ("**",))) == (
        "v: exclude ['**'] leaves out every page include matches, so no page is cleaned; "
        "exclude only the folders to skip (e.g. 'Archive/**')"
    )
    (tmp_path / "logseq").mkdir()
    edn = tmp_path / "logseq" / "config.edn"
    edn.write_text('{:pages-directory 5 :journals-directory "../x" :hidden ["/" "/ok"]}')
    said = [render.setting_problem(p) for p in vault_settings.logseq_settings(tmp_path).problems]
    assert said == [
        f'{edn}: line 1, column 2: `:pages-directory` should be a folder name such as "pages"; '
        "using Logseq's default for it",
        f"{edn}: line 1, column 21: `:journals-directory` '../x' is not a folder inside the "
        "graph; using journals/",
        f'{edn}: `:hidden` entries not followed (they would hide the whole graph or leave it): "/"',
    ]
    edn.write_bytes(b"[1]")
    settings = vault_settings.logseq_settings(tmp_path)
    assert settings.broken is not None
    assert render.settings_broken(settings.broken) == "holds no settings map (`{…}`) at its top"
    assert [render.setting_problem(p) for p in settings.problems] == [
        f"{edn}: holds no settings map (`{{…}}`) at its top; Logseq's defaults are used for this "
        "graph until it is fixed"
    ]
    # A vault's summary in `status` when it had no pass (run/vaults.py, run/status.py).
    assert render.vault_state("not cleaning here", who="laptop (pid 7)") == (
        "not cleaning here: laptop (pid 7)"
    )
    assert render.vault_state("folder missing") == "folder missing; watched for"
