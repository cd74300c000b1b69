"""One page per author, whatever the file (issue 13, item 6): a Logseq org page (by file name,
`#+title:` or `#+alias:`) and an Obsidian note anywhere in the vault are existing author pages;
names compare after Unicode NFC and case folding. Run through `python -m vaultsync resync`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from test_author_pages import logseq_page, obsidian_page
from vaultsync.core.identity import PageAuthor, fold, name_key, plan_authors

TIMEOUT = 120  # generous: only a hung process fails it
NFC = unicodedata.normalize("NFC", "Renée Roe")
NFD = unicodedata.normalize("NFD", "Renée Roe")


def resync(tmp: Path, vault: dict[str, object]) -> subprocess.CompletedProcess[str]:
    config = tmp / "config.yaml"
    config.write_text(json.dumps({"vaults": [vault]}), encoding="utf-8")  # (JSON is YAML)
    env = {**os.environ, "CI": "1", "NO_COLOR": "1", "VAULTSYNC_CONFIG": str(config)}
    result = subprocess.run(
        [sys.executable, "-m", "vaultsync", "resync"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result


def graph(root: Path, pages: dict[str, str]) -> Path:
    (root / "logseq").mkdir(parents=True)
    (root / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}\n")
    (root / "pages").mkdir()
    for name, text in pages.items():
        (root / "pages" / name).write_text(text, encoding="utf-8")
    return root


def page_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "pages").iterdir())


@pytest.mark.parametrize(
    ("org_name", "org_text", "author"),
    [
        ("Xavier.org", "* Xavier's own notes\n", "Xavier"),
        ("xavier.org", "* lower case file\n", "XAVIER"),
        ("Someone.org", "#+title: Someone\n#+alias: Yvonne, Yves\n\n* notes\n", "Yvonne"),
        ("zz.org", "#+TITLE: Zoë Zed\n\n* notes\n", "Zoë Zed"),
    ],
)
def test_a_logseq_org_page_is_the_authors_page(
    tmp_path: Path, org_name: str, org_text: str, author: str
) -> None:
    root = graph(
        tmp_path / "g",
        {
            "B (highlights).md": logseq_page("B", f"[[{author}]]", category="books"),
            org_name: org_text,
        },
    )
    resync(tmp_path, {"path": str(root)})
    assert page_files(root) == sorted(["B (highlights).md", org_name])
    assert (root / "pages" / org_name).read_text() == org_text  # never written
    resync(tmp_path, {"path": str(root)})  # and stable
    assert page_files(root) == sorted(["B (highlights).md", org_name])


def test_an_obsidian_note_outside_include_is_the_authors_note(tmp_path: Path) -> None:
    root = tmp_path / "v"
    (root / ".obsidian").mkdir(parents=True)
    (root / "Readwise/Books").mkdir(parents=True)
    (root / "People/Friends").mkdir(parents=True)
    (root / "Readwise/Books/B.md").write_text(obsidian_page("B", "Xavier", category="books"))
    (root / "People/Friends/Xavier.md").write_text("My notes on Xavier\n")
    vault = {"path": str(root), "kind": "obsidian", "include": ["Readwise/Books/**"]}
    resync(tmp_path, vault)
    assert not (root / "Readwise/Authors").exists()
    assert "[[Xavier]]" in (root / "Readwise/Books/B.md").read_text()  # linked to the user's note
    assert (root / "People/Friends/Xavier.md").read_text() == "My notes on Xavier\n"


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_a_name_in_nfc_and_nfd_gives_one_page(tmp_path: Path, app: str) -> None:
    root = tmp_path / "v"
    if app == "logseq":
        graph(
            root,
            {
                "One (highlights).md": logseq_page("One", f"[[{NFC}]]", category="books"),
                "Two (highlights).md": logseq_page("Two", f"[[{NFD}]]", category="books"),
            },
        )
        folder = root / "pages"
    else:
        (root / ".obsidian").mkdir(parents=True)
        (root / "Readwise/Books").mkdir(parents=True)
        (root / "Readwise/Books/One.md").write_text(obsidian_page("One", NFC, category="books"))
        (root / "Readwise/Books/Two.md").write_text(obsidian_page("Two", NFD, category="books"))
        folder = root / "Readwise/Authors"
    resync(tmp_path, {"path": str(root)})
    made = [p for p in folder.iterdir() if "highlights" not in p.name]
    assert len(made) == 1, made  # one page for both spellings
    text = made[0].read_text(encoding="utf-8")
    assert "One" in text and "Two" in text  # listing both sources
    resync(tmp_path, {"path": str(root)})
    assert len([p for p in folder.iterdir() if "highlights" not in p.name]) == 1


def test_an_existing_page_in_nfd_is_found_for_a_name_in_nfc(tmp_path: Path) -> None:
    """A file name written on macOS (NFD) is the page of the name a Readwise page gives (NFC)."""
    root = graph(
        tmp_path / "g",
        {
            "B (highlights).md": logseq_page("B", f"[[{NFC}]]", category="books"),
            f"{NFD}.md": "- my own page\n",
        },
    )
    resync(tmp_path, {"path": str(root)})
    assert page_files(root) == sorted(["B (highlights).md", f"{NFD}.md"])


def test_fold_is_nfc_and_casefold() -> None:
    assert fold(NFC) == fold(NFD) == fold(NFC.upper())
    assert unicodedata.is_normalized("NFC", fold(NFD))
    assert name_key(f"  {NFD}  ") == name_key(NFC)
    pages = [PageAuthor((NFC,), link="One"), PageAuthor((NFD,), link="Two")]
    assert len(plan_authors(pages).authors) == 1


@given(st.text(min_size=1, max_size=12))
def test_fold_ignores_the_unicode_form_and_case(name: str) -> None:
    forms = {unicodedata.normalize(f, name) for f in ("NFC", "NFD")}
    assert len({fold(f) for f in forms}) == 1
    assert fold(fold(name)) == fold(name)  # a key is its own key
    assert unicodedata.is_normalized("NFC", fold(name))
