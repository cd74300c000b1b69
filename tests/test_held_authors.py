"""Author pages held after `vaultsync undo`: a merge (the config maps one name onto another, or
renames the author) neither removes a held author page nor takes its text or its name; the page
is reported held like a held source page, in check, dry run and resync alike, and `release`
lets the merge happen. Everything through the command on temp vaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

try:  # pytest puts tests/ on sys.path
    from test_held import vaultsync
except ModuleNotFoundError:  # pragma: no cover
    from tests.test_held import vaultsync

HANDLE, NAME = "@AlexTamkin on Twitter", "Alex Tamkin"
TWEET = "https://twitter.com/AlexTamkin/status/{}"
MAPPING = f'authors:\n  aliases:\n    "{HANDLE}": {NAME}\n'


def logseq_tweets(title: str, status: int) -> str:
    return (
        f"title:: {title} (highlights)\nauthor:: [[{HANDLE}]]\ncategory:: #tweets\n"
        f"url:: {TWEET.format(status)}\n\n"
        "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
        f"\t- A tweet of {title} ([View Tweet]({TWEET.format(status)}))\n"
    )


def logseq_article(title: str) -> str:
    return (
        f"title:: {title} (highlights)\nauthor:: [[{NAME}]]\ncategory:: #articles\n\n"
        "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
        f"\t- A line of {title} ([Location 7](https://readwise.io/to_kindle?location=7))\n"
    )


def obsidian_tweets(title: str, status: int) -> str:
    return (
        f"# {title}\n\n## Metadata\n- Author: [[{HANDLE}]]\n- Full Title: {title}\n"
        f"- Category: #tweets\n- URL: {TWEET.format(status)}\n\n## Highlights\n"
        f"- A tweet of {title} ([View Tweet]({TWEET.format(status)}))\n"
    )


def obsidian_article(title: str) -> str:
    return (
        f"# {title}\n\n## Metadata\n- Author: [[{NAME}]]\n- Full Title: {title}\n"
        "- Category: #articles\n\n## Highlights\n"
        f"- A line of {title} ([Location 7](https://readwise.io/to_kindle?location=7))\n"
    )


class Setup:
    """A vault of one kind, its config (with or without the mapping) and state folder."""

    def __init__(self, tmp_path: Path, kind: str) -> None:
        self.kind = kind
        self.root = tmp_path / kind
        self.state = tmp_path / "state"
        self.config = tmp_path / "config.yaml"
        if kind == "logseq":
            (self.root / "logseq").mkdir(parents=True)
            (self.root / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}\n")
            self.sources = self.root / "pages"
            self.authors = self.root / "pages"
        else:
            (self.root / ".obsidian").mkdir(parents=True)
            self.sources = self.root / "Readwise"
            self.authors = self.root / "Readwise" / "Authors"
        self.sources.mkdir(parents=True, exist_ok=True)
        self.map_names(False)

    def map_names(self, on: bool) -> None:
        extra = MAPPING if on else ""
        text = f"vaults:\n  - path: '{self.root}'\nstate_dir: '{self.state}'\n{extra}"
        self.config.write_text(text, encoding="utf-8")

    def tweets(self, title: str, status: int) -> None:
        make = logseq_tweets if self.kind == "logseq" else obsidian_tweets
        (self.sources / f"{title} (highlights).md").write_text(make(title, status))

    def article(self, title: str) -> None:
        make = logseq_article if self.kind == "logseq" else obsidian_article
        (self.sources / f"{title} (highlights).md").write_text(make(title))

    def run(self, *args: str) -> str:
        done = vaultsync(*args, "--config", str(self.config), state=self.state)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr
        return done.stdout

    def held_old_page(self) -> tuple[Path, bytes]:
        """The handle's author page, updated once by vaultsync and then restored with `undo`:
        held. Its bytes as restored."""
        self.run("resync", "-q")
        old = self.authors / f"{HANDLE}.md"
        assert old.exists()
        self.tweets("Second Thread", 1540123808735973999)  # a new source: the page is updated
        out = self.run("resync")
        assert "updated author page" in out and HANDLE in out, out
        undone = vaultsync("undo", str(old), "--config", str(self.config), state=self.state)
        assert undone.returncode == 0, undone.stdout + undone.stderr
        return old, old.read_bytes()


def merged_count(out: str) -> int:
    found = re.search(r"(\d+) merged", out)
    return int(found.group(1)) if found else 0


def held_line(path: Path) -> str:
    return f"skipped {path}: held after `vaultsync undo`"


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_a_held_author_page_is_not_merged_away_by_a_mapping(tmp_path: Path, kind: str) -> None:
    """The bug: the mapping merged a held author page into the canonical one and removed it,
    though `undo` had promised to leave it as it is."""
    s = Setup(tmp_path, kind)
    s.tweets("First Thread", 1540123808735973376)
    s.article("An Essay")
    old, restored = s.held_old_page()
    new = s.authors / f"{NAME}.md"
    assert new.exists()

    s.map_names(True)
    for args in (["check"], ["resync", "--dry-run"], ["resync"]):
        out = s.run(*args)
        assert held_line(old) in out, out
        assert merged_count(out) == 0, out
        assert old.exists() and old.read_bytes() == restored
    # The canonical page neither took the held page's text nor its name (two pages may not
    # answer to one name): the held page still answers to it.
    text = new.read_text(encoding="utf-8")
    assert HANDLE not in text
    # Nothing more to do but what is held: a second pass agrees and writes nothing.
    again = s.run("resync")
    assert held_line(old) in again and "updated author page" not in again, again
    assert old.read_bytes() == restored

    released = vaultsync("release", str(old), "--config", str(s.config), state=s.state)
    assert released.returncode == 0, released.stderr
    out = s.run("resync")
    assert merged_count(out) == 1 and not old.exists(), out
    assert HANDLE in new.read_text(encoding="utf-8")  # now one of the canonical page's names
    assert s.run("check", "-q") == ""


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_a_held_author_page_stays_when_the_author_is_renamed(tmp_path: Path, kind: str) -> None:
    """The rename: no page of the new name yet. It is made (the sources need a page), but
    the held page of the old name is neither removed nor emptied, and keeps its name."""
    s = Setup(tmp_path, kind)
    s.tweets("First Thread", 1540123808735973376)
    old, restored = s.held_old_page()
    new = s.authors / f"{NAME}.md"
    assert not new.exists()

    s.map_names(True)
    out = s.run("resync")
    assert held_line(old) in out and merged_count(out) == 0, out
    assert old.read_bytes() == restored
    assert new.exists() and HANDLE not in new.read_text(encoding="utf-8")
    assert "First Thread" in new.read_text(encoding="utf-8")
    again = s.run("resync")
    assert held_line(old) in again and re.search(r"author pages\s+0 created, 0 updated", again)

    released = vaultsync("release", str(old), "--config", str(s.config), state=s.state)
    assert released.returncode == 0, released.stderr
    out = s.run("resync")
    assert merged_count(out) == 1 and not old.exists(), out
    assert s.run("check", "-q") == ""


def test_a_hold_met_by_a_merge_is_news_once(tmp_path: Path) -> None:
    """A hold met by a merge is news once, like a held source page's (the daemon warns only
    when a pass is the first to meet it): a check announces nothing, the first writing pass
    does, the next does not."""
    from vaultsync.config import load_config
    from vaultsync.pipeline.passes import run_pass
    from vaultsync.settings import options_from_config
    from vaultsync.vault import select_vaults
    from vaultsync.writer import VaultGuard

    s = Setup(tmp_path, "logseq")
    s.tweets("First Thread", 1540123808735973376)
    s.article("An Essay")
    old, _restored = s.held_old_page()
    s.map_names(True)
    loaded = load_config(s.config)
    (vault,) = select_vaults(loaded.config.vaults, [], None)

    def one(mode: str) -> dict[Path, bool]:
        options = options_from_config(loaded.config, mode)
        return run_pass(vault, options, VaultGuard([s.root])).held

    assert one("check") == {old: False}  # (a check announces nothing)
    assert one("write") == {old: True}
    assert one("write") == {old: False}


def test_a_held_page_answering_to_the_new_name_stays_that_names_page(tmp_path: Path) -> None:
    """The mapping flipped: the new canonical name is an alias of a held page made for the old
    one. No second page of that name is made beside it, and the held page is left whole.
    (Logseq: a link opens the page an alias:: names. Obsidian opens notes by file name, so
    there the new note is made as in the rename above.)"""
    s = Setup(tmp_path, "logseq")
    s.tweets("First Thread", 1540123808735973376)
    s.article("An Essay")
    flipped = f'authors:\n  aliases:\n    "{NAME}": "{HANDLE}"\n'
    base = s.config.read_text(encoding="utf-8")
    s.config.write_text(base + flipped, encoding="utf-8")
    old, restored = s.held_old_page()
    assert NAME in restored.decode()  # its alias
    new = s.authors / f"{NAME}.md"
    assert not new.exists()

    s.map_names(True)  # now the handle maps to the name
    out = s.run("resync")
    assert held_line(old) in out and merged_count(out) == 0, out
    assert old.read_bytes() == restored and not new.exists()
    assert re.search(r"author pages\s+0 created, 0 updated", out), out

    released = vaultsync("release", str(old), "--config", str(s.config), state=s.state)
    assert released.returncode == 0, released.stderr
    out = s.run("resync")
    assert merged_count(out) == 1 and not old.exists() and new.exists(), out
    assert s.run("check", "-q") == ""


@pytest.mark.parametrize("kind", ["logseq", "obsidian"])
def test_a_held_author_page_is_not_emptied_when_its_sources_go(tmp_path: Path, kind: str) -> None:
    """The other rewrite of an existing author page: its index emptied when no source names
    the author any more (held already before the merge fix; kept so by this test)."""
    s = Setup(tmp_path, kind)
    s.tweets("First Thread", 1540123808735973376)
    old, restored = s.held_old_page()
    for source in s.sources.glob("*(highlights).md"):
        source.unlink()
    for args in (["check"], ["resync"]):
        out = s.run(*args)
        assert held_line(old) in out, out
        assert re.search(r"author pages\s+0 created, 0 updated", out), out
    assert old.read_bytes() == restored
