"""The page generators: deterministic, shaped like the real samples, every knob does what it says,
and the ground truth matches the text. Small parsers here read the pages independently."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import ftfy
import pytest
from hypothesis import given

try:
    from pagegen import (
        ACCENTED,
        EMOJI,
        KINDS,
        ORDINARY_KINDS,
        PUNCTUATION,
        Author,
        Truth,
        logseq_page,
        logseq_page_with_truth,
        obsidian_page,
        obsidian_page_with_truth,
        ordinary_note,
        tweets_from_page_with_truth,
    )
    from strategies import logseq_pages, obsidian_pages, ordinary_notes
except ModuleNotFoundError:
    from tests.pagegen import (
        ACCENTED,
        EMOJI,
        KINDS,
        ORDINARY_KINDS,
        PUNCTUATION,
        Author,
        Truth,
        logseq_page,
        logseq_page_with_truth,
        obsidian_page,
        obsidian_page_with_truth,
        ordinary_note,
        tweets_from_page_with_truth,
    )
    from tests.strategies import logseq_pages, obsidian_pages, ordinary_notes

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "samples"
SEEDS = range(40)

LOGSEQ_LINK = re.compile(
    r" (?P<link>\(\[(?:View Tweet|View Highlight|Location \d+)\]\((?P<url>[^()\s]+)\)\))$"
)
OBSIDIAN_LINK = re.compile(
    r" (?P<link>\(\[(?:View Tweet|View Highlight|Location \d+)\]\((?P<url>[^()\s]+)\)\))"
    r"(?: \[Open in Readwise\]\(https://readwise\.io/open/(?P<rw>\d+)\))?"
    r"(?: \^(?P<id>[A-Za-z0-9-]+))?$"
)
READWISE_MARKERS = re.compile(
    r"\(\[(?:View Tweet|View Highlight|Location \d+)\]\(|first synced by \[\[Readwise\]\]"
    r"|^## New highlights added|\[Open in Readwise\]",
    re.M,
)


# ---- independent readers --------------------------------------------------------------------


@dataclass
class Block:
    depth: int
    lines: list[str]
    children: list[Block] = field(default_factory=list)


@dataclass
class Entry:
    """A depth-1 item under a sync section: a highlight copy or a user block."""

    section: int
    text: str  # as written, without the link and without `id::` lines
    url: str | None  # None for a user block
    link: str | None = None
    note: str | None = None
    tags: tuple[str, ...] = ()
    children: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


def _lines(text: str) -> list[str]:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def parse_logseq(text: str) -> tuple[list[str], list[Block]]:
    """The pre-block lines and the block tree; fails on any line of an unexpected shape."""
    lines = _lines(text)
    i = 0
    while i < len(lines) and not lines[i].startswith("- "):
        i += 1
    pre, roots, stack = lines[:i], [], []
    for line in lines[i:]:
        m = re.match(r"(\t*)- (.*)$", line)
        if m:
            depth = len(m[1])
            assert not stack or depth <= stack[-1].depth + 1, f"depth jump: {line!r}"
            block = Block(depth, [m[2]])
            while stack and stack[-1].depth >= depth:
                stack.pop()
            (stack[-1].children if stack else roots).append(block)
            stack.append(block)
            continue
        assert stack, f"text before the first block: {line!r}"
        prefix = "\t" * stack[-1].depth + "  "
        assert line.startswith(prefix), f"not a continuation line: {line!r}"
        stack[-1].lines.append(line[len(prefix) :])
    return pre, roots


def _children_into(entry: Entry, kids: list[str]) -> None:
    for kid in kids:
        if m := re.match(r"(?:\*\*Note\*\*|Note): (.*?)(?: \^rw\d+-note)?$", kid, re.S):
            entry.note = m[1]
        elif kid.startswith(("**Tags**: ", "Tags: ")):
            entry.tags = tuple(re.findall(r"\[\[(.+?)\]\]", kid))
        elif kid.startswith("Date:: [["):
            continue
        else:
            entry.children.append(kid)


def logseq_entries(text: str) -> tuple[list[str], list[str], list[Entry]]:
    """Pre-block, section headers and the depth-1 entries of a Logseq Readwise page."""
    pre, roots = parse_logseq(text)
    headers, entries = [], []
    for si, section in enumerate(roots):
        assert len(section.lines) == 1
        headers.append(section.lines[0])
        for block in section.children:
            ids = [ln[len("id:: ") :] for ln in block.lines if ln.startswith("id:: ")]
            body = [ln for ln in block.lines if not ln.startswith("id:: ")]
            m = LOGSEQ_LINK.search(body[-1])
            entry = Entry(si, "", m["url"] if m else None, m["link"] if m else None, ids=ids)
            if m:
                body[-1] = body[-1][: m.start()]
            entry.text = "\n".join(body)
            assert all(not c.children for c in block.children)
            _children_into(entry, ["\n".join(c.lines) for c in block.children])
            entries.append(entry)
    return pre, headers, entries


def obsidian_entries(text: str) -> tuple[list[str], list[str], list[Entry]]:
    """Header lines, section headings and the list items of an Obsidian Readwise page."""
    lines = _lines(text)
    start = lines.index("## Highlights")
    header, headings, entries = lines[:start], [], []
    section = 0
    kids: list[str] = []

    def close() -> None:
        if entries:
            _children_into(entries[-1], kids)
        kids.clear()

    for line in lines[start + 1 :]:
        if line == "":
            continue
        if line.startswith(("## New highlights added ", "### New highlights synced")):
            close()
            if line.startswith("#") and (headings or line.startswith("## ")):
                section += 1
            headings.append(line)
            continue
        if line.startswith("- "):
            close()
            entries.append(Entry(section, line[2:], None))
        elif line.startswith("    - "):
            kids.append(line[6:])
        else:
            assert line.startswith("  ") and not line.startswith("   "), repr(line)
            assert not kids
            entries[-1].text += "\n" + line[2:]
    close()
    for entry in entries:
        m = OBSIDIAN_LINK.search(entry.text)
        if m:
            entry.url, entry.link = m["url"], m["link"]
            entry.ids = [f"rw{m['rw']}"] if m["rw"] else []
            if m["id"] and not m["rw"]:
                entry.ids.append(m["id"])
            if m["rw"] and entry.note is not None:
                entry.ids.append(f"rw{m['rw']}-note")
            entry.text = entry.text[: m.start()]
        elif m := re.search(r" \^([A-Za-z0-9-]+)$", entry.text):
            entry.ids = [m[1]]
            entry.text = entry.text[: m.start()]
    return header, headings, entries


def key_of(url: str) -> str:
    if m := re.search(r"/status/(\d+)", url):
        return f"status:{m[1]}"
    if m := re.search(r"[?&]location=(\d+)", url):
        return f"location:{m[1]}"
    m = re.search(r"/read/(\w+)", url)
    assert m, url
    return f"read:{m[1]}"


def check_against_truth(entries: list[Entry], truth: Truth) -> None:
    """Every highlight, note, tag, user block and block id in the text is in the truth."""
    keys = [h.key for h in truth.highlights]
    assert len(set(keys)) == len(keys)
    assert [h.order for h in truth.highlights] == sorted(h.order for h in truth.highlights)
    by_text = {h.text: h.key for h in truth.highlights}
    users = [e for e in entries if e.url is None]
    assert [u.text for u in users] == [u.text for u in truth.user_blocks]
    assert [u.section for u in users] == [u.section for u in truth.user_blocks]
    assert [tuple(u.children) for u in users] == [u.children for u in truth.user_blocks]
    assert [u.ids[:1] for u in users] == [
        [u.block_id] if u.block_id else [] for u in truth.user_blocks
    ]

    seen: dict[str, list[Entry]] = {}
    all_ids: list[str] = []
    last_key = None
    for entry in entries:
        all_ids += entry.ids
        if entry.url is None:
            continue
        clean = ftfy.fix_encoding(entry.text)
        # articles: a repeat may carry another Reader id, so the text is the identity
        key = by_text[clean] if truth.kind == "articles" else key_of(entry.url)
        seen.setdefault(key, []).append(entry)
        last_key = key
    assert last_key is None or last_key in keys
    assert list(seen) == list(truth.written_order)
    assert sorted(seen) == sorted(keys)
    assert all_ids == list(truth.block_ids)
    for h in truth.highlights:
        copies = seen[h.key]
        assert len(copies) == h.copies
        assert copies[0].link == h.link
        assert copies[0].section == h.section
        for c in copies:
            assert (c.text != h.text) == h.mojibake
            assert ftfy.fix_encoding(c.text) == h.text
            assert c.note == h.note
            assert c.tags == h.tags
        assert tuple(x for c in copies for x in c.children) == h.user_children
        assert tuple(x for c in copies for x in c.ids) == h.block_ids
    assert set(truth.repeated) == {h.key for h in truth.highlights if h.copies > 1}


# ---- the shape of the samples -----------------------------------------------------------------

LOGSEQ_HEAD = [
    r"title:: .+ \(highlights\)",
    r"author:: (\[\[[^\]]+\]\]|[^\[\s].*)",
    r'full-title:: ".*"',
    r"category:: #(tweets|books|articles)",
]
FIRST_SYNC = (
    r"Highlights first synced by \[\[Readwise\]\] \[\[[A-Z][a-z]{2} \d{1,2}(st|nd|rd|th), \d{4}\]\]"
)
LATER_SYNC = (
    r"New highlights added \[\[[A-Z][a-z]{2} \d{1,2}(st|nd|rd|th), \d{4}\]\] at \d{1,2}:\d\d [AP]M"
)


def check_logseq_shape(text: str) -> None:
    lines = _lines(text)
    for pattern, line in zip(LOGSEQ_HEAD, lines, strict=False):
        assert re.fullmatch(pattern, line), (pattern, line)
    rest = lines[4:]
    if rest[0].startswith("url:: "):
        assert re.fullmatch(r"url:: https://\S+", rest[0])
        rest = rest[1:]
    assert rest[0] == ""
    assert re.fullmatch("- " + FIRST_SYNC, rest[1]), rest[1]
    _, headers, entries = logseq_entries(text)
    assert all(re.fullmatch(LATER_SYNC, h) for h in headers[1:])
    assert any(e.url for e in entries)


@pytest.mark.parametrize("path", sorted((SAMPLES / "logseq" / "pages").glob("*(highlights).md")))
def test_samples_pass_the_same_shape_checks(path: Path) -> None:
    check_logseq_shape(path.read_text(encoding="utf-8"))


def test_obsidian_samples_pass_the_same_readers() -> None:
    paths = sorted((SAMPLES / "obsidian" / "Readwise").rglob("*.md"))
    assert paths
    for path in paths:
        _, _, entries = obsidian_entries(path.read_text(encoding="utf-8"))
        assert any(e.url for e in entries)


@pytest.mark.parametrize("seed", SEEDS)
def test_logseq_pages_look_like_the_samples(seed: int) -> None:
    rng = random.Random(seed)
    knobs = {
        k: rng.random() < 0.3 for k in ("repeats", "shuffle", "mojibake", "user_blocks", "ids")
    }
    page = logseq_page(rng, kind=KINDS[seed % 4], extra_sections=seed % 3, **knobs)
    check_logseq_shape(page)
    lines = page.split("\n")
    assert all(not ln.startswith(" ") and not ln.endswith("\r") for ln in lines)
    # highlights sit one tab deep, their notes two tabs deep
    assert all(ln.startswith(("\t- ", "\t  ")) for ln in lines if LOGSEQ_LINK.search(ln))
    assert all(ln.startswith("\t\t- **Note**: ") for ln in lines if "**Note**" in ln)


def test_thread_page_details() -> None:
    text, truth = logseq_page_with_truth(
        random.Random(7), kind="tweets", n_highlights=12, author=Author("Alex Tamkin", "AlexTamkin")
    )
    assert truth.author in ("@AlexTamkin on Twitter", "Alex Tamkin")
    statuses = [int(key_of(e.url)[7:]) for e in logseq_entries(text)[2] if e.url]
    assert statuses == sorted(statuses) and len(statuses) == 12
    # snowflake ids: the time part decodes to 2021-2025
    assert all(1_600_000_000_000 < (s >> 22) + 1288834974657 < 1_800_000_000_000 for s in statuses)
    assert truth.title.endswith("...") or len(truth.title) <= 24
    # blank continuation lines keep their `\t  ` indentation
    assert "\n\t  \n" in text or not any("\n\n" in h.text for h in truth.highlights)
    assert text.count("\n\n") == 1  # only after the page properties


def test_book_page_has_kindle_locations_and_no_url() -> None:
    text, truth = logseq_page_with_truth(random.Random(3), kind="books", n_highlights=5)
    assert "url::" not in text
    for h in truth.highlights:
        n = h.key.split(":")[1]
        assert h.link.startswith(
            f"([Location {n}](https://readwise.io/to_kindle?action=open&asin=B0"
        )
        assert h.link.endswith(f"&location={n}))")


def test_tweets_from_page() -> None:
    text, truth = tweets_from_page_with_truth(random.Random(5), n_highlights=6)
    assert truth.title.startswith("Tweets From ") and truth.kind == "tweets_from"
    assert text.startswith(f"title:: Tweets From {truth.title[12:]} (highlights)\n")
    assert truth.disordered  # saved out of order
    assert "url:: https://" in text and "/status/" not in text.split("\n")[4]
    _, _, entries = logseq_entries(text)
    assert not any(re.search(r"\d+/\d*$", e.text) for e in entries)  # no thread numbering


def test_obsidian_default_template_shape() -> None:
    for seed in SEEDS:
        rng = random.Random(seed)
        text = obsidian_page(rng, kind=KINDS[seed % 4], extra_sections=seed % 3)
        lines = text.split("\n")
        assert re.fullmatch(r"# .+", lines[0]) and lines[1] == ""
        assert re.fullmatch(r"!\[rw-book-cover\]\(https://\S+\)", lines[2])
        assert lines[3:6] == ["", "## Metadata", lines[5]] and lines[5].startswith("- Author: ")
        assert lines[6].startswith("- Full Title: ")
        assert re.fullmatch(r"- Category: #(tweets|books|articles)", lines[7])
        assert (
            len(
                re.findall(
                    r"^## New highlights added \w+ \d+, \d{4} at \d+:\d\d [AP]M$", text, re.M
                )
            )
            == seed % 3
        )


def test_obsidian_custom_template_shape() -> None:
    for seed in SEEDS:
        text, truth = obsidian_page_with_truth(
            random.Random(seed), template="custom", repeats=True, extra_sections=seed % 2
        )
        lines = text.split("\n")
        assert lines[0] == "---" and lines[1].startswith("aliases: [") and lines[3] == "---"
        assert lines[4] == f"# {truth.title}"
        assert "- Author: [[" not in text  # unlinked
        assert text.count("### New highlights synced") == 1 + seed % 2
        items = [ln for ln in lines if "[Open in Readwise]" in ln]
        rw_ids = [re.search(r" \^rw(\d+)$", ln)[1] for ln in items]
        assert len(set(rw_ids)) == len(items)  # repeats carry another Readwise id
        dates = [ln for ln in lines if ln.startswith("    - Date:: [[")]
        assert len(dates) == len(items)
        assert all(
            re.fullmatch(r"    - Date:: \[\[\w+ \d+(st|nd|rd|th), \d{4}, \w+day\]\]", d)
            for d in dates
        )


# ---- determinism ----------------------------------------------------------------------------


@pytest.mark.parametrize("make", [logseq_page, obsidian_page])
def test_same_seed_same_page(make) -> None:
    knobs = dict(repeats=True, shuffle=True, mojibake=True, user_blocks=True, ids=True)
    for seed in range(10):
        assert make(random.Random(seed), **knobs) == make(random.Random(seed), **knobs)
    assert len({make(random.Random(seed)) for seed in range(10)}) == 10


def test_same_seed_same_page_across_processes() -> None:
    code = (
        "import hashlib, random, sys; sys.path.insert(0, 'tests'); import pagegen as g;"
        "h = hashlib.sha256();"
        "[h.update(g.logseq_page(random.Random(s), repeats=True, shuffle=True, ids=True,"
        " user_blocks=True, mojibake=True).encode()) for s in range(30)];"
        "[h.update(g.obsidian_page(random.Random(s), template='custom').encode())"
        " for s in range(30)];"
        "[h.update(g.ordinary_note(random.Random(s)).encode()) for s in range(30)];"
        "print(h.hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.strip())
    assert len(digests) == 1


# ---- each knob has its effect -----------------------------------------------------------------


def _pages(app: str, **knobs):
    make = logseq_page_with_truth if app == "logseq" else obsidian_page_with_truth
    for seed in SEEDS:
        extra = dict(knobs)
        if app == "obsidian":
            extra.setdefault("template", ("default", "custom")[seed % 2])
        yield make(random.Random(seed), kind=KINDS[seed % 4], **extra)


def _entries(app: str, text: str) -> list[Entry]:
    return (logseq_entries if app == "logseq" else obsidian_entries)(text)[2]


APPS = ["logseq", "obsidian"]


@pytest.mark.parametrize("app", APPS)
def test_no_knobs_no_defects(app: str) -> None:
    for text, truth in _pages(app):
        assert not truth.repeated and not truth.disordered and truth.sections == 1
        assert not truth.user_blocks and not any(h.mojibake for h in truth.highlights)
        assert truth.block_ids == () or truth.template == "custom"
        assert text.endswith("\n") and "\r" not in text and "\ufeff" not in text
        assert ftfy.fix_encoding(text) == text  # clean text is left alone by the repair
        check_against_truth(_entries(app, text), truth)


@pytest.mark.parametrize("app", APPS)
def test_repeats(app: str) -> None:
    for text, truth in _pages(app, repeats=True, n_highlights=3):
        assert truth.repeated
        check_against_truth(_entries(app, text), truth)
        entries = [e for e in _entries(app, text) if e.url]
        assert len(entries) > len(truth.highlights)
        if truth.kind != "articles":
            urls = [e.url for e in entries]
            assert len(set(urls)) < len(urls)


@pytest.mark.parametrize("app", APPS)
def test_shuffle(app: str) -> None:
    for text, truth in _pages(app, shuffle=True, n_highlights=4):
        assert truth.disordered
        orders = {h.key: h.order for h in truth.highlights}
        firsts = [orders[k] for k in truth.written_order]
        assert firsts != sorted(firsts)
        check_against_truth(_entries(app, text), truth)


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("extra", [1, 3])
def test_extra_sections(app: str, extra: int) -> None:
    for text, truth in _pages(app, extra_sections=extra):
        assert truth.sections == 1 + extra
        if app == "logseq":
            assert text.count("\n- New highlights added [[") == extra
        elif truth.template == "default":
            assert text.count("\n## New highlights added ") == extra
        else:
            assert text.count("\n### New highlights synced") == 1 + extra
        assert {e.section for e in _entries(app, text)} == set(range(1 + extra))
        check_against_truth(_entries(app, text), truth)


def test_extra_sections_need_enough_highlights() -> None:
    with pytest.raises(ValueError):
        logseq_page(random.Random(0), n_highlights=2, extra_sections=2)


@pytest.mark.parametrize("app", APPS)
def test_mojibake(app: str) -> None:
    for text, truth in _pages(app, mojibake=True):
        broken = [h for h in truth.highlights if h.mojibake]
        assert broken
        assert ftfy.fix_encoding(text) != text
        check_against_truth(_entries(app, text), truth)
        for entry in _entries(app, text):
            if entry.url and ftfy.fix_encoding(entry.text) != entry.text:
                assert any(ch in entry.text for ch in "ðâÃ")


def test_mojibake_pieces_are_safe_and_repairable() -> None:
    for piece in EMOJI + ACCENTED + PUNCTUATION:
        broken = piece.encode("utf-8").decode("cp1252")  # strict: no undefined cp1252 bytes
        for context in ("Here it is {}1/", "I think {} is right.", "{}"):
            assert ftfy.fix_encoding(context.format(broken)) == context.format(piece)
            assert ftfy.fix_encoding(context.format(piece)) == context.format(piece)


def test_mojibake_looks_like_the_real_export() -> None:
    assert "👇".encode().decode("cp1252") == "ðŸ‘‡"


@pytest.mark.parametrize("app", APPS)
def test_user_blocks(app: str) -> None:
    for text, truth in _pages(app, user_blocks=True):
        assert truth.user_blocks
        assert any(h.user_children for h in truth.highlights)
        entries = _entries(app, text)
        assert any(e.url is None for e in entries)
        assert any(e.url and e.children for e in entries)
        check_against_truth(entries, truth)


def test_ids_logseq() -> None:
    for text, truth in _pages("logseq", ids=True):
        assert truth.block_ids
        found = re.findall(r"^\t+  id:: (\S+)$", text, re.M)
        assert found == list(truth.block_ids)
        for value in found:
            assert str(uuid.UUID(value)) == value
        # Logseq writes the property right after the block's first line
        for m in re.finditer(r"^(\t+)  id:: ", text, re.M):
            before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            assert before.startswith(m[1] + "- ")


def test_ids_obsidian_default() -> None:
    for text, truth in _pages("obsidian", ids=True, template="default"):
        assert truth.block_ids
        assert re.findall(r" \^([a-z0-9]{6})$", text, re.M) == list(truth.block_ids)


@pytest.mark.parametrize("app", APPS)
def test_byte_knobs(app: str) -> None:
    make = logseq_page if app == "logseq" else obsidian_page
    plain = make(random.Random(9))
    assert make(random.Random(9), crlf=True) == plain.replace("\n", "\r\n")
    assert make(random.Random(9), bom=True) == "\ufeff" + plain
    assert make(random.Random(9), no_final_newline=True) == plain[:-1]
    both = make(random.Random(9), crlf=True, bom=True, no_final_newline=True)
    assert both == "\ufeff" + plain[:-1].replace("\n", "\r\n")


# ---- truth matches text, for any knobs (hypothesis) -----------------------------------------


# (The readers above know the plugins' default shapes; the shapes knob is checked below.)
@given(logseq_pages(shapes=False))
def test_logseq_truth_matches_text(page) -> None:
    text, truth = page
    check_logseq_shape(text)
    check_against_truth(logseq_entries(text)[2], truth)
    assert truth.page_name == f"{truth.title} (highlights)"


@given(obsidian_pages(shapes=False))
def test_obsidian_truth_matches_text(page) -> None:
    text, truth = page
    check_against_truth(obsidian_entries(text)[2], truth)


@given(logseq_pages(kind="books", repeats=False, shuffle=False, extra_sections=2))
def test_fixed_knobs_are_kept(page) -> None:
    assert page.truth.kind == "books" and page.truth.sections == 3
    assert not page.truth.repeated and not page.truth.disordered


def test_the_shapes_knob_draws_every_shape_and_changes_nothing_else() -> None:
    seen: set[str] = set()
    for seed in range(80):
        kind = KINDS[seed % 4]
        for app, make in (("logseq", logseq_page), ("obsidian", obsidian_page)):
            plain = make(random.Random(seed), kind=kind, repeats=True)
            shaped = make(random.Random(seed), kind=kind, repeats=True, shapes=True)
            # only the shapes differ: with them undone, the same page
            undone = shaped.replace("Location\u00a0", "Location ")
            undone = re.sub(r"(?m)^  collapsed:: true\n", "", undone)
            undone = re.sub(r"(?m)^(- [A-Za-z ]+)::", r"\1:", undone)
            undone = re.sub(r"(?m)^\d+\n", "", undone)
            if "([" in undone:
                undone = re.sub(r"\n\t*(?:\t| {4})- (\(\[[^\n]*\)\))", r" \1", undone)
                assert undone == plain, (app, seed)
            else:
                seen.add("no links")
                assert "([" in plain
            seen |= {
                name
                for name, marker in (
                    ("nbsp", "Location\u00a0"),
                    ("collapsed", "  collapsed:: true\n"),
                    ("inline fields", "- Author:: "),
                    ("counters", "\n1\n"),
                    ("child links", "\t\t- ([Location"),
                    ("child items", "    - ([View Tweet]"),
                )
                if marker in shaped
            }
    assert seen == {
        "nbsp",
        "collapsed",
        "inline fields",
        "counters",
        "child links",
        "child items",
        "no links",
    }


def test_strategies_refuse_unknown_knobs() -> None:
    with pytest.raises(TypeError):
        logseq_pages(colour="red")


# ---- ordinary notes ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ORDINARY_KINDS)
def test_ordinary_notes_are_not_readwise_pages(kind: str) -> None:
    for seed in range(60):
        note = ordinary_note(random.Random(seed), kind)
        assert note.strip()
        assert not READWISE_MARKERS.search(note), note
        assert "(highlights)\n" not in note.split("\n", 1)[0]


@given(ordinary_notes())
def test_ordinary_notes_strategy(note: str) -> None:
    assert not READWISE_MARKERS.search(note)


# ---- Logseq's own parser agrees (skipped without node + mldoc) ---------------------------------


def test_mldoc_sees_the_intended_tree() -> None:
    view = pytest.importorskip("logseq_view")
    if not view.node_available():
        pytest.skip(view.SKIP_MESSAGE)
    pages = [
        logseq_page_with_truth(
            random.Random(seed),
            kind=KINDS[seed % 4],
            repeats=seed % 2 == 0,
            shuffle=seed % 3 == 0,
            extra_sections=seed % 3,
            ids=seed % 4 < 2,
            user_blocks=seed % 5 < 2,
            mojibake=seed % 7 == 0,
            crlf=seed % 11 == 0,
            no_final_newline=seed % 13 == 0,
        )
        for seed in range(40)
    ]
    views = view.view_pages([p.text for p in pages])
    for (_, truth), page in zip(pages, views, strict=True):
        expected = ["title", "author", "full-title", "category"]
        assert list(page.properties)[:4] == expected
        assert page.properties["title"] == truth.page_name
        highlights = [b for b in page.blocks if view.is_highlight(b)]
        assert len(highlights) == sum(h.copies for h in truth.highlights)
        assert all(b.depth == 2 for b in highlights)
        assert sum(b.depth == 1 for b in page.blocks) == truth.sections
        ids = [b.properties["id"] for b in page.blocks if "id" in b.properties]
        assert ids == list(truth.block_ids)
        users = [b.text for b in page.blocks if b.depth == 2 and not view.is_highlight(b)]
        assert users == [u.text for u in truth.user_blocks]


# ---- bench/generate.py ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bench():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Page/Sub", "Page___Sub"),
        ("a:b", "a%3Ab"),
        ("C#", "C%23"),
        ('Why? "Because" <no> | *x* \\', "Why%3F %22Because%22 %3Cno%3E %7C %2Ax%2A %5C"),
        (".hidden", "%2Ehidden"),
        ("a___b/c", "a%5F%5F%5Fb___c"),
        ("CON", "CON___"),
        ("Almost Two Years After G... (highlights)", "Almost Two Years After G... (highlights)"),
    ],
)
def test_logseq_file_names(bench, name: str, stem: str) -> None:
    assert bench.logseq_file_stem(name) == stem


def test_bench_logseq_vault(bench, tmp_path: Path) -> None:
    out = tmp_path / "graph"
    rates = bench.Rates(repeats=0.5, disorder=0.5, extra_sections=0.5, mojibake=0.5)
    summary = bench.generate(out, kind="logseq", readwise=40, ordinary=40, seed=3, rates=rates)
    assert summary.startswith(f"logseq vault {out}: 81 files (40 Readwise pages, 40 other notes")
    assert (out / "logseq" / "config.edn").read_text() == "{:file/name-format :triple-lowbar}\n"
    pages = sorted((out / "pages").glob("*(highlights).md"))
    assert len(pages) == 40
    for path in pages:
        text = path.read_text(encoding="utf-8")
        check_logseq_shape(text)
        title = re.match(r"title:: (.*)", text.removeprefix("\ufeff"))[1]
        assert bench.logseq_file_stem(title) == path.stem
    journals = list((out / "journals").glob("*.md"))
    assert journals and all(re.fullmatch(r"\d{4}_\d\d_\d\d\.md", p.name) for p in journals)
    others = [p for p in (out / "pages").glob("*.md") if not p.name.endswith("(highlights).md")]
    assert len(journals) + len(others) == 40
    assert not any(READWISE_MARKERS.search(p.read_text(encoding="utf-8")) for p in others)


def test_bench_obsidian_vault(bench, tmp_path: Path) -> None:
    out = tmp_path / "vault"
    bench.generate(out, kind="obsidian", readwise=40, ordinary=40, seed=3, rates=bench.Rates())
    assert (out / ".obsidian" / "app.json").is_file()
    readwise = [p for p in (out / "Readwise").rglob("*.md") if p.name != "Readwise Syncs.md"]
    assert len(readwise) == 40
    assert {p.parent.name for p in readwise} <= {"Books", "Articles", "Tweets"}
    for path in readwise:
        _, _, entries = obsidian_entries(path.read_text(encoding="utf-8"))
        assert any(e.url for e in entries)
    notes = [p for p in out.rglob("*.md") if "Readwise" not in p.parts]
    assert len(notes) == 40
    assert any(len(p.relative_to(out).parts) > 2 for p in notes)  # nested folders


def test_bench_authors_share_pages(bench, tmp_path: Path) -> None:
    out = tmp_path / "graph"
    bench.generate(out, kind="logseq", readwise=400, ordinary=0, seed=1, rates=bench.Rates())
    authors = [
        re.search(r"^author:: (.*)$", p.read_text(encoding="utf-8"), re.M)[1]
        for p in (out / "pages").glob("*.md")
    ]
    counts = sorted((authors.count(a) for a in set(authors)), reverse=True)
    assert counts[0] >= 4


def test_bench_cli_is_deterministic_and_refuses_a_full_folder(tmp_path: Path) -> None:
    trees = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"v{hash_seed}"
        cmd = [sys.executable, str(ROOT / "bench" / "generate.py"), str(out), "--kind", "obsidian"]
        cmd += ["--readwise", "25", "--ordinary", "25", "--seed", "7", "--mojibake-rate", "0.5"]
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.strip().splitlines()) == 1
        trees.append(_tree(out))
    assert trees[0] == trees[1]
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "not an empty folder" in again.stderr
    bad = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate.py"),
            str(tmp_path / "x"),
            "--bom-rate",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "between 0 and 1" in bad.stderr
