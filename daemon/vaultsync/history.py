"""Previous versions of rewritten pages, kept outside the vault so a user can undo any rewrite.

Layout under `root` (a private folder in the state dir), one folder per page:
    <key>/page.json                 {"path": ..., "restored_sha256": ..., "announced_sha256": ...}
    <key>/<saved_at_ns>-<sha256>.bin one saved version; the name carries its metadata
where <key> is a hash of the page's absolute path. File names are the index, so a crash can
never leave an index that disagrees with the versions on disk.

A pass that writes many pages (a batch, see writer.WriteBatch) saves their versions into one
pack instead, fsynced once:
    packs/<first_saved_ns>-<random>.pack
a sequence of records, each a JSON header line ({"path", "key", "saved_ns", "sha256", "size"})
followed by the version's bytes. A pack is only appended to; a record cut short by a crash (its
page was never replaced) is ignored. Both layouts are read together: a page's versions are the
files of its folder and its records in every pack, newest first, at most `keep_versions` of
them. A pack is removed once none of its records is among its page's kept versions, or as a
whole when the store is over its size limit (oldest first).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from vaultsync.core import syntax
from vaultsync.core.authors import logseq_page_name
from vaultsync.core.identity import name_key
from vaultsync.errors import (
    HistoryUnavailable,
    NoHistory,
    NoSuchVersion,
    PageVanished,
    state_folder_advice,
)
from vaultsync.pipeline.report import PageReason
from vaultsync.results import Reason
from vaultsync.writer import (
    VaultGuard,
    create_private_file,
    is_temp_file,
    make_private_folder,
    read_page,
    write_atomic,
    write_private_file,
)

if TYPE_CHECKING:
    from vaultsync.pipeline.report import PassOptions, PassReport

log = logging.getLogger(__name__)

_VERSION_NAME = re.compile(r"\A(\d{1,20})-([0-9a-f]{64})\.bin\Z")
_META = "page.json"
# A temp file this old in a page folder is a crash leftover, not a save in progress.
_STALE_TEMP_SECONDS = 3600
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


@dataclass(frozen=True)
class _Stored:
    saved_ns: int
    sha256: str
    size: int
    file: Path
    offset: int = -1  # where the bytes start in a pack; -1: the whole file is the version


_PACKS = "packs"
_PACK_NAME = re.compile(r"\A(\d{1,20})-[0-9a-f]{8,32}\.pack\Z")
_MAX_HEADER = 1 << 16


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _from_ns(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 10**9, UTC) + timedelta(microseconds=ns % 10**9 // 1000)


def _names_of(path: Path) -> set[str]:
    """The keys (identity.name_key) of the names a page answers to: its file name, that name
    decoded the ways Logseq encodes names (`___` for `/`, %-escapes), its `title::`."""
    stem = path.stem
    names = {stem, logseq_page_name(stem), unquote(stem), unquote(stem.replace(".", "/"))}
    try:
        with open(path, "rb") as page:
            head = page.read(4096).decode("utf-8", "replace").lstrip("\ufeff")
    except OSError:
        head = ""  # a deleted page is still named by its file name
    for line in head.splitlines():
        prop = syntax.logseq_property(line.lstrip("- "))  # (a first block's too: lenient)
        if prop is not None and prop[0] == "title":
            names.add(prop[1].strip())
            break
        if line.strip() and "::" not in line:
            break  # past the page's properties
    return {name_key(n) for n in names if n.strip()}


def _problem(err: OSError) -> str:
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) or isinstance(err, PermissionError):
        return state_folder_advice(err.errno, err.strerror)
    return err.strerror or str(err)


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
        self._lock = threading.Lock()
        # The store's size as this process last counted it, kept up to date by its own saves
        # and removals, so a save need not list every version of every page. Recounted from
        # disk when it nears the limit or every RECOUNT_EVERY saves (other processes save too).
        self._total: int | None = None
        self._saves_since_count = 0
        # The records of each pack as last read, with the pack's size then (packs only grow).
        self._packs_read: dict[Path, tuple[int, list[tuple[str, _Stored, str]]]] = {}
        if not create:
            return
        try:
            make_private_folder(self.root)
        except OSError as err:
            raise HistoryUnavailable(self.root, f"cannot create it: {_problem(err)}") from None

    # ----------------------------------------------------------------------- public API

    def save(self, path: Path, data: bytes) -> None:
        """Store `data` as the newest version of `path` (unless it already is), then prune."""
        if self.keep_versions == 0:
            return
        with self._lock:
            try:
                self._save(Path(path), data)
            except OSError as err:
                raise HistoryUnavailable(
                    self.root, f"cannot save a copy of {path} before rewriting it: {_problem(err)}"
                ) from None

    def versions(self, path: Path) -> list[Version]:
        """The saved versions of `path`, newest first (number 1 is the newest)."""
        stored = self._stored(Path(path))
        return [
            Version(number=i, saved_at=_from_ns(s.saved_ns), size=s.size, sha256=s.sha256)
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
            data = _read_stored(version)
        except FileNotFoundError:
            raise HistoryUnavailable(
                version.file, "this version was removed meanwhile (pruned); list them again"
            ) from None
        except OSError as err:
            raise HistoryUnavailable(version.file, f"cannot read it: {_problem(err)}") from None
        if _sha256(data) != version.sha256:
            raise HistoryUnavailable(
                version.file, "this saved copy is damaged (its checksum does not match)"
            )
        return data

    def pages(self) -> list[Path]:
        """Every page that has at least one saved version, sorted."""
        found: set[Path] = set()
        for folder in self._page_folders():
            meta = self._read_meta(folder)
            if isinstance(meta.get("path"), str) and self._read_versions(folder):
                found.add(Path(meta["path"]))
        for records in self._pack_index().values():
            found.update(Path(r[1]) for r in records)
        return sorted(found)

    def entries(self) -> list[PageHistory]:
        """Every page the store knows (a saved version, in its folder or a pass's pack, or a
        hold), sorted by path."""
        paths: set[Path] = set()
        for folder in self._page_folders():
            meta = self._read_meta(folder)
            if isinstance(meta.get("path"), str):
                paths.add(Path(meta["path"]))
        for records in self._pack_index().values():
            paths.update(Path(r[1]) for r in records)
        found: list[PageHistory] = []
        for path in paths:
            stored = self._stored(path)
            restored = self.restored_hash(path)
            if not stored and restored is None:
                continue
            newest = _from_ns(stored[0].saved_ns) if stored else None
            found.append(PageHistory(path, len(stored), newest, restored))
        return sorted(found, key=lambda e: e.path)

    def find(self, query: str) -> list[Path]:
        """The pages with history that `query` names, as a user types a page: its name (a
        Logseq page's title or decoded file name, an Obsidian note's name; case, Unicode form
        and runs of spaces ignored) or the end of its path (`pages/Foo.md`)."""
        wanted = name_key(query.strip())
        if wanted.endswith(".md"):
            wanted = wanted[:-3].rstrip()
        tail = "/" + query.strip().replace(os.sep, "/").lstrip("/").casefold()
        found = []
        for entry in self.entries():
            path = entry.path
            if path.as_posix().casefold().endswith(tail) or wanted in _names_of(path):
                found.append(path)
        return found

    def pack(self) -> HistoryPack:
        """A pack for the versions a pass saves: `add` each, `sync` before the pages they
        belong to are replaced (one fsync), `close` at the end of the pass."""
        return HistoryPack(self)

    def mark_restored(self, path: Path, data: bytes) -> None:
        """Remember that the user restored `data` to `path`, so the daemon leaves it as it is."""
        path = Path(path)
        with self._lock:
            try:
                folder = self._page_folder_for_writing(path)
                meta = self._read_meta(folder)
                meta["path"] = str(self._absolute(path))
                meta["restored_sha256"] = _sha256(data)
                meta.pop("announced_sha256", None)  # a new hold: announced afresh
                self._write_meta(folder, meta)
            except OSError as err:
                raise HistoryUnavailable(
                    self.root, f"cannot record the restore of {path}: {_problem(err)}"
                ) from None

    def restored_hash(self, path: Path) -> str | None:
        """The sha256 of the bytes last restored to `path` by the user, if any."""
        value = self._read_meta(self._folder(Path(path))).get("restored_sha256")
        return value if isinstance(value, str) else None

    def is_held(self, path: Path, data: bytes | None = None) -> bool:
        """Whether `path` is held after undo: it still has the bytes the user restored (`data`,
        or read from disk). A hold lapses by itself when the page changes."""
        restored = self.restored_hash(path)
        if restored is None:
            return False
        if data is None:
            try:
                data = Path(path).read_bytes()
            except OSError:
                return False
        return _sha256(data) == restored

    def release(self, path: Path) -> bool:
        """Forget the hold on `path`, so the next pass cleans it; False if it had none."""
        path = Path(path)
        with self._lock:
            folder = self._folder(path)
            meta = self._read_meta(folder)
            if not meta.get("restored_sha256"):
                return False
            meta["restored_sha256"] = None
            meta.pop("announced_sha256", None)
            try:
                self._write_meta(folder, meta)
            except OSError as err:
                raise HistoryUnavailable(
                    self.root, f"cannot release {path}: {_problem(err)}"
                ) from None
            self._drop_if_empty(folder)
            return True

    def announce_hold(self, path: Path) -> bool:
        """True the first time this is asked for the current hold on `path` (persisted in the
        store, so a restart does not ask again): the daemon warns once per undo, not at every
        start. False when already announced. When the mark cannot be recorded it is said
        again next time: better twice than never."""
        path = Path(path)
        with self._lock:
            folder = self._folder(path)
            meta = self._read_meta(folder)
            restored = meta.get("restored_sha256")
            if not isinstance(restored, str) or meta.get("announced_sha256") == restored:
                return False
            meta["announced_sha256"] = restored
            try:
                self._write_meta(folder, meta)
            except OSError as err:
                log.debug("cannot record that the hold on %s was announced: %s", path, err)
            return True

    # ----------------------------------------------------------------------- storage

    def _stored(self, path: Path) -> list[_Stored]:
        """Every kept version of `path`, from its folder and the packs, newest first."""
        folder = self._folder(path)
        stored = self._read_versions(folder)
        packed = self._pack_index().get(folder.name)
        if packed:
            stored.extend(r[0] for r in packed)
            stored.sort(key=lambda s: s.saved_ns, reverse=True)
            del stored[max(self.keep_versions, 1) :]
        return stored

    def _has_packs(self) -> bool:
        return os.path.isdir(self.root / _PACKS)

    def _pack_files(self) -> list[Path]:
        try:
            entries = list(os.scandir(self.root / _PACKS))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as err:
            raise HistoryUnavailable(
                self.root / _PACKS, f"cannot read it: {_problem(err)}"
            ) from None
        return sorted(Path(e.path) for e in entries if _PACK_NAME.match(e.name))

    def _pack_index(self) -> dict[str, list[tuple[_Stored, str]]]:
        """key → (record, page path) of every pack, each pack read again only when it grew."""
        index: dict[str, list[tuple[_Stored, str]]] = {}
        cache = self._packs_read
        seen: set[Path] = set()
        for file in self._pack_files():
            try:
                size = file.stat().st_size
            except FileNotFoundError:
                continue
            seen.add(file)
            known = cache.get(file)
            if known is None or known[0] != size:
                known = (size, _read_pack(file))
                cache[file] = known
            for key, record, page in known[1]:
                index.setdefault(key, []).append((record, page))
        for file in set(cache) - seen:
            del cache[file]
        return index

    @staticmethod
    def _absolute(path: Path) -> Path:
        # Resolved, so a vault reached through a symlink keys the same as its real location.
        return path.resolve(strict=False)

    def _folder(self, path: Path) -> Path:
        raw = str(self._absolute(path)).encode("utf-8", "surrogateescape")
        return self.root / hashlib.sha256(raw).hexdigest()[:32]

    def _page_folder_for_writing(self, path: Path) -> Path:
        folder = self._folder(path)
        if not folder.is_dir():
            make_private_folder(self.root)  # someone may have removed it meanwhile
            make_private_folder(folder)
        meta = self._read_meta(folder)
        if "path" not in meta:  # new, or the index was damaged: the path is what `pages` shows
            meta.update(path=str(self._absolute(path)), restored_sha256=None)
            self._write_meta(folder, meta)
        return folder

    def _read_meta(self, folder: Path) -> dict[str, Any]:
        try:
            meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            log.warning("ignoring damaged history index %s: %s", folder / _META, err)
            return {}
        return meta if isinstance(meta, dict) else {}

    @staticmethod
    def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
        write_private_file(folder / _META, json.dumps(meta, indent=1).encode("utf-8"))

    @staticmethod
    def _read_versions(folder: Path) -> list[_Stored]:
        """Saved versions in `folder`, newest first."""
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as err:
            raise HistoryUnavailable(folder, f"cannot read it: {_problem(err)}") from None
        stored: list[_Stored] = []
        for entry in entries:
            match = _VERSION_NAME.match(entry.name)
            if not match:
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # pruned meanwhile
            if stat.S_ISREG(st.st_mode):
                stored.append(_Stored(int(match[1]), match[2], st.st_size, Path(entry.path)))
        stored.sort(key=lambda s: s.saved_ns, reverse=True)
        return stored

    def _page_folders(self) -> list[Path]:
        try:
            return [
                Path(e.path)
                for e in os.scandir(self.root)
                if e.is_dir(follow_symlinks=False) and e.name != _PACKS
            ]
        except FileNotFoundError:
            return []

    def _save(self, path: Path, data: bytes) -> None:
        folder = self._page_folder_for_writing(path)
        self._remove_stale_temps(folder)
        stored = self._read_versions(folder)
        packed = self._pack_index().get(folder.name) if self._has_packs() else None
        if packed:  # versions a batch saved count too (only the folder's files are removed)
            stored.extend(r for r, _p in packed)
            stored.sort(key=lambda s: s.saved_ns, reverse=True)
        digest = _sha256(data)
        if stored and stored[0].sha256 == digest:
            return
        # Strictly increasing per page even if the clock stands still or steps back.
        saved_ns = max(self._clock(), stored[0].saved_ns + 1 if stored else 0)
        newest = folder / f"{saved_ns:020d}-{digest}.bin"
        write_private_file(newest, data)
        removed = [s for s in stored[self.keep_versions - 1 :] if s.offset < 0]
        for old in removed:
            self._remove(old.file)
        if self._total is not None:
            self._total += len(data) - sum(old.size for old in removed)
            self._saves_since_count += 1
            if self._total <= self.max_total_bytes and self._saves_since_count < RECOUNT_EVERY:
                return
        self._prune_total(keep=newest)

    def _prune_packed(self, keys: set[str], keep: Path | None) -> None:
        """After a pack: the pages it saved keep `keep_versions` versions (their folder's
        files beyond are removed), packs none of whose records is kept any more are removed,
        and the store is brought under its size limit."""
        index = self._pack_index()
        try:
            folders = {e.name for e in os.scandir(self.root) if e.name != _PACKS}
        except FileNotFoundError:
            folders = set()

        def newest_first(key: str) -> list[_Stored]:
            stored = self._read_versions(self.root / key) if key in folders else []
            stored.extend(r for r, _p in index.get(key, ()))
            stored.sort(key=lambda s: s.saved_ns, reverse=True)
            return stored

        for key in keys & folders:
            for old in newest_first(key)[self.keep_versions :]:
                if old.offset < 0:
                    self._remove(old.file)
        live: set[Path] = set()
        for key in index:
            live.update(s.file for s in newest_first(key)[: self.keep_versions] if s.offset >= 0)
        for file in self._pack_files():
            if file not in live and file != keep:
                self._remove(file)
                self._packs_read.pop(file, None)
        self._saves_since_count += 1
        if (
            self._total is None
            or self._total > self.max_total_bytes
            or self._saves_since_count >= RECOUNT_EVERY
        ):
            self._prune_total(keep=keep or self.root)

    def _prune_total(self, keep: Path) -> None:
        """Remove the oldest versions, of any page, until the total fits max_total_bytes.

        The version just saved is kept even when it alone is larger: it is the copy that lets
        the user undo the rewrite about to happen.
        """
        everything: list[_Stored] = []
        for folder in self._page_folders():
            everything.extend(self._read_versions(folder))
        for file in self._pack_files():  # a pack counts whole, as old as its first record
            try:
                size = file.stat().st_size
            except FileNotFoundError:
                continue
            first = _PACK_NAME.match(file.name)
            assert first is not None
            everything.append(_Stored(int(first[1]), "", size, file, 0))
        total = sum(s.size for s in everything)
        everything.sort(key=lambda s: s.saved_ns)
        self._saves_since_count = 0
        touched: set[Path] = set()
        for old in everything:
            if total <= self.max_total_bytes:
                break
            if old.file == keep:
                continue
            self._remove(old.file)
            total -= old.size
            touched.add(old.file.parent)
        for folder in touched:
            if folder.name != _PACKS:
                self._drop_if_empty(folder)
        self._total = total

    def _drop_if_empty(self, folder: Path) -> None:
        if self._read_versions(folder) or self._read_meta(folder).get("restored_sha256"):
            return
        try:
            for entry in os.scandir(folder):
                if entry.name == _META or is_temp_file(entry.name):
                    continue
                return  # something we do not know: leave the folder alone
            self._remove(folder / _META)
            os.rmdir(folder)
        except OSError as err:
            log.debug("cannot remove empty history folder %s: %s", folder, err)

    @staticmethod
    def _remove_stale_temps(folder: Path) -> None:
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for entry in os.scandir(folder):
            try:
                if is_temp_file(entry.name) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
            except FileNotFoundError:
                continue

    @staticmethod
    def _remove(file: Path) -> None:
        try:
            os.unlink(file)
        except FileNotFoundError:
            pass


def _read_stored(version: _Stored) -> bytes:
    if version.offset < 0:
        return version.file.read_bytes()
    with open(version.file, "rb") as f:
        f.seek(version.offset)
        return f.read(version.size)


def _read_pack(file: Path) -> list[tuple[str, _Stored, str]]:
    """The whole records of a pack: (key, record, page path); a record cut short ends it."""
    found: list[tuple[str, _Stored, str]] = []
    try:
        with open(file, "rb") as f:
            end = os.fstat(f.fileno()).st_size
            while True:
                line = f.readline(_MAX_HEADER)
                if not line.endswith(b"\n"):
                    break
                try:
                    head = json.loads(line)
                    key, page = str(head["key"]), str(head["path"])
                    saved, digest, size = (
                        int(head["saved_ns"]),
                        str(head["sha256"]),
                        int(head["size"]),
                    )
                except (ValueError, KeyError, TypeError):
                    log.warning("ignoring the rest of damaged history pack %s", file)
                    break
                offset = f.tell()
                if offset + size > end:
                    break  # cut short by a crash: its page was never replaced
                found.append((key, _Stored(saved, digest, size, file, offset), page))
                f.seek(offset + size)
    except FileNotFoundError:
        return []
    except OSError as err:
        raise HistoryUnavailable(file, f"cannot read it: {_problem(err)}") from None
    return found


class HistoryPack:
    """The versions one batch saves, appended to one new pack file of the history and made
    durable with one fsync (`close`). A page whose newest kept version already holds the bytes
    is not saved again."""

    def __init__(self, history: History) -> None:
        self.history = history
        self._fd: int | None = None
        self._file: Path | None = None
        self._newest: dict[str, tuple[int, str]] = {}  # key → (saved_ns, sha256) of its newest
        self._keys: set[str] = set()
        self._others: dict[str, list[tuple[_Stored, str]]] | None = None
        self._folders: set[str] = set()
        self._dirty = False  # added since the last sync
        self._folder_synced = False

    def add(self, path: Path, data: bytes) -> None:
        h = self.history
        if h.keep_versions == 0:
            return
        try:
            with h._lock:
                self._add(Path(path), data)
        except OSError as err:
            raise HistoryUnavailable(
                h.root, f"cannot save a copy of {path} before rewriting it: {_problem(err)}"
            ) from None

    def _add(self, path: Path, data: bytes) -> None:
        h = self.history
        absolute = h._absolute(path)
        key = h._folder(absolute).name
        digest = _sha256(data)
        newest = self._newest.get(key)
        if newest is None:
            newest = self._newest_stored(key)
        if newest[1] == digest:
            return
        saved_ns = max(h._clock(), newest[0] + 1)
        head = {
            "path": str(absolute),
            "key": key,
            "saved_ns": saved_ns,
            "sha256": digest,
            "size": len(data),
        }
        line = json.dumps(head).encode("utf-8") + b"\n"
        fd = self._open(saved_ns)
        view = memoryview(line + data)
        self._dirty = True
        while view:
            view = view[os.write(fd, view) :]
        self._newest[key] = (saved_ns, digest)
        self._keys.add(key)
        if h._total is not None:
            h._total += len(line) + len(data)

    def _newest_stored(self, key: str) -> tuple[int, str]:
        """(saved_ns, sha256) of the newest version kept of the page `key`, (-1, "") if none.
        The other packs are indexed once per pack (no other process saves into this history
        meanwhile: a vault is written by one vaultsync at a time), page folders looked into
        only where they exist."""
        h = self.history
        if self._others is None:
            self._others = h._pack_index()
            try:
                self._folders = {e.name for e in os.scandir(h.root) if e.name != _PACKS}
            except FileNotFoundError:
                self._folders = set()
        stored = h._read_versions(h.root / key) if key in self._folders else []
        stored.extend(r for r, _p in self._others.get(key, ()))
        if not stored:
            return (-1, "")
        newest = max(stored, key=lambda s: s.saved_ns)
        return (newest.saved_ns, newest.sha256)

    def _open(self, saved_ns: int) -> int:
        if self._fd is None:
            h = self.history
            folder = h.root / _PACKS
            if not folder.is_dir():
                make_private_folder(folder)
            name = f"{saved_ns:020d}-{secrets.token_hex(8)}.pack"
            self._file = folder / name
            self._fd = create_private_file(self._file)
        return self._fd

    def sync(self) -> None:
        """Make what was added so far durable: one fsync of the pack (and of its folder, the
        first time). A batch calls it before its renames; the pack stays open for the next."""
        if self._fd is None or not self._dirty:
            return
        h = self.history
        try:
            os.fsync(self._fd)
            if not self._folder_synced:
                folder = os.open(h.root / _PACKS, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
                try:
                    os.fsync(folder)
                finally:
                    os.close(folder)
                self._folder_synced = True
        except OSError as err:
            raise HistoryUnavailable(
                h.root,
                f"cannot save the copies of the pages about to be rewritten: {_problem(err)}",
            ) from None
        self._dirty = False

    def close(self) -> None:
        """Make the pack durable (sync), close it, then prune the store."""
        if self._fd is None:
            return
        h = self.history
        try:
            self.sync()
        finally:
            fd, self._fd = self._fd, None
            os.close(fd)
        try:
            with h._lock:
                h._prune_packed(self._keys, keep=self._file)
        except OSError as err:
            raise HistoryUnavailable(
                h.root, f"cannot prune the saved copies: {_problem(err)}"
            ) from None


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


def held_after_undo(path: Path, data: bytes, options: PassOptions, report: PassReport) -> bool:
    """Whether the page is held after undo (it has the bytes the user restored); if so it is
    reported skipped, in every mode alike, so check, dry run and resync agree."""
    history = options.history
    if history is None or not history.is_held(path.resolve(), data):  # type: ignore[attr-defined]
        return False
    report.skipped.append((path, PageReason(Reason.HELD_AFTER_UNDO)))
    first = options.mode == "write" and history.announce_hold(path.resolve())  # type: ignore[attr-defined]
    report.held[path] = first
    return True
