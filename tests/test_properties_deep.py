"""Deeper properties of the normalizer and of one page's pass (hypothesis), beyond
test_properties.py.

test_properties.py draws its own small pages. These draw realistic ones from pagegen (both Obsidian
templates, tweet threads, "Tweets From" collections, books, articles; repeats, shuffles, later
sections, mojibake, user blocks, `id::` / `^id`, CRLF, BOM, no final newline) and check them
against the generator's ground truth; then bend them (odd indentation, tricky lines dropped in
anywhere, byte damage) and push arbitrary text and bytes through a real VaultSession on disk.

Run deeper with HYPOTHESIS_PROFILE=deep.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from vaultsync.core.highlights import comparable as identity_text
from vaultsync.core.highlights import highlight_key, is_highlight
from vaultsync.core.normalize import Normalized, PageContext, Rules, normalize_page, parse
from vaultsync.core.text import BOM
from vaultsync.pipeline.classify import CANDIDATE
from vaultsync.pipeline.report import PassOptions
from vaultsync.pipeline.session import VaultSession
from vaultsync.vault import make_vault

try:
    from pagegen import Truth
    from strategies import clean_logseq_pages, clean_obsidian_pages, readwise_pages
except ModuleNotFoundError:  # pragma: no cover
    from tests.pagegen import Truth
    from tests.strategies import clean_logseq_pages, clean_obsidian_pages, readwise_pages

SYNC_HEADING = re.compile(
    r"^(?:[-*+]\s+(?:Highlights first synced by|New highlights added)\b"
    r"|#{2,4}\s+(?:New )?highlights\b)",
    re.IGNORECASE,
)
BULLET = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
WIKILINK = re.compile(r"\[\[([^\]|]*)(?:\|([^\]]*))?\]\]")


def comparable(text: str) -> str:
    """A line as these checks read it: the identity's text (Readwise links, ids, white space and
    mojibake off) with wiki links reduced to their shown text, since the author rule links a
    plain name. Looser than the no-loss check, which keeps links: this is a second opinion on
    what must still be there, not on how."""
    return WIKILINK.sub(
        lambda m: m.group(2) if m.group(2) is not None else m.group(1), identity_text(text)
    )


# ---- what a page must keep: an independent reading of the text ---------------------------------


def _lines(text: str) -> list[str]:
    return text.removeprefix(BOM).replace("\r\n", "\n").split("\n")


def kept_lines(text: str) -> set[str]:
    """Every non-blank line, read the way a person compares them: bullet and indentation off,
    mojibake repaired, Readwise links and `^ids` off, white space collapsed."""
    out = set()
    for line in _lines(text):
        if SYNC_HEADING.match(line.strip()):
            continue  # a folded section's heading may go
        if line.strip() == "collapsed:: true":
            continue  # Logseq's own fold state: it goes with an emptied sync block (issue 12)
        if line.strip().isdigit():
            continue  # a template's counter line ("1", "2"): it goes with a repeat it follows
        line = comparable(BULLET.sub("", line, count=1))
        if line:
            out.add(line)
    return out


def _item_lines(text: str) -> dict[str, set[str]]:
    """kept_lines of each list item's own lines (its bullet line and the lines wrapped under it,
    not its sub-items), by the item's text read as one line: copies of a highlight may wrap the
    same text differently, and a dedupe keeps one of them."""
    out: dict[str, set[str]] = {}
    lines, i = _lines(text), 0
    while i < len(lines):
        if not BULLET.match(lines[i]):
            i += 1
            continue
        depth = len(lines[i]) - len(lines[i].lstrip(" \t"))
        j = i + 1
        while j < len(lines):
            nxt = lines[j]
            stripped = nxt.lstrip(" \t")
            if not stripped or BULLET.match(nxt) or len(nxt) - len(stripped) <= depth:
                break
            j += 1
        block = lines[i:j]
        key = comparable(
            " ".join([BULLET.sub("", block[0], count=1)] + [b.strip() for b in block[1:]])
        )
        out.setdefault(key, set()).update(kept_lines("\n".join(block)))
        i = j
    return out


def ids_in(text: str, app: str) -> set[str]:
    if app == "logseq":
        return set(re.findall(r"(?m)^[ \t]*id::[ \t]*(\S+)[ \t\r]*$", text))
    return set(re.findall(r"(?m)(?:^|[ \t])\^([A-Za-z0-9-]+)[ \t\r]*$", text))


def assert_nothing_lost(before: str, after: str, app: str, referenced: frozenset[str]) -> None:
    """Each line of `before` is in `after`; every Logseq id, and every referenced Obsidian id."""
    missing = kept_lines(before) - kept_lines(after)
    if missing:  # a line of an item whose whole text `after` holds, wrapped another way
        held = _item_lines(after)
        for text, lines in _item_lines(before).items():
            if text in held:
                missing -= lines
    assert not missing, f"lines lost: {sorted(missing)[:5]}"
    lost_ids = ids_in(before, app) - ids_in(after, app)
    if app == "obsidian":
        lost_ids &= referenced
    assert not lost_ids, f"ids lost: {sorted(lost_ids)}"


def assert_truth_kept(out: str, truth: Truth, ids: frozenset[str]) -> None:
    """The generator's ground truth: highlights, notes, tags, user blocks and ids."""
    have = kept_lines(out)
    for h in truth.highlights:
        for line in h.text.split("\n"):
            if comparable(line):
                assert comparable(line) in have, f"highlight line lost: {line[:60]!r}"
        if h.note:
            for line in h.note.split("\n"):
                assert comparable(line) in " ".join(have), f"note lost: {line[:60]!r}"
        for tag in h.tags:
            assert f"[[{tag}]]" in out, f"tag lost: {tag}"
        for child in h.user_children:
            assert comparable(child) in have, f"user line lost: {child!r}"
    for user in truth.user_blocks:
        assert comparable(user.text) in have, f"user block lost: {user.text!r}"
        for child in user.children:
            assert comparable(child) in have, f"user line lost: {child!r}"
    for block_id in ids:
        assert block_id in ids_in(out, truth.app), f"block id lost: {block_id}"


def highlight_keys(text: str, app: str) -> list[tuple[str, ...]]:
    page = parse(text, app)  # type: ignore[arg-type]
    return [
        highlight_key(item, page.kind)
        for section in page.sections
        for item in section.items
        if is_highlight(item, page.kind)
    ]


def _normalize(text: str, app: str, referenced: frozenset[str] = frozenset()) -> Normalized:
    return normalize_page(text, app, context=PageContext(referenced_ids=referenced))  # type: ignore[arg-type]


def _not_rw(truth: Truth) -> frozenset[str]:
    """The ids a note might link to; `^rw…` ids (custom template, on every copy) are not."""
    return frozenset(i for i in truth.block_ids if not i.startswith("rw"))


# ---- bending the pages ------------------------------------------------------------------------


def reindent(text: str, app: str, width: int) -> str:
    """Logseq with spaces instead of tabs; Obsidian with tabs (or 2 spaces) for sub-items."""
    out = []
    for line in text.split("\n"):
        body = line.lstrip("\t ")
        lead = line[: len(line) - len(body)]
        if app == "logseq":
            lead = lead.replace("\t", " " * width)
        else:
            lead = lead.replace("    ", "\t" if width == 1 else " " * width)
        out.append(lead + body)
    return "\n".join(out)


LOGSEQ_TRICKY = (
    "",
    "   ",
    "\t",
    "-",
    "\t- ",
    "- New highlights added [[Jan 1st, 2024]] at 1:00 AM",
    "\t\t\t\t\t- a deep child tx{n}",
    "\t  a continuation tx{n}",
    "\t  id:: 6500a1b2-0000-4000-8000-{n:012d}",
    "\t- ```",
    "```",
    "collapsed:: true",
    "\t- my own line tx{n}",
    "* a star line tx{n}",
    "1. a numbered line tx{n}",
    "\t- ((6500a1b2-0000-4000-8000-000000000001)) a reference tx{n}",
    "\t  \\- an escaped dash tx{n}",
    "# a heading tx{n}",
    "\t- a copy ([Location {n}](https://readwise.io/to_kindle?location={n})) tx{n}",
)
OBSIDIAN_TRICKY = (
    "",
    "## Highlights",
    "## New highlights added May 1, 2024 at 1:00 AM",
    "### New highlights synced",
    "- a user item tx{n}",
    "    - a sub item tx{n}",
    "\t- a tab sub item tx{n}",
    "- an item with an id tx{n} ^blk{n}",
    "```",
    "---",
    "# a title tx{n}",
    "> a quote tx{n}",
    "a paragraph tx{n}",
    "* a star item tx{n}",
    "1) a numbered item tx{n}",
    "- a copy ([Location {n}](https://readwise.io/to_kindle?location={n})) tx{n}",
)


@st.composite
def bent_pages(draw: st.DrawFn) -> tuple[str, Truth, str]:
    """(text, truth, how it was bent) — a generated page with odd indentation and/or tricky lines
    dropped in; the truth still holds for what the generator wrote."""
    text, truth = draw(readwise_pages())
    how = draw(st.sampled_from(["as generated", "reindented", "tricky lines", "both"]))
    if how in ("reindented", "both"):
        text = reindent(text, truth.app, draw(st.sampled_from([1, 2, 4])))
    if how in ("tricky lines", "both"):
        vocab = LOGSEQ_TRICKY if truth.app == "logseq" else OBSIDIAN_TRICKY
        lines = text.split("\n")
        for n in range(draw(st.integers(1, 6))):
            at = draw(st.integers(0, len(lines)))
            lines.insert(at, draw(st.sampled_from(vocab)).format(n=n + 1))
        text = "\n".join(lines)
    return text, truth, how


# ---- properties over generated pages ----------------------------------------------------------


@given(readwise_pages())
def test_generated_pages_parse_back_byte_exact(page: tuple[str, Truth]) -> None:
    text, truth = page
    assert parse(text, truth.app).serialize() == text  # type: ignore[arg-type]


@given(readwise_pages())
def test_generated_pages_keep_the_truth_and_every_line(page: tuple[str, Truth]) -> None:
    text, truth = page
    every_id = frozenset(truth.block_ids)  # as if a note linked to each: all must stay
    out = _normalize(text, truth.app, every_id)
    assert out.is_readwise and out.losses == []
    assert_truth_kept(out.text, truth, every_id)
    assert_nothing_lost(text, out.text, truth.app, every_id)


@given(readwise_pages())
def test_generated_pages_hold_each_highlight_once(page: tuple[str, Truth]) -> None:
    text, truth = page
    out = _normalize(text, truth.app, _not_rw(truth))
    keys = highlight_keys(out.text, truth.app)
    assert len(keys) == len(set(keys)), "a highlight is still repeated"
    assert len(keys) == len(truth.highlights)


@given(readwise_pages())
def test_generated_pages_normalize_idempotently(page: tuple[str, Truth]) -> None:
    text, truth = page
    once = _normalize(text, truth.app, _not_rw(truth))
    twice = _normalize(once.text, truth.app, _not_rw(truth))
    assert twice.text == once.text and not twice.changed


@given(readwise_pages())
def test_the_bytes_keep_their_shape(page: tuple[str, Truth]) -> None:
    """BOM, line endings and the final newline are the page's, not ours."""
    text, truth = page
    out = _normalize(text, truth.app).text
    assert out.startswith(BOM) == text.startswith(BOM)
    assert out.endswith("\n") == text.endswith("\n")
    if truth.knobs.get("crlf"):
        assert "\n" not in out.replace("\r\n", "")
    else:
        assert "\r" not in out


@given(st.one_of(clean_logseq_pages(), clean_obsidian_pages()))
def test_untouched_pages_round_trip_byte_exact(page: tuple[str, Truth]) -> None:
    """A page without defects comes back byte for byte (its author linked, when it was not)."""
    text, truth = page
    out = normalize_page(text, truth.app, Rules(link_author=False))  # type: ignore[arg-type]
    assert out.is_readwise and not out.changed and out.text == text
    linked = _normalize(text, truth.app)
    changed = [(a, b) for a, b in zip(_lines(text), _lines(linked.text), strict=True) if a != b]
    assert len(changed) <= 1
    if changed:
        assert re.search(r"author", changed[0][0], re.IGNORECASE) and "[[" in changed[0][1]


@given(bent_pages())
def test_bent_pages_lose_nothing_and_settle(bent: tuple[str, Truth, str]) -> None:
    """Odd indentation and stray lines: the page is cleaned or refused, never damaged."""
    text, truth, how = bent
    event(how)
    referenced = frozenset(truth.block_ids)
    out = _normalize(text, truth.app, referenced)
    if out.losses:
        event("refused by the no-loss check")
        return
    assert_nothing_lost(text, out.text, truth.app, referenced)
    again = _normalize(out.text, truth.app, referenced)
    assert again.text == out.text, "a second pass changed the page"
    if how == "reindented":
        assert_truth_kept(out.text, truth, referenced)


# ---- arbitrary text ---------------------------------------------------------------------------

STRUCTURE = st.sampled_from(
    [
        "\n",
        "\r\n",
        "\t",
        "  ",
        "- ",
        "## Highlights\n",
        "## New highlights added May 1, 2024\n",
        "- Highlights first synced by [[Readwise]]\n",
        "- New highlights added [[May 1st, 2024]]\n",
        "([View Tweet](https://twitter.com/a/status/12))",
        "([Location 7](https://readwise.io/to_kindle?location=7))",
        "([View Highlight](https://read.readwise.io/read/01abc))",
        "id:: 6500a1b2-0000-4000-8000-000000000001",
        " ^abc",
        "```",
        "---\n",
        "author:: ",
        "- Author: ",
        "[[",
        "]]",
        "ðŸ‘‡",
        "\ufeff",
        "\x00",
        "\u2028",
        "\r",
    ]
)
TEXTS = st.lists(st.one_of(STRUCTURE, st.text(max_size=12)), max_size=40).map("".join)


@given(TEXTS, st.sampled_from(["logseq", "obsidian"]))
def test_structured_noise_never_raises_and_settles(text: str, app: str) -> None:
    assert parse(text, app).serialize() == text  # type: ignore[arg-type]
    out = normalize_page(text, app)  # type: ignore[arg-type]
    if not out.is_readwise:
        assert out.text == text
        return
    event("Readwise page")
    if out.losses:
        event("refused by the no-loss check")
        return
    assert normalize_page(out.text, app).text == out.text  # type: ignore[arg-type]


# ---- through a vault session on disk ----------------------------------------------------------


@pytest.fixture(scope="module")
def vault_dirs() -> Iterator[dict[str, Path]]:
    base = Path(tempfile.mkdtemp(prefix="vaultsync-props-"))
    roots = {"logseq": base / "logseq", "obsidian": base / "obsidian"}
    (roots["logseq"] / "logseq").mkdir(parents=True)
    (roots["logseq"] / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}")
    (roots["logseq"] / "pages").mkdir()
    (roots["obsidian"] / ".obsidian").mkdir(parents=True)
    (roots["obsidian"] / "Readwise").mkdir()
    yield roots
    shutil.rmtree(base, ignore_errors=True)


def _one_page_pass(root: Path, app: str, data: bytes):  # type: ignore[no-untyped-def]
    """Write `data` as the vault's only page and run the daemon's pass on it."""
    folder = root / ("pages" if app == "logseq" else "Readwise")
    for old in folder.iterdir():
        old.unlink()
    page = folder / "page.md"
    page.write_bytes(data)
    session = VaultSession(make_vault(root), PassOptions(author_pages=False))
    report = session.update([page])
    return page, report


def _check_pass(page: Path, app: str, data: bytes, report) -> None:  # type: ignore[no-untyped-def]
    now = page.read_bytes()
    assert report.failed == [] or now == data, "a failed page was changed"
    for path, reason in report.skipped + report.failed:
        assert path == page and reason.strip(), "a skip without a reason"
    if now == data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            if CANDIDATE.search(data):  # it looks like a Readwise page: the user hears why
                assert any("not UTF-8" in why for _, why in report.skipped)
        return
    assert report.changed == [page]
    before, after = data.decode("utf-8"), now.decode("utf-8")
    assert_nothing_lost(before, after, app, frozenset())
    # A second pass of the same daemon changes nothing. (Not normalize_page with its default
    # author link: the pass links only names a page can carry, so "author::\x00 Ann" stays.)
    again = VaultSession(make_vault(page.parent.parent), PassOptions(author_pages=False))
    assert again.update([page]).changed == [] and page.read_bytes() == now


@given(st.binary(max_size=2000), st.sampled_from(["logseq", "obsidian"]))
def test_arbitrary_bytes_are_cleaned_or_skipped_with_a_reason(
    vault_dirs: dict[str, Path], data: bytes, app: str
) -> None:
    page, report = _one_page_pass(vault_dirs[app], app, data)
    _check_pass(page, app, data, report)


@st.composite
def damaged_pages(draw: st.DrawFn) -> tuple[bytes, str]:
    """A generated page's bytes with a few cuts, NULs, invalid UTF-8 or stray bytes."""
    text, truth = draw(readwise_pages())
    data = bytearray(text.encode("utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["cut", "nul", "invalid", "bytes", "split char"]))
        if how == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        elif how == "nul":
            data[at:at] = b"\x00"
        elif how == "invalid":
            data[at:at] = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"]))
        elif how == "bytes":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            data = data[: max(0, len(data) - 1)]  # may end inside a multi-byte character
        event(how)
    return bytes(data), truth.app


@given(damaged_pages())
def test_damaged_pages_are_cleaned_or_skipped_with_a_reason(
    vault_dirs: dict[str, Path], damaged: tuple[bytes, str]
) -> None:
    data, app = damaged
    page, report = _one_page_pass(vault_dirs[app], app, data)
    _check_pass(page, app, data, report)


def test_copies_wrapped_differently_keep_one_and_lose_nothing(vault_dirs: dict[str, Path]) -> None:
    """Found by the property above: copies of one tweet, one on a single line and two wrapped
    over two lines, are one highlight. The copy kept holds the text of those dropped."""
    link = "([View Tweet](https://twitter.com/maya/status/1421605168612195417))"
    one_line = f"- The team loses that incentive:  This border hides each owner. {link}\n"
    wrapped = f"- The team loses that incentive:\n  This border hides each owner. {link}\n"
    data = (
        "# Tweets From Maya\n\n## Metadata\n- Author: [[@maya on Twitter]]\n"
        "- Category: #tweets\n\n## Highlights\n" + one_line + wrapped + wrapped
    ).encode()
    page, report = _one_page_pass(vault_dirs["obsidian"], "obsidian", data)
    _check_pass(page, "obsidian", data, report)
    after = page.read_text(encoding="utf-8")
    assert after.count("This border hides each owner.") == 1
    assert report.stats.duplicates_removed == 2
