"""One pass over a vault: read → normalize → check → write, then the author pages.

The same code serves `resync`, `check`, the demo, and the daemon's start-up, event and reconcile
passes. Every file operation goes through vaultsync.writer; the core stays pure.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from vaultsync.authorsync import author_maker, page_facts, sync_author_pages
from vaultsync.core import authors as author_pages
from vaultsync.core import formats, links, syntax
from vaultsync.core.identity import Author, AuthorPlan, PageAuthor, fold, name_key, plan_authors
from vaultsync.core.model import LeftAlone
from vaultsync.core.normalize import (
    Normalized,
    PageContext,
    Rules,
    Stats,
    is_readwise_page,
    normalize_page,
    parse,
)
from vaultsync.core.rules import author_value
from vaultsync.core.text import NotUtf8, decode
from vaultsync.errors import (
    ChangedSinceRead,
    LossCheckFailed,
    PageVanished,
    UnsafePathError,
    VaultsyncError,
    page_reason,
)
from vaultsync.history import held_after_undo
from vaultsync.ignore import walk_reading
from vaultsync.locks import vault_lock
from vaultsync.paths import default_state_dir
from vaultsync.render import unified_diff
from vaultsync.state import (
    KINDS,
    Entry,
    Names,
    StateCache,
    base_key,
    clean_key,
    digest,
    names_of,
    now_ns,
    open_cache,
    row_names_text,
    row_readwise,
    row_refs,
)
from vaultsync.vault import READWISE_FOLDER, Vault
from vaultsync.writer import (
    Snapshot,
    VaultGuard,
    WriteBatch,
    cleanup_temp_files,
    read_page,
    remove_temp_file,
    write_atomic,
)

log = logging.getLogger(__name__)

Mode = Literal["write", "dry-run", "check"]

# Bytes that only Readwise pages (and our author pages) hold: everything else is skipped unparsed.
# Made from the core's table of Readwise's signals: a page the core would call Readwise's always
# passes (tests/test_links.py).
CANDIDATE = links.PREFILTER
MANAGED = re.compile(
    re.escape(author_pages.LOGSEQ_MARKER.encode())
    + rb"|"
    + re.escape(author_pages.OBSIDIAN_BEGIN.encode())
)
# A Markdown link's (or embed's) target: `](<a b.md#^id>)` or `](a%20b.md#^id "title")`.
MD_LINK = re.compile(r"\]\(\s*(?:<([^<>\n]*)>|([^\s()]*(?:\([^\s()]*\)[^\s()]*)*))")
FRAGMENT_REF = re.compile(r"#\^([A-Za-z0-9-]+)")
HELD_ID = re.compile(rb"\^([A-Za-z0-9-]+)")  # a superset of the `^id`s an Obsidian page holds
WRITE_ATTEMPTS = 3


@dataclass
class PassOptions:
    """How a pass runs."""

    mode: Mode = "write"
    rules: Rules = field(default_factory=Rules)
    author_pages: bool = True
    authors_folder: str = "Readwise/Authors"
    want_diff: bool = False
    history: object | None = None  # vaultsync.history.History, when versions are kept
    state_dir: Path | None = None  # where locks live (None: the default state folder)
    split_authors: bool = False  # "A, B, and C" → one link per author
    author_aliases: dict[str, str] = field(default_factory=dict)  # name → canonical author
    # Keep the state cache (vaultsync.state) in state_dir, so unchanged pages are not read again.
    cache: bool = True
    # Fill PassReport.kinds (what each page walked is), for `-v`'s list of pages left alone.
    list_pages: bool = False


@dataclass
class PassReport:
    """What a pass found and did; the CLI prints it as the summary."""

    vault: Vault
    mode: Mode = "write"
    scanned: int = 0
    readwise: int = 0
    changed: list[Path] = field(default_factory=list)  # rewritten (or would be)
    stats: Stats = field(default_factory=Stats)
    authors_created: list[Path] = field(default_factory=list)
    authors_updated: list[Path] = field(default_factory=list)
    authors_merged: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    page_stats: dict[Path, Stats] = field(default_factory=dict)  # what the rules did, per page
    # Readwise pages (or parts of them) a rule left as they are on purpose, and why.
    left_alone: list[tuple[Path, str]] = field(default_factory=list)
    # With PassOptions.list_pages: each page walked (inside include) and what the walk found
    # it to be: "other" (not a Readwise page), "candidate" (Readwise's) or "managed".
    kinds: list[tuple[str, str]] = field(default_factory=list)
    # Pages held after `vaultsync undo` (each also in `skipped`, with its reason) → whether this
    # pass is the first to meet the hold (the daemon warns then, and logs it quietly after).
    held: dict[Path, bool] = field(default_factory=dict)

    @property
    def any_change(self) -> bool:
        return bool(
            self.changed or self.authors_created or self.authors_updated or self.authors_merged
        )


@dataclass
class _Source:
    path: Path
    snapshot: Snapshot | None  # None: not read, its cache row says what it holds
    rel: str = ""  # vault-relative POSIX path: the cache's key
    entry: Entry | None = None  # its state cache row, when a cache is kept
    clean: bool = False  # the row says these bytes are clean in this pass's context


# A managed or candidate page phase 1 did not read, as its fresh cache row says: (its path as
# the walk gave it, its vault-relative key, the row undecoded). See VaultIndex.candidates.
_Unread = tuple[str, str, tuple]


class _Names(MutableMapping[str, Path]):
    """Casefolded page/note name → file, also indexed by file: forgetting a page costs its own
    names, not a scan of every name (a burst of 1,000 pages in a 50,000-page vault).

    Files are held as path strings (the walk's own), a `Path` made only for a file asked for:
    a `Path` per page of a 50,000-page vault is 15 MB the daemon would keep, and the time to
    build them. (Paths compare by their string on POSIX; what the walk and events give agree.)"""

    def __init__(self) -> None:
        self._files: dict[str, str] = {}
        # Most files answer to one name: that name itself, a set only for several (memory).
        self._by_path: dict[str, str | set[str]] = {}

    def __len__(self) -> int:
        return len(self._files)

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __contains__(self, key: object) -> bool:
        return key in self._files

    def __getitem__(self, key: str) -> Path:
        return Path(self._files[key])

    def get(self, key: str, default: Path | None = None) -> Path | None:  # type: ignore[override]
        file = self._files.get(key)
        return default if file is None else Path(file)

    def of(self, path: Path | str) -> list[str]:
        """The names that lead to `path`."""
        keys = self._by_path.get(os.fspath(path))
        if keys is None:
            return []
        return [keys] if isinstance(keys, str) else list(keys)

    def _unlink(self, key: str, file: str) -> None:
        keys = self._by_path.get(file)
        if keys == key:
            del self._by_path[file]
        elif isinstance(keys, set):
            keys.discard(key)
            if len(keys) == 1:
                self._by_path[file] = keys.pop()

    def __setitem__(self, key: str, path: Path | str) -> None:
        file = os.fspath(path)
        old = self._files.get(key)
        if old is not None:
            self._unlink(key, old)
        self._files[key] = file
        keys = self._by_path.get(file)
        if keys is None:
            self._by_path[file] = key
        elif isinstance(keys, str):
            if keys != key:
                self._by_path[file] = {keys, key}
        else:
            keys.add(key)

    def __delitem__(self, key: str) -> None:
        self._unlink(key, self._files.pop(key))

    def clear(self) -> None:
        self._files.clear()
        self._by_path.clear()


@dataclass
class VaultIndex:
    """What phase 1 learns about every page: names (for author pages) and block references."""

    referenced_ids: set[str] = field(default_factory=set)
    managed: dict[Path, Snapshot] = field(default_factory=dict)  # author pages we manage
    # Readwise candidates in walk order; an unread one (its cache row fresh) is held as
    # (path string, rel, row) until enter_rows() decodes it: a settled one-off pass never does.
    candidates: list[_Source | _Unread] = field(default_factory=list)
    # Managed pages known from their rows, not read and not entered in `managed` yet (idem).
    unread_managed: list[_Unread] = field(default_factory=list)
    # Phase 1 found every page as the state cache's rows recorded it (none added, removed,
    # changed or unreadable): what the rows say is what the vault holds.
    unchanged: bool = False
    # The names phase 1 found, in walk order, not entered yet: (page, its names). They are
    # entered the first time `names` is asked for; a settled pass never asks, and a `Path`
    # and a name entry per page are most of what phase 1 costs beyond the stat walk.
    # (Names of a page not read are left as its row holds them, decoded when entered.)
    pending: list[tuple[str | Path, Names | str]] = field(default_factory=list)
    # Managed pages whose cache row says which sources and aliases their bytes (as the walk
    # found them) are up to date with (authorsync.sync_key); and the rows, to record more.
    synced: dict[Path, str] = field(default_factory=dict)
    managed_rows: dict[Path, tuple[str, Entry]] = field(default_factory=dict)
    # Filled by the author sync: managed pages it read and found up to date (key, bytes read).
    verified: dict[Path, tuple[str, bytes]] = field(default_factory=dict)
    _names: _Names = field(default_factory=_Names)
    _alias_names: set[str] = field(default_factory=set)
    # The keys names_with_pages() made from pending names (each its own value): entering the
    # names then uses those strings, not equal new ones (the plan and name_key's memo hold them).
    _made_keys: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def names(self) -> _Names:
        """Page/note name keyed by fold() (NFC, casefolded) → file."""
        if self.pending:
            self.enter_pending()
        return self._names

    @property
    def alias_names(self) -> set[str]:
        """The keys of `names` that are aliases."""
        if self.pending:
            self.enter_pending()
        return self._alias_names

    def enter_pending(self) -> None:
        """Enter the names phase 1 found (see `pending`)."""
        pending, self.pending = self.pending, []
        made, self._made_keys = self._made_keys, {}
        for i, (path, names) in enumerate(pending):
            pending[i] = None  # type: ignore[call-overload]  # let go of each once entered
            _note_names(self._names, self._alias_names, path, names_of(names), made)

    def names_with_pages(self) -> list[str]:
        """Every page's own name (casefolded), aliases left out."""
        if self.pending:
            # What entering them would leave: a page's own name wins over any alias.
            own = self._made_keys
            for _p, names in self.pending:
                for n, alias in names_of(names):
                    if not alias:
                        key = fold(n)
                        own.setdefault(key, key)
            return [*own, *(n for n in self._names if n not in self._alias_names)]
        return [n for n in self._names if n not in self._alias_names]


def _org_names(path: Path, data: bytes) -> list[tuple[str, bool]]:
    """Names a Logseq org page answers to: its decoded file name, `#+title:`, `#+alias:`
    (Logseq reads these from the lines at the top of the file)."""
    head = data[:4096].decode("utf-8", errors="replace").lstrip("\ufeff")
    return [(author_pages.logseq_page_name(path.stem), False), *syntax.org_names(head)]


def note_refs(data: bytes) -> tuple[str, ...]:
    """The block ids an Obsidian note links to, in every form Obsidian resolves: wiki links
    and embeds (`[[Note#^id]]`, `![[Note#^id|shown]]`) and Markdown links and embeds
    (`[text](path.md#^id)`, also `<…>`-wrapped and URL-encoded: `%5E`, `%20`)."""
    if b"#^" not in data and b"#%5E" not in data and b"#%5e" not in data:
        return ()  # (the fast path: most notes link to no block)
    text = data.decode("utf-8", errors="replace")
    found = syntax.block_refs(text)
    for m in MD_LINK.finditer(text):
        target = unquote(m.group(1) or m.group(2) or "")
        found += [r.group(1) for r in FRAGMENT_REF.finditer(target)]
    return tuple(dict.fromkeys(found))


def canvas_refs(data: bytes) -> tuple[str, ...]:
    """The block ids an Obsidian canvas links to: its file nodes' `subpath` (`#^id`). A file
    that is not canvas JSON gives none (canvas_problem says why)."""
    try:
        nodes = _canvas_nodes(data)
    except ValueError:
        return ()
    found = []
    for node in nodes:
        subpath = node.get("subpath") if isinstance(node, dict) else None
        if isinstance(subpath, str):
            found += [m.group(1) for m in FRAGMENT_REF.finditer(unquote(subpath))]
    return tuple(dict.fromkeys(found))


def canvas_problem(data: bytes) -> str | None:
    """Why these bytes are not a canvas whose references can be read (None: they are)."""
    try:
        _canvas_nodes(data)
    except ValueError as err:
        return str(err)
    return None


def _canvas_nodes(data: bytes) -> list:
    if not data.strip():
        return []  # a canvas just created, still empty
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise ValueError(f"not UTF-8 (byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON: {err.msg} at line {err.lineno}") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes", []), list):
        raise ValueError('not a canvas: expected an object with a "nodes" list')
    return doc.get("nodes", [])


def _report_bad_canvas(path: Path, data: bytes, report: PassReport) -> None:
    """A canvas whose references cannot be read is named (once, when read), never fatal."""
    if path.suffix.lower() != ".canvas":
        return
    problem = canvas_problem(data)
    if problem is not None:
        report.skipped.append(
            (path, f"canvas {problem}; its block references are not read (fix or remove it)")
        )


def _index(
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
    walk = walk_reading(vault.root, vault.path_filter, skipped_folders, temp_file)
    with _gc_paused():
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
                snap = read_page(path)
            except PageVanished:
                unchanged = False
                continue
            except VaultsyncError as err:
                if not cleanable:
                    # Read for references only (outside include): nothing of it is cleaned,
                    # so nothing to report each pass (a huge export kept in an excluded folder).
                    log.debug("%s: not read for references: %s", path, page_reason(err, path))
                    continue
                report.skipped.append((path, page_reason(err, path)))
                unchanged = False
                if cache is not None and _keep_readwise_row(cache, rel):
                    report.readwise += 1  # a Readwise page still, though unreadable now
                    seen.add(rel)
                continue
            if cache is None:
                kind, names, refs = _facts(vault, path, snap.data)
                read: Entry | None = None
            else:
                seen.add(rel)
                old = cache.take(rel)
                read = _entry(vault, path, snap, old, now)
                unchanged = unchanged and read is old  # (the same bytes: the old row, restamped)
                cache.put(rel, read)
                kind, names, refs = read.kind, read.names, read.refs
            # A page's Path is not kept in the names: the index holds files as strings (_Names).
            pending.append((dir_entry.path, names))
            referenced.update(refs)
            _report_bad_canvas(path, snap.data, report)
            if not cleanable:
                continue
            if kinds is not None:
                kinds.append((dir_entry.path, kind))
            source = _read_page_source(index, kind, path, snap, rel, read)
            if source is not None:
                index.candidates.append(source)
    for folder in skipped_folders:
        report.skipped.append((folder.path, f"folder not read: {folder.reason}"))
    if cache is not None:
        unchanged = cache.keep_only(seen) == 0 and unchanged and not skipped_folders
    index.unchanged = unchanged
    return index


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


def _read_page_source(
    index: VaultIndex, kind: str, path: Path, snap: Snapshot, rel: str, read: Entry | None
) -> _Source | None:
    """Enter a page phase 1 read (of `kind`) in the index's managed pages; a candidate's
    source returned."""
    if kind == "managed":
        index.managed[path] = snap
        if read is not None:
            index.managed_rows[path] = (rel, read)
            if read.synced:  # (the same bytes as when last found up to date)
                index.synced[path] = read.synced
    elif kind == "candidate":
        return _Source(path, snap, rel if read else "", read)
    return None


def _facts(vault: Vault, path: Path, data: bytes) -> tuple[str, Names, tuple[str, ...]]:
    """What a file's bytes tell the index: its kind ("managed", "candidate" or "other"), the
    names it answers to (each with whether it is an alias), the block ids it links to. Only
    a `.md` file can be a page we clean or manage; a canvas gives references, an org page
    (Logseq) names."""
    suffix = path.suffix.lower()
    if suffix == ".canvas":
        refs = canvas_refs(data) if vault.kind == "obsidian" else ()
        return "other", (), refs
    if suffix == ".org":
        return "other", (tuple(_org_names(path, data)) if vault.kind == "logseq" else ()), ()
    fmt = formats.of(vault.kind)
    names: Names = tuple(fmt.page_names(path.stem, data))
    # Links to blocks matter where a block id stays only while something links to it.
    refs = () if fmt.keeps_every_id else note_refs(data)
    if MANAGED.search(data):
        return "managed", names, refs
    # A page in the Readwise plugin's folder is a candidate by its place: its highlights may
    # carry none of the literals the prefilter looks for (no link, no cover, `## Highlights`).
    if CANDIDATE.search(data) or _in_readwise_folder(vault, path) or _undecodable_readwise(data):
        return "candidate", names, refs
    return "other", names, refs


def _in_readwise_folder(vault: Vault, path: Path, authors_folder: str | None = None) -> bool:
    """The page lies in the Readwise plugin's folder (see Vault.in_readwise_folder), and not in
    `authors_folder` (author notes, ours or the user's, are never Readwise's by their place)."""
    if vault.readwise_folder is None or vault.kind != "obsidian":
        return False
    try:
        rel = path.relative_to(vault.root).as_posix()
    except ValueError:
        return False
    if authors_folder and authors_folder != ".":
        prefix = authors_folder.casefold() + "/"
        if rel[: len(prefix)].casefold() == prefix:
            return False
    return vault.in_readwise_folder(rel)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _undecodable_readwise(data: bytes) -> bool:
    """Whether a page the link prefilter passed over is Readwise's all the same, and not UTF-8:
    it is then a candidate, so the pass names it with the place of its first bad byte (see
    clean_page) instead of leaving it without a word. Cheap for the pages that matter most,
    the user's own: a UTF-8 check (far quicker than any search), and only when it fails a
    search for Readwise's marks."""
    try:
        data.decode("utf-8")
        return False  # UTF-8: the rules decide whether it is Readwise's
    except UnicodeDecodeError:
        pass
    utf16 = _as_utf16(data)
    signal = utf16.encode("utf-8", "replace") if utf16 is not None else data
    return bool(CANDIDATE.search(signal) or links.READWISE_MARK.search(signal))


def _as_utf16(data: bytes) -> str | None:
    """The text of a page saved as UTF-16 (a byte-order mark, or NULs in every other byte of
    its start); None for any other page."""
    if data[:2] in _UTF16_BOMS:
        return data.decode("utf-16", "replace")
    head = data[:64]
    if len(head) >= 8 and head[1::2].count(0) >= len(head) // 2 - 1:
        return data.decode("utf-16-le", "replace")
    if len(head) >= 8 and head[0::2].count(0) >= len(head) // 2 - 1:
        return data.decode("utf-16-be", "replace")
    return None


def _not_utf8(err: NotUtf8, data: bytes) -> str:
    """The summary's reason for a page that is not UTF-8, saying so when it is UTF-16."""
    if _as_utf16(data) is None:
        return str(err)
    return (
        f"bytes that are not UTF-8 at line {err.line}, column {err.column}: the page is saved "
        "as UTF-16; left untouched (re-save the page as UTF-8 to have it cleaned)"
    )


def _note(index: VaultIndex, path: Path, names: Names, refs: tuple[str, ...]) -> None:
    _note_names(index.names, index.alias_names, path, names)
    index.referenced_ids.update(refs)


def _note_names(
    index: _Names,
    alias_names: set[str],
    path: Path | str,
    names: Names,
    made: dict[str, str] | None = None,
) -> None:
    for name, is_alias in names:
        key = fold(name)
        if made:
            key = made.get(key, key)
        # A page's own name wins over another page's alias of the same name, whatever the
        # order the walk met them in.
        if key not in index or (key in alias_names and not is_alias):
            index[key] = path
            if is_alias:
                alias_names.add(key)
            else:
                alias_names.discard(key)


def _learn(
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
        kind, names, refs = _facts(vault, path, snap.data)
    _note(index, path, names, refs)
    if not cleanable:
        return "other"
    if kind == "managed":
        index.managed[path] = snap
    elif kind == "candidate":
        index.candidates.append(_Source(path, snap))
    return kind


def _entry(vault: Vault, path: Path, snap: Snapshot, old: Entry | None, now: int) -> Entry:
    """The cache row of bytes just read (`now`: a time before the read). The same bytes as the
    old row (a touch, our own write read back): the old row, restamped."""
    dig = digest(snap.data)
    if old is not None and old.digest == dig:
        old.restat(snap.size, snap.mtime_ns, snap.ino, now)
        return old
    kind, names, refs = _facts(vault, path, snap.data)
    ids: tuple[str, ...] = ()
    if kind == "candidate" and vault.kind == "obsidian":
        ids = tuple(dict.fromkeys(m.group(1).decode() for m in HELD_ID.finditer(snap.data)))
    return Entry(snap.size, snap.mtime_ns, snap.ino, now, dig, kind, names, refs, ids)


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


def _readwise_bytes(vault: Vault, data: bytes, in_folder: bool = False) -> bool:
    """Whether bytes that could not be cleaned (bad bytes, refused) hold a Readwise page: read
    leniently, for the count only."""
    page = parse(data.decode("utf-8", errors="replace"), vault.kind)
    return is_readwise_page(page, in_folder=in_folder)


def _readwise_count(candidates: list[_Source | _Unread]) -> int:
    """How many of a settled pass's candidates are Readwise pages, as their rows record it."""
    count = 0
    for item in candidates:
        if isinstance(item, _Source):
            count += item.entry is not None and item.entry.readwise
        else:
            count += row_readwise(item[2])
    return count


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(
    guard: VaultGuard, snap: Snapshot | None, path: Path, data: bytes, options: PassOptions
) -> bool:
    return write_atomic(guard, snap, path, data, history=options.history)  # type: ignore[arg-type]


@dataclass
class _Prepared:
    """A candidate normalized before the author plan is known (its link made as if every name
    were its own canonical one): what the pass needs of it later, without the parsed page (a
    pass holds one per candidate) and with the text only when it changed."""

    is_readwise: bool
    text: str | None  # the normalized text, when it differs from the page's
    stats: Stats
    losses: list[str]
    given: str | None  # the author value the link rule was handed (Normalized.author_given)
    left_alone: list[LeftAlone]  # (Normalized.left_alone)
    link: str | None  # what it became (_link_of), to compare with what the plan makes of it
    author_value: str | None  # the author value the normalized page holds
    facts: PageAuthor | None  # its author facts, read from the normalized page

    def result(self, text: str) -> Normalized:
        """The Normalized of `text`, the page this was prepared from."""
        changed = self.text is not None
        out = self.text if self.text is not None else text
        return Normalized(
            self.is_readwise, out, changed, self.stats, self.losses, left_alone=self.left_alone
        )


def _link_of(maker: Callable[[str], str | None], value: str) -> str | None:
    """What the author rule writes for `value` (None: it leaves the value as it is)."""
    link = maker(value)
    return None if link == value else link


def clean_page(
    vault: Vault,
    source: _Source,
    options: PassOptions,
    guard: VaultGuard,
    referenced: frozenset[str],
    report: PassReport,
    author_link: Callable[[str], str | None] | None = None,
    prepared: _Prepared | None = None,
    queue: Callable[[Snapshot, bytes], None] | None = None,
) -> Normalized | None:
    """Normalize one page and write it when it changed; retried when the page changes under us.
    `prepared`: the page's bytes already normalized with this `author_link` (the first try uses
    it; a retry reads the page again and normalizes it afresh). `queue`: hands the write to a
    batch (WriteBatch.add) instead of writing it now."""
    snap = source.snapshot
    try:
        guard.check(source.path)
    except UnsafePathError as err:
        # E.g. a link to a page outside the vault: read for the index, never written.
        report.skipped.append((source.path, f"{err.reason}; left as it is"))
        return None
    for attempt in range(WRITE_ATTEMPTS):
        try:
            text = decode(snap.data)
        except NotUtf8 as err:
            report.skipped.append((source.path, _not_utf8(err, snap.data)))
            return None
        if attempt == 0 and prepared is not None:
            result = prepared.result(text)
        else:
            context = PageContext(
                referenced_ids=referenced,
                author_link=author_link,
                in_readwise_folder=_in_readwise_folder(vault, source.path, options.authors_folder),
            )
            result = normalize_page(text, vault.kind, options.rules, context)
        for note in result.left_alone:
            if (source.path, str(note)) not in report.left_alone:
                report.left_alone.append((source.path, str(note)))
        if not result.is_readwise or not result.changed:
            return result
        if held_after_undo(source.path, snap.data, options, report):
            return None  # (a page that would not change is clean, held or not)
        if result.losses:
            err = LossCheckFailed(source.path, result.losses)
            report.failed.append((source.path, page_reason(err, source.path)))
            return None
        if options.want_diff:
            report.diffs.append(unified_diff(source.path, vault.root, text, result.text))
        if options.mode != "write":
            return result
        try:
            data = result.text.encode("utf-8")
            if queue is not None:
                queue(snap, data)
            else:
                _write(guard, snap, source.path, data, options)
            return result
        except ChangedSinceRead:
            if attempt + 1 == WRITE_ATTEMPTS:
                break
            try:
                snap = read_page(source.path)
            except PageVanished:
                return None
            except VaultsyncError as err:
                report.skipped.append((source.path, page_reason(err, source.path)))
                return None
        except VaultsyncError as err:
            report.failed.append((source.path, page_reason(err, source.path)))
            return None
    report.skipped.append(
        (
            source.path,
            "kept changing while being cleaned; left as it is, will retry on the next pass",
        )
    )
    return None


@dataclass(frozen=True)
class _PhaseA:
    """What phase A of every page of a pass shares (sent once to each worker process)."""

    vault: Vault
    rules: Rules
    split: bool  # split_authors
    whole: frozenset[str]  # names the config maps to an author: never split
    referenced: frozenset[str]  # block ids other notes link to
    authors_folder: str  # (PassOptions.authors_folder: not a Readwise folder)


def prepare_page(shared: _PhaseA, job: tuple[Path, bytes]) -> _Prepared | None:
    """One candidate's phase A, a pure function of its bytes and `shared` (it may run in a
    worker process); None when phase B must normalize it (not UTF-8: clean_page reports it).
    Its author link is made as if every name were its own canonical one."""
    path, data = job
    try:
        text = decode(data)
    except NotUtf8:
        return None
    vault = shared.vault
    # In Logseq the rule's link never depends on the plan (Logseq resolves aliases itself).
    maker = author_maker(vault.kind, None, shared.split, shared.whole)
    context = PageContext(
        referenced_ids=shared.referenced,
        author_link=maker,
        in_readwise_folder=_in_readwise_folder(vault, path, shared.authors_folder),
    )
    result = normalize_page(text, vault.kind, shared.rules, context)
    facts: PageAuthor | None
    if result.losses:  # never written: its facts are the page's as it is
        page = parse(text, vault.kind)
        facts = page_facts(vault, path, page, shared.split, shared.whole)
        value = None  # (clean_page refuses it: nothing is recorded of its value)
    elif result.is_readwise and result.page is not None:
        facts = page_facts(vault, path, result.page, shared.split, shared.whole)
        value = author_value(result.page)
    else:
        facts, value = None, None
    given = result.author_given
    return _Prepared(
        is_readwise=result.is_readwise,
        text=result.text if result.changed else None,
        stats=result.stats,
        losses=result.losses,
        given=given,
        left_alone=result.left_alone,
        link=_link_of(maker, given) if given is not None else None,
        author_value=value,
        facts=facts,
    )


class _PendingPlan(AuthorPlan):
    """An author plan made the first time it is asked for: a settled pass does not need it
    (Logseq's author links do not depend on it), the daemon's next update may."""

    def __init__(self, make: Callable[[], AuthorPlan], canonical: str | None = None) -> None:
        # (no dataclass fields set). `canonical`: the map the settled vault's plan had (JSON,
        # from the state cache), which the plan would make again from the same inputs.
        self._make: Callable[[], AuthorPlan] | None = make
        self._plan: AuthorPlan | None = None
        self._canonical = canonical
        self._known: dict[str, str] | None = None

    def _made(self) -> AuthorPlan:
        if self._plan is None:
            assert self._make is not None
            self._plan, self._make = self._make(), None
        return self._plan

    @property  # type: ignore[override]
    def authors(self) -> dict[str, Author]:
        return self._made().authors

    @property  # type: ignore[override]
    def canonical(self) -> dict[str, str]:
        if self._plan is None and self._canonical is not None and self._known is None:
            try:
                known = json.loads(self._canonical)
            except ValueError:
                known = None
            ok = isinstance(known, dict) and all(isinstance(v, str) for v in known.values())
            self._known, self._canonical = (known if ok else None), None
        if self._plan is None and self._known is not None:
            return self._known
        return self._made().canonical


class VaultSession:
    """A vault kept clean over time: the full pass, and incremental passes for changed paths.

    It remembers what the last passes learned (page names, managed author pages, who wrote
    each Readwise page), so a single changed page costs one page, not a walk of the vault.
    """

    def __init__(
        self, vault: Vault, options: PassOptions | None = None, guard: VaultGuard | None = None
    ) -> None:
        self.vault = vault
        self.options = options or PassOptions()
        self.guard = guard or VaultGuard([vault.root])
        self.index = VaultIndex()
        self.facts: dict[Path, PageAuthor] = {}  # Readwise page → what it says of its author
        self.plan = AuthorPlan({}, {})
        self._planned_aliases: dict[str, str] | None = None  # the mapping the plan was made with
        self.written: dict[Path, bytes] = {}  # what we last wrote, for the daemon's echo check
        self.cache: StateCache | None = None  # during a pass, when a state cache is kept
        self._now = 0  # wall clock at the start of the pass (ns): before any page is read
        self._base = ""  # the pass's clean key (code, kind, rules), for the cache
        self._settings = ""  # _base and every other setting that shapes the author pages
        self.one_off = False  # one pass and done (run_pass): the name index only built if asked
        # The pass's progress callback: called with no argument per file walked, and with
        # (phase, done, total) once the pages to clean are counted (the CLI's progress line).
        self.progress: Callable[..., None] | None = None
        self._batching = False  # in a full pass: many writes go through one WriteBatch

    def full_pass(self, progress: Callable[..., None] | None = None) -> PassReport:
        """Every page read (or known unchanged from the state cache); every Readwise page
        cleaned; every author page brought up to date."""
        report = PassReport(vault=self.vault, mode=self.options.mode)
        self.progress = progress
        write = self.options.mode == "write"
        if write:
            self._cleanup_unwalked()
        self._open_cache(load=True)
        try:
            # (Leftover temp files are removed by the walk, before any page is written.)
            self.index = _index(
                self.vault, report, progress, self.cache, self._now, write, self.options.list_pages
            )
            # The vault as the last full pass left it, which changed nothing under the same
            # settings: the author plan and pages come out as that pass found them.
            settled = (
                self.cache is not None
                and self.index.unchanged
                and self.cache.settled == self._settings
            )
            self.facts = {}
            if settled and self.one_off:
                # Every candidate is as the last pass, which changed nothing under these
                # settings, found it: clean, its author link as the plan makes it. Nothing to
                # decode, clean or plan: only the count of Readwise pages is reported.
                assert self.cache is not None
                report.readwise = _readwise_count(self.index.candidates)
                self.plan = _PendingPlan(self._settled_plan, self.cache.canonical)
                self.cache.settle(self._settings)  # settled still (its map kept)
                return report
            self._batching = True
            settled = self._enter_rows(report) and settled
            candidates: list[_Source] = self.index.candidates  # type: ignore[assignment]
            self.index.candidates = []
            candidates = [s for s in candidates if self._static_clean(s, report)]
            if progress:
                progress("cleaning", 0, len(candidates))  # the total is known from here on
            prepared = self._prepare_all(candidates)
            self._replan(lazy=settled)
            known = dict(self.facts)
            self._clean_all(candidates, prepared, report)
            if self.facts != known:
                self._replan()  # counts and dates as the cleaned pages have them
            complete = True
            if self.options.author_pages and not settled:
                batch = self._new_batch()
                complete = sync_author_pages(
                    self.vault, self.index, self.plan, self.options, self.guard, report, batch=batch
                )
                self._record_synced()
            # Only this pass's walk vouches for them: the daemon's updates read afresh.
            self.index.synced, self.index.managed_rows = {}, {}
            if (
                self.cache is not None
                and complete
                and not (report.any_change or report.failed or report.skipped)
            ):
                # (A plan made in this pass: kept for the next settled one, Obsidian's links.)
                plan = self.plan if type(self.plan) is AuthorPlan else None
                self.cache.settle(self._settings, plan.canonical if plan else None)
        finally:
            self._batching = False
            self._close_cache()
        if not self.one_off:
            self.index.enter_pending()  # now, not in the first update the daemon hands over
        return report

    def _enter_rows(self, report: PassReport) -> bool:
        """Decode the rows phase 1 left undecoded (managed and candidate pages it did not
        read), in walk order. A row that cannot be decoded: its page is read now, as phase 1
        would have read it, and False is returned (the vault is not as the rows say)."""
        index, cache = self.index, self.cache
        ok, renamed = True, {}
        for file, rel, row in index.unread_managed:
            entry = StateCache.decode(row)
            path = Path(file)
            if entry is None:
                ok = False
                source = self._read_unreadable(path, rel, renamed, report)
                if source is not None:  # (no longer ours: a candidate now)
                    index.candidates.append(source)
                continue
            # The author sync reads a managed page afresh before using its bytes.
            index.managed[path] = Snapshot(path, b"", entry.mtime_ns, entry.size, entry.ino)
            index.managed_rows[path] = (rel, entry)
            if entry.synced:
                index.synced[path] = entry.synced
        index.unread_managed = []
        sources: list[_Source | _Unread] = []
        for item in index.candidates:
            if isinstance(item, _Source):
                sources.append(item)
                continue
            file, rel, row = item
            entry = StateCache.decode(row)
            path = Path(file)
            if entry is None:
                ok = False
                source = self._read_unreadable(path, rel, renamed, report)
                if source is not None:
                    sources.append(source)
                continue
            sources.append(_Source(path, None, rel, entry))
        index.candidates = sources
        if renamed:  # the names the rows gave them, as their bytes give them instead
            index.pending = [(p, renamed.get(os.fspath(p), n)) for p, n in index.pending]
        assert cache is not None or ok
        return ok

    def _read_unreadable(
        self, path: Path, rel: str, renamed: dict[str, Names], report: PassReport
    ) -> _Source | None:
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
            report.skipped.append((path, page_reason(err, path)))
            return None
        read = _entry(self.vault, path, snap, None, self._now)
        self.cache.put(rel, read)
        renamed[os.fspath(path)] = read.names
        self.index.referenced_ids.update(read.refs)
        return _read_page_source(self.index, read.kind, path, snap, rel, read)

    def _settled_plan(self) -> AuthorPlan:
        """The plan of a settled one-off pass, made only if asked (nothing in the pass asks):
        from the author facts the candidates' rows record."""
        facts: dict[Path, PageAuthor] = {}
        for item in self.index.candidates:
            if isinstance(item, _Source):
                path, entry = item.path, item.entry
            else:
                path, entry = Path(item[0]), StateCache.decode(item[2])
            if entry is not None and entry.author is not None:
                facts[path] = entry.author
        aliases = dict(self.options.author_aliases)
        return plan_authors(list(facts.values()), aliases, self.index.names_with_pages())

    def _record_synced(self) -> None:
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

    def _cleanup_unwalked(self) -> None:
        """Remove leftover temp files from the one folder a pass may write to that its walk
        can leave out: the author pages' folder, when the config excludes it."""
        if self.vault.kind == "logseq":
            folder = self.vault.pages_dir
        else:
            folder = self.options.authors_folder
        path = self.vault.root / folder
        if ".." not in Path(folder).parts and self.vault.path_filter.dir_excluded(folder):
            if path.is_dir():
                cleanup_temp_files(path)

    def _open_cache(self, load: bool) -> None:
        self.cache = None
        if not self.options.cache or self.options.mode != "write":
            return  # a dry run or a check writes nothing at all, the cache included
        v = self.vault
        # (A page in the Readwise folder is a candidate by its place: rows depend on it.)
        # (The default folder adds nothing: rows made before the setting existed stay good.)
        facts = ""
        if v.kind == "obsidian" and v.readwise_folder != READWISE_FOLDER:
            facts = f"readwise_folder={v.readwise_folder!r}"
        cache = open_cache(self.options.state_dir, v.root, facts)
        if cache is None:
            return
        self._now = now_ns()
        opts = self.options
        # Everything that shapes a clean page: the author mapping changes links and splitting.
        self._base = base_key(
            self.vault.kind, opts.rules, opts.split_authors, sorted(opts.author_aliases.items())
        )
        if v.kind == "obsidian":  # (which pages are Readwise's by their place: not authors')
            self._base = base_key(self._base, v.readwise_folder, opts.authors_folder)
        self._settings = base_key(
            self._base,
            opts.author_pages,
            opts.authors_folder,
            (v.name_format, v.pages_dir, v.include, v.exclude, v.hidden),
        )
        if load:
            cache.load()
        self.cache = cache if cache.enabled else None

    def _close_cache(self) -> None:
        if self.cache is not None:
            self.cache.flush()
        self.cache = None

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.vault.root).as_posix()
        except ValueError:
            return ""

    def _static_clean(self, source: _Source, report: PassReport) -> bool:
        """Mark a candidate clean when its cache row says so in this pass's context (its author
        link is checked once the plan is known); read it now if phase 1 did not and it is not
        clean. False when it cannot be read (counted as Readwise's when its row says so)."""
        entry = source.entry
        if entry is None:
            return True
        referenced = self.index.referenced_ids
        if entry.clean is not None and entry.clean == clean_key(self._base, referenced, entry.ids):
            source.clean = True
            return True
        if source.snapshot is not None:
            return True
        skipped = len(report.skipped)
        if self._read_source(source, report):
            return True
        if len(report.skipped) > skipped and entry.readwise:
            report.readwise += 1
        return False

    def _read_source(self, source: _Source, report: PassReport) -> bool:
        try:
            snap = read_page(source.path)
        except PageVanished:
            if self.cache is not None:
                self.cache.drop(source.rel)
            return False
        except VaultsyncError as err:
            report.skipped.append((source.path, page_reason(err, source.path)))
            return False
        source.snapshot = snap
        source.entry = _entry(self.vault, source.path, snap, source.entry, self._now)
        if self.cache is not None:
            self.cache.put(source.rel, source.entry)
        return True

    def update(self, changed: Iterable[Path], deleted: Iterable[Path] = ()) -> PassReport:
        """Process the paths an event named: changed pages cleaned, deleted ones forgotten, the
        author pages they touch refreshed."""
        report = PassReport(vault=self.vault, mode=self.options.mode)
        changed, deleted = list(changed), list(deleted)
        before = self._author_keys(changed + deleted)
        # What the author plan depends on, as these pages gave it before (see _replan_if).
        planned = {p: (self._names_of(p), self.facts.get(p)) for p in changed + deleted}
        self._open_cache(load=False)
        try:
            for path in deleted:
                self._forget(path)
                if self.cache is not None:
                    self.cache.drop(self._rel(path))
            sources = []
            for path in changed:
                self._forget(path)
                rel = self._rel(path)
                flt = self.vault.path_filter
                # A note outside the include patterns, or a canvas: read for its references
                # and names (a new reference protects its id from the next rewrite), never
                # cleaned.
                cleanable = flt.matches(rel)
                if not cleanable and not flt.reads(rel):
                    continue
                try:
                    snap = read_page(path)
                except PageVanished:
                    if self.cache is not None:
                        self.cache.drop(rel)
                    continue
                except VaultsyncError as err:
                    if cleanable:
                        report.skipped.append((path, page_reason(err, path)))
                    continue
                entry = None
                if self.cache is not None and rel:
                    entry = _entry(self.vault, path, snap, None, self._now)
                    self.cache.put(rel, entry)
                _report_bad_canvas(path, snap.data, report)
                if not cleanable:
                    _learn(self.vault, self.index, path, snap, entry, cleanable=False)
                    continue
                report.scanned += 1
                if _learn(self.vault, self.index, path, snap, entry) == "candidate":
                    sources.append(_Source(path, snap, rel, entry))
            self.index.candidates = []
            prepared = self._prepare_all(sources)
            self._replan_if(planned)
            known = dict(self.facts)
            self._clean_all(sources, prepared, report)
            if self.facts != known:
                self._replan()  # the same facts give the same plan
            affected = before | self._author_keys([s.path for s in sources])
            if self.options.author_pages and affected:
                sync_author_pages(
                    self.vault, self.index, self.plan, self.options, self.guard, report, affected
                )
        finally:
            self._close_cache()
        return report

    def _author_keys(self, paths: Iterable[Path]) -> set[str]:
        keys = set()
        for path in paths:
            facts = self.facts.get(path)
            if facts:
                keys |= {name_key(self.plan.resolve(n)) for n in facts.names}
        return keys

    def _forget(self, path: Path) -> None:
        for name in self.index.names.of(path):
            del self.index.names[name]
            self.index.alias_names.discard(name)
        self.index.managed.pop(path, None)
        self.facts.pop(path, None)

    def _prepare_all(self, sources: list[_Source]) -> list[_Prepared | None]:
        """Phase A: every candidate not known clean normalized once, its author facts read from
        the result, before any page is cleaned (links must point at one author page, so the
        plan needs every page's facts). Its author link is made as if each name were its own
        canonical one; phase B keeps the result unless the plan makes another link of it.
        Pages are independent of each other here: many go to all cores (vaultsync.workers)."""
        from vaultsync import workers

        options = self.options
        shared = _PhaseA(
            self.vault,
            options.rules,
            options.split_authors,
            self._mapped_names(),
            frozenset(self.index.referenced_ids),
            options.authors_folder,
        )
        out: list[_Prepared | None] = [None] * len(sources)
        todo: list[int] = []
        for i, source in enumerate(sources):
            if source.clean:  # as its cache row says: so are its author facts
                if source.entry is not None and source.entry.author is not None:
                    self.facts[source.path] = source.entry.author
            else:
                todo.append(i)
        work = [(sources[i].path, sources[i].snapshot.data) for i in todo]  # type: ignore[union-attr]
        # The mojibake repair imports ftfy (0.4 s) for non-ASCII text: a pool imports it first.
        preload = ("ftfy",) if any(not data.isascii() for _, data in work) else ()
        results = workers.map_pages(prepare_page, shared, work, preload=preload)
        for i, prepared in zip(todo, results, strict=True):
            out[i] = prepared
            if prepared is not None and prepared.facts:
                self.facts[sources[i].path] = prepared.facts
        return out

    def _page_facts(
        self, source: _Source, result: Normalized | None
    ) -> tuple[PageAuthor | None, str | None]:
        """A normalized page's author facts and author value (None, None: not a Readwise page)."""
        if result is None or not result.is_readwise or result.page is None:
            return None, None
        facts = page_facts(
            self.vault, source.path, result.page, self.options.split_authors, self._mapped_names()
        )
        return facts, author_value(result.page)

    def _in_readwise_folder(self, path: Path) -> bool:
        return _in_readwise_folder(self.vault, path, self.options.authors_folder)

    def _mapped_names(self) -> frozenset[str]:
        """Names the config maps to an author: never split, even with split_authors on."""
        return frozenset(name_key(k) for k in self.options.author_aliases)

    def _replan(self, lazy: bool = False) -> None:
        """Plan the authors; `lazy`: only when first asked (the inputs taken now)."""
        facts, aliases = list(self.facts.values()), dict(self.options.author_aliases)
        names = self.index.names_with_pages()
        if lazy:
            known = self.cache.canonical if self.cache is not None else None
            self.plan = _PendingPlan(lambda: plan_authors(facts, aliases, names), known)
        else:
            self.plan = plan_authors(facts, aliases, names)
        self._planned_aliases = aliases

    def _names_of(self, path: Path) -> frozenset[tuple[str, bool]]:
        alias_names = self.index.alias_names
        return frozenset((n, n in alias_names) for n in self.index.names.of(path))

    def _replan_if(self, planned: dict[Path, tuple[frozenset, PageAuthor | None]]) -> None:
        """Re-plan unless the pages an update touched give the plan what they gave it before
        (names, author facts) and the mapping is the one planned with: the same inputs give
        the same plan, and a re-plan weighs every page of the vault (0.1 s for 50,000)."""
        if self._planned_aliases != self.options.author_aliases or any(
            (self._names_of(p), self.facts.get(p)) != was for p, was in planned.items()
        ):
            self._replan()

    def _clean_all(
        self, sources: list[_Source], prepared: list[_Prepared | None], report: PassReport
    ) -> None:
        """Phase B: each candidate cleaned in the plan's context, its phase A result let go
        once used."""
        referenced = frozenset(self.index.referenced_ids)
        maker = author_maker(
            self.vault.kind, self.plan, self.options.split_authors, self._mapped_names()
        )
        batch = self._new_batch()
        try:
            for i, source in enumerate(sources):
                prep, prepared[i] = prepared[i], None
                self._clean(source, report, prep, referenced, maker, batch)
                if batch is not None and batch.full:
                    batch.commit()
                if self.progress:
                    self.progress("cleaning", i + 1, len(sources))
        except BaseException:
            if batch is not None:
                batch.abort()
            raise
        if batch is not None:
            batch.finish()

    def _new_batch(self) -> WriteBatch | None:
        """The batch a full pass writes through (see WriteBatch); None for the daemon's
        updates, which write page by page."""
        if not self._batching or self.options.mode != "write":
            return None
        return WriteBatch(self.guard, history=self.options.history)  # type: ignore[arg-type]

    def _clean(
        self,
        source: _Source,
        report: PassReport,
        prepared: _Prepared | None,
        referenced: frozenset[str],
        maker: Callable[[str], str | None],
        batch: WriteBatch | None = None,
    ) -> None:
        if source.clean:
            entry = source.entry
            assert entry is not None
            value = entry.author_value
            if not self.options.rules.link_author or value is None or maker(value) in (None, value):
                if entry.readwise:
                    report.readwise += 1
                return
            # Its author link changes (the plan moved): clean it.
            if source.snapshot is None and not self._read_source(source, report):
                report.readwise += entry.readwise  # (unreadable now; Readwise's as last read)
                return
        if prepared is not None and prepared.given is not None:
            if _link_of(maker, prepared.given) != prepared.link:
                prepared = None  # the plan links its author elsewhere: normalize it again
        reported = len(report.failed) + len(report.skipped)
        finish: list[Callable[[VaultsyncError | None], None]] = []
        queue = None
        if batch is not None:

            def queue(snap: Snapshot, data: bytes) -> None:
                if batch.take_direct():  # the first few: page by page, done at once
                    _write(self.guard, snap, source.path, data, self.options)
                    return
                if batch.add(snap, source.path, data, lambda err: finish[0](err)):
                    finish.append(lambda err: None)  # (replaced below, once the result is known)

        result = clean_page(
            self.vault, source, self.options, self.guard, referenced, report, maker, prepared, queue
        )
        if finish:  # its write waits in the batch: what follows it waits too

            def written(err: VaultsyncError | None) -> None:
                if err is None:
                    self._cleaned(source, report, prepared, result, referenced, reported)
                elif isinstance(err, ChangedSinceRead):
                    # Changed after it was read: read afresh and cleaned again, on its own.
                    if self._read_source(source, report):
                        self._clean(source, report, None, referenced, maker)
                    else:
                        self._cleaned(source, report, prepared, None, referenced, reported)
                else:
                    report.failed.append((source.path, page_reason(err, source.path)))
                    self._cleaned(source, report, prepared, None, referenced, reported)

            finish[0] = written
            return
        self._cleaned(source, report, prepared, result, referenced, reported)

    def _cleaned(
        self,
        source: _Source,
        report: PassReport,
        prepared: _Prepared | None,
        result: Normalized | None,
        referenced: frozenset[str],
        reported: int,
    ) -> None:
        """What a page's cleaning leaves: its count, its author facts, its cache row."""
        # Not cleaned, and said why (refused by the no-loss check, bad bytes, a failed write,
        # unreadable): still one of the vault's Readwise pages, in the count and in its row.
        failed_readwise = (
            result is None
            and len(report.failed) + len(report.skipped) > reported
            and self._is_readwise(source, prepared)
        )
        if failed_readwise:
            report.readwise += 1
        if result is not None and result.is_readwise and result.page is None:
            assert prepared is not None  # a fresh normalize keeps its Readwise page
            facts, value = prepared.facts, prepared.author_value  # phase A's result stands
        else:
            facts, value = self._page_facts(source, result)
        if self.cache is not None and source.entry is not None:
            self._remember(source, result, facts, value, referenced, failed_readwise)
        if result is None or not result.is_readwise:
            return
        report.readwise += 1
        if facts:
            self.facts[source.path] = facts
        if result.changed:
            report.changed.append(source.path)
            report.stats.add(result.stats)
            report.page_stats[source.path] = result.stats
            if self.options.mode == "write":
                self.written[source.path] = result.text.encode("utf-8")

    def _is_readwise(self, source: _Source, prepared: _Prepared | None) -> bool:
        """Whether a candidate that could not be cleaned is a Readwise page."""
        if prepared is not None:
            return prepared.is_readwise
        if source.snapshot is not None:
            in_folder = self._in_readwise_folder(source.path)
            return _readwise_bytes(self.vault, source.snapshot.data, in_folder)
        return source.entry is not None and source.entry.readwise

    def _remember(
        self,
        source: _Source,
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
            entry = _entry(self.vault, source.path, snap, None, self._now)
        entry.clean = clean_key(self._base, referenced, entry.ids)
        entry.readwise = result.is_readwise
        entry.author_value = value
        entry.author = facts
        self.cache.put(source.rel, entry)


def run_pass(
    vault: Vault,
    options: PassOptions | None = None,
    guard: VaultGuard | None = None,
    progress: Callable[..., None] | None = None,
) -> PassReport:
    """One full pass over a vault: Readwise pages cleaned, author pages kept up to date."""
    session = VaultSession(vault, options, guard)
    session.one_off = True
    return session.full_pass(progress)


# The progress display of one vault's pass: entered around the pass, it gives the callback the
# pass reports its progress to (or None: none shown).
Progress = Callable[[Vault], AbstractContextManager[Callable[..., None] | None]]


def run_passes(
    vaults: list[Vault],
    options: PassOptions,
    *,
    on_wait: Callable[[Vault], None] | None = None,
    progress: Progress | None = None,
) -> list[PassReport]:
    """A full pass over each vault in turn, under one guard over them all. A writing pass holds
    the vault's lock (shared with the daemon, so the two never write at once); `on_wait` is
    called if it must wait for it."""
    guard = VaultGuard([v.root for v in vaults])
    reports = []
    for vault in vaults:
        shown = progress(vault) if progress is not None else nullcontext()
        with _writing_lock(vault, options, on_wait), shown as tick:
            reports.append(run_pass(vault, options, guard, progress=tick))
    return reports


def _writing_lock(
    vault: Vault, options: PassOptions, on_wait: Callable[[Vault], None] | None
) -> AbstractContextManager[object]:
    if options.mode != "write":
        return nullcontext()
    waiting = (lambda: on_wait(vault)) if on_wait is not None else None
    return vault_lock(options.state_dir or default_state_dir(), vault.root, on_wait=waiting)
