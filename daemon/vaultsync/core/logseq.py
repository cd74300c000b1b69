"""Logseq pages: the property pre-block, then an outline of blocks.

A bullet line (`- `, at any indentation, outside a code fence) starts a block; every other line
continues the block before it. Depth comes from indentation, compared as a stack so that tabs and
spaces both work. Top-level blocks that read "Highlights first synced by [[Readwise]] …" or
"New highlights added …" are highlight sections; their children are the highlights.
"""

from __future__ import annotations

import re

from vaultsync.core import syntax
from vaultsync.core.highlights import mark_user_blocks
from vaultsync.core.model import (
    Item,
    Page,
    Section,
    Segment,
    fence_closes,
    fence_opens,
    page_shape,
)
from vaultsync.core.text import BOM, body, split_lines

SECTION_HEAD = re.compile(
    r"^[-*+][ \t]+(?P<which>Highlights first synced by|New highlights added)\b", re.IGNORECASE
)
# The heading line a sync writes, and nothing else (a user's own text on it is not ours to drop):
# "Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]",
# "New highlights added [[Mar 12th, 2023]] at 11:38 AM" (any date format, 12 or 24 hour clock).
SYNC_HEADING = re.compile(
    r"^-[ \t]+(?:Highlights first synced by \[\[Readwise\]\]|New highlights added)"
    r"(?:[ \t]+\[\[[^\]]*\]\])?(?:[ \t]+at[ \t]+\d{1,2}:\d{2}(?:[ \t]*[AaPp]\.?[Mm]\.?)?)?[ \t]*$"
)
# Only a dash starts a block: to Logseq (mldoc) "* x", "+ x", "1. x" and "2) x" are text of the
# block before them, as in a multi-paragraph highlight's continuation lines.
BLOCK_START = re.compile(r"^[ \t]*-(?:[ \t]+|$)")


def _indent_width(line: str) -> int:
    # Logseq (mldoc) counts every leading tab or space as one level, whatever their mix.
    return len(line) - len(line.lstrip(" \t"))


def _blocks(lines: list[str]) -> list[Item]:
    """Build the block tree from the lines after the pre-block (the first line is a bullet)."""
    roots: list[Item] = []
    stack: list[tuple[int, Item]] = []
    fence: str | None = None  # the marker of the open code fence
    current: Item | None = None
    for line in lines:
        text = body(line)
        if current is not None and fence is not None:
            current.lines.append(line)
            if fence_closes(text, fence):
                fence = None
            continue
        start = BLOCK_START.match(text)
        if start:
            width = _indent_width(text)
            block = Item([line])
            while stack and stack[-1][0] >= width:
                stack.pop()
            (stack[-1][1].children if stack else roots).append(block)
            stack.append((width, block))
            current = block
            # A fence may open on the bullet line itself: "- ```python". (The match is anchored:
            # the text after it is what BLOCK_START.sub("", text, count=1) leaves.)
            fence = fence_opens(text[start.end() :])
            continue
        assert current is not None
        current.lines.append(line)
        fence = fence_opens(text)
    return roots


def parse(text: str) -> Page:
    """Parse a Logseq page; serialize() of the result gives `text` back unchanged."""
    bom = text.startswith(BOM)
    lines = split_lines(text[1:] if bom else text)
    final_newline, newline = page_shape(lines)

    first_bullet = next(
        (i for i, line in enumerate(lines) if BLOCK_START.match(body(line))), len(lines)
    )
    pre = lines[:first_bullet]
    rest = lines[first_bullet:]
    # Blank lines at the very end belong to the page, not to the last block (which may move).
    end = len(rest)
    while end > 0 and not body(rest[end - 1]).strip():
        end -= 1
    tail = rest[end:]
    rest = rest[:end]

    # The pre-block always comes first, even empty, so property_line() knows where to look.
    segments: list[Segment] = [pre]
    for block in _blocks(rest):
        m = SECTION_HEAD.match(body(block.lines[0]))
        if m:
            is_new = m["which"].lower() != "highlights first synced by"
            segments.append(Section(head=block.lines, items=block.children, is_new=is_new))
        else:
            segments.append(list(block.all_lines()))
    if tail:
        segments.append(tail)

    meta = _metadata(pre, segments)
    page = Page(
        kind="logseq",
        segments=segments,
        bom=bom,
        final_newline=final_newline,
        newline=newline,
        meta=meta,
    )
    mark_user_blocks(page.sections, "logseq")
    return page


def _folded(text: str) -> bool:
    """`collapsed:: true`, as Logseq writes it when the user folds a block: not the user's."""
    return syntax.logseq_fold_state(text) == "true"


_YAML_ITEM = re.compile(r"^([A-Za-z][\w-]*):[ \t]*(.*)$")


def _metadata(pre: list[str], segments: list[Segment]) -> dict[str, str]:
    """Page properties (`key:: value` before the first block); the old export's YAML
    frontmatter (`author: …`) and its `- Author:: …` blocks before the first section."""
    meta: dict[str, str] = {}
    for line in pre:
        prop = syntax.logseq_property(body(line))
        if prop:
            meta.setdefault(prop[0], prop[1].strip())
    if syntax.frontmatter_opens(pre):
        close = syntax.frontmatter_close(pre)
        for line in pre[1 : len(pre) if close is None else close]:
            text = body(line)
            m = _YAML_ITEM.match(text)
            if m and m.group(2).strip():
                meta.setdefault(m.group(1).lower(), m.group(2).strip().strip("\"'"))
    for seg in segments[1:]:
        if isinstance(seg, Section):
            break
        for line in seg:
            prop = syntax.logseq_property(BLOCK_START.sub("", body(line), count=1))
            if prop and prop[1].strip():
                meta.setdefault(prop[0], prop[1].strip())
    return meta


def is_sync_heading(line: str) -> bool:
    """The line is one a folded sync section may lose: its heading exactly as a Readwise sync
    writes it, or the `collapsed:: true` Logseq wrote under it (the no-loss check lets these
    go; a highlight's own properties it checks apart)."""
    text = body(line)
    if text.startswith("-"):
        return SYNC_HEADING.match(text) is not None
    return _folded(text)


def section_removable(section: Section) -> bool:
    """A later section may go once emptied if it holds nothing but its heading line and
    Logseq's own `collapsed:: true` (an `id::` may be referenced, a property or line of the
    user's is theirs: then it stays)."""
    return all(not body(line).strip() or _folded(body(line)) for line in section.head[1:])


def property_line(page: Page, key: str) -> tuple[list[str], int] | None:
    """Where the page property `key::` sits in the pre-block: (the run of lines, index)."""
    if not page.segments or isinstance(page.segments[0], Section):
        return None
    run = page.segments[0]
    for i, line in enumerate(run):
        prop = syntax.logseq_property(body(line))
        if prop and prop[0] == key:
            return run, i
    return None
