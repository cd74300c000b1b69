"""Where the config's paths point: `~` and `$VARIABLE` expansion (a relative path is relative to
the config file's folder), the checks on a vault's folder (a folder, not a file; not `/`, the
home folder or a system folder; its app told by `vault.detect_kind`), glob patterns and folders
that must stay inside the vault, and vaults whose names or folders clash or nest.

Each check returns (or raises as `ValueError`) the words of its problem; the models in
`config/models.py` call them from their validators."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Protocol

from vaultsync import paths, render
from vaultsync.core.model import Kind
from vaultsync.vault import detect_kind

_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class NamedFolder(Protocol):
    """What the clash checks read of a vault (a `VaultConfig`)."""

    name: str | None
    path: Path


def expand_path(raw: Path, base: Path | None) -> Path:
    """Expand `$VARS` and `~`; make a relative path relative to `base` (the config file's
    folder, when known)."""
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
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    try:
        # Resolved, so checks that a page lies inside the vault compare like with like.
        return path.resolve()
    except (OSError, RuntimeError) as err:  # RuntimeError: a symlink loop, on Python 3.11
        raise ValueError(f"cannot follow {path}: {err}") from None


def _unset_variables(raw: str) -> list[str]:
    names = _VARIABLE.findall(raw)
    return [a or b for a, b in names if (a or b) not in os.environ]


def _empty_variables(raw: str) -> list[str]:
    """Variables in `raw` that are set to nothing: `$NOTES/` would become `/`."""
    names = [a or b for a, b in _VARIABLE.findall(raw)]
    return sorted({n for n in names if n in os.environ and not os.environ[n]})


def vault_folder(value: Path, base: Path | None) -> Path:
    """A vault's `path` as written, expanded and resolved; a missing folder is let through
    (it is waited for), anything that cannot be a vault raises `ValueError`."""
    control = paths.control_character(str(value))
    if control:
        raise ValueError(f"the path {render.control_character(control)}")
    path = expand_path(value, base)
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
    unsafe = paths.unsafe_vault(path)
    if unsafe:
        raise ValueError(render.unsafe_vault(unsafe))
    return path


def detected_kind(path: Path) -> Kind:
    """The app of an existing vault folder written as `kind: auto`; `ValueError` when its
    folders cannot tell."""
    detected = detect_kind(path)
    if detected.kind is None:
        raise ValueError(render.undetected_kind(detected))
    return detected.kind


def pattern_problem(pattern: str) -> str | None:
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


def relative_path_problem(text: str) -> str | None:
    """Why `text` is not a path inside the vault, or None when it is."""
    if not text.strip():
        return "is empty"
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).anchor:
        return "must be relative to the vault's folder, not absolute"
    if ".." in re.split(r"[/\\]", text):
        return "must stay inside the vault (no '..')"
    return None


def vault_clashes(vaults: list[tuple[int, NamedFolder]]) -> list[tuple[int, str, str]]:
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
    vaults: list[tuple[int, NamedFolder]], folders: dict[Path, int]
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
