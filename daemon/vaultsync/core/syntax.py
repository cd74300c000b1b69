"""The notes apps' small constructs, each read by exactly one function here.

Wiki links, block references, Logseq properties and page names (`title::`, `alias::`) and the
end of Obsidian frontmatter were once parsed in several modules, and the copies drifted apart.
Every caller now asks this module; tests/test_formats.py fails if a copy comes back elsewhere.
Pure: no I/O, and it imports nothing of vaultsync but the line helpers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from vaultsync.core.text import body, split_lines

# A wiki link: `[[target]]` or `[[target|shown]]` (Obsidian's label; the target may be empty).
WIKILINK = re.compile(r"\[\[([^\]|]*)(?:\|([^\]]*))?\]\]")
# A Logseq page reference: everything between the brackets is the page name (Logseq has no `|`
# label), as in `alias:: [[A]], [[B]]`.
PAGE_REF = re.compile(r"\[\[([^\]]+)\]\]")
# A wiki link or embed to a block of a note: `[[Note#^id]]`, `![[Note#^id|shown]]`, `[[#^id]]`.
BLOCK_REF = re.compile(r"\[\[[^\]|#]*#\^([A-Za-z0-9-]+)")
# A Logseq property line: `key:: value` (at any indentation: a block's properties are indented).
LOGSEQ_PROPERTY = re.compile(r"^[ \t]*([A-Za-z0-9_.\-]+):: ?(.*)$")
# The page-name properties: `title::` names the page, `alias::` gives its other names.
NAME_KEYS = ("title", "alias")
# The fold state Logseq writes into a block itself when the user folds (or unfolds) it.
_FOLD_STATE = re.compile(r"^[ \t]*collapsed:: *(true|false)[ \t]*$", re.IGNORECASE)
# An org file-level keyword: `#+title: X`, `#+alias: A, B`.
ORG_KEYWORD = re.compile(r"^\s*#\+([A-Za-z_-]+):\s*(.*?)\s*$")
# The lines that close a YAML frontmatter block (YAML's document end `...` counts too).
_FRONTMATTER_CLOSE = ("---", "...")


def shown(link: re.Match[str]) -> str:
    """What a wiki link shows: its label, else its target."""
    return link.group(2) if link.group(2) is not None else link.group(1)


def named_links(text: str) -> Iterator[re.Match[str]]:
    """The wiki links in `text` that name a target (`[[|x]]` names none)."""
    return (m for m in WIKILINK.finditer(text) if m.group(1))


def sub_named_links(text: str, replace: Callable[[re.Match[str]], str]) -> str:
    """`text` with each wiki link that names a target replaced; the others kept as they are."""
    return WIKILINK.sub(lambda m: replace(m) if m.group(1) else m.group(0), text)


def whole_link(value: str) -> re.Match[str] | None:
    """The wiki link `value` consists of (white space around it ignored), or None."""
    m = WIKILINK.fullmatch(value.strip())
    return m if m is not None and m.group(1) else None


def block_refs(text: str) -> list[str]:
    """The block ids the wiki links and embeds in `text` point at (`[[Note#^id]]` → id)."""
    return [m.group(1) for m in BLOCK_REF.finditer(text)]


def logseq_property(text: str) -> tuple[str, str] | None:
    """A Logseq property line's key (lower case) and value; None for any other line."""
    m = LOGSEQ_PROPERTY.match(text)
    return (m.group(1).lower(), m.group(2)) if m else None


def logseq_fold_state(text: str) -> str | None:
    """The value of a `collapsed::` line as written ("true", "false", any case); None for any
    other line."""
    m = _FOLD_STATE.match(text) if "collapsed::" in text else None
    return m.group(1) if m else None


def logseq_page_properties(lines: list[str]) -> Iterator[tuple[int, str, str]]:
    """The page's own properties: (line index, key, value) of each property line at the top of
    the page, blank lines skipped, up to the first line of anything else (a block, text)."""
    for i, line in enumerate(lines):
        text = body(line)
        prop = logseq_property(text)
        if prop is None:
            if text.strip():
                return
            continue
        yield i, prop[0], prop[1]


def logseq_aliases(value: str) -> list[str]:
    """The names an `alias::` value lists: `[[A, B]], C` → A, B and C."""
    found = PAGE_REF.findall(value)
    rest = PAGE_REF.sub("", value)
    found += [p.strip() for p in rest.split(",") if p.strip()]
    return found


def logseq_names(head: str) -> list[tuple[str, bool]]:
    """The names a Logseq page's properties give it, each with whether it is an alias: the
    `title::` value, then each name `alias::` lists (in the order the lines come)."""
    names: list[tuple[str, bool]] = []
    for _, key, value in logseq_page_properties(split_lines(head)):
        if key == "title":
            names.append((value.strip(), False))
        elif key == "alias":
            names += [(name, True) for name in logseq_aliases(value)]
    return names


def org_names(head: str) -> list[tuple[str, bool]]:
    """The names a Logseq org page's file-level keywords give it (`#+title:`, `#+alias:`, read
    from the lines at the top of the file, as Logseq does), each with whether it is an alias."""
    names: list[tuple[str, bool]] = []
    for line in split_lines(head):
        m = ORG_KEYWORD.match(body(line))
        if not m:
            if body(line).strip() and not body(line).lstrip().startswith("#"):
                break  # the page's content begins: no more file-level keywords
            continue
        key, value = m.group(1).lower(), m.group(2)
        if key == "title" and value.strip():
            names.append((value.strip(), False))
        elif key == "alias":
            names += [(part, True) for part in logseq_aliases(value)]
    return names


def frontmatter_opens(lines: list[str]) -> bool:
    """The note's first line opens a frontmatter block (`---`)."""
    return bool(lines) and body(lines[0]).rstrip() == "---"


def frontmatter_close(lines: list[str]) -> int | None:
    """The index of the line that closes an Obsidian note's frontmatter; None when the note has
    none (no `---` first line, or no closing line)."""
    if not frontmatter_opens(lines):
        return None
    return next(
        (i for i in range(1, len(lines)) if body(lines[i]).rstrip() in _FRONTMATTER_CLOSE), None
    )
