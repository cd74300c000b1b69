"""Author pages: safe file names from untrusted names, and the managed backlinks region.

Pure: the sync layer decides which pages exist and writes; this module only computes names and
texts. Nothing outside the managed region of an author page is ever changed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from daemon.core.highlights import BULLET
from daemon.core.text import BOM, body, dominant_newline, split_lines

MAX_NAME_BYTES = 240  # file name bytes before ".md", below every common file system's 255
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$", re.IGNORECASE)
_LOGSEQ_ENCODED = {c: f"%{ord(c):02X}" for c in ':*?"<>|#\\'}
_OBSIDIAN_FORBIDDEN = re.compile(r'[*"\\/<>:|?#^\[\]]')
_LINK_TARGET = re.compile(r"^\[\[([^\]|]+)(?:\|[^\]]*)?\]\]$")

LOGSEQ_MARKER = "vaultsync:: author-index"
OBSIDIAN_BEGIN = "<!-- vaultsync:author-index:begin (kept up to date by vaultsync) -->"
OBSIDIAN_END = "<!-- vaultsync:author-index:end -->"


class UnsafeName(ValueError):
    """An author name that cannot become a file name inside the vault."""


def check_name(name: str) -> str:
    """The name, trimmed, or UnsafeName with a reason a user understands."""
    name = name.strip()
    if not name:
        raise UnsafeName("the author name is empty")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise UnsafeName("the author name holds control characters (a NUL or a line break)")
    if set(name) <= {".", " "}:
        raise UnsafeName("the author name is only dots")
    return name


def logseq_file_stem(name: str) -> str:
    """Logseq's :triple-lowbar file name for a page name (without ".md").

    `/` becomes `___`, `: * ? " < > | # \\` are percent-encoded, a leading dot is encoded, a
    literal `___` run is encoded, and Windows-reserved names get `___` appended."""
    name = check_name(name)
    stem = name.replace("___", "%5F%5F%5F")
    stem = "".join(_LOGSEQ_ENCODED.get(c, c) for c in stem)
    stem = stem.replace("/", "___")
    if stem.startswith("."):
        stem = "%2E" + stem[1:]
    if _WINDOWS_RESERVED.match(stem):
        stem += "___"
    if len(stem.encode("utf-8")) > MAX_NAME_BYTES:
        raise UnsafeName(f"the author name is too long for a file name ({len(name)} characters)")
    return stem


def logseq_page_name(stem: str) -> str:
    """The page name a :triple-lowbar file name stands for (the inverse of logseq_file_stem)."""
    if stem.endswith("___") and _WINDOWS_RESERVED.match(stem[:-3]):
        stem = stem[:-3]
    name = stem.replace("___", "/").replace("%5F%5F%5F", "___")
    for char, code in _LOGSEQ_ENCODED.items():
        name = name.replace(code, char)
    if name.startswith("%2E"):
        name = "." + name[3:]
    return name


def obsidian_file_stem(name: str) -> str:
    """A note name safe on Windows, macOS and Linux and inside [[links]]."""
    name = check_name(name)
    stem = _OBSIDIAN_FORBIDDEN.sub(" ", name)
    stem = re.sub(r"\s+", " ", stem).strip(" .")
    if not stem:
        raise UnsafeName("the author name has no characters a file name can hold")
    if _WINDOWS_RESERVED.match(stem):
        stem += "_"
    if len(stem.encode("utf-8")) > MAX_NAME_BYTES:
        raise UnsafeName(f"the author name is too long for a file name ({len(name)} characters)")
    return stem


def obsidian_link(name: str) -> str | None:
    """`[[Name]]`, or `[[Safe name|Name]]` when the name is not a safe note name; None if unsafe."""
    try:
        stem = obsidian_file_stem(name)
    except UnsafeName:
        return None
    return f"[[{stem}]]" if stem == name.strip() else f"[[{stem}|{name.strip()}]]"


def link_target(value: str) -> str | None:
    """The page an author value links to: `[[X]]` / `[[X|shown]]` → X; plain text → None."""
    m = _LINK_TARGET.match(value.strip())
    return m.group(1).strip() if m else None


@dataclass(frozen=True)
class Source:
    """A Readwise page by an author, as its author page lists it."""

    link: str  # the page name (Logseq) or note name (Obsidian) to link
    category: str = ""
    highlights: int = 0


def _source_lines(sources: list[Source], indent: str, newline: str) -> list[str]:
    ordered = sorted(set(sources), key=lambda s: (s.link.casefold(), s.link))
    return [f"{indent}- [[{s.link}]]{newline}" for s in ordered]


def logseq_author_page(name: str, sources: list[Source], with_title: bool) -> str:
    """A new Logseq author page: (title::,) then the managed block listing the sources."""
    head = f"title:: {name}\n\n" if with_title else ""
    block = "- Readwise sources\n  " + LOGSEQ_MARKER + "\n"
    return head + block + "".join(_source_lines(sources, "\t", "\n"))


def update_logseq_author_page(text: str, sources: list[Source]) -> str | None:
    """Replace the children of the managed block; None when the page has no managed block."""
    bom = text.startswith(BOM)
    lines = split_lines(text[1:] if bom else text)
    newline = dominant_newline(lines)
    marker = next((i for i, line in enumerate(lines) if body(line).strip() == LOGSEQ_MARKER), None)
    if marker is None:
        return None
    start = marker
    while start > 0 and not body(lines[start]).lstrip().startswith("- "):
        start -= 1
    own_indent = body(lines[start])[: len(body(lines[start])) - len(body(lines[start]).lstrip())]
    keep = marker + 1  # the block's own continuation lines (e.g. collapsed::) stay
    while keep < len(lines) and body(lines[keep]).strip() and not BULLET.match(body(lines[keep])):
        keep += 1
    end = keep
    while end < len(lines):
        text_ = body(lines[end])
        indent = text_[: len(text_) - len(text_.lstrip())]
        if text_.strip() and (not indent.startswith(own_indent) or indent == own_indent):
            break
        end += 1
    if end > 0 and end <= len(lines) and not lines[end - 1].endswith("\n"):
        lines[end - 1] += newline
    new = lines[:keep] + _source_lines(sources, own_indent + "\t", newline) + lines[end:]
    out = "".join(new)
    if not text.endswith("\n") and out.endswith(newline):
        out = out[: -len(newline)]
    return (BOM if bom else "") + out


def obsidian_author_note(name: str, sources: list[Source]) -> str:
    """A new Obsidian author note: a title and the managed region."""
    return f"# {name}\n\n" + _obsidian_region(sources, "\n") + "\n"


def _obsidian_region(sources: list[Source], newline: str) -> str:
    return (
        OBSIDIAN_BEGIN
        + newline
        + "## Readwise sources"
        + newline
        + "".join(_source_lines(sources, "", newline))
        + OBSIDIAN_END
    )


def update_obsidian_author_note(text: str, sources: list[Source]) -> str | None:
    """Replace the managed region; None when the note has none (a note the user owns)."""
    begin = text.find(OBSIDIAN_BEGIN)
    end = text.find(OBSIDIAN_END, begin + 1)
    if begin < 0 or end < 0:
        return None
    newline = "\r\n" if "\r\n" in text[begin:end] else "\n"
    return text[:begin] + _obsidian_region(sources, newline) + text[end + len(OBSIDIAN_END) :]
