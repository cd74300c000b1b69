"""The fast "already clean" verdict: whether `normalize_page` would hand a parsed page back as
it is, answered without running the rules, copying the page or checking it for losses.

Most Readwise pages of a vault need nothing (on a real 7,000-page graph, 326 of 4,740 needed a
rewrite). The full normalizer parses a page, copies it, runs every rule, serializes it and
compares; this module asks each rule's "would you change anything?" in one walk over the parsed
page, and says CLEAN only when every answer is a sure no:

- dedupe: no two highlights share an identity key (`highlight_key`; placeholders aside, as
  dedupe never merges them). Units that each have a position of their own need no key at all:
  the key holds the position, so different positions are different keys;
- order: in every section the positions of the units (tweet status ids, locations, pages,
  times) never go down (the sort is stable, so it moves nothing). Sections the rule would leave
  alone for another reason (chapters, mixed positions) are not sure either: out of order there
  is out of order here;
- fold: no sync section other than the first one with highlights may be folded or dropped: a
  later sync heading with highlights, an empty "New highlights added" heading (with or without
  Logseq's `collapsed::`), or, in Obsidian, the page's `# Title` run written twice, all mean not
  sure;
- mojibake repair: every line of every highlight is ASCII, or is left as it is by `repaired`, the
  very function the rule calls (whose shortcuts, core/mojibake.py, skip ftfy on text that holds
  no sequence mojibake is made of);
- the author rule: the link maker the rule gets hands the author value back (or nothing);
- the page is one the normalizer treats as Readwise's, and serializing its parse gives its text.

Anything else is NOT SURE, and the caller runs the full normalizer. The verdict also keeps what
the page's author facts are made of (the highlights, their locations and the number of distinct
keys), so `byline.page_facts` of a clean page costs no second look at its items.
tests/test_verdict.py proves it: whenever the verdict says CLEAN, `normalize_page` returns the
page unchanged and the facts are `page_facts`' own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vaultsync.core import formats
from vaultsync.core.byline import Units
from vaultsync.core.highlights import (
    Location,
    highlight_key,
    is_highlight,
    location,
    repaired,
)
from vaultsync.core.model import Item, Page, Section
from vaultsync.core.normalize import PageContext, Rules, is_readwise_page
from vaultsync.core.rules import author_value, plain_author
from vaultsync.core.text import body


@dataclass(frozen=True)
class Verdict:
    """What the verdict found. `clean`: the full normalizer would return the page unchanged
    and fire no rule; otherwise `reason` says what made it unsure (for tests and the doc)."""

    clean: bool
    reason: str = ""
    given: str | None = None  # the author value the link rule would be handed
    units: Units | None = None  # what the page's author facts are made of (when clean)


def _unsure(reason: str) -> Verdict:
    return Verdict(False, reason)


def verdict(page: Page, text: str, switches: Rules, context: PageContext) -> Verdict:
    """CLEAN when `normalize_page(text, page.kind, switches, context)` would return `text`
    unchanged, with no stats and nothing left alone; `page` is `parse(text, page.kind)`, left
    as it is. Pure."""
    if not is_readwise_page(page, text, context.in_readwise_folder):
        return _unsure("not a Readwise page")  # (a cheap path of the normalizer's own)
    sections = page.sections
    if switches.fold_sections:
        reason = _foldable(page, sections)
        if reason:
            return _unsure(reason)
    scan = _scan(page, sections, switches)
    if isinstance(scan, str):
        return _unsure(scan)
    given = None
    if switches.link_author:
        given = author_value(page)
        if given is not None:
            maker = context.author_link or _default_link(page.kind)
            link = maker(given)
            if link is not None and link != given:
                return _unsure("the author rule would link the author")
    if page.serialize() != text:
        return _unsure("parsing and serializing does not give the text back")
    return Verdict(True, given=given, units=scan)


def _foldable(page: Page, sections: list[Section]) -> str:
    """Why fold_sections might change the page ("" when it surely would not)."""
    with_items = [s for s in sections if s.items]
    if not with_items:
        return ""  # the rule returns at once
    if _titles(page) > 1:
        return "the page's title run appears more than once"
    target = next((s for s in with_items if not s.is_new), with_items[0])
    synced = formats.of(page.kind).is_sync_heading
    after_target = False
    for section in sections:
        if section is target:
            after_target = True
            continue
        if not after_target and not section.is_new:
            continue  # an earlier heading of the template's: never touched
        if not synced(section.head[0]):
            continue  # a heading of the user's own
        if section.items:
            return "a later sync section holds highlights"
        if section.is_new:
            return "an empty 'New highlights' section"
    return ""


def _titles(page: Page) -> int:
    """How many raw runs after the first hold a `# Title` line (Obsidian): two or more may be
    the page written twice, which the fold removes. Logseq pages have no such runs."""
    if formats.of(page.kind).outline:
        return 0
    return sum(
        1
        for seg in page.segments[1:]
        if not isinstance(seg, Section) and any(body(x).startswith("# ") for x in seg)
    )


def _scan(page: Page, sections: list[Section], switches: Rules) -> Units | str:
    """One walk over every section's items: positions going down, highlight lines repair would
    change, then repeated identities. Returns the units for the author facts, or why the page
    is not surely clean."""
    kind = page.kind
    highlights: list[Item] = []
    locations: list[Location | None] = []
    for section in sections:
        last: int | None = None
        for item in section.items:
            loc = location(item, kind)
            if switches.order and loc is not None and loc.order_kind is not None:
                key = loc.order_key
                if key is not None:
                    if last is not None and key < last:
                        return "positions out of order"
                    last = key
            if not is_highlight(item, kind):
                continue
            if switches.repair_encoding and not _surely_readable(item):
                return "mojibake the repair would change"
            highlights.append(item)
            locations.append(loc)
    distinct = _distinct_positions(locations)
    if distinct is None:
        keys: set[tuple[str, ...]] = set()
        for item in highlights:
            ident = highlight_key(item, kind)
            if switches.dedupe and ident in keys and ident[0] != "placeholder":
                return "a highlight appears twice"
            keys.add(ident)
        distinct = len(keys)
    return Units(highlights, locations, distinct)


def _distinct_positions(locations: list[Location | None]) -> int | None:
    """How many highlights there are when each has a position of its own, else None.

    A highlight's identity key holds its position: ("tweet", status id, …) for a tweet,
    (tag, position kind, position, …) for any other positioned unit, the tag telling an
    ordinary unit from a placeholder. So units whose (position kind, position) pairs all
    differ have different keys, whatever their text: no repeat to remove, and as many distinct
    keys as units, without reading any text (the costly part of a key)."""
    seen = set()
    for loc in locations:
        if loc is None or loc.order_kind is None or loc.order_key is None:
            return None
        seen.add((loc.order_kind, loc.order_key))
    return len(seen) if len(seen) == len(locations) else None


def _surely_readable(item: Item) -> bool:
    """No line of the item is one repair_encoding would change."""
    for line in item.lines:
        if line.isascii():  # (most lines: no need to cut its ending off first)
            continue
        text = body(line)
        if repaired(text) != text:  # (the very call the rule makes; its shortcuts skip ftfy)
            return False
    return True


def _default_link(kind: str) -> Callable[[str], str | None]:
    """The normalizer's link maker when the context gives none (plain text → `[[Name]]`)."""

    def make(value: str) -> str | None:
        return formats.of(kind).author_link(value) if plain_author(value) else None

    return make
