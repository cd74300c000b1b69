"""Phase 1 of a full pass: the walk. Every note, canvas and org page tells the index its names
and references; a page the state cache knows unchanged is not read (its row says what it
holds); candidates and managed pages are listed for the session. A vault found exactly as the
last settled pass left it (its stat snapshot) looks up no page's row at all."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vaultsync.errors import PageVanished, VaultsyncError, page_reason
from vaultsync.ignore import walk_reading
from vaultsync.pipeline import store
from vaultsync.pipeline.classify import file_facts, make_entry
from vaultsync.pipeline.index import Source, Unread, VaultIndex
from vaultsync.pipeline.report import PageReason, PassReport, page_error
from vaultsync.results import Reason
from vaultsync.state import (
    KINDS,
    Entry,
    Names,
    StateCache,
    row_names_text,
    row_readwise,
    row_refs,
    stat_key,
    stored_names,
)
from vaultsync.vault import Vault
from vaultsync.writer import remove_temp_file

log = logging.getLogger(__name__)


def walk_vault(
    vault: Vault,
    report: PassReport,
    progress: Callable[[], None] | None,
    cache: StateCache | None = None,
    now: int = 0,
    cleanup: bool = False,
    listing: bool = False,
) -> VaultIndex:
    """Phase 1: what every page tells the index. With a cache, a page it knows unchanged is
    not read (its row says what it holds); every other page is read and its row renewed.
    `cleanup`: remove the temp files a crashed vaultsync left in the folders walked."""
    index = VaultIndex()
    skipped_folders: list = []
    seen: set[str] = set()
    unchanged = cache is not None
    pending, referenced = index.pending, index.referenced_ids
    temp_file = remove_temp_file if cleanup else None
    kinds = report.kinds if listing else None
    # Every note, canvas and org page is read for references and names; only candidates
    # (inside the include patterns) are counted, cleaned, or managed as author pages.
    walk: Iterable[tuple[os.DirEntry[str], str, bool]]
    walk = walk_reading(vault.root, vault.path_filter, skipped_folders, temp_file)
    with _gc_paused():
        if cache is not None and cache.snapshot and not listing:
            # The last pass settled: first only the stat of every page, against its snapshot.
            walked, keys = _stat_walk(walk, progress)
            if not skipped_folders and keys is not None and cache.same_as_settled(keys, now):
                if _enter_settled(vault, index, walked, cache, report):
                    return index
            walk, progress = _consume(walked), None  # not as it was: each page as below
        for dir_entry, rel, cleanable in walk:
            if progress:
                progress()
            if cleanable:
                report.scanned += 1
            row = cache.fresh_row(rel, dir_entry, now) if cache is not None else None
            if row is not None:
                # Unchanged (not read): its row says what it holds. Most pages are ordinary
                # notes, of which only the names and block references count; the rest of a
                # managed or candidate page's row is decoded later, and only when needed.
                kind = row[6]
                names = row_names_text(row) if kind in KINDS and isinstance(row[5], bytes) else None
                if names is not None:
                    seen.add(rel)
                    pending.append((dir_entry.path, names))
                    if row[8]:
                        referenced.update(row_refs(row))
                    if not cleanable:
                        continue
                    if kinds is not None:
                        kinds.append((dir_entry.path, kind))
                    if kind == "candidate":
                        index.candidates.append((dir_entry.path, rel, row))
                    elif kind == "managed":
                        index.unread_managed.append((dir_entry.path, rel, row))
                    continue
            path = Path(dir_entry.path)
            try:
                snap = store.read_page(path)
            except PageVanished:
                unchanged = False
                continue
            except VaultsyncError as err:
                if not cleanable:
                    # Read for references only (outside include): nothing of it is cleaned,
                    # so nothing to report each pass (a huge export kept in an excluded folder).
                    log.debug("%s: not read for references: %s", path, page_reason(err, path))
                    continue
                report.skipped.append((path, page_error(err, path)))
                unchanged = False
                if cache is not None and _keep_readwise_row(cache, rel):
                    report.readwise += 1  # a Readwise page still, though unreadable now
                    seen.add(rel)
                continue
            if cache is None:
                kind, names, refs = file_facts(vault, path, snap.data)
                read: Entry | None = None
            else:
                seen.add(rel)
                old = cache.take(rel)
                read = make_entry(vault, path, snap, old, now)
                unchanged = unchanged and read is old  # (the same bytes: the old row, restamped)
                cache.put(rel, read)
                kind, names, refs = read.kind, read.names, read.refs
            # A page's Path is not kept in the names: the index holds files as strings (NameTable).
            pending.append((dir_entry.path, names))
            referenced.update(refs)
            if rel[-7:].lower() == ".canvas":  # (a canvas is named when read)
                store.report_bad_canvas(path, snap.data, report)
            if not cleanable:
                continue
            if kinds is not None:
                kinds.append((dir_entry.path, kind))
            source = store.source_of(index, kind, path, snap, rel, read)
            if source is not None:
                index.candidates.append(source)
    for folder in skipped_folders:
        report.skipped.append((folder.path, PageReason(Reason.FOLDER_NOT_READ, why=folder.reason)))
    if cache is not None:
        unchanged = cache.keep_only(seen) == 0 and unchanged and not skipped_folders
    index.unchanged = unchanged
    return index


# A page of a stat walk: (its path, its stat_key, whether it is a candidate page). Its
# directory entry is not kept (with its cached stat result, 0.5 kB a page: 25 MB more at the
# peak of a daemon's start-up pass over 50,000 files).
Seen = tuple[str, str, bool]


def _stat_walk(
    walk: Iterable[tuple[os.DirEntry[str], str, bool]], progress: Callable[[], None] | None
) -> tuple[list[Seen], list[str] | None]:
    """The pages of a walk, in walk order, and their stat_keys (None when a page could not be
    stat'ed: its key is then its path alone, and the walk below says what is wrong)."""
    walked: list[Seen] = []
    keys: list[str] | None = []
    for dir_entry, rel, cleanable in walk:
        if progress:
            progress()
        try:
            st = dir_entry.stat()
        except OSError:
            walked.append((dir_entry.path, rel + "\0", cleanable))
            keys = None
            continue
        key = stat_key(rel, st.st_size, st.st_mtime_ns, st.st_ino)
        walked.append((dir_entry.path, key, cleanable))
        if keys is not None:
            keys.append(key)
    return walked, keys


class _Stat:
    """The stat fields a stat walk kept of a page, as fresh_row() reads a directory entry's."""

    __slots__ = ("path", "_key", "st_size", "st_mtime_ns", "st_ino")

    def __init__(self, path: str, key: str) -> None:
        self.path, self._key = path, key

    def stat(self) -> _Stat | os.stat_result:
        fields = self._key.split("\0")
        if len(fields) != 4:
            # The walk could not stat it: once more, for the real answer (or the real error).
            return os.stat(self.path)
        self.st_size, self.st_mtime_ns, self.st_ino = map(int, fields[1:])
        return self


def _consume(walked: list[Seen]) -> Iterator[tuple]:
    """The pages of a stat walk as the walk below takes them (with the stat they had then),
    in walk order, each let go of once handed out."""
    walked.reverse()
    while walked:
        path, key, cleanable = walked.pop()
        yield _Stat(path, key), key[: key.index("\0")], cleanable


def _enter_settled(
    vault: Vault, index: VaultIndex, walked: list[Seen], cache: StateCache, report: PassReport
) -> bool:
    """A walk that found every page as the settled rows record it: the candidates and managed
    pages listed from their rows (undecoded, as a walk leaves them), the names and references
    left to the index to fill if asked (VaultIndex.defer). False (nothing entered) when the
    rows cannot be read as they were loaded: the walk then looks at each page."""
    rows = cache.settled_rows()
    if rows is None:
        return False
    candidates, managed, scanned = [], [], 0
    for path, key, cleanable in walked:
        if not cleanable:
            continue
        scanned += 1
        rel = key[: key.index("\0")]
        row = rows.get(rel)
        if row is None:
            continue  # an ordinary page
        if not isinstance(row[5], bytes):
            return False  # (a row a walk would not trust: it reads the page)
        if row[6] == "candidate":
            candidates.append((path, rel, row))
        elif row[6] == "managed":
            managed.append((path, rel, row))
    report.scanned += scanned
    index.candidates, index.unread_managed = candidates, managed  # type: ignore[assignment]
    index.defer(lambda: _fill_names(vault, index, walked, cache))
    cache.end_walk()
    index.unchanged = True
    return True


def _fill_names(vault: Vault, index: VaultIndex, walked: list[Seen], cache: StateCache) -> None:
    """The names and references of a settled walk's pages, in walk order, from their rows; a
    page whose row cannot give them (gone, unreadable) is read for them, as a walk would."""
    rows = cache.names_and_refs()
    pending, referenced = index.pending, index.referenced_ids
    for i, (path, key, _cleanable) in enumerate(walked):
        walked[i] = None  # type: ignore[call-overload]  # let go of each page once entered
        names_text, refs = rows.pop(key[: key.index("\0")], (None, ""))
        names = stored_names(names_text) if names_text is not None else None
        if names is None:
            names, refs_read = _facts_read(vault, Path(path))
            referenced.update(refs_read)
        elif refs:
            referenced.update(refs.split())
        pending.append((path, names))


def _facts_read(vault: Vault, path: Path) -> tuple[Names, tuple[str, ...]]:
    """A page's names and references, from its bytes (none when it cannot be read)."""
    try:
        snap = store.read_page(path)
    except VaultsyncError:
        return (), ()
    _kind, names, refs = file_facts(vault, path, snap.data)
    return names, refs


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for phase 1: its walk makes no reference cycles (what
    it lets go of is freed at once), but the objects it keeps (a name entry per page) set off
    full collections over every object of the process, about a tenth of a settled pass."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _keep_readwise_row(cache: StateCache, rel: str) -> bool:
    """A page phase 1 cannot read: True when its row (as last read) records a Readwise page,
    which is then kept, never fresh (it says what the page was, not that it is unchanged), so
    each pass counts the page as Readwise's until it can be read again."""
    old = cache.take(rel)
    if old is None or old.kind != "candidate" or not old.readwise:
        return False
    old.restat(-1, -1, -1, 0)  # (no file has this stat: read again every pass)
    cache.put(rel, old)
    return True


def readwise_count(candidates: list[Source | Unread]) -> int:
    """How many of a settled pass's candidates are Readwise pages, as their rows record it."""
    count = 0
    for item in candidates:
        if isinstance(item, Source):
            count += item.entry is not None and item.entry.readwise
        else:
            count += row_readwise(item[2])
    return count
