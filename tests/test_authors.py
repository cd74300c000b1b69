"""Author pages: safe file names from untrusted names, and the managed list of sources."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.core import authors
from vaultsync.core.authors import Source, UnsafeName
from vaultsync.render import error_message

# ---- file names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Page/Sub", "Page___Sub"),
        ("a:b", "a%3Ab"),
        ("C#", "C%23"),
        ('a*b?c"d<e>f|g\\h', "a%2Ab%3Fc%22d%3Ce%3Ef%7Cg%5Ch"),
        (".hidden", "%2Ehidden"),
        ("x___y", "x%5F%5F%5Fy"),
        ("CON", "CON___"),
        ("lpt1", "lpt1___"),
        ("@AlexTamkin on Twitter", "@AlexTamkin on Twitter"),
        ("Über Straße 👇", "Über Straße 👇"),
        ("  Marta Quill  ", "Marta Quill"),
    ],
)
def test_logseq_file_names_follow_triple_lowbar(name: str, stem: str) -> None:
    assert authors.logseq_file_stem(name) == stem
    assert authors.logseq_page_name(stem) == name.strip()


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("ops-notes.example", "ops-notes.example"),
        ("a/b", "a b"),
        ("What: Why?", "What Why"),
        ('a*b"c<d>e|f#g^h[i]j\\k', "a b c d e f g h i j k"),
        ("CON", "CON_"),
        ("..x", "x"),
        ("x. ", "x"),
    ],
)
def test_obsidian_file_names_are_safe_everywhere(name: str, stem: str) -> None:
    assert authors.obsidian_file_stem(name) == stem


@pytest.mark.parametrize(
    ("name", "link"),
    [
        ("Marta Quill", "[[Marta Quill]]"),
        ("a/b", "[[a b|a/b]]"),
        ("What: Why?", "[[What Why|What: Why?]]"),
    ],
)
def test_obsidian_links_show_the_original_name(name: str, link: str) -> None:
    assert authors.obsidian_link(name) == link


@pytest.mark.parametrize(
    "name", ["", "   ", "..", ". .", "a\x00b", "a\nb", "tab\there", "x" * 300, "é" * 200]
)
def test_unsafe_names_are_refused_with_a_reason(name: str) -> None:
    for stem in (authors.logseq_file_stem, authors.obsidian_file_stem):
        with pytest.raises(UnsafeName) as err:
            stem(name)
        assert error_message(err.value).startswith("the author name")
    assert authors.obsidian_link(name) is None


def test_obsidian_name_of_only_forbidden_characters_is_refused() -> None:
    with pytest.raises(UnsafeName):
        authors.obsidian_file_stem('?*:"')


@given(st.text(max_size=300))
def test_any_name_gives_a_plain_file_name_or_a_refusal(name: str) -> None:
    for make in (authors.logseq_file_stem, authors.obsidian_file_stem):
        try:
            stem = make(name)
        except UnsafeName:
            continue
        assert stem and "/" not in stem and "\x00" not in stem
        assert stem not in (".", "..") and not stem.startswith(".")
        assert len((stem + ".md").encode("utf-8")) <= 255


@given(st.text(min_size=1, max_size=80).filter(lambda n: "%" not in n))
def test_logseq_page_name_inverts_the_file_name(name: str) -> None:
    # (a literal "%3A" in a name reads back as ":": such pages get a title:: line, see below)
    try:
        stem = authors.logseq_file_stem(name)
    except UnsafeName:
        return
    assert authors.logseq_page_name(stem) == name.strip()


@pytest.mark.parametrize(
    ("value", "target"),
    [
        ("[[Marta Quill]]", "Marta Quill"),
        ("[[a b|a/b]]", "a b"),
        (" [[@h on Twitter]] ", "@h on Twitter"),
        ("Marta Quill", None),
        ("[[A]] and [[B]]", None),
        ("#[[tag]]", None),
    ],
)
def test_link_target(value: str, target: str | None) -> None:
    assert authors.link_target(value) == target


# ---- managed pages ------------------------------------------------------------------------------

THREAD = Source(link="Almost Two Years After G... (highlights)", category="tweets", highlights=12)
BOOK = Source(link="The Art of Maintenance (highlights)", category="books", highlights=3)


def test_new_logseq_author_page_lists_its_sources() -> None:
    text = authors.logseq_author_page("@AlexTamkin on Twitter", [THREAD], with_title=False)
    assert "[[Almost Two Years After G... (highlights)]]" in text
    assert authors.LOGSEQ_MARKER in text
    assert "title::" not in text
    assert authors.update_logseq_author_page(text, [THREAD]) == text


def test_new_logseq_author_page_names_itself_when_the_file_name_cannot() -> None:
    assert authors.logseq_page_name(authors.logseq_file_stem("100%3A")) != "100%3A"
    text = authors.logseq_author_page("100%3A", [THREAD], with_title=True)
    assert text.startswith("title:: 100%3A\n")


def test_logseq_author_page_update_adds_and_removes_sources_and_keeps_the_rest() -> None:
    mine_before = "alias:: Alex\n\n- my own notes about this author\n"
    mine_after = "- another block of mine\n"
    managed = authors.logseq_author_page("Alex", [THREAD], with_title=False)
    text = mine_before + managed + mine_after
    both = authors.update_logseq_author_page(text, [THREAD, BOOK])
    assert both is not None
    assert both.startswith(mine_before) and both.endswith(mine_after)
    assert "[[The Art of Maintenance (highlights)]]" in both
    assert "[[Almost Two Years After G... (highlights)]]" in both
    one = authors.update_logseq_author_page(both, [BOOK])
    assert one is not None and "Almost Two Years" not in one
    assert one.startswith(mine_before) and one.endswith(mine_after)
    assert authors.update_logseq_author_page(one, [BOOK]) == one


def test_logseq_author_page_update_keeps_crlf_and_bom() -> None:
    text = "\ufeff" + authors.logseq_author_page("A", [THREAD], False).replace("\n", "\r\n")
    new = authors.update_logseq_author_page(text, [THREAD, BOOK])
    assert new is not None and new.startswith("\ufeff")
    assert "\n" not in new.replace("\r\n", "")


def test_a_page_without_the_managed_block_is_not_ours() -> None:
    assert authors.update_logseq_author_page("- [[x]]\n", [THREAD]) is None
    assert authors.update_obsidian_author_note("# A\n\n- [[x]]\n", [THREAD]) is None


def test_obsidian_author_note_update_touches_only_the_region() -> None:
    note = authors.obsidian_author_note("ops-notes.example", [THREAD])
    assert "[[Almost Two Years After G... (highlights)]]" in note
    text = note + "\n## My notes\nThey write well.\n"
    new = authors.update_obsidian_author_note(text, [BOOK])
    assert new is not None
    assert "Almost Two Years" not in new and "[[The Art of Maintenance (highlights)]]" in new
    assert new.endswith("\n## My notes\nThey write well.\n")
    begin = text.index(authors.OBSIDIAN_BEGIN)
    assert new[:begin] == text[:begin]
    assert authors.update_obsidian_author_note(new, [BOOK]) == new
