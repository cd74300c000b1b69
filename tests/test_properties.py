"""Properties of the normalizer over generated Readwise pages (hypothesis).

Two sources of pages: the team's realistic generators (tests/pagegen.py through
tests/strategies.py, with their ground truth), and a small adversarial generator below whose
highlights, notes and user blocks each carry a unique marker word (so checks read the output
text directly, not through the parser under test) and which mixes in what the realistic one
does not: copies wrapped differently, mixed kinds of position, bullet-like continuation lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import assume, example, given
from hypothesis import strategies as st

from vaultsync.core.noloss import find_losses
from vaultsync.core.normalize import PageContext, Rules, is_readwise_page, normalize_page, parse

try:  # pytest puts tests/ on sys.path …
    from pagegen import GeneratedPage
    from strategies import clean_logseq_pages, clean_obsidian_pages
    from strategies import logseq_pages as realistic_logseq
    from strategies import obsidian_pages as realistic_obsidian
    from strategies import ordinary_notes as realistic_ordinary
except ModuleNotFoundError:  # … `python -c "import tests.test_properties"` needs the package path
    from tests.pagegen import GeneratedPage
    from tests.strategies import clean_logseq_pages, clean_obsidian_pages
    from tests.strategies import logseq_pages as realistic_logseq
    from tests.strategies import obsidian_pages as realistic_obsidian
    from tests.strategies import ordinary_notes as realistic_ordinary

# ---- ground truth -----------------------------------------------------------------------------

MOJIBAKE = {"👇": "ðŸ‘‡", "🌇": "ðŸŒ‡", "🧵": "ðŸ§µ", "é": "Ã©", "’": "â€™", "—": "â€”"}
WORDS = ["ship", "teams", "logs", "models", "data", "owner", "(the", "note)", "it's", "a", "—"]
WORDS += ["“quoted”", "ﬁne", "ＡＢ", "é", "👇", "🧵", "3/", "1)", "2.", "*", "+", "50%", "x:y"]
PARA = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)


@dataclass
class Highlight:
    n: int
    paragraphs: list[str]
    kind: str  # tweet | location | page | view
    position: int
    note: str | None = None  # a note every copy carries (merged into one)
    block_id: str | None = None  # carried by exactly one copy

    @property
    def marker(self) -> str:
        return f"hq{self.n}z"

    def link(self, copy: int) -> str:
        if self.kind == "tweet":
            return f"([View Tweet](https://twitter.com/h/status/{self.position}))"
        if self.kind == "location":
            url = f"https://readwise.io/to_kindle?action=open&asin=B0X&location={self.position}"
            return f"([Location {self.position}]({url}))"
        if self.kind == "page":
            return f"([Page {self.position}](https://readwise.io/open/{self.n}{copy}))"
        return f"([View Highlight](https://read.readwise.io/read/01h{self.n}c{copy}))"


@dataclass
class Copy:
    hl: Highlight
    c: int = 0  # which copy of its highlight
    mojibake: bool = False
    spaced: bool = False  # extra white space: still the same highlight
    wrapped: bool = False  # (Logseq) the first paragraph broken over two lines
    carries_id: bool = False
    own_note: str | None = None  # a note only this copy carries
    user_after: str | None = None  # the user's own block right after this copy


@dataclass
class Truth:
    text: str
    kind: str
    highlights: list[Highlight]
    notes: list[tuple[str, Highlight]] = field(default_factory=list)  # (marker, its highlight)
    user: list[str] = field(default_factory=list)
    clean: bool = False  # no rule applies: the page must come back unchanged


def _paragraphs(copy: Copy) -> list[str]:
    paras = list(copy.hl.paragraphs)
    paras[0] = f"{paras[0]} {copy.hl.marker}"
    if copy.mojibake:
        for good, bad in MOJIBAKE.items():
            paras = [p.replace(good, bad) for p in paras]
    if copy.spaced:
        paras = [p.replace(" ", "  ", 1) + " " for p in paras]
    return paras


@st.composite
def _truth_parts(draw: st.DrawFn, clean: bool) -> tuple[list[Highlight], list[list[Copy]]]:
    n = draw(st.integers(1, 6))
    kinds = ["tweet", "location", "page", "view"]
    page_kind = draw(st.sampled_from(kinds))
    mixed = not clean and draw(st.integers(0, 9)) == 0
    positions = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    if clean:
        positions.sort()
    base = 1540123808735973376 if page_kind == "tweet" else 0
    hls = []
    for i in range(n):
        kind = draw(st.sampled_from(kinds)) if mixed else page_kind
        paras = draw(st.lists(PARA, min_size=1, max_size=3))
        if clean:
            for good in MOJIBAKE:
                paras = [p.replace(good, "") for p in paras]
            paras = [" ".join(p.split()) or "plain" for p in paras]
        hl = Highlight(i, paras, kind, positions[i] + (base if kind == "tweet" else 0))
        if draw(st.booleans()):
            hl.note = f"nq{i}z"
        if not clean and draw(st.integers(0, 3)) == 0:
            hl.block_id = f"64f00000-0000-4000-8000-{i:012d}"
        hls.append(hl)

    copies: list[Copy] = []
    for hl in hls:
        count = 1 if clean else draw(st.integers(1, 3))
        made = []
        for c in range(count):
            own_note = not clean and draw(st.integers(0, 3)) == 0
            made.append(
                Copy(
                    hl,
                    c,
                    mojibake=not clean and draw(st.booleans()),
                    spaced=not clean and c > 0 and draw(st.booleans()),
                    wrapped=not clean and c > 0 and draw(st.booleans()),
                    own_note=f"oq{hl.n}c{c}z" if own_note else None,
                )
            )
        if hl.block_id:
            made[draw(st.integers(0, count - 1))].carries_id = True
        copies += made
    if not clean:
        copies = draw(st.permutations(copies))
    for i, cp in enumerate(copies):
        if draw(st.integers(0, 4)) == 0:
            cp.user_after = f"uq{i}z"
    # Split the copies into the first section and later "New highlights" sections.
    cuts = sorted(draw(st.lists(st.integers(1, len(copies)), max_size=0 if clean else 2)))
    sections, start = [], 0
    for cut in [*cuts, len(copies)]:
        sections.append(copies[start:cut])
        start = cut
    return hls, [s for s in sections if s]


def _gather(hls: list[Highlight], sections: list[list[Copy]]) -> tuple[list, list[str]]:
    notes: dict[str, Highlight] = {}
    user: list[str] = []
    for section in sections:
        for cp in section:
            if cp.hl.note:
                notes[cp.hl.note] = cp.hl
            if cp.own_note:
                notes[cp.own_note] = cp.hl
            if cp.user_after:
                user.append(cp.user_after)
    return list(notes.items()), user


@st.composite
def logseq_pages(draw: st.DrawFn, clean: bool | None = None) -> Truth:
    """A Logseq Readwise page: properties, a first section, later sections, copies of highlights."""
    if clean is None:
        clean = draw(st.integers(0, 4)) == 0
    hls, sections = draw(_truth_parts(clean))
    nl = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    tabs = draw(st.booleans())

    def indent(depth: int) -> str:  # depth 1 = top level
        return ("\t" * (depth - 1)) if tabs else ("  " * (depth - 1))

    def cont(depth: int) -> str:
        return indent(depth) + "  "

    author = "[[Marta Quill]]" if clean or draw(st.booleans()) else "Marta Quill"
    lines = [
        "title:: A Generated Page (highlights)",
        f"author:: {author}",
        "category:: #tweets",
        "",
    ]
    for s, section in enumerate(sections):
        head = (
            "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]"
            if s == 0
            else f"- New highlights added [[Mar {s}th, 2023]] at 11:38 AM"
        )
        lines.append(head)
        for cp in section:
            paras = _paragraphs(cp)
            paras[-1] = f"{paras[-1]} {cp.hl.link(cp.c)}"
            if cp.wrapped and " " in paras[0].strip():
                head, rest = paras[0].strip().split(" ", 1)
                lines.append(f"{indent(2)}- {head}")
                lines.append(f"{cont(2)}{rest}")
            else:
                lines.append(f"{indent(2)}- {paras[0]}")
            if cp.carries_id:
                lines.append(f"{cont(2)}id:: {cp.hl.block_id}")
            for p in paras[1:]:
                lines += [cont(2), f"{cont(2)}{p}"]
            if cp.hl.note:
                lines.append(f"{indent(3)}- **Note**: {cp.hl.note}")
            if cp.own_note:
                lines.append(f"{indent(3)}- **Note**: {cp.own_note}")
            if cp.user_after:
                lines.append(f"{indent(2)}- my own thought {cp.user_after}")
    final = draw(st.booleans())
    text = nl.join(lines) + (nl if final else "")
    if draw(st.integers(0, 5)) == 0:
        text = "\ufeff" + text
    notes, user = _gather(hls, sections)
    return Truth(text, "logseq", hls, notes, user, clean)


@st.composite
def obsidian_pages(draw: st.DrawFn, clean: bool | None = None) -> Truth:
    """An Obsidian Readwise note: default or customised template, appended sections."""
    if clean is None:
        clean = draw(st.integers(0, 4)) == 0
    hls, sections = draw(_truth_parts(clean))
    nl = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    custom = draw(st.booleans())
    lines = []
    if custom:
        lines += ["---", "aliases: [A Generated Note]", "author: ops-notes.example", "---"]
    author = "[[ops-notes.example]]" if clean or draw(st.booleans()) else "ops-notes.example"
    lines += [
        "# A Generated Note",
        "",
        "## Metadata",
        f"- Author: {author}",
        "- Category: #articles",
        "",
    ]
    if custom:
        lines.append("## Highlights")
    for s, section in enumerate(sections):
        if custom:
            lines.append("### New highlights synced")
        else:
            lines.append("## Highlights" if s == 0 else f"## New highlights added March {s}, 2023")
        for cp in section:
            paras = _paragraphs(cp)
            # Readwise writes a later paragraph on the next line, at column 0, with no blank line
            # between (readwiseio/obsidian-readwise#48); one starting "2." would be a list item.
            paras = paras[:1] + [f"so {p}" for p in paras[1:]]
            paras[-1] = f"{paras[-1]} {cp.hl.link(cp.c)}"
            rw = f" ^rw{cp.hl.n}x{cp.c}" if custom else ""
            first = f"- {paras[0]}" + (rw if len(paras) == 1 else "")
            lines.append(first)
            for i, p in enumerate(paras[1:], start=1):
                lines.append(p + (rw if i == len(paras) - 1 else ""))
            if cp.carries_id and not custom:
                lines[-1] += f" ^{cp.hl.block_id}"
            if cp.hl.note:
                lines.append(f"    - Note: {cp.hl.note}")
            if cp.own_note:
                lines.append(f"    - Note: {cp.own_note}")
            if cp.user_after:
                lines.append(f"- my own thought {cp.user_after}")
        if not custom:
            lines.append("")
    final = draw(st.booleans())
    text = nl.join(lines) + (nl if final else "")
    notes, user = _gather(hls, sections)
    return Truth(text, "obsidian", hls, notes, user, clean)


def readwise_pages() -> st.SearchStrategy[Truth]:
    return st.one_of(logseq_pages(), obsidian_pages())


ORDINARY = [
    "# Reading list\n\n- [[The Art of Maintenance (highlights)]]\n- Not a Readwise page.\n",
    "# Notes\n\n## Highlights\n- a line I liked\n    - why\n",
    "- title:: not page properties\n- key:: value\n\t- child\n",
    "---\ntags: [x]\n---\n## Highlights\n- [Location 5] of nothing\n",
]


@st.composite
def ordinary_notes(draw: st.DrawFn) -> tuple[str, str]:
    """(text, kind) of notes that are not Readwise pages: they must never change."""
    kind = draw(st.sampled_from(["logseq", "obsidian"]))
    base = draw(st.sampled_from(ORDINARY))
    extra = draw(st.lists(st.sampled_from(["- item", "\t- child", "text", "", "## Highlights"])))
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    return (base + "\n".join(extra)).replace("\n", nl), kind


# ---- helpers ------------------------------------------------------------------------------------


def _lines_with(text: str, marker: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines()) if marker in line]


def _highlight_at(text: str, truth: Truth) -> dict[int, Highlight]:
    """Line index → the highlight whose marker sits on that line."""
    out = {}
    for hl in truth.highlights:
        for i in _lines_with(text, hl.marker):
            out[i] = hl
    return out


def _referenced(truth: Truth) -> frozenset[str]:
    return frozenset(h.block_id for h in truth.highlights if h.block_id)


# ---- properties ---------------------------------------------------------------------------------


@given(readwise_pages())
def test_generated_pages_are_recognised(truth: Truth) -> None:
    assert is_readwise_page(parse(truth.text, truth.kind))  # type: ignore[arg-type]


@given(readwise_pages())
def test_normalization_is_idempotent(truth: Truth) -> None:
    once = normalize_page(truth.text, truth.kind)  # type: ignore[arg-type]
    twice = normalize_page(once.text, truth.kind)  # type: ignore[arg-type]
    assert twice.text == once.text
    assert not twice.changed


@given(readwise_pages())
def test_nothing_is_lost(truth: Truth) -> None:
    ctx = PageContext(referenced_ids=_referenced(truth))
    out = normalize_page(truth.text, truth.kind, context=ctx)  # type: ignore[arg-type]
    assert out.losses == []
    before, after = parse(truth.text, truth.kind), parse(out.text, truth.kind)  # type: ignore[arg-type]
    assert find_losses(before, after, ctx.referenced_ids) == []
    # Every block id survives (Logseq writes one only for a referenced block).
    for hl in truth.highlights:
        if hl.block_id and hl.block_id in truth.text:
            assert hl.block_id in out.text


@given(readwise_pages())
def test_every_highlight_once_with_its_notes(truth: Truth) -> None:
    out = normalize_page(truth.text, truth.kind).text  # type: ignore[arg-type]
    for hl in truth.highlights:
        assert len(_lines_with(out, hl.marker)) == 1, hl.marker
    for user in truth.user:
        assert len(_lines_with(out, user)) == 1, user
    at = _highlight_at(out, truth)
    for note, hl in truth.notes:
        where = _lines_with(out, note)
        assert len(where) == 1, note  # a note every copy carried is kept once
        owner = max((i for i in at if i < where[0]), default=None)
        assert owner is not None and at[owner] is hl, f"{note} left {hl.marker}"


@given(readwise_pages())
def test_single_kind_pages_come_out_in_order(truth: Truth) -> None:
    kinds = {h.kind for h in truth.highlights}
    assume(len(kinds) == 1 and kinds != {"view"})
    out = normalize_page(truth.text, truth.kind).text  # type: ignore[arg-type]
    at = _highlight_at(out, truth)
    positions = [at[i].position for i in sorted(at)]
    assert positions == sorted(positions)


@given(st.one_of(logseq_pages(clean=True), obsidian_pages(clean=True)))
def test_untouched_page_round_trips(truth: Truth) -> None:
    out = normalize_page(truth.text, truth.kind)  # type: ignore[arg-type]
    assert out.is_readwise
    assert out.text == truth.text
    assert not out.changed


@given(ordinary_notes())
def test_ordinary_notes_never_change(note: tuple[str, str]) -> None:
    text, kind = note
    out = normalize_page(text, kind)  # type: ignore[arg-type]
    assert not out.is_readwise
    assert out.text == text


@given(st.text(), st.sampled_from(["logseq", "obsidian"]))
@example("- x ([View Tweet](https://t.co/a/status/1))\n\r- y", "logseq")
@example("## Highlights\n- x ([Location 2](u))\n- y ([Location 1](u))\u2028", "obsidian")
def test_arbitrary_text_never_raises(text: str, kind: str) -> None:
    assert parse(text, kind).serialize() == text  # type: ignore[arg-type]
    out = normalize_page(text, kind)  # type: ignore[arg-type]
    if not out.is_readwise:
        assert out.text == text
    else:
        assert normalize_page(out.text, kind).text == out.text  # type: ignore[arg-type]


@given(st.binary(), st.sampled_from(["logseq", "obsidian"]))
def test_arbitrary_bytes_never_raise(data: bytes, kind: str) -> None:
    text = data.decode("utf-8", errors="replace")
    out = normalize_page(text, kind)  # type: ignore[arg-type]
    assert out.is_readwise or out.text == text


@given(readwise_pages(), st.sampled_from(["dedupe", "fold_sections", "order", "repair_encoding"]))
def test_each_rule_alone_loses_nothing(truth: Truth, rule: str) -> None:
    off = {"dedupe": False, "fold_sections": False, "order": False, "repair_encoding": False}
    off[rule] = True
    rules = Rules(**off, link_author=False)
    out = normalize_page(truth.text, truth.kind, rules)  # type: ignore[arg-type]
    assert out.losses == []
    assert normalize_page(out.text, truth.kind, rules).text == out.text  # type: ignore[arg-type]


# ---- the same properties over the realistic generators -----------------------------------------


def realistic() -> st.SearchStrategy[GeneratedPage]:
    return st.one_of(realistic_logseq(max_highlights=8), realistic_obsidian(max_highlights=8))


def _app(page: GeneratedPage) -> str:
    return page.truth.app


def _ids_to_keep(page: GeneratedPage) -> frozenset[str]:
    """Logseq ids all count; in Obsidian the `^rw…` ids Readwise writes on every copy are
    referenced by nothing, the others stand for ids some note links to."""
    return frozenset(i for i in page.truth.block_ids if not i.startswith("rw"))


def _first_line(text: str) -> str:
    return next(line.strip() for line in text.splitlines() if line.strip())


@given(realistic())
def test_realistic_pages_normalize_idempotently_and_lose_nothing(page: GeneratedPage) -> None:
    ctx = PageContext(referenced_ids=_ids_to_keep(page))
    once = normalize_page(page.text, _app(page), context=ctx)  # type: ignore[arg-type]
    assert once.is_readwise
    assert once.losses == []
    before, after = parse(page.text, _app(page)), parse(once.text, _app(page))  # type: ignore[arg-type]
    assert find_losses(before, after, ctx.referenced_ids) == []
    twice = normalize_page(once.text, _app(page), context=ctx)  # type: ignore[arg-type]
    assert twice.text == once.text and not twice.changed
    for block_id in _ids_to_keep(page):
        assert block_id in once.text


@given(realistic())
def test_realistic_pages_keep_each_highlight_once_with_its_notes(page: GeneratedPage) -> None:
    ctx = PageContext(referenced_ids=_ids_to_keep(page))
    out = normalize_page(page.text, _app(page), context=ctx).text  # type: ignore[arg-type]
    lines = out.splitlines()
    starts = {}
    for h in page.truth.highlights:
        found = [i for i, line in enumerate(lines) if _first_line(h.text) in line]
        assert len(found) == 1, f"{h.key} appears {len(found)} times"
        starts[h.key] = found[0]
    bounds = sorted(starts.values()) + [len(lines)]
    for h in page.truth.highlights:
        start = starts[h.key]
        end = next(b for b in bounds if b > start)
        own = lines[start:end]
        if h.note:
            assert any(_first_line(h.note) in line for line in own), f"note left {h.key}"
        for child in h.user_children:
            assert any(_first_line(child) in line for line in own), f"{child!r} left {h.key}"
    for block in page.truth.user_blocks:
        assert any(block.text in line for line in lines)


@given(realistic())
def test_realistic_pages_come_out_in_canonical_order(page: GeneratedPage) -> None:
    assume(page.truth.kind in ("tweets", "tweets_from", "books"))
    out = normalize_page(page.text, _app(page)).text  # type: ignore[arg-type]
    lines = out.splitlines()
    where = {
        h.key: next(i for i, line in enumerate(lines) if _first_line(h.text) in line)
        for h in page.truth.highlights
    }
    assert sorted(where, key=where.__getitem__) == [h.key for h in page.truth.highlights]


@given(st.one_of(clean_logseq_pages(max_highlights=8), clean_obsidian_pages(max_highlights=8)))
def test_realistic_clean_pages_come_back_byte_for_byte(page: GeneratedPage) -> None:
    # (the generator's plain-text authors are a change the page needs: author linking is off)
    ctx = PageContext(referenced_ids=_ids_to_keep(page))
    out = normalize_page(page.text, _app(page), Rules(link_author=False), ctx)  # type: ignore[arg-type]
    assert out.is_readwise
    assert out.text == page.text


@given(realistic_ordinary(), st.sampled_from(["logseq", "obsidian"]))
def test_realistic_ordinary_notes_never_change(text: str, kind: str) -> None:
    out = normalize_page(text, kind)  # type: ignore[arg-type]
    assert not out.is_readwise
    assert out.text == text


@st.composite
def noisy(draw: st.DrawFn) -> tuple[GeneratedPage, str]:
    """A realistic page with byte noise: trailing tabs, spaces or a stray CR, a CR or a line
    separator inside a line, extra blank lines."""
    page = draw(realistic())
    out = []
    for line in page.text.split("\n"):
        r = draw(st.integers(0, 14))
        if r == 0:
            line += "\t"
        elif r == 1:
            line += " "
        elif r == 2:
            line += "\r"
        elif r == 3 and line:
            line = line[:1] + "\u2028" + line[1:]
        elif r == 4 and line:
            line = line[:2] + "\r" + line[2:]
        elif r == 5:
            out.append("")
        out.append(line)
    return page, "\n".join(out)


@given(noisy())
def test_noisy_pages_round_trip_normalize_idempotently_and_lose_nothing(
    case: tuple[GeneratedPage, str],
) -> None:
    page, text = case
    app = _app(page)
    assert parse(text, app).serialize() == text  # type: ignore[arg-type]
    ctx = PageContext(referenced_ids=_ids_to_keep(page))
    once = normalize_page(text, app, context=ctx)  # type: ignore[arg-type]
    if not once.is_readwise:
        assert once.text == text
        return
    assert once.losses == []
    assert normalize_page(once.text, app, context=ctx).text == once.text  # type: ignore[arg-type]
