"""`History`: the store of a page's saved versions (its folder's files and its records in the
packs), saved before each rewrite and given back by number; the pages it knows; the lock and
the size count its saves, its packs and its pruning share. Its files are laid out and read in
files.py, pruned in prune.py; holds are kept in holds.py, names looked up in names.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from vaultsync.errors import HistoryProblem, HistoryUnavailable, NoHistory, NoSuchVersion
from vaultsync.history import holds, prune
from vaultsync.history.files import (
    Stored,
    delete,
    from_ns,
    has_packs,
    pack_files,
    page_folder,
    page_folder_for_writing,
    page_folders,
    read_meta,
    read_pack,
    read_stored,
    read_versions,
    remove_stale_temps,
    sha256,
    write_version,
)
from vaultsync.history.names import pages_named
from vaultsync.history.packs import HistoryPack
from vaultsync.writer import make_private_folder

RECOUNT_EVERY = 256  # saves between two full counts of the store's size


@dataclass(frozen=True)
class Version:
    """One saved version of a page; number 1 is the newest."""

    number: int
    saved_at: datetime
    size: int
    sha256: str


@dataclass(frozen=True)
class PageHistory:
    """What the store knows of one page: how many versions, the newest's time, its hold."""

    path: Path
    count: int
    newest: datetime | None  # None: no version left (pruned), only the hold remembered
    restored_sha256: str | None  # the bytes `undo` put back: held while the page has them


class History:
    """Saves a copy of each page before vaultsync rewrites it, and gives old copies back."""

    def __init__(
        self,
        root: Path,
        keep_versions: int = 10,
        max_total_bytes: int = 200 * 2**20,
        *,
        clock: Callable[[], int] = time.time_ns,
        create: bool = True,
    ) -> None:
        """`create=False`: only read what is there (a check or a dry run writes nothing, the
        state folder included); a missing folder is an empty history."""
        if keep_versions < 0 or max_total_bytes < 0:
            raise ValueError("keep_versions and max_total_bytes must not be negative")
        self.root = Path(root)
        self.keep_versions = keep_versions
        self.max_total_bytes = max_total_bytes
        self._clock = clock
        # Taken by every change to the store, this object's and its packs' (`locked`).
        self._lock = threading.Lock()
        # The store's size as this process last counted it, kept up to date by its own saves
        # and removals, so a save need not list every version of every page. Recounted from
        # disk when it nears the limit or every RECOUNT_EVERY saves (other processes save too).
        self._total: int | None = None
        self._saves_since_count = 0
        # The records of each pack as last read, with the pack's size then (packs only grow).
        self._packs_read: dict[Path, tuple[int, list[tuple[str, Stored, str]]]] = {}
        if not create:
            return
        try:
            make_private_folder(self.root)
        except OSError as err:
            raise HistoryUnavailable(self.root, HistoryProblem.NOT_CREATED, error=err) from None

    # ----------------------------------------------------------------------- versions

    def save(self, path: Path, data: bytes) -> None:
        """Store `data` as the newest version of `path` (unless it already is), then prune."""
        if self.keep_versions == 0:
            return
        with self._lock:
            try:
                self._save(Path(path), data)
            except OSError as err:
                raise HistoryUnavailable(
                    self.root, HistoryProblem.COPY_NOT_SAVED, Path(path), err
                ) from None

    def versions(self, path: Path) -> list[Version]:
        """The saved versions of `path`, newest first (number 1 is the newest)."""
        stored = self._stored(Path(path))
        return [
            Version(number=i, saved_at=from_ns(s.saved_ns), size=s.size, sha256=s.sha256)
            for i, s in enumerate(stored, start=1)
        ]

    def load(self, path: Path, number: int) -> bytes:
        """The bytes of version `number` (1 = newest) of `path`."""
        path = Path(path)
        stored = self._stored(path)
        if not stored:
            raise NoHistory(path)
        if not 1 <= number <= len(stored):
            raise NoSuchVersion(path, number, len(stored))
        version = stored[number - 1]
        try:
            data = read_stored(version)
        except FileNotFoundError:
            raise HistoryUnavailable(version.file, HistoryProblem.PRUNED) from None
        except OSError as err:
            raise HistoryUnavailable(version.file, HistoryProblem.NOT_READ, error=err) from None
        if sha256(data) != version.sha256:
            raise HistoryUnavailable(version.file, HistoryProblem.DAMAGED)
        return data

    def pack(self) -> HistoryPack:
        """A pack for the versions a pass saves: `add` each, `sync` before the pages they
        belong to are replaced (one fsync), `close` at the end of the pass."""
        return HistoryPack(self)

    # ----------------------------------------------------------------------- pages

    def pages(self) -> list[Path]:
        """Every page that has at least one saved version, sorted."""
        found: set[Path] = set()
        for folder in page_folders(self.root):
            meta = read_meta(folder)
            if isinstance(meta.get("path"), str) and read_versions(folder):
                found.add(Path(meta["path"]))
        for records in self.pack_index().values():
            found.update(Path(r[1]) for r in records)
        return sorted(found)

    def entries(self) -> list[PageHistory]:
        """Every page the store knows (a saved version, in its folder or a pass's pack, or a
        hold), sorted by path."""
        paths: set[Path] = set()
        for folder in page_folders(self.root):
            meta = read_meta(folder)
            if isinstance(meta.get("path"), str):
                paths.add(Path(meta["path"]))
        for records in self.pack_index().values():
            paths.update(Path(r[1]) for r in records)
        found: list[PageHistory] = []
        for path in paths:
            stored = self._stored(path)
            restored = self.restored_hash(path)
            if not stored and restored is None:
                continue
            newest = from_ns(stored[0].saved_ns) if stored else None
            found.append(PageHistory(path, len(stored), newest, restored))
        return sorted(found, key=lambda e: e.path)

    def find(self, query: str) -> list[Path]:
        """The pages with history that `query` names, as a user types a page: its name (a
        Logseq page's title or decoded file name, an Obsidian note's name; case, Unicode form
        and runs of spaces ignored) or the end of its path (`pages/Foo.md`)."""
        return pages_named(query, (entry.path for entry in self.entries()))

    # ----------------------------------------------------------------------- holds

    def mark_restored(self, path: Path, data: bytes) -> None:
        """Remember that the user restored `data` to `path`, so the daemon leaves it as it is."""
        with self._lock:
            holds.mark_restored(self.root, Path(path), data)

    def restored_hash(self, path: Path) -> str | None:
        """The sha256 of the bytes last restored to `path` by the user, if any."""
        return holds.restored_hash(self.root, Path(path))

    def is_held(self, path: Path, data: bytes | None = None) -> bool:
        """Whether `path` still has the bytes the user restored (`data`, or read from disk)."""
        return holds.is_held(self.root, Path(path), data)

    def release(self, path: Path) -> bool:
        """Forget the hold on `path`, so the next pass cleans it; False if it had none."""
        with self._lock:
            return holds.release(self.root, Path(path))

    def announce_hold(self, path: Path) -> bool:
        """True the first time this is asked for the current hold on `path` (holds.py)."""
        with self._lock:
            return holds.announce_hold(self.root, Path(path))

    # ----------------------------------------------------------------------- storage

    def _stored(self, path: Path) -> list[Stored]:
        """Every kept version of `path`, from its folder and the packs, newest first."""
        folder = page_folder(self.root, path)
        stored = read_versions(folder)
        packed = self.pack_index().get(folder.name)
        if packed:
            stored.extend(r[0] for r in packed)
            stored.sort(key=lambda s: s.saved_ns, reverse=True)
            del stored[max(self.keep_versions, 1) :]
        return stored

    def pack_index(self) -> prune.PackIndex:
        """key → (record, page path) of every pack, each pack read again only when it grew."""
        index: prune.PackIndex = {}
        cache = self._packs_read
        seen: set[Path] = set()
        for file in pack_files(self.root):
            try:
                size = file.stat().st_size
            except FileNotFoundError:
                continue
            seen.add(file)
            known = cache.get(file)
            if known is None or known[0] != size:
                known = (size, read_pack(file))
                cache[file] = known
            for key, record, page in known[1]:
                index.setdefault(key, []).append((record, page))
        for file in set(cache) - seen:
            del cache[file]
        return index

    def _save(self, path: Path, data: bytes) -> None:
        folder = page_folder_for_writing(self.root, path)
        remove_stale_temps(folder)
        stored = read_versions(folder)
        packed = self.pack_index().get(folder.name) if has_packs(self.root) else None
        if packed:  # versions a batch saved count too (only the folder's files are removed)
            stored.extend(r for r, _p in packed)
            stored.sort(key=lambda s: s.saved_ns, reverse=True)
        digest = sha256(data)
        if stored and stored[0].sha256 == digest:
            return
        saved_ns = self.next_saved_ns(stored[0].saved_ns if stored else -1)
        newest = write_version(folder, saved_ns, digest, data)
        removed = [s for s in stored[self.keep_versions - 1 :] if s.offset < 0]
        for old in removed:
            delete(old.file)
        if self._total is not None:
            self._total += len(data) - sum(old.size for old in removed)
            self._saves_since_count += 1
            if self._total <= self.max_total_bytes and self._saves_since_count < RECOUNT_EVERY:
                return
        self._prune_total(keep=newest)

    # ----------------------------------------------------------------------- for the packs

    def locked(self) -> threading.Lock:
        """The lock every change to the store takes (a pack's too)."""
        return self._lock

    def next_saved_ns(self, newest: int) -> int:
        """The time to save a page's next version under, after its `newest` (-1: none):
        strictly increasing per page even if the clock stands still or steps back."""
        return max(self._clock(), newest + 1)

    def grew(self, size: int) -> None:
        """A pack added `size` bytes to the store (under the lock)."""
        if self._total is not None:
            self._total += size

    def prune_after_pack(self, keys: set[str], keep: Path | None) -> None:
        """After a pack (under the lock): the pages it saved keep `keep_versions` versions,
        packs none of whose records is kept any more are removed, and the store is brought
        under its size limit."""
        prune.prune_packed(
            self.root,
            self.pack_index(),
            keys,
            self.keep_versions,
            keep,
            forget=lambda file: self._packs_read.pop(file, None),
        )
        self._saves_since_count += 1
        if (
            self._total is None
            or self._total > self.max_total_bytes
            or self._saves_since_count >= RECOUNT_EVERY
        ):
            self._prune_total(keep=keep or self.root)

    def _prune_total(self, keep: Path) -> None:
        """Remove the oldest versions, of any page, until the total fits max_total_bytes
        (`keep`, the version just saved, stays: prune.remove_oldest)."""
        found = prune.everything(self.root)
        self._saves_since_count = 0
        self._total = prune.remove_oldest(found, self.max_total_bytes, keep)
