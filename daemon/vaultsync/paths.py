"""Where vaultsync keeps its config file and its state, and how it creates private folders."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import platformdirs

from vaultsync.errors import VaultsyncError

APP_NAME = "vaultsync"
CONFIG_ENV = "VAULTSYNC_CONFIG"
STATE_DIR_ENV = "VAULTSYNC_STATE_DIR"


def _from_env(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    # A service manager does not expand "~", so do it here.
    return Path(value).expanduser() if value else None


def default_config_path() -> Path:
    """The config file: `$VAULTSYNC_CONFIG`, else `config.yaml` in the user config folder."""
    # appauthor=False: on Windows "vaultsync", not "vaultsync\vaultsync"; no change elsewhere.
    folder = platformdirs.user_config_dir(APP_NAME, appauthor=False)
    return _from_env(CONFIG_ENV) or Path(folder) / "config.yaml"


def default_state_dir() -> Path:
    """The state folder: `$VAULTSYNC_STATE_DIR`, else the user state folder."""
    folder = platformdirs.user_state_dir(APP_NAME, appauthor=False)
    return _from_env(STATE_DIR_ENV) or Path(folder)


def make_private_dirs(path: Path) -> None:
    """Create `path` and its missing parents, each with mode 0o700 (mkdir's `parents=True` gives
    the parents the umask's default mode: the state folder came out 0o755). Raises OSError."""
    missing: list[Path] = []
    current = Path(path)
    while not os.path.lexists(current) and current.parent != current:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if not folder.is_dir():
                raise
    if not Path(path).is_dir():
        raise FileExistsError(errno.EEXIST, "exists and is not a folder", str(path))


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed, and make it readable by its owner only (0o700)."""
    try:
        make_private_dirs(path)
        info = path.stat()
        # mkdir's mode is filtered by the umask, and an existing folder keeps its mode: set it.
        owned = not hasattr(os, "getuid") or info.st_uid == os.getuid()
        if owned and stat.S_IMODE(info.st_mode) != 0o700:
            path.chmod(0o700)
    except FileExistsError:
        raise VaultsyncError(
            f"{path}: is a file, but vaultsync needs a folder there; move the file away"
        ) from None
    except OSError as err:
        reason = err.strerror or str(err)
        raise VaultsyncError(
            f"{path}: cannot create or use this folder: {reason}; "
            "check its permissions or choose another place"
        ) from None
    return path
