"""Mojibake repair: ftfy's encoding fix (and nothing else of ftfy), skipped on text that holds no
character mojibake can be made of, or no sequence of them mojibake is made of. The rule and the
clean verdict both ask `repaired`, so one place decides when ftfy is asked."""

from __future__ import annotations

import re
from functools import lru_cache

# A character mojibake could be made of: anything but ASCII and the characters below, none of
# which makes ftfy see mojibake on its own. ftfy's detector (`ftfy.badness.is_bad`) matches only
# sequences holding at least one character of its own mojibake classes (Latin-1 and Latin
# Extended letters and signs, Greek, Cyrillic, C1 controls, math, box drawing, currency); the
# typographic quotes and dashes, the ellipsis and the bullet below take part only next to one of
# those, and arrows, dingbats and emoji (beyond the Basic Multilingual Plane, which no
# single-byte decoding produces) not at all. A text without such a character is not "bad",
# and `fix_encoding` returns it unchanged: tests/test_core_fastpaths.py proves it (every
# character of the detector's pattern checked against this class, and hypothesis).
MOJIBAKE_ABLE = re.compile(
    "[^\x00-\x7f\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026"
    "\u2190-\u21ff\u2600-\u27bf\U00010000-\U0010ffff]"
)


def repaired(text: str) -> str:
    """ftfy's encoding repair only (never quotes, widths or ligatures); plain ASCII, text with
    no character mojibake can be made of (quotes, dashes, emoji), and text holding no sequence
    mojibake is made of ("café", "It’s") skip ftfy."""
    if text.isascii():
        return text  # (a flag of the string: cheaper than a memo lookup, and nothing kept)
    if MOJIBAKE_ABLE.search(text) is None:
        return text  # (what fix_encoding returns for it; no import, no memo)
    if not may_be_mojibake(text):
        return text  # (every try of the repair fails to decode it: see may_be_mojibake)
    return _repaired(text)


# Only non-ASCII text is memoized, where ftfy is slow: the memo held every highlight's text of
# a cold pass (up to 65,536, ~10 MB the daemon kept); a page asks of its own texts many times.
@lru_cache(maxsize=8192)
def _repaired(text: str) -> str:
    from ftfy import fix_encoding

    return fix_encoding(text)


# The code pages ftfy's encoding repair tries (a UTF-8 text read as one of these is mojibake),
# the replacement character its "sloppy" codecs stand for, and the C1 controls it re-decodes.
# A character none of them can produce cannot be part of mojibake that repair would undo.
_CODE_PAGES = (
    "latin-1",
    "cp1252",
    "cp1251",
    "cp1250",
    "cp1253",
    "cp1254",
    "cp1257",
    "iso-8859-2",
    "mac_roman",
    "cp437",
)


def _mojibake_chars() -> frozenset[str]:
    high = bytes(range(0x80, 0x100))
    chars = {chr(c) for c in range(0x80, 0x100)} | {"\ufffd"}
    for page in _CODE_PAGES:
        chars |= set(high.decode(page, errors="ignore"))
    return frozenset(chars)


MOJIBAKE = _mojibake_chars()

# Never alone in ordinary text: C1 controls and the replacement character (ftfy re-decodes them
# on their own, wherever they stand).
_ALWAYS = frozenset(chr(c) for c in range(0x80, 0xA0)) | {"\ufffd"}
# What may follow a byte of a UTF-8 sequence in mojibake: a continuation byte's character (not
# ASCII), or one of these, which ftfy reads as a byte altered on the way (0xA0 turned into a
# space, a lost byte written as "?" or 0x1A) or a continuation byte shown as "-".
_SEAM = frozenset(" -?\x1a")


@lru_cache(maxsize=4096)
def may_be_mojibake(text: str) -> bool:
    """Whether ftfy's encoding repair might change `text`; False only when it surely cannot.

    Mojibake is UTF-8 read in a single-byte code page: each byte of a multi-byte character
    becomes one character of `MOJIBAKE`, so a repair needs such a character followed by another
    non-ASCII one, or by one of `_SEAM`. A text whose `MOJIBAKE` characters each stand before
    an ordinary ASCII character (or at the end: "café", "It’s", "naïve") holds no sequence a
    UTF-8 decoding could take: every try of the repair fails to decode and leaves it as it is.
    Curly quotes and dashes before a space, accented words in a row, are asked of ftfy."""
    last = len(text) - 1
    for i, c in enumerate(text):
        if c.isascii() or c not in MOJIBAKE:
            continue
        if c in _ALWAYS:
            return True
        if i < last:
            after = text[i + 1]
            if not after.isascii() or after in _SEAM:
                return True
    return False
