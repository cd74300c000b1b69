"""Each normalization rule alone (the others switched off), as a small before/after."""

from __future__ import annotations

import pytest

from vaultsync.core.authors import obsidian_link
from vaultsync.core.model import LeftAlone, Untouched
from vaultsync.core.normalize import PageContext, Rules, normalize_page
from vaultsync.core.rules import plain_author
from vaultsync.render import left_alone_words

OFF = {
    "dedupe": False,
    "fold_sections": False,
    "order": False,
    "repair_encoding": False,
    "link_author": False,
}


def only(rule: str, **extra: bool) -> Rules:
    return Rules(**{**OFF, rule: True, **extra})


def tweet(n: int) -> str:
    return f"([View Tweet](https://twitter.com/h/status/{n}))"


def loc(n: int, label: str = "Location") -> str:
    return f"([{label} {n}](https://readwise.io/to_kindle?action=open&asin=B0X&location={n}))"


def obsidian_maker(value: str) -> str | None:
    """How the pass links an Obsidian author: a safe note name showing the original text."""
    return obsidian_link(value) if plain_author(value) else None


LOGSEQ_HEAD = "title:: T (highlights)\nauthor:: [[A]]\n\n"
FIRST = "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
LATER = "- New highlights added [[Mar 12th, 2023]] at 11:38 AM\n"
OBS_HEAD = "# T\n\n## Metadata\n- Author: [[A]]\n\n"


def logseq(body: str) -> str:
    return LOGSEQ_HEAD + FIRST + body


def run(text: str, rules: Rules, kind: str = "logseq", **ctx) -> str:
    out = normalize_page(text, kind, rules, PageContext(**ctx))  # type: ignore[arg-type]
    assert out.is_readwise
    assert out.losses == []
    again = normalize_page(out.text, kind, rules, PageContext(**ctx))  # type: ignore[arg-type]
    assert again.text == out.text, "a second run changed the page"
    return out.text


# ---- dedupe -------------------------------------------------------------------------------------


def test_dedupe_tweets_by_status_id() -> None:
    before = logseq(
        f"\t- one {tweet(1)}\n"
        f"\t- two\n\t  \n\t  2/ {tweet(2)}\n"
        f"\t- two\n\t  \n\t  2/ {tweet(2)}\n"
        f"\t- one {tweet(1)}\n"
    )
    after = logseq(f"\t- one {tweet(1)}\n\t- two\n\t  \n\t  2/ {tweet(2)}\n")
    assert run(before, only("dedupe")) == after


def test_dedupe_books_by_position_and_text_whatever_the_white_space_mojibake_and_link() -> None:
    other_asin = loc(412).replace("B0X", "B0Y")
    before = logseq(
        f"\t- It’s a form of attention. {loc(412)}\n"
        f"\t- It’s  a form of\n\t  attention.  {other_asin}\n"
        f"\t- Itâ€™s a form of attention. {loc(412)}\n"
    )
    assert run(before, only("dedupe")) == logseq(f"\t- It’s a form of attention. {loc(412)}\n")


def test_dedupe_keeps_one_passage_at_two_positions() -> None:
    # A book can repeat a passage; a copy without a position is not one at a position.
    before = logseq(
        f"\t- It’s a form of attention. {loc(412)}\n"
        f"\t- It’s a form of attention. {loc(413)}\n"
        "\t- It’s a form of attention. ([View Highlight](https://read.readwise.io/read/01h9))\n"
    )
    assert normalize_page(before, "logseq", only("dedupe")).text == before


def test_dedupe_merges_the_children_of_copies_keeping_identical_notes_once() -> None:
    before = logseq(
        f"\t- quote {loc(1)}\n"
        "\t\t- **Note**: mine\n"
        f"\t- quote {loc(1)}\n"
        "\t\t- **Note**: mine\n"
        "\t\t- **Tags**: #[[maintenance]]\n"
        "\t\t\t- my comment on the tags\n"
    )
    after = logseq(
        f"\t- quote {loc(1)}\n"
        "\t\t- **Note**: mine\n"
        "\t\t- **Tags**: #[[maintenance]]\n"
        "\t\t\t- my comment on the tags\n"
    )
    assert run(before, only("dedupe")) == after


def test_dedupe_keeps_the_logseq_id_a_copy_carries() -> None:
    before = logseq(
        f"\t- quote {loc(1)}\n"
        f"\t- other {loc(2)}\n"
        f"\t- quote {loc(1)}\n"
        "\t  id:: 64f00000-0000-4000-8000-000000000001\n"
        "\t\t- **Note**: n\n"
    )
    after = logseq(
        f"\t- quote {loc(1)}\n"
        "\t  id:: 64f00000-0000-4000-8000-000000000001\n"
        "\t\t- **Note**: n\n"
        f"\t- other {loc(2)}\n"
    )
    assert run(before, only("dedupe")) == after


def test_dedupe_keeps_the_properties_of_both_copies() -> None:
    before = logseq(
        f"\t- quote {loc(1)}\n\t  collapsed:: true\n\t\t- **Note**: n\n"
        f"\t- quote {loc(1)}\n\t  id:: 64f0-0001\n\t  rating:: 5\n"
    )
    after = logseq(
        f"\t- quote {loc(1)}\n\t  id:: 64f0-0001\n\t  rating:: 5\n\t  collapsed:: true\n"
        "\t\t- **Note**: n\n"
    )
    assert run(before, only("dedupe")) == after


def test_dedupe_keeps_both_copies_when_their_properties_disagree() -> None:
    before = logseq(f"\t- quote {loc(1)}\n\t  rating:: 4\n\t- quote {loc(1)}\n\t  rating:: 5\n")
    assert normalize_page(before, "logseq", only("dedupe")).text == before


def test_dedupe_sees_an_id_line_with_a_stray_carriage_return() -> None:
    before = logseq(
        f"\t- quote {loc(1)}\r\n\t- quote {loc(1)}\r\n\t  id:: 64f0-0001\r\r\n\t- b {loc(2)}\r\n"
    )
    after = logseq(f"\t- quote {loc(1)}\r\n\t  id:: 64f0-0001\r\r\n\t- b {loc(2)}\r\n")
    assert run(before, only("dedupe")) == after


def test_dedupe_keeps_both_copies_with_different_logseq_ids() -> None:
    before = logseq(
        f"\t- quote {loc(1)}\n"
        "\t  id:: 64f00000-0000-4000-8000-000000000001\n"
        f"\t- quote {loc(1)}\n"
        "\t  id:: 64f00000-0000-4000-8000-000000000002\n"
    )
    out = normalize_page(before, "logseq", only("dedupe"))
    assert out.text == before and not out.changed


def test_dedupe_keeps_both_copies_of_a_tweet_the_user_edited() -> None:
    before = logseq(f"\t- as written {tweet(7)}\n\t- as I corrected it {tweet(7)}\n")
    out = normalize_page(before, "logseq", only("dedupe"))
    assert out.text == before and not out.changed


def test_dedupe_keeps_both_highlights_of_different_tweets_with_the_same_text() -> None:
    before = logseq(f"\t- 👍 {tweet(7)}\n\t- 👍 {tweet(8)}\n")
    assert normalize_page(before, "logseq", only("dedupe")).text == before


def test_dedupe_across_sections() -> None:
    before = logseq(f"\t- quote {loc(1)}\n" + LATER + f"\t- quote {loc(1)}\n\t- new {loc(2)}\n")
    after = logseq(f"\t- quote {loc(1)}\n" + LATER + f"\t- new {loc(2)}\n")
    assert run(before, only("dedupe")) == after


def _obsidian(ids: list[str]) -> str:
    items = "".join(
        f"- quote ([View Highlight](https://read.readwise.io/read/{i})) ^{i}\n" for i in ids
    )
    return OBS_HEAD + "## Highlights\n" + items


def test_dedupe_obsidian_keeps_the_referenced_block_id() -> None:
    before = _obsidian(["rw1", "rw2", "rw3"])
    after = run(before, only("dedupe"), "obsidian", referenced_ids=frozenset({"rw2"}))
    assert after == _obsidian(["rw2"])


def test_dedupe_obsidian_keeps_the_first_block_id_when_none_is_referenced() -> None:
    assert run(_obsidian(["rw1", "rw2", "rw3"]), only("dedupe"), "obsidian") == _obsidian(["rw1"])


def test_dedupe_obsidian_keeps_two_copies_both_referenced() -> None:
    before = _obsidian(["rw1", "rw2"])
    ctx = PageContext(referenced_ids=frozenset({"rw1", "rw2"}))
    assert normalize_page(before, "obsidian", only("dedupe"), ctx).text == before


# ---- fold ---------------------------------------------------------------------------------------


def test_fold_moves_later_sections_into_the_first_and_drops_them() -> None:
    before = logseq(
        f"\t- a {loc(1)}\n"
        + LATER
        + f"\t- b {loc(3)}\n"
        + "- New highlights added [[Apr 1st, 2023]] at 8:00 AM\n"
        + f"\t- c {loc(2)}\n"
    )
    after = logseq(f"\t- a {loc(1)}\n\t- b {loc(3)}\n\t- c {loc(2)}\n")
    assert run(before, only("fold_sections")) == after


def test_fold_keeps_emptied_sections_when_asked() -> None:
    before = logseq(f"\t- a {loc(1)}\n" + LATER + f"\t- b {loc(3)}\n")
    after = logseq(f"\t- a {loc(1)}\n\t- b {loc(3)}\n" + LATER)
    assert run(before, only("fold_sections", remove_empty_sections=False)) == after


def test_fold_keeps_a_later_heading_block_holding_the_users_line() -> None:
    later = LATER + "  read these again on the train\n"
    before = logseq(f"\t- a {loc(1)}\n" + later + f"\t- b {loc(3)}\n")
    after = logseq(f"\t- a {loc(1)}\n\t- b {loc(3)}\n" + later)
    assert run(before, only("fold_sections")) == after


def test_fold_keeps_a_users_block_between_sections_in_place() -> None:
    before = logseq(f"\t- a {loc(1)}\n" + "- my own block\n" + LATER + f"\t- b {loc(3)}\n")
    after = logseq(f"\t- a {loc(1)}\n\t- b {loc(3)}\n" + "- my own block\n")
    assert run(before, only("fold_sections")) == after


def test_fold_obsidian_sections_keep_the_blank_line_before_the_next_heading() -> None:
    before = (
        OBS_HEAD
        + f"## Highlights\n- a {tweet(1)}\n\n"
        + f"## New highlights added March 9, 2023 at 8:02 PM\n- b {tweet(2)}\n\n"
        + "## My thoughts\nkeep me\n"
    )
    after = OBS_HEAD + f"## Highlights\n- a {tweet(1)}\n- b {tweet(2)}\n\n## My thoughts\nkeep me\n"
    assert run(before, only("fold_sections"), "obsidian") == after


def test_fold_obsidian_keeps_a_later_heading_with_the_users_paragraph() -> None:
    later = "## New highlights added March 9, 2023\nI should reread these.\n"
    before = OBS_HEAD + f"## Highlights\n- a {tweet(1)}\n\n" + later + f"- b {tweet(2)}\n"
    after = OBS_HEAD + f"## Highlights\n- a {tweet(1)}\n- b {tweet(2)}\n\n" + later
    assert run(before, only("fold_sections"), "obsidian") == after


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (
            "obsidian",
            OBS_HEAD + f"## Highlights\n- a {tweet(1)}\n\n## Highlights I disagree with\n",
        ),
        ("logseq", logseq(f"\t- a {tweet(1)}\n- New highlights added [[x]] that I regrouped\n")),
        ("logseq", logseq(f"\t- a {tweet(1)}\n- Highlights first synced by [[Readwise]] (mine)\n")),
    ],
)
def test_fold_leaves_a_heading_of_the_users_own(kind: str, text: str) -> None:
    before = text + ("\t" if kind == "logseq" else "") + f"- b {tweet(2)}\n"
    out = normalize_page(before, kind, only("fold_sections"))  # type: ignore[arg-type]
    assert out.text == before and not out.changed


def test_fold_leaves_a_section_indented_otherwise() -> None:
    # Moved under "\t- a", a "  - b" block (two levels deep to Logseq) would become a's child.
    before = logseq(f"\t- a {loc(1)}\n" + LATER + f"  - b {loc(3)}\n")
    out = normalize_page(before, "logseq", only("fold_sections"))
    assert out.text == before and out.losses == []


def test_the_other_rules_still_apply_when_a_section_cannot_fold() -> None:
    before = logseq(f"\t- a {loc(1)}\n\t- a {loc(1)}\n" + LATER + f"  - b {loc(3)}\n")
    after = logseq(f"\t- a {loc(1)}\n" + LATER + f"  - b {loc(3)}\n")
    assert run(before, Rules()) == after


# ---- order --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [tweet, loc, lambda n: loc(n, "Page")],
    ids=["tweets by status id", "books by location", "pages"],
)
def test_order_by_position(link) -> None:
    before = logseq(f"\t- c {link(300)}\n\t- a {link(9)}\n\t- b {link(20)}\n")
    after = logseq(f"\t- a {link(9)}\n\t- b {link(20)}\n\t- c {link(300)}\n")
    assert run(before, only("order")) == after


def test_order_tweets_by_id_value_not_text() -> None:
    before = logseq(f"\t- later {tweet(1540123821486706688)}\n\t- first {tweet(999)}\n")
    after = logseq(f"\t- first {tweet(999)}\n\t- later {tweet(1540123821486706688)}\n")
    assert run(before, only("order")) == after


def test_order_users_blocks_travel_with_the_highlight_before_them() -> None:
    before = logseq(
        "\t- my intro, before any highlight\n"
        f"\t- b {loc(20)}\n"
        "\t\t- **Note**: on b\n"
        "\t- my thought on b\n"
        f"\t- a {loc(9)}\n"
        "\t- my thought on a\n"
    )
    after = logseq(
        "\t- my intro, before any highlight\n"
        f"\t- a {loc(9)}\n"
        "\t- my thought on a\n"
        f"\t- b {loc(20)}\n"
        "\t\t- **Note**: on b\n"
        "\t- my thought on b\n"
    )
    assert run(before, only("order")) == after


@pytest.mark.parametrize(
    "body",
    [
        f"\t- b {loc(20)}\n\t- a {tweet(9)}\n",  # kinds of position mixed
        f"\t- b {loc(20)}\n\t- a {loc(9, 'Page')}\n",
        "\t- b ([View Highlight](https://read.readwise.io/read/2))\n"
        "\t- a ([View Highlight](https://read.readwise.io/read/1))\n",  # no position at all
        f"\t- b {loc(20)}\n\t- a [Open in Readwise](https://readwise.io/open/1)\n",
    ],
)
def test_order_leaves_a_section_of_mixed_positions_alone(body: str) -> None:
    before = logseq(body)
    assert normalize_page(before, "logseq", only("order")).text == before


def test_order_leaves_a_section_of_items_indented_differently_alone() -> None:
    before = logseq(f"  - b {loc(2)}\n\t- a {loc(1)}\n")  # siblings to Logseq, a tab and spaces
    out = normalize_page(before, "logseq", only("order"))
    assert out.text == before and out.losses == []


def test_order_sorts_each_section_on_its_own_when_not_folded() -> None:
    ab, cd = f"\t- a {loc(1)}\n\t- b {loc(2)}\n", f"\t- c {loc(3)}\n\t- d {loc(4)}\n"
    before = logseq(
        f"\t- b {loc(2)}\n\t- a {loc(1)}\n" + LATER + f"\t- d {loc(4)}\n\t- c {loc(3)}\n"
    )
    after = logseq(ab + LATER + cd)
    assert run(before, only("order")) == after


def test_order_moves_the_last_line_of_a_file_without_final_newline() -> None:
    before = logseq(f"\t- b {loc(2)}\n\t- a {loc(1)}")
    assert run(before, only("order")) == logseq(f"\t- a {loc(1)}\n\t- b {loc(2)}")


def test_order_keeps_crlf() -> None:
    before = logseq(f"\t- b {loc(2)}\n\t- a {loc(1)}").replace("\n", "\r\n")
    after = logseq(f"\t- a {loc(1)}\n\t- b {loc(2)}").replace("\n", "\r\n")
    assert run(before, only("order")) == after


# ---- repair -------------------------------------------------------------------------------------


def test_repair_mojibake_in_highlights() -> None:
    before = logseq(f"\t- thread ðŸ‘‡ and ðŸŒ‡ {tweet(1)}\n\t  \n\t  itâ€™s 1/ {tweet(1)}\n")
    after = logseq(f"\t- thread 👇 and 🌇 {tweet(1)}\n\t  \n\t  it’s 1/ {tweet(1)}\n")
    assert run(before, only("repair_encoding")) == after


def test_repair_does_not_restyle_quotes_ligatures_or_widths() -> None:
    styled = "“curly” ‘quotes’ … ﬁne ﬂow ＦＵＬＬ ｗｉｄｔｈ — dash"
    before = logseq(f"\t- {styled} ðŸ‘‡ {loc(1)}\n")
    assert run(before, only("repair_encoding")) == logseq(f"\t- {styled} 👇 {loc(1)}\n")


def test_repair_touches_only_highlight_lines() -> None:
    before = (
        "title:: CafÃ© (highlights)\nauthor:: [[A]]\n\n"
        + FIRST
        + f"\t- highlight ðŸ‘‡ {loc(1)}\n"
        + "\t\t- **Note**: my note ðŸ‘‡\n"
        + "\t- my own block ðŸ‘‡\n"
        + "- a top-level block ðŸ‘‡\n"
    )
    after = before.replace("highlight ðŸ‘‡", "highlight 👇")
    assert run(before, only("repair_encoding")) == after


def test_repair_leaves_correct_text_alone() -> None:
    before = logseq(f"\t- Crème brûlée, naïve café, Ärger, 日本語, 👍 {loc(1)}\n")
    out = normalize_page(before, "logseq", only("repair_encoding"))
    assert out.text == before and not out.changed


# ---- author link --------------------------------------------------------------------------------


def test_link_a_plain_logseq_author() -> None:
    before = "title:: T\nauthor:: Marta Quill\n\n" + FIRST + f"\t- a {loc(1)}\n"
    after = "title:: T\nauthor:: [[Marta Quill]]\n\n" + FIRST + f"\t- a {loc(1)}\n"
    assert run(before, only("link_author")) == after


def test_link_keeps_the_line_ending_and_trailing_space() -> None:
    before = "title:: T\r\nauthor::  Marta Quill \r\n\r\n" + FIRST.replace("\n", "\r\n")
    before += f"\t- a {loc(1)}\r\n"
    after = before.replace("Marta Quill ", "[[Marta Quill]] ")
    assert run(before, only("link_author")) == after


@pytest.mark.parametrize(
    "value", ["[[Marta Quill]]", "[[@h on Twitter]]", "#[[tag]]", "#tag", "[[A]] and [[B]]"]
)
def test_link_leaves_a_linked_author_alone(value: str) -> None:
    before = f"title:: T\nauthor:: {value}\n\n" + FIRST + f"\t- a {loc(1)}\n"
    out = normalize_page(before, "logseq", only("link_author"))
    assert out.text == before and not out.changed


def test_link_does_not_touch_an_author_block_property() -> None:
    before = "title:: T\n\n" + FIRST + f"\t- a {loc(1)}\n\t  author:: Someone\n"
    assert normalize_page(before, "logseq", only("link_author")).text == before


@pytest.mark.parametrize(
    ("value", "linked"),
    [
        ("ops-notes.example", "[[ops-notes.example]]"),
        ("a/b", "[[a b|a/b]]"),
        ("What: Why?", "[[What Why|What: Why?]]"),
    ],
)
def test_link_an_obsidian_author(value: str, linked: str) -> None:
    before = f"# T\n\n## Metadata\n- Author: {value}\n\n## Highlights\n- a {loc(1)}\n"
    after = before.replace(f"- Author: {value}", f"- Author: {linked}")
    assert run(before, only("link_author"), "obsidian", author_link=obsidian_maker) == after


def test_link_leaves_obsidian_frontmatter_alone() -> None:
    before = (
        "---\nauthor: ops-notes.example\n---\n# T\n\n## Metadata\n- Author: ops-notes.example\n"
        f"\n## Highlights\n- a {loc(1)}\n"
    )
    after = run(before, only("link_author"), "obsidian", author_link=obsidian_maker)
    assert after.startswith("---\nauthor: ops-notes.example\n---\n")
    assert "- Author: [[ops-notes.example]]\n" in after


# ---- switches -----------------------------------------------------------------------------------


def test_all_rules_off_changes_nothing() -> None:
    before = logseq(f"\t- b ðŸ‘‡ {loc(2)}\n\t- b ðŸ‘‡ {loc(2)}\n" + LATER + f"\t- a {loc(1)}\n")
    out = normalize_page(before, "logseq", Rules(**OFF))
    assert out.is_readwise and out.text == before and not out.changed


# ---- issue 12: shapes of real exports ---------------------------------------------------------

NBSP = "\u00a0"
ALL = Rules(link_author=False)


def test_pages_without_any_link_are_deduplicated_and_folded() -> None:
    before = logseq("\t- alpha\n\t- beta\n" + LATER + "\t- alpha\n\t- gamma\n")
    after = logseq("\t- alpha\n\t- beta\n\t- gamma\n")
    assert run(before, ALL) == after


def test_an_emptied_sync_block_logseq_collapsed_goes_an_id_or_a_users_property_keeps_it() -> None:
    for extra, kept in [
        ("  collapsed:: true\n", False),
        ("  id:: 6400a1b2-0000-4000-8000-000000000001\n", True),
        ("  mine:: yes\n", True),
    ]:
        before = logseq(f"\t- a {loc(1)}\n" + LATER + extra + f"\t- b {loc(2)}\n")
        out = run(before, only("fold_sections"))
        assert (LATER in out) is kept, extra
        assert f"\t- a {loc(1)}\n\t- b {loc(2)}\n" in out


def test_kindle_pages_with_a_no_break_space_are_ordered() -> None:
    def nb(n: int) -> str:
        return loc(n).replace("Location ", f"Location{NBSP}")

    before = logseq(f"\t- b {nb(20)}\n\t- a {nb(3)}\n")
    assert run(before, only("order")) == logseq(f"\t- a {nb(3)}\n\t- b {nb(20)}\n")


def test_podcast_times_order_a_podcast() -> None:
    def t(clock: str) -> str:
        return f"([Time {clock}](https://share.snipd.com/snip/{clock}))"

    before = logseq(f"\t- late {t('1:02:03')}\n\t- early {t('0:22:04')}\n\t- mid {t('0:59:00')}\n")
    after = logseq(f"\t- early {t('0:22:04')}\n\t- mid {t('0:59:00')}\n\t- late {t('1:02:03')}\n")
    assert run(before, only("order")) == after


def test_search_link_tweets_travel_with_the_tweet_before_them() -> None:
    search = "([View Tweet](https://twitter.com/search?q=small%20teams))"
    before = logseq(f"\t- third {tweet(30)}\n\t- found by search {search}\n\t- first {tweet(10)}\n")
    after = logseq(f"\t- first {tweet(10)}\n\t- third {tweet(30)}\n\t- found by search {search}\n")
    assert run(before, only("order")) == after


def test_a_link_in_a_child_block_positions_its_highlight() -> None:
    def unit(text: str, n: int) -> str:
        return f"\t- {text}\n\t\t- {loc(n)}\n"

    before = logseq(unit("late", 9) + unit("early", 2))
    assert run(before, only("order")) == logseq(unit("early", 2) + unit("late", 9))


def test_wrapper_blocks_are_ordered_by_the_link_among_their_children() -> None:
    def unit(text: str, n: int) -> str:
        return f"\t- -\n\t\t- {text}\n\t\t- {loc(n)}\n"

    before = logseq(unit("late", 9) + unit("early", 2))
    assert run(before, only("order")) == logseq(unit("early", 2) + unit("late", 9))


OBS_CHAPTERS = (
    "# Manual\n\n![rw-book-cover](https://x/c.png)\n\n## Highlights\n\n"
    "### 3.6 Radio-frequency identification\n\n- tags answer a reader\n\n"
    "#### 3.6.1 Types of tags\n\n- passive tags have no battery\n\n"
    "## New highlights added November 20, 2024 at 12:15 AM\n\n"
    "### 3.6 Radio-frequency identification\n\n- readers power the tag\n"
)


def test_chapters_keep_their_highlights_and_the_page_says_why() -> None:
    out = normalize_page(OBS_CHAPTERS, "obsidian")
    assert out.is_readwise and out.text == OBS_CHAPTERS
    assert out.left_alone == [LeftAlone("fold", Untouched.CHAPTERS, 1)]
    assert left_alone_words(out.left_alone[0]) == (
        "fold left alone: 1 sync section(s) not folded: their highlights sit under the "
        "document's own chapter headings, which folding would take them away from"
    )


def test_logseq_chapter_blocks_are_never_moved_or_merged() -> None:
    before = logseq(
        "\t- ### 2 Tags\n\t- b\n\t- ### 1 Readers\n\t- a\n" + LATER + "\t- ### 2 Tags\n\t- c\n"
    )
    out = normalize_page(before, "logseq", ALL)
    assert out.text == before and out.left_alone


def test_a_sync_section_above_the_title_folds_into_the_highlights() -> None:
    new = "## New highlights added November 20, 2024 at 12:15 AM\n- c\n\n"
    body = "# T\n\n![rw-book-cover](https://x/c.png)\n\n## Highlights\n- a\n- b\n"
    assert run(new + body, only("fold_sections"), "obsidian") == body + "- c\n"


def test_a_page_repeated_whole_folds_into_one_copy() -> None:
    copy = "# T\n\n![rw-book-cover](https://x/c.png)\n\n## Metadata\n- Author: [[A]]\n\n"
    before = (
        copy
        + "## Highlights\n- a\n- b\n\n"
        + copy
        + "## Highlights\n- a\n- b\n- c\n\n"
        + copy
        + "## Highlights\n- a\n- b\n"
    )
    after = copy + "## Highlights\n- a\n- b\n- c\n"
    assert run(before, ALL, "obsidian") == after


def test_a_dataview_category_field_is_read_without_its_second_colon() -> None:
    text = (
        "# T\n\n## Metadata\n- Author:: Jane Roe\n- Category:: 🐦\n\n## Highlights\n"
        f"- a {tweet(1)}\n"
    )
    out = normalize_page(text, "obsidian", ALL)
    assert out.page is not None and out.page.meta["category"] == "🐦"
    assert out.page.meta["author"] == "Jane Roe"


def test_template_lines_are_never_highlights() -> None:
    text = (
        "# T\n\n![rw-book-cover](https://x/c.png)\n\n## Highlights\n"
        f"- Synced:: [[2024-11-20]]\n- a {loc(5)}\n1\n- b {loc(2)} ^rwID-7\n2\n"
        f"- Synced:: [[2024-11-20]]\n- a {loc(5)}\n3\n"
    )
    out = normalize_page(text, "obsidian", ALL)
    assert out.losses == []
    assert out.text.count("- a ") == 1 and out.text.count("Synced::") == 2
    assert out.text.index("- b ") < out.text.index("- a ")


def test_hypothesis_notes_and_script_digests_are_not_readwise() -> None:
    hyp = (
        "# Paper\n\n## Metadata\n- Author: [[B]]\n\n## Highlights\n"
        "- b ([View Highlight](https://hyp.is/abc/example.org))\n- a ([View Highlight](https://hyp.is/x))\n"
        "- a ([View Highlight](https://hyp.is/x))\n"
    )
    digest = (
        "---\ntype: digest\nsource: tweet-digest.py\n---\n# Digest\n\n## Highlights\n"
        f"- b {tweet(9)}\n- a {tweet(1)}\n"
    )
    for text in (hyp, digest):
        out = normalize_page(text, "obsidian", ALL)
        assert not out.is_readwise and out.text == text


def test_a_users_own_heading_of_the_sections_level_does_not_stop_the_fold() -> None:
    body = (
        "# T\n\n![rw-book-cover](https://x/c.png)\n\n## Highlights\n"
        f"- b {loc(9)}\n\n## My notes\nI liked it.\n\n"
    )
    new = f"## New highlights added November 20, 2024 at 12:15 AM\n- a {loc(2)}\n"
    out = normalize_page(body + new, "obsidian", only("fold_sections"))
    # (the blank lines before the dropped section are its own again: none, at the end)
    expected = body.replace(f"- b {loc(9)}\n", f"- b {loc(9)}\n- a {loc(2)}\n")
    assert out.text == expected.removesuffix("\n")
    assert out.left_alone == []


def test_logseq_blocks_of_the_users_between_sections_do_not_stop_the_fold() -> None:
    before = logseq(f"\t- a {loc(1)}\n- ## My notes\n\t- liked it\n" + LATER + f"\t- b {loc(2)}\n")
    after = logseq(f"\t- a {loc(1)}\n\t- b {loc(2)}\n- ## My notes\n\t- liked it\n")
    assert run(before, only("fold_sections")) == after


def test_blockquote_units_are_deduplicated_and_folded_with_a_blank_line_between() -> None:
    def q(text: str, rid: str) -> str:
        return f"> {text}\n> [View Highlight](https://read.readwise.io/read/{rid})\n"

    head = "# T\n\n![rw-book-cover](https://x/c.png)\n\n## Highlights\n\n"
    new = "\n## New highlights added July 7, 2024 at 7:07 PM\n\n"
    before = head + q("a", "1") + "\n" + q("b", "2") + new + q("a", "3") + "\n" + q("c", "4")
    after = head + q("a", "1") + "\n" + q("b", "2") + "\n" + q("c", "4")
    assert run(before, ALL, "obsidian") == after


def test_a_heading_per_highlight_is_left_and_the_page_says_why() -> None:
    text = (
        "# T\n\n![rw-book-cover](https://x/c.png)\n\n## Highlights\n\n"
        "### The ferry leaves. ^48211\n[Location 144](https://readwise.io/to_kindle?location=144)\n"
        "\n### The ferry leaves. ^48305\n[Location 144](https://readwise.io/to_kindle?location=144)\n"
    )
    out = normalize_page(text, "obsidian", ALL)
    assert out.is_readwise and out.text == text and not out.changed
    assert out.left_alone == [LeftAlone("page", Untouched.HEADED)]
    assert left_alone_words(out.left_alone[0]) == (
        "page left alone: its template writes each highlight under a heading of its own (other "
        "notes may link to it): not deduplicated, folded or ordered"
    )
