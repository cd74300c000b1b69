"""The core's shortcuts give what the long way gives: ftfy skipped on text it returns unchanged,
white space collapsed without a regex, placeholders told by length first."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hypo_profiles import scaled
from vaultsync.core import highlights
from vaultsync.core.highlights import MOJIBAKE_ABLE, is_placeholder, repaired

ftfy = pytest.importorskip("ftfy")
from ftfy.badness import BADNESS_RE  # noqa: E402  (ftfy's public detector)

# The characters outside ASCII the fast path lets through that ftfy's detector names: each takes
# part in a mojibake sequence only next to a character MOJIBAKE_ABLE matches.
PUNCTUATION = "\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026"  # – — ‘ ’ “ ” • …
# Arrows, dingbats and emoji: ftfy's detector names none of them.
SYMBOLS = "\u2190\u2192\u21d2\u21ff\u2600\u2705\u2728\u27bf\U0001f9f5\U0001f447\U0001f605\U0010ffff"
# What the detector's classes tell apart among ASCII characters.
ASCII = "aZ1 .,?!_\n\t-#(>"


def _detector_characters() -> set[str]:
    """Every character outside ASCII the detector's pattern names, ranges expanded."""
    pattern = BADNESS_RE.pattern
    out = {c for c in pattern if not c.isascii()}
    for i in range(1, len(pattern) - 1):
        low, dash, high = pattern[i - 1], pattern[i], pattern[i + 1]
        if dash == "-" and not (low.isascii() and high.isascii()) and low < high:
            out.update(chr(c) for c in range(ord(low), ord(high) + 1))
    return out


def test_every_character_the_detector_names_is_mojibake_able_but_the_punctuation() -> None:
    named = _detector_characters()
    assert len(named) > 300  # (the pattern was read: ftfy names about 400)
    let_through = {c for c in named if MOJIBAKE_ABLE.search(c) is None}
    assert let_through == set(PUNCTUATION)
    assert not any(MOJIBAKE_ABLE.search(c) for c in ASCII + PUNCTUATION + SYMBOLS)


def test_every_short_text_of_the_let_through_characters_is_returned_as_is() -> None:
    """Each detector sequence is at most a few characters long: every text of up to three
    characters (ASCII of each class, the punctuation, symbols, emoji) is not mojibake."""
    alphabet = ASCII + PUNCTUATION + SYMBOLS
    for n in (1, 2, 3):
        for chars in itertools.product(alphabet, repeat=n):
            text = "".join(chars)
            assert ftfy.fix_encoding(text) == text, repr(text)
            assert repaired(text) == text


_LET_THROUGH = st.text(
    alphabet=st.sampled_from(PUNCTUATION)
    | st.characters(max_codepoint=0x7F)
    | st.characters(min_codepoint=0x2190, max_codepoint=0x21FF)
    | st.characters(min_codepoint=0x2600, max_codepoint=0x27BF)
    | st.characters(min_codepoint=0x10000),
    max_size=80,
)


@scaled(300)
@given(_LET_THROUGH)
def test_ftfy_returns_text_without_a_mojibake_able_character_unchanged(text: str) -> None:
    assert MOJIBAKE_ABLE.search(text) is None
    assert ftfy.fix_encoding(text) == text
    assert repaired(text) == text


_MOJIBAKE = st.sampled_from(
    ["Ã©", "â€™", "â€œ", "Ã¼", "ðŸ‘‡", "Â ", "Ã\xa0", "Ã ", "вЂ", "Ø§Ù", "Ã¢â‚¬â„¢", "Ã‰"]
)
_ANY_TEXT = st.lists(
    _MOJIBAKE | _LET_THROUGH | st.text(alphabet=st.sampled_from(sorted(_detector_characters()))),
    max_size=6,
).map("".join)


@scaled(300)
@given(_ANY_TEXT | st.text())
def test_repaired_is_ftfy_fix_encoding(text: str) -> None:
    assert repaired(text) == ftfy.fix_encoding(text)


_SPACES = st.text(
    alphabet=st.sampled_from(
        " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2009\u200b\u2028\u3000\ufeffab"
    )
)


@scaled(300)
@given(_SPACES | st.text())
def test_white_space_collapses_as_the_regex_collapses_it(text: str) -> None:
    """`_collapsed` relies on str.split() breaking where `\\s+` matches."""
    assert " ".join(text.split()) == re.sub(r"\s+", " ", text).strip()


@scaled(300)
@given(st.from_regex(highlights._PLACEHOLDER, fullmatch=True))
def test_no_placeholder_is_longer_than_the_bound(text: str) -> None:
    assert len(text) <= len("highlight of an pictures")
    assert is_placeholder(f"**{text}**")


@pytest.mark.parametrize(
    "text",
    ["Highlighted Image", "highlight of an IMAGE", "Highlight of a pictures", "[[Video]]", "gifs"],
)
def test_placeholders_are_still_told(text: str) -> None:
    assert is_placeholder(text)


@pytest.mark.parametrize(
    "text", ["Highlighted Image of a cat", "an image", "Highlighted Image " + "x" * 30]
)
def test_longer_texts_are_not_placeholders(text: str) -> None:
    assert not is_placeholder(text)
