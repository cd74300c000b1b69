"""The pure core's entry point: page text in, normalized page text and what changed out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields

from vaultsync.core import logseq, obsidian, rules
from vaultsync.core.highlights import from_readwise
from vaultsync.core.model import Kind, Page
from vaultsync.core.noloss import find_losses


@dataclass(frozen=True)
class Rules:
    """Which rules run (the config's `rules:` switches)."""

    dedupe: bool = True
    fold_sections: bool = True
    remove_empty_sections: bool = True
    order: bool = True
    repair_encoding: bool = True
    link_author: bool = True


@dataclass(frozen=True)
class PageContext:
    """What the vault around the page tells the rules."""

    # Obsidian `^id`s some note links to as [[Note#^id]]: they must survive a dedupe.
    referenced_ids: frozenset[str] = frozenset()
    # Markup for a plain-text author ("[[Name]]", "[[Safe|Name]]"), or None to leave it plain.
    author_link: Callable[[str], str | None] | None = None


@dataclass
class Stats:
    """What the rules did to one page (or, summed, to a pass)."""

    duplicates_removed: int = 0
    highlights_moved: int = 0
    mojibake_repaired: int = 0
    sections_folded: int = 0
    authors_linked: int = 0

    def add(self, other: Stats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    # In words (plural-aware: "1 repeat removed"): vaultsync.render.describe.


@dataclass
class Normalized:
    """The result for one page. `losses` non-empty means: do not write `text`."""

    is_readwise: bool
    text: str
    changed: bool
    stats: Stats = field(default_factory=Stats)
    losses: list[str] = field(default_factory=list)
    page: Page | None = None  # the normalized page (metadata for author pages), when Readwise
    # The author value the link rule was handed (None: no author line, or the rule is off). The
    # rule's link maker is called with it and nothing else, so a maker that gives the same link
    # for it gives the same result.
    author_given: str | None = None


PARSERS: dict[str, Callable[[str], Page]] = {"logseq": logseq.parse, "obsidian": obsidian.parse}


def parse(text: str, kind: Kind) -> Page:
    """Parse a page of the given format; serialize() gives the same text back."""
    return PARSERS[kind](text)


def is_readwise_page(page: Page) -> bool:
    """A Readwise page: a highlights section holding a highlight with a Readwise link."""
    return any(from_readwise(item, page.kind) for s in page.sections for item in s.items)


def _default_link(kind: Kind) -> Callable[[str], str | None]:
    """Plain text → `[[Name]]` (Obsidian: a safe note name, showing the original text)."""

    def make(value: str) -> str | None:
        if not rules.plain_author(value):
            return None
        if kind == "obsidian":
            from vaultsync.core.authors import obsidian_link

            return obsidian_link(value)
        return f"[[{value.strip()}]]"

    return make


def normalize_page(
    text: str,
    kind: Kind = "logseq",
    rules_on: Rules | None = None,
    context: PageContext | None = None,
) -> Normalized:
    """Apply the rules to one page's text. Pure: no I/O. Not a Readwise page → returned as is."""
    switches = rules_on or Rules()
    ctx = context or PageContext()
    page = parse(text, kind)
    if not is_readwise_page(page):
        return Normalized(is_readwise=False, text=text, changed=False)

    before = page.copy()  # as read, for the no-loss check: the rules change `page` in place
    stats = Stats()
    # Dedupe first (its key repairs mojibake itself) so the repair count is of lines kept.
    if switches.dedupe:
        stats.duplicates_removed = rules.dedupe(page, ctx.referenced_ids)
    if switches.repair_encoding:
        stats.mojibake_repaired = rules.repair_encoding(page)
    if switches.fold_sections:
        stats.sections_folded = rules.fold_sections(page, switches.remove_empty_sections)
    if switches.order:
        stats.highlights_moved = rules.order(page)
    given = None
    if switches.link_author:
        given = rules.author_value(page)
        stats.authors_linked = rules.link_author(page, ctx.author_link or _default_link(kind))

    out = page.serialize()
    changed = out != text
    losses = find_losses(before, parse(out, kind), ctx.referenced_ids) if changed else []
    return Normalized(
        is_readwise=True,
        text=out,
        changed=changed,
        stats=stats,
        losses=losses,
        page=page,
        author_given=given,
    )
