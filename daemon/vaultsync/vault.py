"""Which vaults a command works on, what kind each is, and how its files are named."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vaultsync.core import edn, formats, links
from vaultsync.core.model import Kind
from vaultsync.core.text import NotUtf8, decode
from vaultsync.errors import UsageError
from vaultsync.ignore import PathFilter, hidden_patterns, walk_entries
from vaultsync.paths import control_character_reason, unsafe_vault_reason

DEFAULT_INCLUDE = ("**/*.md",)
log = logging.getLogger("vaultsync")


# The Readwise plugin's default base folder in an Obsidian vault, and its sync log there.
READWISE_FOLDER = "Readwise"
SYNC_LOG = "Readwise Syncs.md"


@dataclass(frozen=True)
class Vault:
    """One vault as a pass sees it: resolved root, kind, filter and the app's naming settings."""

    name: str
    root: Path
    kind: Kind
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    poll: bool = False
    # Logseq: :file/name-format ("triple-lowbar" or "legacy") and the pages folder.
    name_format: str = "triple-lowbar"
    pages_dir: str = "pages"
    journals_dir: str = "journals"
    # Logseq's :hidden entries: what Logseq leaves out of the graph no pass walks or watches.
    hidden: tuple[str, ...] = ()
    # Obsidian: the Readwise plugin's base folder (relative, "/" between folders; None: not
    # used). A page inside it is Readwise's by its place when it has Readwise's shape.
    readwise_folder: str | None = READWISE_FOLDER
    path_filter: PathFilter = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        hidden, _ = hidden_patterns(self.hidden)
        object.__setattr__(self, "path_filter", PathFilter(self.include, self.exclude + hidden))

    def in_readwise_folder(self, rel: str) -> bool:
        """The page at `rel` (relative, "/" between folders) lies in the Readwise plugin's
        folder: Obsidian only (Logseq's plugin writes through Logseq, into pages/), and never
        the plugin's sync log (`Readwise Syncs.md` at the folder's top), which is not a source."""
        folder = self.readwise_folder
        if not formats.of(self.kind).plugin_folder or not folder:
            return False
        prefix = folder + "/"
        # (Compared case-insensitively: Obsidian runs on file systems that fold case.)
        if rel[: len(prefix)].casefold() != prefix.casefold():
            return False
        inside = rel[len(prefix) :]
        return inside.casefold() != SYNC_LOG.casefold() and inside.lower().endswith(".md")


# ---- what kind of folder ------------------------------------------------------------------------

# Only when a folder has both apps' markers are its pages looked at, and then only the first
# bytes of at most this many pages; the look stops once this many Readwise pages are found.
_DETECT_MAX_FILES = 3000
_DETECT_ENOUGH = 40
_DETECT_HEAD = 8192
# One app's Readwise pages settle it when the other's are none, or at most a tenth as many.
_DETECT_RATIO = 10


@dataclass(frozen=True)
class Detection:
    """What a folder is: `kind` (None when it cannot be told) and, when None, `problem`: one
    line naming what was found and the fix."""

    kind: Kind | None
    has_logseq: bool  # logseq/config.edn
    has_obsidian: bool  # .obsidian/
    problem: str = ""

    @property
    def is_vault(self) -> bool:
        """Either app's marker is there (a folder that is some vault, whichever)."""
        return self.has_logseq or self.has_obsidian


def detect_kind(folder: Path) -> Detection:
    """`logseq/config.edn` means Logseq, `.obsidian/` means Obsidian. A folder with both (opened
    in both apps) is judged by the Readwise pages it holds: Logseq's shape in its pages
    folder, or Obsidian's `## Highlights` notes; when that is unclear, `problem` says so."""
    is_logseq = (folder / "logseq" / "config.edn").is_file()
    is_obsidian = (folder / ".obsidian").is_dir()
    if is_logseq != is_obsidian:
        return Detection("logseq" if is_logseq else "obsidian", is_logseq, is_obsidian)
    fix = (
        "pass --kind logseq|obsidian, or set 'kind: logseq' or 'kind: obsidian' for this vault "
        "in the config"
    )
    if not is_logseq:
        return Detection(
            None,
            False,
            False,
            f"cannot tell what {folder} is: it has neither logseq/config.edn nor .obsidian/; "
            + fix,
        )
    logseq, obsidian = _readwise_shapes(folder)
    if logseq > 0 and logseq >= _DETECT_RATIO * obsidian:
        return Detection("logseq", True, True)
    if obsidian > 0 and obsidian >= _DETECT_RATIO * logseq:
        return Detection("obsidian", True, True)
    found = (
        f"{logseq} Readwise page(s) in Logseq's shape and {obsidian} in Obsidian's"
        if logseq or obsidian
        else "no Readwise page to judge by"
    )
    return Detection(
        None,
        True,
        True,
        f"cannot tell what {folder} is: it has both logseq/config.edn and .obsidian/ (opened "
        f"in both apps?) and {found}; " + fix,
    )


def _readwise_shapes(folder: Path) -> tuple[int, int]:
    """How many of the folder's first pages are Readwise pages in Logseq's and in Obsidian's
    shape (a cheap look: the first bytes of each page, up to a bound)."""
    settings = logseq_settings(folder)
    pages = settings.pages_dir + "/"
    flt = PathFilter(DEFAULT_INCLUDE, hidden_patterns(settings.hidden)[0])
    logseq = obsidian = 0
    for files, (entry, rel) in enumerate(walk_entries(folder, flt), start=1):
        try:
            with open(entry.path, "rb") as f:
                head = f.read(_DETECT_HEAD)
        except OSError:
            continue
        if (
            rel.startswith(pages)
            and "/" not in rel[len(pages) :]
            and links.LOGSEQ_SHAPE.search(head)
        ):
            logseq += 1
        elif links.OBSIDIAN_SHAPE.search(head) and (
            b"readwise" in head.lower() or rel.startswith("Readwise/")
        ):
            obsidian += 1
        if files >= _DETECT_MAX_FILES or logseq + obsidian >= _DETECT_ENOUGH:
            break
    return logseq, obsidian


# ---- Logseq's settings ---------------------------------------------------------------------------


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


def make_vault(
    path: Path,
    *,
    name: str | None = None,
    kind: str = "auto",
    include: tuple[str, ...] | list[str] = DEFAULT_INCLUDE,
    exclude: tuple[str, ...] | list[str] = (),
    poll: bool = False,
    where: str = "",
    warn: Callable[[str], None] | None = None,
    readwise_folder: str | None = READWISE_FOLDER,
) -> Vault:
    """Resolve a vault folder; UsageError when it is missing or its kind cannot be told."""
    root = Path(os.path.expanduser(str(path)))
    label = f"{where}: " if where else ""
    control = control_character_reason(str(path))
    if control:
        raise UsageError(f"{label}{str(path)!r}: the path {control}")
    if not root.exists():
        raise UsageError(f"{label}{root}: no such folder; check the path or create the folder")
    if not root.is_dir():
        raise UsageError(f"{label}{root}: not a folder; a vault is the folder holding your notes")
    root = root.resolve()
    unsafe = unsafe_vault_reason(root)  # `/`, the home folder, a system folder
    if unsafe:
        raise UsageError(f"{label}{unsafe}")
    resolved: Kind | None = None if kind == "auto" else kind  # type: ignore[assignment]
    if resolved is not None:
        contradiction = kind_contradiction(root, resolved, name or root.name)
        if contradiction:
            (warn or log.warning)(contradiction)
    if resolved is None:
        detection = detect_kind(root)
        if detection.kind is None:
            raise UsageError(f"{label}{detection.problem}")
        resolved = detection.kind
    logseq: dict[str, object] = {}
    if resolved == "logseq":
        settings = logseq_settings(root)
        for problem in settings.problems:
            # A warning, not an error: Logseq itself falls back to its defaults when it cannot
            # read the file, and the pages are cleaned the same whatever the settings say.
            log.warning("%s", problem)
        logseq = {
            "name_format": settings.name_format,
            "pages_dir": settings.pages_dir,
            "journals_dir": settings.journals_dir,
            "hidden": settings.hidden,
        }
    return Vault(
        name=name or root.name,
        root=root,
        kind=resolved,
        include=tuple(include),
        exclude=tuple(exclude),
        poll=poll,
        readwise_folder=readwise_folder,
        **logseq,  # type: ignore[arg-type]
    )


def kind_contradiction(root: Path, kind: str, name: str) -> str | None:
    """A warning when the kind given for a folder contradicts what the folder says it is (a
    Logseq graph given `kind: obsidian`): its pages would be read in the wrong shape, none of
    them found to be a Readwise page, and nothing said. None when they agree or it cannot be
    told (a folder with both apps' markers, or neither)."""
    detected = detect_kind(root) if (root / ".obsidian").is_dir() != _has_logseq(root) else None
    if detected is None or detected.kind is None or detected.kind == kind:
        return None
    fmt = formats.of(detected.kind)
    marker, app = fmt.marker, fmt.named
    return (
        f"vault {name!r} is given kind {kind}, but {root} has {marker}: it is {app}, and "
        f"its Readwise pages are not found as {kind} pages; set 'kind: {detected.kind}' "
        f"(or 'kind: auto') for it, or pass --kind {detected.kind}"
    )


def _has_logseq(root: Path) -> bool:
    return (root / "logseq" / "config.edn").is_file()


def filter_warning(vault: Vault) -> str | None:
    """When a pass found no page to clean (no candidate) in a folder that holds Markdown
    files: the include or exclude patterns are why; say which, and the fix."""
    every = PathFilter(DEFAULT_INCLUDE, hidden_patterns(vault.hidden)[0])
    if next(iter(walk_entries(vault.root, every)), None) is None:
        return None  # no Markdown file at all: an empty vault, nothing to say
    included = PathFilter(vault.include, hidden_patterns(vault.hidden)[0])
    if next(iter(walk_entries(vault.root, included)), None) is None:
        patterns = ", ".join(repr(p) for p in vault.include)
        return (
            f"{vault.name}: include [{patterns}] matches none of the .md files in "
            f"{vault.root}, so no page is cleaned; patterns are relative to the vault's "
            "folder (e.g. 'Readwise/**/*.md'), or leave include out for every page"
        )
    patterns = ", ".join(repr(p) for p in vault.exclude)
    return (
        f"{vault.name}: exclude [{patterns}] leaves out every page include matches, so no "
        "page is cleaned; exclude only the folders to skip (e.g. 'Archive/**')"
    )


class MissingVault(UsageError):
    """A configured vault whose folder is not there (a drive not plugged in)."""

    def __init__(self, name: str, root: Path) -> None:
        self.name, self.root = name, root
        super().__init__(
            f"vault {name!r}: its folder {root} is missing (a drive not plugged in?); "
            "it is left out until the folder is there"
        )


def select_vaults(
    config_vaults: list,
    wanted: list[str],
    kind: str | None,
    warn: Callable[[str], None] | None = None,
    missing: list[MissingVault] | None = None,
) -> list[Vault]:
    """The vaults a command works on: every configured vault, or those named by `--vault` (a
    configured name, in any case, or path, or any other folder, used with defaults).

    A configured vault whose folder is missing is left out, with a warning through `warn`
    (and added to `missing`), so the others are still worked on; named by `--vault`, it is an
    error. A name that is neither a configured vault nor a folder is an error listing the
    configured names."""
    if not wanted:
        if not config_vaults:
            raise UsageError(
                "no vault to work on: name one with --vault PATH, or add vaults to the config "
                "(`vaultsync config init` writes a commented example)"
            )
        out = []
        for i, v in enumerate(config_vaults):
            gone = _missing(v)
            if gone is not None:
                (warn or log.warning)(str(gone))
                if missing is not None:
                    missing.append(gone)
                continue
            out.append(_from_config(i, v, kind, warn))
        return out
    out = []
    for w in wanted:
        match = _configured(config_vaults, w)
        if match is not None:
            gone = _missing(match[1])
            if gone is not None:
                raise gone
            out.append(_from_config(*match, kind, warn))
        elif not os.path.isdir(os.path.expanduser(w)) and "/" not in w and os.sep not in w:
            names = ", ".join(repr(_name(v)) for v in config_vaults) or "none"
            raise UsageError(
                f"--vault {w!r}: no configured vault has that name, and there is no folder "
                f"{w!r} here; configured vaults: {names}"
            )
        else:
            out.append(make_vault(Path(w), kind=kind or "auto", warn=warn))
    return out


def _name(v) -> str:
    return v.name or Path(v.path).name


def _configured(config_vaults: list, wanted: str) -> tuple[int, object] | None:
    """The configured vault `wanted` names: its name exactly, else in any case (Logseq names
    itself `Logseq`, a person types `logseq`), else its folder."""
    for i, v in enumerate(config_vaults):
        if wanted == _name(v):
            return i, v
    folded = wanted.casefold()
    for i, v in enumerate(config_vaults):
        if folded == _name(v).casefold():
            return i, v
    for i, v in enumerate(config_vaults):
        try:
            if Path(os.path.expanduser(wanted)).resolve() == Path(v.path).resolve():
                return i, v
        except OSError:
            continue
    return None


def _missing(v) -> MissingVault | None:
    root = Path(os.path.expanduser(str(v.path)))
    return None if root.exists() else MissingVault(_name(v), root)


def _from_config(
    index: int, v, kind_override: str | None, warn: Callable[[str], None] | None = None
) -> Vault:
    return make_vault(
        Path(v.path),
        name=v.name,
        kind=kind_override or v.kind,
        include=v.include,
        exclude=v.exclude,
        poll=v.poll,
        where=f"vaults[{index}].path",
        warn=warn,
        readwise_folder=v.readwise_folder or None,  # (false: not used)
    )
