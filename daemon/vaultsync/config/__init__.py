"""The YAML config file: its pydantic models, loading with every problem reported, and `init`.

`load_config` never lets a traceback reach the user: every problem it finds (YAML syntax,
unknown or missing keys, wrong values, missing folders, duplicate vault names) is collected
and raised together as one `ConfigError`, each problem with its key path and line number.
"""

from __future__ import annotations

import difflib
import gc
import logging
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from vaultsync import paths
from vaultsync.errors import ConfigError, ConfigProblem, UsageError
from vaultsync.vault import detect_kind

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


def _expand_path(raw: Path, info: ValidationInfo) -> Path:
    """Expand `$VARS` and `~`; make a relative path relative to the config file's folder."""
    empty = _empty_variables(str(raw))
    if empty:
        names = ", ".join(f"${n}" for n in empty)
        verb = "is" if len(empty) == 1 else "are"
        raise ValueError(
            f"{names} {verb} set but empty, so '{raw}' would name another folder; "
            f"give {names} a value, or write the path without it"
        )
    text = os.path.expanduser(os.path.expandvars(str(raw)))
    path = Path(text)
    base = (info.context or {}).get("config_dir")
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    try:
        # Resolved, so checks that a page lies inside the vault compare like with like.
        return path.resolve()
    except (OSError, RuntimeError) as err:  # RuntimeError: a symlink loop, on Python 3.11
        raise ValueError(f"cannot follow {path}: {err}") from None


_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def _unset_variables(raw: str) -> list[str]:
    names = _VARIABLE.findall(raw)
    return [a or b for a, b in names if (a or b) not in os.environ]


def _empty_variables(raw: str) -> list[str]:
    """Variables in `raw` that are set to nothing: `$NOTES/` would become `/`."""
    names = [a or b for a, b in _VARIABLE.findall(raw)]
    return sorted({n for n in names if n in os.environ and not os.environ[n]})


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
        control = paths.control_character_reason(str(value))
        if control:
            raise ValueError(f"the path {control}")
        path = _expand_path(value, info)
        try:
            is_dir = path.is_dir()
            exists = is_dir or path.exists()
        except OSError as err:
            raise ValueError(f"cannot open {path}: {err.strerror or err}") from None
        if not exists:
            unset = _unset_variables(str(value))
            if unset:
                names = ", ".join(f"${n}" for n in unset)
                raise ValueError(
                    f"the folder {path} does not exist: {names} is not set in the environment"
                )
            # A folder on a drive that is not plugged in (or not yet synced): the vault is
            # left out with a warning by the commands, and waited for by the daemon
            # (vault.select_vaults), so the other vaults keep working.
            return path
        if not is_dir:
            raise ValueError(f"{path} is a file, not a folder; give the vault's folder")
        unsafe = paths.unsafe_vault_reason(path)
        if unsafe:
            raise ValueError(unsafe)
        return path

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
        detected = detect_kind(path)
        if detected.kind is None:
            raise ValueError(detected.problem)
        return detected.kind

    @field_validator("include", "exclude")
    @classmethod
    def _patterns_inside(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            problem = _pattern_problem(pattern)
            if problem:
                raise ValueError(f"pattern '{pattern}' {problem}")
        return patterns

    @field_validator("readwise_folder")
    @classmethod
    def _readwise_folder_inside(cls, value: Literal[False] | str) -> Literal[False] | str:
        if value is False:
            return False
        problem = _relative_path_problem(value)
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


def _pattern_problem(pattern: str) -> str | None:
    """Why a glob pattern cannot be used, or None. A leading '/' means the vault's folder."""
    if not pattern.strip():
        return "is empty; remove it or write a glob such as '**/*.md'"
    if "\\" in pattern:
        return "uses '\\'; write '/' between folders"
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    if ".." in parts:
        return "must stay inside the vault (no '..')"
    if not parts:
        return "matches the whole vault; write a glob such as '**/*.md' or 'pages/'"
    return None


def _relative_path_problem(text: str) -> str | None:
    """Why `text` is not a path inside the vault, or None when it is."""
    if not text.strip():
        return "is empty"
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).anchor:
        return "must be relative to the vault's folder, not absolute"
    if ".." in re.split(r"[/\\]", text):
        return "must stay inside the vault (no '..')"
    return None


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
        problem = _relative_path_problem(value)
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
        return None if value is None else _expand_path(value, info)

    @model_validator(mode="after")
    def _unique_vaults(self) -> Config:
        # load_config reports these with their key paths (see _vault_clashes); this check
        # guards configs built in code.
        clashes = _vault_clashes([(i, v) for i, v in enumerate(self.vaults)])
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


def _vault_clashes(vaults: list[tuple[int, VaultConfig]]) -> list[tuple[int, str, str]]:
    """(index, field, message) for each vault whose name or folder an earlier vault uses."""
    clashes: list[tuple[int, str, str]] = []
    names: dict[str, int] = {}
    folders: dict[Path, int] = {}
    for index, vault in vaults:
        name = (vault.name or "").casefold()
        if name in names:
            message = (
                f"the name '{vault.name}' is already used by vaults[{names[name]}]; "
                "vault names must be unique, so set a different 'name'"
            )
            clashes.append((index, "name", message))
        else:
            names[name] = index
        if vault.path in folders:
            message = (
                f"the folder {vault.path} is already used by vaults[{folders[vault.path]}]; "
                "list each folder once"
            )
            clashes.append((index, "path", message))
        else:
            folders[vault.path] = index
    return clashes + _nested_vaults(vaults, folders)


def _nested_vaults(
    vaults: list[tuple[int, VaultConfig]], folders: dict[Path, int]
) -> list[tuple[int, str, str]]:
    """(index, 'path', message) for each vault inside another one's folder, or holding one.

    Both would clean the pages they share and create the same author pages twice. Linear in
    the number of vaults: each folder's parents are looked up, not every pair compared."""
    clashes: list[tuple[int, str, str]] = []
    for index, vault in vaults:
        for parent in vault.path.parents:
            outer = folders.get(parent)
            if outer is None or outer == index:
                continue
            inner_name, outer_name = f"vaults[{index}]", f"vaults[{outer}]"
            message = (
                f"the folder {vault.path} ({inner_name}) lies inside {parent} "
                f"({outer_name}); vaults may not overlap, or the pages they share would be "
                f"cleaned twice and author pages made in both: remove one of them"
            )
            clashes.append((max(index, outer), "path", message))
            break  # the nearest enclosing vault is enough to say
    return sorted(clashes)


# ---------------------------------------------------------------------------------------------
# Loading


def load_config(
    path: Path | None = None,
    validated: Callable[[Path, bytes, Config, list[str]], None] | None = None,
) -> LoadedConfig:
    """Read and validate the config file; raise one ConfigError listing every problem found.

    Without `path` the default file is used, and a missing default file means an empty config;
    a file named by `path` or by `$VAULTSYNC_CONFIG` must exist (`/dev/null` reads as empty).
    `validated`: told the file, its bytes, the config and its warnings once validated (the
    config cache keeps it for the next command: vaultsync.configcache).
    """
    from_env = path is None and paths.config_path_from_env() is not None
    explicit = path is not None or from_env
    path = path if path is not None else paths.default_config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if not explicit:
            return LoadedConfig(path=path, config=Config())
        if from_env:
            hint = (
                f"no such file, and ${paths.CONFIG_ENV} names it; create it with "
                f"`vaultsync config init`, fix ${paths.CONFIG_ENV}, or unset it to use the "
                "default place"
            )
        else:
            hint = "no such file; run `vaultsync config init` to create one, or fix the path"
        raise _error(path, hint) from None
    except IsADirectoryError:
        raise _error(path, "is a folder; give the config file") from None
    except OSError as err:
        raise _error(path, f"cannot read the file: {err.strerror or err}") from None
    warnings = config_file_warnings(path)
    for warning in warnings:
        warn_once(warning)
    config = parse_config(raw, path)
    if validated is not None:
        validated(path, raw, config, warnings)
    return LoadedConfig(path=path, config=config)


def config_file_warnings(path: Path) -> list[str]:
    """Why others could change what this config makes vaultsync do (it names the folders
    vaultsync writes), in words; empty when only the user (or root) can.

    The file is followed through links, and a linked config is named as such."""
    mine = os.getuid() if hasattr(os, "getuid") else None
    trusted = {mine, 0}
    try:
        link = path.lstat()
        target = path.resolve()
        info = target.stat()
        folder = target.parent.stat()
    except (OSError, RuntimeError):
        return []  # reading the file went well; its modes are only a hint
    if not stat.S_ISREG(info.st_mode):
        return []  # /dev/null: "no config"; nothing anyone could write into it is kept
    name = f"config {path}"
    if stat.S_ISLNK(link.st_mode):
        name += f" is a link to {target}, which"
    what: list[str] = []
    if mine is not None and info.st_uid not in trusted:
        what.append(f"is owned by another user (uid {info.st_uid})")
    if stat.S_IMODE(info.st_mode) & 0o022:
        who = "everyone" if info.st_mode & stat.S_IWOTH else "its group"
        what.append(f"may be changed by {who} (mode {stat.S_IMODE(info.st_mode):o})")
    if folder.st_mode & (stat.S_IWOTH | stat.S_IWGRP) and not folder.st_mode & stat.S_ISVTX:
        what.append(f"is in a folder others may write ({target.parent}), so it can be replaced")
    if mine is not None and stat.S_ISLNK(link.st_mode) and link.st_uid not in trusted:
        what.append(f"is reached through a link owned by another user (uid {link.st_uid})")
    if not what:
        return []
    fix = f"chmod go-w {target}" if stat.S_IMODE(info.st_mode) & 0o022 else "move it"
    return [
        f"{name} {' and '.join(what)}: whoever can change it decides which folders "
        f"vaultsync writes; {fix} (or keep the config where only you can write)"
    ]


_warned: set[str] = set()


def warn_once(message: str) -> None:
    """A warning on stderr (or the daemon's log), once per process: a reload repeats nothing."""
    if message in _warned:
        return
    _warned.add(message)
    log = logging.getLogger("vaultsync.config")
    if log.hasHandlers():
        log.warning("%s", message)
    else:
        from vaultsync.render import warning

        print(warning(message), file=sys.stderr)


def parse_config(raw: bytes, path: Path) -> Config:
    """Validate the config file's bytes; `path` names it and anchors relative paths."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        byte = raw[err.start : err.start + 1].hex()
        raise _error(path, f"not UTF-8 text (byte 0x{byte}); save it as UTF-8", line) from None

    with _no_gc_pauses():
        node, data, problems = _read_yaml(text)
    if problems and node is None:
        raise ConfigError(path, problems)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        shape = "a list" if isinstance(data, list) else f"the value {_show(data)}"
        raise _error(path, f"the file holds {shape}; it should hold keys such as 'vaults:'", 1)

    context = {"config_dir": path.absolute().parent}
    config: Config | None = None
    try:
        config = Config.model_validate(data, context=context)
    except ValidationError as err:
        lines = _Lines(node)
        problems += [
            _problem_from_pydantic(e, lines)
            for e in err.errors(include_url=False)
            if e["type"] != "vault_clash"
        ]
    problems += _clash_problems(data, context, node)
    if problems or config is None:
        problems.sort(key=lambda p: p.line if p.line is not None else 1 << 30)
        raise ConfigError(path, problems)
    return config


# libyaml's safe loader, when PyYAML was built with it: the same documents, many times faster
# (the pure-Python one took seconds on a config of a few megabytes).
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Hold the cyclic garbage collector while a file becomes nodes and data: the many
    long-lived objects made it run again and again over all of them, so reading took more
    than linear time (16 times the file: 35 times as long). Nothing made here is cyclic."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_yaml(text: str) -> tuple[yaml.Node | None, Any, list[ConfigProblem]]:
    """Parse YAML safely: plain data only, never Python objects. Returns (node, data, problems).

    A valid file is read by libyaml when present; a file it rejects is read again by PyYAML's
    own loader, whose messages (and their advice below) the user sees."""
    if _FAST_LOADER is not None:
        fast = _FAST_LOADER(text)
        try:
            node = fast.get_single_node()
            if node is None:
                return None, None, []
            problems = _duplicate_keys(node)  # before constructing, which flattens merges
            return node, fast.construct_document(node), problems
        except (yaml.YAMLError, ValueError):
            pass  # reported below, in PyYAML's words
        finally:
            fast.dispose()
    return _read_yaml_slowly(text)


def _read_yaml_slowly(text: str) -> tuple[yaml.Node | None, Any, list[ConfigProblem]]:
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # checks every character first: may raise ReaderError
        node = loader.get_single_node()
        if node is None:
            return None, None, []
        problems = _duplicate_keys(node)
        return node, loader.construct_document(node), problems
    except yaml.constructor.ConstructorError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else None
        what = f"invalid YAML: {err.problem}"
        tag = re.search(r"for the tag '([^']*)'", err.problem or "")
        if tag:
            shown = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            what = (
                f"the tag '{shown}' is not allowed; the config holds plain values only "
                "(text, numbers, true/false, lists and keys)"
            )
        return None, None, [ConfigProblem(what, line=line)]
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else None
        what = f"invalid YAML: {err.problem or err}"
        context_line = err.context_mark.line + 1 if err.context_mark else None
        if err.context and context_line not in (None, line):
            what += f" ({err.context} on line {context_line})"
        if "'\\t'" in what:
            what += "; indent with spaces, YAML does not allow tabs"
        else:
            column = err.problem_mark.column if err.problem_mark else 0
            what += _yaml_advice(err.problem or "", text, line, column)
        return None, None, [ConfigProblem(what, line=line)]
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1
        char = f"U+{err.character:04X}" if isinstance(err.character, int) else err.character
        what = f"the file holds a character YAML does not allow ({char})"
        return None, None, [ConfigProblem(what, line=line)]
    except yaml.YAMLError as err:  # pragma: no cover - every PyYAML error is one of the above
        return None, None, [ConfigProblem(f"invalid YAML: {err}")]
    finally:
        if loader is not None:
            loader.dispose()


def _yaml_advice(problem: str, text: str, line: int | None, column: int) -> str:
    """Plain advice, with the line as it should read, for PyYAML's most common complaints."""
    lines = text.splitlines()
    if line is None or not 0 < line <= len(lines):
        return ""
    here = lines[line - 1]
    token = re.search(r"found character '(.)' that cannot start any token", problem)
    if token or "expected alphabetic or numeric character, but found '*'" in problem:
        char = token.group(1) if token else "*"
        while column > 0 and here[column - 1] in "*&!":  # PyYAML points past `**`
            column -= 1
        why = (
            f"a value starting with '{char}' means something else in YAML"
            if char in "*&!%|>"
            else f"YAML does not allow '{char}' at the start of a key or value"
        )
        return f"; {why}: put the text in quotes, as in: {_quoted_from(here, column).strip()}"
    indentation = "expected <block end>" in problem or "mapping values are not allowed" in problem
    if indentation:
        value = here.split(": ", 1)[1] if ": " in here else ""
        if ": " in value:  # `key: text: more` – the text holds ': '
            head = here[: len(here) - len(value)]
            return f"; put text holding ': ' in quotes, as in: {head.strip()} {_quote(value)}"
        column = _sibling_key_column(lines, line)
        if column is not None and column != len(here) - len(here.lstrip(" ")):
            fixed = " " * column + here.strip()
            return (
                f"; check the indentation: keys of one group line up under each other, so "
                f"line {line} should start in column {column + 1}: '{fixed}'"
            )
        return "; check the indentation, and put text holding ': ' in quotes"
    return ""


def _quote(value: str) -> str:
    inner = value.strip()
    return '"' + inner.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quoted_from(line: str, column: int) -> str:
    """`line` with the key or value starting at `column` put in double quotes."""
    rest = line[column:]
    end = rest.find(": ")
    if end == -1 or rest.rstrip().endswith(":"):
        end = len(rest.rstrip().rstrip(":")) if rest.rstrip().endswith(":") else len(rest)
    text, after = rest[:end], rest[end:]
    quoted = _quote(text)
    key = line[:column].rstrip()
    if key.endswith(":") and key.split()[-1][:-1] in ("include", "exclude"):
        quoted = f"[{quoted}]"  # a list of patterns
    return line[:column] + quoted + after


def _sibling_key_column(lines: list[str], line: int) -> int | None:
    """The column where the keys of the group above `line` start, or None."""
    for above in reversed(lines[: line - 1]):
        stripped = above.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(above) - len(above.lstrip(" "))
        if stripped.startswith("- "):
            return indent + 2 + len(stripped[2:]) - len(stripped[2:].lstrip(" "))
        return indent
    return None


def _duplicate_keys(root: yaml.Node) -> list[ConfigProblem]:
    """A key given twice in one mapping: YAML keeps the last silently, which hides mistakes."""
    problems: list[ConfigProblem] = []
    seen_nodes: set[int] = set()

    def walk(node: yaml.Node, loc: tuple[str | int, ...]) -> None:
        if id(node) in seen_nodes:  # an alias: already checked, and would multiply the walk
            return
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                    continue
                line = key.start_mark.line + 1
                if key.value in first_line:
                    what = f"this key is also on line {first_line[key.value]}; keep one"
                    problems.append(ConfigProblem(what, _key_path((*loc, key.value)), line))
                else:
                    first_line[key.value] = line
                walk(value, (*loc, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*loc, index))

    walk(root, ())
    return problems


def _clash_problems(
    data: dict[str, Any], context: dict[str, Any], node: yaml.Node | None
) -> list[ConfigProblem]:
    """Duplicate vault names and folders, checked among the vaults that are valid on their own."""
    entries = data.get("vaults")
    if not isinstance(entries, list):
        return []
    valid: list[tuple[int, VaultConfig]] = []
    for index, entry in enumerate(entries):
        try:
            valid.append((index, VaultConfig.model_validate(entry, context=context)))
        except ValidationError:
            pass  # already reported by the full validation
    clashes = _vault_clashes(valid)
    if not clashes:
        return []
    lines = _Lines(node)
    return [
        ConfigProblem(message, key=_key_path(loc), line=lines.of(loc))
        for index, field, message in clashes
        for loc in [("vaults", index, field)]
    ]


# ---------------------------------------------------------------------------------------------
# Turning pydantic's errors into plain words


def _problem_from_pydantic(error: Any, lines: _Lines) -> ConfigProblem:
    loc = tuple(seg for seg in error["loc"] if seg != "[key]")
    kind = error["type"]
    if kind == "missing":
        message = "required key is missing"
    elif kind == "extra_forbidden":
        message = _unknown_key_message(loc)
    elif kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
    elif kind == "list_type" and isinstance(error["input"], str) and loc:
        value = error["input"]
        message = (
            f"should be a list (got {_show(value)}); write it as a list: "
            f"{loc[-1]}: [{_quote(value)}]"
        )
    elif kind == "path_type":
        message = f"should be a path (got {_show(error['input'])})"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        got = _show(error["input"])
        message = f"should be a group of keys (got {got})"
        if len(loc) == 2 and loc[0] == "vaults":
            message = f"each vault should be keys such as 'path: ~/Notes' (got {got})"
    else:
        msg = error["msg"]
        # "Input should be a valid integer" reads better after the key as "should be ...".
        msg = msg.removeprefix("Input ") if msg.startswith("Input ") else msg[0].lower() + msg[1:]
        message = f"{msg} (got {_show(error['input'])})"
    return ConfigProblem(message, key=_key_path(loc) or None, line=lines.of(loc))


def _unknown_key_message(loc: tuple[str | int, ...]) -> str:
    model = _model_at(loc[:-1])
    if model is None:
        return "unknown key"
    known = list(model.model_fields)
    match = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if match:
        return f"unknown key (did you mean '{match[0]}'?)"
    return f"unknown key (known keys here: {', '.join(known)})"


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The config model that holds the keys found at `loc`, e.g. VaultConfig for ('vaults', 0)."""
    model: type[BaseModel] = Config
    expect_item = False
    for seg in loc:
        if expect_item:
            if not isinstance(seg, int):
                return None
            expect_item = False
            continue
        field = model.model_fields.get(str(seg))
        if field is None:
            return None
        annotation = field.annotation
        item = getattr(annotation, "__args__", (None,))[0]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        elif isinstance(item, type) and issubclass(item, BaseModel):
            model, expect_item = item, True
        else:
            return None
    return None if expect_item else model


def _key_path(loc: tuple[str | int, ...]) -> str:
    """('vaults', 0, 'path') -> 'vaults[0].path'."""
    out = ""
    for seg in loc:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", seg):
            out += f".{seg}" if out else seg
        else:
            out += f"['{seg}']"
    return out


class _Lines:
    """The line of every key and list item in the YAML, indexed once by key path.

    Looking each problem's key up by scanning its mapping made reporting n problems take
    n * n steps (20,000 unknown keys: half a minute); the index makes it linear."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._lines: dict[tuple[str | int, ...], int] = {}
        if root is not None:
            self._index(root)

    def _index(self, root: yaml.Node) -> None:
        seen: set[int] = set()  # an alias is indexed once, where it is first met
        stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
        while stack:
            node, loc = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                # In order, so the last of duplicate keys wins, as in YAML; merged keys ('<<')
                # come before the mapping's own.
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode):
                        here = (*loc, key.value)
                        self._lines[here] = key.start_mark.line + 1
                        stack.append((value, here))
            elif isinstance(node, yaml.SequenceNode):
                for index, item in enumerate(node.value):
                    here = (*loc, index)
                    self._lines[here] = item.start_mark.line + 1
                    stack.append((item, here))

    def of(self, loc: tuple[str | int, ...]) -> int | None:
        """The 1-based line of the key at `loc`, or of the nearest parent found in the YAML."""
        key = tuple(seg if isinstance(seg, int) else str(seg) for seg in loc)
        for end in range(len(key), 0, -1):
            line = self._lines.get(key[:end])
            if line is not None:
                return line
        return None


def _show(value: Any) -> str:
    """A value as the user wrote it in YAML, shortened."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a group of keys"
    if isinstance(value, list):
        return "a list"
    text = str(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"'{text}'" if isinstance(value, str) else text


# ---------------------------------------------------------------------------------------------
# Schema, example, init


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, for editors' completion and checks."""
    schema = Config.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "vaultsync configuration",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def example_config_text() -> str:
    """The commented example config: what `vaultsync config init` writes."""
    return EXAMPLE_CONFIG


def init_config(path: Path | None = None, force: bool = False) -> Path:
    """Write the example config to `path` (default: the default location), atomically, 0o600.

    Refuses to replace an existing file unless `force`.
    """
    path = path if path is not None else paths.default_config_path()
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give the path of the config file to create")
    if path.exists() and not force:
        raise UsageError(f"{path} exists; use --force to overwrite")
    from vaultsync.writer import make_folders, write_private_file

    try:
        make_folders(path.parent)
        # 0o600: the config names the user's folders.
        write_private_file(path, EXAMPLE_CONFIG.encode("utf-8"))
    except OSError as err:
        reason = err.strerror or str(err)
        raise _error(
            path, f"cannot write the file: {reason}; check the folder's permissions"
        ) from None
    return path


def _error(path: Path, message: str, line: int | None = None) -> ConfigError:
    return ConfigError(path, [ConfigProblem(message, line=line)])


EXAMPLE_CONFIG = """\
# vaultsync configuration
#
# vaultsync keeps the Readwise highlight pages in your Logseq graphs and Obsidian vaults
# clean: no repeated highlights, in reading order, readable text, linked to their authors.
# This file says which folders to look after and what to do there.
#
# Every key is optional except a vault's "path"; a key left out (or commented out) takes
# the default shown here. Lines starting with "#" are comments.
#   Check this file:       vaultsync config validate
#   JSON Schema (editors): vaultsync config schema
#   Full reference:        docs/configuration.md

# vaults: the Logseq graphs and Obsidian vaults to keep clean. None is set up yet: replace
# "vaults: []" with a list like the one below (remove the "# " in front of each line).
vaults: []
# vaults:
#   # A Logseq graph: the folder that holds logseq/config.edn and pages/.
#   - name: Logseq
#     # The folder. "~" and $VARIABLES are expanded; a relative path is relative to the
#     # folder of this file. The folder must exist; it cannot be /, your home folder or a
#     # system folder, nor lie inside (or hold) another vault.
#     path: ~/Logseq
#     # auto: a folder with logseq/config.edn is a Logseq graph, one with .obsidian/ an
#     # Obsidian vault; when it has both or neither, write logseq or obsidian.
#     kind: auto
#     # Glob patterns of the pages to clean, relative to the vault's folder: "*" stays
#     # within a name, "**/" is any number of folders. Only .md files are ever cleaned.
#     include: ["**/*.md"]
#     # More patterns to skip. Always skipped: hidden files and folders (.obsidian/,
#     # .trash/, .git/, ...), logseq/bak/, logseq/.recycle/, node_modules/, sync tools'
#     # temp and conflict files, iCloud placeholders, editor swap and temp files.
#     exclude: []
#     # true: look for changes by polling, for network shares, Docker mounts and other
#     # folders that send no file system events.
#     poll: false
#
#   # An Obsidian vault (the folder that holds .obsidian/), cleaning only the pages the
#   # Readwise plugin writes. Its name is the folder's name: "Notes".
#   - path: ~/Obsidian/Notes
#     kind: obsidian
#     include:
#       - "Readwise/**/*.md"
#     exclude:
#       - "Readwise/Readwise Syncs.md"
#     # The Readwise plugin's base folder (its "Customize base folder" setting): a page
#     # there with a "## Highlights" list is Readwise's even when no highlight has a
#     # link. false: recognise pages by their content alone. Obsidian only.
#     readwise_folder: Readwise

# rules: which clean-ups to run on each Readwise page (pages Readwise did not write are
# never changed). true runs a rule, false turns it off.
rules:
  # Remove repeated highlights; their notes, tags and block ids are kept.
  dedupe: true
  # Move the highlights of later "New highlights added ..." sections into the first one.
  fold_sections: true
  # Remove "New highlights added ..." headings left with nothing under them.
  remove_empty_sections: true
  # Put highlights in reading order: tweet threads by tweet, books by location or page.
  order: true
  # Repair mojibake such as "donâ€™t" -> "don't" (ftfy's encoding repair only).
  repair_encoding: true
  # Make the page's author a link to an author page: author:: [[Name]] / - Author: [[Name]].
  link_author: true
  # Create that author page when it does not exist yet.
  author_pages: true

# authors: how authors are linked and where their pages go.
authors:
  # Obsidian: the folder, relative to the vault, for new author notes. Logseq author
  # pages go to the graph's pages folder (:pages-directory in logseq/config.edn).
  folder: Readwise/Authors
  # true: "A, B, and C" or "A and B" becomes one link per author.
  split_multiple: false
  # The real name for a name Readwise uses, e.g. a Twitter handle:
  #   aliases:
  #     "@david_perell on Twitter": David Perell
  aliases: {}

# daemon: when the running daemon acts on changes. Times in seconds.
daemon:
  # A page is cleaned once it has not changed for this long (more than 0).
  quiet_period: 2.0
  # ... but never later than this after its first change, even while it keeps changing
  # (at least quiet_period).
  max_delay: 30.0
  # A full pass over every vault this often, catching changes the file system did not
  # report: at least 60, or 0 for never.
  reconcile_interval: 3600.0

# history: earlier versions of the pages vaultsync changed, kept in the state folder.
history:
  # How many earlier versions to keep per page; 0 keeps none.
  keep_versions: 10
  # Most megabytes all kept versions may take together; the oldest go first.
  max_total_mb: 200.0

# state_dir: the folder for vaultsync's state and history. Default: the user state folder
# (on Linux ~/.local/state/vaultsync; $VAULTSYNC_STATE_DIR overrides it). When others may
# write the folder you give (say /tmp), vaultsync keeps its state in a private "vaultsync"
# folder inside it, and never changes the folder's mode.
# state_dir: ~/.local/state/vaultsync
"""
