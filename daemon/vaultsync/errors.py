"""Errors a user can cause. Each carries named fields, not sentences: their words are made in
`render/errors.py` (`str(err)` and `PageError.detail()` ask it), and `cli.report_error` is the
one place an error becomes a CLI message. The config's own formatter (`ConfigProblem.render`,
`ConfigError.__str__`) stays here, beside the problems it lists.

Anything raised that is not a `VaultsyncError` is a bug in vaultsync, and is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vaultsync.problems import CanvasProblem as CanvasProblem
from vaultsync.problems import ConfigProblem as ConfigProblem
from vaultsync.problems import HistoryProblem as HistoryProblem
from vaultsync.problems import PatternProblem as PatternProblem
from vaultsync.problems import Unreadable as Unreadable
from vaultsync.problems import Unsafe as Unsafe
from vaultsync.problems import WriteProblem as WriteProblem
from vaultsync.render import error_detail, error_message, error_words
from vaultsync.render import state_folder_advice as state_folder_advice  # its old home


class VaultsyncError(Exception):
    """Base class: something the user can fix. `str(err)` is the message shown to the user."""

    exit_code = 1

    def __str__(self) -> str:
        # Its words from render/errors.py when it has any there (looked up by class).
        words = error_words(self)
        if words is not None:
            return words
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


class UsageError(VaultsyncError):
    """The command line asks for something that cannot be done as asked. Raised with a
    message made by the renderer (`UsageError(render.not_in_a_vault(path))`), or as one of the
    subclasses below, which carry fields."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(eq=False)
class UnsafePathError(PageError):
    """A write was asked for a path outside every configured vault, or through a link leaving
    it: `why` and the fields it names (`folder`, `real`, the OSError `error`, `limit`)."""

    path: Path
    why: Unsafe
    folder: Path | None = None
    real: Path | None = None
    error: OSError | None = None
    limit: int = 0


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
    """A page could not be read: it is skipped; `why` (and `error`, `size`, `limit`) say what
    to check."""

    path: Path
    why: Unreadable
    error: OSError | None = None
    size: int = 0
    limit: int = 0


@dataclass(eq=False)
class PageVanished(PageUnreadable):
    """The page was deleted or moved before it could be read; callers may ignore this quietly."""

    why: Unreadable = Unreadable.VANISHED


@dataclass(eq=False)
class PageAppeared(ChangedSinceRead):
    """A file appeared where vaultsync was about to create one; it was left as it is."""


@dataclass(eq=False)
class WriteFailed(PageError):
    """A page could not be written; the page on disk is unchanged. `why` and its fields say
    why (`folder`, `error`, `kept`)."""

    path: Path
    why: WriteProblem
    folder: Path | None = None
    error: BaseException | None = None
    kept: bool = False


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
    """The history folder cannot be read or written (permissions, full disk, damaged files):
    `why`, the `page` it was about (if any) and the OSError `error` (if any)."""

    path: Path
    why: HistoryProblem
    page: Path | None = None
    error: OSError | None = None

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


# ---------------------------------------------------------------- the service unit or agent


@dataclass(eq=False)
class UnitTextRefused(UsageError):
    """A path that cannot be written into the systemd unit: a control character in it
    (`control`, its code point) or text that is not UTF-8 (`control` None)."""

    text: str
    control: int | None


@dataclass(eq=False)
class AgentTextRefused(UsageError):
    """A path holding a control character, which a launchd agent (an XML plist) cannot hold."""

    text: str


@dataclass(eq=False)
class AgentNotWritten(UsageError):
    """plistlib could not write the launchd agent; `error` says why."""

    error: Exception


@dataclass(eq=False)
class ServiceFileExists(UsageError):
    """The unit or agent is already installed and --force was not given."""

    path: Path


@dataclass(eq=False)
class NoServiceManager(UsageError):
    """No service manager vaultsync can install into on this platform (`installing`: the
    message points to running it by hand)."""

    platform: str
    installing: bool = True


# ---------------------------------------------------------------- vaults and their folders


@dataclass(eq=False)
class VaultPathControl(UsageError):
    """A vault path holding a control character; `control` says which (a
    `paths.ControlCharacter`)."""

    where: str  # the config key it came from ("vaults[0].path"), or "" on the command line
    path: str
    control: object


@dataclass(eq=False)
class VaultFolderMissing(UsageError):
    """A vault path naming no folder."""

    where: str
    root: Path


@dataclass(eq=False)
class VaultNotAFolder(UsageError):
    """A vault path naming a file."""

    where: str
    root: Path


@dataclass(eq=False)
class VaultRefused(UsageError):
    """A folder that cannot be a vault: `reason` is a `paths.UnsafeVault` (a system or home
    folder) or a `vault_kind.Detection` (its kind cannot be told)."""

    where: str
    reason: object


@dataclass(eq=False)
class MissingVault(UsageError):
    """A configured vault whose folder is not there (a drive not plugged in)."""

    name: str
    root: Path


@dataclass(eq=False)
class NoVaultToWorkOn(UsageError):
    """No vault named with --vault and none configured."""


@dataclass(eq=False)
class UnknownVault(UsageError):
    """--vault names neither a configured vault nor a folder."""

    wanted: str
    configured: list[str]


# ---------------------------------------------------------------- vaultsync's own files


@dataclass(eq=False)
class SharedStateFolder(VaultsyncError):
    """The state folder may be written by others and its private subfolder `sub` is not a
    folder of this user's own."""

    folder: Path
    sub: Path


@dataclass(eq=False)
class StateMoveBlocked(VaultsyncError):
    """A daemon (`pid`) keeps its state in a folder others may write: its state cannot be
    moved into the private `sub` while it runs."""

    folder: Path
    pid: int
    sub: Path


@dataclass(eq=False)
class PrivateFolderIsFile(VaultsyncError):
    """A file stands where vaultsync needs one of its own (private) folders."""

    path: Path


@dataclass(eq=False)
class PrivateFolderUnusable(VaultsyncError):
    """One of vaultsync's own folders cannot be made or used; `error` says why."""

    path: Path
    error: OSError


@dataclass(eq=False)
class LogFileUnusable(UsageError):
    """The log file cannot be opened for appending."""

    path: Path
    error: OSError


@dataclass(eq=False)
class MachineIdUnwritable(VaultsyncError):
    """This machine's id (the vault lease's) cannot be kept in the state folder."""

    path: Path
    error: OSError


@dataclass(eq=False)
class BadSeconds(VaultsyncError):
    """An environment variable that should hold a number of seconds, 0 or more."""

    name: str  # the variable, without its `$`
    raw: str


@dataclass(eq=False)
class HeartbeatTooLong(VaultsyncError):
    """The lease's heartbeat is not between 0 and its time to live."""

    name: str
    heartbeat: float
    ttl_name: str
    ttl: float


@dataclass(eq=False)
class DemoFolderTaken(UsageError):
    """`demo --keep FOLDER` would copy its samples over `path`, which already exists."""

    path: Path


@dataclass(eq=False)
class BadPattern(VaultsyncError, ValueError):
    """A glob pattern that cannot be used (config validation lists it beside the pattern)."""

    problem: PatternProblem


@dataclass(eq=False)
class UnclosedBracket(VaultsyncError, ValueError):
    """A glob pattern's segment with a '[' and no ']' after it (config validation says so)."""

    segment: str


@dataclass(eq=False)
class DamagedRow(VaultsyncError, ValueError):
    """A state cache row that does not decode (the cache is dropped and the pages read)."""

    kind: object


@dataclass(eq=False)
class BadCanvas(VaultsyncError, ValueError):
    """A canvas file whose JSON cannot be read (listed as a skipped canvas's reason)."""

    problem: CanvasProblem
    byte: int | None = None  # NOT_UTF8: the offset of the first bad byte
    msg: str | None = None  # BAD_JSON: the JSON parser's complaint
    line: int | None = None  # BAD_JSON: where
