"""Mojibake repair: ftfy's encoding fix (and nothing else of ftfy), skipped on text that holds no
character mojibake can be made of."""

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
    """ftfy's encoding repair only (never quotes, widths or ligatures); plain ASCII, and text
    with no character mojibake can be made of (quotes, dashes, emoji), skips ftfy."""
    if text.isascii():
        return text  # (a flag of the string: cheaper than a memo lookup, and nothing kept)
    if MOJIBAKE_ABLE.search(text) is None:
        return text  # (what fix_encoding returns for it; no import, no memo)
    return _repaired(text)


# Only non-ASCII text is memoized, where ftfy is slow: the memo held every highlight's text of
# a cold pass (up to 65,536, ~10 MB the daemon kept); a page asks of its own texts many times.
@lru_cache(maxsize=8192)
def _repaired(text: str) -> str:
    from ftfy import fix_encoding

    return fix_encoding(text)
