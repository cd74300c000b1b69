"""One `Format` per app: what differs between a Logseq graph and an Obsidian vault, in one place.

Code that needs an answer that depends on the app asks `FORMATS[kind]` (or `of(kind)`) instead of
branching on `kind == "logseq"`. Each field is the one function for its construct; the small
syntax parsers behind them live in `core/syntax.py`. Pure, like the rest of the core.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from vaultsync.core import authors, logseq, obsidian, syntax
from vaultsync.core.highlights import LOGSEQ_ID, OBSIDIAN_ID
from vaultsync.core.identity import fold
from vaultsync.core.model import Kind, Page, Section

Names = list[tuple[str, bool]]
_NAME_HEAD = 4096  # page names are read from the top of the file (properties come first)


@dataclass(frozen=True)
class Format:
    """An app's page format: parsing, its sync headings, author line, block ids, page names and
    author pages."""

    kind: Kind
    app: str  # how a message names a folder of this app: "Logseq graph"
    marker: str  # what in a folder tells the app: "logseq/config.edn"
    parse: Callable[[str], Page]
    is_sync_heading: Callable[[str], bool]  # a heading line a Readwise sync writes
    section_removable: Callable[[Section], bool]  # an emptied later section may go
    is_fold_state: Callable[[str], bool]  # a line the app writes when a block is (un)folded
    author_line: Callable[[Page], tuple[list[str], int] | None]  # where the author value sits
    block_id: Callable[[str], re.Match[str] | None]  # a line's block id (`id::` / `^id`)
    id_needle: str  # a literal every block id line holds (a cheap test before the regex)
    # Logseq writes an `id::` only for a block something references, so every one must stay;
    # an Obsidian `^id` must stay when some note links to it.
    keeps_every_id: bool
    block_properties: bool  # a block carries its own `key:: value` lines (collapsed::, the user's)
    page_names: Callable[[str, bytes], Names]  # (file stem, bytes) → names, each with is-alias
    page_aliases: Callable[[str], list[str]]  # the aliases an (author) page lists
    # A link to any name of a page reaches it (Logseq's `alias::`); else a link to another name
    # of a person must be pointed at the canonical note (Obsidian).
    resolves_aliases: bool
    file_stem: Callable[[str], str]  # a page name → a safe file name (raises UnsafeName)
    name_key: Callable[[str], str]  # how the name index keys a page name (raises UnsafeName)
    update_author_page: Callable[..., str | None]  # refresh our managed region and aliases
    user_text: Callable[[str, str], str]  # (author page, its name) → what the user wrote on it
    kept_frontmatter: Callable[[str], list[str]]  # what a merged author page's frontmatter keeps
    author_link: Callable[[str], str | None]  # a plain author name → a link (None: can't be)
    source_link: Callable[[str, dict[str, str]], str]  # (stem, meta) → how a page is linked to
    # (name, sources, aliases, the graph's file name format) → a new author page's (stem, text)
    new_author_page: Callable[[str, list[authors.Source], list[str], str], tuple[str, str]]
    # Author pages go to the graph's pages folder (Logseq), else to the configured authors folder.
    authors_in_pages: bool
    # A page is an outline of blocks (Logseq), not Markdown paragraphs under headings (Obsidian):
    # no heading-per-highlight notes, no page written whole twice, chapters only inside sections.
    outline: bool
    frontmatter: bool  # a page's own properties are YAML frontmatter (another tool's, or ours)
    # The Readwise plugin writes into a folder of its own: its pages are Readwise's by their place.
    plugin_folder: bool
    reads_canvas: bool  # canvas files link to blocks (Obsidian)
    org_pages: bool  # `.org` pages give page names (Logseq)

    @property
    def named(self) -> str:
        """The app's folder with its article, for a sentence: "a Logseq graph"."""
        return ("an " if self.app[0] in "AEIOU" else "a ") + self.app

    def essential(self, ids: set[str], referenced: frozenset[str]) -> set[str]:
        """Of a unit's block ids, those that must survive (see keeps_every_id)."""
        return ids if self.keeps_every_id else ids & referenced


def _logseq_names(stem: str, data: bytes) -> Names:
    head = data[:_NAME_HEAD].decode("utf-8", errors="replace").lstrip("\ufeff")
    return [(authors.logseq_page_name(stem), False), *syntax.logseq_names(head)]


def _obsidian_names(stem: str, data: bytes) -> Names:
    return [(stem, False)]  # a note answers to its file name


def _new_logseq_page(
    name: str, sources: list[authors.Source], aliases: list[str], name_format: str
) -> tuple[str, str]:
    stem = authors.logseq_file_stem(name)
    # A `title::` only where the file name does not say the name already.
    with_title = name_format != "triple-lowbar" or authors.logseq_page_name(stem) != name
    return stem, authors.logseq_author_page(name, sources, with_title, aliases)


def _new_obsidian_note(
    name: str, sources: list[authors.Source], aliases: list[str], name_format: str
) -> tuple[str, str]:
    stem = authors.obsidian_file_stem(name)
    return stem, authors.obsidian_author_note(name, sources, aliases)


LOGSEQ = Format(
    kind="logseq",
    app="Logseq graph",
    marker="logseq/config.edn",
    parse=logseq.parse,
    is_sync_heading=logseq.is_sync_heading,
    section_removable=logseq.section_removable,
    is_fold_state=lambda text: syntax.logseq_fold_state(text) is not None,
    author_line=lambda page: logseq.property_line(page, "author"),
    block_id=LOGSEQ_ID.match,
    id_needle="::",
    keeps_every_id=True,
    block_properties=True,
    page_names=_logseq_names,
    page_aliases=authors.logseq_page_aliases,
    resolves_aliases=True,
    file_stem=authors.logseq_file_stem,
    name_key=lambda name: fold(name.strip()),  # white space inside is part of a Logseq name
    update_author_page=authors.update_logseq_author_page,
    user_text=authors.logseq_user_text,
    kept_frontmatter=lambda text: [],  # (Logseq pages keep properties, which the merge skips)
    author_link=lambda name: f"[[{name.strip()}]]",
    source_link=lambda stem, meta: meta.get("title") or authors.logseq_page_name(stem),
    new_author_page=_new_logseq_page,
    authors_in_pages=True,
    outline=True,
    frontmatter=False,
    plugin_folder=False,  # (Logseq's plugin writes through Logseq, into pages/)
    reads_canvas=False,
    org_pages=True,
)

OBSIDIAN = Format(
    kind="obsidian",
    app="Obsidian vault",
    marker=".obsidian/",
    parse=obsidian.parse,
    is_sync_heading=obsidian.is_sync_heading,
    section_removable=obsidian.section_removable,
    is_fold_state=lambda text: False,  # (Obsidian keeps folds outside the note)
    author_line=obsidian.author_line,
    block_id=OBSIDIAN_ID.search,
    id_needle="^",
    keeps_every_id=False,
    block_properties=False,
    page_names=_obsidian_names,
    page_aliases=authors.obsidian_page_aliases,
    resolves_aliases=False,
    file_stem=authors.obsidian_file_stem,
    name_key=lambda name: fold(authors.obsidian_file_stem(name)),
    update_author_page=authors.update_obsidian_author_note,
    user_text=authors.obsidian_user_text,
    kept_frontmatter=authors.frontmatter_entries,
    author_link=authors.obsidian_link,  # a safe note name, showing the original text
    source_link=lambda stem, meta: stem,  # a note is linked to by its file name
    new_author_page=_new_obsidian_note,
    authors_in_pages=False,
    outline=False,
    frontmatter=True,
    plugin_folder=True,
    reads_canvas=True,
    org_pages=False,
)

FORMATS: dict[str, Format] = {"logseq": LOGSEQ, "obsidian": OBSIDIAN}


def of(kind: str) -> Format:
    """The format of a page or vault kind ("logseq" or "obsidian")."""
    return FORMATS[kind]
