"""The candidate pipeline of a pass (daemon.sync): each Readwise page is normalized once and its
author facts read once, before the author plan is known; only a page whose author link the plan
changes is normalized again; a page that changed under the pass is normalized afresh."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pagegen import logseq_page_with_truth, obsidian_page_with_truth

import daemon.sync as sync
from daemon.authorsync import author_maker
from daemon.core.normalize import PageContext, Rules, normalize_page
from daemon.core.rules import author_value
from daemon.errors import ChangedSinceRead
from daemon.sync import PassOptions, VaultSession
from daemon.vault import make_vault


class Calls:
    """How many times the pass normalized a page and read a page's author facts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.normalized: list[str] = []
        self.facts = 0
        normalize, facts = sync.normalize_page, sync.page_facts

        def counting_normalize(text, *a, **k):
            self.normalized.append(text)
            return normalize(text, *a, **k)

        def counting_facts(*a, **k):
            self.facts += 1
            return facts(*a, **k)

        monkeypatch.setattr(sync, "normalize_page", counting_normalize)
        monkeypatch.setattr(sync, "page_facts", counting_facts)


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
    assert len(calls.normalized) == 12
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
    write = sync._write
    raced: list[Path] = []

    def racing_write(guard, snap, path, data, options):
        if not raced:  # the user saves the page just before our first write
            raced.append(path)
            path.write_text(edited)
            raise ChangedSinceRead(path)
        return write(guard, snap, path, data, options)

    monkeypatch.setattr(sync, "_write", racing_write)
    session = VaultSession(make_vault(root), PassOptions(state_dir=tmp_path / "state", cache=cache))
    report = session.full_pass()
    assert raced == [page] and report.failed == [] and report.changed == [page]
    assert "- Author: [[Bea Editor]]\n" in page.read_text()
    assert calls.normalized == [tweet_note("Ann Writer", 1), edited]
    assert session.facts[page].names == ("Bea Editor",)
    assert (root / "Readwise" / "Authors" / "Bea Editor.md").exists()
    assert VaultSession(make_vault(root), PassOptions(cache=False)).full_pass().changed == []
