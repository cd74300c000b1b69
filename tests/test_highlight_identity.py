"""Which copies are one highlight (issue 12 item 3), through normalize_page and highlight_key.

Identity: the tweet's status id; else the position (location, page) plus the text; else the
text — Readwise's own links, block ids, white space and mojibake folded away, a link or
emphasis the user added kept. Placeholders are never merged; children merge only when equal.
"""

from __future__ import annotations

import pytest

from vaultsync.core.highlights import highlight_key, subtree_key
from vaultsync.core.model import Item
from vaultsync.core.normalize import PageContext, normalize_page, parse

KINDLE = "([Location {0}](https://readwise.io/to_kindle?action=open&asin=B0X&location={0}))"
READER = "([View Highlight](https://read.readwise.io/read/01h{0}))"
INSTAPAPER = "([View Highlight](https://instapaper.com/read/1400/{0}))"
TWEET = "([View Tweet](https://twitter.com/ann/status/{0}))"


def logseq(*blocks: str) -> str:
    body = "".join(f"\t- {b}\n" if not b.startswith("\t") else b for b in blocks)
    return (
        "title:: T (highlights)\n\n"
        "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n" + body
    )


def obsidian(*items: str) -> str:
    return "# T\n\n## Highlights\n" + "".join(
        f"- {i}\n" if not i.startswith(" ") else i for i in items
    )


def clean(text: str, kind: str = "logseq", referenced: frozenset[str] = frozenset()) -> str:
    out = normalize_page(text, kind, context=PageContext(referenced_ids=referenced))  # type: ignore[arg-type]
    assert out.losses == []
    again = normalize_page(out.text, kind, context=PageContext(referenced_ids=referenced))  # type: ignore[arg-type]
    assert again.text == out.text
    return out.text


def key(line: str, kind: str = "logseq") -> tuple[str, ...]:
    return highlight_key(Item([line]), kind)  # type: ignore[arg-type]


# ---- the user's link or emphasis makes another text ---------------------------------------------


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_a_copy_with_a_link_the_user_added_is_kept(kind: str) -> None:
    plain, linked = f"Alpha beta. {KINDLE.format(2)}", f"Alpha [[beta]]. {KINDLE.format(2)}"
    text = logseq(plain, linked) if kind == "logseq" else obsidian(plain, linked)
    out = clean(text, kind)
    assert "Alpha [[beta]]." in out and "Alpha beta." in out


def test_emphasis_the_user_added_is_kept() -> None:
    out = clean(logseq(f"Alpha beta. {KINDLE.format(2)}", f"Alpha **beta**. {KINDLE.format(2)}"))
    assert "Alpha **beta**." in out and "Alpha beta." in out


def test_white_space_mojibake_links_and_ids_are_folded_away() -> None:
    first = f"Café  au lait {KINDLE.format(3)} ^rw1"
    second = f"CafÃ© au lait {KINDLE.format(3).replace('B0X', 'B0Y')} ^rw2"
    assert key(first, "obsidian") == key(second, "obsidian")
    out = clean(obsidian(first, second), "obsidian")
    assert out.count("au lait") == 1


# ---- position -----------------------------------------------------------------------------------


def test_one_passage_at_two_locations_is_two_highlights() -> None:
    text = logseq(
        f"It was a dark night. {KINDLE.format(1)}", f"It was a dark night. {KINDLE.format(900)}"
    )
    out = clean(text)
    assert "location=1)" in out and "location=900)" in out


def test_one_passage_on_two_pages_is_two_highlights() -> None:
    page = "([Page {0}](https://readwise.io/open/{0}))"
    out = clean(
        obsidian(f"Same words. {page.format(4)}", f"Same words. {page.format(40)}"), "obsidian"
    )
    assert out.count("Same words.") == 2


@pytest.mark.parametrize("link", [READER, INSTAPAPER], ids=["reader", "instapaper"])
def test_one_passage_with_two_ids_and_no_position_is_one_highlight(link: str) -> None:
    text = logseq(
        "Other. " + TWEET.format(9),  # a link only Readwise writes: the page is Readwise's
        f"Shared passage. {link.format('111')}",
        "\t  id:: 64f00000-0000-4000-8000-000000000001\n",
        "\t\t- **Note**: first note\n",
        f"Shared passage. {link.format('222')}",
        "\t\t- **Note**: second note\n",
    )
    out = clean(text)
    assert out.count("Shared passage.") == 1
    assert link.format("111") in out and link.format("222") not in out  # the first copy's link
    assert "id:: 64f00000-0000-4000-8000-000000000001" in out
    assert "first note" in out and "second note" in out


def test_a_referenced_id_of_the_later_copy_survives() -> None:
    text = obsidian(f"Shared. {READER.format('1')} ^rw1", f"Shared. {READER.format('2')} ^rw2")
    out = clean(text, "obsidian", frozenset({"rw2"}))
    assert "^rw2" in out and out.count("Shared.") == 1


# ---- placeholders -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Highlighted Image", "**Highlighted image**", "Image"])
def test_placeholders_are_never_merged(text: str) -> None:
    page = logseq(f"{text} {READER.format('1')}", f"{text} {READER.format('2')}")
    out = clean(page)
    assert READER.format("1") in out and READER.format("2") in out


def test_identical_placeholders_are_never_merged() -> None:
    # Even with the same link (two images at one Kindle location): a placeholder says nothing
    # of the image, so nothing shows the two are one.
    page = logseq(f"Highlighted Image {KINDLE.format(7)}", f"Highlighted Image {KINDLE.format(7)}")
    assert clean(page).count("Highlighted Image") == 2


def test_a_placeholder_is_not_a_real_sentence_about_images() -> None:
    page = logseq(
        f"An image is worth a word. {READER.format('1')}",
        f"An image is worth a word. {READER.format('2')}",
    )
    assert clean(page).count("An image is worth") == 1


# ---- tweets -------------------------------------------------------------------------------------


def test_a_tweet_key_holds_the_status_id() -> None:
    one, two = key(f"lol {TWEET.format(1001)}"), key(f"lol {TWEET.format(1002)}")
    assert one != two
    assert "1001" in one and "1002" in two
    assert key(f"lol {TWEET.format(1001)}") == key(f"lol  {TWEET.format(1001)}")


def test_the_same_words_tweeted_twice_are_two_highlights() -> None:
    out = clean(logseq(f"lol {TWEET.format(1001)}", f"lol {TWEET.format(1002)}"))
    assert "status/1001" in out and "status/1002" in out


def test_one_tweet_twice_is_one_highlight() -> None:
    url = TWEET.format(1001)
    out = clean(logseq(f"lol {url}", "\t\t- **Note**: a\n", f"lol {url}", "\t\t- **Note**: b\n"))
    assert out.count("status/1001") == 1 and "Note**: a" in out and "Note**: b" in out


def test_a_tweet_is_not_merged_with_a_location_of_the_same_words() -> None:
    assert key(f"lol {TWEET.format(7)}") != key(f"lol {KINDLE.format(7)}")


# ---- children merge only when equal -------------------------------------------------------------


def test_a_note_with_a_property_under_a_later_copy_is_kept() -> None:
    hl = f"Shared passage. {KINDLE.format(5)}"
    text = logseq(
        hl,
        "\t\t- **Note**: check this\n",
        hl,
        "\t\t- **Note**: check this\n",
        "\t\t  tags:: [[todo]]\n",
        f"Another one. {KINDLE.format(6)}",
        "\t\t- **Note**: check this\n\t\t  tags:: [[todo]]\n",  # the same lines elsewhere
    )
    out = clean(text)
    first = out.split("Another one.")[0]
    assert first.count("Shared passage.") == 1
    assert "tags:: [[todo]]" in first  # under the highlight that carried it


def test_a_note_with_a_link_the_user_added_is_kept_beside_the_plain_one() -> None:
    hl = f"Shared. {KINDLE.format(5)}"
    out = clean(logseq(hl, "\t\t- see beta\n", hl, "\t\t- see [[beta]]\n"))
    assert "see beta" in out and "see [[beta]]" in out and out.count("Shared.") == 1


def test_equal_notes_merge_modulo_white_space_and_mojibake() -> None:
    hl = f"Shared. {KINDLE.format(5)}"
    out = clean(logseq(hl, "\t\t- a  café\n", hl, "\t\t- a cafÃ©\n"))
    assert out.count("caf") == 1


def test_subtree_keys_keep_properties_links_and_nesting() -> None:
    def sub(*lines: str) -> tuple[object, ...]:
        page = parse(logseq(f"x {KINDLE.format(1)}", *lines), "logseq")
        return subtree_key(page.sections[0].items[0].children[0], "logseq")

    plain = sub("\t\t- note\n")
    assert sub("\t\t- note\n\t\t  tags:: [[todo]]\n") != plain
    assert sub("\t\t- [[note]]\n") != plain
    assert sub("\t\t- note\n\t\t\t- more\n") != sub("\t\t- note more\n")
    assert sub("\t\t-  note \n") == plain
    assert sub("\t\t- note\n\t\t  id:: 64f0\n") == plain  # ids are checked as ids
