"""Which vaults a command works on, what kind each is, and how its files are named."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from vaultsync.core.model import Kind
from vaultsync.errors import UsageError
from vaultsync.ignore import PathFilter
from vaultsync.paths import control_character_reason, unsafe_vault_reason

DEFAULT_INCLUDE = ("**/*.md",)
_NAME_FORMAT = re.compile(r":file/name-format\s+:([\w-]+)")
_PAGES_DIR = re.compile(r':pages-directory\s+"([^"]+)"')


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
    path_filter: PathFilter = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path_filter", PathFilter(self.include, self.exclude))


def detect_kind(root: Path) -> Kind | None:
    """`logseq/config.edn` means Logseq, `.obsidian/` means Obsidian; None when neither or both."""
    is_logseq = (root / "logseq" / "config.edn").is_file()
    is_obsidian = (root / ".obsidian").is_dir()
    if is_logseq == is_obsidian:
        return None
    return "logseq" if is_logseq else "obsidian"


def _logseq_settings(root: Path) -> tuple[str, str]:
    try:
        edn = (root / "logseq" / "config.edn").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "legacy", "pages"
    fmt = _NAME_FORMAT.search(edn)
    pages = _PAGES_DIR.search(edn)
    return (fmt.group(1) if fmt else "legacy"), (pages.group(1) if pages else "pages")


def make_vault(
    path: Path,
    *,
    name: str | None = None,
    kind: str = "auto",
    include: tuple[str, ...] | list[str] = DEFAULT_INCLUDE,
    exclude: tuple[str, ...] | list[str] = (),
    poll: bool = False,
    where: str = "",
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
    if resolved is None:
        resolved = detect_kind(root)
    if resolved is None:
        raise UsageError(
            f"{label}{root}: cannot tell whether this is a Logseq graph (has logseq/config.edn) "
            "or an Obsidian vault (has .obsidian/); pass --kind logseq|obsidian or set `kind:` "
            "for this vault in the config"
        )
    name_format, pages_dir = _logseq_settings(root) if resolved == "logseq" else ("", "")
    pages_dir = pages_dir if resolved == "logseq" else ""
    if resolved == "logseq" and (".." in Path(pages_dir).parts or Path(pages_dir).is_absolute()):
        pages_dir = "pages"
    return Vault(
        name=name or root.name,
        root=root,
        kind=resolved,
        include=tuple(include),
        exclude=tuple(exclude),
        poll=poll,
        name_format=name_format or "triple-lowbar",
        pages_dir=pages_dir or "pages",
    )


def select_vaults(config_vaults: list, wanted: list[str], kind: str | None) -> list[Vault]:
    """The vaults a command works on: every configured vault, or those named by `--vault` (a
    configured name or path, or any other folder, used with defaults)."""
    configured = {}
    for i, v in enumerate(config_vaults):
        configured[i] = v
    if not wanted:
        if not config_vaults:
            raise UsageError(
                "no vault to work on: name one with --vault PATH, or add vaults to the config "
                "(`vaultsync config init` writes a commented example)"
            )
        return [_from_config(i, v, kind) for i, v in configured.items()]
    out = []
    for w in wanted:
        match = None
        for i, v in configured.items():
            if w == (v.name or Path(v.path).name):
                match = (i, v)
                break
            try:
                if Path(os.path.expanduser(w)).resolve() == Path(v.path).resolve():
                    match = (i, v)
                    break
            except OSError:
                continue
        out.append(
            _from_config(*match, kind) if match else make_vault(Path(w), kind=kind or "auto")
        )
    return out


def _from_config(index: int, v, kind_override: str | None) -> Vault:
    return make_vault(
        Path(v.path),
        name=v.name,
        kind=kind_override or v.kind,
        include=v.include,
        exclude=v.exclude,
        poll=v.poll,
        where=f"vaults[{index}].path",
    )
