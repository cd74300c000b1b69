"""Keeping the history store within its limits: `keep_versions` per page, `max_total_bytes` in
all. Which saved versions go, oldest first; the files themselves go through `files.delete`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vaultsync.history.files import (
    PACK_NAME,
    PACKS,
    Stored,
    delete,
    drop_if_empty,
    folder_keys,
    pack_files,
    page_folders,
    read_versions,
)

# key → (record, page path) of every pack, as `History.pack_index` gives it
PackIndex = dict[str, list[tuple[Stored, str]]]


def prune_packed(
    root: Path,
    index: PackIndex,
    keys: set[str],
    keep_versions: int,
    keep: Path | None,
    forget: Callable[[Path], None],
) -> None:
    """After a pack: the pages it saved (`keys`) keep `keep_versions` versions (their folder's
    files beyond are removed), and packs none of whose records is kept any more are removed
    (but `keep`, the pack just written); `forget` is told of each pack removed."""
    folders = folder_keys(root)

    def newest_first(key: str) -> list[Stored]:
        stored = read_versions(root / key) if key in folders else []
        stored.extend(r for r, _p in index.get(key, ()))
        stored.sort(key=lambda s: s.saved_ns, reverse=True)
        return stored

    for key in keys & folders:
        for old in newest_first(key)[keep_versions:]:
            if old.offset < 0:
                delete(old.file)
    live: set[Path] = set()
    for key in index:
        live.update(s.file for s in newest_first(key)[:keep_versions] if s.offset >= 0)
    for file in pack_files(root):
        if file not in live and file != keep:
            delete(file)
            forget(file)


def everything(root: Path) -> list[Stored]:
    """Every version file of every page, and every pack (counted whole, as old as its first
    record)."""
    found: list[Stored] = []
    for folder in page_folders(root):
        found.extend(read_versions(folder))
    for file in pack_files(root):
        try:
            size = file.stat().st_size
        except FileNotFoundError:
            continue
        first = PACK_NAME.match(file.name)
        assert first is not None
        found.append(Stored(int(first[1]), "", size, file, 0))
    return found


def remove_oldest(found: list[Stored], max_total_bytes: int, keep: Path) -> int:
    """Remove the oldest of `found` (from `everything`), of any page, until the total fits
    `max_total_bytes`; the total left.

    `keep`, the version just saved, is kept even when it alone is larger: it is the copy that
    lets the user undo the rewrite about to happen.
    """
    total = sum(s.size for s in found)
    touched: set[Path] = set()
    for old in sorted(found, key=lambda s: s.saved_ns):
        if total <= max_total_bytes:
            break
        if old.file == keep:
            continue
        delete(old.file)
        total -= old.size
        touched.add(old.file.parent)
    for folder in touched:
        if folder.name != PACKS:
            drop_if_empty(folder)
    return total
