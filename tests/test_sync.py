"""One pass over a vault (vaultsync.pipeline.passes.run_pass) on copies of the samples."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from vaultsync.pipeline.passes import run_pass
from vaultsync.pipeline.report import PassOptions, PassReport
from vaultsync.vault import make_vault

GOLDEN = Path(__file__).parent / "golden"
SAMPLES = Path(__file__).parent / "samples"
THREAD = "pages/Almost Two Years After G... (highlights).md"
BOOK = "pages/The Art of Maintenance (highlights).md"
TWEETS = "Readwise/Tweets/Small Teams Ship Faster....md"
ARTICLE = "Readwise/Articles/Why Logs Beat Dashboards.md"
OLD = 1_000_000_000 * 10**9  # an mtime far in the past: any write shows


def files(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under root: (bytes, mtime in ns, inode)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[path.relative_to(root).as_posix()] = (path.read_bytes(), st.st_mtime_ns, st.st_ino)
    return out


def age(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(OLD, OLD))


def run(root: Path, mode: str = "write", **options: object) -> PassReport:
    report = run_pass(make_vault(root), PassOptions(mode=mode, **options))  # type: ignore[arg-type]
    assert report.failed == []
    return report


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def logseq_readwise_page(author: str, title: str, status: int = 1) -> str:
    return (
        f"title:: {title} (highlights)\nauthor:: {author}\ncategory:: #tweets\n\n"
        "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
        f"\t- hello ([View Tweet](https://twitter.com/h/status/{status}))\n"
        f"\t- hello ([View Tweet](https://twitter.com/h/status/{status}))\n"
    )


def obsidian_readwise_note(author: str) -> str:
    return (
        f"# A Note\n\n## Metadata\n- Author: {author}\n- Category: #articles\n\n## Highlights\n"
        "- quoted ([View Highlight](https://read.readwise.io/read/01h1))\n"
    )


# ---- the pass cleans the pages ------------------------------------------------------------------


@pytest.mark.parametrize("rel", [THREAD, BOOK])
def test_logseq_pages_rewritten_as_the_golden_files(graph: Path, rel: str) -> None:
    report = run(graph)
    assert (graph / rel).read_bytes() == (GOLDEN / "logseq" / rel).read_bytes()
    assert graph / rel in report.changed
    assert report.readwise == 2


@pytest.mark.parametrize("rel", [TWEETS, ARTICLE])
def test_obsidian_notes_rewritten_as_the_golden_files(vault: Path, rel: str) -> None:
    report = run(vault)
    assert (vault / rel).read_bytes() == (GOLDEN / "obsidian" / rel).read_bytes()
    assert report.readwise == 2 and len(report.changed) == 2


def test_the_report_counts_what_was_done(graph: Path) -> None:
    report = run(graph)
    assert report.scanned == 3
    assert report.stats.duplicates_removed == 12
    assert report.stats.mojibake_repaired == 2
    assert report.stats.sections_folded == 1
    assert report.stats.highlights_moved == 2
    assert report.skipped == []


def test_logseq_author_pages_created(graph: Path) -> None:
    report = run(graph)
    page = graph / "pages" / "@AlexTamkin on Twitter.md"
    assert page in report.authors_created
    assert "[[Almost Two Years After G... (highlights)]]" in read(page)
    assert "[[The Art of Maintenance (highlights)]]" in read(graph / "pages" / "Ines Halloway.md")


def test_obsidian_author_notes_created(vault: Path) -> None:
    run(vault)
    note = vault / "Readwise" / "Authors" / "ops-notes.example.md"
    assert "[[Why Logs Beat Dashboards]]" in read(note)
    tweets = vault / "Readwise" / "Authors" / "@tinyteams on Twitter.md"
    assert "[[Small Teams Ship Faster...]]" in read(tweets)


@pytest.mark.parametrize("fixture", ["graph", "vault"])
def test_a_second_pass_changes_nothing(fixture: str, request: pytest.FixtureRequest) -> None:
    root: Path = request.getfixturevalue(fixture)
    run(root)
    age(root)
    before = files(root)
    report = run(root)
    assert not report.any_change and report.changed == []
    assert files(root) == before


@pytest.mark.parametrize(
    ("fixture", "ordinary"),
    [
        ("graph", ["pages/Reading list.md", "logseq/config.edn"]),
        ("vault", ["Inbox.md", ".obsidian/app.json"]),
    ],
)
def test_pages_that_are_not_readwise_keep_bytes_and_mtime(
    fixture: str, ordinary: list[str], request: pytest.FixtureRequest
) -> None:
    root: Path = request.getfixturevalue(fixture)
    age(root)
    before = files(root)
    run(root)
    after = files(root)
    for rel in ordinary:
        assert after[rel] == before[rel]


def test_a_readwise_sync_log_is_not_touched(vault: Path) -> None:
    log = vault / "Readwise" / "Readwise Syncs.md"
    log.write_bytes(
        b"- [[Readwise Syncs]]\n\n## Sync on March 9, 2023 at 8:02 PM\n"
        b"- 2 highlights from [[Small Teams Ship Faster...]] ([View Tweet](https://x.com/a/status/9))\n"
        b"- 1 highlight from [[Why Logs Beat Dashboards]]\n\n"
        b"## New highlights synced March 10, 2023\n- nothing new\n"
    )
    age(vault)
    before = files(vault)["Readwise/Readwise Syncs.md"]
    run(vault)
    assert files(vault)["Readwise/Readwise Syncs.md"] == before


# ---- pages the pass must not write --------------------------------------------------------------


def test_a_page_with_bytes_that_are_not_utf8_is_skipped_and_left_alone(graph: Path) -> None:
    page = graph / THREAD
    data = page.read_bytes().split(b"\n")
    data[7] = data[7][:10] + b"\xff\xfe" + data[7][10:]  # line 8, after "\t- Almost "
    page.write_bytes(b"\n".join(data))
    age(graph)
    before = files(graph)[THREAD]
    report = run(graph)
    assert files(graph)[THREAD] == before
    reasons = [reason for path, reason in report.skipped if path == page]
    assert len(reasons) == 1
    assert "line 8" in reasons[0] and "column 11" in reasons[0] and "UTF-8" in reasons[0]
    assert page not in report.changed


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("alex.md", "title:: @alextamkin ON twitter\n\n- my page about Alex\n"),
        ("Alex Tamkin.md", "alias:: [[AT]], [[@AlexTamkin on Twitter]]\n\n- mine\n"),
        ("Someone.md", "title:: Someone\nalias:: Tamkin, @ALEXTAMKIN on Twitter\n\n- mine\n"),
        ("@alextamkin on twitter.md", "- my notes, my file name\n"),
    ],
    ids=["title", "alias link", "alias plain", "file name"],
)
def test_an_existing_user_page_is_not_written_as_author_page(
    graph: Path, name: str, text: str
) -> None:
    user = graph / "pages" / name
    user.write_text(text, encoding="utf-8")
    age(graph)
    before = files(graph)[f"pages/{name}"]
    report = run(graph)
    assert files(graph)[f"pages/{name}"] == before
    assert not any(p.name.casefold() == "@alextamkin on twitter.md" for p in report.authors_created)
    same_name = [p for p in (graph / "pages").iterdir() if p.name.casefold() == name.casefold()]
    assert same_name == [user]  # no second page for the same person
    if name != "@alextamkin on twitter.md":  # (on a case-insensitive disk that one is the user's)
        assert not (graph / "pages" / "@AlexTamkin on Twitter.md").exists()


def test_an_existing_obsidian_note_anywhere_is_not_written_as_author_note(vault: Path) -> None:
    (vault / "People").mkdir()
    user = vault / "People" / "OPS-NOTES.EXAMPLE.md"
    user.write_text("# Ops notes\n\nMy own note.\n", encoding="utf-8")
    age(vault)
    before = files(vault)["People/OPS-NOTES.EXAMPLE.md"]
    run(vault)
    assert files(vault)["People/OPS-NOTES.EXAMPLE.md"] == before
    assert not (vault / "Readwise" / "Authors" / "ops-notes.example.md").exists()


def test_managed_author_page_follows_sources_appearing_and_disappearing(graph: Path) -> None:
    run(graph)
    author = graph / "pages" / "@AlexTamkin on Twitter.md"
    second = graph / "pages" / "Another Thread (highlights).md"
    second.write_text(
        logseq_readwise_page("[[@AlexTamkin on Twitter]]", "Another Thread", 7), encoding="utf-8"
    )
    report = run(graph)
    assert author in report.authors_updated
    text = read(author)
    assert "[[Another Thread (highlights)]]" in text
    assert "[[Almost Two Years After G... (highlights)]]" in text

    (graph / THREAD).unlink()
    report = run(graph)
    assert author in report.authors_updated
    text = read(author)
    assert "[[Another Thread (highlights)]]" in text
    assert "Almost Two Years" not in text
    assert run(graph).any_change is False


def test_managed_obsidian_author_note_follows_a_new_source(vault: Path) -> None:
    run(vault)
    note = vault / "Readwise" / "Authors" / "ops-notes.example.md"
    (vault / "Readwise" / "Articles" / "Second.md").write_text(
        obsidian_readwise_note("[[ops-notes.example]]"), encoding="utf-8"
    )
    run(vault)
    assert "[[Second]]" in read(note) and "[[Why Logs Beat Dashboards]]" in read(note)


@pytest.mark.parametrize("mode", ["dry-run", "check"])
@pytest.mark.parametrize("fixture", ["graph", "vault"])
def test_dry_run_and_check_write_nothing(
    fixture: str, mode: str, request: pytest.FixtureRequest
) -> None:
    root: Path = request.getfixturevalue(fixture)
    age(root)
    before = files(root)
    report = run(root, mode, want_diff=True)
    assert files(root) == before
    assert len(report.changed) == 2 and len(report.authors_created) == 2
    assert report.diffs and all(d.startswith(("--- a/", "--- /dev/null")) for d in report.diffs)


# ---- author names that cannot simply be file names ----------------------------------------------


def _outside(tmp: Path, root: Path) -> set[str]:
    return {p.as_posix() for p in tmp.rglob("*") if root not in p.parents and p != root}


@pytest.mark.parametrize(
    "author",
    ["[[..]]", "[[a\x00b]]", "[[" + "x" * 300 + "]]", "[[CON]]", "[[../../outside]]", "..", "/etc"],
    ids=["dots", "NUL", "300 characters", "CON", "parent path", "plain dots", "absolute"],
)
def test_unsafe_logseq_author_lands_inside_or_is_refused(
    graph: Path, tmp_path: Path, author: str
) -> None:
    (graph / "pages" / "Odd (highlights).md").write_text(
        logseq_readwise_page(author, "Odd"), encoding="utf-8"
    )
    outside = _outside(tmp_path, graph)
    report = run(graph)
    assert _outside(tmp_path, graph) == outside
    for path in report.authors_created:
        assert graph.resolve() in path.resolve().parents
        assert path.parent == graph / "pages"
        assert path.name.endswith(".md") and len(path.name.encode()) <= 255
    odd = [p for p in report.authors_created if p.name not in _SAMPLE_AUTHORS]
    refused = [r for p, r in report.skipped if "author page" in r]
    assert len(odd) + len(refused) == 1, (odd, refused)
    for reason in refused:
        assert "the author name" in reason


_SAMPLE_AUTHORS = {"@AlexTamkin on Twitter.md", "Ines Halloway.md"}


def test_reserved_windows_name_gets_a_safe_logseq_file(graph: Path) -> None:
    (graph / "pages" / "Odd (highlights).md").write_text(
        logseq_readwise_page("[[CON]]", "Odd"), encoding="utf-8"
    )
    report = run(graph)
    assert graph / "pages" / "CON___.md" in report.authors_created


@pytest.mark.parametrize("author", ["..", "a/b", "../../outside", "CON", "x" * 300, "What: Why?"])
def test_unsafe_obsidian_author_lands_inside_or_is_refused(
    vault: Path, tmp_path: Path, author: str
) -> None:
    (vault / "Readwise" / "Articles" / "Odd.md").write_text(
        obsidian_readwise_note(author), encoding="utf-8"
    )
    outside = _outside(tmp_path, vault)
    report = run(vault)
    assert _outside(tmp_path, vault) == outside
    folder = vault / "Readwise" / "Authors"
    for path in report.authors_created:
        assert path.parent == folder
        assert len(path.name.encode()) <= 255
    odd = [p for p in report.authors_created if p.name not in _SAMPLE_NOTES]
    refused = [r for p, r in report.skipped if "author" in r]
    assert len(odd) + len(refused) == 1, (odd, refused)


_SAMPLE_NOTES = {"@tinyteams on Twitter.md", "ops-notes.example.md"}


def test_obsidian_author_with_a_slash_is_linked_to_a_safe_note(vault: Path) -> None:
    page = vault / "Readwise" / "Articles" / "Odd.md"
    page.write_text(obsidian_readwise_note("a/b"), encoding="utf-8")
    run(vault)
    assert "- Author: [[a b|a/b]]\n" in read(page)
    assert "[[Odd]]" in read(vault / "Readwise" / "Authors" / "a b.md")
    assert not (vault / "Readwise" / "Authors" / "a").exists()


def test_a_symlinked_folder_leading_out_is_not_written_through(graph: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    page = elsewhere / "Linked (highlights).md"
    page.write_text(logseq_readwise_page("[[Someone]]", "Linked"), encoding="utf-8")
    (graph / "pages" / "linked").symlink_to(elsewhere, target_is_directory=True)
    before = page.read_bytes()
    run_pass(make_vault(graph))
    assert page.read_bytes() == before
    assert sorted(p.name for p in elsewhere.iterdir()) == ["Linked (highlights).md"]


def test_samples_fixture_is_a_copy(graph: Path) -> None:
    # (guards the rest: the pass never writes the checked-in samples)
    assert graph != SAMPLES / "logseq"
    shutil.rmtree(graph / "pages")
    assert (SAMPLES / "logseq" / THREAD).exists()


def test_a_page_the_no_loss_check_refuses_is_not_written(
    graph: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vaultsync.core import rules

    def careless_order(page) -> int:  # a broken rule: drops the last item of each section
        for section in page.sections:
            section.items = section.items[:-1]
        return 1

    monkeypatch.setattr(rules, "order", careless_order)
    age(graph)
    before = files(graph)
    report = run_pass(make_vault(graph))
    after = files(graph)
    for rel in (THREAD, BOOK):
        assert after[rel] == before[rel]
    failed = {path.name: reason for path, reason in report.failed}
    assert set(failed) == {Path(THREAD).name, Path(BOOK).name}
    assert all("not written" in reason for reason in failed.values())


def test_a_pages_directory_outside_the_graph_is_not_used(graph: Path, tmp_path: Path) -> None:
    (graph / "logseq" / "config.edn").write_text(
        '{:file/name-format :triple-lowbar\n :pages-directory "../elsewhere"}\n', encoding="utf-8"
    )
    vault = make_vault(graph)
    assert vault.pages_dir == "pages"
    report = run_pass(vault)
    assert graph / "pages" / "@AlexTamkin on Twitter.md" in report.authors_created
    assert not (tmp_path / "elsewhere").exists()


def test_a_pages_folder_linked_out_of_the_graph_is_not_written(graph: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside-pages"
    shutil.move(graph / "pages", outside)
    (graph / "pages").symlink_to(outside, target_is_directory=True)
    before = files(outside)
    run_pass(make_vault(graph))
    assert files(outside) == before
