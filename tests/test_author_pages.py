"""Author pages (issue 8): one page per person, the other names as aliases, the config mapping,
splitting several authors, merging on rename, the backlinks index, pages the user owns.

Everything goes through run_pass / VaultSession on small vaults in tmp folders, and every
scenario ends with a second pass that must change nothing (bytes and mtimes).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.core.authors import OBSIDIAN_BEGIN, OBSIDIAN_END
from vaultsync.core.syntax import logseq_aliases as aliases_in
from vaultsync.history import History
from vaultsync.pipeline.passes import run_pass
from vaultsync.pipeline.report import PassOptions, PassReport
from vaultsync.pipeline.session import VaultSession
from vaultsync.vault import Vault, make_vault

try:  # pytest puts tests/ on sys.path (no tests/__init__.py)
    from hypo_profiles import scaled
except ModuleNotFoundError:  # pragma: no cover
    from tests.hypo_profiles import scaled

# ------------------------------------------------------------------------------ helpers

ALEX_ONE = "https://twitter.com/AlexTamkin/status/1540123808735973376"
ALEX_TWO = "https://x.com/alextamkin/status/1640123808735973376?rw_tt_thread=True"
ALEX_THREE = "https://x.com/AlexTamkin/status/1740123808735973376?rw_tt_thread=True"
THREE_NAMES = {
    "One": ("[[@AlexTamkin on Twitter]]", ALEX_ONE, "Feb 25th, 2023"),
    "Two": ("[[Alex Tamkin]]", ALEX_TWO, "Mar 3rd, 2024"),
    "Three": ("[[Alex L Tamkin]]", ALEX_THREE, "Jan 5th, 2025"),
}


def tweet_url(source: str, n: int) -> str:
    """The n-th tweet of a thread whose first tweet is `source` (same handle, later ids)."""
    base, _, status = source.split("?")[0].rpartition("/")
    return f"{base}/{int(status) + n}"


def logseq_page(
    title: str,
    author: str,
    url: str = "",
    *,
    category: str = "tweets",
    date: str = "Feb 25th, 2023",
    highlights: int = 1,
) -> str:
    """A Readwise page as the Logseq plugin writes it."""
    props = [f"title:: {title} (highlights)", f"author:: {author}", f"category:: #{category}"]
    if url:
        props.append(f"url:: {url}")
    lines = props + ["", f"- Highlights first synced by [[Readwise]] [[{date}]]"]
    for n in range(highlights):
        if category == "tweets":
            link = f"[View Tweet]({tweet_url(url, n)})"
        else:
            link = f"[Location {10 + n}](https://readwise.io/to_kindle?location={10 + n})"
        lines.append(f"\t- Highlight {n} of {title} ({link})")
    return "\n".join(lines) + "\n"


def obsidian_page(
    title: str,
    author: str,
    url: str = "",
    *,
    category: str = "tweets",
    date: str = "",
    highlights: int = 1,
) -> str:
    """A Readwise page in the default Obsidian template."""
    lines = [f"# {title}", "", "## Metadata", f"- Author: {author}", f"- Full Title: {title}"]
    lines += [f"- Category: #{category}"] + ([f"- URL: {url}"] if url else [])
    lines += ["", "## Highlights"]
    for n in range(highlights):
        if category == "tweets":
            link = f"[View Tweet]({tweet_url(url, n)})"
        else:
            link = f"[Location {10 + n}](https://readwise.io/to_kindle?location={10 + n})"
        lines.append(f"- Highlight {n} of {title} ({link})")
        if date:  # a customised template: each highlight's date as a sub-item
            lines.append(f"    - Date:: [[{date}]]")
    return "\n".join(lines) + "\n"


def make_graph(root: Path, pages: dict[str, str]) -> Vault:
    (root / "logseq").mkdir(parents=True)
    (root / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}\n")
    (root / "pages").mkdir()
    for name, text in pages.items():
        (root / "pages" / f"{name}.md").write_text(text, encoding="utf-8")
    return make_vault(root)


def make_obsidian(root: Path, pages: dict[str, str]) -> Vault:
    (root / ".obsidian").mkdir(parents=True)
    for name, text in pages.items():
        path = root / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return make_vault(root)


def files(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of a vault: bytes and mtime, to prove a pass changed nothing."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = (path.read_bytes(), path.stat().st_mtime_ns)
    return out


def md_files(root: Path, under: str = "") -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / under).rglob("*.md"))


def age(root: Path) -> None:
    """Push every file's mtime into the past, so an unwanted rewrite shows in the mtime."""
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))


def assert_second_pass_changes_nothing(vault: Vault, options: PassOptions | None = None) -> None:
    age(vault.root)
    before = files(vault.root)
    report = run_pass(vault, options or PassOptions())
    assert not report.any_change, (report.changed, report.authors_created, report.authors_updated)
    assert not report.failed and not report.diffs
    assert files(vault.root) == before


def logseq_resolve(vault: Vault, name: str) -> Path | None:
    """The page a Logseq link `[[name]]` opens: by file name, title:: or alias:: (our index)."""
    session = VaultSession(vault, PassOptions(mode="check", author_pages=False))
    session.full_pass()
    return session.index.names.get(name.casefold())


def logseq_author_value(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("author:: "))[9:]


def link_targets(value: str) -> list[str]:
    import re

    return [m.group(1) for m in re.finditer(r"\[\[([^\]|]+)(?:\|[^\]]*)?\]\]", value)]


def frontmatter_aliases(text: str) -> list[str]:
    import json

    lines = text.splitlines()
    assert lines[0] == "---", text
    end = lines.index("---", 1)
    start = lines.index("aliases:", 1)
    assert start < end
    out = []
    for line in lines[start + 1 : end]:
        if not line.startswith("  - "):
            break
        out.append(json.loads(line[4:]))
    return out


def checked(report: PassReport) -> PassReport:
    assert not report.failed, report.failed
    return report


# ------------------------------------------------------------------ done when: Logseq


@pytest.fixture
def alex_graph(tmp_path: Path) -> Vault:
    pages = {
        f"{title} (highlights)": logseq_page(title, author, url, date=date, highlights=n)
        for n, (title, (author, url, date)) in enumerate(THREE_NAMES.items(), start=1)
    }
    pages["My note"] = "- I like [[@AlexTamkin on Twitter]] and [[Alex Tamkin]]\n"
    return make_graph(tmp_path / "graph", pages)


def test_logseq_one_handle_three_names_one_author_page(alex_graph: Vault) -> None:
    root = alex_graph.root
    note_before = (root / "pages" / "My note.md").read_bytes()
    report = checked(run_pass(alex_graph))
    assert len(report.authors_created) == 1
    author_page = report.authors_created[0]
    assert author_page.parent == root / "pages"
    assert md_files(root, "pages") == sorted(
        ["pages/My note.md", f"pages/{author_page.name}"]
        + [f"pages/{t} (highlights).md" for t in THREE_NAMES]
    )
    text = author_page.read_text()
    names = {"@AlexTamkin on Twitter", "Alex Tamkin", "Alex L Tamkin"}
    canonical = author_page.stem
    assert canonical in names
    alias_line = next(line for line in text.splitlines() if line.startswith("alias:: "))
    assert set(aliases_in(alias_line[len("alias:: ") :])) == names - {canonical}
    # Every source page's author link opens the author page (by name or alias).
    for title in THREE_NAMES:
        source = (root / "pages" / f"{title} (highlights).md").read_text()
        (target,) = link_targets(logseq_author_value(source))
        assert logseq_resolve(alex_graph, target) == author_page
        assert f"[[{title} (highlights)]]" in text
    # Logseq resolves aliases itself: the source pages needed no rewrite, the note none either.
    assert report.changed == []
    assert (root / "pages" / "My note.md").read_bytes() == note_before
    assert_second_pass_changes_nothing(alex_graph)


def test_logseq_pages_found_one_by_one_end_on_one_page(alex_graph: Vault) -> None:
    # The daemon sees pages arrive one at a time: the result is the same single page.
    root = alex_graph.root
    incoming = {p.name: p.read_bytes() for p in (root / "pages").glob("*(highlights).md")}
    for name in incoming:
        (root / "pages" / name).unlink()
    session = VaultSession(alex_graph)
    checked(session.full_pass())
    for name, data in sorted(incoming.items()):
        (root / "pages" / name).write_bytes(data)
        checked(session.update([root / "pages" / name]))
    authors = [p for p in md_files(root, "pages") if "highlights" not in p and "My note" not in p]
    assert len(authors) == 1, authors
    text = (root / authors[0]).read_text()
    assert all(f"[[{t} (highlights)]]" in text for t in THREE_NAMES)
    assert_second_pass_changes_nothing(alex_graph)


# ---------------------------------------------------------------- done when: Obsidian


@pytest.fixture
def alex_vault(tmp_path: Path) -> Vault:
    authors = {
        "One": "[[@AlexTamkin on Twitter]]",
        "Two": "[[Alex Tamkin]]",
        "Three": "Alex L Tamkin",  # plain text: some templates don't link the author
    }
    pages = {
        f"Readwise/Tweets/{title}": obsidian_page(title, authors[title], url, highlights=2)
        for title, (_a, url, _d) in THREE_NAMES.items()
    }
    pages["Notes/Mine"] = "I like [[@AlexTamkin on Twitter]].\n"
    return make_obsidian(tmp_path / "vault", pages)


def test_obsidian_one_handle_three_names_one_author_note(alex_vault: Vault) -> None:
    root = alex_vault.root
    mine = (root / "Notes" / "Mine.md").read_bytes()
    report = checked(run_pass(alex_vault))
    assert md_files(root, "Readwise/Authors") == ["Readwise/Authors/@AlexTamkin on Twitter.md"]
    note = root / "Readwise" / "Authors" / "@AlexTamkin on Twitter.md"
    assert report.authors_created == [note]
    text = note.read_text()
    assert sorted(frontmatter_aliases(text)) == ["Alex L Tamkin", "Alex Tamkin"]
    assert "# @AlexTamkin on Twitter\n" in text
    for title in THREE_NAMES:
        assert f"- [[{title}]] · 2 highlights" in text
    expected = {
        "One": "- Author: [[@AlexTamkin on Twitter]]\n",
        "Two": "- Author: [[@AlexTamkin on Twitter|Alex Tamkin]]\n",
        "Three": "- Author: [[@AlexTamkin on Twitter|Alex L Tamkin]]\n",
    }
    for title, line in expected.items():
        assert line in (root / "Readwise" / "Tweets" / f"{title}.md").read_text()
    assert (root / "Notes" / "Mine.md").read_bytes() == mine
    assert_second_pass_changes_nothing(alex_vault)


# ---------------------------------------------------------------------- config mapping

PERELL = "https://twitter.com/david_perell/status/1540123808735973376"


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_the_config_mapping_wins(tmp_path: Path, kind: str) -> None:
    mapping = {"@david_perell on Twitter": "David Perell"}
    options = PassOptions(author_aliases=mapping)
    if kind == "logseq":
        vault = make_graph(
            tmp_path / "g",
            {
                "A (highlights)": logseq_page("A", "[[@david_perell on Twitter]]", PERELL),
                "B (highlights)": logseq_page("B", "[[@david_perell on Twitter]]", PERELL),
                "C (highlights)": logseq_page("C", "[[David P]]", PERELL),
            },
        )
        checked(run_pass(vault, options))
        page = vault.root / "pages" / "David Perell.md"
        assert md_files(vault.root, "pages") == [
            "pages/A (highlights).md",
            "pages/B (highlights).md",
            "pages/C (highlights).md",
            "pages/David Perell.md",
        ]
        text = page.read_text()
        assert text.startswith("alias:: [[@david_perell on Twitter]], [[David P]]\n")
        assert logseq_resolve(vault, "@david_perell on Twitter") == page
    else:
        vault = make_obsidian(
            tmp_path / "o",
            {
                "Readwise/Tweets/A": obsidian_page("A", "[[@david_perell on Twitter]]", PERELL),
                "Readwise/Tweets/B": obsidian_page("B", "@david_perell on Twitter", PERELL),
            },
        )
        checked(run_pass(vault, options))
        assert md_files(vault.root, "Readwise/Authors") == ["Readwise/Authors/David Perell.md"]
        text = (vault.root / "Readwise" / "Authors" / "David Perell.md").read_text()
        assert frontmatter_aliases(text) == ["@david_perell on Twitter"]
        for title in "AB":
            page = (vault.root / "Readwise" / "Tweets" / f"{title}.md").read_text()
            assert "- Author: [[David Perell|@david_perell on Twitter]]\n" in page
    assert "[[A" in text and "[[B" in text
    assert_second_pass_changes_nothing(vault, options)


# ----------------------------------------------------------------------------- splitting


def book(title: str, author: str, kind: str, date: str = "Feb 25th, 2023", n: int = 1) -> str:
    if kind == "logseq":
        return logseq_page(title, author, category="books", date=date, highlights=n)
    return obsidian_page(title, author, category="books", highlights=n)


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_split_is_off_by_default(tmp_path: Path, kind: str) -> None:
    value = "Kahneman, Daniel"
    if kind == "logseq":
        vault = make_graph(tmp_path / "g", {"Thinking (highlights)": book("Thinking", value, kind)})
        checked(run_pass(vault))
        assert (
            logseq_author_value((vault.root / "pages" / "Thinking (highlights).md").read_text())
            == "[[Kahneman, Daniel]]"
        )
        assert md_files(vault.root, "pages") == [
            "pages/Kahneman, Daniel.md",
            "pages/Thinking (highlights).md",
        ]
    else:
        vault = make_obsidian(
            tmp_path / "o", {"Readwise/Books/Thinking": book("Thinking", value, kind)}
        )
        checked(run_pass(vault))
        text = (vault.root / "Readwise" / "Books" / "Thinking.md").read_text()
        assert "- Author: [[Kahneman, Daniel]]\n" in text
        assert md_files(vault.root, "Readwise/Authors") == ["Readwise/Authors/Kahneman, Daniel.md"]
    assert_second_pass_changes_nothing(vault)


@pytest.mark.parametrize("linked", [False, True], ids=["plain", "one-link"])
@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_split_on_gives_one_link_and_one_page_per_author(
    tmp_path: Path, kind: str, linked: bool
) -> None:
    # Readwise writes `[[A, B, and C]]` in Logseq (one link) and often plain text in Obsidian.
    value = (
        "[[Ann Alpha, Bob Beta, and Cy Gamma]]" if linked else "Ann Alpha, Bob Beta, and Cy Gamma"
    )
    options = PassOptions(split_authors=True)
    names = ["Ann Alpha", "Bob Beta", "Cy Gamma"]
    if kind == "logseq":
        vault = make_graph(
            tmp_path / "g",
            {
                "Joint (highlights)": book("Joint", value, kind),
                "Solo (highlights)": book("Solo", "[[Bob Beta]]", kind),
            },
        )
        checked(run_pass(vault, options))
        source = (vault.root / "pages" / "Joint (highlights).md").read_text()
        assert logseq_author_value(source) == "[[Ann Alpha]], [[Bob Beta]], and [[Cy Gamma]]"
        for name in names:
            page = vault.root / "pages" / f"{name}.md"
            assert "[[Joint (highlights)]]" in page.read_text()
        assert "[[Solo (highlights)]]" in (vault.root / "pages" / "Bob Beta.md").read_text()
        assert not (vault.root / "pages" / "Ann Alpha, Bob Beta, and Cy Gamma.md").exists()
    else:
        vault = make_obsidian(
            tmp_path / "o",
            {
                "Readwise/Books/Joint": book("Joint", value, kind),
                "Readwise/Books/Solo": book("Solo", "Bob Beta", kind),
            },
        )
        checked(run_pass(vault, options))
        source = (vault.root / "Readwise" / "Books" / "Joint.md").read_text()
        assert "- Author: [[Ann Alpha]], [[Bob Beta]], and [[Cy Gamma]]\n" in source
        assert md_files(vault.root, "Readwise/Authors") == [
            f"Readwise/Authors/{n}.md" for n in names
        ]
        for name in names:
            assert "[[Joint]]" in (vault.root / "Readwise" / "Authors" / f"{name}.md").read_text()
    assert_second_pass_changes_nothing(vault, options)


# --------------------------------------------------------------------- merging on rename


def history_of(tmp_path: Path) -> History:
    return History(tmp_path / "state" / "history")


def test_logseq_rename_creates_the_new_page_and_merges_the_old_one(
    alex_graph: Vault, tmp_path: Path
) -> None:
    root = alex_graph.root
    checked(run_pass(alex_graph))
    old = root / "pages" / "@AlexTamkin on Twitter.md"
    assert old.exists()
    with old.open("a") as f:
        f.write("- My own thoughts on Alex\n\t- with a child\n")
    old_bytes = old.read_bytes()
    note = (root / "pages" / "My note.md").read_bytes()
    sources = {p: p.read_bytes() for p in (root / "pages").glob("*(highlights).md")}

    history = history_of(tmp_path)
    options = PassOptions(author_aliases={"@AlexTamkin on Twitter": "Alex Tamkin"}, history=history)
    report = checked(run_pass(alex_graph, options))
    new = root / "pages" / "Alex Tamkin.md"
    assert report.authors_merged == [old] and report.authors_created == [new]
    assert not old.exists()
    assert history.load(old.resolve(), 1) == old_bytes
    text = new.read_text()
    assert "- My own thoughts on Alex\n\t- with a child\n" in text
    assert set(aliases_in(text.splitlines()[0][len("alias:: ") :])) == {
        "@AlexTamkin on Twitter",
        "Alex L Tamkin",
    }
    # Logseq resolves the old name through alias::, so no page needed a rewrite.
    assert logseq_resolve(alex_graph, "@AlexTamkin on Twitter") == new
    assert {p: p.read_bytes() for p in sources} == sources
    assert (root / "pages" / "My note.md").read_bytes() == note
    assert_second_pass_changes_nothing(alex_graph, options)


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_rename_onto_an_existing_page_keeps_the_user_text_of_both(
    tmp_path: Path, kind: str
) -> None:
    # Before the mapping: the tweets (handle) and an article (plain name) are two authors.
    tweets, article = "@AlexTamkin on Twitter", "Alex Tamkin"
    if kind == "logseq":
        vault = make_graph(
            tmp_path / "g",
            {
                "T (highlights)": logseq_page("T", f"[[{tweets}]]", ALEX_ONE),
                "A (highlights)": logseq_page("A", f"[[{article}]]", category="articles"),
                "Mine": f"- see [[{tweets}]]\n",
            },
        )
        folder = vault.root / "pages"
        mine = folder / "Mine.md"
        user_old, user_new = "- Old page thoughts\n", "- New page thoughts\n"
    else:
        vault = make_obsidian(
            tmp_path / "o",
            {
                "Readwise/Tweets/T": obsidian_page("T", f"[[{tweets}]]", ALEX_ONE),
                "Readwise/Articles/A": obsidian_page("A", f"[[{article}]]", category="articles"),
                "Mine": f"see [[{tweets}]]\n",
            },
        )
        folder = vault.root / "Readwise" / "Authors"
        mine = vault.root / "Mine.md"
        user_old, user_new = "Old page thoughts.\n", "New page thoughts.\n"
    checked(run_pass(vault))
    old, new = folder / f"{tweets}.md", folder / f"{article}.md"
    assert old.exists() and new.exists()
    for page, line in ((old, user_old), (new, user_new)):
        with page.open("a") as f:
            f.write(line)
    old_bytes, mine_bytes = old.read_bytes(), mine.read_bytes()

    history = history_of(tmp_path)
    options = PassOptions(author_aliases={tweets: article}, history=history)
    report = checked(run_pass(vault, options))
    assert report.authors_merged == [old]
    assert not old.exists()
    assert history.load(old.resolve(), 1) == old_bytes
    text = new.read_text()
    assert user_old in text and user_new in text
    assert text.count(user_old) == text.count(user_new) == 1
    assert "[[T" in text and "[[A" in text
    # The ordinary note that links the old name is never written.
    assert mine.read_bytes() == mine_bytes
    if kind == "logseq":
        assert logseq_resolve(vault, tweets) == new
    else:
        assert frontmatter_aliases(text) == [tweets]
        t = (vault.root / "Readwise" / "Tweets" / "T.md").read_text()
        assert f"- Author: [[{article}|{tweets}]]\n" in t
    assert_second_pass_changes_nothing(vault, options)


def test_obsidian_rename_relinks_readwise_pages_only(alex_vault: Vault, tmp_path: Path) -> None:
    root = alex_vault.root
    checked(run_pass(alex_vault))
    old = root / "Readwise" / "Authors" / "@AlexTamkin on Twitter.md"
    with old.open("a") as f:
        f.write("\nMy notes on Alex.\n")
    mine = (root / "Notes" / "Mine.md").read_bytes()
    options = PassOptions(
        author_aliases={"@AlexTamkin on Twitter": "Alex Tamkin"}, history=history_of(tmp_path)
    )
    report = checked(run_pass(alex_vault, options))
    new = root / "Readwise" / "Authors" / "Alex Tamkin.md"
    assert report.authors_merged == [old] and report.authors_created == [new]
    assert md_files(root, "Readwise/Authors") == ["Readwise/Authors/Alex Tamkin.md"]
    text = new.read_text()
    assert f"{OBSIDIAN_END}\n\nMy notes on Alex.\n" in text  # a paragraph of its own
    assert sorted(frontmatter_aliases(text)) == ["@AlexTamkin on Twitter", "Alex L Tamkin"]
    expected = {
        "One": "- Author: [[Alex Tamkin|@AlexTamkin on Twitter]]\n",
        "Two": "- Author: [[Alex Tamkin]]\n",
        "Three": "- Author: [[Alex Tamkin|Alex L Tamkin]]\n",
    }
    for title, line in expected.items():
        assert line in (root / "Readwise" / "Tweets" / f"{title}.md").read_text()
    assert (root / "Notes" / "Mine.md").read_bytes() == mine
    assert_second_pass_changes_nothing(alex_vault, options)


def test_dry_run_of_a_rename_writes_nothing(alex_graph: Vault) -> None:
    checked(run_pass(alex_graph))
    before = files(alex_graph.root)
    options = PassOptions(
        mode="dry-run", want_diff=True, author_aliases={"@AlexTamkin on Twitter": "Alex Tamkin"}
    )
    report = checked(run_pass(alex_graph, options))
    assert report.authors_merged and report.authors_created and report.diffs
    assert files(alex_graph.root) == before


# --------------------------------------------------------------- pages the user owns


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_a_user_owned_author_page_is_never_written_nor_duplicated(
    tmp_path: Path, kind: str
) -> None:
    if kind == "logseq":
        own = "alias:: [[Alex]]\n\n- Alex Tamkin, met him at a conference\n"
        vault = make_graph(
            tmp_path / "g",
            {
                "Alex Tamkin": own,
                "T (highlights)": logseq_page("T", "[[@AlexTamkin on Twitter]]", ALEX_ONE),
                "U (highlights)": logseq_page("U", "[[Alex Tamkin]]", ALEX_TWO),
            },
        )
        page = vault.root / "pages" / "Alex Tamkin.md"
    else:
        own = "# Alex Tamkin\n\nMet him at a conference.\n"
        vault = make_obsidian(
            tmp_path / "o",
            {
                "People/Alex Tamkin": own,
                "Readwise/Tweets/T": obsidian_page("T", "[[@AlexTamkin on Twitter]]", ALEX_ONE),
                "Readwise/Tweets/U": obsidian_page("U", "Alex Tamkin", ALEX_TWO),
            },
        )
        page = vault.root / "People" / "Alex Tamkin.md"
    age(vault.root)
    stat = page.stat().st_mtime_ns
    report = checked(run_pass(vault))
    assert report.authors_created == [] and report.authors_updated == []
    assert page.read_text() == own and page.stat().st_mtime_ns == stat
    if kind == "logseq":
        assert md_files(vault.root, "pages") == [
            "pages/Alex Tamkin.md",
            "pages/T (highlights).md",
            "pages/U (highlights).md",
        ]
    else:
        assert not (vault.root / "Readwise" / "Authors").exists()
        t = (vault.root / "Readwise" / "Tweets" / "T.md").read_text()
        assert "- Author: [[Alex Tamkin|@AlexTamkin on Twitter]]\n" in t
    assert_second_pass_changes_nothing(vault)


# ------------------------------------------------------------------- the backlinks index


def index_vault(tmp_path: Path, kind: str) -> Vault:
    """Marta Quill: two books, an article, a podcast, on different dates."""
    specs = [
        ("Old Book", "books", "Feb 25th, 2021", 3),
        ("New Book", "books", "Mar 12th, 2024", 1),
        ("An Essay", "articles", "Jan 2nd, 2023", 2),
        ("A Talk", "podcasts", "Jun 30th, 2024", 5),
    ]
    if kind == "logseq":
        pages = {
            f"{t} (highlights)": logseq_page(t, "Marta Quill", category=c, date=d, highlights=n)
            for t, c, d, n in specs
        }
        return make_graph(tmp_path / "g", pages)
    pages = {
        f"Readwise/{c.title()}/{t}": obsidian_page(
            t, "Marta Quill", category=c, date=d, highlights=n
        )
        for t, c, d, n in specs
    }
    return make_obsidian(tmp_path / "o", pages)


LOGSEQ_INDEX = """\
- Readwise sources
  vaultsync:: author-index
	- Podcasts
		- [[A Talk (highlights)]] · 5 highlights
	- Books
		- [[New Book (highlights)]] · 1 highlight
		- [[Old Book (highlights)]] · 3 highlights
	- Articles
		- [[An Essay (highlights)]] · 2 highlights
"""

OBSIDIAN_INDEX = f"""\
{OBSIDIAN_BEGIN}
## Readwise sources
### Podcasts
- [[A Talk]] · 5 highlights
### Books
- [[New Book]] · 1 highlight
- [[Old Book]] · 3 highlights
### Articles
- [[An Essay]] · 2 highlights
{OBSIDIAN_END}"""


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_index_grouped_by_category_newest_first_with_counts(tmp_path: Path, kind: str) -> None:
    vault = index_vault(tmp_path, kind)
    checked(run_pass(vault))
    if kind == "logseq":
        assert (vault.root / "pages" / "Marta Quill.md").read_text() == LOGSEQ_INDEX
    else:
        text = (vault.root / "Readwise" / "Authors" / "Marta Quill.md").read_text()
        assert text == f"# Marta Quill\n\n{OBSIDIAN_INDEX}\n"
    assert_second_pass_changes_nothing(vault)


LOGSEQ_USER_BEFORE = "alias:: [[MQ]]\nfoo:: bar\n\n- I met her in 2019\n\t- child note\n"
LOGSEQ_USER_AFTER = "- Further reading\n\t- [[Some page]]\n"
OBSIDIAN_USER_BEFORE = "---\ntags: [people]\n---\n# Marta Quill\n\nMy intro.\n\n"
OBSIDIAN_USER_AFTER = "\n\n## My notes\n- she is great\n"


def author_page_of(vault: Vault) -> Path:
    if vault.kind == "logseq":
        return vault.root / "pages" / "Marta Quill.md"
    return vault.root / "Readwise" / "Authors" / "Marta Quill.md"


def user_parts(vault: Vault, text: str) -> tuple[str, str]:
    if vault.kind == "logseq":
        head, _, rest = text.partition("- Readwise sources\n")
        tail = rest[rest.index("\n- ") + 1 :] if "\n- " in rest else ""
        return head, tail
    head, _, rest = text.partition(OBSIDIAN_BEGIN)
    return head, rest.partition(OBSIDIAN_END)[2]


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_index_kept_in_step_as_sources_come_go_and_are_renamed(tmp_path: Path, kind: str) -> None:
    vault = index_vault(tmp_path, kind)
    session = VaultSession(vault)
    checked(session.full_pass())
    page = author_page_of(vault)
    # The user writes around the managed region.
    text = page.read_text()
    if kind == "logseq":
        text = LOGSEQ_USER_BEFORE + text + LOGSEQ_USER_AFTER
        user = (LOGSEQ_USER_BEFORE, LOGSEQ_USER_AFTER)
    else:
        user = (OBSIDIAN_USER_BEFORE, OBSIDIAN_USER_AFTER)
        text = OBSIDIAN_USER_BEFORE + OBSIDIAN_INDEX + OBSIDIAN_USER_AFTER
    page.write_text(text)
    checked(session.update([page]))
    assert page.read_text() == text

    def source(title: str, category: str) -> Path:
        if kind == "logseq":
            return vault.root / "pages" / f"{title} (highlights).md"
        return vault.root / "Readwise" / category.title() / f"{title}.md"

    def entry(title: str) -> str:
        return f"[[{title} (highlights)]]" if kind == "logseq" else f"[[{title}]]"

    # Added.
    added = source("Newest Article", "articles")
    if kind == "logseq":
        added.write_text(
            logseq_page(
                "Newest Article",
                "[[Marta Quill]]",
                category="articles",
                date="Dec 1st, 2024",
                highlights=4,
            )
        )
    else:
        added.write_text(
            obsidian_page(
                "Newest Article",
                "[[Marta Quill]]",
                category="articles",
                date="December 1st, 2024, Sunday",
                highlights=4,
            )
        )
    checked(session.update([added]))
    text = page.read_text()
    assert user_parts(vault, text) == user
    assert entry("Newest Article") + " · 4 highlights" in text
    # Articles now hold the newest source: that group comes first.
    groups = [
        ln.strip(" \t-#")
        for ln in text.splitlines()
        if ln.strip(" \t-#") in ("Articles", "Books", "Podcasts")
    ]
    assert groups == ["Articles", "Podcasts", "Books"]

    # Renamed (the title changes with the file name).
    old = source("Old Book", "books")
    renamed = source("Renamed Book", "books")
    data = old.read_text().replace("Old Book", "Renamed Book")
    old.unlink()
    renamed.write_text(data)
    checked(session.update([renamed], [old]))
    text = page.read_text()
    assert entry("Old Book") not in text and entry("Renamed Book") + " · 3 highlights" in text
    assert user_parts(vault, text) == user

    # Deleted.
    gone = source("A Talk", "podcasts")
    gone.unlink()
    checked(session.update([], [gone]))
    text = page.read_text()
    assert entry("A Talk") not in text and "Podcasts" not in text
    assert user_parts(vault, text) == user

    # The incremental passes left what a full pass would write.
    assert_second_pass_changes_nothing(vault)


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_index_emptied_when_the_last_source_goes(tmp_path: Path, kind: str) -> None:
    vault = index_vault(tmp_path, kind)
    session = VaultSession(vault)
    checked(session.full_pass())
    page = author_page_of(vault)
    sources = [p for p in vault.root.rglob("*.md") if p != page]
    for path in sources:
        path.unlink()
    checked(session.update([], sources))
    text = page.read_text()
    assert "[[" not in text  # nothing listed: no source is left
    assert page.exists()  # the page (and anything the user wrote on it) stays
    assert_second_pass_changes_nothing(vault)


def test_a_non_readwise_page_linking_the_author_is_not_listed(tmp_path: Path) -> None:
    vault = index_vault(tmp_path, "logseq")
    (vault.root / "pages" / "Journal.md").write_text("- read [[Marta Quill]] today\n")
    checked(run_pass(vault))
    assert "Journal" not in author_page_of(vault).read_text()
    assert (vault.root / "pages" / "Journal.md").read_text() == "- read [[Marta Quill]] today\n"


# ------------------------------------------------------- merging never loses the user's text

MAPPING = {"@AlexTamkin on Twitter": "Alex Tamkin"}


def two_authors_graph(tmp_path: Path) -> tuple[Vault, Path, Path]:
    """Tweets by the handle and an article by the real name: two managed pages, each with
    the user's text, about to be merged by the mapping."""
    vault = make_graph(
        tmp_path / "g",
        {
            "T (highlights)": logseq_page("T", "[[@AlexTamkin on Twitter]]", ALEX_ONE),
            "A (highlights)": logseq_page("A", "[[Alex Tamkin]]", category="articles"),
        },
    )
    checked(run_pass(vault))
    old = vault.root / "pages" / "@AlexTamkin on Twitter.md"
    new = vault.root / "pages" / "Alex Tamkin.md"
    with old.open("a") as f:
        f.write("- Old page thoughts\n")
    with new.open("a") as f:
        f.write("- New page thoughts\n")
    return vault, old, new


def test_a_merge_retried_after_a_failed_removal_adds_the_text_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vaultsync.pipeline.authors as authors_module
    from vaultsync.errors import WriteFailed, WriteProblem

    vault, old, new = two_authors_graph(tmp_path)

    def refuse(guard: object, snapshot: object, **kwargs: object) -> None:
        raise WriteFailed(old, WriteProblem.NOT_WRITTEN, old.parent, PermissionError(13, "denied"))

    with monkeypatch.context() as m:
        m.setattr(authors_module, "remove_page", refuse)
        report = run_pass(vault, PassOptions(author_aliases=MAPPING))
    assert [p for p, _ in report.failed] == [old] and old.exists()
    assert new.read_text().count("- Old page thoughts\n") == 1
    report = checked(run_pass(vault, PassOptions(author_aliases=MAPPING)))
    assert report.authors_merged == [old] and not old.exists()
    text = new.read_text()
    assert text.count("- Old page thoughts\n") == text.count("- New page thoughts\n") == 1
    assert_second_pass_changes_nothing(vault, PassOptions(author_aliases=MAPPING))


def test_a_page_changed_while_being_merged_is_not_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from vaultsync.core import formats

    vault, old, new = two_authors_graph(tmp_path)
    real = formats.LOGSEQ.user_text

    def user_types_meanwhile(text: str, name: str) -> str:
        mine = real(text, name)
        if "Old page thoughts" in text and "typed meanwhile" not in text:
            with old.open("a") as f:
                f.write("- typed meanwhile\n")
        return mine

    with monkeypatch.context() as m:
        typing = replace(formats.LOGSEQ, user_text=user_types_meanwhile)
        m.setitem(formats.FORMATS, "logseq", typing)
        report = checked(run_pass(vault, PassOptions(author_aliases=MAPPING)))
    assert old.exists() and "- typed meanwhile\n" in old.read_text()
    assert report.authors_merged == [] and old in [p for p, _ in report.skipped]
    report = checked(run_pass(vault, PassOptions(author_aliases=MAPPING)))
    assert report.authors_merged == [old] and not old.exists()
    text = new.read_text()
    # Nothing lost; the lines merged before the user typed may now be there twice.
    assert "- typed meanwhile\n" in text and "- Old page thoughts\n" in text
    assert "- New page thoughts\n" in text
    assert_second_pass_changes_nothing(vault, PassOptions(author_aliases=MAPPING))


def test_the_old_page_stays_when_the_canonical_page_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vaultsync.pipeline.authors as authors_module
    from vaultsync.errors import WriteFailed, WriteProblem

    vault, old, new = two_authors_graph(tmp_path)
    before = old.read_bytes()
    real = authors_module.write_atomic

    def refuse_new(guard: object, snap: object, path: Path, data: bytes, **kw: object) -> bool:
        if path == new:
            raise WriteFailed(new, WriteProblem.NOT_WRITTEN, new.parent, OSError(28, "full"))
        return real(guard, snap, path, data, **kw)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(authors_module, "write_atomic", refuse_new)
        report = run_pass(vault, PassOptions(author_aliases=MAPPING))
    assert [p for p, _ in report.failed] == [new]
    assert report.authors_merged == [] and old.read_bytes() == before


def test_an_unreadable_old_page_is_not_merged_away(tmp_path: Path) -> None:
    vault, old, new = two_authors_graph(tmp_path)
    with old.open("ab") as f:
        f.write(b"- caf\xe9 (Latin-1)\n")
    before = old.read_bytes()
    report = checked(run_pass(vault, PassOptions(author_aliases=MAPPING)))
    assert old.read_bytes() == before
    assert report.authors_merged == []
    assert any(p == old and "not merged" in why for p, why in report.skipped)
    assert "- New page thoughts\n" in new.read_text()


def test_obsidian_merge_keeps_the_old_notes_frontmatter_and_aliases(tmp_path: Path) -> None:
    tweets, article = "@AlexTamkin on Twitter", "Alex Tamkin"
    vault = make_obsidian(
        tmp_path / "o",
        {
            "Readwise/Tweets/T": obsidian_page("T", f"[[{tweets}]]", ALEX_ONE),
            "Readwise/Articles/A": obsidian_page("A", f"[[{article}]]", category="articles"),
        },
    )
    checked(run_pass(vault))
    folder = vault.root / "Readwise" / "Authors"
    old, new = folder / f"{tweets}.md", folder / f"{article}.md"
    # The user gave both notes frontmatter, and the old one an alias of their own.
    old.write_text(
        "---\ntags: [person, ml]\ncssclasses:\n  - wide\naliases:\n  - AT\n---\n"
        + old.read_text()
        + "Old note text.\n"
    )
    new.write_text("---\ntags: [person]\n---\n" + new.read_text() + "New note text.\n")

    options = PassOptions(author_aliases={tweets: article})
    report = checked(run_pass(vault, options))
    assert report.authors_merged == [old] and not old.exists()
    text = new.read_text()
    head = text.split("\n---\n", 1)[0]
    assert "tags: [person]\n" in head and "cssclasses:\n  - wide" in head
    assert sorted(frontmatter_aliases(text)) == sorted([tweets, "AT"])
    # Both notes had `tags:`: the new note's stays, the old value is kept in the text.
    assert "```yaml\ntags: [person, ml]\n```" in text
    assert "Old note text." in text and "New note text." in text
    assert_second_pass_changes_nothing(vault, options)


def test_logseq_merge_keeps_the_aliases_the_user_added(tmp_path: Path) -> None:
    vault, old, new = two_authors_graph(tmp_path)
    old.write_text(
        old.read_text().replace("alias:: ", "alias:: [[AT]], ", 1)
        if "alias:: " in old.read_text()
        else "alias:: [[AT]]\n\n" + old.read_text()
    )
    report = checked(run_pass(vault, PassOptions(author_aliases=MAPPING)))
    assert report.authors_merged == [old]
    assert logseq_resolve(vault, "AT") == new
    assert logseq_resolve(vault, "@AlexTamkin on Twitter") == new
    assert_second_pass_changes_nothing(vault, PassOptions(author_aliases=MAPPING))


def test_a_source_whose_author_changes_moves_to_the_other_page(tmp_path: Path) -> None:
    vault = index_vault(tmp_path, "logseq")
    session = VaultSession(vault)
    checked(session.full_pass())
    essay = vault.root / "pages" / "An Essay (highlights).md"
    essay.write_text(essay.read_text().replace("author:: [[Marta Quill]]", "author:: Ivo Stone"))
    checked(session.update([essay]))
    marta = (vault.root / "pages" / "Marta Quill.md").read_text()
    ivo = (vault.root / "pages" / "Ivo Stone.md").read_text()
    assert "An Essay" not in marta and "Articles" not in marta
    assert "[[An Essay (highlights)]] · 2 highlights" in ivo
    assert "author:: [[Ivo Stone]]\n" in essay.read_text()
    assert_second_pass_changes_nothing(vault)


def test_a_title_change_in_place_renames_the_entry(tmp_path: Path) -> None:
    # Logseq links a page by its title:: (the file name may stay as it was).
    vault = index_vault(tmp_path, "logseq")
    session = VaultSession(vault)
    checked(session.full_pass())
    book = vault.root / "pages" / "New Book (highlights).md"
    book.write_text(book.read_text().replace("title:: New Book", "title:: Retitled Book"))
    checked(session.update([book]))
    text = (vault.root / "pages" / "Marta Quill.md").read_text()
    assert "[[Retitled Book (highlights)]] · 1 highlight" in text
    assert "New Book" not in text
    assert_second_pass_changes_nothing(vault)


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_names_that_are_not_file_names(tmp_path: Path, kind: str) -> None:
    # `/` and `:` cannot stand in a file name: Logseq encodes them (and keeps the name in
    # title:: when it must), Obsidian links a safe note name showing the real one.
    names = ["AC/DC", "Who? Me: Yes", "con"]
    if kind == "logseq":
        vault = make_graph(
            tmp_path / "g",
            {f"B{i} (highlights)": book(f"B{i}", n, kind) for i, n in enumerate(names)},
        )
        checked(run_pass(vault))
        for i, name in enumerate(names):
            page = logseq_resolve(vault, name)
            assert page is not None and page.parent == vault.root / "pages", name
            assert f"[[B{i} (highlights)]]" in page.read_text()
        assert (vault.root / "pages" / "AC___DC.md").exists()
        assert (vault.root / "pages" / "con___.md").exists()  # a Windows-reserved name
    else:
        vault = make_obsidian(
            tmp_path / "o",
            {f"Readwise/Books/B{i}": book(f"B{i}", n, kind) for i, n in enumerate(names)},
        )
        checked(run_pass(vault))
        assert md_files(vault.root, "Readwise/Authors") == [
            "Readwise/Authors/AC DC.md",
            "Readwise/Authors/Who Me Yes.md",
            "Readwise/Authors/con_.md",
        ]
        b1 = (vault.root / "Readwise" / "Books" / "B1.md").read_text()
        assert "- Author: [[Who Me Yes|Who? Me: Yes]]\n" in b1
    assert_second_pass_changes_nothing(vault)


# ------------------------------------------------------------------ property: any mix of names

_HANDLES = {"alextamkin": "AlexTamkin", "david_perell": "david_perell", None: None}
_NAME_CHOICES = [
    "@AlexTamkin on Twitter",
    "Alex Tamkin",
    "alex tamkin",
    "Alex L Tamkin",
    "David Perell",
    "@david_perell on Twitter",
    "Marta Quill",
]


@st.composite
def readwise_pages(draw: st.DrawFn) -> list[tuple[str, str | None, bool]]:
    """(author name, handle or None, linked?) per page."""
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(_NAME_CHOICES), st.sampled_from(list(_HANDLES)), st.booleans()
            ),
            min_size=1,
            max_size=6,
        )
    )


@scaled(25)
@given(pages=readwise_pages(), kind=st.sampled_from(["logseq", "obsidian"]), mapped=st.booleans())
def test_every_source_reaches_exactly_one_author_page_that_lists_it(
    pages: list[tuple[str, str | None, bool]], kind: str, mapped: bool
) -> None:
    options = PassOptions(
        author_aliases={"@david_perell on Twitter": "David Perell"} if mapped else {}
    )
    with tempfile.TemporaryDirectory() as tmp:
        specs = {}
        for i, (name, handle, linked) in enumerate(pages):
            author = f"[[{name}]]" if linked else name
            url = (
                f"https://x.com/{_HANDLES[handle]}/status/{1540123808735973376 + i}"
                if handle
                else ""
            )
            category = "tweets" if handle else "articles"
            if kind == "logseq":
                specs[f"S{i} (highlights)"] = logseq_page(f"S{i}", author, url, category=category)
            else:
                specs[f"Readwise/S{i}"] = obsidian_page(f"S{i}", author, url, category=category)
        make = make_graph if kind == "logseq" else make_obsidian
        vault = make(Path(tmp) / "v", specs)
        session = VaultSession(vault, options)
        checked(session.full_pass())
        managed = {p for p in vault.root.rglob("*.md") if p.name[0] != "S"}
        assert len(managed) == len(session.plan.authors)
        for i in range(len(pages)):
            if kind == "logseq":
                source = (vault.root / "pages" / f"S{i} (highlights).md").read_text()
                (target,) = link_targets(logseq_author_value(source))
                page = logseq_resolve(vault, target)
                entry = f"[[S{i} (highlights)]]"
            else:
                source = (vault.root / "Readwise" / f"S{i}.md").read_text()
                line = next(ln for ln in source.splitlines() if ln.startswith("- Author: "))
                (target,) = link_targets(line)
                page = vault.root / "Readwise" / "Authors" / f"{target}.md"
                entry = f"[[S{i}]]"
            assert page in managed, (target, source)
            assert entry in page.read_text()
            listing = [p for p in managed if entry in p.read_text()]
            assert listing == [page]
        age(vault.root)
        before = files(vault.root)
        assert not checked(run_pass(vault, options)).any_change
        assert files(vault.root) == before


def test_a_name_with_odd_white_space_keeps_its_page_up_to_date(tmp_path: Path) -> None:
    # Readwise sometimes writes two spaces in a name; the page made for it must be found again.
    vault = make_graph(
        tmp_path / "g",
        {"A (highlights)": logseq_page("A", "[[Marta  Quill]]", category="books")},
    )
    checked(run_pass(vault))
    (page,) = [p for p in (vault.root / "pages").iterdir() if "Quill" in p.name]
    (vault.root / "pages" / "B (highlights).md").write_text(
        logseq_page("B", "[[Marta  Quill]]", category="books")
    )
    report = checked(run_pass(vault))
    assert report.authors_updated == [page] and report.authors_created == []
    assert "[[A (highlights)]]" in page.read_text() and "[[B (highlights)]]" in page.read_text()
    assert_second_pass_changes_nothing(vault)


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_crlf_and_bom_on_an_author_page_are_kept(tmp_path: Path, kind: str) -> None:
    vault = index_vault(tmp_path, kind)
    session = VaultSession(vault)
    checked(session.full_pass())
    page = author_page_of(vault)
    bom = b"\xef\xbb\xbf" if kind == "logseq" else b""
    page.write_bytes(bom + page.read_bytes().replace(b"\n", b"\r\n") + b"- mine\r\n")
    checked(session.update([page]))
    gone = next(p for p in vault.root.rglob("Old Book*.md"))
    gone.unlink()
    checked(session.update([], [gone]))
    data = page.read_bytes()
    assert data.startswith(bom) and data.endswith(b"- mine\r\n")
    assert b"Old Book" not in data and b"New Book" in data
    assert b"\n" not in data.replace(b"\r\n", b"")  # every line still ends in CRLF
    assert_second_pass_changes_nothing(vault)
