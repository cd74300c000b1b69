"""The candidate pipeline of a pass (vaultsync.pipeline): each Readwise page is normalized once
and its author facts read once, before the author plan is known; only a page whose author link
the plan changes is normalized again; a page that changed under the pass is normalized afresh."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import vaultsync.pipeline.clean as clean
from pagegen import logseq_page_with_truth, obsidian_page_with_truth
from vaultsync.core import rules
from vaultsync.core.byline import author_maker
from vaultsync.core.model import Item, Page, Section
from vaultsync.core.noloss import find_losses
from vaultsync.core.normalize import PageContext, Rules, normalize_page, parse
from vaultsync.core.rules import author_value
from vaultsync.core.text import split_lines
from vaultsync.errors import ChangedSinceRead
from vaultsync.pipeline.report import PassOptions
from vaultsync.pipeline.session import VaultSession
from vaultsync.vault import make_vault


class Calls:
    """How many times the pass normalized a page, found one clean without normalizing it (the
    fast verdict) and read a page's author facts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.normalized: list[str] = []
        self.found_clean = 0
        self.facts = 0
        normalize, facts, verdict = clean.normalize_page, clean.page_facts, clean.verdict

        def counting_verdict(*a, **k):
            found = verdict(*a, **k)
            self.found_clean += found.clean
            return found

        def counting_normalize(text, *a, **k):
            self.normalized.append(text)
            return normalize(text, *a, **k)

        def counting_facts(*a, **k):
            self.facts += 1
            return facts(*a, **k)

        monkeypatch.setattr(clean, "normalize_page", counting_normalize)
        monkeypatch.setattr(clean, "page_facts", counting_facts)
        monkeypatch.setattr(clean, "verdict", counting_verdict)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return Calls(monkeypatch)


def logseq_graph(root: Path) -> Path:
    (root / "logseq").mkdir(parents=True)
    (root / "logseq" / "config.edn").write_text("{}\n")
    (root / "pages").mkdir()
    return root


def obsidian_vault(root: Path) -> Path:
    (root / ".obsidian").mkdir(parents=True)
    return root


def tweet_note(author: str, status: int) -> str:
    return (
        f"# Tweets {status}\n\n## Metadata\n- Author: {author}\n"
        f"- URL: https://twitter.com/kdlee/status/{status}\n- Category: #tweets\n\n"
        "## Highlights\n"
        f"- a thought {status} ([View Tweet](https://twitter.com/kdlee/status/{status}))\n"
        f"- a thought {status} ([View Tweet](https://twitter.com/kdlee/status/{status}))\n"
    )


# ---- normalize_page tells which author value the link rule was handed ----------------------------


@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["logseq", "obsidian"]))
def test_the_link_maker_is_handed_the_reported_author_value_and_nothing_else(
    seed: int, kind: str
) -> None:
    rng = random.Random(seed)
    make = logseq_page_with_truth if kind == "logseq" else obsidian_page_with_truth
    text = make(rng, repeats=rng.random() < 0.5, shuffle=rng.random() < 0.5).text
    handed: list[str] = []

    def maker(value: str) -> str | None:
        handed.append(value)
        return f"[[{value.strip()}]]"

    result = normalize_page(text, kind, Rules(), PageContext(author_link=maker))  # type: ignore[arg-type]
    assert handed == ([] if result.author_given is None else [result.author_given])
    off = normalize_page(text, kind, Rules(link_author=False), PageContext(author_link=maker))  # type: ignore[arg-type]
    assert off.author_given is None and len(handed) <= 1
    if result.author_given is not None:
        # The page's author value before linking is what the rule was handed.
        assert off.page is not None and author_value(off.page) == result.author_given


# ---- a pass normalizes each page once -----------------------------------------------------------


def test_a_cold_pass_normalizes_each_readwise_page_once_and_reads_its_facts_once(
    tmp_path: Path, calls: Calls
) -> None:
    root = logseq_graph(tmp_path / "graph")
    rng = random.Random(7)
    for i in range(12):
        page = logseq_page_with_truth(rng, repeats=i % 3 == 0, shuffle=i % 4 == 0)
        (root / "pages" / f"source {i}.md").write_text(page.text, newline="")
    report = VaultSession(make_vault(root), PassOptions(cache=False)).full_pass()
    assert report.failed == [] and report.readwise == 12 and report.changed
    # Each page either normalized once or found clean by the fast verdict (then not normalized).
    assert len(calls.normalized) + calls.found_clean == 12
    assert 0 < len(calls.normalized) < 12
    assert calls.facts == 12
    assert VaultSession(make_vault(root), PassOptions(cache=False)).full_pass().changed == []


def test_a_page_whose_link_the_plan_changes_is_normalized_again(
    tmp_path: Path, calls: Calls
) -> None:
    # One handle, two names: the plan links both notes to one canonical note, so the note
    # whose name is not the canonical one gets a link the provisional rule did not make.
    root = obsidian_vault(tmp_path / "vault")
    texts = {
        "one.md": tweet_note("@kdlee on Twitter", 1),
        "two.md": tweet_note("Kim D. Lee", 2),
        "three.md": tweet_note("Kim D. Lee", 3),
    }
    for name, text in texts.items():
        (root / name).write_text(text)
    session = VaultSession(make_vault(root), PassOptions(cache=False))
    report = session.full_pass()
    assert report.failed == [] and len(report.changed) == 3
    canonical = session.plan.resolve("Kim D. Lee")
    assert canonical == session.plan.resolve("@kdlee on Twitter")
    again = [t for t in texts.values() if calls.normalized.count(t) == 2]
    assert len(calls.normalized) == 3 + len(again) and len(again) >= 1
    maker = author_maker("obsidian", session.plan, False)
    for name, text in texts.items():
        expected = normalize_page(text, "obsidian", Rules(), PageContext(author_link=maker)).text
        assert (root / name).read_text() == expected
    assert VaultSession(make_vault(root), PassOptions(cache=False)).full_pass().changed == []


# ---- a page that changes under the pass ---------------------------------------------------------


@pytest.mark.parametrize("cache", [False, True])
def test_a_page_changed_before_its_write_is_normalized_again_with_its_new_author(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Calls, cache: bool
) -> None:
    root = obsidian_vault(tmp_path / "vault")
    page = root / "one.md"
    page.write_text(tweet_note("Ann Writer", 1))
    edited = tweet_note("Bea Editor", 1)
    write = clean.write_page
    raced: list[Path] = []

    def racing_write(guard, snap, path, data, options):
        if not raced:  # the user saves the page just before our first write
            raced.append(path)
            path.write_text(edited)
            raise ChangedSinceRead(path)
        return write(guard, snap, path, data, options)

    monkeypatch.setattr(clean, "write_page", racing_write)
    session = VaultSession(make_vault(root), PassOptions(state_dir=tmp_path / "state", cache=cache))
    report = session.full_pass()
    assert raced == [page] and report.failed == [] and report.changed == [page]
    assert "- Author: [[Bea Editor]]\n" in page.read_text()
    assert calls.normalized == [tweet_note("Ann Writer", 1), edited]
    assert session.facts[page].names == ("Bea Editor",)
    assert (root / "Readwise" / "Authors" / "Bea Editor.md").exists()
    assert VaultSession(make_vault(root), PassOptions(cache=False)).full_pass().changed == []


# ---- the no-loss check keys only the lines it must ----------------------------------------------


def reference_losses(before: Page, after: Page, referenced: frozenset[str]) -> list[str]:
    """find_losses without its shortcuts: every unit of both pages keyed and searched (none
    skipped as intact), every line outside units keyed, every id searched."""
    from vaultsync.core.highlights import LOGSEQ_ID, OBSIDIAN_ID
    from vaultsync.core.noloss import (
        _line_key,
        _must_stay,
        _outside,
        _shown,
        _unit_key,
        _unit_losses,
        _units,
    )
    from vaultsync.core.text import body

    def all_ids(page: Page) -> set[str]:
        pattern = LOGSEQ_ID.match if page.kind == "logseq" else OBSIDIAN_ID.search
        return {m.group(1) for line in page.lines() if (m := pattern(body(line)))}

    missing: list[str] = []
    index: dict[object, list[Item]] = {}
    for unit in _units(after):
        index.setdefault(_unit_key(unit, after.kind), []).append(unit)
    for unit in _units(before):
        dests = index.get(_unit_key(unit, before.kind), [])
        missing += _unit_losses(unit, dests, before.kind, referenced)
    lost_ids = all_ids(before) - all_ids(after)
    if before.kind == "obsidian":
        lost_ids &= referenced
    missing += [f"block id {i}" for i in sorted(lost_ids)]
    have = [_shown(k) for line in _outside(after) if (k := _line_key(line))]
    keys = {k for line in _must_stay(before) if (k := _line_key(line))}
    lost = {
        k
        for k in keys
        if not any(_shown(k)[0] == plain and _shown(k)[1] <= links for plain, links in have)
    }
    return missing + [f"line {t[:60]!r}" for t in sorted(lost)]


@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["logseq", "obsidian"]),
    edits=st.lists(st.tuples(st.sampled_from("dxmc"), st.integers(0, 10**6)), max_size=6),
)
def test_the_no_loss_check_finds_what_checking_every_line_finds(
    seed: int, kind: str, edits: list[tuple[str, int]]
) -> None:
    rng = random.Random(seed)
    make = logseq_page_with_truth if kind == "logseq" else obsidian_page_with_truth
    text = make(rng, repeats=True, shuffle=True, extra_sections=1, mojibake=True, ids=True).text
    out = normalize_page(text, kind, Rules()).text  # type: ignore[arg-type]
    lines = split_lines(out)
    for what, at in edits:  # drop, cross out, move or copy a line of the output
        if not lines:
            break
        i = at % len(lines)
        if what == "d":
            del lines[i]
        elif what == "x":
            lines[i] = "- [[" + lines[i].strip() + "]] ~~x~~\n"
        elif what == "m":
            lines.insert(at % (len(lines) + 1), lines.pop(i))
        else:
            lines.insert(i, lines[i])
    before, after = parse(text, kind), parse("".join(lines), kind)  # type: ignore[arg-type]
    referenced = frozenset(reference_ids(before))
    assert find_losses(before, after, referenced) == reference_losses(before, after, referenced)


def reference_ids(page: Page) -> set[str]:
    from vaultsync.core.highlights import item_ids

    return {
        i
        for s in page.sections
        for item in s.items
        for n in item.walk()
        for i in item_ids(n, page.kind)
    }


# ---- a copy of a parsed page is what parsing it again gives -------------------------------------


def shape(page: Page) -> list[object]:
    def item(i: Item) -> object:
        return (tuple(i.lines), [item(c) for c in i.children])

    return [
        (tuple(s.head), [item(i) for i in s.items], tuple(s.tail), s.is_new)
        if isinstance(s, Section)
        else tuple(s)
        for s in page.segments
    ] + [page.kind, page.bom, page.final_newline, page.newline, sorted(page.meta.items())]


@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["logseq", "obsidian"]))
def test_a_copy_is_a_fresh_parse_and_the_rules_leave_the_original_alone(
    seed: int, kind: str
) -> None:
    rng = random.Random(seed)
    make = logseq_page_with_truth if kind == "logseq" else obsidian_page_with_truth
    text = make(rng, repeats=True, shuffle=True, extra_sections=2, user_blocks=True).text
    page = parse(text, kind)  # type: ignore[arg-type]
    copy = page.copy()
    assert shape(copy) == shape(parse(text, kind))  # type: ignore[arg-type]
    rules.dedupe(copy)
    rules.fold_sections(copy)
    rules.order(copy)
    rules.link_author(copy, lambda v: f"[[{v}]]")
    assert shape(page) == shape(parse(text, kind)) and page.serialize() == text  # type: ignore[arg-type]


def test_a_copy_of_an_outline_deeper_than_the_recursion_limit() -> None:
    depth = 5000
    text = "- a ([Location 1](https://readwise.io/to/1))\n" + "".join(
        "\t" * d + f"- note {d}\n" for d in range(1, depth)
    )
    page = parse(text, "logseq")
    assert page.copy().serialize() == text


def test_a_page_the_no_loss_check_refuses_gives_its_author_facts_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def careless_order(page: Page) -> int:  # a broken rule: drops the last item of each section
        for section in page.sections:
            section.items = section.items[:-1]
        return 1

    monkeypatch.setattr(rules, "order", careless_order)
    root = obsidian_vault(tmp_path / "vault")
    note = root / "one.md"
    note.write_text(
        tweet_note("Ann Writer", 1)
        + "- another ([View Tweet](https://twitter.com/kdlee/status/5))\n"
    )
    session = VaultSession(make_vault(root), PassOptions(cache=False))
    report = session.full_pass()
    assert [p for p, _ in report.failed] == [note]
    assert session.facts[note].highlights == 2  # the repeat counted once, the last one kept
