"""The core's shortcuts give what the long way gives: ftfy skipped on text it returns unchanged,
white space collapsed without a regex, placeholders told by length first."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hypo_profiles import scaled
from vaultsync.core import highlights, links
from vaultsync.core.highlights import is_placeholder, repaired
from vaultsync.core.mojibake import MOJIBAKE_ABLE

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
    # (escapes the raw parts of the pattern write: "\xa0", "\u2019")
    escapes = re.findall(r"\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})", pattern)
    out.update(chr(int(x or u, 16)) for x, u in escapes)
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


# The location link's URL as it was written before it became possessive.
_URL_BEFORE = r"(?:[^()\s]|\([^()\s]*\))+"
_BEFORE = {
    "location": re.compile(
        r"\(\[(?P<label>" + links.LABELS + r")\]\((?P<url>" + _URL_BEFORE + r")\)\)"
    ),
    "bare": re.compile(r"\[(?P<label>" + links.LABELS + r")\]\((?P<url>" + _URL_BEFORE + r")\)"),
    "open": re.compile(r"\[Open in Readwise\]\(" + _URL_BEFORE + r"\)"),
}
_NOW = {"location": links.LOCATION_LINK, "bare": links.BARE_LINK, "open": links.OPEN_IN_READWISE}
_LINKISH = st.lists(
    st.sampled_from(
        ["([", "[", "](", "(", ")", "))", "]", " ", "\t", "\n", "\xa0", "x", "/", "?a=1", "é"]
        + ["View Tweet", "View Highlight", "Location 12", "Page\xa03", "Time 1:02:03"]
        + ["Open in Readwise", "https://readwise.io/open/9", "https://x.com/h/status/123"]
        + ["([Location 12](", "([View Tweet](", "[View Post](", "[Open in Readwise]("] * 3
    ),
    max_size=30,
).map("".join)
# A link's head, a URL of plain runs, groups and stray parentheses, and one of several ends.
_URLISH = st.lists(
    st.sampled_from(["https://x.com/a/status/9", "(b)", "(", ")", " ", "c", "(d e)", "()", "é"]),
    max_size=8,
).map("".join)
_LINK = st.builds(
    lambda head, url, end: head + url + end,
    st.sampled_from(["([Location 12](", "([View Tweet](", "[View Post](", "[Open in Readwise]("]),
    _URLISH,
    st.sampled_from(["))", ")", "", ") )", ")))", ")\n)"]),
)
_LINKS = st.lists(_LINK | _LINKISH, max_size=4).map(" ".join)


def _spans(m: re.Match[str]) -> tuple[object, ...]:
    return (m.span(), *(m.span(g) for g in range(1, (m.re.groups or 0) + 1)))


@scaled(500)
@given(_LINKS)
def test_the_link_patterns_match_what_they_matched_before(text: str) -> None:
    for name, before in _BEFORE.items():
        now = _NOW[name]
        assert [_spans(m) for m in now.finditer(text)] == [_spans(m) for m in before.finditer(text)]
        assert now.sub(" ", text) == before.sub(" ", text)


@pytest.mark.parametrize(
    "text",
    [
        "a ([Location 5](https://readwise.io/to_kindle?location=5)) b",
        "([View Tweet](https://x.com/a/status/1(2)3)) ([Page 2](u(v)w))",
        "([Page 2](https://a.b/c(d) e)) ([Page 3](https://a.b/(x)))",
        "> [View Highlight](https://read.readwise.io/read/01h)",
        "[Open in Readwise](https://readwise.io/bookreview/1) ([Time 0:22:04](https://snipd.com/x))",
    ],
)
def test_the_link_patterns_on_real_links(text: str) -> None:
    for name, before in _BEFORE.items():
        assert [_spans(m) for m in _NOW[name].finditer(text)] == [
            _spans(m) for m in before.finditer(text)
        ]


def test_an_unclosed_link_is_read_in_linear_time() -> None:
    """A run inside a loop is exponential on failure when it may backtrack ((a+)+): the URL's
    runs are possessive. (Without that this test would not finish.)"""
    text = "([Location 12](https://readwise.io/open/" + "x" * 5000 + " ([Page 1](u(" + "y" * 5000
    for pattern in _NOW.values():
        assert pattern.search(text) is None
