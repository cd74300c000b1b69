"""The kinds of problem an error carries (errors.py's fields): each an Enum whose members
render/errors.py words by name; and ConfigProblem, one problem ConfigError lists. Apart from
errors.py so that module stays one screenful of classes; errors.py re-exports them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Unsafe(Enum):
    """Why a path may not be written (UnsafePathError's `why`), worded in render/errors.py."""

    OUTSIDE = "outside every vault"
    NO_VAULT = "no vault configured"
    NUL = "NUL in the path"
    EMPTY_NAME = "empty name"
    NOT_A_NAME = "'.' or '..'"  # the path's last part, `path.name`
    NAME_NUL = "NUL in the name"
    NAME_CONTROL = "control character in the name"
    NAME_TOO_LONG = "name too long"  # `limit`: the most bytes a name may have
    NO_FOLDER = "folder missing"  # `folder`
    PART_IS_FILE = "part of the folder is a file"  # `folder`
    NO_LOOK = "folder not readable"  # `folder`: permission denied
    LINK_LOOP = "symbolic link loop"  # `folder`
    NOT_LOOKED_INTO = "folder not looked into"  # `folder`, `error`
    NOT_A_FOLDER = "not a folder"  # `folder`
    LINK_OUT = "link out of the vault"  # `folder` leads to `real`
    NOT_INSPECTED = "not inspected"  # `error`
    IS_LINK = "a symbolic link"
    FOLDER_MOVED = "folder moved"  # `folder`: moved or replaced before the rename
    FOLDER_REPLACED = "folder replaced"  # `folder`: now a link or a file
    FOLDER_GONE = "folder gone"  # `folder`: moved or removed
    IN_THE_WAY = "a file in the way"  # `folder`: a file where a folder is to be made


class Unreadable(Enum):
    """Why a page could not be read (PageUnreadable's `why`), worded in render/errors.py."""

    VANISHED = "deleted or moved away"
    DENIED = "permission denied"
    LINK_LOOP = "symbolic link loop"
    NAME_TOO_LONG = "name too long"
    FAILED = "the system refused"  # `error`
    FOLDER = "a folder"
    NOT_REGULAR = "not a regular file"
    TOO_LARGE = "too large"  # `size` bytes, over `limit`
    GREW = "grew too large"  # while read: over `limit` bytes


class WriteProblem(Enum):
    """Why a page was not written (WriteFailed's `why`), worded in render/errors.py."""

    NOT_WRITTEN = "cannot write into the folder"  # `folder`, the OSError `error`
    NOT_FLUSHED = "written, folder not flushed"  # `folder`, `error`
    LATE_WRITE = "another write came just after"  # `kept`: its bytes are in the history
    TEMP_NOT_FLUSHED = "temp files not flushed"  # `error`: nothing was replaced
    NO_HISTORY_COPY = "history copies not saved"  # `error`: the history store's error


class HistoryProblem(Enum):
    """What the history store could not do (HistoryUnavailable's `why`), worded in
    render/errors.py; most carry the OSError `error`, some the `page` concerned."""

    NOT_READ = "cannot read"
    NOT_CREATED = "cannot create"
    COPY_NOT_SAVED = "copy not saved"  # `page`
    COPIES_NOT_SAVED = "copies not saved"
    NOT_PRUNED = "not pruned"
    RESTORE_NOT_RECORDED = "restore not recorded"  # `page`
    NOT_RELEASED = "not released"  # `page`
    PRUNED = "removed meanwhile"  # no `error`
    DAMAGED = "checksum mismatch"  # no `error`


@dataclass
class ConfigProblem:
    """One problem in a config file: where it is and what to do."""

    message: str
    key: str | None = None  # a key path such as "vaults[0].path"
    line: int | None = None  # 1-based line in the YAML file, when known

    def render(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.key:
            where.append(f"'{self.key}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class PatternProblem(Enum):
    """What makes a glob pattern unusable (besides an unclosed '[')."""

    EMPTY = "empty"
    BACKSLASH = "backslash"
    LEAVES_VAULT = "leaves the vault"
    WHOLE_VAULT = "whole vault"


class CanvasProblem(Enum):
    """Why an Obsidian canvas's references cannot be read."""

    NOT_UTF8 = "not utf-8"
    BAD_JSON = "bad json"
    TOO_DEEP = "too deep"
    NOT_A_CANVAS = "not a canvas"
