"""The Logseq page model: byte-exact round trips, the block tree Logseq sees, recognition."""

from __future__ import annotations

from pathlib import Path

import pytest

from vaultsync.core.model import Item, Section
from vaultsync.core.normalize import is_readwise_page, normalize_page, parse

PAGES = Path(__file__).parent / "samples" / "logseq" / "pages"
THREAD = PAGES / "Almost Two Years After G... (highlights).md"
BOOK = PAGES / "The Art of Maintenance (highlights).md"
READING_LIST = PAGES / "Reading list.md"

TWEET = "([View Tweet](https://twitter.com/h/status/{}))"

# A page no rule changes: one section, in order, each highlight once, author linked.
CLEAN = (
    "title:: Clean (highlights)\n"
    "author:: [[Marta Quill]]\n"
    "category:: #tweets\n"
    "\n"
    "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
    f"\t- first tweet 👇 {TWEET.format(1)}\n"
    "\t\t- **Note**: Thread\n"
    "\t- second tweet\n"
    "\t  \n"
    "\t  second paragraph\n"
    "\t  \n"
    f"\t  2/ {TWEET.format(2)}\n"
    "\t- my own block\n"
)


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def section_items(text: str) -> list[list[Item]]:
    return [s.items for s in parse(text, "logseq").sections]


def first_lines(items: list[Item]) -> list[str]:
    return [i.lines[0].strip() for i in items]


# ---- round trip ---------------------------------------------------------------------------------

TRICKY = {
    "crlf": CLEAN.replace("\n", "\r\n"),
    "bom": "\ufeff" + CLEAN,
    "bom crlf no final newline": "\ufeff" + CLEAN.replace("\n", "\r\n").rstrip("\r\n"),
    "no final newline": CLEAN.rstrip("\n"),
    "trailing blank lines": CLEAN + "\n\n",
    "spaces instead of tabs": CLEAN.replace("\t", "  "),
    "four spaces": CLEAN.replace("\t", "    "),
    "blank continuation with tab and spaces": CLEAN.replace("\t  \n", "\t  \n\t  \n"),
    "blank continuation bare": CLEAN.replace("\t  \n", "\n"),
    "code fence holding bullets": CLEAN.replace(
        "\t  second paragraph\n",
        "\t  ```\n\t  - not a block\n- not a block either\n\t  ```\n",
    ),
    "fence on the bullet line": CLEAN.replace(
        "\t- my own block\n", "\t- ```python\n- x = 1\n\t  ```\n"
    ),
    "unclosed fence": CLEAN + "- ```\n- inside\n",
    "no pre-block": CLEAN.split("\n\n", 1)[1],
    "empty page": "",
    "only newline": "\n",
    "only properties": "title:: x\nalias:: y, z\n",
    "only properties no newline": "title:: x\nalias:: y",
    "lone CR inside a line": CLEAN.replace("first tweet", "first\rtweet"),
    "line separator inside a line": CLEAN.replace("first tweet", "first\u2028tweet"),
    "mixed line endings": CLEAN.replace("\t- second", "\t- second\r\n\t  ").replace(
        "**Note**: Thread\n", "**Note**: Thread\r\n"
    ),
    "numbered continuation lines": CLEAN.replace(
        "\t  second paragraph\n", "\t  1. one\n\t  2) two\n\t  * three\n\t  + four\n"
    ),
    "escaped dash": CLEAN.replace("\t  second paragraph\n", "\t  \\- dashed\n"),
    "properties in a block": CLEAN.replace(
        "\t\t- **Note**: Thread\n", "\t\t- **Note**: Thread\n\t\t  id:: 64f0-1\n"
    ),
    "collapsed section": CLEAN.replace(
        "[[Feb 25th, 2023]]\n", "[[Feb 25th, 2023]]\n  collapsed:: true\n"
    ),
}


@pytest.mark.parametrize("name", list(TRICKY))
def test_parse_serialize_round_trips(name: str) -> None:
    text = TRICKY[name]
    assert parse(text, "logseq").serialize() == text


@pytest.mark.parametrize("name", list(TRICKY))
def test_a_page_no_rule_applies_to_comes_back_unchanged(name: str) -> None:
    text = TRICKY[name]
    out = normalize_page(text, "logseq")
    assert out.text == text
    assert not out.changed
    assert out.losses == []


@pytest.mark.parametrize("path", sorted(PAGES.glob("*.md")), ids=lambda p: p.name)
def test_samples_round_trip(path: Path) -> None:
    text = read(path)
    assert parse(text, "logseq").serialize() == text


def test_round_trip_keeps_the_page_shape() -> None:
    page = parse("\ufeffa:: b\r\n\r\n- x\r\n- y", "logseq")
    assert page.bom and page.newline == "\r\n" and not page.final_newline


# ---- the block tree -----------------------------------------------------------------------------


def test_pre_block_holds_the_page_properties() -> None:
    page = parse(read(THREAD), "logseq")
    assert page.meta["title"] == "Almost Two Years After G... (highlights)"
    assert page.meta["author"] == "[[@AlexTamkin on Twitter]]"
    assert page.meta["category"] == "#tweets"
    assert len(page.segments[0]) == 6  # five property lines and the blank line


def test_sections_and_highlights_of_the_book_sample() -> None:
    page = parse(read(BOOK), "logseq")
    first, later = page.sections
    assert not first.is_new and later.is_new
    assert [len(i.children) for i in first.items] == [0, 1, 0]
    assert first.items[1].children[0].lines == [
        "\t\t- **Note**: quote this in the onboarding doc\n"
    ]
    assert first_lines(first.items)[2] == "- I keep coming back to this chapter."
    assert len(later.items) == 2


def test_thread_sample_has_23_highlight_blocks_with_their_paragraphs() -> None:
    (section,) = parse(read(THREAD), "logseq").sections
    assert len(section.items) == 23
    first = section.items[0]
    assert len(first.lines) == 7  # the bullet line and six continuation lines
    assert first.lines[1] == "\t  \n"
    assert [c.lines for c in first.children] == [["\t\t- **Note**: Thread\n"]]


@pytest.mark.parametrize(
    "continuation",
    ["1. one", "2) two", "* star", "+ plus", "\\- escaped", "10/ ", "-not a bullet", "key:: value"],
)
def test_continuation_lines_stay_in_their_block(continuation: str) -> None:
    text = (
        "- Highlights first synced by [[Readwise]]\n"
        f"\t- intro\n\t  \n\t  {continuation}\n\t  end {TWEET.format(5)}\n"
    )
    (items,) = section_items(text)
    assert len(items) == 1 and items[0].children == []
    assert len(items[0].lines) == 4


def test_lines_in_a_code_fence_are_not_blocks() -> None:
    text = (
        "- Highlights first synced by [[Readwise]]\n"
        "\t- code\n\t  ```\n\t- not a block\n- nor this\n\t  ```\n"
        f"\t  {TWEET.format(5)}\n"
        "\t- next\n"
    )
    (items,) = section_items(text)
    assert first_lines(items) == ["- code", "- next"]
    assert len(items[0].lines) == 6


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        # Logseq counts each leading tab or space as one level, whatever the mix.
        ("- s\n\t- b\n  - c\n", [("- b", ["- c"])]),
        ("- s\n  - b\n\t- c\n", [("- b", []), ("- c", [])]),
        ("- s\n    - b\n\t\t- c\n", [("- b", []), ("- c", [])]),
        ("- s\n\t\t- b\n   - c\n", [("- b", ["- c"])]),
        ("- s\n  - b\n    - c\n  - d\n", [("- b", ["- c"]), ("- d", [])]),
    ],
)
def test_depth_follows_logseq_for_mixed_indentation(text: str, tree: list) -> None:
    text = text.replace("- s\n", "- Highlights first synced by [[Readwise]]\n")
    (items,) = section_items(text)
    assert [(i.lines[0].strip(), first_lines(i.children)) for i in items] == tree


def test_only_top_level_section_blocks_open_sections() -> None:
    text = (
        "- Highlights first synced by [[Readwise]]\n"
        "\t- New highlights added [[x]] (a highlight's own words)\n"
        "- my block\n"
        "\t- New highlights added [[y]]\n"
        "- New highlights added [[Mar 1st, 2023]] at 9:00 AM\n"
    )
    page = parse(text, "logseq")
    assert [len(s.items) for s in page.sections] == [1, 0]
    assert [s.is_new for s in page.sections] == [False, True]
    assert not isinstance(page.segments[2], Section)


# ---- recognition ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [THREAD, BOOK], ids=lambda p: p.name)
def test_readwise_samples_are_recognised(path: Path) -> None:
    assert is_readwise_page(parse(read(path), "logseq"))
    assert normalize_page(read(path), "logseq").is_readwise


NOT_READWISE = {
    "reading list": read(READING_LIST),
    "bulleted properties": (
        "- title:: Not page properties\n- author:: Someone\n- url:: https://example.com\n"
        "\t- key:: value\n"
    ),
    "links outside a section": (
        f"- my list\n\t- a tweet {TWEET.format(1)}\n\t- again {TWEET.format(1)}\n"
    ),
    "a markdown heading": "## Highlights\n- one ([Location 5](u))\n- one ([Location 5](u))\n",
    "empty": "",
}


# A sync section Readwise wrote is its page even without a location link (issue 12: a third of
# real Readwise pages have none); links of the user's own are no position, so nothing moves.
RECOGNISED_UNCHANGED = {
    "sync section whose one highlight has no link": (
        "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n\t- a quote I typed myself\n"
    ),
    "own links citing locations are no positions": (
        "- Highlights first synced by [[Readwise]]\n"
        "\t- b ([Location 20](https://my.kindle.notes/20))\n\t- a ([Location 9](https://my.kindle.notes/9))\n"
    ),
}


@pytest.mark.parametrize("name", list(RECOGNISED_UNCHANGED))
def test_sync_sections_without_readwise_links_are_recognised_and_left_in_order(name: str) -> None:
    text = RECOGNISED_UNCHANGED[name]
    assert is_readwise_page(parse(text, "logseq"))
    out = normalize_page(text, "logseq")
    assert out.is_readwise and not out.changed and out.text == text


@pytest.mark.parametrize("name", list(NOT_READWISE))
def test_ordinary_pages_are_not_recognised_and_come_back_unchanged(name: str) -> None:
    text = NOT_READWISE[name]
    assert not is_readwise_page(parse(text, "logseq"))
    out = normalize_page(text, "logseq")
    assert not out.is_readwise and not out.changed
    assert out.text == text


# ---- code fences (issue 13 item 3) ---------------------------------------------------------------

KINDLE = "([Location 5](https://readwise.io/to_kindle?location=5))"


@pytest.mark.parametrize(
    ("opener", "inner", "closer"),
    [("```", "~~~", "```"), ("~~~", "```", "~~~"), ("````", "```", "````")],
)
def test_a_fence_closes_only_with_its_own_marker_at_least_as_long(opener, inner, closer) -> None:
    # The lines inside the user's code block look like highlights; a fence closed by another
    # marker (or a shorter run) made them blocks, deduplicated and moved.
    text = (
        "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
        f"\t- b {KINDLE}\n"
        f"\t- my code\n\t  {opener}\n\t  {inner}\n"
        f"\t- b {KINDLE}\n"
        f"\t- a {KINDLE}\n"
        f"\t  {closer}\n"
    )
    page = parse(text, "logseq")
    (section,) = page.sections
    assert len(section.items) == 2
    assert len(section.items[1].lines) == 6
    out = normalize_page(text, "logseq")
    assert out.text == text
