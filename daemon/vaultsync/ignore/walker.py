"""The walk over a vault: a fast `os.scandir` walk, pruned by a `PathFilter` folder by folder,
that yields the candidate pages (`VaultWalker.entries`) or every file a pass reads
(`VaultWalker.reading_entries`), and lists the folders it could not read."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vaultsync.ignore.pathfilter import READ_SUFFIXES, PathFilter


@dataclass(frozen=True)
class SkippedFolder:
    """A folder the walk could not read, and why."""

    path: Path
    reason: str


class VaultWalker:
    """Walks a vault with os.scandir, yielding candidate pages; `.skipped` lists unreadable folders.

    Symlinked folders are not followed (so link loops cannot happen). Symlinked files that match
    are yielded: reading through them is harmless, and the writer refuses to write through a link
    that leaves the vault. `.skipped` is reset at the start of every iteration; the root itself
    appears there when it is missing or unreadable.
    """

    def __init__(
        self, root: Path, flt: PathFilter, temp_file: Callable[[str], object] | None = None
    ) -> None:
        self.root = Path(root)
        self.filter = flt
        self.skipped: list[SkippedFolder] = []
        # Called with the path of every `*.tmp` file in a folder walked, before the walk goes on
        # (a writing pass removes vaultsync's own leftovers in the same walk).
        self.temp_file = temp_file

    def __iter__(self) -> Iterator[Path]:
        for entry, _rel in self.entries():
            yield Path(entry.path)

    def entries(self) -> Iterator[tuple[os.DirEntry[str], str]]:
        """Like iterating, but each page as its directory entry and vault-relative POSIX path."""
        self.skipped = []
        flt, temp_file = self.filter, self.temp_file
        # (absolute folder, relative folder with trailing '/' or '', covered by an include)
        stack: list[tuple[str, str, bool]] = [(os.fspath(self.root), "", False)]
        while stack:
            folder, rel_prefix, included = stack.pop()
            # Sorted last to first and popped: each entry (with its cached stat) is let go of
            # once handed out, not held until the folder is done (50,000 in a Logseq pages
            # folder: the peak of a daemon's start-up pass, which it then keeps as its size).
            entries = self._list(folder, is_root=not rel_prefix)
            entries.reverse()
            subfolders: list[tuple[str, str, bool]] = []
            while entries:
                entry = entries.pop()
                rel = rel_prefix + entry.name
                if _is_real_dir(entry):
                    state = flt.folder_state(rel, included)
                    if state is not None:
                        subfolders.append((entry.path, rel + "/", state))
                elif flt.file_matches(rel, included) and _is_file(entry):
                    yield entry, rel
                elif temp_file is not None and rel.endswith(".tmp"):
                    temp_file(entry.path)
            stack.extend(reversed(subfolders))

    def reading_entries(self) -> Iterator[tuple[os.DirEntry[str], str, bool]]:
        """Every file a pass reads (PathFilter.reads), as (directory entry, vault-relative
        POSIX path, whether it is a candidate page: entries() would yield it). Folders the
        include/exclude patterns leave out are walked too, for their notes' references;
        one of them that cannot be read is not recorded in `.skipped` (nothing there is
        cleaned: its references are lost, not a page)."""
        self.skipped = []
        flt, temp_file = self.filter, self.temp_file
        always_any, always_file = flt.always_any, flt.always_file
        # (absolute folder, relative folder with '/' or '', its folder_state: None when the
        # patterns exclude it, else whether an include covers it)
        stack: list[tuple[str, str, bool | None]] = [(os.fspath(self.root), "", False)]
        while stack:
            folder, rel_prefix, state = stack.pop()
            # (the same order, and the same letting go of entries, as entries())
            entries = self._list(folder, is_root=not rel_prefix, record=state is not None)
            entries.reverse()
            subfolders: list[tuple[str, str, bool | None]] = []
            while entries:
                entry = entries.pop()
                rel = rel_prefix + entry.name
                if _is_real_dir(entry):
                    if state is not None:
                        sub = flt.folder_state(rel, state)
                    else:
                        sub = None
                    if sub is not None or not always_any.fullmatch(rel):
                        subfolders.append((entry.path, rel + "/", sub))
                elif state is not None and flt.file_matches(rel, state) and _is_file(entry):
                    yield entry, rel, True
                elif (
                    rel.endswith(READ_SUFFIXES)
                    and not always_file.fullmatch(rel)
                    and _is_file(entry)
                ):
                    yield entry, rel, False
                elif temp_file is not None and rel.endswith(".tmp"):
                    temp_file(entry.path)
            stack.extend(reversed(subfolders))

    def _list(self, folder: str, *, is_root: bool, record: bool = True) -> list[os.DirEntry[str]]:
        """Sorted entries of a folder; an unreadable folder is recorded and yields nothing."""
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except FileNotFoundError:
            if is_root:
                self.skipped.append(SkippedFolder(Path(folder), "folder not found"))
            return []  # a subfolder removed during the walk: nothing to skip
        except PermissionError:
            if record:
                self.skipped.append(SkippedFolder(Path(folder), "permission denied"))
            return []
        except OSError as err:
            if record:
                self.skipped.append(SkippedFolder(Path(folder), err.strerror or str(err)))
            return []
        entries.sort(key=lambda e: e.name)
        return entries


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()  # follows a symlink: a link to a page is a page (see VaultWalker)
    except OSError:
        return False


def walk_vault(
    root: Path, flt: PathFilter, skipped: list[SkippedFolder] | None = None
) -> Iterator[Path]:
    """Yield the candidate pages of a vault; unreadable folders are appended to `skipped`."""
    walker = VaultWalker(root, flt)
    try:
        yield from walker
    finally:
        if skipped is not None:
            skipped.extend(walker.skipped)


def walk_reading(
    root: Path,
    flt: PathFilter,
    skipped: list[SkippedFolder] | None = None,
    temp_file: Callable[[str], object] | None = None,
) -> Iterator[tuple[os.DirEntry[str], str, bool]]:
    """Every file a pass reads, as (directory entry, vault-relative POSIX path, whether it is
    a candidate page). See VaultWalker.reading_entries."""
    walker = VaultWalker(root, flt, temp_file)
    try:
        yield from walker.reading_entries()
    finally:
        if skipped is not None:
            skipped.extend(walker.skipped)


def walk_entries(
    root: Path,
    flt: PathFilter,
    skipped: list[SkippedFolder] | None = None,
    temp_file: Callable[[str], object] | None = None,
) -> Iterator[tuple[os.DirEntry[str], str]]:
    """Like walk_vault, as (directory entry, vault-relative POSIX path): no Path built, and the
    entry's stat() ready for a cache check. `temp_file`: see VaultWalker."""
    walker = VaultWalker(root, flt, temp_file)
    try:
        yield from walker.entries()
    finally:
        if skipped is not None:
            skipped.extend(walker.skipped)
