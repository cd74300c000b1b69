"""Why an operation of the layers below a pass failed, in words: the kinds in problems.py
(the writer's refusals, unreadable pages, failed writes, the history store's problems) from
the fields of the error carrying one. render/errors.py puts them into whole messages."""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any

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


def os_words(error: BaseException) -> str:
    """An OSError as its strerror (its text when it has none)."""
    return str(getattr(error, "strerror", None) or error)


# ---------------------------------------------------------------- the history store's reasons


def _history_os(err: OSError) -> str:
    """What went wrong with the state folder, said so a user knows what to do."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) or isinstance(err, PermissionError):
        return state_folder_advice(err.errno, err.strerror)
    return err.strerror or str(err)


# What the history store could not do (HistoryUnavailable's `why`, by name); `error` follows.
_HISTORY: dict[str, Callable[[Any], str]] = {
    "NOT_READ": lambda e: "cannot read it",
    "NOT_CREATED": lambda e: "cannot create it",
    "COPY_NOT_SAVED": lambda e: f"cannot save a copy of {e.page} before rewriting it",
    "COPIES_NOT_SAVED": lambda e: "cannot save the copies of the pages about to be rewritten",
    "NOT_PRUNED": lambda e: "cannot prune the saved copies",
    "RESTORE_NOT_RECORDED": lambda e: f"cannot record the restore of {e.page}",
    "NOT_RELEASED": lambda e: f"cannot release {e.page}",
    "PRUNED": lambda e: "this version was removed meanwhile (pruned); list them again",
    "DAMAGED": lambda e: "this saved copy is damaged (its checksum does not match)",
}


def _history(e: Any) -> str:
    what = _HISTORY[e.why.name](e)
    return what if e.error is None else f"{what}: {_history_os(e.error)}"


# ---------------------------------------------------------------- the writer's reasons


def _look(e: Any) -> str:
    return f"cannot look into {e.folder}: permission denied; check its permissions"


_CONTROL = "the file name contains a control character (such as a line break or tab)"

# Why a path may not be written (UnsafePathError's `why`, by name), from its fields.
_UNSAFE: dict[str, Callable[[Any], str]] = {
    "OUTSIDE": lambda e: "it is outside every configured vault",
    "NO_VAULT": lambda e: "no vault is configured",
    "NUL": lambda e: "the path contains a NUL character",
    "EMPTY_NAME": lambda e: "the file name is empty",
    "NOT_A_NAME": lambda e: f"'{e.path.name}' is not a file name",
    "NAME_NUL": lambda e: "the file name contains a NUL character",
    "NAME_CONTROL": lambda e: _CONTROL,
    "NAME_TOO_LONG": lambda e: (
        f"the file name is longer than {e.limit} bytes, the limit of most filesystems"
    ),
    "NO_FOLDER": lambda e: f"its folder {e.folder} does not exist",
    "PART_IS_FILE": lambda e: f"part of {e.folder} is a file, not a folder",
    "NO_LOOK": _look,
    "LINK_LOOP": lambda e: f"{e.folder} contains a symbolic link loop",
    "NOT_LOOKED_INTO": lambda e: f"cannot look into {e.folder}: {os_words(e.error)}",
    "NOT_A_FOLDER": lambda e: f"{e.folder} is not a folder",
    "LINK_OUT": lambda e: (
        f"{e.folder} leads to {e.real} (through a symbolic link), outside every vault"
    ),
    "NOT_INSPECTED": lambda e: f"cannot inspect it: {os_words(e.error)}",
    "IS_LINK": lambda e: "it is a symbolic link; vaultsync does not write through links",
    "FOLDER_MOVED": lambda e: f"{e.folder} was moved or replaced just now; not written",
    "FOLDER_REPLACED": lambda e: (
        f"{e.folder} is no longer a folder (it was replaced by a symbolic link or a file "
        "just now); nothing was written"
    ),
    "FOLDER_GONE": lambda e: f"{e.folder} was moved or removed just now; nothing written",
    "IN_THE_WAY": lambda e: f"{e.folder} exists and is not a folder",
}


def unsafe_reason(err: Any) -> str:
    """Why the guard refused a path (an UnsafePathError), without "refused to write: "."""
    return _UNSAFE[err.why.name](err)


def describe_size(n: int) -> str:
    """A size in bytes as a person reads it: 512 bytes, 3.0 KiB, 1.5 MiB."""
    if n >= 2**20:
        return f"{n / 2**20:.1f} MiB"
    if n >= 2**10:
        return f"{n / 2**10:.1f} KiB"
    return f"{n} bytes"


def _too_large(e: Any) -> str:
    size, limit = describe_size(e.size), describe_size(e.limit)
    if size == limit:  # rounded to the same: the exact numbers tell them apart
        size, limit = f"{e.size} bytes", f"{e.limit} bytes"
    return f"it is {size}, larger than the {limit} limit for a page; vaultsync leaves it alone"


# Why a page could not be read (PageUnreadable's `why`, by name), after "cannot read: ".
_UNREADABLE: dict[str, Callable[[Any], str]] = {
    "VANISHED": lambda e: "it was deleted or moved away",
    "DENIED": lambda e: "permission denied; check the file's permissions",
    "LINK_LOOP": lambda e: "it is a symbolic link that loops back on itself; fix or remove it",
    "NAME_TOO_LONG": lambda e: "the file name is too long",
    "FAILED": lambda e: os_words(e.error),
    "FOLDER": lambda e: "it is a folder, not a page",
    "NOT_REGULAR": lambda e: "it is not a regular file",
    "TOO_LARGE": _too_large,
    "GREW": lambda e: f"it is larger than {describe_size(e.limit)}",
}


def _not_written(e: Any) -> str:
    err = e.error
    if isinstance(err, PermissionError) or getattr(err, "errno", None) == errno.EROFS:
        return (
            f"cannot write into {e.folder}: read-only or permission denied; "
            "vaultsync needs write access to the vault"
        )
    if getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot write into {e.folder}: the disk is full (or over quota); free some space"
    return f"cannot write into {e.folder}: {os_words(err)}"


def _late_write(e: Any) -> str:
    kept = (
        "the version with the first write is in the history (`vaultsync history`)"
        if e.kept
        else "the first write could not be put back"
    )
    return f"another program wrote to it while it was replaced, and again just after; {kept}"


# Why a page was not written (WriteFailed's `why`, by name), after "not written: ".
_WRITE_PROBLEMS: dict[str, Callable[[Any], str]] = {
    "NOT_WRITTEN": _not_written,
    "NOT_FLUSHED": lambda e: (
        f"written, but {e.folder} could not be flushed to disk: {os_words(e.error)}"
    ),
    "LATE_WRITE": _late_write,
    "TEMP_NOT_FLUSHED": lambda e: (
        f"cannot be flushed to disk: {os_words(e.error)}; nothing was replaced"
    ),
    "NO_HISTORY_COPY": lambda e: str(e.error),
}

# The words an OSError the writer makes carries as its strerror (read back as `_why` does).
_STRERRORS = {
    "not a folder": "exists and is not a folder",
    "not a plain name": "not a plain folder name",
}


def strerror_words(event: str) -> str:
    """The strerror of an OSError the writer raises itself (`FileExistsError(errno.EEXIST,
    strerror_words("not a folder"), path)`), shown where such an error's strerror is."""
    return _STRERRORS[event]


def history_reason(err: Any) -> str:
    """What the history store could not do (a HistoryUnavailable), after its path."""
    return _history(err)


def unreadable_reason(err: Any) -> str:
    """Why a page could not be read (a PageUnreadable), after "cannot read: "."""
    return _UNREADABLE[err.why.name](err)


def write_reason(err: Any) -> str:
    """Why a page was not written (a WriteFailed), after "not written: "."""
    return _WRITE_PROBLEMS[err.why.name](err)
