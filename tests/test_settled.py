"""A settled vault (the last full pass changed nothing, the vault is as the state cache says):
the next pass skips the author re-plan and the author pages, and still gives what a pass without
any cache gives after every kind of change."""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import vaultsync.pipeline.authors as authors_module
import vaultsync.pipeline.index as index
import vaultsync.pipeline.passes as passes
import vaultsync.pipeline.session as session_module
import vaultsync.pipeline.store as store
import vaultsync.state.rows as state_module
from test_state import Clock, Counter, build, cache_file, files, put, run, summary
from vaultsync.core import authors as author_pages
from vaultsync.core.identity import AuthorPlan, plan_authors
from vaultsync.pipeline.report import PassOptions
from vaultsync.pipeline.session import VaultSession
from vaultsync.state import StateCache
from vaultsync.vault import make_vault


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(store, "now_ns", c)
    return c


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts every page read, the author sync's included."""
    c = Counter(monkeypatch)
    read = authors_module.read_page

    def counting_read(path, *a, **k):
        c.reads.append(Path(path))
        return read(path, *a, **k)

    monkeypatch.setattr(authors_module, "read_page", counting_read)
    return c


def settled_mark(state_dir: Path, root: Path) -> str | None:
    cache = StateCache(cache_file(state_dir, root), make_vault(root).root)
    cache.load()
    return cache.settled


def managed_pages(root: Path) -> list[Path]:
    markers = (author_pages.LOGSEQ_MARKER, author_pages.OBSIDIAN_BEGIN)
    return sorted(
        p for p in root.rglob("*.md") if any(m in p.read_text(encoding="utf-8") for m in markers)
    )


def settle(root: Path, state_dir: Path, clock: Clock, **options: object) -> None:
    for _ in range(3):
        clock.later()
        run(root, state_dir, **options)
    assert settled_mark(state_dir, root) is not None


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_a_settled_vault_is_a_stat_walk_author_pages_included(
    tmp_path: Path, app: str, clock: Clock, counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, state_dir = tmp_path / "v", tmp_path / "state"
    build(root, app, seed=3)
    settle(root, state_dir, clock)
    assert managed_pages(root)
    plans: list[int] = []
    real_plan = session_module.plan_authors

    def counting_plan(*a, **k):
        plans.append(1)
        return real_plan(*a, **k)

    monkeypatch.setattr(session_module, "plan_authors", counting_plan)
    before = files(root)
    counter.reset()
    clock.later()
    report = run(root, state_dir)
    assert counter.reads == [] and counter.normalized == 0
    assert not report.any_change and report.readwise == 14
    assert files(root) == before
    assert plans == []  # (Obsidian's links: the canonical names kept with the settled mark)
    assert settled_mark(state_dir, root) is not None  # and still settled


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_a_settled_one_off_pass_decodes_no_row_and_reports_what_any_pass_reports(
    tmp_path: Path, app: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, state_dir = tmp_path / "cached", tmp_path / "plain", tmp_path / "state"
    build(a, app, seed=5)
    shutil.copytree(a, b)
    settle(a, state_dir, clock)
    for _ in range(3):
        run(b, None)
    decoded: list[tuple] = []
    real_decode = state_module.decode_row

    def counting_decode(row):
        decoded.append(row)
        return real_decode(row)

    monkeypatch.setattr(state_module, "decode_row", counting_decode)
    clock.later()
    session = VaultSession(make_vault(a), PassOptions(state_dir=state_dir))
    session.one_off = True
    got = session.full_pass()
    assert decoded == [] and got.readwise > 0
    assert summary(got) == summary(run(b, None))
    assert settled_mark(state_dir, a) is not None
    # The daemon's start-up pass decodes what its updates need, and reports the same.
    clock.later()
    daemon = VaultSession(make_vault(a), PassOptions(state_dir=state_dir))
    assert summary(daemon.full_pass()) == summary(got) and decoded
    # The plan the one-off pass skipped is the one it would have made, if ever asked.
    assert type(session.plan) is not AuthorPlan
    assert session.plan.authors == daemon.plan.authors
    assert session.plan.canonical == daemon.plan.canonical


@pytest.mark.parametrize("kind", ["candidate", "managed"])
def test_a_row_that_cannot_be_decoded_reads_its_page(
    tmp_path: Path, kind: str, clock: Clock
) -> None:
    """Phase 1 leaves the rows of candidates and managed pages undecoded; one that turns out
    unreadable after it has its page read, as phase 1 reads a page without a row."""
    a, b, state_dir = tmp_path / "cached", tmp_path / "plain", tmp_path / "state"
    build(a, "obsidian", seed=6)
    shutil.copytree(a, b)
    settle(a, state_dir, clock)
    for _ in range(3):
        run(b, None)
    conn = sqlite3.connect(cache_file(state_dir, make_vault(a).root))
    with conn:
        (rel,) = conn.execute(
            "SELECT rel FROM pages WHERE kind = ? AND extra IS NOT NULL ORDER BY rel LIMIT 1",
            (kind,),
        ).fetchone()
        conn.execute("UPDATE pages SET extra = '{not json' WHERE rel = ?", (rel,))
        conn.execute("DELETE FROM meta WHERE key = 'settled'")  # (a settled pass trusts rows)
    conn.close()
    for _ in range(3):
        clock.later()
        assert summary(run(a, state_dir)) == summary(run(b, None))
    assert files(a) == files(b)
    assert settled_mark(state_dir, a) is not None
    cache = StateCache(cache_file(state_dir, a), make_vault(a).root)
    cache.load()
    assert cache.get(rel) is not None  # its row recorded afresh


def test_a_pass_with_changes_does_not_settle_the_vault(tmp_path: Path, clock: Clock) -> None:
    root, state_dir = tmp_path / "v", tmp_path / "state"
    build(root, "logseq", seed=2)
    clock.later()
    assert run(root, state_dir).any_change
    assert settled_mark(state_dir, root) is None


def test_an_update_unsettles_the_vault(tmp_path: Path, clock: Clock) -> None:
    root, state_dir = tmp_path / "v", tmp_path / "state"
    build(root, "logseq", seed=2)
    settle(root, state_dir, clock)
    session = VaultSession(make_vault(root), PassOptions(state_dir=state_dir))
    note = root / "journals" / "note 1.md"
    put(note, note.read_text(encoding="utf-8") + "- more\n")
    clock.later()
    session.update([note])
    assert settled_mark(state_dir, root) is None


# ---- every kind of change gives what a pass without a cache gives --------------------------------


def _readwise(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("Source *.md"))


def _edit_readwise(root: Path, app: str, rng: random.Random) -> None:
    page = rng.choice(_readwise(root))
    text = page.read_text(encoding="utf-8")
    highlight = next(ln for ln in text.splitlines(keepends=True) if "([" in ln and "](" in ln)
    put(page, text + ("" if text.endswith("\n") else "\n") + highlight)


def _add_readwise(root: Path, app: str, rng: random.Random) -> None:
    from pagegen import logseq_page_with_truth, obsidian_page_with_truth, random_author

    gen = logseq_page_with_truth if app == "logseq" else obsidian_page_with_truth
    page, _ = gen(rng, author=random_author(random.Random(99), "books"), kind="books")
    folder = "pages" if app == "logseq" else "Readwise/Books"
    put(root / folder / "Source added.md", page)


def _delete_readwise(root: Path, app: str, rng: random.Random) -> None:
    rng.choice(_readwise(root)).unlink()


def _edit_author_page(root: Path, app: str, rng: random.Random) -> None:
    page = rng.choice(managed_pages(root))
    put(page, page.read_text(encoding="utf-8") + "- my own note on this person\n")


def _break_author_region(root: Path, app: str, rng: random.Random) -> None:
    page = rng.choice(managed_pages(root))
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    # drop a source line of the managed region: the next pass puts it back
    victim = next(i for i, ln in enumerate(lines) if "[[" in ln and "highlight" in ln)
    put(page, "".join(lines[:victim] + lines[victim + 1 :]))


def _delete_author_page(root: Path, app: str, rng: random.Random) -> None:
    rng.choice(managed_pages(root)).unlink()


def _name_appears(root: Path, app: str, rng: random.Random) -> None:
    """An ordinary page renamed to an author's name: that name now has a page the user owns."""
    managed = rng.choice(managed_pages(root))
    name = managed.stem
    note = sorted(root.rglob("note *.md"))[0]
    managed.unlink()
    note.rename(note.with_name(f"{name}.md"))


def _name_disappears(root: Path, app: str, rng: random.Random) -> None:
    """A page that carried an author's name renamed away: the author gets a page again."""
    managed = rng.choice(managed_pages(root))
    managed.rename(managed.with_name("renamed away.md"))


def _touch(root: Path, app: str, rng: random.Random) -> None:
    for page in (rng.choice(_readwise(root)), rng.choice(managed_pages(root))):
        put(page, page.read_bytes())


CHANGES: dict[str, Callable[[Path, str, random.Random], None]] = {
    "readwise edited": _edit_readwise,
    "readwise added": _add_readwise,
    "readwise deleted": _delete_readwise,
    "author page edited": _edit_author_page,
    "author region edited": _break_author_region,
    "author page deleted": _delete_author_page,
    "a name appears": _name_appears,
    "a name disappears": _name_disappears,
    "pages touched": _touch,
}


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_to_a_settled_vault_gives_the_uncached_result(
    tmp_path: Path, app: str, change: str, clock: Clock
) -> None:
    a, b, state_dir = tmp_path / "cached", tmp_path / "plain", tmp_path / "state"
    build(a, app, seed=5)
    shutil.copytree(a, b)
    settle(a, state_dir, clock)
    for _ in range(3):
        run(b, None)
    assert files(a) == files(b)
    for root in (a, b):
        CHANGES[change](root, app, random.Random(1))
    for step in range(3):
        clock.later()
        got, want = run(a, state_dir), run(b, None)
        assert summary(got) == summary(want), step
        assert files(a) == files(b), step


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
@pytest.mark.parametrize(
    "options",
    [
        {"author_aliases": {"Someone": "Someone Else"}},
        "alias of an author",
        {"authors_folder": "People"},
        {"author_pages": False},
        {"split_authors": True},
    ],
    ids=["aliases", "author aliased", "authors folder", "no author pages", "split"],
)
def test_changed_settings_on_a_settled_vault_give_the_uncached_result(
    tmp_path: Path, app: str, options: dict[str, object] | str, clock: Clock
) -> None:
    a, b, state_dir = tmp_path / "cached", tmp_path / "plain", tmp_path / "state"
    build(a, app, seed=6)
    shutil.copytree(a, b)
    settle(a, state_dir, clock)
    for _ in range(3):
        run(b, None)
    if options == "alias of an author":
        managed = managed_pages(a)[0].stem
        options = {"author_aliases": {managed: "Another Name"}}
    assert isinstance(options, dict)
    for step in range(3):
        clock.later()
        got, want = run(a, state_dir, **options), run(b, None, **options)
        assert summary(got) == summary(want), step
        assert files(a) == files(b), step


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_the_plan_a_settled_pass_skipped_is_the_plan_it_would_have_made(
    tmp_path: Path, app: str, clock: Clock
) -> None:
    """The daemon keeps the session: its later updates use the plan, made when first asked,
    from what the pass knew (not from what an update has changed since)."""
    root, state_dir = tmp_path / "v", tmp_path / "state"
    build(root, app, seed=7)
    settle(root, state_dir, clock)
    session = VaultSession(make_vault(root), PassOptions(state_dir=state_dir))
    clock.later()
    session.full_pass()
    assert type(session.plan) is not AuthorPlan  # not made yet
    want = plan_authors(
        session.facts.values(), session.options.author_aliases, session.index.names_with_pages()
    )
    assert session.plan.canonical == want.canonical  # (the map kept with the settled mark)
    assert type(session.plan) is not AuthorPlan
    # An update forgets a page before it asks the plan anything.
    gone = _readwise(root)[0]
    gone.unlink()
    session._forget(gone)
    session.facts.clear()
    assert session.plan.authors == want.authors and session.plan.canonical == want.canonical


def test_an_author_page_blocked_by_a_file_the_walk_does_not_see_keeps_the_vault_unsettled(
    tmp_path: Path, clock: Clock
) -> None:
    """A folder named like the author page the pass would create: nothing is created and the
    report says nothing, so the vault is not settled; once it goes, the page is created."""
    a, b, state_dir = tmp_path / "cached", tmp_path / "plain", tmp_path / "state"
    build(a, "obsidian", seed=8)
    shutil.copytree(a, b)
    settle(a, state_dir, clock)
    for _ in range(3):
        run(b, None)
    victim = managed_pages(a)[0].relative_to(a)
    for root in (a, b):
        (root / victim).unlink()
        (root / victim).mkdir()
    for _ in range(3):
        clock.later()
        assert summary(run(a, state_dir)) == summary(run(b, None))
    assert settled_mark(state_dir, a) is None
    for root in (a, b):
        (root / victim).rmdir()
    clock.later()
    got = run(a, state_dir)
    assert summary(got) == summary(run(b, None))
    assert [p.relative_to(a) for p in got.authors_created] == [victim]
    assert files(a) == files(b)


_page_names = st.lists(
    st.lists(st.tuples(st.sampled_from(["a", "A", "b", "c", "d"]), st.booleans()), max_size=3),
    max_size=6,
)


@given(_page_names)
def test_names_entered_late_are_the_names_entered_at_once(pages) -> None:
    """Phase 1 leaves names pending; what the index answers does not depend on when they are
    entered, and the names a plan weighs can be told without entering them."""
    eager, lazy = index.VaultIndex(), index.VaultIndex()
    for i, names in enumerate(pages):
        index.note_page(eager, Path(f"/v/p{i}.md"), tuple(names), ())
        lazy.pending.append((f"/v/p{i}.md", tuple(names)))
    assert sorted(lazy.names_with_pages()) == sorted(eager.names_with_pages())
    assert dict(lazy.names) == dict(eager.names)
    assert lazy.alias_names == eager.alias_names and not lazy.pending


# ---- leftover temp files go in the pass's one walk -----------------------------------------------

_LEFTOVER = ".Source 1.md.vaultsync-0123456789abcdef.tmp"


@pytest.mark.parametrize("mode", ["write", "dry-run", "check"])
def test_a_writing_pass_removes_leftover_temp_files_in_its_walk(tmp_path: Path, mode: str) -> None:
    root = tmp_path / "v"
    build(root, "obsidian", seed=9)
    leftovers = [
        root / "Readwise" / "Books" / _LEFTOVER,
        root / "Notes" / "deep" / _LEFTOVER,
        root / "Readwise" / "Authors" / _LEFTOVER,  # excluded below: cleaned all the same
    ]
    others = [
        root / "Notes" / ".not.vaultsync-0123.tmp",  # not named like ours
        root / "Notes" / "a.tmp",
    ]
    for path in leftovers + others:
        put(path, "half a page")
    folder_link = root / "Notes" / "link"
    folder_link.symlink_to(root / "Readwise" / "Books")  # links are not followed
    vault = make_vault(root, exclude=("Readwise/Authors/",))
    passes.run_pass(vault, PassOptions(mode=mode, state_dir=tmp_path / "state"))  # type: ignore[arg-type]
    for path in leftovers:
        assert path.exists() == (mode != "write"), path
    for path in others:
        assert path.exists(), path


# ---- an author page found up to date is not read again while it and its sources stay -----------


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_a_pass_after_a_change_reads_only_the_author_pages_it_touches(
    tmp_path: Path, app: str, clock: Clock, counter: Counter
) -> None:
    root, state_dir = tmp_path / "v", tmp_path / "state"
    build(root, app, seed=4)
    settle(root, state_dir, clock)
    note = sorted(root.rglob("note *.md"))[0]
    put(note, note.read_text(encoding="utf-8") + "- a new thought\n")  # not settled any more
    counter.reset()
    clock.later()
    assert not run(root, state_dir).any_change
    assert counter.reads == [note]
    _edit_author_page(root, app, random.Random(2))  # the user's own words on an author page
    counter.reset()
    clock.later()
    assert not run(root, state_dir).any_change
    (page,) = set(counter.reads)  # read by the walk, and by the author sync (new bytes)
    assert page in managed_pages(root)


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_the_daemon_reads_an_author_page_the_user_changed_after_a_full_pass(
    tmp_path: Path, app: str, clock: Clock
) -> None:
    a, b, state_dir = tmp_path / "cached", tmp_path / "plain", tmp_path / "state"
    build(a, app, seed=5)
    shutil.copytree(a, b)
    settle(a, state_dir, clock)
    sessions = {}
    for root, state in ((a, state_dir), (b, None)):
        clock.later()
        sessions[root] = VaultSession(make_vault(root), PassOptions(state_dir=state))
        sessions[root].full_pass()
    assert files(a) == files(b)
    for root in (a, b):
        _break_author_region(root, app, random.Random(3))
    before = files(a)
    for root in (a, b):
        clock.later()
        # Every Readwise page seen again: every author's page is looked at, the broken one too.
        sessions[root].update(_readwise(root))
    assert files(a) == files(b) != before


def test_the_sync_key_covers_every_field_of_a_source() -> None:
    """byline.sync_key lists a source's fields by hand (speed): a new field must join it."""
    import dataclasses

    from vaultsync.core.byline import sync_key

    assert [f.name for f in dataclasses.fields(author_pages.Source)] == [
        "link",
        "category",
        "highlights",
        "newest",
    ]
    one = author_pages.Source("A", "books", 3, 20240101)
    keys = {
        sync_key("logseq", [one], []),
        sync_key("obsidian", [one], []),
        sync_key("logseq", [one], ["B"]),
        *(
            sync_key("logseq", [dataclasses.replace(one, **{f: v})], [])
            for f, v in [
                ("link", "B"),
                ("category", "tweets"),
                ("highlights", 4),
                ("newest", 20240102),
            ]
        ),
    }
    assert len(keys) == 7
