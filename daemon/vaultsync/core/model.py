"""The page model both formats share: raw runs of lines and highlight sections of list items.

Every line keeps its exact bytes (indentation and ending included). Rules move, merge or drop
whole items and edit single lines; serializing concatenates the lines again, so an untouched page
comes back byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from vaultsync.core.text import BOM, dominant_newline, join_lines

Kind = Literal["logseq", "obsidian"]

# A code fence (CommonMark): three or more backticks or tildes open it; only a run of the same
# character, at least as long, with nothing after it but white space, closes it. Inside, no
# line is a bullet, heading or anything else of ours.
_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_FENCE_CLOSE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*$")


def fence_opens(text: str) -> str | None:
    """The marker run (e.g. "````") when the line opens a code fence."""
    if "``" not in text and "~~" not in text:  # (most lines: a literal test before the regex)
        return None
    m = _FENCE_OPEN.match(text)
    return m.group(1) if m else None


def fence_closes(text: str, marker: str) -> bool:
    """The line closes the fence `marker` opened."""
    m = _FENCE_CLOSE.match(text)
    return m is not None and m.group(1)[0] == marker[0] and len(m.group(1)) >= len(marker)


class Untouched(Enum):
    """Why a rule left a page or a section as it was on purpose (render/pages.py words it)."""

    CHAPTERS = "chapters"  # fold: sync sections under the document's own chapter headings
    QUOTED = "quoted"  # the page: its template writes each highlight as a blockquote
    HEADED = "headed"  # the page: its template writes each highlight under a heading


@dataclass(frozen=True)
class LeftAlone:
    """What a rule left as it was on purpose (`rule`: "fold", "page"), why, and how many
    (`count`: sections left); the pass's summary and the log show it in render's words."""

    rule: str
    why: Untouched
    count: int = 0


@dataclass(eq=False)
class Item:
    """A list item (a Logseq block, an Obsidian list item): its own lines, then its children."""

    lines: list[str]
    children: list[Item] = field(default_factory=list)
    # A top-level item without a location link on a page whose highlights carry them: the
    # user's own block, not a highlight (set by the parsers, see highlights.mark_user_blocks;
    # on a page where no highlight has a link, every unit is a highlight).
    user_block: bool = False

    def all_lines(self) -> Iterator[str]:
        """Own lines, then every descendant's, in file order."""
        for item in self.walk():
            yield from item.lines

    def copy(self) -> Item:
        """The item and its descendants as new objects (iterative, as `walk`); the lines are
        strings, shared."""
        top = Item(list(self.lines), user_block=self.user_block)
        stack = [(self, top)]
        while stack:
            source, dest = stack.pop()
            for child in source.children:
                twin = Item(list(child.lines))
                dest.children.append(twin)
                stack.append((child, twin))
        return top

    def walk(self) -> Iterator[Item]:
        """This item and every descendant, depth first (iterative: outlines can nest deeper
        than Python's recursion limit)."""
        stack: list[Item] = [self]
        while stack:
            item = stack.pop()
            yield item
            stack.extend(reversed(item.children))


@dataclass(eq=False)
class Section:
    """A highlights section: "Highlights first synced by [[Readwise]]" / "## Highlights" and the
    later "New highlights added …" ones. `head` holds the heading line(s), `items` the list items
    under it, `tail` the blank lines that separate it from what follows."""

    head: list[str]
    items: list[Item]
    tail: list[str] = field(default_factory=list)
    is_new: bool = False  # a "New highlights …" section appended by a later sync

    def all_lines(self) -> Iterator[str]:
        yield from self.head
        for item in self.items:
            yield from item.all_lines()
        yield from self.tail


Segment = list[str] | Section


@dataclass(eq=False)
class Page:
    """A parsed page: segments in file order, plus the shape of its bytes."""

    kind: Kind
    segments: list[Segment]
    bom: bool = False
    final_newline: bool = True
    newline: str = "\n"
    # Metadata read from the page (lower-case keys: title, author, category, url, full-title).
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def sections(self) -> list[Section]:
        return [s for s in self.segments if isinstance(s, Section)]

    def lines(self) -> list[str]:
        out: list[str] = []
        for seg in self.segments:
            if isinstance(seg, Section):
                out.extend(seg.all_lines())
            else:
                out.extend(seg)
        return out

    def copy(self) -> Page:
        """A copy the rules can change without changing this page: what parsing its text again
        gives, for a fraction of the cost."""
        segments: list[Segment] = [
            Section(list(s.head), [i.copy() for i in s.items], list(s.tail), s.is_new)
            if isinstance(s, Section)
            else list(s)
            for s in self.segments
        ]
        return Page(
            self.kind, segments, self.bom, self.final_newline, self.newline, dict(self.meta)
        )

    def serialize(self) -> str:
        text = join_lines(self.lines(), self.newline, self.final_newline)
        return BOM + text if self.bom else text


def page_shape(lines: list[str]) -> tuple[bool, str]:
    """(final_newline, newline) of a page's lines, for `Page`."""
    final = bool(lines) and lines[-1].endswith("\n")
    return (final or not lines), dominant_newline(lines)
