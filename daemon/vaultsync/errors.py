"""Errors a user can cause. Each carries named fields, not sentences: their words are made in
`render.py` (`str(err)` and `PageError.detail()` ask it), and `cli.report_error` is the one place
an error becomes a CLI message. The config's own formatter (`ConfigProblem.render`,
`ConfigError.__str__`) stays here, beside the problems it lists.

Anything raised that is not a `VaultsyncError` is a bug in vaultsync, and is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vaultsync.render import error_detail, error_message
from vaultsync.render import state_folder_advice as state_folder_advice  # its old home


class VaultsyncError(Exception):
    """Base class: something the user can fix. `str(err)` is the message shown to the user."""

    exit_code = 1

    def __str__(self) -> str:  # pragma: no cover - subclasses override
        return self.args[0] if self.args else self.__class__.__name__

    def reason_for(self, path: Path) -> str:
        """The message as a pass lists it beside the page `path` (the list names the page)."""
        return str(self)


class PageError(VaultsyncError):
    """An error about one page (or file), whose message is its path, a colon, then `detail()`:
    listed beside that page, the path is left out instead of being said twice."""

    path: Path | None

    def detail(self) -> str:
        return error_detail(self)

    def __str__(self) -> str:
        return error_message(self)

    def reason_for(self, path: Path) -> str:
        return self.detail() if str(self.path) == str(path) else str(self)


def page_reason(err: Exception, path: Path) -> str:
    """Why the page `path` was skipped or failed, as a pass's report lists it."""
    return err.reason_for(path) if isinstance(err, VaultsyncError) else str(err)


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


@dataclass(eq=False)
class ConfigError(VaultsyncError):
    """The config file cannot be used. Lists every problem found, not just the first."""

    path: Path | None
    problems: list[ConfigProblem] = field(default_factory=list)
    exit_code = 2

    def __str__(self) -> str:
        name = str(self.path) if self.path else "configuration"
        if len(self.problems) == 1:
            return f"{name}: {self.problems[0].render()}"
        lines = [f"{name}: {len(self.problems)} problems"]
        lines += [f"  - {p.render()}" for p in self.problems]
        return "\n".join(lines)


@dataclass(eq=False)
class UsageError(VaultsyncError):
    """The command line asks for something that cannot be done as asked."""

    message: str
    exit_code = 2

    def __str__(self) -> str:
        return self.message


@dataclass(eq=False)
class UnsafePathError(PageError):
    """A write was asked for a path outside every configured vault, or through a link leaving it."""

    path: Path
    reason: str


@dataclass(eq=False)
class ChangedSinceRead(PageError):
    """The page changed on disk after it was read; the result was dropped and will be retried."""

    path: Path


@dataclass(eq=False)
class LossCheckFailed(PageError):
    """The no-loss check found something of the input missing from the output: nothing written."""

    path: Path | None
    missing: list[str]


@dataclass(eq=False)
class PageUnreadable(PageError):
    """A page could not be read: it is skipped, the reason says what to check."""

    path: Path
    reason: str


@dataclass(eq=False)
class PageVanished(PageUnreadable):
    """The page was deleted or moved before it could be read; callers may ignore this quietly."""

    reason: str = "cannot read: it was deleted or moved away"


@dataclass(eq=False)
class PageAppeared(ChangedSinceRead):
    """A file appeared where vaultsync was about to create one; it was left as it is."""


@dataclass(eq=False)
class WriteFailed(PageError):
    """A page could not be written; the page on disk is unchanged."""

    path: Path
    reason: str


class HistoryError(VaultsyncError):
    """Base class for problems with the store of previous page versions."""


@dataclass(eq=False)
class NoHistory(HistoryError):
    """No previous version of this page was ever saved."""

    path: Path

    def __str__(self) -> str:
        return error_message(self)


@dataclass(eq=False)
class NoSuchVersion(HistoryError, PageError):
    """The version number asked for is not in the page's history."""

    path: Path
    number: int
    available: int


@dataclass(eq=False)
class HistoryUnavailable(HistoryError):
    """The history folder cannot be read or written (permissions, full disk, damaged files)."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return error_message(self)


@dataclass(eq=False)
class StateFolderUnusable(VaultsyncError):
    """vaultsync cannot write its own files (locks, pid file) in its state folder: full disk,
    read-only file system, no permission. Nothing in a vault was written."""

    folder: Path
    what: str  # the file it needed, e.g. "the lock of vault /home/u/notes"
    errno: int | None
    strerror: str = ""

    def __str__(self) -> str:
        return error_message(self)
