"""`undo`: put a saved version of a page back (under the vault's lock), hold it, and keep the
bytes it replaces so the undo itself can be undone."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.errors import PageVanished
from vaultsync.writer import VaultGuard, read_page, write_atomic

if TYPE_CHECKING:
    from vaultsync.history.store import History


@dataclass(frozen=True)
class Restored:
    """What `undo` restored (or, in a dry run, would restore)."""

    path: Path
    version: int
    size: int
    sha256: str  # of the restored bytes


def undo(
    history: History,
    path: Path,
    version: int,
    vault_root: Callable[[], Path],
    state_dir: Path,
    dry_run: bool = False,
) -> Restored:
    """Put version `version` (1: the newest) of the page `path` back, and hold it (every pass
    leaves it as it is until it changes again, or `release` names it). The bytes it replaces
    are kept in the history first, so the undo itself can be undone. `vault_root()`: the root
    of the page's vault (asked once the version is found: a missing version is told first)."""
    from vaultsync.locks import vault_lock  # (locks is needed by undo alone)

    data = history.load(path, version)
    root = vault_root()
    restored = Restored(path, version, len(data), hashlib.sha256(data).hexdigest())
    if dry_run:
        return restored
    # Under the vault's lock, like any writing pass, so a running daemon does not clean the
    # page between the restore and its mark; and marked first, for the same reason.
    with vault_lock(state_dir, root):
        try:
            snap = read_page(path)
        except PageVanished:
            snap = None
        history.mark_restored(path, data)
        if snap is not None and snap.data != data:
            history.save(path, snap.data)
        if snap is None or snap.data != data:
            write_atomic(VaultGuard([root]), snap, path, data)
    return restored
