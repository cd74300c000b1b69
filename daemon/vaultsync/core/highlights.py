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
    """Text as the identity and no-loss checks compare it: mojibake repaired, links reduced to
    their shown text, Readwise links and block ids removed, white space collapsed."""
    text = repaired(text)
    # Each pattern needs a literal it holds: skipping a substitution when that literal is absent
    # changes nothing, and saves most of the work (this runs for every highlight, many times).
    if "([" in text:
        text = LOCATION_LINK.sub(" ", text)
    if "[Open in Readwise](" in text:
        text = OPEN_IN_READWISE.sub(" ", text)
    if "^" in text:
        text = OBSIDIAN_ID.sub(" ", text)
    if "[[" in text:
        text = WIKILINK.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(1), text)
    if "  " not in text and text.isprintable():  # the only white space is single spaces
        return text.strip()
    return _SPACE.sub(" ", text).strip()


def highlight_key(item: Item, kind: Kind) -> tuple[str, ...]:
    """Two copies of one highlight share this key: the same tweet with the same text, or the same
    text whatever its location link, white space and mojibake."""
    return _highlight_key(tuple(item.lines), kind)


@lru_cache(maxsize=_MEMO)
def _highlight_key(lines: tuple[str, ...], kind: Kind) -> tuple[str, ...]:
    text = comparable(" ".join(_own_text(lines, kind)))
    loc = _location(lines, kind)
    if loc is not None and loc.status_id is not None:
        return ("tweet", str(loc.status_id), text)
    return ("text", text)


def subtree_key(item: Item, kind: Kind) -> tuple[str, ...]:
    """Identity of a child subtree (a note, tags, a user's block) for merging copies' children."""
    parts = [comparable(" ".join(own_text_lines(node, kind))) for node in item.walk()]
    return tuple(parts)
