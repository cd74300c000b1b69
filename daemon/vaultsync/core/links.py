"""Every link form Readwise writes, in one table: the parser's patterns and the byte prefilter
that skips other pages unread are both made from it, so they cannot disagree.

A highlight's *location link* is `([<label>](<url>))` after its text (or on a line or child
block of its own). The label says what the number means: a tweet's status id (in the URL), a
Kindle location or page, a podcast time. The URL says where it points: Readwise itself, the
tweet, the read-later app. A *signal* is what only Readwise writes on a page (a link into
Readwise, its sync headings, its cover image): a page that copies Readwise's shape without one
is another tool's (Hypothesis notes, a script's digest) and is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# White space between a label's word and its number: any but a line break (Kindle exports
# write U+00A0; Python's str \s holds it).
_WS = r"[^\S\r\n]+"


@dataclass(frozen=True)
class LinkForm:
    """One label Readwise writes in a location link."""

    label: str  # the label's pattern (a group named after `position` holds its number)
    position: str | None  # what orders units: "tweet", "location", "page", "time"; None: none
    example: str


FORMS: tuple[LinkForm, ...] = (
    LinkForm(
        r"View Tweet",
        "tweet",
        "([View Tweet](https://x.com/h/status/1630000000000000100?rw_tt_thread=True))",
    ),
    LinkForm(r"View Highlight", None, "([View Highlight](https://read.readwise.io/read/01h))"),
    LinkForm(r"View Post", None, "([View Post](https://medium.com/p/abc))"),
    LinkForm(
        r"Location" + _WS + r"(?P<location>\d+)",
        "location",
        "([Location\u00a056](https://readwise.io/to_kindle?action=open&asin=B0&location=56))",
    ),
    LinkForm(r"Page" + _WS + r"(?P<page>\d+)", "page", "([Page 12](https://readwise.io/open/9))"),
    LinkForm(
        r"Time" + _WS + r"(?P<time>\d{1,3}(?::[0-5]\d){1,2})",
        "time",
        "([Time 0:22:04](https://share.snipd.com/snip/abc))",
    ),
)

# Where a location link may point (a note of the user's own may cite "([Page 12](their url))":
# only these make it Readwise's): Readwise (Reader, to_kindle, open), the tweet, the read-later
# and publishing sites Readwise imports from, the podcast apps.
HOSTS: tuple[str, ...] = (
    "readwise.io",
    "twitter.com",
    "x.com",
    "instapaper.com",
    "medium.com",
    "snipd.com",
    "airr.io",
    "podcasts.apple.com",
    "overcast.fm",
    "pca.st",
)

# The URL may hold balanced parentheses. Possessive: a URL can end only where its run of plain
# characters and "(…)" groups ends (a shorter one is followed by a URL character or "(", never
# by the ")" every pattern wants next), so giving characters back never finds another match and
# the engine is told not to try; a run of plain characters is then one step of the loop, not
# one per character. The same matches (tests/test_core_fastpaths.py compares them with the
# backtracking form), four times faster, and linear on an unclosed link.
URL = r"(?:[^()\s]++|\([^()\s]*+\))++"
LABELS = "|".join(form.label for form in FORMS)
LOCATION_LINK = re.compile(r"\(\[(?P<label>" + LABELS + r")\]\((?P<url>" + URL + r")\)\)")
# The same link without the outer parentheses, as blockquote templates write it on a line of
# its own: "> [View Highlight](…)".
BARE_LINK = re.compile(r"\[(?P<label>" + LABELS + r")\]\((?P<url>" + URL + r")\)")
OPEN_IN_READWISE = re.compile(r"\[Open in Readwise\]\(" + URL + r"\)")
STATUS_ID = re.compile(r"/status(?:es)?/(\d+)")
LINK_HOST = re.compile(
    r"^https?://(?:[\w-]+\.)*(?:" + "|".join(re.escape(h) for h in HOSTS) + r")(?:[/?#:]|$)",
    re.IGNORECASE,
)
READWISE_HOST = re.compile(r"^https?://(?:[\w-]+\.)*readwise\.io(?:[/?#:]|$)", re.IGNORECASE)

# Page signals, as the parser checks them (stricter than the prefilter: a heading must be a
# section heading, a link a link).
# A section heading as a sync writes it (after its "## " or "- "): "Highlights first synced by
# [[Readwise]] …", "New highlights added [[Mar 12th, 2023]] …" / "… November 20, 2024 …" /
# "… 2023-07-02", "New highlights synced"; not a user's "New highlights added later".
SYNC_HEADING = re.compile(
    r"^(?:[#]{1,6}|[-*+])[ \t]+(?:[Hh]ighlights first synced by|[Nn]ew [Hh]ighlights synced"
    r"|[Nn]ew [Hh]ighlights added[ \t]+(?:\[\[|\d|[A-Z][a-z]{2,8}\.?[ \t]+\d))"
)
COVER = "rw-book-cover"

# Byte signals of a whole page, for the pages the parser never sees (they hold bad bytes) and
# for telling a folder's app by its Readwise pages (vault.detect_kind).
# Readwise's marks that a page with bad bytes still shows (the link prefilter can miss them:
# a bad byte inside a link's label, cp1252's single-byte no-break space, a page with no link).
READWISE_MARK = re.compile(
    rb"Highlights first synced by \[\[Readwise\]\]"
    rb"|^(?:[-*] |\#{2,4} )New highlights added"
    rb"|\(\[[^\]\n]{1,40}\]\(https?://(?:[\w-]+\.)*"
    rb"(?:readwise\.io|twitter\.com|x\.com|instapaper\.com)/",
    re.M,
)
# Logseq's shape: the plugin's sync blocks, as top-level blocks of a page in the pages folder.
LOGSEQ_SHAPE = re.compile(
    rb"^- (?:Highlights first synced by \[\[Readwise\]\]|New highlights added \[\[)", re.M
)
# Obsidian's shape: a `## Highlights`-like heading (level 2-4) in a note that names Readwise.
OBSIDIAN_SHAPE = re.compile(rb"^#{2,4} (?:Highlights|New highlights (?:added|synced))", re.M)
READWISE_LINK = re.compile(r"\]\((?P<url>https?://(?:[\w-]+\.)*readwise\.io[/?#][^)\s]*)")

# The byte prefilter: a literal each signal holds (a location link's "([" and label word, a
# link into Readwise, the cover, the tail of a sync heading's words). ASCII literals only, so
# the str and bytes compilations match the same text; no character class leads an
# alternative, so the regex engine skips ahead by first character (as fast as the old
# prefilter). tests/test_links.py proves it never rejects a page the parser recognises.
PREFILTER_PATTERN = (
    r"\(\[(?:View |Location|Page|Time)|readwise\.io|"
    + COVER
    + r"|ighlights (?:first synced by|added|synced)"
)
PREFILTER = re.compile(PREFILTER_PATTERN.encode())
PREFILTER_TEXT = re.compile(PREFILTER_PATTERN)


@dataclass(frozen=True)
class Link:
    """A location link as read: its label, URL, and the position it gives (if any)."""

    label: str
    url: str
    position: str | None  # see LinkForm.position; None when the link gives no usable number
    number: int | None


def read_link(m: re.Match[str]) -> Link:
    """The Link a LOCATION_LINK or BARE_LINK match describes."""
    label, url = m.group("label"), m.group("url")
    if label == "View Tweet":
        status = STATUS_ID.search(url)
        number = _number(status.group(1)) if status else None
        return Link(label, url, "tweet" if number is not None else None, number)
    for kind in ("location", "page"):
        digits = m.group(kind)
        if digits:
            number = _number(digits)
            return Link(label, url, kind if number is not None else None, number)
    clock = m.group("time")
    if clock:
        seconds = 0
        for part in clock.split(":"):
            seconds = seconds * 60 + int(part)
        return Link(label, url, "time", seconds)
    return Link(label, url, None, None)


def _number(digits: str) -> int | None:
    # Real ids and positions have at most 20 digits; Python refuses to convert > 4300 digits.
    return int(digits) if len(digits) <= 40 else None


def readwise_url(url: str) -> bool:
    """The URL points where Readwise's location links point."""
    return LINK_HOST.match(url) is not None


def has_readwise_link(text: str) -> bool:
    """The text holds a link into Readwise ("Open in Readwise", Reader, to_kindle, open)."""
    if "readwise.io" not in text:
        return False
    return OPEN_IN_READWISE.search(text) is not None or READWISE_LINK.search(text) is not None
