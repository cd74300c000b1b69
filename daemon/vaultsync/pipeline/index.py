"""The name index and the references: what every page of a vault is called (for author pages)
and which block ids other notes link to (never removed by a rewrite)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from vaultsync.core import authors as author_pages
from vaultsync.core import syntax
from vaultsync.core.identity import fold
from vaultsync.errors import BadCanvas, CanvasProblem
from vaultsync.state import (
    Entry,
    Names,
    names_of,
)
from vaultsync.writer import (
    Snapshot,
)

# A Markdown link's (or embed's) target: `](<a b.md#^id>)` or `](a%20b.md#^id "title")`.
MD_LINK = re.compile(r"\]\(\s*(?:<([^<>\n]*)>|([^\s()]*(?:\([^\s()]*\)[^\s()]*)*))")
FRAGMENT_REF = re.compile(r"#\^([A-Za-z0-9-]+)")


@dataclass
class Source:
    path: Path
    snapshot: Snapshot | None  # None: not read, its cache row says what it holds
    rel: str = ""  # vault-relative POSIX path: the cache's key
    entry: Entry | None = None  # its state cache row, when a cache is kept
    clean: bool = False  # the row says these bytes are clean in this pass's context


# A managed or candidate page phase 1 did not read, as its fresh cache row says: (its path as
# the walk gave it, its vault-relative key, the row undecoded). See VaultIndex.candidates.
Unread = tuple[str, str, tuple]


class NameTable(MutableMapping[str, Path]):
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
    candidates: list[Source | Unread] = field(default_factory=list)
    # Managed pages known from their rows, not read and not entered in `managed` yet (idem).
    unread_managed: list[Unread] = field(default_factory=list)
    # Phase 1 found every page as the state cache's rows recorded it (none added, removed,
    # changed or unreadable): what the rows say is what the vault holds.
    unchanged: bool = False
    # The names phase 1 found, in walk order, not entered yet: (page, its names). They are
    # entered the first time `names` is asked for; a settled pass never asks, and a `Path`
    # and a name entry per page are most of what phase 1 costs beyond the stat walk.
    # (Names of a page not read are left as its row holds them, decoded when entered.)
    pending: list[tuple[str | Path, Names | str]] = field(default_factory=list)
    # Managed pages whose cache row says which sources and aliases their bytes (as the walk
    # found them) are up to date with (core.byline.sync_key); and the rows, to record more.
    synced: dict[Path, str] = field(default_factory=dict)
    managed_rows: dict[Path, tuple[str, Entry]] = field(default_factory=dict)
    # Filled by the author sync: managed pages it read and found up to date (key, bytes read).
    verified: dict[Path, tuple[str, bytes]] = field(default_factory=dict)
    _names: NameTable = field(default_factory=NameTable)
    _alias_names: set[str] = field(default_factory=set)
    # The keys names_with_pages() made from pending names (each its own value): entering the
    # names then uses those strings, not equal new ones (the plan and name_key's memo hold them).
    _made_keys: dict[str, str] = field(default_factory=dict, repr=False)
    # A settled walk looks up no page's row: it leaves here what fills `pending` and
    # `referenced_ids` from the rows, run the first time either is needed (see fill()).
    _unfilled: Callable[[], None] | None = field(default=None, repr=False)

    def defer(self, fill: Callable[[], None]) -> None:
        """Leave the names and references of phase 1 to `fill`, run when first needed."""
        self._unfilled = fill

    def fill(self) -> None:
        """Fill `pending` and `referenced_ids` now if a settled walk left them (see defer):
        whatever reads either field directly (the store, before the rows are decoded) first
        calls this; `names`, `alias_names` and names_with_pages() do it themselves."""
        fill, self._unfilled = self._unfilled, None
        if fill is not None:
            fill()

    @property
    def names(self) -> NameTable:
        """Page/note name keyed by fold() (NFC, casefolded) → file."""
        if self._unfilled is not None:
            self.fill()
        if self.pending:
            self.enter_pending()
        return self._names

    @property
    def alias_names(self) -> set[str]:
        """The keys of `names` that are aliases."""
        if self._unfilled is not None:
            self.fill()
        if self.pending:
            self.enter_pending()
        return self._alias_names

    def enter_pending(self) -> None:
        """Enter the names phase 1 found (see `pending`)."""
        self.fill()
        pending, self.pending = self.pending, []
        made, self._made_keys = self._made_keys, {}
        for i, (path, names) in enumerate(pending):
            pending[i] = None  # type: ignore[call-overload]  # let go of each once entered
            _note_names(self._names, self._alias_names, path, names_of(names), made)

    def names_with_pages(self) -> list[str]:
        """Every page's own name (casefolded), aliases left out."""
        self.fill()
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


def org_names(path: Path, data: bytes) -> list[tuple[str, bool]]:
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
    except BadCanvas:
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
    except BadCanvas as err:
        return str(err)  # its words, from render/errors.py
    return None


def _canvas_nodes(data: bytes) -> list:
    if not data.strip():
        return []  # a canvas just created, still empty
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise BadCanvas(CanvasProblem.NOT_UTF8, byte=err.start) from None
    except json.JSONDecodeError as err:
        raise BadCanvas(CanvasProblem.BAD_JSON, msg=err.msg, line=err.lineno) from None
    except RecursionError:
        raise BadCanvas(CanvasProblem.TOO_DEEP) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes", []), list):
        raise BadCanvas(CanvasProblem.NOT_A_CANVAS)
    return doc.get("nodes", [])


def note_page(index: VaultIndex, path: Path, names: Names, refs: tuple[str, ...]) -> None:
    _note_names(index.names, index.alias_names, path, names)
    index.referenced_ids.update(refs)


def _note_names(
    index: NameTable,
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
