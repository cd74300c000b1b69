"""Every error's words. The errors (errors.py, locks.py) carry fields only; their `str()` asks
this module, so a message reads the same wherever it is shown. Looked up by class name along
the error's MRO, so this module never imports the errors back (no import cycle)."""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

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
