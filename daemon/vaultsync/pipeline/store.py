"""The store: the vault's pages as a pass sees them. The walk (phase 1), the state cache and
every read of a page go through here, so the session asks one object what changed and for its
bytes."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from vaultsync.core import formats
from vaultsync.core.identity import PageAuthor
from vaultsync.core.normalize import (
    Normalized,
)
from vaultsync.errors import (
    PageVanished,
    VaultsyncError,
)
from vaultsync.pipeline.classify import file_facts, make_entry, name_parts
from vaultsync.pipeline.index import (
    Source,
    Unread,
    VaultIndex,
    canvas_problem,
    note_page,
)
from vaultsync.pipeline.report import PageReason, PassOptions, PassReport, page_error
from vaultsync.results import Reason
from vaultsync.state import (
    Entry,
    Names,
    StateCache,
    base_key,
    clean_key,
    digest,
    now_ns,
    open_cache,
)
from vaultsync.vault import READWISE_FOLDER, Vault
from vaultsync.writer import (
    Snapshot,
    cleanup_temp_files,
    read_page,
)

log = logging.getLogger(__name__)


def report_bad_canvas(path: Path, data: bytes, report: PassReport) -> None:
    """A canvas whose references cannot be read is named (once, when read), never fatal."""
    if name_parts(path.name)[1].lower() != ".canvas":
        return
    problem = canvas_problem(data)
    if problem is not None:
        report.skipped.append((path, PageReason(Reason.BAD_CANVAS, problem=problem)))


def source_of(
    index: VaultIndex, kind: str, path: Path, snap: Snapshot, rel: str, read: Entry | None
) -> Source | None:
    """Enter a page phase 1 read (of `kind`) in the index's managed pages; a candidate's
    source returned."""
    if kind == "managed":
        index.managed[path] = snap
        if read is not None:
            index.managed_rows[path] = (rel, read)
            if read.synced:  # (the same bytes as when last found up to date)
                index.synced[path] = read.synced
    elif kind == "candidate":
        return Source(path, snap, rel if read else "", read)
    return None


def learn(
    vault: Vault,
    index: VaultIndex,
    path: Path,
    snap: Snapshot,
    entry: Entry | None = None,
    cleanable: bool = True,
) -> str:
    """Record what one page tells the index; returns "managed", "candidate" or "other".
    `entry`: the page's cache row just made of these bytes, which holds the same facts.
    `cleanable`: False for a file read only for its names and references (outside the
    include patterns): never a candidate or a managed page, whatever it holds."""
    if entry is not None:
        kind, names, refs = entry.kind, entry.names, entry.refs
    else:
        kind, names, refs = file_facts(vault, path, snap.data)
    note_page(index, path, names, refs)
    if not cleanable:
        return "other"
    if kind == "managed":
        index.managed[path] = snap
    elif kind == "candidate":
        index.candidates.append(Source(path, snap))
    return kind


class Store:
    """A vault's pages as a pass sees them: the state cache (opened for a writing pass), what
    phase 1 learned (the index), and every read of a candidate after the walk."""

    def __init__(self, vault: Vault, options: PassOptions) -> None:
        self.vault = vault
        self.options = options
        self.index = VaultIndex()
        self.cache: StateCache | None = None  # during a pass, when a state cache is kept
        self.now = 0  # wall clock at the start of the pass (ns): before any page is read
        self.base = ""  # the pass's clean key (code, kind, rules), for the cache
        self.settings = ""  # base and every other setting that shapes the author pages

    def enter_rows(self, report: PassReport) -> bool:
        """Decode the rows phase 1 left undecoded (managed and candidate pages it did not
        read), in walk order. A row that cannot be decoded: its page is read now, as phase 1
        would have read it, and False is returned (the vault is not as the rows say)."""
        index, cache = self.index, self.cache
        index.fill()  # (the names and references a settled walk left in the rows)
        ok, renamed = True, {}
        for file, rel, row in index.unread_managed:
            entry = StateCache.decode(row)
            path = Path(file)
            if entry is None:
                ok = False
                source = self.read_unreadable(path, rel, renamed, report)
                if source is not None:  # (no longer ours: a candidate now)
                    index.candidates.append(source)
                continue
            # The author sync reads a managed page afresh before using its bytes.
            index.managed[path] = Snapshot(path, b"", entry.mtime_ns, entry.size, entry.ino)
            index.managed_rows[path] = (rel, entry)
            if entry.synced:
                index.synced[path] = entry.synced
        index.unread_managed = []
        sources: list[Source | Unread] = []
        for item in index.candidates:
            if isinstance(item, Source):
                sources.append(item)
                continue
            file, rel, row = item
            entry = StateCache.decode(row)
            path = Path(file)
            if entry is None:
                ok = False
                source = self.read_unreadable(path, rel, renamed, report)
                if source is not None:
                    sources.append(source)
                continue
            sources.append(Source(path, None, rel, entry))
        index.candidates = sources
        if renamed:  # the names the rows gave them, as their bytes give them instead
            index.pending = [(p, renamed.get(os.fspath(p), n)) for p, n in index.pending]
        assert cache is not None or ok
        return ok

    def read_unreadable(
        self, path: Path, rel: str, renamed: dict[str, Names], report: PassReport
    ) -> Source | None:
        """Read a page whose fresh row could not be decoded, as phase 1 reads a page."""
        assert self.cache is not None
        try:
            snap = read_page(path)
        except PageVanished:
            self.cache.drop(rel)
            renamed[os.fspath(path)] = ()
            return None
        except VaultsyncError as err:
            self.cache.drop(rel)
            renamed[os.fspath(path)] = ()
            report.skipped.append((path, page_error(err, path)))
            return None
        read = make_entry(self.vault, path, snap, None, self.now)
        self.cache.put(rel, read)
        renamed[os.fspath(path)] = read.names
        self.index.referenced_ids.update(read.refs)
        return source_of(self.index, read.kind, path, snap, rel, read)

    def record_synced(self) -> None:
        """Record in the cache which managed pages the author sync found up to date, with what:
        while they keep those bytes and those inputs, the next sync need not read them."""
        index = self.index
        verified, index.verified = index.verified, {}
        if self.cache is None:
            return
        for path, (key, data) in verified.items():
            rel, entry = index.managed_rows.get(path, ("", None))
            if entry is not None and entry.synced != key and entry.digest == digest(data):
                entry.synced = key
                self.cache.put(rel, entry)

    def cleanup_unwalked(self) -> None:
        """Remove leftover temp files from the one folder a pass may write to that its walk
        can leave out: the author pages' folder, when the config excludes it."""
        if formats.of(self.vault.kind).authors_in_pages:
            folder = self.vault.pages_dir
        else:
            folder = self.options.authors_folder
        path = self.vault.root / folder
        if ".." not in Path(folder).parts and self.vault.path_filter.dir_excluded(folder):
            if path.is_dir():
                cleanup_temp_files(path)

    def open(self, load: bool) -> None:
        self.cache = None
        if not self.options.cache or self.options.mode != "write":
            return  # a dry run or a check writes nothing at all, the cache included
        v = self.vault
        # (A page in the Readwise folder is a candidate by its place: rows depend on it.)
        # (The default folder adds nothing: rows made before the setting existed stay good.)
        facts = ""
        if formats.of(v.kind).plugin_folder and v.readwise_folder != READWISE_FOLDER:
            facts = f"readwise_folder={v.readwise_folder!r}"
        cache = open_cache(self.options.state_dir, v.root, facts)
        if cache is None:
            return
        self.now = now_ns()
        opts = self.options
        # Everything that shapes a clean page: the author mapping changes links and splitting.
        self.base = base_key(
            self.vault.kind, opts.rules, opts.split_authors, sorted(opts.author_aliases.items())
        )
        if formats.of(
            v.kind
        ).plugin_folder:  # (which pages are Readwise's by their place: not authors')
            self.base = base_key(self.base, v.readwise_folder, opts.authors_folder)
        self.settings = base_key(
            self.base,
            opts.author_pages,
            opts.authors_folder,
            (v.name_format, v.pages_dir, v.include, v.exclude, v.hidden),
        )
        if load:
            cache.load()
        self.cache = cache if cache.enabled else None

    def close(self) -> None:
        if self.cache is not None:
            self.cache.flush()
        self.cache = None

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.vault.root).as_posix()
        except ValueError:
            return ""

    def static_clean(self, source: Source, report: PassReport) -> bool:
        """Mark a candidate clean when its cache row says so in this pass's context (its author
        link is checked once the plan is known); read it now if phase 1 did not and it is not
        clean. False when it cannot be read (counted as Readwise's when its row says so)."""
        entry = source.entry
        if entry is None:
            return True
        referenced = self.index.referenced_ids
        if entry.clean is not None and entry.clean == clean_key(self.base, referenced, entry.ids):
            source.clean = True
            return True
        if source.snapshot is not None:
            return True
        skipped = len(report.skipped)
        if self.read_source(source, report):
            return True
        if len(report.skipped) > skipped and entry.readwise:
            report.readwise += 1
        return False

    def read_source(self, source: Source, report: PassReport) -> bool:
        try:
            snap = read_page(source.path)
        except PageVanished:
            if self.cache is not None:
                self.cache.drop(source.rel)
            return False
        except VaultsyncError as err:
            report.skipped.append((source.path, page_error(err, source.path)))
            return False
        source.snapshot = snap
        source.entry = make_entry(self.vault, source.path, snap, source.entry, self.now)
        if self.cache is not None:
            self.cache.put(source.rel, source.entry)
        return True

    def remember(
        self,
        source: Source,
        result: Normalized | None,
        facts: PageAuthor | None,
        value: str | None,
        referenced: frozenset[str],
        failed_readwise: bool = False,
    ) -> None:
        """Record in the cache whether the page is clean now; a page we wrote is recorded with
        the bytes we wrote (its mtime is young: the next pass reads it back once)."""
        assert self.cache is not None and source.entry is not None
        entry = source.entry
        if result is None or (result.changed and self.options.mode != "write"):
            entry.clean = None  # skipped, failed, or left unclean: cleaned again next pass
            # (whether it is Readwise's: counted so if it cannot be read next time)
            entry.readwise = failed_readwise or (result is not None and result.is_readwise)
            self.cache.put(source.rel, entry)
            return
        if result.changed:
            data = result.text.encode("utf-8")
            try:
                st = os.stat(source.path)
            except OSError:
                self.cache.drop(source.rel)
                return
            # `_now` predates the write, so the row stays "unsure" until the page is read back.
            snap = Snapshot(source.path, data, st.st_mtime_ns, st.st_size, st.st_ino)
            entry = make_entry(self.vault, source.path, snap, None, self.now)
        entry.clean = clean_key(self.base, referenced, entry.ids)
        entry.readwise = result.is_readwise
        entry.author_value = value
        entry.author = facts
        self.cache.put(source.rel, entry)

    def drop(self, path: Path) -> None:
        """Forget a deleted page's row."""
        if self.cache is not None:
            self.cache.drop(self.rel(path))

    def read_changed(self, path: Path, report: PassReport) -> Source | None:
        """Read a page an event named and tell the index what it holds; its source returned
        when it is a candidate to clean."""
        rel = self.rel(path)
        flt = self.vault.path_filter
        # A note outside the include patterns, or a canvas: read for its references and names
        # (a new reference protects its id from the next rewrite), never cleaned.
        cleanable = flt.matches(rel)
        if not cleanable and not flt.reads(rel):
            return None
        try:
            snap = read_page(path)
        except PageVanished:
            if self.cache is not None:
                self.cache.drop(rel)
            return None
        except VaultsyncError as err:
            if cleanable:
                report.skipped.append((path, page_error(err, path)))
            return None
        entry = None
        if self.cache is not None and rel:
            entry = make_entry(self.vault, path, snap, None, self.now)
            self.cache.put(rel, entry)
        report_bad_canvas(path, snap.data, report)
        if not cleanable:
            learn(self.vault, self.index, path, snap, entry, cleanable=False)
            return None
        report.scanned += 1
        if learn(self.vault, self.index, path, snap, entry) == "candidate":
            return Source(path, snap, rel, entry)
        return None
