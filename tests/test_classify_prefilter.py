"""Phase 1's byte searches without the regex engine (issue 16): the literal shortcut in front of
the candidate prefilter and the managed-page markers answer exactly as the regexes do."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from vaultsync.core import links
from vaultsync.pipeline.classify import (
    CANDIDATE,
    MANAGED,
    _leading_literals,
    is_managed,
    may_be_candidate,
)

# Pieces of every signal the prefilter and the markers look for, and near misses.
PIECES = [
    "([View Tweet](",
    "([Location 12](",
    "([Page 3](",
    "([Time 0:01:02](",
    "([Vie",
    "([",
    "readwise.io",
    "readwise.i",
    "rw-book-cover",
    "Highlights first synced by",
    "ighlights added",
    "ighlights synced",
    "ighlights ",
    "vaultsync:: author-index",
    "<!-- vaultsync:author-index:begin (kept up to date by vaultsync) -->",
    "- a note\n",
    "é",
    " ",
    "\n",
]
pages = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=12).map(
    lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
)


@given(pages)
def test_the_shortcuts_answer_as_the_regexes_do(data: bytes) -> None:
    assert may_be_candidate(data) == (CANDIDATE.search(data) is not None)
    assert is_managed(data) == (MANAGED.search(data) is not None)


def test_the_prefilter_has_a_literal_for_every_alternative() -> None:
    """(The shortcut is in use: each top-level alternative begins with a literal.)"""
    assert _leading_literals(links.PREFILTER_PATTERN) == (
        b"([",
        b"readwise.io",
        b"rw-book-cover",
        b"ighlights ",
    )


PATTERNS = [
    (r"ab|cd", (b"ab", b"cd")),
    (r"a?b|cd", None),  # an optional first character: no literal the match must hold
    (r"ab*|c", (b"a", b"c")),
    (r"(?:x)|y", None),
    (r"[|(]x|yz", None),
    (r"x[|(]|yz", (b"x", b"yz")),
    (r"x[]|]|y", (b"x", b"y")),
    (r"\(\[a|b\.c", (b"([a", b"b.c")),
    (r"\dx|y", None),
    (r"(a|b", None),
]


def test_leading_literals_never_claim_more_than_the_pattern_needs() -> None:
    for pattern, expected in PATTERNS:
        assert _leading_literals(pattern) == expected, pattern


@given(st.sampled_from([p for p, _ in PATTERNS]), st.text(alphabet="abcdxyz|([]\\.0 ", max_size=12))
def test_a_text_matching_a_pattern_holds_one_of_its_literals(pattern: str, text: str) -> None:
    literals = _leading_literals(pattern)
    if literals is not None and re.search(pattern, text):
        assert any(lit.decode() in text for lit in literals)
