"""Where vaultsync keeps its config file and its state, and how it creates private folders."""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

import platformdirs

from vaultsync.errors import SharedStateFolder, StateMoveBlocked
from vaultsync.render.notes import note
from vaultsync.writer import make_private_dirs, move_private_file

APP_NAME = "vaultsync"
CONFIG_ENV = "VAULTSYNC_CONFIG"
STATE_DIR_ENV = "VAULTSYNC_STATE_DIR"
# The private folder vaultsync makes inside a state folder it may not make private itself.
STATE_SUBFOLDER = "vaultsync"
# What an earlier vaultsync kept directly in a state folder it shared (moved into the subfolder).
_STATE_ENTRIES = {"cache": True, "history": True, "status.json": False, "vaultsync.log": False}

log = logging.getLogger(__name__)


def _from_env(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    # A service manager does not expand "~", so do it here.
    return Path(value).expanduser() if value else None


def default_config_path() -> Path:
    """The config file: `$VAULTSYNC_CONFIG`, else `config.yaml` in the user config folder."""
    # appauthor=False: on Windows "vaultsync", not "vaultsync\vaultsync"; no change elsewhere.
    folder = platformdirs.user_config_dir(APP_NAME, appauthor=False)
    return _from_env(CONFIG_ENV) or Path(folder) / "config.yaml"


def config_path_from_env() -> Path | None:
    """`$VAULTSYNC_CONFIG` when set (a file the user named: it must exist), else None."""
    return _from_env(CONFIG_ENV)


def default_state_dir() -> Path:
    """The state folder: `$VAULTSYNC_STATE_DIR`, else the user state folder; see `state_folder`."""
    folder = platformdirs.user_state_dir(APP_NAME, appauthor=False)
    return state_folder(_from_env(STATE_DIR_ENV) or Path(folder))


# ---------------------------------------------------------------------------------------------
# The state folder: vaultsync's own, private, and never a folder it would have to chmod


def _is_own(info: os.stat_result) -> bool:
    """A folder of this user's that no one else may write: vaultsync may keep its state there."""
    owned = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return owned and stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o022 == 0


def state_folder(configured: Path) -> Path:
    """The folder vaultsync keeps its state in, given the configured one.

    The configured folder itself when it does not exist yet (vaultsync creates it, 0o700) or is
    the user's own: owned by them and writable by no one else (every state folder an earlier
    vaultsync used is: it made them 0o700). Otherwise, say a shared folder (mode 1777) or one
    another user owns, its mode is never changed: vaultsync keeps its state in a private
    subfolder `vaultsync/` of it, and moves there what an earlier vaultsync left in the folder
    itself (cache, history, status), so nothing is lost.
    """
    configured = Path(configured)
    try:
        info = configured.stat()
    except FileNotFoundError:
        return configured
    except OSError:
        return configured  # reported with its reason when vaultsync creates or opens it
    if not stat.S_ISDIR(info.st_mode) or _is_own(info):
        return configured  # a file in the way is reported by ensure_private_dir
    sub = configured / STATE_SUBFOLDER
    try:
        sub_info = sub.lstat()
    except FileNotFoundError:
        _move_earlier_state(configured, sub)
        return sub
    except OSError:
        return sub
    if not _is_own(sub_info):
        raise SharedStateFolder(configured, sub)
    return sub


def _earlier_entries(folder: Path) -> list[Path]:
    """What an earlier vaultsync kept in `folder`, owned by this user (nothing else is moved)."""
    found = []
    for name, is_dir in _STATE_ENTRIES.items():
        try:
            info = (folder / name).lstat()
        except OSError:
            continue
        owned = not hasattr(os, "getuid") or info.st_uid == os.getuid()
        right_type = stat.S_ISDIR(info.st_mode) if is_dir else stat.S_ISREG(info.st_mode)
        if owned and right_type:
            found.append(folder / name)
    return found


def _move_earlier_state(folder: Path, sub: Path) -> None:
    """Move an earlier vaultsync's cache, history and status from `folder` into `sub`."""
    entries = _earlier_entries(folder)
    if not entries:
        return
    from vaultsync.locks import running_pid  # locks imports this module

    pid = running_pid(folder)
    if pid is not None:
        raise StateMoveBlocked(folder, pid, sub)
    make_private_dirs(sub)
    for entry in entries:
        try:
            move_private_file(entry, sub / entry.name)
        except OSError as err:
            log.warning("%s", note("state entry not moved", entry=entry, folder=sub, error=err))
    names = [e.name for e in entries]
    log.warning("%s", note("state folder moved", folder=folder, sub=sub, names=names))


# ---------------------------------------------------------------------------------------------
# Folders no vault can be: a pass walks the whole vault and writes author pages into it, and
# the daemon watches it recursively.

# Refused with everything below them: the system's own files, never a notes folder.
_SYSTEM_TREES_POSIX = (
    "/proc", "/sys", "/dev", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
    "/libx32", "/boot", "/System", "/Library", "/Applications", "/private/etc", "/cores",
)  # fmt: skip
# Refused themselves only: they hold everyone's files (a vault may well live below them,
# as on a drive mounted under /media or /run/media).
_SYSTEM_FOLDERS_POSIX = (
    "/var", "/var/lib", "/var/tmp", "/tmp", "/run", "/run/media", "/srv", "/opt", "/mnt",
    "/media", "/home", "/root", "/Users", "/Volumes", "/private", "/private/var",
    "/private/tmp", "/snap", "/nix", "/nix/store",
)  # fmt: skip
# Below a refused tree, yet a place for files of one's own (a RAM disk like /tmp): allowed below.
_OWN_PLACES_POSIX = ("/dev/shm",)
_SYSTEM_TREES_WINDOWS = ("Windows", "Program Files", "Program Files (x86)", "ProgramData")
_SYSTEM_FOLDERS_WINDOWS = ("Users",)


@dataclass(frozen=True)
class ControlCharacter:
    """A control character found in a path (they break logs, unit files and terminals, and no
    one names a notes folder so): its code point. Worded by `render.control_character`."""

    code: int


class Unsafe(Enum):
    """Why a folder cannot be a vault."""

    CONTROL = "control"  # its path holds a control character
    ROOT = "root"  # the root of a file system
    HOME = "home"  # the home folder
    HOLDS_HOME = "holds home"  # a folder holding the home folder
    SYSTEM = "system"  # a system folder, or a folder in one


@dataclass(frozen=True)
class UnsafeVault:
    """A folder refused as a vault: why (`kind`), the folder, and the system folder it is or
    lies in (SYSTEM) or the control character (CONTROL). Worded by `render.unsafe_vault`."""

    kind: Unsafe
    folder: PurePath
    system: str = ""
    control: ControlCharacter | None = None


def control_character(text: str) -> ControlCharacter | None:
    """The first control character in `text` (a path), or None."""
    for char in text:
        if ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            return ControlCharacter(ord(char))
    return None


def unsafe_vault(
    folder: PurePath, home: PurePath | None = None, windows: bool | None = None
) -> UnsafeVault | None:
    """Why `folder` (absolute, resolved) cannot be a vault, or None.

    A vault at a file system's root, the home folder or a folder holding it, or a system
    folder would have vaultsync walk, watch and write among files that are not notes."""
    windows = os.name == "nt" if windows is None else windows
    if home is None:
        home = Path(os.path.realpath(Path.home())) if _home_known() else None
    control = control_character(str(folder))
    if control:
        return UnsafeVault(Unsafe.CONTROL, folder, control=control)
    pure: PurePath = PureWindowsPath(folder) if windows else PurePosixPath(folder)
    if pure.parent == pure:
        return UnsafeVault(Unsafe.ROOT, folder)
    if home is not None:
        home_pure = PureWindowsPath(home) if windows else PurePosixPath(home)
        if pure == home_pure:
            return UnsafeVault(Unsafe.HOME, folder)
        if home_pure.is_relative_to(pure):
            return UnsafeVault(Unsafe.HOLDS_HOME, folder)
    system = _system_folder(pure, windows)
    if system is not None:
        return UnsafeVault(Unsafe.SYSTEM, folder, system=system)
    return None


def _home_known() -> bool:
    try:
        Path.home()
    except (RuntimeError, KeyError):
        return False
    return True


def _system_folder(pure: PurePath, windows: bool) -> str | None:
    """The system folder `pure` is or lies in, when that is refused, else None."""
    if windows:
        parts = [p.casefold() for p in pure.parts[1:]]  # below the drive
        if parts and parts[0] in {t.casefold() for t in _SYSTEM_TREES_WINDOWS}:
            return f"{pure.anchor}{pure.parts[1]}"
        if len(parts) == 1 and parts[0] in {f.casefold() for f in _SYSTEM_FOLDERS_WINDOWS}:
            return str(pure)
        return None
    if any(pure.is_relative_to(own) and pure != PurePosixPath(own) for own in _OWN_PLACES_POSIX):
        return None
    for tree in _SYSTEM_TREES_POSIX:
        if pure.is_relative_to(tree):
            return tree
    if str(pure) in _SYSTEM_FOLDERS_POSIX:
        return str(pure)
    return None
