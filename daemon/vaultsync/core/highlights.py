"""What an item says: its text, its Readwise location link, its block ids, its identity."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# The link forms live in one table (core/links.py), shared with the byte prefilter.
from vaultsync.core.links import (  # (re-exported: other modules import them from here)
    BARE_LINK,
    LOCATION_LINK,
    OPEN_IN_READWISE,
    STATUS_ID,
    read_link,
    readwise_url,
)
from vaultsync.core.model import Item, Kind, Section
from vaultsync.core.mojibake import repaired  # (re-exported: rules.py imports it from here)
from vaultsync.core.syntax import LOGSEQ_PROPERTY
from vaultsync.core.text import body

BULLET = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
# Trailing white space may include a stray "\r" (a CRLF file edited by a tool that added one).
LOGSEQ_ID = re.compile(r"^[ \t]*id:: *(\S+?)\s*$", re.IGNORECASE)
OBSIDIAN_ID = re.compile(r"(?:^|[ \t])\^([A-Za-z0-9-]+)\s*$")


@dataclass(frozen=True)
class ItemSyntax:
    """What an app's item lines hold besides the item's text. (A plain table, not a field of
    core/formats.Format: the formats are built from the parsers that import this module, and the
    cached functions below take the hashable `kind` as their key and look the table up by it.)"""

    quotes: bool  # a unit opening with ">" is a blockquote unit (Obsidian's template)
    properties: bool  # a block's `key:: value` lines are not its text (Logseq)
    counters: bool  # a stray counter line ("1") between items is the template's (Obsidian)
    caret_ids: bool  # a `^id` marker at a line's end is a block id, not text (Obsidian)
    block_id: Callable[[str], re.Match[str] | None]  # a line's block id


ITEM_SYNTAX: dict[str, ItemSyntax] = {
    "logseq": ItemSyntax(
        quotes=False, properties=True, counters=False, caret_ids=False, block_id=LOGSEQ_ID.match
    ),
    "obsidian": ItemSyntax(
        quotes=True, properties=False, counters=True, caret_ids=True, block_id=OBSIDIAN_ID.search
    ),
}


def own_text_lines(item: Item, kind: Kind) -> list[str]:
    """The item's own content lines: bullet and indentation stripped, Logseq property lines and
    Obsidian `^id` markers left out."""
    return list(_own_text(tuple(item.lines), kind))


# The rules, the no-loss check and the author facts ask the same questions of each item many
# times per page: the answers depend only on the item's own lines, so they are kept for the
# last items seen (immutable results; a page's items many times over).
_MEMO = 1024


@lru_cache(maxsize=_MEMO)
def _own_text(lines: tuple[str, ...], kind: Kind) -> tuple[str, ...]:
    syn = ITEM_SYNTAX[kind]
    if syn.quotes and lines and lines[0].startswith(">"):
        return _quote_text(lines)
    properties, counters, caret_ids = syn.properties, syn.counters, syn.caret_ids
    out = []
    for i, line in enumerate(lines):
        text = body(line)
        if i == 0:
            m = BULLET.match(text)  # anchored: the same as sub(count=1), without a template
            if m:
                text = text[m.end() :]
        else:
            if properties and LOGSEQ_PROPERTY.match(text):
                continue
            text = text.strip()
            # A stray counter line ("1", "2") some templates write between items is the
            # template's, not the highlight's text (Markdown makes it the item's lazy line).
            if counters and text.isdigit() and len(text) <= 4:
                continue
        if caret_ids and "^" in text:
            text = OBSIDIAN_ID.sub("", text)
        out.append(text)
    return tuple(out)


def _quote_text(lines: tuple[str, ...]) -> tuple[str, ...]:
    """A blockquote unit's text: its "> " lines without the marker, Readwise's own bare link
    line ("> [View Highlight](…)") left out (copies carry other ids), blank lines dropped."""
    out = []
    for line in lines:
        text = body(line).strip()
        if not text:
            continue
        text = text[1:].strip() if text.startswith(">") else text
        m = BARE_LINK.search(text) if "](" in text else None
        if m and readwise_url(m.group("url")):
            text = (text[: m.start()] + text[m.end() :]).strip()
            if not text:
                continue
        text = OBSIDIAN_ID.sub("", text) if "^" in text else text
        out.append(text)
    return tuple(out)


def item_ids(item: Item, kind: Kind) -> list[str]:
    """Block ids the item itself carries: Logseq `id::` lines, Obsidian `^id` markers."""
    ids = []
    block_id = ITEM_SYNTAX[kind].block_id
    for line in item.lines:
        m = block_id(body(line))
        if m:
            ids.append(m.group(1))
    return ids


@dataclass(frozen=True)
class Location:
    """Where a highlight comes from, as its Readwise link says."""

    label: str
    url: str
    status_id: int | None  # a tweet's snowflake id: ascending = the order written
    number: int | None  # the position: status id / Location N / Page N / Time (in seconds)
    position: str | None = None  # "tweet", "location", "page", "time"; None: no position

    @property
    def order_kind(self) -> str | None:
        """What the position counts (units are ordered only among one kind); None: none."""
        return self.position

    @property
    def order_key(self) -> int | None:
        return self.status_id if self.status_id is not None else self.number


def location(item: Item, kind: Kind) -> Location | None:
    """The unit's Readwise location link: on one of its own lines (a continuation line too),
    else in a child block that holds nothing else ("- ([View Highlight](…))" under the text),
    else, for a wrapper block with no text of its own ("- -" over the text and the link), in
    its children's own lines, else on a child's own lines (a tweet's own list lines)."""
    found = _location(tuple(item.lines), kind)
    if found is not None or not item.children:
        return found
    wrapper = _is_wrapper(tuple(item.lines), kind)
    for child in item.children:
        lines = tuple(child.lines)
        if wrapper or _link_only(lines, kind):
            found = _location(lines, kind)
            if found is not None:
                return found
    # A tweet whose text holds its own list lines: Markdown makes them child items, and the
    # link lands on the last of them.
    for child in item.children:
        found = _location(tuple(child.lines), kind)
        if found is not None:
            return found
    return None


@lru_cache(maxsize=_MEMO)
def _location(lines: tuple[str, ...], kind: Kind) -> Location | None:
    quote = ITEM_SYNTAX[kind].quotes and bool(lines) and lines[0].startswith(">")
    for text in (body(x) for x in lines) if quote else _own_text(lines, kind):
        if quote:  # a blockquote unit's link stands alone: "> [View Highlight](…)"
            m = BARE_LINK.search(text) if "](" in text else None
        else:
            m = LOCATION_LINK.search(text) if "([" in text else None
        # A link of the user's own ("([Page 12](their notes))") is not a position.
        if m and readwise_url(m.group("url")):
            link = read_link(m)
            return Location(
                label=link.label,
                url=link.url,
                status_id=link.number if link.position == "tweet" else None,
                number=link.number,
                position=link.position,
            )
    return None


_WRAPPER_TEXT = ("", "-", "*", "+")


@lru_cache(maxsize=_MEMO)
def _is_wrapper(lines: tuple[str, ...], kind: Kind) -> bool:
    """A block with no text of its own ("- -", "- "): a template's wrapper around a unit."""
    return all(t in _WRAPPER_TEXT for t in _own_text(lines, kind))


@lru_cache(maxsize=_MEMO)
def _link_only(lines: tuple[str, ...], kind: Kind) -> bool:
    """The block holds a location link and nothing else (its text's own child block)."""
    text = " ".join(_own_text(lines, kind))
    if "([" not in text:
        return False
    return not LOCATION_LINK.sub("", text).strip()


def from_readwise(item: Item, kind: Kind) -> bool:
    """The unit carries a link only Readwise writes: "Open in Readwise", or a location link to
    Readwise or where Readwise's links point (a note of the user's own may cite
    "([Page 12](their url))"), on its own lines or in its link's child block."""
    for text in own_text_lines(item, kind):
        if OPEN_IN_READWISE.search(text):
            return True
        if any(readwise_url(m.group("url")) for m in LOCATION_LINK.finditer(text)):
            return True
    loc = location(item, kind)
    return loc is not None and readwise_url(loc.url)


# A unit's first line that is the template's, not a highlight: a Dataview inline field
# ("Synced:: [[2024-11-20]]", "Category:: 🐦"), a line of tags only, a document heading
# (Reader's chapters: "### 3.6 …" in a Logseq block).
_TEMPLATE_LINE = re.compile(r"^(?:[A-Za-z][\w -]*::(?:[ \t]|$)|(?:#[^\s#]+[ \t]*)+$|#{1,6}[ \t])")


_HEADING_TEXT = re.compile(r"#{1,6}[ \t]")


def is_highlight(item: Item, kind: Kind) -> bool:
    """A unit: a top-level item of a highlights section (with its subtree) that holds text of
    its own and is not a template line. A location link is not needed (many highlights have
    none); a wrapper block with no text of its own is a unit for fold and order (`location`
    looks into it) but not here, where its empty text would make every wrapper one highlight."""
    return not item.user_block and _is_highlight(tuple(item.lines), kind)


def linked(item: Item, kind: Kind) -> bool:
    """The unit carries a Readwise link: a location link (anywhere `location` looks) or an
    "Open in Readwise" link."""
    if location(item, kind) is not None:
        return True
    return any(
        "[Open in Readwise](" in text and OPEN_IN_READWISE.search(text)
        for text in _own_text(tuple(item.lines), kind)
    )


def mark_user_blocks(sections: list[Section], kind: Kind) -> None:
    """On a page whose highlights carry location links, a top-level item without one is the
    user's own block (it travels with the highlight before it and is never merged or
    repaired); on a page where none has a link, every unit is a highlight."""
    flags = [(item, linked(item, kind)) for s in sections for item in s.items]
    if not any(has for _, has in flags):
        return
    for item, has in flags:
        item.user_block = not has


@lru_cache(maxsize=_MEMO)
def _is_highlight(lines: tuple[str, ...], kind: Kind) -> bool:
    own = _own_text(lines, kind)
    if not own or own[0] in _WRAPPER_TEXT and all(t in _WRAPPER_TEXT for t in own):
        return False
    return _TEMPLATE_LINE.match(own[0]) is None


def is_chapter(item: Item, kind: Kind) -> bool:
    """A document heading written as a block ("- ### 3.6 Radio-frequency identification")."""
    own = _own_text(tuple(item.lines), kind)
    return bool(own) and _HEADING_TEXT.match(own[0]) is not None


def comparable(text: str) -> str:
    """Text as the identity and no-loss checks compare it: mojibake repaired, Readwise's location
    and "Open in Readwise" links and block ids removed, white space collapsed. A link or emphasis
    the user added stays: `Alpha [[beta]]` is another text than `Alpha beta`."""
    text = repaired(text)
    # Each pattern needs a literal it holds: skipping a substitution when that literal is absent
    # changes nothing, and saves most of the work (this runs for every highlight, many times).
    if "([" in text:
        text = LOCATION_LINK.sub(" ", text)
    if "[Open in Readwise](" in text:
        text = OPEN_IN_READWISE.sub(" ", text)
    if "^" in text:
        text = OBSIDIAN_ID.sub(" ", text)
    return _collapsed(text)


def _collapsed(text: str) -> str:
    if "  " not in text and text.isprintable():  # the only white space is single spaces
        return text.strip()
    # str.split() breaks at the white space `\s` matches (str.isspace) and drops it at both
    # ends: re.sub(r"\s+", " ", text).strip() for half the cost (tests/test_core_fastpaths.py).
    return " ".join(text.split())


# Texts Readwise writes in place of content it cannot export (an image highlight): two of them
# are two highlights, whatever else they share. Compared after emphasis and brackets are off.
_PLACEHOLDER = re.compile(
    r"(?:highlighted |highlight of an? )?(?:image|picture|photo|figure|drawing|video|gif)s?",
    re.IGNORECASE,
)


# The longest text _PLACEHOLDER matches: "highlight of an " and "pictures" (each character of
# the pattern matches one character; casefold never shortens a text).
_PLACEHOLDER_MAX = len("highlight of an pictures")


def is_placeholder(text: str) -> bool:
    """`Highlighted Image` and the like (a comparable() text): a stand-in, not the highlight."""
    text = text.strip(" *_[]().:!-")
    if len(text) > _PLACEHOLDER_MAX:  # (most highlights: no casefold, no regex)
        return False
    return bool(_PLACEHOLDER.fullmatch(text.casefold()))


def highlight_key(item: Item, kind: Kind) -> tuple[str, ...]:
    """Two copies of one highlight share this key. Identity: the tweet's status id and text; else
    the position (location, page, time) and text; else the text — Readwise's own links, block
    ids, white space and mojibake folded away, the user's links and emphasis kept. A placeholder
    (`Highlighted Image`) is keyed with its link as well, and dedupe never merges it."""
    text = _unit_text(item, kind)
    loc = location(item, kind)
    if loc is not None and loc.status_id is not None:
        return ("tweet", str(loc.status_id), text)
    position = loc.order_kind if loc is not None else None
    if is_placeholder(text):
        where = (position or "", str(loc.order_key) if position else "", loc.url if loc else "")
        return ("placeholder", *where, text)
    if position is not None and loc is not None:
        return ("at", position, str(loc.order_key), text)
    return ("text", text)


def _unit_text(item: Item, kind: Kind) -> str:
    """The item's own text; for a wrapper with no text of its own (`- -` with the text and link
    in child blocks) the text of its whole subtree."""
    text = _text_of(tuple(item.lines), kind)
    if text.strip("- ") or not item.children:
        return text
    texts = (_text_of(tuple(node.lines), kind) for node in item.walk())
    return " ".join(t for t in texts if t.strip("- "))


@lru_cache(maxsize=_MEMO)
def _text_of(lines: tuple[str, ...], kind: Kind) -> str:
    return comparable(" ".join(_own_text(lines, kind)))


# Hosts whose links in a note or child block are Readwise's record of a copy (a Reader or
# Instapaper id): two copies of one passage differ there only. Any other link is the user's.
_EXPORT_URL = re.compile(
    r"^https?://(?:[\w-]+\.)*(?:readwise\.io|instapaper\.com|twitter\.com|x\.com)/", re.I
)


def _link_token(m: re.Match[str]) -> str:
    """A location link inside a subtree, as subtree_key compares it: a position (Location 5, a
    tweet's id) stays, a Readwise id without position goes, a link to elsewhere stays whole."""
    if not _EXPORT_URL.match(m.group("url")):
        return m.group(0)
    if m.group("label") == "View Tweet":
        status = STATUS_ID.search(m.group("url"))
        return f" (tweet {status.group(1)}) " if status else " "
    label = _collapsed(m.group("label"))
    return f" ({label}) " if any(c.isdigit() for c in label) else " "


@lru_cache(maxsize=_MEMO)
def _node_key(lines: tuple[str, ...], kind: Kind) -> tuple[str, ...]:
    """One block's lines as subtree_key compares them: its text (continuation lines joined),
    then each property line as written (id lines aside), white space and mojibake folded."""
    syn = ITEM_SYNTAX[kind]
    properties, caret_ids = syn.properties, syn.caret_ids
    text: list[str] = []
    props: list[str] = []
    for i, line in enumerate(lines):
        raw = body(line)
        if i == 0:
            m = BULLET.match(raw)
            raw = raw[m.end() :] if m else raw
        elif properties and LOGSEQ_PROPERTY.match(raw):
            if not LOGSEQ_ID.match(raw):
                props.append(_collapsed(repaired(raw)))
            continue
        text.append(OBSIDIAN_ID.sub(" ", raw) if caret_ids and "^" in raw else raw)
    joined = repaired(" ".join(text))
    if "([" in joined:
        joined = LOCATION_LINK.sub(_link_token, joined)
    if "[Open in Readwise](" in joined:
        joined = OPEN_IN_READWISE.sub(" ", joined)
    return (_collapsed(joined), *props)


def subtree_key(item: Item, kind: Kind) -> tuple[tuple[object, ...], ...]:
    """A child subtree (a note, tags, a user's block) as copies are compared before merging, and
    as the no-loss check finds it again: every line of every block, properties and the user's
    links kept, nesting kept; only white space, mojibake, block ids and Readwise's own record
    of a copy (a Reader id) folded away. Two notes that differ by a `tags::` line differ."""
    out: list[tuple[object, ...]] = []
    stack: list[tuple[Item, int]] = [(item, 0)]
    while stack:
        node, depth = stack.pop()
        out.append((depth, *_node_key(tuple(node.lines), kind)))
        stack.extend((child, depth + 1) for child in reversed(node.children))
    return tuple(out)
