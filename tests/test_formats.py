"""One parser per construct: the formats (core/formats.py) and their syntax (core/syntax.py).

The grep test fails when a copy of a construct's parser comes back outside core/syntax.py; the
others pin down that every caller reads a construct the same way (the copies once disagreed).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vaultsync.core import authors, formats, obsidian, syntax
from vaultsync.core.text import split_lines

SOURCE = Path(__file__).resolve().parents[1] / "daemon" / "vaultsync"
HOME = "core/syntax.py"

# What a copy of each construct's parser looks like in source.
COPIES = {
    "a wiki-link regex": re.compile(r"\\\[\\\[(?:\(|\[\^)"),
    "a frontmatter end test": re.compile(r"""(?:[=!]= |in \()["']---["']"""),
    "a title::/alias:: regex": re.compile(
        r"""re\.\w+\(\s*r?["'][^"']*(?:title|alias)\)?::""", re.IGNORECASE
    ),
    "a Logseq property regex": re.compile(r"""["'][^"']*\[A-Za-z0-9_\.\\-\]\+\)::"""),
    "an org keyword regex": re.compile(r"#\\\+\("),
    "a collapsed:: regex": re.compile(r"""re\.\w+\(\s*r?["'][^"']*collapsed::"""),
}
# Lines that look like a copy but are another construct, each with why.
ALLOWED = {
    # The date link a Logseq sync heading may carry: part of the one sync-heading parser.
    ("core/logseq.py", r"(?:[ \t]+\[\[[^\]]*\]\])?"),
}


def _copies() -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        rel = path.relative_to(SOURCE).as_posix()
        if rel == HOME:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(rel == f and piece in line for f, piece in ALLOWED):
                continue
            found += [
                f"{rel}:{number}: {what}: {line.strip()}"
                for what, pattern in COPIES.items()
                if pattern.search(line)
            ]
    return found


def test_each_construct_is_parsed_only_in_core_syntax() -> None:
    assert _copies() == [], "use the parser in vaultsync/core/syntax.py instead of a copy"


def test_the_copy_finder_finds_the_old_copies() -> None:
    """The patterns above match the copies this test replaced (so the grep is not vacuous)."""
    old = [
        r'_LINKS = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]*))?\]\]")',
        r'found = re.findall(r"\[\[([^\]]+)\]\]", value)',
        'if body(lines[i]).rstrip() in ("---", "..."):',
        'if not lines or body(lines[0]) != "---":',
        r'm = re.match(r"^(alias::[ \t]*)(.*?)([ \t]*)$", body(lines[i]), re.IGNORECASE)',
        r'lines = [ln for ln in lines if not re.match(r"^(title|alias)::", body(ln))]',
        r'LOGSEQ_PROPERTY = re.compile(r"^[ \t]*([A-Za-z0-9_.\-]+):: ?(.*)$")',
        r'ORG_KEYWORD = re.compile(r"^\s*#\+([A-Za-z_-]+):\s*(.*?)\s*$")',
        r'_COLLAPSED = re.compile(r"^[ \t]*collapsed:: *true[ \t]*$")',
    ]
    for line in old:
        assert any(p.search(line) for p in COPIES.values()), line


@pytest.mark.parametrize(
    "text",
    [
        "---\naliases:\n  - Dan\n---\n# Daniel\n",
        "--- \naliases:\n  - Dan\n--- \n# Daniel\n",  # trailing space: once read two ways
        "---\r\naliases:\r\n  - Dan\r\n...\r\n# Daniel\r\n",
    ],
)
def test_author_notes_and_the_parser_agree_on_the_frontmatter(text: str) -> None:
    """The note parser and the author-page code find the same frontmatter (the author code
    once required `---` exactly, so a note whose parser saw aliases had none to it)."""
    page = obsidian.parse(text)
    assert "".join(page.segments[0]).startswith(text.split("aliases")[0])
    assert len(page.segments[0]) == syntax.frontmatter_close(split_lines(text)) + 1
    assert formats.OBSIDIAN.page_aliases(text) == ["Dan"]


@pytest.mark.parametrize(
    ("head", "names"),
    [
        ("title:: Daniel Kahneman\nalias:: [[Dan]], Danny\n", [("Daniel Kahneman", False)]),
        ("\ntitle:: X\n\nalias:: [[A, B]]\n- block\n", [("X", False)]),
        ("Some text\ntitle:: X\n", []),  # properties come first, or are a block's
    ],
)
def test_logseq_names_and_aliases_come_from_one_reading(head: str, names: list) -> None:
    """The name index and the author-page code read `title::`/`alias::` the same way."""
    given = formats.LOGSEQ.page_names("stem", head.encode())
    aliases = [name for name, alias in given if alias]
    assert given == [("stem", False), *names, *((a, True) for a in aliases)]
    assert formats.LOGSEQ.page_aliases(head) == aliases


def test_wiki_links_read_alike_everywhere() -> None:
    value = "[[Kahneman|Daniel Kahneman]] and [[|nothing]] and [[Tversky]]"
    assert [syntax.shown(m) for m in syntax.named_links(value)] == ["Daniel Kahneman", "Tversky"]
    assert authors.link_target(" [[Kahneman|Daniel]] ") == "Kahneman"
    assert authors.link_target("[[|Daniel]]") is None
    assert syntax.block_refs("see ![[Note#^abc-1|x]] and [[#^def]]") == ["abc-1", "def"]


def test_every_kind_has_a_format() -> None:
    assert set(formats.FORMATS) == {"logseq", "obsidian"}
    assert formats.LOGSEQ.named == "a Logseq graph"
    assert formats.OBSIDIAN.named == "an Obsidian vault"


# A comparison of a kind with an app's name: what the formats replaced ("the `kind ==` branches
# become calls on the format"). Either way round, `==` or `!=`, any quotes.
KIND_TEST = re.compile(
    r"""kind\s*[!=]=\s*["'](?:logseq|obsidian)["']|["'](?:logseq|obsidian)["']\s*[!=]=\s*[\w.]*kind"""
)
# The one module that may name the apps' kinds in a comparison. (Tables keyed by kind, such as
# highlights.ITEM_SYNTAX, are no comparison.) Any other entry needs a written reason.
KIND_HOME = "core/formats.py"
KIND_ALLOWED: dict[str, str] = {}


def _kind_tests() -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        rel = path.relative_to(SOURCE).as_posix()
        if rel == KIND_HOME or rel in KIND_ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if KIND_TEST.search(line):
                found.append(f"{rel}:{number}: {line.strip()}")
    return found


def test_no_kind_comparison_outside_the_formats() -> None:
    assert _kind_tests() == [], "ask formats.of(kind) (add a field to Format) instead"


def test_the_kind_finder_finds_the_old_branches() -> None:
    """The pattern matches the branches the formats replaced (so the grep is not vacuous)."""
    old = [
        'if kind == "logseq":',
        "if page.kind != 'obsidian':",
        'if self.vault.kind == "logseq":',
        'quote = "obsidian" == vault.kind',
    ]
    assert all(KIND_TEST.search(line) for line in old)
    assert not KIND_TEST.search('fmt = formats.of(kind)  # "logseq" or "obsidian"')


def test_the_item_table_and_the_formats_know_the_same_kinds() -> None:
    from vaultsync.core.highlights import ITEM_SYNTAX

    assert set(ITEM_SYNTAX) == set(formats.FORMATS)

    def found(m: re.Match[str] | None) -> str | None:
        return m.group(1) if m else None

    lines = ["id:: abc", "  ID:: 6512-ab ", "- text ^abc-1", "- plain", "- text id:: x"]
    for kind, fmt in formats.FORMATS.items():
        syn = ITEM_SYNTAX[kind]
        assert [found(syn.block_id(x)) for x in lines] == [found(fmt.block_id(x)) for x in lines]
