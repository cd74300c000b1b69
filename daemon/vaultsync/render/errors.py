"""Every error's words. The errors (errors.py, locks.py) carry fields only; their `str()` asks
this module, so a message reads the same wherever it is shown. Looked up by class name along
the error's MRO, so this module never imports the errors back (no import cycle)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vaultsync.render.causes import (
    history_reason,
    os_words,
    state_folder_advice,
    unreadable_reason,
    unsafe_reason,
    write_reason,
)
from vaultsync.render.vaults import control_character, vault_refused


def _lost(err: Any) -> str:
    shown = "; ".join(m[:80] for m in err.missing[:3])
    more = f" (+{len(err.missing) - 3} more)" if len(err.missing) > 3 else ""
    return f"not written, the result would lose: {shown}{more}. Please report this."


_RENAME = "rename that folder or file"


_CANVAS_PROBLEMS: dict[str, Callable[[Any], str]] = {
    "not utf-8": lambda e: f"not UTF-8 (byte {e.byte})",
    "bad json": lambda e: f"not valid JSON: {e.msg} at line {e.line}",
    "too deep": lambda e: "not valid JSON: nested too deeply",
    "not a canvas": lambda e: 'not a canvas: expected an object with a "nodes" list',
}

_PATTERN_PROBLEMS = {
    "empty": "empty pattern; remove it or write a glob such as '**/*.md'",
    "backslash": "use '/' between folders (patterns are matched against paths like 'pages/a.md')",
    "leaves the vault": (
        "'..' is not allowed: patterns are relative to the vault and cannot leave it"
    ),
    "whole vault": "this matches the whole vault; write a glob such as '**/*.md' or 'pages/'",
}


def _unit_text(err: Any) -> str:
    why = (
        "it is not valid UTF-8"
        if err.control is None
        else f"it holds the control character U+{err.control:04X}"
    )
    return f"cannot write {err.text!r} into the service's unit file: {why}; {_RENAME}"


def _where(err: Any) -> str:
    return f"{err.where}: " if err.where else ""


# ---------------------------------------------------------------- the core's errors

# Why an author name cannot be a file name (core/author_names.py's UnsafeName, by `problem`).
_NAME_PROBLEMS: dict[str, Callable[[Any], str]] = {
    "EMPTY": lambda e: "the author name is empty",
    "CONTROL": lambda e: "the author name holds control characters (a NUL or a line break)",
    "ONLY_DOTS": lambda e: "the author name is only dots",
    "TOO_LONG": lambda e: f"the author name is too long for a file name ({e.length} characters)",
    "NOTHING_LEFT": lambda e: "the author name has no characters a file name can hold",
}


def _opened(e: Any) -> str:
    return f"line {e.opened[0]}, column {e.opened[1]}"


# What makes a text unreadable EDN (core/edn.py's EdnError, by `problem`).
_EDN_PROBLEMS: dict[str, Callable[[Any], str]] = {
    "DISCARD_NOTHING": lambda e: "`#_` with nothing after it to discard",
    "UNEXPECTED_CLOSER": lambda e: f"unexpected `{e.text}`: nothing open here to close",
    "TOO_DEEP": lambda e: "nested too deeply",
    "NEVER_CLOSED": lambda e: (
        f"the `{e.opener}` opened at {_opened(e)} is never closed (a `{e.closer}` is missing)"
    ),
    "WRONG_CLOSER": lambda e: (
        f"`{e.text}` where `{e.closer}` was expected, to close the `{e.opener}` opened at "
        f"{_opened(e)}"
    ),
    "ODD_MAP": lambda e: "a map needs a value for every key (odd number of forms)",
    "DUPLICATE_KEY": lambda e: f"duplicate key {e.text} in a map",
    "STRING_NOT_CLOSED": lambda e: 'a string starts here and is never closed (a `"` is missing)',
    "UNKNOWN_ESCAPE": lambda e: f"unknown escape `\\{e.text}` in a string",
    "REGEX_NOT_CLOSED": lambda e: 'a regex `#"` is never closed',
    "DUPLICATE_ITEM": lambda e: f"duplicate item {e.text} in a set",
    "UNKNOWN_SYMBOLIC": lambda e: f"unknown symbolic value `##{e.text}`",
    "TAG_WITHOUT_VALUE": lambda e: f"the tag `#{e.text}` has no value after it",
    "BAD_DISPATCH": lambda e: f"`#{e.text}` is not something EDN can hold",
    "BAD_NAMESPACED_MAP": lambda e: "`#:` must be followed by a namespace and a map",
    "BACKSLASH_AT_END": lambda e: "a `\\` at the end of the text",
    "UNKNOWN_CHARACTER": lambda e: f"unknown character literal `\\{e.text}`",
    "NOT_A_KEYWORD": lambda e: f"`{e.text}` is not a keyword",
    "DIVIDES_BY_ZERO": lambda e: f"`{e.text}` divides by zero",
    "NOT_A_NUMBER": lambda e: f"`{e.text}` is not a number",
}


def edn_problem(err: Any) -> str:
    """What is wrong in the EDN text (an EdnError), without where."""
    return _EDN_PROBLEMS[err.problem.name](err)


# A page error's detail: what is said beside the page (its path is said by the list).
_DETAILS: dict[str, Callable[[Any], str]] = {
    "UnsafePathError": lambda e: f"refused to write: {unsafe_reason(e)}",
    "PageAppeared": lambda e: (
        "a file appeared here before vaultsync could create it; left it as it is"
    ),
    "ChangedSinceRead": lambda e: "changed on disk while being cleaned; left as it is, will retry",
    "LossCheckFailed": _lost,
    "PageUnreadable": lambda e: f"cannot read: {unreadable_reason(e)}",
    "WriteFailed": lambda e: f"not written: {write_reason(e)}",
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
    "HistoryUnavailable": lambda e: f"history store {e.path}: {history_reason(e)}",
    "StateFolderUnusable": lambda e: (
        f"state folder {e.folder}: cannot write {e.what}: "
        f"{state_folder_advice(e.errno, e.strerror)}"
    ),
    "DaemonRunning": lambda e: (
        f"already running (pid {e.pid}, state folder {e.state_dir}); one daemon "
        "watches every configured vault, so stop that one first if you want to restart it. "
        "`vaultsync status` shows what it watches"
    ),
    "LockWaitCancelled": lambda e: f"vault {e.root} is busy: stopped waiting for it",
    "LockBusy": lambda e: f"vault {e.root} is busy: another vaultsync pass holds it",
    # A usage error raised with a message the renderer made already (render/commands.py).
    "UsageError": lambda e: e.message,
    # The service unit or agent.
    "UnitTextRefused": _unit_text,
    "AgentTextRefused": lambda e: (
        f"cannot write {e.text!r} into the launchd agent: it holds a control character; {_RENAME}"
    ),
    "AgentNotWritten": lambda e: f"cannot write the launchd agent: {e.error}; {_RENAME}",
    "ServiceFileExists": lambda e: f"{e.path} exists; use --force to overwrite it",
    "NoServiceManager": lambda e: (
        f"no service manager support on {e.platform}"
        + (
            "; see docs/running-in-background.md for running `vaultsync run` in the "
            "background by hand"
            if e.installing
            else ""
        )
    ),
    # Vaults and their folders (`where`: the config key the path came from, if any).
    "VaultPathControl": lambda e: f"{_where(e)}{e.path!r}: the path {control_character(e.control)}",
    "VaultFolderMissing": lambda e: (
        f"{_where(e)}{e.root}: no such folder; check the path or create the folder"
    ),
    "VaultNotAFolder": lambda e: (
        f"{_where(e)}{e.root}: not a folder; a vault is the folder holding your notes"
    ),
    "VaultRefused": lambda e: f"{_where(e)}{vault_refused(e.reason)}",
    "MissingVault": lambda e: (
        f"vault {e.name!r}: its folder {e.root} is missing (a drive not plugged in?); "
        "it is left out until the folder is there"
    ),
    "NoVaultToWorkOn": lambda e: (
        "no vault to work on: name one with --vault PATH, or add vaults to the config "
        "(`vaultsync config init` writes a commented example)"
    ),
    "UnknownVault": lambda e: (
        f"--vault {e.wanted!r}: no configured vault has that name, and there is no folder "
        f"{e.wanted!r} here; configured vaults: "
        + (", ".join(repr(name) for name in e.configured) or "none")
    ),
    # vaultsync's own files: the state folder, the log file, the lease's machine id.
    "SharedStateFolder": lambda e: (
        f"{e.folder}: others may write this state folder, and {e.sub} is not a folder "
        "of your own (owned by you, writable by you only); vaultsync changes the mode of "
        "neither. "
        "Remove it, or set `state_dir` (or $VAULTSYNC_STATE_DIR) to a folder of your own"
    ),
    "StateMoveBlocked": lambda e: (
        f"{e.folder}: a vaultsync daemon (pid {e.pid}) keeps its state here, a folder others "
        f"may write; stop it, then run again: its state moves to the private {e.sub}"
    ),
    "LogFileUnusable": lambda e: (
        f"log file {e.path}: cannot open it for appending: {os_words(e.error)}; "
        "check that its folder exists and is writable"
    ),
    "PrivateFolderIsFile": lambda e: (
        f"{e.path}: is a file, but vaultsync needs a folder there; move the file away"
    ),
    "PrivateFolderUnusable": lambda e: (
        f"{e.path}: cannot create or use this folder: {os_words(e.error)}; "
        "check its permissions or choose another place"
    ),
    "MachineIdUnwritable": lambda e: (
        f"{e.path}: cannot keep this machine's id there: {os_words(e.error)}; "
        "check the state folder's permissions"
    ),
    "BadSeconds": lambda e: f"${e.name} is {e.raw!r}: give a number of seconds, 0 or more",
    "HeartbeatTooLong": lambda e: (
        f"${e.name} is {e.heartbeat:g}: it must be more than 0 and less than "
        f"${e.ttl_name} ({e.ttl:g}), or the lease expires between heartbeats"
    ),
    "DemoFolderTaken": lambda e: (
        f"{e.path} exists (from an earlier demo?); give --keep an empty or new "
        "folder, or remove that one"
    ),
    # The core's errors (the core words nothing itself).
    "UnsafeName": lambda e: _NAME_PROBLEMS[e.problem.name](e),
    "EdnError": lambda e: f"line {e.line}, column {e.column}: {edn_problem(e)}",
    "NotUtf8": lambda e: (
        f"bytes that are not UTF-8 at line {e.line}, column {e.column}; "
        "left untouched (re-save the page as UTF-8 to have it cleaned)"
    ),
    # A glob pattern's problem, as config validation lists it beside the pattern.
    "BadPattern": lambda e: _PATTERN_PROBLEMS[e.problem.value],
    "UnclosedBracket": lambda e: f"'[' without a closing ']' in {e.segment!r}",
    # Why a canvas's references cannot be read (beside the skipped canvas).
    "BadCanvas": lambda e: _CANVAS_PROBLEMS[e.problem.value](e),
    # A state cache row that does not decode (logged in the note "state cache damaged").
    "DamagedRow": lambda e: f"unknown kind {e.kind!r}",
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


def error_words(err: BaseException) -> str | None:
    """The words of an error with words here (`VaultsyncError.__str__` asks), else None."""
    words = _words(err)
    if words is None:
        return None
    kind, say = words
    if kind == "message":
        return say(err)
    path = getattr(err, "path", None)
    return f"{'page' if path is None else path}: {say(err)}"


def error_message(err: BaseException) -> str:
    """Any error in words, as the CLI and the daemon's log show it (without a prefix): a
    vaultsync error from its fields (ConfigError through the config's own formatter), anything
    else as what it is, a bug."""
    words = error_words(err)
    if words is not None:
        return words
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
