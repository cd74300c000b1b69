"""The no-loss check: it names what an output lacks, and says nothing about real normalizations."""

from __future__ import annotations

from pathlib import Path

import pytest

from vaultsync.core import rules
from vaultsync.core.noloss import find_losses
from vaultsync.core.normalize import PageContext, normalize_page, parse

SAMPLES = Path(__file__).parent / "samples"

LINK = "([Location {0}](https://readwise.io/to_kindle?action=open&asin=B0X&location={0}))"

LOGSEQ = (
    "title:: T (highlights)\n"
    "author:: [[A]]\n"
    "\n"
    "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
    f"\t- first {LINK.format(1)}\n"
    "\t  id:: 64f00000-0000-4000-8000-000000000001\n"
    "\t\t- **Note**: about the first\n"
    f"\t- second {LINK.format(2)}\n"
    "\t- my own block\n"
    "- New highlights added [[Mar 1st, 2023]] at 9:00 AM\n"
    f"\t- third {LINK.format(3)}\n"
)

OBSIDIAN = (
    "# T\n\n## Highlights\n"
    f"- first {LINK.format(1)} ^rw1\n"
    "    - Note: about the first\n"
    f"- second {LINK.format(2)} ^keepme\n"
    "- my own line\n"
)


def losses(before: str, after: str, kind: str = "logseq", referenced=frozenset()) -> list[str]:
    return find_losses(parse(before, kind), parse(after, kind), frozenset(referenced))  # type: ignore[arg-type]


def test_nothing_missing_from_an_identical_page() -> None:
    assert losses(LOGSEQ, LOGSEQ) == []
    assert losses(OBSIDIAN, OBSIDIAN, "obsidian", {"keepme"}) == []


def test_a_dropped_highlight() -> None:
    after = LOGSEQ.replace(f"\t- second {LINK.format(2)}\n", "")
    found = losses(LOGSEQ, after)
    assert any(m.startswith("highlight") and "second" in m for m in found)


def test_a_highlight_whose_text_changed() -> None:
    after = LOGSEQ.replace("\t- second ", "\t- 2nd ")
    assert any(m.startswith("highlight") for m in losses(LOGSEQ, after))


def test_a_note_moved_to_another_highlight() -> None:
    after = LOGSEQ.replace("\t\t- **Note**: about the first\n", "").replace(
        f"\t- second {LINK.format(2)}\n",
        f"\t- second {LINK.format(2)}\n\t\t- **Note**: about the first\n",
    )
    found = losses(LOGSEQ, after)
    assert any(m.startswith("note") and "about the first" in m for m in found)


def test_a_note_moved_out_to_the_top_level() -> None:
    after = (
        LOGSEQ.replace("\t\t- **Note**: about the first\n", "") + "- **Note**: about the first\n"
    )
    assert any(m.startswith("note") for m in losses(LOGSEQ, after))


def test_a_dropped_logseq_id() -> None:
    after = LOGSEQ.replace("\t  id:: 64f00000-0000-4000-8000-000000000001\n", "")
    assert "block id 64f00000-0000-4000-8000-000000000001" in losses(LOGSEQ, after)


def test_a_logseq_id_on_a_users_block() -> None:
    before = LOGSEQ.replace("\t- my own block\n", "\t- my own block\n\t  id:: 64f0-user\n")
    after = before.replace("\t  id:: 64f0-user\n", "")
    assert "block id 64f0-user" in losses(before, after)


def test_a_dropped_referenced_obsidian_id() -> None:
    after = OBSIDIAN.replace(" ^keepme", "")
    assert "block id keepme" in losses(OBSIDIAN, after, "obsidian", {"keepme"})


def test_an_unreferenced_obsidian_id_may_go() -> None:
    after = OBSIDIAN.replace(" ^rw1", "")
    assert losses(OBSIDIAN, after, "obsidian", {"keepme"}) == []


@pytest.mark.parametrize(
    ("kind", "before", "line"),
    [
        ("logseq", LOGSEQ, "\t- my own block\n"),
        ("obsidian", OBSIDIAN, "- my own line\n"),
        ("logseq", LOGSEQ, "author:: [[A]]\n"),
    ],
)
def test_a_dropped_user_line(kind: str, before: str, line: str) -> None:
    after = before.replace(line, "")
    found = losses(before, after, kind, {"keepme"})
    assert any(m.startswith("line") for m in found), found


def test_a_dropped_logseq_property_on_a_highlight() -> None:
    before = LOGSEQ.replace(
        f"\t- second {LINK.format(2)}\n", f"\t- second {LINK.format(2)}\n\t  rating:: 5\n"
    )
    after = before.replace("\t  rating:: 5\n", "")
    assert any("rating" in m for m in losses(before, after))


def test_a_property_dropped_from_its_highlight_even_if_the_line_occurs_elsewhere() -> None:
    before = (
        LOGSEQ.replace(
            f"\t- second {LINK.format(2)}\n", f"\t- second {LINK.format(2)}\n\t  rating:: 5\n"
        )
        + "- my ratings\n  rating:: 5\n"
    )
    after = before.replace(f"{LINK.format(2)}\n\t  rating:: 5\n", f"{LINK.format(2)}\n", 1)
    assert after != before
    found = losses(before, after)
    assert any(m.startswith("property") and "rating" in m for m in found), found


@pytest.mark.parametrize(
    ("kind", "before", "heading"),
    [
        ("logseq", LOGSEQ, "- New highlights added [[Mar 1st, 2023]] at 9:00 AM (reread!)\n"),
        ("obsidian", OBSIDIAN, "## Highlights I disagree with\n"),
    ],
)
def test_a_dropped_heading_of_the_users_own(kind: str, before: str, heading: str) -> None:
    anchor = "- New highlights added" if kind == "logseq" else "- my own line"
    if kind == "logseq":
        before = before.replace("- New highlights added [[Mar 1st, 2023]] at 9:00 AM\n", heading)
    else:
        before = before.replace(
            "- my own line\n", f"- my own line\n\n{heading}- x {LINK.format(9)}\n"
        )
    assert anchor in before and heading in before
    after = before.replace(heading, "")
    assert any(m.startswith("line") for m in losses(before, after, kind, {"keepme"}))


def test_a_folded_section_heading_is_not_a_loss() -> None:
    after = LOGSEQ.replace("- New highlights added [[Mar 1st, 2023]] at 9:00 AM\n", "")
    assert losses(LOGSEQ, after) == []


def test_the_losses_are_reported_by_normalize_page(monkeypatch: pytest.MonkeyPatch) -> None:
    def careless_order(page) -> int:  # a broken rule: drops the last item of each section
        for section in page.sections:
            section.items = section.items[:-1]
        return 1

    monkeypatch.setattr(rules, "order", careless_order)
    out = normalize_page(LOGSEQ, "logseq")
    assert out.changed and out.losses
    assert any("third" in m for m in out.losses)  # after folding, "third" comes last


# ---- real normalizations lose nothing -----------------------------------------------------------


SAMPLE_PAGES = [
    ("logseq", p) for p in sorted((SAMPLES / "logseq" / "pages").glob("*(highlights).md"))
] + [("obsidian", p) for p in sorted((SAMPLES / "obsidian" / "Readwise").rglob("*.md"))]


@pytest.mark.parametrize(("kind", "path"), SAMPLE_PAGES, ids=lambda v: getattr(v, "name", v))
def test_no_losses_for_the_samples(kind: str, path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    out = normalize_page(text, kind)  # type: ignore[arg-type]
    assert out.changed
    assert out.losses == []
    assert losses(text, out.text, kind) == []


def test_no_losses_for_a_referenced_id_kept_over_the_first() -> None:
    text = f"# T\n\n## Highlights\n- quote {LINK.format(1)} ^rw1\n- quote {LINK.format(1)} ^rw2\n"
    ctx = PageContext(referenced_ids=frozenset({"rw2"}))
    out = normalize_page(text, "obsidian", context=ctx)
    assert out.losses == [] and "^rw2" in out.text and "^rw1" not in out.text


# ---- the check catches each trap: hand-made broken outputs (issue 13 item 2) --------------------

NOTE_PAGE = (
    "title:: T (highlights)\n\n"
    "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
    f"\t- Shared passage. {LINK.format(5)}\n"
    "\t\t- **Note**: check this\n"
    f"\t- Another one. {LINK.format(6)}\n"
    "\t\t- **Note**: check this\n"
    "\t\t  tags:: [[todo]]\n"
    "- New highlights added [[Mar 1st, 2023]] at 9:00 AM\n"
    f"\t- Shared passage. {LINK.format(5)}\n"
    "\t\t- **Note**: check this\n"
    "\t\t  tags:: [[todo]]\n"
)


def test_a_property_dropped_from_a_merged_note_while_the_line_stays_elsewhere() -> None:
    broken = (  # the later copy merged into the first, its note taken for the first's
        "title:: T (highlights)\n\n"
        "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
        f"\t- Shared passage. {LINK.format(5)}\n"
        "\t\t- **Note**: check this\n"
        f"\t- Another one. {LINK.format(6)}\n"
        "\t\t- **Note**: check this\n"
        "\t\t  tags:: [[todo]]\n"
    )
    found = losses(NOTE_PAGE, broken)
    assert found == ["note '**Note**: check this' of highlight 'Shared passage.'"]


def test_the_merged_note_kept_beside_the_first_is_no_loss() -> None:
    good = (
        "title:: T (highlights)\n\n"
        "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
        f"\t- Shared passage. {LINK.format(5)}\n"
        "\t\t- **Note**: check this\n"
        "\t\t- **Note**: check this\n"
        "\t\t  tags:: [[todo]]\n"
        f"\t- Another one. {LINK.format(6)}\n"
        "\t\t- **Note**: check this\n"
        "\t\t  tags:: [[todo]]\n"
    )
    assert losses(NOTE_PAGE, good) == []
    assert normalize_page(NOTE_PAGE, "logseq").text == good


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_a_link_stripped_from_a_highlight(kind: str) -> None:
    before = LOGSEQ if kind == "logseq" else OBSIDIAN
    before = before.replace("- second ", "- second [[beta]] ")
    after = before.replace("[[beta]]", "beta")
    assert losses(before, after, kind, {"keepme"}) == ["highlight 'second [[beta]]'"]


def test_a_link_stripped_from_a_note() -> None:
    before = LOGSEQ.replace("about the first", "about [[beta]]")
    after = before.replace("[[beta]]", "beta")
    assert losses(before, after) == ["note '**Note**: about [[beta]]' of highlight 'first'"]


def test_a_link_stripped_from_a_page_property() -> None:
    assert losses(LOGSEQ, LOGSEQ.replace("author:: [[A]]", "author:: A")) == [
        "line 'author:: [[A]]'"
    ]


def test_a_link_added_to_a_page_property_is_no_loss() -> None:
    before = LOGSEQ.replace("author:: [[A]]", "author:: A")
    assert losses(before, LOGSEQ) == []


def test_two_locations_merged_into_one() -> None:
    before = LOGSEQ.replace(f"\t- third {LINK.format(3)}\n", f"\t- second {LINK.format(900)}\n")
    after = before.replace(f"\t- second {LINK.format(900)}\n", "")
    assert losses(before, after) == ["highlight 'second'"]


def test_a_referenced_id_dropped_in_a_merge() -> None:
    before = OBSIDIAN + f"- second {LINK.format(2)} ^rw2\n"
    after = OBSIDIAN.replace(" ^keepme", "")  # merged: the copy with the referenced id went
    found = losses(before, after, "obsidian", {"keepme"})
    assert "block id keepme" in found
    assert "block id keepme of highlight 'second'" in found


def test_an_id_moved_to_another_highlight() -> None:
    before = LOGSEQ
    after = LOGSEQ.replace("\t  id:: 64f00000-0000-4000-8000-000000000001\n", "").replace(
        f"\t- second {LINK.format(2)}\n",
        f"\t- second {LINK.format(2)}\n\t  id:: 64f00000-0000-4000-8000-000000000001\n",
    )
    assert losses(before, after) == [
        "block id 64f00000-0000-4000-8000-000000000001 of highlight 'first'"
    ]


def test_a_property_line_moved_to_the_same_note_under_another_highlight() -> None:
    before = LOGSEQ.replace(
        "\t\t- **Note**: about the first\n", "\t\t- **Note**: x\n\t\t  tags:: [[t]]\n"
    ).replace(f"\t- second {LINK.format(2)}\n", f"\t- second {LINK.format(2)}\n\t\t- **Note**: x\n")
    after = before.replace(
        "\t\t- **Note**: x\n\t\t  tags:: [[t]]\n", "\t\t- **Note**: x\n", 1
    ).replace(
        f"\t- second {LINK.format(2)}\n\t\t- **Note**: x\n",
        f"\t- second {LINK.format(2)}\n\t\t- **Note**: x\n\t\t  tags:: [[t]]\n",
    )
    assert after.count("tags:: [[t]]") == 1
    # The note under "second" changed too (a line it did not have): both are named.
    assert losses(before, after) == [
        "note '**Note**: x' of highlight 'first'",
        "note '**Note**: x' of highlight 'second'",
    ]


def test_a_grandchild_moved_out_of_its_note() -> None:
    before = LOGSEQ.replace(
        "\t\t- **Note**: about the first\n", "\t\t- **Note**: about the first\n\t\t\t- and more\n"
    )
    after = before.replace("\t\t\t- and more\n", "").replace(
        "\t- my own block\n", "\t- my own block\n\t\t- and more\n"
    )
    assert losses(before, after) == [
        "note '**Note**: about the first' of highlight 'first'",
        "line 'my own block'",
    ]


def test_a_users_block_that_lost_its_property() -> None:
    before = LOGSEQ.replace("\t- my own block\n", "\t- my own block\n\t  rating:: 5\n")
    after = before.replace("\t  rating:: 5\n", "") + "- my ratings\n  rating:: 5\n"
    assert losses(before, after) == ["line 'my own block'"]


def test_a_folded_section_may_take_the_collapsed_line_logseq_wrote_into_it() -> None:
    before = LOGSEQ.replace(
        "- New highlights added [[Mar 1st, 2023]] at 9:00 AM\n",
        "- New highlights added [[Mar 1st, 2023]] at 9:00 AM\n  collapsed:: true\n",
    )
    after = LOGSEQ.replace("- New highlights added [[Mar 1st, 2023]] at 9:00 AM\n", "")
    assert losses(before, after) == []
    mine = before.replace("  collapsed:: true\n", "  collapsed:: true\n  rating:: 5\n")
    assert losses(mine, after) == ["line 'rating:: 5'"]  # a property of the user's own
