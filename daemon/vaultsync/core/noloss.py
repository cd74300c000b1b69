"""The check that runs before every write: nothing of the input may be missing from the output.

It is written independently of the rules: it compares two parsed pages, not what the rules did.

The page is read as units: a unit is a top-level item of a highlights section with its whole
subtree. Each unit of the input must be found whole in one unit of the output that has the same
identity (`highlight_key` for a highlight, its whole subtree for a block of the user's own):
its property lines, its block ids and each child subtree — every line, properties included,
the user's links kept, only white space, mojibake and Readwise's own record of a copy folded.
A line found elsewhere on the page does not count: it is not where the unit went. The lines
outside units (page properties, metadata, headings) are checked line by line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from vaultsync.core import formats, syntax
from vaultsync.core.highlights import (
    BULLET,
    LOGSEQ_ID,
    LOGSEQ_PROPERTY,
    comparable,
    highlight_key,
    is_highlight,
    item_ids,
    subtree_key,
)
from vaultsync.core.model import Item, Kind, Page, Section
from vaultsync.core.text import body

UnitKey = tuple[object, ...]


def _units(page: Page) -> list[Item]:
    return [i for s in page.sections for i in s.items]


def _all_ids(page: Page) -> set[str]:
    """Every block id anywhere on the page (an `id::` line, a `^id` marker)."""
    fmt = formats.of(page.kind)
    pattern = fmt.block_id
    # A literal every match holds: most lines hold none, and a test is cheaper than the regex.
    needle = fmt.id_needle
    return {m.group(1) for line in page.lines() if needle in line and (m := pattern(body(line)))}


def _unit_key(item: Item, kind: Kind) -> UnitKey:
    if is_highlight(item, kind):
        return highlight_key(item, kind)
    return ("block", *subtree_key(item, kind))


def _label(item: Item, kind: Kind) -> str:
    """A unit named in a message: its first line as a person reads it."""
    return comparable(BULLET.sub("", body(item.lines[0]), count=1))[:60]


def _property_keys(item: Item, kind: Kind) -> set[str]:
    """A Logseq block's own property lines (collapsed::, the user's; not id::, checked as ids)."""
    if not formats.of(kind).block_properties:
        return set()
    return {
        comparable(text)
        for line in item.lines[1:]
        if LOGSEQ_PROPERTY.match(text := body(line)) and not LOGSEQ_ID.match(text)
    }


def _ids(item: Item, kind: Kind, referenced: frozenset[str]) -> set[str]:
    """The ids a block must keep: every Logseq `id::`, the Obsidian `^id`s a note links to."""
    return formats.of(kind).essential(set(item_ids(item, kind)), referenced)


def _subtree_ids(item: Item, kind: Kind) -> set[str]:
    return {i for node in item.walk() for i in item_ids(node, kind)}


def _misses(unit: Item, dest: Item, kind: Kind, referenced: frozenset[str]) -> list[str]:
    """What of `unit` is not in `dest` (a unit of the same identity)."""
    out = [
        f"property {p[:40]!r}"
        for p in sorted(_property_keys(unit, kind) - _property_keys(dest, kind))
    ]
    out += [
        f"block id {i}" for i in sorted(_ids(unit, kind, referenced) - set(item_ids(dest, kind)))
    ]
    if not unit.children:
        return out
    there: dict[object, list[Item]] = {}
    for child in dest.children:
        there.setdefault(subtree_key(child, kind), []).append(child)
    for child in unit.children:
        need = {i for n in child.walk() for i in _ids(n, kind, referenced)}
        found = there.get(subtree_key(child, kind), [])
        if not any(need <= _subtree_ids(f, kind) for f in found):
            out.append(f"note {_label(child, kind)!r}")
    return out


def _unit_losses(
    unit: Item, dests: list[Item], kind: Kind, referenced: frozenset[str]
) -> list[str]:
    what = "highlight" if is_highlight(unit, kind) else "line"
    name = f"{what} {_label(unit, kind)!r}"
    if not dests:
        return [name]
    best: list[str] | None = None
    for dest in dests:
        misses = _misses(unit, dest, kind, referenced)
        if not misses:
            return []
        if best is None or len(misses) < len(best):
            best = misses
    assert best is not None
    return [f"{m} of {name}" for m in best]


def _outside(page: Page) -> Iterable[str]:
    """The lines that belong to no unit: page properties, metadata, section headings, blanks."""
    for seg in page.segments:
        if isinstance(seg, Section):
            yield from seg.head
            yield from seg.tail
        else:
            yield from seg


def _must_stay(page: Page) -> Iterable[str]:
    """The lines outside units that must survive: all but a sync heading, which may go when its
    section is folded, with the `collapsed::` line Logseq itself writes into it."""
    fmt = formats.of(page.kind)
    for seg in page.segments:
        if not isinstance(seg, Section):
            yield from seg
            continue
        synced = fmt.is_sync_heading(seg.head[0]) if seg.head else False
        for i, line in enumerate(seg.head):
            if synced and (i == 0 or fmt.is_fold_state(body(line))):
                continue
            yield line
        yield from seg.tail


def _line_key(line: str) -> str:
    return comparable(BULLET.sub("", body(line), count=1))


_SEPARATORS = re.compile(r"[\s,;&]+|\band\b")


def _shown(key: str) -> tuple[str, frozenset[str]]:
    """A line with each wiki link reduced to its shown text, and the words shown as links."""
    linked: set[str] = set()

    def text(m: re.Match[str]) -> str:
        words = syntax.shown(m).strip()
        linked.update(w for w in _SEPARATORS.split(words.casefold()) if w)
        return words

    return syntax.WIKILINK.sub(text, key), frozenset(linked)


def _lost_lines(before: Page, after: Page) -> set[str]:
    """Keys of the lines outside units of `before` that must stay (`_must_stay`) and that no
    line outside units of `after` has. A line may gain links (the
    author rule links a plain name, splits `[[A, B, and C]]` into a link per name, points a
    link at the person's canonical page showing the same text); every word a link showed must
    still be shown by a link. Only lines `after` lacks byte for byte
    are keyed: most are untouched."""
    after_lines = list(_outside(after))
    after_set = set(after_lines)
    lost = {
        key for line in _must_stay(before) if line not in after_set and (key := _line_key(line))
    }
    if not lost:
        return lost
    keys = {_line_key(x) for x in after_lines}
    lost -= keys
    if not lost:
        return lost
    linked: dict[str, list[frozenset[str]]] = {}
    for key in keys:
        plain, links = _shown(key)
        linked.setdefault(plain, []).append(links)
    kept = set()
    for key in lost:
        plain, links = _shown(key)
        if any(links <= there for there in linked.get(plain, [])):
            kept.add(key)
    return lost - kept


def find_losses(before: Page, after: Page, referenced: frozenset[str] = frozenset()) -> list[str]:
    """What `before` holds that `after` lacks: highlights, notes under their highlight, block ids,
    lines. An empty list means the output may be written."""
    kind = before.kind
    missing: list[str] = []

    after_units = _units(after)
    # A unit the output holds byte for byte is whole: only the others are keyed and searched.
    intact = {tuple(u.all_lines()) for u in after_units}
    index: dict[UnitKey, list[Item]] | None = None
    for unit in _units(before):
        if tuple(unit.all_lines()) in intact:
            continue
        if index is None:
            index = {}
            for u in after_units:
                index.setdefault(_unit_key(u, kind), []).append(u)
        missing += _unit_losses(unit, index.get(_unit_key(unit, kind), []), kind, referenced)

    lost_ids = _all_ids(before) - _all_ids(after)
    lost_ids = formats.of(kind).essential(lost_ids, referenced)
    missing += [f"block id {i}" for i in sorted(lost_ids)]

    missing += [f"line {t[:60]!r}" for t in sorted(_lost_lines(before, after))]
    return missing
