"""What Logseq's own parser (mldoc, run by tests/mldoc/view.js) sees in a page, and a check
that a normalized page kept everything the original held."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import ftfy

MLDOC_DIR = Path(__file__).resolve().parent / "mldoc"
VIEW_SCRIPT = MLDOC_DIR / "view.js"
SKIP_MESSAGE = "Logseq parser checks skipped: run `npm ci --prefix tests/mldoc` to enable them"

# `([View Tweet](…))`, `([View Highlight](…))`, `([Location 1234](…))`, `([Page 12](…))`;
# a URL may hold one level of balanced parentheses (Wikipedia-style links).
_URL = r"(?:[^()\s]|\([^()\s]*\))*"
# (Kindle writes U+00A0 after Location/Page; podcasts "Time 0:22:04".)
LOCATION_LINK = re.compile(
    r"\(\[(?P<label>View Tweet|View Post|View Highlight|(?:Location|Page|Time)\s[^\]\n]*)\]"
    r"\((?P<url>" + _URL + r")\)\)"
)
TWEET_STATUS = re.compile(r"/status(?:es)?/(\d+)")
SECTION_HEADER = re.compile(r"^(?:Highlights first synced by|New highlights added)\b")


@dataclass(frozen=True)
class BlockView:
    """One block as mldoc sees it; `parent` indexes the page's block list (None at top level)."""

    depth: int
    parent: int | None
    text: str
    properties: dict[str, str] = field(default_factory=dict)
    content: str = ""  # the text with its property lines, as Logseq stores block content


@dataclass(frozen=True)
class PageView:
    """Page properties (the pre-block) and the flat block list in file order."""

    properties: dict[str, str]
    blocks: list[BlockView]


def node_available() -> bool:
    """True when node is on PATH and mldoc is installed in tests/mldoc/node_modules."""
    installed = (MLDOC_DIR / "node_modules" / "mldoc" / "package.json").is_file()
    return installed and shutil.which("node") is not None


def view_pages(texts: list[str], timeout: float = 300.0) -> list[PageView]:
    """Parse every text with mldoc in a single node process; results keep the input order."""
    if not texts:
        return []
    node = shutil.which("node")
    if node is None or not node_available():
        raise RuntimeError(SKIP_MESSAGE)
    unique = list(dict.fromkeys(texts))  # identical pages are parsed once
    stdin = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(unique))
    proc = subprocess.run(
        [node, str(VIEW_SCRIPT)],
        input=stdin.encode("utf-8"),
        capture_output=True,
        timeout=timeout,
        cwd=MLDOC_DIR,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"view.js failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    views: dict[int, PageView] = {}
    for line in proc.stdout.decode("utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        if "error" in raw:
            raise RuntimeError(f"mldoc could not parse page #{raw['id']}: {raw['error']}")
        views[raw["id"]] = _page_from_json(raw)
    missing = [i for i in range(len(unique)) if i not in views]
    if missing:
        raise RuntimeError(f"view.js returned no view for pages {missing[:10]}")
    index = {t: i for i, t in enumerate(unique)}
    return [views[index[t]] for t in texts]


def _page_from_json(raw: dict) -> PageView:
    blocks = [
        BlockView(
            depth=b["depth"],
            parent=b["parent"],
            text=b["text"],
            properties=dict(b["properties"]),
            content=b["content"],
        )
        for b in raw["blocks"]
    ]
    return PageView(properties=dict(raw["properties"]), blocks=blocks)


# ---- comparison -----------------------------------------------------------------------------


def _norm(text: str) -> str:
    # The normalizer may repair mojibake, so both sides are compared repaired.
    return " ".join(ftfy.fix_encoding(text).split())


def is_highlight(block: BlockView) -> bool:
    """A Readwise highlight: its text carries a location link (and text besides it)."""
    return _has_link(block) and bool(LOCATION_LINK.sub("", block.text).strip())


def _has_link(block: BlockView) -> bool:
    return LOCATION_LINK.search(block.text) is not None


_POSITION = re.compile(r"^(Location|Page|Time)\s+(\S+)$")
_PLACEHOLDER = re.compile(r"(?:highlighted )?(?:image|picture|photo|figure|drawing|video|gif)s?")


def _key_of(text: str) -> str:
    """Tweets are keyed by status id, highlights with a position (Location, Page, Time) by it
    and their text, the others by their text without the link (docs/normalization.md)."""
    plain = _norm(LOCATION_LINK.sub("", text))
    for match in LOCATION_LINK.finditer(text):
        status = TWEET_STATUS.search(match.group("url"))
        if status:
            return f"tweet {status.group(1)}"
        position = _POSITION.match(_norm(match.group("label")))
        if position:
            return f"at {position.group(1)} {position.group(2)} {plain}"
        break
    return "text " + plain


def highlight_key(block: BlockView) -> str:
    return _key_of(block.text)


def _highlights(page: PageView) -> dict[int, str]:
    """Block index -> key of every highlight: a block whose text carries a link; a section's
    block whose link sits in a child of its own ("- ([Page 4](…))" under the text) or, for a
    wrapper block with no text ("- -"), among its children (keyed by their text); on a page
    where no section's block carries a link at all, every block of a section (issue 12)."""
    kids = _children(page)
    out = {i: highlight_key(b) for i, b in enumerate(page.blocks) if is_highlight(b)}
    units = [
        i
        for i, b in enumerate(page.blocks)
        if b.parent is not None and _is_section_header(page.blocks[b.parent])
    ]
    linked = False
    for i in units:
        children = kids.get(i, [])
        text = page.blocks[i].text.strip()
        if _has_link(page.blocks[i]):
            linked = True
            continue
        if text in ("", "-"):
            parts = [page.blocks[j].text for j in children]
        else:
            parts = [text] + [
                page.blocks[j].text
                for j in children
                if _has_link(page.blocks[j]) and not is_highlight(page.blocks[j])
            ]
        if any(LOCATION_LINK.search(part) for part in parts):
            linked = True
            out[i] = _key_of(" ".join(parts))
    if not linked:
        for i in units:
            text = page.blocks[i].text.strip()
            if text and not text.startswith("#"):
                out.setdefault(i, _key_of(text))
    return out


def is_placeholder(block: BlockView) -> bool:
    """`Highlighted Image` and the like: each one a highlight of its own, never merged."""
    text = _norm(LOCATION_LINK.sub("", block.text)).strip(" *_[]().:!-").casefold()
    return _PLACEHOLDER.fullmatch(text) is not None


def _is_section_header(block: BlockView) -> bool:
    return block.depth == 1 and SECTION_HEADER.match(block.text.strip()) is not None


def _children(page: PageView) -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for i, b in enumerate(page.blocks):
        if b.parent is not None:
            kids.setdefault(b.parent, []).append(i)
    return kids


def _descendants(page: PageView, kids: dict[int, list[int]], i: int) -> list[int]:
    out: list[int] = []
    todo = list(kids.get(i, []))
    while todo:
        j = todo.pop()
        out.append(j)
        todo.extend(kids.get(j, []))
    return out


def _under_highlight(page: PageView, i: int, highlights: dict[int, str]) -> bool:
    parent = page.blocks[i].parent
    while parent is not None:
        if parent in highlights:
            return True
        parent = page.blocks[parent].parent
    return False


def _short(text: str) -> str:
    text = _norm(text)
    return text if len(text) <= 70 else text[:67] + "..."


def _author_linked(before: str, after: str) -> bool:
    """A plain-text author turned into a page link naming the same author (`Name` → `[[Name]]`)."""
    if "[[" in before or not after.startswith("[[") or not after.endswith("]]"):
        return False
    names = {_norm(part).casefold() for part in after[2:-2].split("|")}
    return _norm(before).casefold() in names


def _same_page_properties(before: dict[str, str], after: dict[str, str]) -> bool:
    # The one change a normalization may make to page properties is linking the author.
    if before.keys() != after.keys():
        return False
    return all(
        before[k] == after[k] or (k == "author" and _author_linked(before[k], after[k]))
        for k in before
    )


def compare_before_after(before: PageView, after: PageView) -> list[str]:
    """Problems a normalization introduced (empty list = nothing was lost or moved wrongly)."""
    problems: list[str] = []
    if not _same_page_properties(before.properties, after.properties):
        problems.append(f"page properties changed: {before.properties!r} -> {after.properties!r}")

    b_kids, a_kids = _children(before), _children(after)
    a_keys, b_keys = _highlights(after), _highlights(before)
    a_by_key: dict[str, list[int]] = {}
    for i, key in sorted(a_keys.items()):
        a_by_key.setdefault(key, []).append(i)
    b_by_key: dict[str, list[int]] = {}
    for i, key in sorted(b_keys.items()):
        b_by_key.setdefault(key, []).append(i)

    for key, b_idx in b_by_key.items():
        label = _short(before.blocks[b_idx[0]].text)
        a_idx = a_by_key.get(key, [])
        want = len(b_idx) if is_placeholder(before.blocks[b_idx[0]]) else 1
        if len(a_idx) != want:
            problems.append(f"highlight appears {len(a_idx)} times after (want {want}): {label}")
            continue
        if want > 1:  # placeholders: each kept as it was, compared one by one
            continue
        a_block = after.blocks[a_idx[0]]
        depths = {before.blocks[i].depth for i in b_idx}
        if a_block.depth not in depths:
            problems.append(
                f"highlight moved to depth {a_block.depth} (was {sorted(depths)}): {label}"
            )
        a_child_texts = {_norm(after.blocks[j].text) for j in a_kids.get(a_idx[0], [])}
        a_desc_texts = {_norm(after.blocks[j].text) for j in _descendants(after, a_kids, a_idx[0])}
        for i in b_idx:
            for j in b_kids.get(i, []):
                if _norm(before.blocks[j].text) not in a_child_texts:
                    problems.append(
                        f"child {_short(before.blocks[j].text)!r} is no longer a child of "
                        f"highlight: {label}"
                    )
            for j in _descendants(before, b_kids, i):
                if _norm(before.blocks[j].text) not in a_desc_texts:
                    problems.append(
                        f"block {_short(before.blocks[j].text)!r} is no longer under "
                        f"highlight: {label}"
                    )

    for key, a_idx in a_by_key.items():
        if key not in b_by_key:
            problems.append(f"highlight not in the original: {_short(after.blocks[a_idx[0]].text)}")

    after_ids = Counter(
        blk.properties["id"].strip() for blk in after.blocks if "id" in blk.properties
    )
    before_ids = Counter(
        blk.properties["id"].strip() for blk in before.blocks if "id" in blk.properties
    )
    for block_id, count in before_ids.items():
        if after_ids[block_id] == 0:
            problems.append(f"block id {block_id} is gone")
        elif after_ids[block_id] > 1 and after_ids[block_id] >= count:
            # Logseq needs ids unique; a rewrite may fix a repeated id, never add one.
            problems.append(f"block id {block_id} is on {after_ids[block_id]} blocks")

    # User blocks outside highlights: each must survive as often as it appeared.
    def user_texts(page: PageView, highlights: dict[int, str]) -> Counter[str]:
        return Counter(
            _norm(blk.text)
            for i, blk in enumerate(page.blocks)
            if i not in highlights
            and not _is_section_header(blk)
            and not _under_highlight(page, i, highlights)
        )

    after_users = user_texts(after, a_keys)
    for text, count in user_texts(before, b_keys).items():
        if after_users[text] < count:
            problems.append(
                f"user block {_short(text)!r} appears {after_users[text]} times after (was {count})"
            )
    return problems
