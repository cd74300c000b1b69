"""The settings of a Logseq graph's `logseq/config.edn` that a pass follows (`logseq_settings`):
`:pages-directory`, `:journals-directory`, `:file/name-format` and `:hidden`, read as Logseq
reads them, with Logseq's defaults and a problem to report where the file cannot be followed;
which of them differ between two readings (`setting_changes`, for the daemon, which follows
the file while it runs)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from vaultsync.core import edn
from vaultsync.core.text import NotUtf8, decode
from vaultsync.ignore import hidden_patterns
from vaultsync.render.errors import edn_problem

#: The file, relative to the graph's folder (the daemon watches it).
CONFIG_EDN = "logseq/config.edn"

#: The settings followed: (EDN key, attribute of LogseqSettings and of vault.Vault).
FOLLOWED: tuple[tuple[str, str], ...] = (
    ("pages-directory", "pages_dir"),
    ("journals-directory", "journals_dir"),
    ("file/name-format", "name_format"),
    ("hidden", "hidden"),
)


class Unreadable(Enum):
    """Why config.edn could not be read as a whole."""

    OS_ERROR = "os error"  # `detail`: the strerror
    NOT_UTF8 = "not utf-8"  # at `line`, `column`
    EDN = "edn"  # not EDN at `line`, `column`; `detail`: what the EDN reader says
    NOT_A_MAP = "not a map"  # no settings map at its top


@dataclass(frozen=True)
class Broken:
    """Why the file could not be read (worded by `render.settings_broken`)."""

    kind: Unreadable
    line: int = 0
    column: int = 0
    detail: str = ""


class Trouble(Enum):
    """A problem with config.edn that made a setting fall back to a default."""

    BROKEN = "broken"  # the whole file (`broken`): Logseq's defaults throughout
    WRONG_TYPE = "wrong type"  # `key`'s value is of a wrong type
    NOT_INSIDE = "not inside"  # `key`'s folder (`given`) is not inside the graph
    HIDDEN_UNUSABLE = "hidden unusable"  # `:hidden` `entries` that would hide the whole graph


@dataclass(frozen=True)
class SettingProblem:
    """One problem with the file at `path` (worded by `render.setting_problem`): its kind, the
    key and where it is (line, column), the value given, the default used instead."""

    kind: Trouble
    path: Path
    key: str = ""
    line: int = 0
    column: int = 0
    given: object = None
    default: str = ""
    entries: tuple[str, ...] = ()
    broken: Broken | None = None


@dataclass(frozen=True)
class LogseqSettings:
    """The settings of logseq/config.edn we follow, Logseq's defaults where a key is missing.
    `problems`: what made us fall back to a default (the file broken, a value of a wrong type)."""

    pages_dir: str = "pages"
    journals_dir: str = "journals"
    name_format: str = "legacy"  # Logseq's when the key is missing (new graphs write it)
    hidden: tuple[str, ...] = ()
    problems: tuple[SettingProblem, ...] = ()
    # Why the file could not be read as a whole (None when it could, or is missing): these
    # settings are then Logseq's defaults, and the daemon keeps its last good ones.
    broken: Broken | None = None
    missing: bool = False  # no config.edn (or no graph folder): Logseq's defaults throughout


def logseq_settings(root: Path) -> LogseqSettings:
    """Read `:pages-directory`, `:journals-directory`, `:file/name-format` and `:hidden` from
    the graph's logseq/config.edn as Logseq reads them (an EDN map: comments, `#_` discards and
    strings are never settings). A file that cannot be read as a whole gives Logseq's defaults,
    with the problem (file, line, what) in `problems` and where and what in `broken`."""
    path = root / CONFIG_EDN
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return LogseqSettings(missing=True)
    except OSError as err:
        return _unreadable(path, Broken(Unreadable.OS_ERROR, detail=str(err.strerror)))
    try:
        config = edn.read(decode(data))
    except NotUtf8 as err:
        return _unreadable(path, Broken(Unreadable.NOT_UTF8, err.line, err.column))
    except edn.EdnError as err:
        # What is wrong, in render's words; where, as fields.
        return _unreadable(path, Broken(Unreadable.EDN, err.line, err.column, edn_problem(err)))
    if config is None:
        return LogseqSettings()  # only comments: every setting is Logseq's default
    if not isinstance(config, dict):
        return _unreadable(path, Broken(Unreadable.NOT_A_MAP))
    return _settings_of(path, config)


def setting_changes(old: object, new: object) -> list[tuple[str, object, object]]:
    """The followed settings that differ between `old` and `new` (a LogseqSettings or a
    vault.Vault, which carry them under the same names): (EDN key, old value, new value)."""
    return [
        (key, getattr(old, name), getattr(new, name))
        for key, name in FOLLOWED
        if getattr(old, name) != getattr(new, name)
    ]


def _unreadable(path: Path, why: Broken) -> LogseqSettings:
    problem = SettingProblem(Trouble.BROKEN, path, broken=why)
    return LogseqSettings(problems=(problem,), broken=why)


def _settings_of(path: Path, config: dict) -> LogseqSettings:
    problems: list[SettingProblem] = []
    where = getattr(config, "where", {})

    # (`shown`: the default named in the problem's words, for a folder setting.)
    def value(key: str, kind: type, default: object, shown: str = "") -> object:
        keyword = edn.Keyword(key)
        if keyword not in config:
            return default
        found = config[keyword]
        if isinstance(found, kind):
            return found
        line, column = where.get(keyword, (0, 0))
        problems.append(SettingProblem(Trouble.WRONG_TYPE, path, key, line, column, default=shown))
        return default

    def folder(key: str, default: str) -> str:
        given = value(key, str, default, default)
        inside = _folder(given)
        if not inside:
            line, column = where.get(edn.Keyword(key), (0, 0))
            problems.append(
                SettingProblem(Trouble.NOT_INSIDE, path, key, line, column, given, default)
            )
        return inside or default

    pages = folder("pages-directory", "pages")
    journals = folder("journals-directory", "journals")
    fmt = value("file/name-format", edn.Keyword, None)
    hidden = value("hidden", tuple, ())
    entries = tuple(e for e in hidden if isinstance(e, str))  # type: ignore[union-attr]
    _, unusable = hidden_patterns(entries)
    if unusable:
        problems.append(
            SettingProblem(Trouble.HIDDEN_UNUSABLE, path, "hidden", entries=tuple(unusable))
        )
    return LogseqSettings(
        pages_dir=pages,
        journals_dir=journals,
        # Logseq treats every value but :triple-lowbar as the legacy format.
        name_format="triple-lowbar" if fmt == edn.Keyword("triple-lowbar") else "legacy",
        hidden=entries,
        problems=tuple(problems),
    )


def _folder(value: object) -> str:
    """A graph-relative folder as Logseq names it (`"notes/"`, `"./notes"` mean `notes`); ""
    when it is empty or would leave the graph (we then use the default)."""
    text = str(value).replace("\\", "/").strip()
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or ".." in parts or Path(text).is_absolute():
        return ""
    return "/".join(parts)
