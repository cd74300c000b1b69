"""The pure core's entry point: page text in, normalized page text and what changed out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields

from vaultsync.core import formats, links, rules
from vaultsync.core.highlights import from_readwise, is_highlight, location
from vaultsync.core.model import Kind, LeftAlone, Page, Section, Untouched
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
    # The page lies in the folder the Readwise plugin writes to (Obsidian's base folder,
    # `Readwise/` by default): a Readwise signal of its own, for a default-template page whose
    # highlights carry no link and that has no cover image (an article clipped from the web).
    in_readwise_folder: bool = False


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
    # What the rules left as it was on purpose, and why (e.g. sections under a document's
    # chapter headings): the pass's summary names the page with each.
    left_alone: list[LeftAlone] = field(default_factory=list)


def parse(text: str, kind: Kind) -> Page:
    """Parse a page of the given format; serialize() gives the same text back."""
    return formats.of(kind).parse(text)


def is_readwise_page(page: Page, text: str | None = None, in_folder: bool = False) -> bool:
    """A Readwise page: highlight units in its highlights sections (no location link needed),
    and a Readwise signal on the page (a sync heading, a link into Readwise, the cover image)
    or around it (`in_folder`: the page lies in the Readwise plugin's folder). Another tool's
    note that copies the shape (Hypothesis, a script's digest) has no signal.
    `text`: the page's text, when the caller has it (else it is joined from the page)."""
    if text is None:
        text = "".join(page.lines())
    # The byte prefilter's own test first: a page it would skip is never Readwise's here
    # (a page in the Readwise folder is admitted by its path: the pass's prefilter does too).
    if not in_folder and links.PREFILTER_TEXT.search(text) is None:
        return False
    sections = page.sections
    # (A wrapper block with no text of its own is a unit when a location link sits inside.)
    if not any(
        is_highlight(item, page.kind) or location(item, page.kind) is not None
        for s in sections
        for item in s.items
    ):
        return False
    return in_folder or _signal(page, text)


def _signal(page: Page, text: str) -> bool:
    """What only Readwise writes: a sync section heading, the cover image, a link into
    Readwise (each holds a literal of links.PREFILTER_PATTERN); or a unit whose location link
    points where Readwise's do (a tweet, Instapaper) on a page without another tool's
    frontmatter (a script's digest of tweets writes its own)."""
    if _sync_heads(page):
        return True
    if links.COVER in text or links.has_readwise_link(text):
        return True
    if formats.of(page.kind).frontmatter and not _readwise_frontmatter(page):
        return False
    return any(from_readwise(item, page.kind) for s in page.sections for item in s.items)


# Frontmatter keys Readwise templates write; a note whose frontmatter holds none is another
# tool's (a digest script's "type:", "source:", "date:").
_READWISE_KEYS = ("author:", "category:", "full-title:", "full_title:", "url:", "title:")


def _readwise_frontmatter(page: Page) -> bool:
    """No frontmatter, or one with a key Readwise templates write."""
    front = page.segments[0] if page.segments and not isinstance(page.segments[0], Section) else []
    if not front:
        return True
    return any(line.lstrip().lower().startswith(_READWISE_KEYS) for line in front[1:-1])


_QUOTE_LINK = "> "


def listless_template(page: Page, text: str) -> Untouched | None:
    """Why a Readwise page whose template writes no units we can read is left as it is, or
    None when the page is not one: a heading per highlight ("### …" with a `^12345` id other
    notes link to, its link on the lines under it), or blockquotes that do not open a
    highlights section (the blockquote template's sections are read as units). Where one
    highlight ends and which copies are one is not clear enough there to dedupe, fold or order
    safely."""
    if formats.of(page.kind).outline or links.PREFILTER_TEXT.search(text) is None:
        return None
    if not (links.COVER in text or links.has_readwise_link(text) or _sync_heads(page)):
        return None
    quoted = headed = False
    after_heading = 0
    for line in page.lines():
        if line.startswith(_QUOTE_LINK) and "](" in line:
            m = links.BARE_LINK.search(line)
            quoted = quoted or (m is not None and links.readwise_url(m.group("url")))
        if line.startswith("###"):
            after_heading = 3
            continue
        if after_heading:
            after_heading -= 1
            m = links.BARE_LINK.search(line) if "](" in line else None
            headed = headed or (m is not None and links.readwise_url(m.group("url")))
    if quoted:
        return Untouched.QUOTED
    if headed:
        return Untouched.HEADED
    return None


def _sync_heads(page: Page) -> bool:
    return any(links.SYNC_HEADING.match(s.head[0]) for s in page.sections)


def _default_link(kind: Kind) -> Callable[[str], str | None]:
    """Plain text → `[[Name]]` (Obsidian: a safe note name, showing the original text)."""

    def make(value: str) -> str | None:
        if not rules.plain_author(value):
            return None
        return formats.of(kind).author_link(value)

    return make


def normalize_page(
    text: str,
    kind: Kind = "logseq",
    rules_on: Rules | None = None,
    context: PageContext | None = None,
    parsed: Page | None = None,
) -> Normalized:
    """Apply the rules to one page's text. Pure: no I/O. Not a Readwise page → returned as is.
    `parsed`: `parse(text, kind)` when the caller has it (the clean verdict's); it is changed."""
    switches = rules_on or Rules()
    ctx = context or PageContext()
    page = parse(text, kind) if parsed is None else parsed
    if not is_readwise_page(page, text, ctx.in_readwise_folder):
        reason = listless_template(page, text)
        if reason is None:
            return Normalized(is_readwise=False, text=text, changed=False)
        # Readwise's, in a template whose highlights are not list items: left as it is.
        note = LeftAlone("page", reason)
        return Normalized(True, text, False, page=page, left_alone=[note])

    before = page.copy()  # as read, for the no-loss check: the rules change `page` in place
    stats = Stats()
    left: list[LeftAlone] = []
    # Dedupe first (its key repairs mojibake itself) so the repair count is of lines kept.
    if switches.dedupe:
        stats.duplicates_removed = rules.dedupe(page, ctx.referenced_ids)
    if switches.repair_encoding:
        stats.mojibake_repaired = rules.repair_encoding(page)
    if switches.fold_sections:
        stats.sections_folded = rules.fold_sections(page, switches.remove_empty_sections, left)
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
        left_alone=left,
    )
