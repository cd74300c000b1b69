"""mistune, a CommonMark parser independent of ours, judges the Obsidian pages we clean."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from tests.obsidian_view import compare, highlight_items
from tests.strategies import obsidian_pages

from vaultsync.core.normalize import normalize_page

SAMPLES = Path(__file__).parent / "samples" / "obsidian"


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def test_viewer_sees_the_sample_structure():
    text = _read(SAMPLES / "Readwise" / "Tweets" / "Small Teams Ship Faster....md")
    items = highlight_items(text)
    assert len(items) == 5  # three in "## Highlights", two appended
    assert [c.text for c in items[0].children] == ["Note: Thread"]


def test_every_sample_keeps_its_structure_for_mistune():
    for path in sorted(SAMPLES.rglob("*.md")):
        before = _read(path)
        after = normalize_page(before, "obsidian").text
        assert compare(before, after) == [], path.name


def test_the_comparison_catches_a_note_moved_away():
    before = "## Highlights\n- a ([View Tweet](https://x.com/h/status/1))\n    - Note: n\n"
    after = "## Highlights\n- a ([View Tweet](https://x.com/h/status/1))\n- Note: n\n"
    assert any("no longer under" in p for p in compare(before, after))


def test_the_comparison_catches_a_lost_highlight():
    before = "## Highlights\n- a ([Location 1](https://readwise.io/to_kindle?location=1))\n"
    after = "## Highlights\n"
    assert any("missing" in p for p in compare(before, after))


@given(obsidian_pages())
def test_generated_pages_keep_their_structure_for_mistune(generated):
    after = normalize_page(generated.text, "obsidian").text
    assert compare(generated.text, after) == []
