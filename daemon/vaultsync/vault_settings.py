"""The settings of a Logseq graph's `logseq/config.edn` that a pass follows (`logseq_settings`):
`:pages-directory`, `:journals-directory`, `:file/name-format` and `:hidden`, read as Logseq
reads them, with Logseq's defaults and a problem to report where the file cannot be followed;
which of them differ between two readings (`setting_changes`, for the daemon, which follows
the file while it runs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vaultsync.core import edn
from vaultsync.core.text import NotUtf8, decode
from vaultsync.ignore import hidden_patterns
from vaultsync.render import error_message

#: The file, relative to the graph's folder (the daemon watches it).
CONFIG_EDN = "logseq/config.edn"

#: The settings followed: (EDN key, attribute of LogseqSettings and of vault.Vault).
FOLLOWED: tuple[tuple[str, str], ...] = (
    ("pages-directory", "pages_dir"),
    ("journals-directory", "journals_dir"),
    ("file/name-format", "name_format"),
    ("hidden", "hidden"),
)


@dataclass(frozen=True)
class LogseqSettings:
    """The settings of logseq/config.edn we follow, Logseq's defaults where a key is missing.
    `problems`: what made us fall back to a default (the file broken, a value of a wrong type)."""

    pages_dir: str = "pages"
    journals_dir: str = "journals"
    name_format: str = "legacy"  # Logseq's when the key is missing (new graphs write it)
    hidden: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    # Why the file could not be read as a whole (where, what; "" when it could, or is missing):
    # these settings are then Logseq's defaults, and the daemon keeps its last good ones.
    broken: str = ""
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
        return _unreadable(path, f"cannot read it ({err.strerror})")
    try:
        config = edn.read(decode(data))
    except NotUtf8 as err:
        return _unreadable(path, f"line {err.line}, column {err.column}: bytes that are not UTF-8")
    except edn.EdnError as err:
        return _unreadable(path, error_message(err))  # its words and where: render's
    if config is None:
        return LogseqSettings()  # only comments: every setting is Logseq's default
    if not isinstance(config, dict):
        return _unreadable(path, "holds no settings map (`{…}`) at its top")
    return _settings_of(path, config)


def setting_changes(old: object, new: object) -> list[tuple[str, object, object]]:
    """The followed settings that differ between `old` and `new` (a LogseqSettings or a
    vault.Vault, which carry them under the same names): (EDN key, old value, new value)."""
    return [
        (key, getattr(old, name), getattr(new, name))
        for key, name in FOLLOWED
        if getattr(old, name) != getattr(new, name)
    ]


def _unreadable(path: Path, why: str) -> LogseqSettings:
    defaults = "Logseq's defaults are used for this graph until it is fixed"
    return LogseqSettings(problems=(f"{path}: {why}; {defaults}",), broken=why)


def _settings_of(path: Path, config: dict) -> LogseqSettings:
    problems: list[str] = []
    where = getattr(config, "where", {})

    def value(key: str, kind: type, default: object, what: str) -> object:
        keyword = edn.Keyword(key)
        if keyword not in config:
            return default
        found = config[keyword]
        if isinstance(found, kind):
            return found
        line, column = where.get(keyword, (0, 0))
        problems.append(
            f"{path}: line {line}, column {column}: `:{key}` should be {what}; "
            f"using Logseq's default for it"
        )
        return default

    def folder(key: str, default: str) -> str:
        given = value(key, str, default, f'a folder name such as "{default}"')
        inside = _folder(given)
        if not inside:
            line, column = where.get(edn.Keyword(key), (0, 0))
            problems.append(
                f"{path}: line {line}, column {column}: `:{key}` {given!r} is not a folder "
                f"inside the graph; using {default}/"
            )
        return inside or default

    pages = folder("pages-directory", "pages")
    journals = folder("journals-directory", "journals")
    fmt = value("file/name-format", edn.Keyword, None, "`:triple-lowbar` or `:legacy`")
    hidden = value("hidden", tuple, (), 'a vector of paths such as ["/archived"]')
    entries = tuple(e for e in hidden if isinstance(e, str))  # type: ignore[union-attr]
    _, unusable = hidden_patterns(entries)
    if unusable:
        names = ", ".join(f'"{e}"' for e in unusable)
        problems.append(
            f"{path}: `:hidden` entries not followed (they would hide the whole "
            f"graph or leave it): {names}"
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
