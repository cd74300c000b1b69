"""A second opinion on Obsidian pages: what a CommonMark parser (mistune) sees.

Our parser is line-based; this one is not. For each page it lists the top-level list items under
highlights headings with their sub-items, so a test can check that a normalized page still has
every highlight as a list item, once, with its notes as sub-items — as Obsidian renders it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import mistune
from ftfy import fix_encoding

_markdown = mistune.create_markdown(renderer="ast")
_SPACE = re.compile(r"\s+")
_BLOCK_ID = re.compile(r"\s\^[A-Za-z0-9-]+$")


@dataclass
class ItemView:
    text: str  # the item's own inline text, links left out
    urls: list[str]
    children: list[ItemView] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Identity for comparison: the tweet or location URL if any, else the text."""
        loc = [u for u in self.urls if "/status/" in u or "location=" in u]
        if loc:
            return loc[0]
        return _norm(self.text)

    def child_texts(self) -> set[str]:
        return {_norm(c.text) for c in self.children}


def _norm(text: str) -> str:
    return _SPACE.sub(" ", _BLOCK_ID.sub("", fix_encoding(text))).strip()


def _inline(nodes: list[dict], urls: list[str]) -> str:
    out = []
    for node in nodes:
        if node["type"] == "link":
            # Readwise's links differ between copies of one highlight: keep the URL, not the label.
            urls.append(node.get("attrs", {}).get("url", ""))
            continue
        if "raw" in node:
            out.append(node["raw"])
        elif "children" in node:
            out.append(_inline(node["children"], urls))
        elif node["type"] == "softbreak":
            out.append("\n")
        elif node["type"] == "linebreak":
            out.append(" ")
    return "".join(out)


def _item(node: dict) -> ItemView:
    urls: list[str] = []
    texts = []
    children: list[ItemView] = []
    for child in node.get("children", []):
        if child["type"] == "list":
            children += [_item(c) for c in child["children"] if c["type"] == "list_item"]
        elif child["type"] in ("block_text", "paragraph"):
            texts.append(_inline(child.get("children", []), urls))
    # A line of digits alone is a template's counter ("1", "2" between items), a lazy line of
    # the item before to Markdown but not the highlight's text.
    lines = " ".join(texts).split("\n")
    text = " ".join(line for line in lines if not line.strip().isdigit())
    return ItemView(text, urls, children)


def highlight_items(text: str) -> list[ItemView]:
    """Top-level list items under "Highlights…"/"New highlights…" headings (levels 2-4)."""
    items: list[ItemView] = []
    in_section = False
    for node in _markdown(text):
        if node["type"] == "heading":
            title = _inline(node.get("children", []), [])
            level = node.get("attrs", {}).get("level", 1)
            in_section = 2 <= level <= 4 and bool(
                re.match(r"(new )?highlights\b", title, re.IGNORECASE)
            )
        elif node["type"] == "list" and in_section:
            items += [_item(c) for c in node["children"] if c["type"] == "list_item"]
    return items


def compare(before: str, after: str) -> list[str]:
    """Problems: a highlight missing or repeated in `after`, a sub-item no longer under it."""
    problems = []
    after_items: dict[str, list[ItemView]] = {}
    for item in highlight_items(after):
        after_items.setdefault(item.key, []).append(item)
    for key, found in after_items.items():
        if len(found) > 1 and any(u for i in found for u in i.urls):
            problems.append(f"highlight {key[:60]!r} appears {len(found)} times")
    for item in highlight_items(before):
        found = after_items.get(item.key)
        if not found:
            problems.append(f"highlight {item.key[:60]!r} missing")
            continue
        kids = set().union(*(f.child_texts() for f in found))
        for child in item.children:
            if _norm(child.text) not in kids:
                problems.append(f"sub-item {child.text[:60]!r} no longer under {item.key[:40]!r}")
    return problems
