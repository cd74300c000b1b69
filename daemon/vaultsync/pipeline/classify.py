"""What a file's bytes are to a pass, told without parsing: a Readwise candidate, one of our
author pages, or another note; its names and references; its state cache row."""

from __future__ import annotations

import re
from pathlib import Path

from vaultsync.core import authors as author_pages
from vaultsync.core import formats, links
from vaultsync.core.normalize import (
    is_readwise_page,
    parse,
)
from vaultsync.core.text import NotUtf8
from vaultsync.pipeline.index import canvas_refs, note_refs, org_names
from vaultsync.pipeline.report import PageReason
from vaultsync.results import Reason
from vaultsync.state import (
    Entry,
    Names,
    digest,
)
from vaultsync.vault import Vault
from vaultsync.writer import (
    Snapshot,
)

# Bytes that only Readwise pages (and our author pages) hold: everything else is skipped unparsed.
# Made from the core's table of Readwise's signals: a page the core would call Readwise's always
# passes (tests/test_links.py).
CANDIDATE = links.PREFILTER
MANAGED = re.compile(
    re.escape(author_pages.LOGSEQ_MARKER.encode())
    + rb"|"
    + re.escape(author_pages.OBSIDIAN_BEGIN.encode())
)
HELD_ID = re.compile(rb"\^([A-Za-z0-9-]+)")  # a superset of the `^id`s an Obsidian page holds
_MARKERS = (author_pages.LOGSEQ_MARKER.encode(), author_pages.OBSIDIAN_BEGIN.encode())


def _leading_literals(pattern: str) -> tuple[bytes, ...] | None:
    """The literal each top-level alternative of a regular expression begins with (its text up
    to the first special character), or None when one begins with none: a page holding none of
    them cannot match, and `in` finds a literal many times faster than the regex engine scans
    (a third of phase 1's byte searches, on the many pages that are nobody's)."""
    branches, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 1
        elif c == "[":  # a character class: nothing in it groups or alternates
            i += 2 if pattern[i + 1 : i + 2] == "^" else 1
            i += pattern[i : i + 1] == "]"  # (a "]" first in a class is one of its characters)
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
            if i >= len(pattern):
                return None
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            branches.append(pattern[start:i])
            start = i + 1
        i += 1
    if depth != 0:
        return None  # (not a pattern this reads right: no shortcut)
    branches.append(pattern[start:])
    literals = []
    for branch in branches:
        text, i = "", 0
        while i < len(branch):
            c = branch[i]
            if c == "\\" and i + 1 < len(branch) and not branch[i + 1].isalnum():
                text, i = text + branch[i + 1], i + 2  # an escaped punctuation mark
            elif c.isalnum() or c in " -_:,;!@#%&=~'\"<>/":
                text, i = text + c, i + 1
            else:
                break
        # (a quantifier makes the character before it optional: not part of the literal)
        if i < len(branch) and branch[i] in "?*{":
            text = text[:-1]
        if not text:
            return None
        literals.append(text.encode())
    return tuple(literals)


# The literals each alternative of the byte prefilter (core/links.py) begins with.
_CANDIDATE_LITERALS = _leading_literals(links.PREFILTER_PATTERN)


def may_be_candidate(data: bytes) -> bool:
    """CANDIDATE.search(data), answered without the regex for a page holding none of the
    literals its alternatives begin with (most of a vault's notes)."""
    if _CANDIDATE_LITERALS is not None:
        for literal in _CANDIDATE_LITERALS:
            if literal in data:
                break
        else:
            return False
    return CANDIDATE.search(data) is not None


def is_managed(data: bytes) -> bool:
    """MANAGED.search(data): the bytes hold one of our author pages' markers."""
    return _MARKERS[0] in data or _MARKERS[1] in data


def name_parts(name: str) -> tuple[str, str]:
    """A file name's stem and suffix, as pathlib tells them (`Path(name).stem`, `.suffix`),
    without making a Path: a dot that begins or ends the name starts no suffix."""
    i = name.rfind(".")
    if 0 < i < len(name) - 1:
        return name[:i], name[i:]
    return name, ""


def file_facts(vault: Vault, path: Path, data: bytes) -> tuple[str, Names, tuple[str, ...]]:
    """What a file's bytes tell the index: its kind ("managed", "candidate" or "other"), the
    names it answers to (each with whether it is an alias), the block ids it links to. Only
    a `.md` file can be a page we clean or manage; a canvas gives references, an org page
    (Logseq) names."""
    stem, suffix = name_parts(path.name)
    suffix = suffix.lower()
    if suffix == ".canvas":
        refs = canvas_refs(data) if formats.of(vault.kind).reads_canvas else ()
        return "other", (), refs
    if suffix == ".org":
        names = tuple(org_names(path, data)) if formats.of(vault.kind).org_pages else ()
        return "other", names, ()
    fmt = formats.of(vault.kind)
    names: Names = tuple(fmt.page_names(stem, data))
    # Links to blocks matter where a block id stays only while something links to it.
    refs = () if fmt.keeps_every_id else note_refs(data)
    if is_managed(data):
        return "managed", names, refs
    # A page in the Readwise plugin's folder is a candidate by its place: its highlights may
    # carry none of the literals the prefilter looks for (no link, no cover, `## Highlights`).
    if may_be_candidate(data) or in_readwise_folder(vault, path) or _undecodable_readwise(data):
        return "candidate", names, refs
    return "other", names, refs


def in_readwise_folder(vault: Vault, path: Path, authors_folder: str | None = None) -> bool:
    """The page lies in the Readwise plugin's folder (see Vault.in_readwise_folder), and not in
    `authors_folder` (author notes, ours or the user's, are never Readwise's by their place)."""
    if vault.readwise_folder is None or not formats.of(vault.kind).plugin_folder:
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


def not_utf8(err: NotUtf8, data: bytes) -> PageReason:
    """Why a page that is not UTF-8 is skipped: its error, and whether it is saved as UTF-16
    (the words then say so)."""
    return PageReason(Reason.NOT_UTF8, err, utf16=_as_utf16(data) is not None)


def make_entry(vault: Vault, path: Path, snap: Snapshot, old: Entry | None, now: int) -> Entry:
    """The cache row of bytes just read (`now`: a time before the read). The same bytes as the
    old row (a touch, our own write read back): the old row, restamped."""
    dig = digest(snap.data)
    if old is not None and old.digest == dig:
        old.restat(snap.size, snap.mtime_ns, snap.ino, now)
        return old
    kind, names, refs = file_facts(vault, path, snap.data)
    ids: tuple[str, ...] = ()
    # (Ids kept only while something links to them: which ones the page holds.)
    if kind == "candidate" and not formats.of(vault.kind).keeps_every_id:
        ids = tuple(dict.fromkeys(m.group(1).decode() for m in HELD_ID.finditer(snap.data)))
    return Entry(snap.size, snap.mtime_ns, snap.ino, now, dig, kind, names, refs, ids)


def readwise_bytes(vault: Vault, data: bytes, in_folder: bool = False) -> bool:
    """Whether bytes that could not be cleaned (bad bytes, refused) hold a Readwise page: read
    leniently, for the count only."""
    page = parse(data.decode("utf-8", errors="replace"), vault.kind)
    return is_readwise_page(page, in_folder=in_folder)
