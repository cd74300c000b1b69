"""What an item says: its text, its Readwise location link, its block ids, its identity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vaultsync.core.model import Item, Kind
from vaultsync.core.text import body

# "([View Tweet](https://twitter.com/h/status/123))", "([Location 88](…))", "([Page 12](…))",
# "([View Highlight](…))". The URL may hold balanced parentheses.
_URL = r"(?:[^()\s]|\([^()\s]*\))+"
LOCATION_LINK = re.compile(
    r"\(\[(?P<label>View Tweet|View Highlight|View Post|Location (?P<loc>\d+)|Page (?P<page>\d+))\]"
    r"\((?P<url>" + _URL + r")\)\)"
)
OPEN_IN_READWISE = re.compile(r"\[Open in Readwise\]\(" + _URL + r"\)")
STATUS_ID = re.compile(r"/status(?:es)?/(\d+)")
BULLET = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
LOGSEQ_PROPERTY = re.compile(r"^[ \t]*([A-Za-z0-9_.\-]+):: ?(.*)$")
# Trailing white space may include a stray "\r" (a CRLF file edited by a tool that added one).
LOGSEQ_ID = re.compile(r"^[ \t]*id:: *(\S+?)\s*$", re.IGNORECASE)
OBSIDIAN_ID = re.compile(r"(?:^|[ \t])\^([A-Za-z0-9-]+)\s*$")
WIKILINK = re.compile(r"\[\[([^\]|]*)(?:\|([^\]]*))?\]\]")
_SPACE = re.compile(r"\s+")


def repaired(text: str) -> str:
    """ftfy's encoding repair only (never quotes, widths or ligatures); plain ASCII skips ftfy."""
    if text.isascii():
        return text  # (a flag of the string: cheaper than a memo lookup, and nothing kept)
    return _repaired(text)


# Only non-ASCII text is memoized, where ftfy is slow: the memo held every highlight's text of
# a cold pass (up to 65,536, ~10 MB the daemon kept); a page asks of its own texts many times.
@lru_cache(maxsize=8192)
def _repaired(text: str) -> str:
    from ftfy import fix_encoding

    return fix_encoding(text)


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
    out = []
    for i, line in enumerate(lines):
        text = body(line)
        if i == 0:
            m = BULLET.match(text)  # anchored: the same as sub(count=1), without a template
            if m:
                text = text[m.end() :]
        else:
            if kind == "logseq" and LOGSEQ_PROPERTY.match(text):
                continue
            text = text.strip()
        if kind == "obsidian":
            text = OBSIDIAN_ID.sub("", text)
        out.append(text)
    return tuple(out)


def item_ids(item: Item, kind: Kind) -> list[str]:
    """Block ids the item itself carries: Logseq `id::` lines, Obsidian `^id` markers."""
    ids = []
    for line in item.lines:
        text = body(line)
        if kind == "logseq":
            m = LOGSEQ_ID.match(text)
        else:
            m = OBSIDIAN_ID.search(text)
        if m:
            ids.append(m.group(1))
    return ids


@dataclass(frozen=True)
class Location:
    """Where a highlight comes from, as its Readwise link says."""

    label: str
    url: str
    status_id: int | None  # a tweet's snowflake id: ascending = the order written
    number: int | None  # Location N / Page N

    @property
    def order_kind(self) -> str | None:
        if self.status_id is not None:
            return "tweet"
        if self.number is None:  # no usable position (see _number): not ordered
            return None
        if self.label.startswith("Location"):
            return "location"
        if self.label.startswith("Page"):
            return "page"
        return None

    @property
    def order_key(self) -> int | None:
        return self.status_id if self.status_id is not None else self.number


def location(item: Item, kind: Kind) -> Location | None:
    """The item's Readwise location link, if it is a highlight."""
    return _location(tuple(item.lines), kind)


@lru_cache(maxsize=_MEMO)
def _location(lines: tuple[str, ...], kind: Kind) -> Location | None:
    for text in _own_text(lines, kind):
        m = LOCATION_LINK.search(text) if "([" in text else None
        if m:
            status = STATUS_ID.search(m.group("url")) if m.group("label") == "View Tweet" else None
            number = m.group("loc") or m.group("page")
            return Location(
                label=m.group("label"),
                url=m.group("url"),
                status_id=_number(status.group(1)) if status else None,
                number=_number(number) if number else None,
            )
    return None


def _number(digits: str) -> int | None:
    # Real ids and positions have at most 20 digits; Python refuses to convert > 4300 digits.
    return int(digits) if len(digits) <= 40 else None


# Where a Readwise location link points: Readwise itself, or the tweet (twitter.com, x.com).
READWISE_URL = re.compile(r"^https?://(?:[\w-]+\.)*(?:readwise\.io|twitter\.com|x\.com)/", re.I)


def from_readwise(item: Item, kind: Kind) -> bool:
    """The item carries a link only Readwise writes: "Open in Readwise", or a location link to
    Readwise or to the tweet (a note of the user's own may cite "([Page 12](their url))")."""
    for text in own_text_lines(item, kind):
        if OPEN_IN_READWISE.search(text):
            return True
        if any(READWISE_URL.match(m.group("url")) for m in LOCATION_LINK.finditer(text)):
            return True
    return False


def is_highlight(item: Item, kind: Kind) -> bool:
    """A highlight carries a Readwise location link or an "Open in Readwise" link."""
    return _is_highlight(tuple(item.lines), kind)


@lru_cache(maxsize=_MEMO)
def _is_highlight(lines: tuple[str, ...], kind: Kind) -> bool:
    for text in _own_text(lines, kind):
        # Both links hold "](" (a cheap test before the regexes).
        if "](" in text and (LOCATION_LINK.search(text) or OPEN_IN_READWISE.search(text)):
            return True
    return False


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
    return _SPACE.sub(" ", text).strip()


# Texts Readwise writes in place of content it cannot export (an image highlight): two of them
# are two highlights, whatever else they share. Compared after emphasis and brackets are off.
_PLACEHOLDER = re.compile(
    r"(?:highlighted |highlight of an? )?(?:image|picture|photo|figure|drawing|video|gif)s?",
    re.IGNORECASE,
)


def is_placeholder(text: str) -> bool:
    """`Highlighted Image` and the like (a comparable() text): a stand-in, not the highlight."""
    return bool(_PLACEHOLDER.fullmatch(text.strip(" *_[]().:!-").casefold()))


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
    text: list[str] = []
    props: list[str] = []
    for i, line in enumerate(lines):
        raw = body(line)
        if i == 0:
            m = BULLET.match(raw)
            raw = raw[m.end() :] if m else raw
        elif kind == "logseq" and LOGSEQ_PROPERTY.match(raw):
            if not LOGSEQ_ID.match(raw):
                props.append(_collapsed(repaired(raw)))
            continue
        text.append(OBSIDIAN_ID.sub(" ", raw) if kind == "obsidian" and "^" in raw else raw)
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
