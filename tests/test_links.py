"""The table of Readwise link forms (core/links.py): each form read as the guide says, and the
byte prefilter made from it never skips a page the parser recognises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hypo_profiles import scaled
from strategies import ordinary_notes, readwise_pages
from vaultsync.core import links
from vaultsync.core.highlights import location
from vaultsync.core.model import Item
from vaultsync.core.normalize import is_readwise_page, parse
from vaultsync.pipeline.classify import CANDIDATE

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("link", "position", "number"),
    [
        (
            "([View Tweet](https://twitter.com/h/status/1630000000000000100))",
            "tweet",
            1630000000000000100,
        ),
        ("([View Tweet](https://x.com/h/status/17?rw_tt_thread=True))", "tweet", 17),
        ("([View Tweet](https://twitter.com/search?q=small%20teams&src=typed_query))", None, None),
        (
            f"([Location{NBSP}56](https://readwise.io/to_kindle?action=open&asin=B0&location=56))",
            "location",
            56,
        ),
        ("([Location 1234](https://readwise.io/to_kindle?location=1234))", "location", 1234),
        (f"([Page{NBSP}12](https://readwise.io/open/9))", "page", 12),
        ("([Page\t7](https://readwise.io/open/9))", "page", 7),
        ("([Time 0:22:04](https://share.snipd.com/snip/abc))", "time", 22 * 60 + 4),
        ("([Time 1:02:03](https://airr.io/quote/x))", "time", 3723),
        ("([Time 12:30](https://airr.io/quote/x))", "time", 750),
        ("([View Highlight](https://read.readwise.io/read/01h8x))", None, None),
        ("([View Highlight](https://instapaper.com/read/123/456))", None, None),
        ("([View Post](https://medium.com/p/abc))", None, None),
    ],
)
def test_every_link_form_gives_its_position(link: str, position: str | None, number: int | None):
    loc = location(Item([f"- some text {link}\n"]), "logseq")
    assert loc is not None
    assert loc.order_kind == position
    assert loc.order_key == number


def test_every_example_of_the_table_is_a_location_link():
    for form in links.FORMS:
        assert links.LOCATION_LINK.fullmatch(form.example), form.example
        assert links.PREFILTER.search(form.example.encode()), form.example


def test_a_link_of_the_users_own_is_no_position():
    assert location(Item(["- quote ([Page 30](https://books.example/x))\n"]), "logseq") is None


# ---- the prefilter never rejects a page the parser recognises --------------------------------

_FRAGMENTS = [
    "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n",
    "- New highlights added [[2023\\-07\\-02]] at 11:46 PM\n",
    "- New highlights added later\n",
    "## Highlights\n",
    "### New highlights synced\n",
    "## New highlights added November 20, 2024 at 12:15 AM\n",
    "## Metadata\n- Author: [[A]]\n- Category: #books\n",
    "---\ntype: digest\n---\n",
    "---\nauthor: A\n---\n",
    "![rw-book-cover](https://x/y.jpg)\n",
    "\t- text ([View Tweet](https://twitter.com/h/status/5))\n",
    "- text ([View Tweet](https://x.com/h/status/6?rw_tt_thread=True))\n",
    f"- text ([Location{NBSP}5](https://readwise.io/to_kindle?location=5))\n",
    "- text ([Time 0:01:02](https://share.snipd.com/x))\n",
    "- text ([View Highlight](https://instapaper.com/read/1/2))\n",
    "- text [Open in Readwise](https://readwise.io/open/1)\n",
    "- see https://readwise.io/read/abc\n",
    "- text ([Page 3](https://books.example/x))\n",
    "- a plain highlight without any link\n",
    "\t- a plain child\n",
    "    - Note: a note\n",
    "# Title\n",
    "\n",
]


@st.composite
def _assembled(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(["logseq", "obsidian"]))
    parts = draw(st.lists(st.sampled_from(_FRAGMENTS), max_size=12))
    return kind, "".join(parts)


@scaled(400)
@given(_assembled())
def test_prefilter_never_rejects_an_assembled_page_the_parser_recognises(case):
    kind, text = case
    if is_readwise_page(parse(text, kind), text):  # type: ignore[arg-type]
        assert CANDIDATE.search(text.encode("utf-8"))


@scaled(60)
@given(readwise_pages())
def test_prefilter_admits_every_generated_readwise_page(page):
    text, truth = page
    assert is_readwise_page(parse(text, truth.app), text)  # type: ignore[arg-type]
    assert CANDIDATE.search(text.encode("utf-8"))


@scaled(60)
@given(st.sampled_from(["logseq", "obsidian"]), ordinary_notes())
def test_prefilter_never_rejects_an_ordinary_note_the_parser_recognises(kind, text):
    if is_readwise_page(parse(text, kind), text):
        assert CANDIDATE.search(text.encode("utf-8"))
