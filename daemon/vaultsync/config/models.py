"""The config file's pydantic models: every key, its default and its description (the JSON
Schema and `config explain` follow from them), and the checks each value passes when read.

The checks on paths and folders are `config/folders.py`'s; reading the file and wording
pydantic's errors are `config/load.py`'s and `config/problems.py`'s."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from vaultsync import paths
from vaultsync.config.folders import (
    detected_kind,
    expand_path,
    pattern_problem,
    relative_path_problem,
    vault_clashes,
    vault_folder,
)

VaultKind = Literal["auto", "logseq", "obsidian"]


class _Section(BaseModel):
    """Base of the config models: unknown keys are errors; a key without value means default."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _blank_means_default(cls, data: Any) -> Any:
        # `rules:` with every sub-key commented out parses as None: treat it as not given.
        if isinstance(data, dict):
            fields = cls.model_fields
            return {
                k: v
                for k, v in data.items()
                if not (v is None and k in fields and not fields[k].is_required())
            }
        return data


def _config_dir(info: ValidationInfo) -> Path | None:
    """The config file's folder, which a relative path is relative to (None in code)."""
    base = (info.context or {}).get("config_dir")
    return None if base is None else Path(base)


class VaultConfig(_Section):
    """One Logseq graph or Obsidian vault to keep clean."""

    name: str | None = Field(
        default=None,
        min_length=1,
        description="Name used in logs and commands; default: the folder's name. "
        "Must be unique across vaults.",
    )
    path: Path = Field(
        description="The vault's folder. '~' and $VARIABLES are expanded; a relative path is "
        "relative to the config file's folder. A missing folder (a drive not plugged in) "
        "is left out with a warning until it is there.",
    )
    kind: VaultKind = Field(
        default="auto",
        validate_default=True,
        description="'logseq', 'obsidian', or 'auto': a folder with logseq/config.edn is a "
        "Logseq graph, one with .obsidian/ an Obsidian vault. After loading, always the "
        "detected or given kind.",
    )
    include: list[str] = Field(
        default=["**/*.md"],
        description="Glob patterns of the pages to clean, relative to the vault's folder. "
        "Only .md files are ever cleaned.",
    )
    exclude: list[str] = Field(
        default=[],
        description="Glob patterns to skip, on top of what is always skipped (hidden files "
        "and folders, Logseq backups, sync temp and conflict files, iCloud placeholders).",
    )
    poll: bool = Field(
        default=False,
        description="Look for changes by polling instead of file system events (for network "
        "shares, Docker mounts and folders that send no events).",
    )
    readwise_folder: Literal[False] | str = Field(
        default="Readwise",
        description="Obsidian only: the Readwise plugin's base folder, relative to the vault. "
        "A page inside it with Readwise's shape (a '## Highlights' list) is Readwise's even "
        "when no highlight carries a link; false: recognise pages by their content alone.",
    )

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is blank; give a name or leave the key out")
        return value.strip() if value is not None else None

    @field_validator("path", mode="before")
    @classmethod
    def _path_not_blank(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError("is empty; give the vault's folder")
        return value

    @field_validator("path")
    @classmethod
    def _path_is_folder(cls, value: Path, info: ValidationInfo) -> Path:
        return vault_folder(value, _config_dir(info))

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_any_case(cls, value: Any) -> Any:
        # `kind: Logseq` (as the app spells itself) means logseq.
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("kind")
    @classmethod
    def _resolve_kind(cls, value: VaultKind, info: ValidationInfo) -> VaultKind:
        path = info.data.get("path")
        if value != "auto" or path is None or not path.is_dir():
            return value  # (a missing folder is detected once it is there)
        return detected_kind(path)

    @field_validator("include", "exclude")
    @classmethod
    def _patterns_inside(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            problem = pattern_problem(pattern)
            if problem:
                raise ValueError(f"pattern '{pattern}' {problem}")
        return patterns

    @field_validator("readwise_folder")
    @classmethod
    def _readwise_folder_inside(cls, value: Literal[False] | str) -> Literal[False] | str:
        if value is False:
            return False
        problem = relative_path_problem(value)
        folder = value.replace("\\", "/").strip("/")
        if problem is None and folder in ("", "."):
            problem = "is the vault's folder itself: every note would count as Readwise's"
        if problem:
            raise ValueError(f"'{value}' {problem}; give the plugin's folder, or false")
        return folder

    @model_validator(mode="after")
    def _default_name(self) -> VaultConfig:
        if self.name is None:
            self.name = self.path.name or str(self.path)
        return self


class RulesConfig(_Section):
    """Which clean-ups to run on each Readwise page. All are on by default."""

    dedupe: bool = Field(
        default=True, description="Remove repeated highlights (keeping notes, tags and ids)."
    )
    fold_sections: bool = Field(
        default=True,
        description="Move highlights of later 'New highlights added' sections into the first one.",
    )
    remove_empty_sections: bool = Field(
        default=True, description="Remove 'New highlights added' headings left with nothing."
    )
    order: bool = Field(
        default=True,
        description="Put highlights in reading order (tweet threads by id, books by location).",
    )
    repair_encoding: bool = Field(
        default=True, description="Repair mojibake such as 'donâ€™t' (ftfy's encoding fix only)."
    )
    link_author: bool = Field(
        default=True, description="Make the page's author a link to an author page."
    )
    author_pages: bool = Field(
        default=True, description="Create the author page when it does not exist yet."
    )


class AuthorsConfig(_Section):
    """How authors are linked and where their pages go."""

    folder: str = Field(
        default="Readwise/Authors",
        description="Obsidian only: folder, relative to the vault, where new author notes are "
        "created. Logseq author pages go to the graph's pages folder (`:pages-directory`).",
    )
    split_multiple: bool = Field(
        default=False,
        description="Split 'A, B, and C' or 'A and B' into one link per author.",
    )
    aliases: dict[str, str] = Field(
        default={},
        description="Map a name Readwise uses to the author's real name, e.g. "
        "'@david_perell on Twitter': 'David Perell'.",
    )

    @field_validator("folder")
    @classmethod
    def _folder_inside(cls, value: str) -> str:
        problem = relative_path_problem(value)
        if problem:
            raise ValueError(f"'{value}' {problem}; use '.' for the vault's folder itself")
        return value.replace("\\", "/").rstrip("/") or "."

    @field_validator("aliases")
    @classmethod
    def _aliases_not_blank(cls, value: dict[str, str]) -> dict[str, str]:
        for name, canonical in value.items():
            if not name.strip() or not canonical.strip():
                raise ValueError(f"'{name}': '{canonical}' has an empty name on one side")
        return value


class DaemonConfig(_Section):
    """When the running daemon acts on changes."""

    quiet_period: float = Field(
        default=2.0,
        gt=0,
        allow_inf_nan=False,
        description="Seconds a page must stay unchanged before it is cleaned.",
    )
    max_delay: float = Field(
        default=30.0,
        gt=0,
        allow_inf_nan=False,
        description="Most seconds a changed page waits, even while it keeps changing. "
        "At least quiet_period.",
    )
    reconcile_interval: float = Field(
        default=3600.0,
        ge=0,
        allow_inf_nan=False,
        description="Seconds between full passes over every vault, which catch changes the "
        "file system did not report. At least 60, or 0 to turn them off.",
    )

    @field_validator("max_delay")
    @classmethod
    def _not_below_quiet_period(cls, value: float, info: ValidationInfo) -> float:
        quiet = info.data.get("quiet_period")
        if quiet is not None and value < quiet:
            raise ValueError(f"{value:g} is less than quiet_period ({quiet:g}); raise it")
        return value

    @field_validator("reconcile_interval")
    @classmethod
    def _zero_or_a_minute(cls, value: float) -> float:
        if 0 < value < 60:
            raise ValueError(f"{value:g} is too short; use at least 60 seconds, or 0 for never")
        return value


class HistoryConfig(_Section):
    """Copies of pages as they were before vaultsync changed them, kept in the state folder."""

    keep_versions: int = Field(
        default=10,
        ge=0,
        description="How many earlier versions to keep per page; 0 keeps none.",
    )
    max_total_mb: float = Field(
        default=200.0,
        gt=0,
        allow_inf_nan=False,
        description="Most megabytes all kept versions may take; the oldest go first.",
    )


class Config(_Section):
    """The whole vaultsync config file."""

    vaults: list[VaultConfig] = Field(
        default=[], description="The Logseq graphs and Obsidian vaults to keep clean."
    )
    rules: RulesConfig = Field(
        default=RulesConfig(), description="Which clean-ups to run on Readwise pages."
    )
    authors: AuthorsConfig = Field(
        default=AuthorsConfig(), description="How authors are linked and where their pages go."
    )
    daemon: DaemonConfig = Field(
        default=DaemonConfig(), description="When the running daemon acts on changes."
    )
    history: HistoryConfig = Field(
        default=HistoryConfig(), description="Earlier versions of the pages vaultsync changed."
    )
    state_dir: Path | None = Field(
        default=None,
        description="Folder for vaultsync's state and history; default: the user state folder "
        "(on Linux ~/.local/state/vaultsync). '~' and $VARIABLES are expanded; a relative path "
        "is relative to the config file's folder.",
    )

    @field_validator("state_dir")
    @classmethod
    def _expand_state_dir(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else expand_path(value, _config_dir(info))

    @model_validator(mode="after")
    def _unique_vaults(self) -> Config:
        # load_config reports these with their key paths (problems.clash_problems); this
        # check guards configs built in code.
        clashes = vault_clashes([(i, v) for i, v in enumerate(self.vaults)])
        if clashes:
            raise PydanticCustomError("vault_clash", "{message}", {"message": clashes[0][2]})
        return self

    def resolved_state_dir(self) -> Path:
        """`state_dir` when set, else the default state folder."""
        return paths.state_folder(self.state_dir) if self.state_dir else paths.default_state_dir()


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config and the file it came from (which may not exist: then all defaults)."""

    path: Path
    config: Config
