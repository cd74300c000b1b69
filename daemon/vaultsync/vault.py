"""Which vaults a command works on (`select_vaults`, `make_vault`) and how a pass sees one
(`Vault`: its root, kind, filter and the app's naming settings). What kind a folder is and
Logseq's settings are told by `vault_kind.py` and `vault_settings.py`, re-exported here."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from vaultsync.core import formats
from vaultsync.core.model import Kind
from vaultsync.errors import (
    MissingVault,
    NoVaultToWorkOn,
    UnknownVault,
    VaultFolderMissing,
    VaultNotAFolder,
    VaultPathControl,
    VaultRefused,
)
from vaultsync.ignore import DEFAULT_INCLUDE, PathFilter, hidden_patterns, walk_entries
from vaultsync.paths import control_character, unsafe_vault
from vaultsync.render import kind_contradiction as contradiction_words
from vaultsync.render import setting_problem
from vaultsync.vault_kind import Detection, detect_kind, kind_contradiction
from vaultsync.vault_settings import (
    CONFIG_EDN,
    FOLLOWED,
    LogseqSettings,
    logseq_settings,
    setting_changes,
)

__all__ = [
    "CONFIG_EDN",
    "READWISE_FOLDER",
    "SYNC_LOG",
    "Detection",
    "LogseqSettings",
    "MissingVault",
    "Vault",
    "detect_kind",
    "FilterProblem",
    "filter_problem",
    "kind_contradiction",
    "logseq_settings",
    "make_vault",
    "select_vaults",
    "setting_changes",
]

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

    def following(self, settings: LogseqSettings | Vault) -> Vault:
        """This vault under another reading of logseq/config.edn (the daemon follows the file
        while it runs); its filter is made again from the new `:hidden`."""
        return replace(self, **{name: getattr(settings, name) for _, name in FOLLOWED})

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
    control = control_character(str(path))
    if control:
        raise VaultPathControl(where, str(path), control)
    if not root.exists():
        raise VaultFolderMissing(where, root)
    if not root.is_dir():
        raise VaultNotAFolder(where, root)
    root = root.resolve()
    unsafe = unsafe_vault(root)  # `/`, the home folder, a system folder
    if unsafe:
        raise VaultRefused(where, unsafe)
    resolved: Kind | None = None if kind == "auto" else kind  # type: ignore[assignment]
    if resolved is not None:
        contradiction = kind_contradiction(root, resolved, name or root.name)
        if contradiction:
            (warn or log.warning)(contradiction_words(contradiction))
    if resolved is None:
        detection = detect_kind(root)
        if detection.kind is None:
            raise VaultRefused(where, detection)
        resolved = detection.kind
    logseq: dict[str, object] = {}
    if resolved == "logseq":
        settings = logseq_settings(root)
        for problem in settings.problems:
            # A warning, not an error: Logseq itself falls back to its defaults when it cannot
            # read the file, and the pages are cleaned the same whatever the settings say.
            log.warning("%s", setting_problem(problem))
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


@dataclass(frozen=True)
class FilterProblem:
    """Why a pass found no page to clean in a vault that holds Markdown files: its `include`
    patterns match none of them (`excluded` False), or its `exclude` patterns leave out every
    page include matches (`excluded` True). Worded by `render.filter_problem`."""

    vault: str
    root: Path
    excluded: bool
    patterns: tuple[str, ...]


def filter_problem(vault: Vault) -> FilterProblem | None:
    """When a pass found no page to clean (no candidate) in a folder that holds Markdown
    files: the include or exclude patterns are why; which ones."""
    every = PathFilter(DEFAULT_INCLUDE, hidden_patterns(vault.hidden)[0])
    if next(iter(walk_entries(vault.root, every)), None) is None:
        return None  # no Markdown file at all: an empty vault, nothing to say
    included = PathFilter(vault.include, hidden_patterns(vault.hidden)[0])
    if next(iter(walk_entries(vault.root, included)), None) is None:
        return FilterProblem(vault.name, vault.root, False, vault.include)
    return FilterProblem(vault.name, vault.root, True, vault.exclude)


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
            raise NoVaultToWorkOn()
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
            raise UnknownVault(w, [_name(v) for v in config_vaults])
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
