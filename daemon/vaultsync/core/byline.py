"""Who a Readwise page names as its author, and how that becomes a link: the author value's
names, a page's author facts, the author rule's link maker, the key of an author's page in the
name index, and the key that says a managed author page is up to date. Pure: no file system
(the I/O half is vaultsync.pipeline.authors)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vaultsync.core import authors as author_pages
from vaultsync.core import formats, syntax
from vaultsync.core.highlights import Location, highlight_key, is_highlight, location
from vaultsync.core.identity import (
    Author,
    AuthorPlan,
    PageAuthor,
    fold,
    name_key,
    newest_date,
    page_handle,
    split_names,
)
from vaultsync.core.model import Item, Page

_DATE_LINE = re.compile(r"^[ \t]*(?:[-*+][ \t]+)?Date::", re.IGNORECASE)


def page_link(kind: str, path: Path, meta: dict[str, str]) -> str:
    """How an author page links to a source: Logseq by page name, Obsidian by note name."""
    return formats.of(kind).source_link(path.stem, meta)


def author_names(value: str, split: bool, whole: frozenset[str] = frozenset()) -> list[str]:
    """The names an author value gives: its link targets, or the plain text (split if asked,
    unless the config maps the whole value to an author: `Kahneman, Daniel` stays one)."""
    split = split and not _mapped_whole(value, whole)
    # `[[Target|Shown]]`: the shown text is the name the page gives (the target may be a safe
    # file name or the canonical note we pointed it at).
    targets = [(m.group(2) or m.group(1)).strip() for m in syntax.named_links(value)]
    several = _one_link_of_several(value) if split else None
    if several:
        return split_names(several)
    if targets:
        return targets
    value = value.strip()
    if not author_pages.plain_or_empty(value):
        return []
    return split_names(value) if split else [value]


def _mapped_whole(value: str, whole: frozenset[str]) -> bool:
    text = syntax.sub_named_links(value, lambda m: m.group(2) or m.group(1))
    return name_key(text) in whole


def _one_link_of_several(value: str) -> str | None:
    """`[[A, B, and C]]`, one link naming several people (how Readwise links them in Logseq):
    its text; None for anything else."""
    m = syntax.whole_link(value)
    shown = (m.group(2) or m.group(1)).strip() if m else ""
    return shown if len(split_names(shown)) > 1 else None


@dataclass(frozen=True)
class Units:
    """What a page's author facts are made of: its highlights in page order, the location of
    each (None: none) and how many distinct identity keys they have (repeats count once).
    `units_of` reads them; the clean verdict (core/verdict.py) keeps them from its own walk."""

    highlights: list[Item]
    locations: list[Location | None]
    distinct: int


def units_of(page: Page) -> Units:
    highlights = [i for s in page.sections for i in s.items if is_highlight(i, page.kind)]
    return Units(
        highlights,
        [location(i, page.kind) for i in highlights],
        len({highlight_key(i, page.kind) for i in highlights}),
    )


def page_facts(
    kind: str,
    path: Path,
    page: Page,
    split: bool,
    whole: frozenset[str] = frozenset(),
    units: Units | None = None,
) -> PageAuthor | None:
    """What a parsed Readwise page says about its author (None when it names none). `units`:
    the page's `units_of`, when the caller has them."""
    names = author_names(page.meta.get("author", ""), split, whole)
    if not names:
        return None
    if units is None:
        units = units_of(page)
    highlights = units.highlights
    locs = [loc for loc in units.locations if loc]
    tweet_urls = [loc.url for loc in locs if loc.status_id is not None]
    # The source URL names the author even when the highlights link Reader, not the tweets.
    handle = page_handle(page.meta.get("url", ""), tweet_urls)
    # Sync headings date a source; so do the `Date::` sub-items custom templates write (the
    # only dates an Obsidian page keeps once its "New highlights" sections are folded).
    # Only what a clean page still has counts (the first section's heading; later sync
    # headings are folded away), so the facts are the same before and after cleaning — and
    # the same whether or not this pass could write the page.
    first = next((s for s in page.sections if s.items), None)
    dated = list(first.head) if first else []
    dated += [
        line for i in highlights for sub in i.walk() for line in sub.lines if _DATE_LINE.match(line)
    ]
    heads = "\n".join(dated)
    return PageAuthor(
        names=tuple(names),
        handle=handle,
        link=page_link(kind, path, page.meta),
        category=page.meta.get("category", "").lstrip("#").strip(),
        highlights=units.distinct,  # repeats once
        newest=newest_date(heads, [loc.status_id for loc in locs if loc.status_id]),
    )


def author_maker(
    kind: str, plan: AuthorPlan | None, split: bool, whole: frozenset[str] = frozenset()
) -> Callable[[str], str | None]:
    """The author rule's rewrite: plain text becomes links; in Obsidian, a link to another name
    of a person points at the canonical note and keeps showing the name the page used (Logseq
    resolves `alias::` itself, so its links keep their text)."""
    fmt = formats.of(kind)

    def canonical_target(name: str) -> str | None:
        canonical = plan.resolve(name) if plan else name
        try:
            return fmt.file_stem(canonical)
        except author_pages.UnsafeName:
            return None

    def link(name: str) -> str | None:
        if fmt.resolves_aliases:
            try:
                fmt.file_stem(name)
            except author_pages.UnsafeName:
                return None  # no page can carry that name: leave the text as it is
            return f"[[{name}]]"
        stem = canonical_target(name)
        if stem is None:
            return None
        return f"[[{stem}]]" if stem == name else f"[[{stem}|{name}]]"

    def make(value: str) -> str | None:
        split_here = split and not _mapped_whole(value, whole)
        several = _one_link_of_several(value) if split_here else None
        if several:
            value = several  # then linked name by name, as plain text is
        elif any(syntax.named_links(value)):
            if fmt.resolves_aliases:
                return None

            def relink(m: re.Match[str]) -> str:
                shown = (m.group(2) or m.group(1)).strip()
                stem = canonical_target(m.group(1).strip())
                if stem is None:
                    return m.group(0)
                return f"[[{stem}]]" if stem == shown else f"[[{stem}|{shown}]]"

            return syntax.sub_named_links(value, relink)
        if not author_pages.plain_or_empty(value) or not value.strip():
            return None
        names = split_names(value) if split_here else [value.strip()]
        out, pos = [], 0
        for name in names:
            at = value.find(name, pos)
            new = link(name)
            if at < 0 or new is None:
                return None
            out += [value[pos:at], new]
            pos = at + len(name)
        return "".join(out) + value[pos:]

    return make


def page_key(kind: str, name: str) -> str | None:
    """How the index knows the page of a name: Logseq by page name, Obsidian by note name
    (fold(): NFC and casefolded, as the pipeline's name index keys them; white space is part of
    a Logseq name)."""
    try:
        return formats.of(kind).name_key(name)
    except author_pages.UnsafeName:
        return None


def sync_key(kind: str, sources: list[author_pages.Source], aliases: list[str]) -> str:
    """What a managed page's update depends on besides its own bytes (nothing merged in)."""
    text = repr((kind, [(s.link, s.category, s.highlights, s.newest) for s in sources], aliases))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def likely_duplicates(authors: list[Author]) -> list[tuple[str, str]]:
    """Pairs of authors whose names look like one person's (for `vaultsync authors`)."""
    import difflib

    def simple(name: str) -> str:
        name = re.sub(r"\s+on twitter$", "", name.strip(), flags=re.IGNORECASE).lstrip("@")
        return re.sub(r"[^a-z0-9]", "", fold(name))

    pairs = []
    names = sorted((a.name for a in authors), key=str.casefold)
    keys = {n: simple(n) for n in names}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ka, kb = keys[a], keys[b]
            if not ka or not kb:
                continue
            if ka == kb or (min(len(ka), len(kb)) >= 5 and (ka in kb or kb in ka)):
                pairs.append((a, b))
            elif difflib.SequenceMatcher(None, ka, kb).ratio() >= 0.88:
                pairs.append((a, b))
    return pairs
