"""The Obsidian note model: byte-exact round trips, sections and items, recognition."""

from __future__ import annotations

from pathlib import Path

import pytest

from vaultsync.core.normalize import is_readwise_page, normalize_page, parse

VAULT = Path(__file__).parent / "samples" / "obsidian"
TWEETS = VAULT / "Readwise" / "Tweets" / "Small Teams Ship Faster....md"
ARTICLE = VAULT / "Readwise" / "Articles" / "Why Logs Beat Dashboards.md"
INBOX = VAULT / "Inbox.md"

TWEET = "([View Tweet](https://twitter.com/h/status/{}))"

CLEAN = (
    "---\n"
    "aliases: [Clean]\n"
    "author: Marta Quill\n"
    "---\n"
    "# Clean\n"
    "\n"
    "## Metadata\n"
    "- Author: [[Marta Quill]]\n"
    "- Category: #tweets\n"
    "\n"
    "## Highlights\n"
    f"- first tweet 🧵 {TWEET.format(1)} ^rw1\n"
    "    - **Note**: Thread\n"
    f"- second tweet {TWEET.format(2)}\n"
    "\n"
    "## My thoughts\n"
    "- not a highlight\n"
)


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


TRICKY = {
    "crlf": CLEAN.replace("\n", "\r\n"),
    "bom": "\ufeff" + CLEAN,
    "no final newline": CLEAN.rstrip("\n"),
    "bom crlf no final newline": "\ufeff" + CLEAN.replace("\n", "\r\n").rstrip("\r\n"),
    "tab children": CLEAN.replace("    - **Note**", "\t- **Note**"),
    "no frontmatter": CLEAN.split("---\n", 2)[2],
    "frontmatter only": "---\ntitle: x\nauthor: y\n---\n",
    "frontmatter with dots end": CLEAN.replace(
        "author: Marta Quill\n---", "author: Marta Quill\n..."
    ),
    "frontmatter not closed": "---\ntitle: x\n## Highlights\n" + f"- a {TWEET.format(1)}\n",
    "heading inside a fence": CLEAN.replace(
        "## My thoughts\n", "```\n## New highlights added never\n- x\n```\n## My thoughts\n"
    ),
    "fence inside a highlight": CLEAN.replace(
        "    - **Note**: Thread\n", "    ```\n## New highlights added\n- x\n    ```\n"
    ),
    "lone CR inside a line": CLEAN.replace("first tweet", "first\rtweet"),
    "line separator inside a line": CLEAN.replace("first tweet", "first\u2028tweet"),
    "blank lines between items": CLEAN.replace("\n- second", "\n\n\n- second"),
    "lazy continuation paragraph": CLEAN.replace(
        "- second tweet ", "- second tweet\nits second paragraph "
    ),
    "indented paragraph after a blank line": CLEAN.replace(
        "- second tweet ", "- second tweet\n\n  its second paragraph "
    ),
    "paragraph after the list": CLEAN.replace(
        "\n## My thoughts", "\nMy own words.\n\n## My thoughts"
    ),
    "empty": "",
    "only newline": "\n",
}


@pytest.mark.parametrize("name", list(TRICKY))
def test_parse_serialize_round_trips(name: str) -> None:
    text = TRICKY[name]
    assert parse(text, "obsidian").serialize() == text


@pytest.mark.parametrize("name", list(TRICKY))
def test_a_note_no_rule_applies_to_comes_back_unchanged(name: str) -> None:
    text = TRICKY[name]
    out = normalize_page(text, "obsidian")
    assert out.text == text
    assert not out.changed and out.losses == []


@pytest.mark.parametrize("path", [TWEETS, ARTICLE, INBOX], ids=lambda p: p.name)
def test_samples_round_trip(path: Path) -> None:
    text = read(path)
    assert parse(text, "obsidian").serialize() == text


def test_metadata_is_read_from_the_list_and_title() -> None:
    page = parse(read(TWEETS), "obsidian")
    assert page.meta["title"] == "Small Teams Ship Faster..."
    assert page.meta["author"] == "[[@tinyteams on Twitter]]"
    assert page.meta["category"] == "#tweets"


def test_sections_of_the_default_template() -> None:
    page = parse(read(TWEETS), "obsidian")
    first, later = page.sections
    assert (first.is_new, later.is_new) == (False, True)
    assert [len(i.children) for i in first.items] == [1, 0, 0]
    assert first.tail == ["\n"]
    assert len(later.items) == 2


def test_sections_of_the_customised_template() -> None:
    page = parse(read(ARTICLE), "obsidian")
    assert [len(s.items) for s in page.sections] == [0, 2, 1]
    assert [s.is_new for s in page.sections] == [False, True, True]
    assert page.segments[0][0] == "---\n"  # the frontmatter stays a raw run
    first = page.sections[1].items[0]
    assert [c.lines[0].strip() for c in first.children] == [
        "- Note: good opener for the talk ^rw700000001-note",
        "- Date:: [[March 2nd, 2023, Thursday]]",
    ]


def test_readwise_paragraphs_on_following_lines_stay_in_the_highlight() -> None:
    (section,) = parse(TRICKY["lazy continuation paragraph"], "obsidian").sections
    assert section.items[1].lines[1].startswith("its second paragraph ([View Tweet]")


@pytest.mark.parametrize(
    "after",
    [
        "My closing words on this book.\n",
        "---\n\nfooter\n",
        "> a quote I added\n",
        "```\n- code, not a highlight\n```\n",
        "| a | b |\n|---|---|\n",
    ],
)
def test_what_follows_the_list_after_a_blank_line_is_not_the_last_highlight(after: str) -> None:
    text = f"# T\n\n## Highlights\n- a {TWEET.format(2)}\n- b {TWEET.format(1)}\n\n{after}"
    page = parse(text, "obsidian")
    (section,) = page.sections
    assert [len(i.lines) for i in section.items] == [1, 1]
    assert page.serialize() == text
    out = normalize_page(text, "obsidian").text
    assert out == f"# T\n\n## Highlights\n- b {TWEET.format(1)}\n- a {TWEET.format(2)}\n\n{after}"


def test_a_section_emptied_by_folding_reads_the_same_afterwards() -> None:
    # A later section with the user's own line under its heading is kept when folded; the
    # user's paragraph and bullets after its list must not become its items on the next run.
    text = (
        f"# T\n\n## Highlights\n- a {TWEET.format(1)}\n\n"
        f"## New highlights added March 9, 2023\nmy remark\n- b {TWEET.format(2)}\n\n"
        "My paragraph.\n- my own bullet\n- another\n"
    )
    once = normalize_page(text, "obsidian").text
    assert once == (
        f"# T\n\n## Highlights\n- a {TWEET.format(1)}\n- b {TWEET.format(2)}\n\n"
        "## New highlights added March 9, 2023\nmy remark\n\nMy paragraph.\n- my own bullet\n"
        "- another\n"
    )
    assert normalize_page(once, "obsidian").text == once


def test_a_heading_inside_a_fence_opens_no_section() -> None:
    page = parse(TRICKY["heading inside a fence"], "obsidian")
    assert len(page.sections) == 1


def test_another_heading_closes_the_section() -> None:
    page = parse(CLEAN, "obsidian")
    (section,) = page.sections
    assert len(section.items) == 2
    assert "- not a highlight\n" not in list(section.all_lines())


@pytest.mark.parametrize(
    "heading",
    ["## Highlights", "### Highlights", "#### New highlights synced", "## New highlights added x"],
)
def test_section_headings(heading: str) -> None:
    text = f"# T\n{heading}\n- a {TWEET.format(1)}\n"
    assert len(parse(text, "obsidian").sections) == 1


@pytest.mark.parametrize("heading", ["# Highlights", "##### Highlights", "## My highlights"])
def test_headings_that_are_not_sections(heading: str) -> None:
    text = f"# T\n{heading}\n- a {TWEET.format(1)}\n"
    assert parse(text, "obsidian").sections == []


# ---- recognition ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [TWEETS, ARTICLE], ids=lambda p: p.name)
def test_readwise_samples_are_recognised(path: Path) -> None:
    assert is_readwise_page(parse(read(path), "obsidian"))


NOT_READWISE = {
    "inbox": read(INBOX),
    "highlights heading without Readwise links": (
        "# Book notes\n\n## Highlights\n- a sentence I liked\n- a sentence I liked\n"
        "    - Note: why\n\n## New highlights added later\n- another\n"
    ),
    "readwise links outside a section": (
        f"# T\n\n## Quotes\n- a {TWEET.format(2)}\n- b {TWEET.format(1)}\n"
    ),
    "own notes citing pages like Readwise does": (
        "# Book notes\n\n## Highlights\n- quote two ([Page 30](https://books.example/x))\n"
        "- quote one ([Page 3](https://books.example/x))\n"
    ),
    "sync log": (
        "# Readwise Syncs\n\n## Sync on March 9, 2023 at 8:02 PM\n"
        "- [[Small Teams Ship Faster...]]: 2 new highlights\n"
        "- [[Why Logs Beat Dashboards]]: 1 new highlight\n"
    ),
}


@pytest.mark.parametrize("name", list(NOT_READWISE))
def test_ordinary_notes_are_not_recognised_and_come_back_unchanged(name: str) -> None:
    text = NOT_READWISE[name]
    assert not is_readwise_page(parse(text, "obsidian"))
    out = normalize_page(text, "obsidian")
    assert not out.is_readwise and out.text == text


# ---- code fences (issue 13 item 3) ---------------------------------------------------------------

KINDLE = "([Location 5](https://readwise.io/to_kindle?location=5))"


@pytest.mark.parametrize(
    ("opener", "inner", "closer"),
    [("```", "~~~", "```"), ("~~~", "```", "~~~"), ("````", "```", "````")],
)
def test_a_fence_closes_only_with_its_own_marker_at_least_as_long(opener, inner, closer) -> None:
    text = (
        "# T\n\n## Highlights\n"
        f"- b {KINDLE}\n"
        f"- my code\n  {opener}\n  {inner}\n"
        f"- b {KINDLE}\n"
        f"- a {KINDLE}\n"
        f"  {closer}\n"
        "\n## New highlights added November 20, 2024 at 12:15 AM\n"
        f"{opener}\n{inner}\n- c {KINDLE}\n{closer}\n"
    )
    page = parse(text, "obsidian")
    first = page.sections[0]
    assert len(first.items) == 2
    assert len(first.items[1].lines) == 6
    out = normalize_page(text, "obsidian")
    assert out.text == text
