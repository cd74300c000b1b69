"""The normalization rules: each changes a parsed page in place and counts what it did."""

from __future__ import annotations

import re
from collections.abc import Callable

from vaultsync.core import formats
from vaultsync.core.highlights import (
    LOGSEQ_PROPERTY,
    highlight_key,
    is_chapter,
    is_highlight,
    item_ids,
    location,
    repaired,
    subtree_key,
)
from vaultsync.core.model import Item, Kind, LeftAlone, Page, Section, Segment, Untouched
from vaultsync.core.text import body, ending


def essential_ids(item: Item, kind: Kind, referenced: frozenset[str]) -> set[str]:
    """Ids that must survive: every Logseq `id::` (Logseq writes one only when a block is
    referenced), and the Obsidian `^id`s some note links to."""
    ids = {i for node in item.walk() for i in item_ids(node, kind)}
    return formats.of(kind).essential(ids, referenced)


def _own_essential(item: Item, kind: Kind, referenced: frozenset[str]) -> set[str]:
    return formats.of(kind).essential(set(item_ids(item, kind)), referenced)


def repair_encoding(page: Page) -> int:
    """Repair mojibake in highlight lines; returns how many lines changed."""
    fixed = 0
    for section in page.sections:
        for item in section.items:
            if not is_highlight(item, page.kind):
                continue
            if all(line.isascii() for line in item.lines):
                continue  # (repaired() leaves ASCII as it is: most items, no per-line work)
            for i, line in enumerate(item.lines):
                text = body(line)
                new = repaired(text)
                if new != text:
                    item.lines[i] = new + ending(line)
                    fixed += 1
    return fixed


def _properties(item: Item) -> dict[str, tuple[int, str]]:
    """A Logseq block's own property lines: key → (line index, value)."""
    out: dict[str, tuple[int, str]] = {}
    for i, line in enumerate(item.lines[1:], start=1):
        m = LOGSEQ_PROPERTY.match(body(line))
        if m:
            out.setdefault(m.group(1).lower(), (i, m.group(2).strip()))
    return out


def _merged_lines(base: Item, other: Item, kind: Kind) -> list[str] | None:
    """`base`'s lines plus the Logseq properties (collapsed::, the user's own) only `other`
    has; None when the two give one property different values."""
    if not formats.of(kind).block_properties:
        return list(base.lines)
    have = _properties(base)
    extra = []
    for key, (i, value) in _properties(other).items():
        if key not in have:
            extra.append(other.lines[i])
        elif have[key][1] != value:
            return None
    at = max((i for i, _ in have.values()), default=0) + 1  # properties follow the first line
    return base.lines[:at] + extra + base.lines[at:]


def _merge_into(keeper: Item, dup: Item, kind: Kind, referenced: frozenset[str]) -> bool:
    """Fold `dup` into `keeper`: children merged, an id and properties the copy carries kept.
    False when the copies carry different ids that must survive, or disagree on a property:
    then both copies stay."""
    ids_keeper = _own_essential(keeper, kind, referenced)
    ids_dup = _own_essential(dup, kind, referenced)
    if ids_dup and ids_keeper and ids_dup != ids_keeper:
        return False
    if ids_dup and not ids_keeper:
        lines = _merged_lines(dup, keeper, kind)
    else:
        lines = _merged_lines(keeper, dup, kind)
    if lines is None:
        return False
    keeper.lines = lines
    known = {subtree_key(child, kind): child for child in keeper.children}
    for child in dup.children:
        match = known.get(subtree_key(child, kind))
        if match is not None and essential_ids(child, kind, referenced) <= {
            i for node in match.walk() for i in item_ids(node, kind)
        }:
            continue
        keeper.children.append(child)
        known.setdefault(subtree_key(child, kind), child)
    return True


def dedupe(page: Page, referenced: frozenset[str] = frozenset()) -> int:
    """Keep each highlight once, across all sections, merging the copies' children into the first
    copy. Copies are one highlight when their `highlight_key` is the same (same tweet, or same
    position and text, or same text without a position); a child joins an equal child of the
    first copy only when the two subtrees are equal (`subtree_key`: properties and the user's
    links count), else it is added beside it. Placeholders are never merged. Returns how many
    copies were removed."""
    seen: dict[tuple[str, ...], Item] = {}
    removed = 0
    for section in page.sections:
        kept = []
        for item in section.items:
            if is_highlight(item, page.kind):
                key = highlight_key(item, page.kind)
                if key[0] == "placeholder":  # `Highlighted Image` twice: two images
                    kept.append(item)
                    continue
                first = seen.get(key)
                if first is None:
                    seen[key] = item
                elif _merge_into(first, item, page.kind, referenced):
                    removed += 1
                    continue
            kept.append(item)
        section.items = kept
    return removed


def _trailing_blank_holder(seg: list[str] | Section) -> list[str]:
    return seg.tail if isinstance(seg, Section) else seg


def _drop_segment(page: Page, index: int) -> None:
    """Remove a section; the blank lines that separated it from what came before are replaced by
    its own trailing ones, so the file's shape around it stays as it was."""
    section = page.segments[index]
    assert isinstance(section, Section)
    first = all(
        not isinstance(seg, Section) and not any(body(x).strip() for x in seg)
        for seg in page.segments[:index]
    )
    if index > 0 and not first:  # (at the top of the page its blank lines go with it)
        holder = _trailing_blank_holder(page.segments[index - 1])
        n = len(holder)
        while n > 0 and not body(holder[n - 1]).strip():
            n -= 1
        del holder[n:]
        holder.extend(section.tail)
    del page.segments[index]


def _indent(items: list[Item]) -> str | None:
    """The leading white space all the items' first lines share; None when they differ."""
    leads = {line[: len(line) - len(line.lstrip(" \t"))] for line in (i.lines[0] for i in items)}
    return leads.pop() if len(leads) == 1 else None


# Headings a Readwise template writes between its sections: not a document's chapters.
_TEMPLATE_HEADINGS = frozenset({"metadata", "document note", "summary"})
_RAW_HEADING = re.compile(r"^(?:-[ \t]+)?(#{1,6})[ \t]+(.*?)[ \t#]*$")


def _heading_level(line: str) -> int:
    """The level of a Markdown heading line (Logseq: of a `- ### …` block), else 0."""
    text = body(line)
    if "#" not in text[:8]:
        return 0
    m = _RAW_HEADING.match(text)
    if m is None or m.group(2).lower() in _TEMPLATE_HEADINGS:
        return 0
    return len(m.group(1))


def _has_chapters(seg: list[str] | Section, kind: Kind, deeper_than: int) -> bool:
    """The segment holds a document heading: a chapter item of a section; in Obsidian, a
    heading deeper than the sync sections' between them (a heading of the sections' own level
    or higher is the user's: "## My notes" after the highlights, as before). In Logseq, the
    top-level blocks between sections are the user's (the plugin writes chapters inside)."""
    if isinstance(seg, Section):
        return any(is_chapter(item, kind) for item in seg.items)
    if formats.of(kind).outline:
        return False
    return any(_heading_level(line) > deeper_than for line in seg)


def _repeats(page: Page) -> list[list[str]]:
    """Raw runs that repeat an earlier run holding the `# Title` line for line (blank lines
    aside): the page written whole a second or third time in one file (Obsidian)."""
    if formats.of(page.kind).outline:
        return []
    seen: set[tuple[str, ...]] = set()
    out = []
    for seg in page.segments[1:]:
        if isinstance(seg, Section):
            continue
        key = tuple(body(line) for line in seg if body(line).strip())
        if not any(k.startswith("# ") for k in key):
            continue
        if key in seen:
            out.append(seg)
        seen.add(key)
    return out


def _between(page: Page, a: Segment, b: Segment) -> list[Segment]:
    i, j = sorted((_index(page, a), _index(page, b)))
    return page.segments[i + 1 : j]


def _index(page: Page, seg: Segment) -> int:
    return next(i for i, s in enumerate(page.segments) if s is seg)


def fold_sections(
    page: Page, remove_empty: bool = True, left: list[LeftAlone] | None = None
) -> int:
    """Move the highlights of the sync sections into the first highlights section Readwise
    wrote (the first that is not "New highlights …", else the first that has any), wherever
    they stand (a sync may write its section above the `# Title`); drop the emptied sections
    (when `remove_empty`), and a copy of the whole page's title and metadata left with nothing
    under it. Returns how many sections were folded.
    Left as they are: a section indented otherwise than the first (moved, its items would
    change depth), and sections that would take highlights away from a document heading they
    sit under (Reader's chapters), which `left` is told about."""
    sections = page.sections
    with_items = [s for s in sections if s.items]
    if not with_items:
        return 0
    target = next((s for s in with_items if not s.is_new), with_items[0])
    fmt = formats.of(page.kind)
    removable, synced = fmt.section_removable, fmt.is_sync_heading
    repeats = _repeats(page)
    # The sections of a repeated copy: emptied (by dedupe) or folded, they go like a sync's.
    copied = {
        id(page.segments[_index(page, run) + 1])
        for run in repeats
        if _index(page, run) + 1 < len(page.segments)
    }
    chapters_left = 0
    folded = 0
    for section in sections:
        if section is target:
            continue
        before_target = _index(page, section) < _index(page, target)
        if before_target and not section.is_new:
            continue  # an earlier heading of the template's, empty: as it was
        emptied = False
        if not synced(section.head[0]):
            continue  # a heading of the user's own ("## Highlights I disagree with"): theirs
        if section.items:
            level = min(_heading_level(target.head[0]) or 2, _heading_level(section.head[0]) or 2)
            if (
                _has_chapters(target, page.kind, level)
                or _has_chapters(section, page.kind, level)
                or any(
                    _has_chapters(seg, page.kind, level)
                    for seg in _between(page, target, section)
                    if not any(seg is r for r in repeats)
                )
            ):
                chapters_left += 1
                continue
            indent = _indent(target.items)
            if indent is None or _indent(section.items) != indent:
                continue
            _quote_seam(target, page.newline)
            target.items.extend(section.items)
            section.items = []
            folded += 1
        elif not section.is_new and id(section) not in copied:
            continue  # an empty heading the user keeps: not ours to fold
        else:
            emptied = True  # a sync section whose highlights were all repeats
        if remove_empty and removable(section):
            _drop_segment(page, page.segments.index(section))
            folded += 1 if emptied else 0
    if remove_empty:
        _drop_repeats(page, repeats)
    if chapters_left and left is not None:
        left.append(LeftAlone("fold", Untouched.CHAPTERS, chapters_left))
    return folded


def _quote_seam(target: Section, newline: str) -> None:
    """Blockquote units are kept apart by a blank line (without it Markdown joins two quotes
    into one): the target's last quote gains one before quotes are appended after it."""
    last = target.items[-1] if target.items else None
    if last is not None and last.lines[0].startswith(">") and body(last.lines[-1]).strip():
        last.lines.append(newline)  # (join_lines gives the line before it its ending)


def _drop_repeats(page: Page, repeats: list[list[str]]) -> None:
    """Remove a repeated title-and-metadata run once no highlights follow it (its section was
    folded into the first copy); the blank lines around it keep their shape."""
    for run in repeats:
        at = _index(page, run)
        after = page.segments[at + 1] if at + 1 < len(page.segments) else None
        if isinstance(after, Section) and after.items:
            continue
        end = len(run)
        while end > 0 and not body(run[end - 1]).strip():
            end -= 1
        holder = _trailing_blank_holder(page.segments[at - 1])
        n = len(holder)
        while n > 0 and not body(holder[n - 1]).strip():
            n -= 1
        blanks = run[end:]
        del holder[n:]
        holder.extend(blanks)
        del page.segments[at]


def order_section(section: Section, kind: Kind) -> int:
    """Sort a section's units by their position (tweet status id, Kindle location or page,
    podcast time). A unit without one (no link, a search-link tweet, a Reader link) travels
    with the unit before it, as a user's block does; what comes before the first positioned
    unit stays first. Returns how many positioned units changed place. A section whose units
    give positions of different kinds, holds a document heading (Reader's chapters: the order
    is the document's), or whose items are not all indented alike (reordered, some would
    change depth), is left as it is."""
    if _indent(section.items) is None:
        return 0
    lead: list[Item] = []
    groups: list[list[Item]] = []
    keys: list[int] = []
    kinds: set[str] = set()
    for item in section.items:
        if is_chapter(item, kind):
            return 0
        loc = location(item, kind)
        if loc is not None and loc.order_kind is not None and loc.order_key is not None:
            groups.append([item])
            keys.append(loc.order_key)
            kinds.add(loc.order_kind)
        elif groups:
            groups[-1].append(item)
        else:
            lead.append(item)
    if len(groups) < 2 or len(kinds) != 1:
        return 0
    order = sorted(range(len(groups)), key=lambda i: keys[i])
    moved = sum(1 for pos, i in enumerate(order) if pos != i)
    if moved:
        section.items = lead + [item for i in order for item in groups[i]]
    return moved


def order(page: Page) -> int:
    return sum(order_section(section, page.kind) for section in page.sections)


_AUTHOR_LINE = {
    "logseq": re.compile(r"^(?P<pre>[ \t]*author::[ \t]*)(?P<value>.*?)(?P<post>[ \t]*)$", re.I),
    "obsidian": re.compile(r"^(?P<pre>[-*+][ \t]+Author::?[ \t]*)(?P<value>.*?)(?P<post>[ \t]*)$"),
}


def plain_author(value: str) -> bool:
    """An author value that is plain text we can turn into a link."""
    return bool(value) and "[[" not in value and "]]" not in value and not value.startswith("#")


def _author_match(page: Page) -> tuple[list[str], int, re.Match[str]] | None:
    """The author line (its run, index and match) when it holds a value."""
    found = formats.of(page.kind).author_line(page)
    if found is None:
        return None
    run, i = found
    m = _AUTHOR_LINE[page.kind].match(body(run[i]))
    if not m or not m["value"]:
        return None
    return run, i, m


def author_value(page: Page) -> str | None:
    """The author value link_author would hand to `make_link`, or None when there is none."""
    found = _author_match(page)
    return found[2]["value"] if found else None


def link_author(page: Page, make_link: Callable[[str], str | None]) -> int:
    """Rewrite the author value with `make_link` (plain text → a link; a link to another name of
    the same person → a link to the canonical page; None leaves it). Returns 1 on a change."""
    found = _author_match(page)
    if found is None:
        return 0
    run, i, m = found
    link = make_link(m["value"])
    if link is None or link == m["value"]:
        return 0
    run[i] = m["pre"] + link + m["post"] + ending(run[i])
    page.meta["author"] = link
    return 1
