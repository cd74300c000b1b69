"""Removals: every file vaultsync deletes — a managed page merged into another (guarded, its
bytes kept in the history first), the temp files a crash left in a vault, and vaultsync's own
files and folders outside any vault."""

from __future__ import annotations

import logging
import os
import shutil
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.render.notes import note
from vaultsync.writer.folders import open_folder, write_failed
from vaultsync.writer.guard import VaultGuard
from vaultsync.writer.read import Snapshot
from vaultsync.writer.stage import is_temp_file, verify_unchanged

if TYPE_CHECKING:
    from vaultsync.history import History

log = logging.getLogger(__name__)

SKIPPED_FOLDERS = frozenset({".git", "node_modules"})


def remove_page(guard: VaultGuard, snapshot: Snapshot, *, history: History | None = None) -> None:
    """Delete a page vaultsync manages (an author page merged into another), keeping its bytes
    in the history first. Refused outside the vault; ChangedSinceRead if it changed since read."""
    target = Path(snapshot.path)
    real = guard.check(target)
    with open_folder(guard, real.parent, target) as folder:
        verify_unchanged(folder, real.name, target, snapshot)
        if history is not None:
            history.save(real, snapshot.data)
        try:
            folder.unlink(real.name)
        except FileNotFoundError:
            return
        except OSError as err:
            raise write_failed(target, real.parent, err) from None
        try:
            folder.fsync()
        except OSError:
            pass


def cleanup_temp_files(root: Path) -> list[Path]:
    """Remove temp files a crashed vaultsync left under `root`; return the paths removed.

    Only regular files named exactly like ours; links are not followed, .git and node_modules
    are skipped.
    """
    removed: list[Path] = []

    def report(err: OSError) -> None:
        log.warning("%s", note("temp files not searched", folder=err.filename, error=err))

    for folder, dirs, files in os.walk(root, onerror=report, followlinks=False):
        dirs[:] = [d for d in dirs if d not in SKIPPED_FOLDERS]
        for name in files:
            path = os.path.join(folder, name)
            if remove_temp_file(path):
                removed.append(Path(path))
    return removed


def remove_temp_file(path: str) -> bool:
    """Remove `path` if it is a temp file a crashed vaultsync left (a regular file named exactly
    like ours); True when removed. For a walk that lists the folders anyway."""
    if not is_temp_file(path):
        return False
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as err:
        log.warning("%s", note("leftover temp file not removed", path=path, error=err))
        return False
    return True


def remove_private_file(path: Path, *, missing_ok: bool = False) -> None:
    """Delete one of vaultsync's own files outside any vault (a service unit it installed, a
    history copy, the state cache's database); a link at `path` is removed, never followed.
    Raises OSError (FileNotFoundError too, unless `missing_ok`)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        if not missing_ok:
            raise


def remove_private_folder(path: Path) -> None:
    """Delete one of vaultsync's own folders outside any vault, which must be empty (a history
    folder with nothing left in it). Raises OSError."""
    os.rmdir(path)


def remove_private_tree(path: Path) -> None:
    """Delete a folder of vaultsync's own and all it holds (the demo's temporary copies), as
    far as it can: what cannot be removed is left, without an error. Links inside are removed,
    never followed."""
    shutil.rmtree(path, ignore_errors=True)
