"""Hypothesis properties of identity and of the no-loss check (issue 12 item 3, issue 13 item 2).

1. Dedupe never merges units whose subtrees differ beyond white space and mojibake: pages are
   drawn from a few passages, positions, variants and notes (so copies collide often), and the
   output is read back line by line with a model of its own, not through the parser.
2. The check finds exactly the losses injected: a realistic page is normalized, dressed with a
   user's links and notes with properties, then broken at random units in the ways the traps
   above break it; the check must name those units, and no other.
"""

from __future__ import annotations

import ast
import random
import re
from dataclasses import dataclass

from hypothesis import assume, event, given
from hypothesis import strategies as st

from vaultsync.core.highlights import LOCATION_LINK, is_highlight, item_ids
from vaultsync.core.model import Item, Page
from vaultsync.core.noloss import _label, find_losses
from vaultsync.core.normalize import Rules, normalize_page, parse

try:
    from pagegen import logseq_page_with_truth, obsidian_page_with_truth
except ModuleNotFoundError:  # pragma: no cover
    from tests.pagegen import logseq_page_with_truth, obsidian_page_with_truth

# ---- 1. dedupe against a model ----------------------------------------------------------------

PASSAGES = ["Café beta.", "Gamma delta.", "Highlighted Image"]
VARIANTS = ["plain", "spaced", "moji", "link", "em"]
POSITIONS = [1, 2, None]  # Location 1, Location 2, a Reader link (no position)
NOTES = [None, "n1", "n1 ", "[[n1]]", "n1|tags:: [[todo]]", "n2"]


@dataclass(frozen=True)
class Copy:
    passage: int
    variant: str
    position: int | None
    note: str | None
    rated: bool  # carries `rating:: 5` (Logseq)

    def text(self) -> str:
        words = PASSAGES[self.passage]
        if words == "Highlighted Image":
            return words  # a placeholder: what the user might add to it is not the point here
        if self.variant == "spaced":
            return words.replace(" ", "   ")
        if self.variant == "moji":
            return words.replace("é", "Ã©")
        head, _, tail = words.partition(" ")
        if self.variant == "link":
            return f"{head} [[{tail.rstrip('.')}]]."
        if self.variant == "em":
            return f"{head} **{tail.rstrip('.')}**."
        return words


def _link(position: int | None, n: int) -> str:
    if position is None:
        return f"([View Highlight](https://read.readwise.io/read/01h{n}))"
    url = f"https://readwise.io/to_kindle?action=open&asin=B0X&location={position}"
    return f"([Location {position}]({url}))"


copies = st.lists(
    st.builds(
        Copy,
        st.integers(0, len(PASSAGES) - 1),
        st.sampled_from(VARIANTS),
        st.sampled_from(POSITIONS),
        st.sampled_from(NOTES),
        st.booleans(),
    ),
    min_size=1,
    max_size=8,
)


def _page(kind: str, drawn: list[Copy], split: int) -> str:
    lines = (
        [
            "title:: T (highlights)\n",
            "\n",
            "- Highlights first synced by [[Readwise]] [[Feb 1st, 2023]]\n",
        ]
        if kind == "logseq"
        else ["# T\n", "\n", "## Highlights\n"]
    )
    unit, note = ("\t- ", "\t\t- ") if kind == "logseq" else ("- ", "    - ")
    for n, c in enumerate(drawn):
        if n == split:
            lines.append(
                "- New highlights added [[Mar 1st, 2023]] at 9:00 AM\n"
                if kind == "logseq"
                else "\n## New highlights added March 1, 2023 at 9:00 AM\n"
            )
        lines.append(f"{unit}{c.text()} {_link(c.position, n)}\n")
        if c.rated and kind == "logseq":
            lines.append("\t  rating:: 5\n")
        if c.note:
            words, _, prop = c.note.partition("|")
            lines.append(f"{note}{words}\n")
            if prop and kind == "logseq":
                lines.append(f"\t\t  {prop}\n")
    return "".join(lines)


def _canon_text(text: str) -> tuple[str, str]:
    """(passage, variant class) of a unit's text as the output shows it."""
    text = " ".join(text.replace("Ã©", "é").split())
    cls = "link" if "[[" in text else "em" if "**" in text else "plain"
    return text.replace("[[", "").replace("]]", "").replace("**", ""), cls


def _canon_note(note: str, kind: str) -> tuple[str, ...]:
    words, _, prop = note.partition("|")
    return (" ".join(words.split()),) + ((prop,) if prop and kind == "logseq" else ())


def _expected(kind: str, drawn: list[Copy]) -> list[tuple[object, set[tuple[str, ...]], bool]]:
    """One unit per identity, first copy first: its notes (a set) and whether it is rated."""
    units: dict[object, tuple[set[tuple[str, ...]], list[bool]]] = {}
    for n, c in enumerate(drawn):
        passage, cls = _canon_text(c.text())
        ident: object = (c.position, passage, cls)
        if PASSAGES[c.passage] == "Highlighted Image":
            ident = ("placeholder", n)  # never merged
        notes, rated = units.setdefault(ident, (set(), [False]))
        if c.note:
            notes.add(_canon_note(c.note, kind))
        rated[0] = rated[0] or (c.rated and kind == "logseq")
    return [(i, notes, rated[0]) for i, (notes, rated) in units.items()]


_OUT_LINK = re.compile(r"\s*\(\[(Location (\d+)|View Highlight)\]\([^)]*\)\)\s*$")


def _read(
    kind: str, text: str
) -> list[tuple[tuple[object, str, str], list[tuple[str, ...]], bool]]:
    """The output's units: ((position, passage, class), notes, rated), read line by line."""
    unit, note = ("\t- ", "\t\t- ") if kind == "logseq" else ("- ", "    - ")
    out: list[tuple[tuple[object, str, str], list[tuple[str, ...]], bool]] = []
    for line in text.splitlines():
        if line.startswith(unit) and _OUT_LINK.search(line):
            m = _OUT_LINK.search(line)
            assert m is not None
            passage, cls = _canon_text(line[len(unit) : m.start()])
            pos = int(m.group(2)) if m.group(2) else None
            out.append(((pos, passage, cls), [], False))
        elif line.startswith(note):
            out[-1][1].append((" ".join(line[len(note) :].split()),))
        elif line.startswith("\t\t  "):
            out[-1][1][-1] += (line.strip(),)
        elif line == "\t  rating:: 5":
            out[-1] = (out[-1][0], out[-1][1], True)
    return out


@given(copies, st.sampled_from(["logseq", "obsidian"]), st.integers(0, 8))
def test_dedupe_merges_only_copies_equal_beyond_white_space_and_mojibake(
    drawn: list[Copy], kind: str, split: int
) -> None:
    text = _page(kind, drawn, split)
    rules = Rules(
        dedupe=True, fold_sections=False, order=False, repair_encoding=False, link_author=False
    )
    out = normalize_page(text, kind, rules)  # type: ignore[arg-type]
    assert out.losses == []
    got = _read(kind, out.text)
    want = _expected(kind, drawn)
    assert len(got) == len(want), (got, want)
    for (ident, notes, rated), (g_ident, g_notes, g_rated) in zip(want, got, strict=True):
        if isinstance(ident, tuple) and ident[0] == "placeholder":
            assert g_ident[1] == "Highlighted Image"
        else:
            assert g_ident == ident
        assert set(g_notes) == notes and len(g_notes) == len(notes), (g_notes, notes)
        assert g_rated == rated


# ---- 2. the check finds exactly the losses injected ------------------------------------------

MUTATIONS = ["drop_property", "strip_link", "move_position", "drop_unit", "drop_id", "move_note"]


def _units(page: Page) -> list[Item]:
    return [i for s in page.sections for i in s.items if is_highlight(i, page.kind)]


def _indent(item: Item, kind: str) -> str:
    line = item.lines[0]
    return line[: len(line) - len(line.lstrip(" \t"))] + ("\t" if kind == "logseq" else "    ")


def _dress(page: Page, rng: random.Random) -> None:
    """A user's link in some highlights, a note with a property (or a nested line) under some."""
    for n, unit in enumerate(_units(page)):
        if rng.random() < 0.4:
            first = unit.lines[0]
            lead = len(first) - len(first.lstrip(" \t"))
            unit.lines[0] = first[: lead + 2] + f"[[mine{n}]] " + first[lead + 2 :]
        if rng.random() < 0.4:
            ind = _indent(unit, page.kind)
            if page.kind == "logseq":
                note = Item([f"{ind}- my note {n}\n", f"{ind}  tags:: [[todo{n}]]\n"])
            else:
                note = Item([f"{ind}- my note {n}\n"], [Item([f"{ind}    - [[todo{n}]]\n"])])
            unit.children.append(note)


def _mutate(page: Page, unit: Item, what: str, others: list[Item], referenced: set[str]) -> bool:
    """Break `unit` one way; False when it has nothing to break that way."""
    kind = page.kind
    if what == "drop_property":
        for child in unit.children:
            if "- my note " in child.lines[0]:
                if kind == "logseq" and len(child.lines) > 1:
                    del child.lines[1]
                    return True
                if kind == "obsidian" and child.children:
                    child.children = []
                    return True
        return False
    if what == "strip_link":
        new = re.sub(r"\[\[(mine\d+)\]\]", r"\1", unit.lines[0], count=1)
        changed = new != unit.lines[0]
        unit.lines[0] = new
        return changed
    if what == "move_position":
        for i, line in enumerate(unit.lines):
            m = LOCATION_LINK.search(line)
            label = m.group("label") if m else ""
            if m and (re.match(r"(?:Location|Page)\s\d", label) or "/status/" in m.group("url")):
                old = m.group(0)
                new = re.sub(r"(\d+)(?=\D*$)", lambda d: str(int(d.group(1)) + 7777), old, count=1)
                new = re.sub(
                    r"(Location\s|Page\s)(\d+)",
                    lambda d: d.group(1) + str(int(d.group(2)) + 7777),
                    new,
                )
                new = re.sub(r"/status/(\d+)", lambda d: f"/status/{int(d.group(1)) + 7777}", new)
                unit.lines[i] = line.replace(old, new)
                return True
        return False
    if what == "drop_unit":
        for section in page.sections:
            if unit in section.items:
                section.items.remove(unit)
                return True
        return False
    if what == "drop_id":
        for i, line in enumerate(unit.lines):
            ids = item_ids(Item([line]), kind) if i else item_ids(Item([line]), kind)
            if kind == "logseq" and i and ids:
                del unit.lines[i]
                return True
            if kind == "obsidian" and ids and ids[0] in referenced:
                unit.lines[i] = line.replace(f"^{ids[0]}", "")
                return True
        return False
    if what == "move_note":
        if not unit.children or not others:
            return False
        others[0].children.append(unit.children.pop(0))
        return True
    raise AssertionError(what)


def _named(message: str, ids: dict[str, str]) -> str:
    """The label of the unit a message names (a lost id: the unit that carried it)."""
    m = re.search(r"highlight (['\"].*['\"])$", message)
    if m:
        return ast.literal_eval(m.group(1))
    m = re.fullmatch(r"block id (\S+)", message)
    assert m, f"a loss outside any highlight: {message}"
    return ids[m.group(1)]


@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["logseq", "obsidian"]),
    what=st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3),
)
def test_the_check_names_exactly_the_units_broken(seed: int, kind: str, what: list[str]) -> None:
    rng = random.Random(seed)
    make = logseq_page_with_truth if kind == "logseq" else obsidian_page_with_truth
    text = make(
        rng, repeats=True, shuffle=True, extra_sections=1, mojibake=True, ids=True, user_blocks=True
    ).text
    page = parse(normalize_page(text, kind).text, kind)  # type: ignore[arg-type]
    _dress(page, rng)
    base = page.serialize()
    before = parse(base, kind)  # type: ignore[arg-type]
    referenced = {i for u in _units(before) for n in u.walk() for i in item_ids(n, kind)}
    assert find_losses(before, parse(base, kind), frozenset(referenced)) == []  # type: ignore[arg-type]

    broken = parse(base, kind)  # type: ignore[arg-type]
    units = _units(broken)
    labels = [_label(u, kind) for u in units]
    assume(len(set(labels)) == len(labels))  # each unit named unambiguously
    ids = {i: _label(u, kind) for u in units for n in u.walk() for i in item_ids(n, kind)}
    order = list(range(len(units)))
    rng.shuffle(order)
    spare, candidates = [units[order[0]]] if units else [], order[1:]  # spare: never broken
    hit: set[str] = set()
    for mutation in what:  # each on the first unit not yet broken that it applies to
        for i in candidates:
            if labels[i] not in hit and _mutate(broken, units[i], mutation, spare, referenced):
                hit.add(labels[i])
                break
    for mutation in what:
        event(mutation)
    event(f"units broken: {len(hit)}")
    found = find_losses(before, parse(broken.serialize(), kind), frozenset(referenced))  # type: ignore[arg-type]
    assert {_named(m, ids) for m in found} == hit, found
