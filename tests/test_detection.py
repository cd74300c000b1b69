"""What kind of folder a vault is, through `python -m vaultsync`: a folder opened in both apps
(both `logseq/config.edn` and `.obsidian/`) is judged by the Readwise pages it holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vaultsync.config import load_config
from vaultsync.errors import ConfigError
from vaultsync.vault import detect_kind

TIMEOUT = 120  # generous: only a hung process fails it

LOGSEQ_PAGE = (
    "title:: {title} (highlights)\n"
    "author:: [[Ada Quinn]]\n"
    "category:: #books\n"
    "\n"
    "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
    "\t- Second. ([Location 20](https://readwise.io/to_kindle?asin=B0X&location=20))\n"
    "\t- First. ([Location 10](https://readwise.io/to_kindle?asin=B0X&location=10))\n"
)
OBSIDIAN_NOTE = (
    "# {title}\n\n## Metadata\n- Author: [[Ada Quinn]]\n- Category: #books\n\n## Highlights\n"
    "- Second. ([Location 20](https://readwise.io/to_kindle?asin=B0X&location=20))\n"
    "- First. ([Location 10](https://readwise.io/to_kindle?asin=B0X&location=10))\n"
)


def both_apps(root: Path, logseq_pages: int = 0, obsidian_notes: int = 0) -> Path:
    (root / "logseq").mkdir(parents=True)
    (root / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}\n")
    (root / ".obsidian").mkdir()
    (root / "pages").mkdir()
    (root / "Readwise" / "Books").mkdir(parents=True)
    (root / "pages" / "A user's own page.md").write_text("- ## Highlights of my week\n")
    for n in range(logseq_pages):
        text = LOGSEQ_PAGE.format(title=f"Book {n}")
        (root / "pages" / f"Book {n} (highlights).md").write_text(text, encoding="utf-8")
    for n in range(obsidian_notes):
        text = OBSIDIAN_NOTE.format(title=f"Note {n}")
        (root / "Readwise" / "Books" / f"Note {n}.md").write_text(text, encoding="utf-8")
    return root


def vaultsync(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "1", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=TIMEOUT,
        check=False,
    )


def test_a_folder_in_both_apps_holding_logseq_pages_is_a_logseq_graph(tmp_path: Path) -> None:
    folder = both_apps(tmp_path / "v", logseq_pages=3)
    result = vaultsync("resync", "--vault", str(folder))
    assert result.returncode == 0, result.stderr
    assert "Logseq graph" in result.stdout
    page = (folder / "pages" / "Book 0 (highlights).md").read_text(encoding="utf-8")
    assert page.index("First.") < page.index("Second.")


def test_a_folder_in_both_apps_holding_obsidian_notes_is_an_obsidian_vault(
    tmp_path: Path,
) -> None:
    folder = both_apps(tmp_path / "v", obsidian_notes=2)
    result = vaultsync("resync", "--vault", str(folder))
    assert result.returncode == 0, result.stderr
    assert "Obsidian vault" in result.stdout
    note = (folder / "Readwise" / "Books" / "Note 0.md").read_text(encoding="utf-8")
    assert note.index("First.") < note.index("Second.")


def test_a_stray_page_of_the_other_app_does_not_make_it_unclear(tmp_path: Path) -> None:
    folder = both_apps(tmp_path / "v", logseq_pages=12, obsidian_notes=1)
    assert detect_kind(folder).kind == "logseq"


@pytest.mark.parametrize(
    ("logseq", "obsidian", "found"),
    [
        (0, 0, "no Readwise page to judge by"),
        (2, 2, "2 Readwise page(s) in Logseq's shape and 2 in Obsidian's"),
    ],
)
def test_unclear_names_both_and_the_fix_in_one_line(
    tmp_path: Path, logseq: int, obsidian: int, found: str
) -> None:
    folder = both_apps(tmp_path / "v", logseq, obsidian)
    before = {p: p.read_bytes() for p in folder.rglob("*.md")}
    result = vaultsync("resync", "--vault", str(folder))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert "both logseq/config.edn and .obsidian/" in line and found in line
    assert "--kind logseq|obsidian" in line and "'kind: logseq' or 'kind: obsidian'" in line
    assert {p: p.read_bytes() for p in folder.rglob("*.md")} == before
    # Saying the kind settles it.
    result = vaultsync("resync", "--vault", str(folder), "--kind", "obsidian")
    assert result.returncode == 0 and "Obsidian vault" in result.stdout


def test_the_config_judges_the_same_way(tmp_path: Path) -> None:
    both_apps(tmp_path / "a", logseq_pages=2)
    both_apps(tmp_path / "b")
    config = tmp_path / "config.yaml"
    config.write_text("vaults:\n  - path: a\n")
    assert load_config(config).config.vaults[0].kind == "logseq"
    config.write_text("vaults:\n  - path: a\n  - path: b\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    (problem,) = caught.value.problems
    assert problem.key == "vaults[1].kind" and "--kind" in problem.message
    assert "'kind: logseq' or 'kind: obsidian'" in problem.message


def test_logseq_pages_count_only_in_the_pages_folder(tmp_path: Path) -> None:
    """Logseq shows pages from its pages folder: Logseq-shaped files elsewhere prove nothing."""
    folder = both_apps(tmp_path / "v", obsidian_notes=1)
    (folder / "old").mkdir()
    for n in range(5):
        text = LOGSEQ_PAGE.format(title=f"Old {n}")
        (folder / "old" / f"Old {n}.md").write_text(text, encoding="utf-8")
    assert detect_kind(folder).kind == "obsidian"
