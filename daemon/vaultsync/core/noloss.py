"""The check that runs before every write: nothing of the input may be missing from the output.

It is written independently of the rules: it compares two parsed pages, not what the rules did.
"""

from __future__ import annotations

from collections.abc import Callable

from vaultsync.core import logseq, obsidian
from vaultsync.core.highlights import (
    BULLET,
    LOGSEQ_ID,
    LOGSEQ_PROPERTY,
    OBSIDIAN_ID,
    comparable,
    highlight_key,
    is_highlight,
    subtree_key,
)
from vaultsync.core.model import Item, Page
from vaultsync.core.text import body


def _highlights(page: Page) -> list[Item]:
    return [i for s in page.sections for i in s.items if is_highlight(i, page.kind)]


def _all_ids(page: Page) -> set[str]:
    """Every block id anywhere on the page (an `id::` line, a `^id` marker)."""
    pattern = LOGSEQ_ID.match if page.kind == "logseq" else OBSIDIAN_ID.search
    # A literal every match holds: most lines hold none, and a test is cheaper than the regex.
    needle = "::" if page.kind == "logseq" else "^"
    return {m.group(1) for line in page.lines() if needle in line and (m := pattern(body(line)))}


def _line_key(line: str) -> str:
    return comparable(BULLET.sub("", body(line), count=1))


def _lost_lines(before: Page, after: Page, covered: Callable[[], set[str]]) -> set[str]:
    """Keys of the lines of `before` (sync headings aside: a folded section's heading may go)
    that no line of `after` has and `covered()` does not hold. A key depends on the line's text
    alone, so a line `after` holds as it is needs none: only the lines the rules changed are
    keyed, then, only while some key is still unaccounted for, the rest."""
    sync_heading = logseq.is_sync_heading if before.kind == "logseq" else obsidian.is_sync_heading
    before_lines, after_lines = before.lines(), after.lines()
    after_set = set(after_lines)
    lost = {
        key
        for line in before_lines
        if line not in after_set and not sync_heading(line) and (key := _line_key(line))
    }
    if not lost:
        return lost
    before_set = set(before_lines)
    lost -= {_line_key(x) for x in after_lines if x not in before_set and not sync_heading(x)}
    if lost:
        lost -= covered()
    if lost:
        lost -= {_line_key(x) for x in after_lines if x in before_set and not sync_heading(x)}
    return lost


def _text_line_keys(item: Item, kind: str) -> set[str]:
    """Line keys of the item's text lines (not its Logseq property lines, checked one by one)."""
    return {
        _line_key(line)
        for i, line in enumerate(item.lines)
        if i == 0 or kind != "logseq" or not LOGSEQ_PROPERTY.match(body(line))
    }


def _property_lines(item: Item, kind: str) -> set[str]:
    """A Logseq block's own property lines (id::, collapsed::, the user's), compared as text."""
    if kind != "logseq":
        return set()
    return {_line_key(line) for line in item.lines[1:] if LOGSEQ_PROPERTY.match(body(line))}


def find_losses(before: Page, after: Page, referenced: frozenset[str] = frozenset()) -> list[str]:
    """What `before` holds that `after` lacks: highlights, notes under their highlight, block ids,
    lines. An empty list means the output may be written."""
    missing: list[str] = []

    after_children: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    after_properties: dict[tuple[str, ...], set[str]] = {}
    for item in _highlights(after):
        key = highlight_key(item, after.kind)
        after_children.setdefault(key, set()).update(
            subtree_key(c, after.kind) for c in item.children
        )
        after_properties.setdefault(key, set()).update(_property_lines(item, after.kind))
    # Text lines of a highlight (or of a note) the output holds under the same key: a copy may
    # wrap its text differently, so its lines are accounted for by the key, not line by line.
    covered_items: list[Item] = []
    for item in _highlights(before):
        key = highlight_key(item, before.kind)
        if key not in after_children:
            missing.append(f"highlight {key[-1][:60]!r}")
            continue
        covered_items.append(item)
        for prop in sorted(_property_lines(item, before.kind) - after_properties[key]):
            missing.append(f"property {prop[:40]!r} of highlight {key[-1][:40]!r}")
        for child in item.children:
            if subtree_key(child, before.kind) not in after_children[key]:
                missing.append(f"note {' '.join(subtree_key(child, before.kind))[:60]!r}")
                continue
            covered_items.extend(child.walk())

    lost_ids = _all_ids(before) - _all_ids(after)
    if before.kind == "obsidian":
        lost_ids &= referenced
    missing += [f"block id {i}" for i in sorted(lost_ids)]

    def covered() -> set[str]:
        return set().union(*(_text_line_keys(item, before.kind) for item in covered_items))

    lost_lines = _lost_lines(before, after, covered)
    missing += [f"line {t[:60]!r}" for t in sorted(lost_lines)]
    return missing
