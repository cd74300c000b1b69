"""The settings of a Logseq graph's `logseq/config.edn` that a pass follows (`logseq_settings`):
`:pages-directory`, `:journals-directory`, `:file/name-format` and `:hidden`, read as Logseq
reads them, with Logseq's defaults and a problem to report where the file cannot be followed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vaultsync.core import edn
from vaultsync.core.text import NotUtf8, decode
from vaultsync.ignore import hidden_patterns


@dataclass(frozen=True)
class LogseqSettings:
    """The settings of logseq/config.edn we follow, Logseq's defaults where a key is missing.
    `problems`: what made us fall back to a default (the file broken, a value of a wrong type)."""

    pages_dir: str = "pages"
    journals_dir: str = "journals"
    name_format: str = "legacy"  # Logseq's when the key is missing (new graphs write it)
    hidden: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def logseq_settings(root: Path) -> LogseqSettings:
    """Read `:pages-directory`, `:journals-directory`, `:file/name-format` and `:hidden` from
    the graph's logseq/config.edn as Logseq reads them (an EDN map: comments, `#_` discards and
    strings are never settings). A file that cannot be read as a whole gives Logseq's defaults,
    with the problem (file, line, what) in `problems`."""
    path = root / "logseq" / "config.edn"
    defaults = "Logseq's defaults are used for this graph until it is fixed"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return LogseqSettings()
    except OSError as err:
        return LogseqSettings(problems=(f"{path}: cannot read it ({err.strerror}); {defaults}",))
    try:
        config = edn.read(decode(data))
    except NotUtf8 as err:
        where = f"line {err.line}, column {err.column}"
        problem = f"{path}: {where}: bytes that are not UTF-8; {defaults}"
        return LogseqSettings(problems=(problem,))
    except edn.EdnError as err:
        return LogseqSettings(problems=(f"{path}: {err}; {defaults}",))
    if config is None:
        return LogseqSettings()  # only comments: every setting is Logseq's default
    if not isinstance(config, dict):
        problem = f"{path}: holds no settings map (`{{…}}`) at its top; {defaults}"
        return LogseqSettings(problems=(problem,))
    return _settings_of(path, config)


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
