"""Author pages: the managed backlinks region (their file names: core/author_names.py).

Pure: the sync layer decides which pages exist and writes; this module only computes names and
texts. Nothing outside the managed region of an author page is ever changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from vaultsync.core import syntax
from vaultsync.core.author_names import MAX_NAME_BYTES as MAX_NAME_BYTES
from vaultsync.core.author_names import NameProblem as NameProblem
from vaultsync.core.author_names import UnsafeName as UnsafeName
from vaultsync.core.author_names import check_name as check_name
from vaultsync.core.author_names import logseq_file_stem as logseq_file_stem
from vaultsync.core.author_names import logseq_page_name as logseq_page_name
from vaultsync.core.author_names import obsidian_file_stem as obsidian_file_stem
from vaultsync.core.author_names import obsidian_link as obsidian_link
from vaultsync.core.highlights import BULLET
from vaultsync.core.identity import fold
from vaultsync.core.text import BOM, body, dominant_newline, split_lines

LOGSEQ_MARKER = "vaultsync:: author-index"
OBSIDIAN_BEGIN = "<!-- vaultsync:author-index:begin (kept up to date by vaultsync) -->"
OBSIDIAN_END = "<!-- vaultsync:author-index:end -->"


def link_target(value: str) -> str | None:
    """The page an author value links to: `[[X]]` / `[[X|shown]]` → X; plain text → None."""
    m = syntax.whole_link(value)
    return m.group(1).strip() if m else None


@dataclass(frozen=True)
class Source:
    """A Readwise page by an author, as its author page lists it."""

    link: str  # the page name (Logseq) or note name (Obsidian) to link
    category: str = ""
    highlights: int = 0
    newest: int = 0  # YYYYMMDD of the newest highlight or sync, 0 when unknown


def _ordered_groups(sources: list[Source]) -> list[tuple[str, list[Source]]]:
    """Sources grouped by category, newest first inside a group and across groups."""
    groups: dict[str, list[Source]] = {}
    for s in set(sources):
        groups.setdefault(s.category.strip().lower() or "other", []).append(s)
    for items in groups.values():
        items.sort(key=lambda s: (-s.newest, s.link.casefold(), s.link))
    return sorted(groups.items(), key=lambda g: (-g[1][0].newest, g[0]))


def _entry(s: Source) -> str:
    count = f" · {s.highlights} highlight{'s' if s.highlights != 1 else ''}" if s.highlights else ""
    return f"[[{s.link}]]{count}"


def _source_lines(sources: list[Source], indent: str, newline: str) -> list[str]:
    out = []
    for category, items in _ordered_groups(sources):
        out.append(f"{indent}- {category.capitalize()}{newline}")
        out += [f"{indent}\t- {_entry(s)}{newline}" for s in items]
    return out


def _alias_value(aliases: list[str]) -> str:
    return ", ".join(f"[[{a}]]" for a in aliases)


def logseq_author_page(
    name: str, sources: list[Source], with_title: bool, aliases: list[str] | tuple = ()
) -> str:
    """A new Logseq author page: title:: (when the file name can't say it), alias::, then the
    managed block listing the sources."""
    head = f"title:: {name}\n" if with_title else ""
    if aliases:
        head += f"alias:: {_alias_value(sorted(aliases, key=str.casefold))}\n"
    if head:
        head += "\n"
    block = "- Readwise sources\n  " + LOGSEQ_MARKER + "\n"
    return head + block + "".join(_source_lines(sources, "\t", "\n"))


def _add_logseq_aliases(lines: list[str], aliases: list[str], newline: str) -> list[str]:
    """Add missing names to the page's `alias::` property (never removing any)."""
    if not aliases:
        return lines
    first_bullet = next((i for i, ln in enumerate(lines) if BULLET.match(body(ln))), len(lines))
    for i, key, given in syntax.logseq_page_properties(lines):
        if key == "alias":
            have = syntax.logseq_aliases(given)
            known = {fold(a) for a in have}
            extra = sorted({a for a in aliases if fold(a) not in known}, key=str.casefold)
            if not extra:
                return lines
            text = body(lines[i])
            prefix = text[: len(text) - len(given.lstrip(" \t"))]  # `alias::` and its spacing
            value = ", ".join(filter(None, [given.strip(), _alias_value(extra)]))
            return lines[:i] + [prefix + value + newline] + lines[i + 1 :]
    line = f"alias:: {_alias_value(sorted(set(aliases), key=str.casefold))}{newline}"
    if first_bullet == 0:
        return [line, newline] + lines
    return [line] + lines


def update_logseq_author_page(
    text: str, sources: list[Source], aliases: list[str] | tuple = ()
) -> str | None:
    """Replace the children of the managed block and add missing aliases; None when the page
    has no managed block (a page the user owns)."""
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
    new = _add_logseq_aliases(new, list(aliases), newline)
    out = "".join(new)
    if not text.endswith("\n") and out.endswith(newline):
        out = out[: -len(newline)]
    return (BOM if bom else "") + out


def obsidian_author_note(name: str, sources: list[Source], aliases: list[str] | tuple = ()) -> str:
    """A new Obsidian author note: aliases in frontmatter, a title and the managed region."""
    front = ""
    if aliases:
        items = "".join(
            f"  - {json.dumps(a, ensure_ascii=False)}\n"
            for a in sorted(set(aliases), key=str.casefold)
        )
        front = f"---\naliases:\n{items}---\n"
    return front + f"# {name}\n\n" + _obsidian_region(sources, "\n") + "\n"


def _obsidian_region(sources: list[Source], newline: str) -> str:
    lines = [OBSIDIAN_BEGIN, "## Readwise sources"]
    for category, items in _ordered_groups(sources):
        lines.append(f"### {category.capitalize()}")
        lines += [f"- {_entry(s)}" for s in items]
    lines.append(OBSIDIAN_END)
    return newline.join(lines)


def _add_obsidian_aliases(text: str, aliases: list[str], newline: str) -> str:
    """Add missing names to a frontmatter `aliases:` block list (the form we write); a
    frontmatter in another form is left as it is."""
    if not aliases:
        return text
    lines = split_lines(text)
    if syntax.frontmatter_opens(lines):
        end = syntax.frontmatter_close(lines)
        if end is None:
            return text
        key = next((i for i in range(1, end) if re.match(r"^aliases:\s*$", body(lines[i]))), None)
        if key is None:
            if any(re.match(r"^aliases:", body(lines[i])) for i in range(1, end)):
                return text  # aliases in a form we don't edit
            insert_at, have = end, []
            head = [f"aliases:{newline}"]
        else:
            stop = key + 1
            while stop < end and re.match(r"^\s+-\s", body(lines[stop])):
                stop += 1
            have = [
                json_or_plain(body(ln).split("-", 1)[1].strip()) for ln in lines[key + 1 : stop]
            ]
            insert_at, head = stop, []
        known = {fold(a) for a in have}
        extra = sorted({a for a in aliases if fold(a) not in known}, key=str.casefold)
        if not extra:
            return text
        new = head + [f"  - {json.dumps(a, ensure_ascii=False)}{newline}" for a in extra]
        return "".join(lines[:insert_at] + new + lines[insert_at:])
    items = "".join(
        f"  - {json.dumps(a, ensure_ascii=False)}{newline}"
        for a in sorted(set(aliases), key=str.casefold)
    )
    return f"---{newline}aliases:{newline}{items}---{newline}" + text


def json_or_plain(value: str) -> str:
    """A YAML list item's value: a JSON-style quoted string, or the plain text."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        try:
            return str(json.loads(value)) if value[0] == '"' else value[1:-1]
        except ValueError:
            return value[1:-1]
    return value


def update_obsidian_author_note(
    text: str, sources: list[Source], aliases: list[str] | tuple = ()
) -> str | None:
    """Replace the managed region and add missing aliases; None when the note has no region
    (a note the user owns)."""
    begin = text.find(OBSIDIAN_BEGIN)
    end = text.find(OBSIDIAN_END, begin + 1)
    if begin < 0 or end < 0:
        return None
    newline = "\r\n" if "\r\n" in text[begin:end] else "\n"
    out = text[:begin] + _obsidian_region(sources, newline) + text[end + len(OBSIDIAN_END) :]
    return _add_obsidian_aliases(out, list(aliases), newline)


def _entries(lines: list[str]) -> list[str]:
    """Frontmatter lines grouped into entries: a key line with its indented or list lines."""
    entries: list[str] = []
    for line in lines:
        text = body(line)
        if entries and (not text.strip() or text[:1] in (" ", "\t", "-")):
            entries[-1] += line
        else:
            entries.append(line)
    return entries


def _entry_key(entry: str) -> str | None:
    m = re.match(r"^([^\s#:][^:]*?)\s*:(?:\s|$)", entry)
    return m.group(1) if m else None


def logseq_page_aliases(text: str) -> list[str]:
    """The names a Logseq page lists in its `alias::` page property."""
    lines = split_lines(text.lstrip(BOM))
    given = (v for _, key, v in syntax.logseq_page_properties(lines) if key == "alias")
    return syntax.logseq_aliases(next(given, ""))


def obsidian_page_aliases(text: str) -> list[str]:
    """The names an Obsidian note lists under `aliases:` in its frontmatter."""
    lines = split_lines(text.lstrip(BOM))
    end = syntax.frontmatter_close(lines)
    if end is None:
        return []
    import yaml

    try:
        data = yaml.safe_load("".join(lines[1:end]))
    except yaml.YAMLError:
        return []
    value = data.get("aliases") if isinstance(data, dict) else None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [str(v).strip() for v in value if v is not None and str(v).strip()]


def frontmatter_entries(text: str) -> list[str]:
    """An Obsidian note's frontmatter entries other than `aliases` (kept when it is merged)."""
    lines = split_lines(text)
    end = syntax.frontmatter_close(lines)
    if end is None:
        return []
    return [e for e in _entries(lines[1:end]) if _entry_key(e) != "aliases"]


def add_frontmatter_entries(text: str, entries: list[str]) -> tuple[str, list[str]]:
    """Add the entries whose key the note's frontmatter lacks (a frontmatter is made if need
    be); returns the text and the entries it holds under the same key with another value."""
    if not entries:
        return text, []
    lines = split_lines(text)
    newline = dominant_newline(lines)
    end = syntax.frontmatter_close(lines)
    have = _entries(lines[1:end]) if end is not None else []
    by_key = {_entry_key(e): e for e in have}
    add, clash = [], []
    for entry in entries:
        key = _entry_key(entry)
        same = [e for e in have if e.strip() == entry.strip()]
        if same:
            continue
        if key is not None and key in by_key:
            clash.append(entry)
        else:
            add.append("".join(ln.rstrip("\r\n") + newline for ln in split_lines(entry)))
    if not add:
        return text, clash
    if end is None:
        return f"---{newline}" + "".join(add) + f"---{newline}" + text, clash
    return "".join(lines[:end] + add + lines[end:]), clash


def obsidian_user_text(text: str, name: str) -> str:
    """What the user wrote on an author note we manage: everything but the frontmatter, our
    `# Name` title and the managed region. Empty when the note holds nothing of theirs."""
    begin = text.find(OBSIDIAN_BEGIN)
    end = text.find(OBSIDIAN_END, begin + 1)
    if begin >= 0 and end >= 0:
        text = text[:begin] + text[end + len(OBSIDIAN_END) :]
    lines = split_lines(text)
    if syntax.frontmatter_opens(lines):
        lines = lines[(syntax.frontmatter_close(lines) or 0) + 1 :]
    return _users(ln for ln in lines if body(ln).strip() != f"# {name}")


def logseq_user_text(text: str, name: str) -> str:
    """What the user wrote on an author page we manage: everything but our `title::` and
    `alias::` lines and the managed block. Empty when the page holds nothing of theirs."""
    lines = split_lines(text.lstrip(BOM))
    marker = next((i for i, ln in enumerate(lines) if body(ln).strip() == LOGSEQ_MARKER), None)
    if marker is not None:
        start = marker
        while start > 0 and not BULLET.match(body(lines[start])):
            start -= 1
        stop = marker + 1
        while stop < len(lines) and (
            not body(lines[stop]).strip() or body(lines[stop])[:1] in ("\t", " ")
        ):
            stop += 1
        lines = lines[:start] + lines[stop:]
    return _users(ln for ln in lines if not _name_property(body(ln)))


def _users(lines: Iterable[str]) -> str:
    out = "".join(lines).strip("\r\n")
    return out if out.strip() else ""


def _name_property(text: str) -> bool:
    """A `title::` or `alias::` line at the start of a line (the ones our pages carry)."""
    prop = syntax.logseq_property(text)
    return prop is not None and prop[0] in syntax.NAME_KEYS and not text[:1].isspace()


def plain_or_empty(value: str) -> bool:
    """An author value with no link markup and no tag: text we may turn into links."""
    return "[[" not in value and "]]" not in value and not value.lstrip().startswith("#")
