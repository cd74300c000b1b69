"""The history store as vaultsync 0.x wrote it before packs (daemon/vaultsync/history.py at
commit c679364, kept verbatim below this note): tests make history folders with it, to prove the
current code reads them.

Previous versions of rewritten pages, kept outside the vault so a user can undo any rewrite.

Layout under `root` (a private folder in the state dir), one folder per page:
    <key>/page.json                 {"path": ..., "restored_sha256": ...}
    <key>/<saved_at_ns>-<sha256>.bin one saved version; the name carries its metadata
where <key> is a hash of the page's absolute path. File names are the index, so a crash can
never leave an index that disagrees with the versions on disk.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from vaultsync.errors import HistoryProblem, HistoryUnavailable, NoHistory, NoSuchVersion
from vaultsync.writer import is_temp_file, write_private_file

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
class _Stored:
    saved_ns: int
    sha256: str
    size: int
    file: Path


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _from_ns(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 10**9, UTC) + timedelta(microseconds=ns % 10**9 // 1000)


class History:
    """Saves a copy of each page before vaultsync rewrites it, and gives old copies back."""

    def __init__(
        self,
        root: Path,
        keep_versions: int = 10,
        max_total_bytes: int = 200 * 2**20,
        *,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
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
        try:
            self._make_private_folder(self.root)
        except OSError as err:
            raise HistoryUnavailable(self.root, HistoryProblem.NOT_CREATED, error=err) from None

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
                    self.root, HistoryProblem.COPY_NOT_SAVED, Path(path), err
                ) from None

    def versions(self, path: Path) -> list[Version]:
        """The saved versions of `path`, newest first (number 1 is the newest)."""
        stored = self._read_versions(self._folder(Path(path)))
        return [
            Version(number=i, saved_at=_from_ns(s.saved_ns), size=s.size, sha256=s.sha256)
            for i, s in enumerate(stored, start=1)
        ]

    def load(self, path: Path, number: int) -> bytes:
        """The bytes of version `number` (1 = newest) of `path`."""
        path = Path(path)
        stored = self._read_versions(self._folder(path))
        if not stored:
            raise NoHistory(path)
        if not 1 <= number <= len(stored):
            raise NoSuchVersion(path, number, len(stored))
        version = stored[number - 1]
        try:
            data = version.file.read_bytes()
        except FileNotFoundError:
            raise HistoryUnavailable(version.file, HistoryProblem.PRUNED) from None
        except OSError as err:
            raise HistoryUnavailable(version.file, HistoryProblem.NOT_READ, error=err) from None
        if _sha256(data) != version.sha256:
            raise HistoryUnavailable(version.file, HistoryProblem.DAMAGED)
        return data

    def pages(self) -> list[Path]:
        """Every page that has at least one saved version, sorted."""
        found: list[Path] = []
        for folder in self._page_folders():
            meta = self._read_meta(folder)
            if isinstance(meta.get("path"), str) and self._read_versions(folder):
                found.append(Path(meta["path"]))
        return sorted(found)

    def mark_restored(self, path: Path, data: bytes) -> None:
        """Remember that the user restored `data` to `path`, so the daemon leaves it as it is."""
        path = Path(path)
        with self._lock:
            try:
                folder = self._page_folder_for_writing(path)
                meta = self._read_meta(folder)
                meta["path"] = str(self._absolute(path))
                meta["restored_sha256"] = _sha256(data)
                self._write_meta(folder, meta)
            except OSError as err:
                raise HistoryUnavailable(
                    self.root, HistoryProblem.RESTORE_NOT_RECORDED, Path(path), err
                ) from None

    def restored_hash(self, path: Path) -> str | None:
        """The sha256 of the bytes last restored to `path` by the user, if any."""
        value = self._read_meta(self._folder(Path(path))).get("restored_sha256")
        return value if isinstance(value, str) else None

    # ----------------------------------------------------------------------- storage

    @staticmethod
    def _absolute(path: Path) -> Path:
        # Resolved, so a vault reached through a symlink keys the same as its real location.
        return path.resolve(strict=False)

    def _folder(self, path: Path) -> Path:
        raw = str(self._absolute(path)).encode("utf-8", "surrogateescape")
        return self.root / hashlib.sha256(raw).hexdigest()[:32]

    @staticmethod
    def _make_private_folder(folder: Path) -> None:
        missing: list[Path] = []
        current = folder
        while not current.exists():
            missing.append(current)
            if current.parent == current:
                break
            current = current.parent
        for part in reversed(missing):
            try:
                os.mkdir(part, 0o700)
            except FileExistsError:
                pass
            os.chmod(part, 0o700)  # the umask may not take bits away from mkdir's mode
        os.chmod(folder, 0o700)

    def _page_folder_for_writing(self, path: Path) -> Path:
        folder = self._folder(path)
        if not folder.is_dir():
            self._make_private_folder(self.root)  # someone may have removed it meanwhile
            os.mkdir(folder, 0o700)
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
            raise HistoryUnavailable(folder, HistoryProblem.NOT_READ, error=err) from None
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
            return [Path(e.path) for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False)]
        except FileNotFoundError:
            return []

    def _save(self, path: Path, data: bytes) -> None:
        folder = self._page_folder_for_writing(path)
        self._remove_stale_temps(folder)
        stored = self._read_versions(folder)
        digest = _sha256(data)
        if stored and stored[0].sha256 == digest:
            return
        # Strictly increasing per page even if the clock stands still or steps back.
        saved_ns = max(self._clock(), stored[0].saved_ns + 1 if stored else 0)
        newest = folder / f"{saved_ns:020d}-{digest}.bin"
        write_private_file(newest, data)
        removed = stored[self.keep_versions - 1 :]
        for old in removed:
            self._remove(old.file)
        if self._total is not None:
            self._total += len(data) - sum(old.size for old in removed)
            self._saves_since_count += 1
            if self._total <= self.max_total_bytes and self._saves_since_count < RECOUNT_EVERY:
                return
        self._prune_total(keep=newest)

    def _prune_total(self, keep: Path) -> None:
        """Remove the oldest versions, of any page, until the total fits max_total_bytes.

        The version just saved is kept even when it alone is larger: it is the copy that lets
        the user undo the rewrite about to happen.
        """
        everything: list[_Stored] = []
        for folder in self._page_folders():
            everything.extend(self._read_versions(folder))
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
