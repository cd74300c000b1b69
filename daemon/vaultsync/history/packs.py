"""`HistoryPack`: the versions one batch of writes saves, appended to one new pack file and
made durable with one fsync (the pack's layout is in files.py)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.errors import HistoryProblem, HistoryUnavailable
from vaultsync.history.files import (
    PACKS,
    Stored,
    absolute,
    folder_keys,
    page_folder,
    read_versions,
    sha256,
)
from vaultsync.writer import create_private_file, make_private_folder

if TYPE_CHECKING:
    from vaultsync.history.store import History


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
        self._others: dict[str, list[tuple[Stored, str]]] | None = None
        self._folders: set[str] = set()
        self._dirty = False  # added since the last sync
        self._folder_synced = False

    def add(self, path: Path, data: bytes) -> None:
        h = self.history
        if h.keep_versions == 0:
            return
        try:
            with h.locked():
                self._add(Path(path), data)
        except OSError as err:
            raise HistoryUnavailable(
                h.root, HistoryProblem.COPY_NOT_SAVED, Path(path), err
            ) from None

    def _add(self, path: Path, data: bytes) -> None:
        h = self.history
        whole = absolute(path)
        key = page_folder(h.root, whole).name
        digest = sha256(data)
        newest = self._newest.get(key)
        if newest is None:
            newest = self._newest_stored(key)
        if newest[1] == digest:
            return
        saved_ns = h.next_saved_ns(newest[0])
        head = {
            "path": str(whole),
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
        h.grew(len(line) + len(data))

    def _newest_stored(self, key: str) -> tuple[int, str]:
        """(saved_ns, sha256) of the newest version kept of the page `key`, (-1, "") if none.
        The other packs are indexed once per pack (no other process saves into this history
        meanwhile: a vault is written by one vaultsync at a time), page folders looked into
        only where they exist."""
        h = self.history
        if self._others is None:
            self._others = h.pack_index()
            self._folders = folder_keys(h.root)
        stored = read_versions(h.root / key) if key in self._folders else []
        stored.extend(r for r, _p in self._others.get(key, ()))
        if not stored:
            return (-1, "")
        newest = max(stored, key=lambda s: s.saved_ns)
        return (newest.saved_ns, newest.sha256)

    def _open(self, saved_ns: int) -> int:
        if self._fd is None:
            h = self.history
            folder = h.root / PACKS
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
                folder = os.open(h.root / PACKS, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
                try:
                    os.fsync(folder)
                finally:
                    os.close(folder)
                self._folder_synced = True
        except OSError as err:
            raise HistoryUnavailable(
                h.root,
                HistoryProblem.COPIES_NOT_SAVED,
                error=err,
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
            with h.locked():
                h.prune_after_pack(self._keys, keep=self._file)
        except OSError as err:
            raise HistoryUnavailable(h.root, HistoryProblem.NOT_PRUNED, error=err) from None
