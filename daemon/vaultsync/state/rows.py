"""One row of the state cache: what a page held when last read (`Entry`), how a row is stored in
SQLite and read back (`encode_row`, `decode_row`), and the cheap readers of a loaded row the walk
uses without decoding it (`row_names_text`, `row_refs`, `row_readwise`)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from vaultsync.core.identity import PageAuthor
from vaultsync.errors import DamagedRow

RACY_NS = 2_000_000_000  # 2 s: covers FAT's 2 s mtime granularity, and coarse clocks elsewhere
KINDS = ("other", "managed", "candidate")

_SEP, _ALIAS, _JSON = "\x1f", "\x1e", "\x1d"
_SPECIAL = frozenset("\x00\x1d\x1e\x1f")
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS pages ("
    " rel TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
    " ino INTEGER NOT NULL, checked_ns INTEGER NOT NULL, digest BLOB NOT NULL,"
    " kind TEXT NOT NULL, names TEXT NOT NULL, refs TEXT NOT NULL, extra TEXT"
    ") WITHOUT ROWID",
)
COLUMNS = "rel, size, mtime_ns, ino, checked_ns, digest, kind, names, refs, extra"
INSERT = f"INSERT OR REPLACE INTO pages ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"
Names = tuple[tuple[str, bool], ...]  # (name, is an alias)


@dataclass(slots=True)
class Entry:
    """What one page held when last read (or written by us), and what a pass learned from it."""

    size: int
    mtime_ns: int
    ino: int
    checked_ns: int  # wall clock (ns) no later than the moment the bytes were read or written
    digest: bytes  # sha256 of those bytes
    kind: str  # "other", "managed" (an author page we manage) or "candidate" (may be Readwise)
    names: Names = ()
    refs: tuple[str, ...] = ()  # Obsidian block ids this page links to ([[Note#^id]])
    ids: tuple[str, ...] = ()  # block ids a candidate may hold (a superset is fine)
    clean: str | None = None  # a candidate: the context key under which these bytes are clean
    readwise: bool = False  # a clean candidate: whether it is a Readwise page at all
    author_value: str | None = None  # a clean Readwise page: its author value, as the rule sees it
    author: PageAuthor | None = None  # a clean Readwise page: what it says of its author
    # An author page we manage: the key of the sources and aliases these bytes were found up
    # to date with (vaultsync.core.byline.sync_key), so an unchanged page need not be read again.
    synced: str | None = None

    def matches(self, st: os.stat_result) -> bool:
        """True when `st` describes the file this entry was recorded from."""
        return (st.st_size, st.st_mtime_ns, st.st_ino) == (self.size, self.mtime_ns, self.ino)

    def trusted(self, st: os.stat_result, now_ns: int) -> bool:
        """True when the page certainly still holds the recorded bytes (stat and racy rules)."""
        return (
            self.matches(st)
            and self.mtime_ns + RACY_NS <= self.checked_ns
            and self.mtime_ns + RACY_NS <= now_ns
        )

    def restat(self, size: int, mtime_ns: int, ino: int, checked_ns: int) -> None:
        """The same bytes, seen again under a new stat (touched, or our own write read back)."""
        self.size, self.mtime_ns, self.ino, self.checked_ns = size, mtime_ns, ino, checked_ns


# ----------------------------------------------------------------------------- row encoding


def _encode_names(names: Names) -> str:
    if names and not any(_SPECIAL.intersection(n) for n, _a in names):
        return _SEP.join(_ALIAS + n if alias else n for n, alias in names)
    return _JSON + json.dumps([[n, a] for n, a in names])


def _decode_names(text: str) -> Names:
    if _SEP not in text and not text.startswith((_ALIAS, _JSON)):
        return ((text, False),)  # most pages: one name, its own
    if text.startswith(_JSON):
        return tuple((str(n), bool(a)) for n, a in json.loads(text[1:]))
    return tuple((n[1:], True) if n.startswith(_ALIAS) else (n, False) for n in text.split(_SEP))


def row_names(row: tuple) -> Names | None:
    """The names a loaded row records (None when it cannot be read): without decoding the rest
    of the row, for the many pages whose names are all a pass needs."""
    try:
        return _decode_names(row[7])
    except (ValueError, TypeError, AttributeError, IndexError):
        return None


def row_names_text(row: tuple) -> Names | str | None:
    """Like row_names(), but left encoded (a str: see names_of()) when decoding it later cannot
    fail, as for most rows: a pass that never asks for the names never decodes them."""
    return stored_names(row[7])


def stored_names(text: object) -> Names | str | None:
    """A row's names column as row_names_text() gives it (None when it cannot be read)."""
    if isinstance(text, str) and not text.startswith(_JSON):
        return text
    try:
        return _decode_names(text)  # type: ignore[arg-type]
    except (ValueError, TypeError, AttributeError, IndexError):
        return None


def names_of(names: Names | str) -> Names:
    """Names as row_names_text() gave them, decoded."""
    return _decode_names(names) if isinstance(names, str) else names


def row_refs(row: tuple) -> tuple[str, ...]:
    """The block ids a loaded row's page links to."""
    refs = row[8]
    return tuple(refs.split()) if refs else ()


def row_readwise(row: tuple) -> bool:
    """Whether a loaded candidate row records a clean Readwise page, without decoding it: its
    extra column is compact JSON (_encode_extra) whose key "r" holds the flag, and a string
    value holding the same characters is written with its quotes escaped, so cannot match."""
    extra = row[9]
    return isinstance(extra, str) and '"r":true' in extra


def _encode_extra(entry: Entry) -> str | None:
    if entry.kind == "managed":
        return json.dumps({"s": entry.synced}) if entry.synced else None
    if entry.kind != "candidate":
        return None
    extra: dict[str, Any] = {}
    if entry.ids:
        extra["i"] = list(entry.ids)
    if entry.clean is None and entry.readwise:
        extra["r"] = True  # not clean (it failed), but Readwise's: counted so while unreadable
    if entry.clean is not None:
        extra["c"] = entry.clean
        extra["r"] = entry.readwise
        extra["v"] = entry.author_value
        a = entry.author
        if a is not None:
            extra["a"] = [list(a.names), a.handle, a.link, a.category, a.highlights, a.newest]
    return json.dumps(extra, separators=(",", ":")) if extra else None


def decode_row(row: tuple) -> Entry:
    _rel, size, mtime_ns, ino, checked_ns, dig, kind, names, refs, extra = row
    if kind not in KINDS or not isinstance(dig, bytes):
        raise DamagedRow(kind)
    entry = Entry(
        size,
        mtime_ns,
        ino,
        checked_ns,
        dig,
        kind,
        _decode_names(names),
        tuple(refs.split()) if refs else (),
    )
    if extra and kind == "managed":
        synced = json.loads(extra).get("s")
        entry.synced = synced if isinstance(synced, str) else None
    elif extra:
        data = json.loads(extra)
        entry.ids = tuple(data.get("i", ()))
        entry.clean = data.get("c")
        entry.readwise = bool(data.get("r", False))
        entry.author_value = data.get("v")
        a = data.get("a")
        if a is not None:
            names_, handle, link, category, highlights, newest = a
            entry.author = PageAuthor(
                tuple(names_), handle, link, category, int(highlights), int(newest)
            )
    return entry


def encode_row(rel: str, e: Entry) -> tuple:
    return (
        rel,
        e.size,
        e.mtime_ns,
        e.ino,
        e.checked_ns,
        e.digest,
        e.kind,
        _encode_names(e.names),
        " ".join(e.refs),
        _encode_extra(e),
    )
