"""Obsidian notes: optional YAML frontmatter, headings, and highlight lists under them.

A heading of level 2-4 whose text starts with "Highlights" or "New highlights" opens a highlights
section; any other heading closes it. Inside a section, top-level list items are the highlights,
deeper list items their children (Note:, Tags:, Date::, the user's own), and other lines belong to
the item before them. Frontmatter and every line outside sections are kept as raw runs.
"""

from __future__ import annotations

import re

from vaultsync.core import syntax
from vaultsync.core.highlights import BULLET, mark_user_blocks
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

HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
SECTION_TITLE = re.compile(r"^(?P<new>new )?highlights\b", re.IGNORECASE)
# Section headings as templates write them: "## Highlights", "## Highlights first synced by …",
# "## New highlights added <date>", "### New highlights synced"; not "## Highlights I disagree
# with", a heading of the user's own that only starts alike.
SYNC_TITLE = re.compile(
    r"^(?:highlights(?: first synced by .*)?|new highlights (?:added|synced)(?: .*)?)$",
    re.IGNORECASE,
)
# "- Author: [[A]]", and as a Dataview inline field "- Category:: 🐦" (the second colon is not
# the value's).
_META_ITEM = re.compile(r"^[-*+][ \t]+(?P<key>[A-Za-z][A-Za-z -]*?)::?[ \t]*(?P<value>.*)$")


def _indent_width(text: str) -> int:
    width = 0
    for ch in text:
        if ch == "\t":
            width += 4 - width % 4
        elif ch == " ":
            width += 1
        else:
            break
    return width


def _frontmatter_end(lines: list[str]) -> int:
    """Index just past the frontmatter, or 0 when the note has none."""
    close = syntax.frontmatter_close(lines)
    return 0 if close is None else close + 1


def _chapter_level(text: str, level: int) -> bool:
    """A heading deeper than the section's (Reader's "### 3.6 …" under "## Highlights"): a
    document heading that belongs to the section, with the highlights under it."""
    if not text.startswith("#"):
        return False
    m = HEADING.match(text)
    return m is not None and len(m.group(1)) > level


def _quotes(lines: list[str]) -> bool:
    """The section's template writes a blockquote per highlight ("> text" then
    "> [View Highlight](…)", a blank line between): its first line of content is a quote."""
    first = next((body(x) for x in lines if body(x).strip()), "")
    return first.startswith(">")


def _list_end(lines: list[str], level: int, quotes: bool = False) -> int:
    """Where the section's list ends: at the blank lines before a line that is neither a list
    item (nor a chapter heading) nor indented into one (Markdown closes the list there; Readwise
    never writes blank lines inside a highlight). What follows is the user's, not any
    highlight's. The same holds after text under the heading, so a section whose items were
    folded away reads the same."""
    seen = False
    fence: str | None = None
    blank_from: int | None = None
    for i, line in enumerate(lines):
        text = body(line)
        if fence is not None:
            if fence_closes(text, fence):
                fence = None
            continue
        if not text.strip():
            blank_from = i if blank_from is None else blank_from
            continue
        bullet = BULLET.match(text)
        is_item = bullet is not None or (quotes and text.startswith(">"))
        chapter = not is_item and _chapter_level(text, level)
        if seen and blank_from is not None and not (is_item or chapter) and _indent_width(text) < 2:
            return blank_from
        blank_from = None
        seen = True
        # (BULLET is anchored: the text after its match is what BULLET.sub(count=1) leaves.)
        fence = fence_opens(text[bullet.end() :] if bullet else text)
    return len(lines)


def _section(
    head_line: str, lines: list[str], is_new: bool, level: int
) -> tuple[Section, list[str]]:
    """Split a section's body into head lines, list items and trailing blank lines; the lines
    after the list (see _list_end) come back apart. A chapter heading inside the section is an
    item of its own (never a highlight: see highlights.is_chapter), the list after it the
    highlights under it. In a blockquote template each quote (its "> " lines and the blank
    lines after it) is a unit."""
    quotes = _quotes(lines)
    rest = lines[_list_end(lines, level, quotes) :]
    lines = lines[: len(lines) - len(rest)]
    end = len(lines)
    while end > 0 and not body(lines[end - 1]).strip():
        end -= 1
    tail = lines[end:]
    lines = lines[:end]

    head = [head_line]
    items: list[Item] = []
    stack: list[tuple[int, Item]] = []
    current: Item | None = None
    fence: str | None = None
    for line in lines:
        text = body(line)
        if fence is not None:
            (head if current is None else current.lines).append(line)
            if fence_closes(text, fence):
                fence = None
            continue
        if quotes and text.startswith(">"):
            # A quote after a blank line (or the first) starts a unit; "> " lines go on it.
            if current is None or not body(current.lines[-1]).strip():
                current = Item([line])
                items.append(current)
                stack = []
            else:
                current.lines.append(line)
            continue
        bullet = BULLET.match(text)
        if bullet:
            width = _indent_width(text)
            if current is None or width == 0 or not stack:
                item = Item([line])
                items.append(item)
                stack = [(width, item)]
            else:
                item = Item([line])
                while len(stack) > 1 and stack[-1][0] >= width:
                    stack.pop()
                stack[-1][1].children.append(item)
                stack.append((width, item))
            current = item
            fence = fence_opens(text[bullet.end() :])  # (what BULLET.sub(count=1) leaves)
            continue
        if _chapter_level(text, level):
            current = Item([line])
            items.append(current)
            stack = []  # the list after it starts afresh
            continue
        (head if current is None else current.lines).append(line)
        fence = fence_opens(text)
    return Section(head=head, items=items, tail=tail, is_new=is_new), rest


def parse(text: str) -> Page:
    """Parse an Obsidian note; serialize() of the result gives `text` back unchanged."""
    bom = text.startswith(BOM)
    lines = split_lines(text[1:] if bom else text)
    final_newline, newline = page_shape(lines)

    fm_end = _frontmatter_end(lines)
    segments: list[Segment] = [lines[:fm_end]]
    raw: list[str] = []
    open_head: str | None = None
    open_new = False
    open_level = 0
    section_lines: list[str] = []
    fence: str | None = None

    def close() -> None:
        nonlocal open_head, section_lines
        if open_head is not None:
            section, rest = _section(open_head, section_lines, open_new, open_level)
            segments.append(section)
            if rest:
                segments.append(rest)
        open_head, section_lines = None, []

    for line in lines[fm_end:]:
        text = body(line)
        if fence is not None:
            if fence_closes(text, fence):
                fence = None
            m = None
        else:
            fence = fence_opens(text)
            m = HEADING.match(text) if text.startswith("#") else None
        if m:
            level, title = len(m.group(1)), m.group(2)
            t = SECTION_TITLE.match(title)
            if 2 <= level <= 4 and t:
                close()
                if raw:
                    segments.append(raw)
                    raw = []
                open_head, open_new, open_level = line, bool(t.group("new")), level
                continue
            if open_head is None or level <= open_level:
                close()
        if open_head is not None:
            section_lines.append(line)
        else:
            raw.append(line)
    close()
    if raw:
        segments.append(raw)

    page = Page(
        kind="obsidian",
        segments=segments,
        bom=bom,
        final_newline=final_newline,
        newline=newline,
        meta=_metadata(lines, fm_end),
    )
    mark_user_blocks(page.sections, "obsidian")
    return page


def _metadata(lines: list[str], fm_end: int) -> dict[str, str]:
    """`- Author: …`, `- Full Title: …`, `- Category: …`, `- URL: …` and the `# Title`."""
    meta: dict[str, str] = {}
    skipping = False  # inside a sync section written above the `# Title`
    for line in lines[fm_end:]:
        text = body(line)
        h = HEADING.match(text) if text.startswith("#") else None
        if h and len(h.group(1)) == 1:
            meta.setdefault("title", h.group(2))
            skipping = False
            continue
        if h and SECTION_TITLE.match(h.group(2)):
            if "title" in meta:
                break
            skipping = True
            continue
        if skipping:
            continue
        m = _META_ITEM.match(text)
        if m:
            meta.setdefault(m["key"].strip().lower(), m["value"].strip())
    return meta


def is_sync_heading(line: str) -> bool:
    """The line is a section heading as a Readwise template writes it."""
    m = HEADING.match(body(line))
    return m is not None and 2 <= len(m.group(1)) <= 4 and SYNC_TITLE.match(m.group(2)) is not None


def section_removable(section: Section) -> bool:
    """A later section may go once emptied if it holds nothing but its heading and blank lines."""
    return all(not body(line).strip() for line in section.head[1:])


def author_line(page: Page) -> tuple[list[str], int] | None:
    """Where `- Author: …` sits (in a raw run before the first highlights section)."""
    for seg in page.segments:
        if isinstance(seg, Section):
            return None
        for i, line in enumerate(seg):
            m = _META_ITEM.match(body(line))
            if m and m["key"].strip().lower() == "author":
                return seg, i
    return None
