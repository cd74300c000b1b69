"""Each normalization rule alone (the others switched off), as a small before/after."""

from __future__ import annotations

import pytest

from vaultsync.core.authors import obsidian_link
from vaultsync.core.normalize import PageContext, Rules, normalize_page
from vaultsync.core.rules import plain_author

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
