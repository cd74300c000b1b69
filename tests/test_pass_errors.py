"""Errors a user can cause, as the command reports them (issue 13, item 7): a dangling link at
an author page's place is named once per pass and skipped; a Readwise page that cannot be
cleaned (refused by the no-loss check, bad bytes, unreadable) still counts as a Readwise page."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from test_author_pages import logseq_page, obsidian_page
from vaultsync.writer import MAX_PAGE_BYTES

TIMEOUT = 120  # generous: only a hung process fails it
PAGE = "B (highlights).md"


def run(tmp: Path, root: Path, *code: str) -> subprocess.CompletedProcess[str]:
    """`python -m vaultsync resync` on one vault; `code`: lines run first in the same process
    (to break a rule of our own, as a bug would)."""
    config = tmp / "config.yaml"
    config.write_text(json.dumps({"vaults": [{"path": str(root)}]}), encoding="utf-8")
    env = {**os.environ, "CI": "1", "NO_COLOR": "1", "VAULTSYNC_CONFIG": str(config)}
    if code:
        script = "\n".join([*code, "from vaultsync.cli import main", "raise SystemExit(main())"])
        argv = [sys.executable, "-c", script, "resync"]
    else:
        argv = [sys.executable, "-m", "vaultsync", "resync"]
    result = subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=TIMEOUT, check=False
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def count(result: subprocess.CompletedProcess[str], label: str) -> int:
    m = re.search(rf"^\s*{label}\s+(\d+)", result.stdout, re.MULTILINE)
    assert m, result.stdout
    return int(m.group(1))


def graph(root: Path, pages: dict[str, str | bytes]) -> Path:
    (root / "logseq").mkdir(parents=True)
    (root / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}\n")
    (root / "pages").mkdir()
    for name, data in pages.items():
        path = root / "pages" / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


# ------------------------------------------------------------------ a dangling link


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_a_dangling_link_where_an_author_page_goes_is_named_once_and_skipped(
    tmp_path: Path, app: str
) -> None:
    root = tmp_path / "v"
    if app == "logseq":
        graph(root, {PAGE: logseq_page("B", "[[Xavier]]", category="books")})
        link = root / "pages" / "Xavier.md"
    else:
        (root / ".obsidian").mkdir(parents=True)
        (root / "Readwise/Books").mkdir(parents=True)
        (root / "Readwise/Books/B.md").write_text(obsidian_page("B", "Xavier", category="books"))
        link = root / "Readwise/Authors/Xavier.md"
        link.parent.mkdir(parents=True)
    link.symlink_to(tmp_path / "gone" / "Xavier.md")
    for _ in range(2):  # every pass: the same one clear line, and no failure
        result = run(tmp_path, root)
        assert result.returncode == 0, result.stdout
        lines = [line for line in result.stdout.splitlines() if str(link) in line]
        assert len(lines) == 1, result.stdout
        assert lines[0].lstrip().startswith("skipped")
        assert "symbolic link" in lines[0] and "does not exist" in lines[0]
        assert "Remove the link" in lines[0]
        assert count(result, "failed") == 0
        assert link.is_symlink() and not (tmp_path / "gone").exists()  # not written through
    link.unlink()
    result = run(tmp_path, root)
    assert result.returncode == 0 and link.is_file() and not link.is_symlink()


def test_a_dangling_authors_folder_is_named_once_for_all_its_authors(tmp_path: Path) -> None:
    root = tmp_path / "v"
    (root / ".obsidian").mkdir(parents=True)
    (root / "Readwise/Books").mkdir(parents=True)
    for name in ("Xavier", "Yvonne", "Zoe"):
        (root / f"Readwise/Books/By {name}.md").write_text(
            obsidian_page(f"By {name}", name, category="books")
        )
    folder = root / "Readwise/Authors"
    folder.symlink_to(tmp_path / "elsewhere")
    result = run(tmp_path, root)
    assert result.returncode == 0, result.stdout
    assert count(result, "skipped") == 1
    assert str(folder) in result.stdout and "Remove the link" in result.stdout
    assert not (tmp_path / "elsewhere").exists()


# ------------------------------------------------------------------ failed pages still count


def test_a_page_the_no_loss_check_refuses_counts_as_readwise_and_failed(tmp_path: Path) -> None:
    # A page that needs work (its author is plain text, to be linked): a page already clean
    # never reaches the rules (the fast clean verdict), so a broken rule could not touch it.
    text = logseq_page("B", "Xavier", category="books", highlights=3)
    root = graph(tmp_path / "g", {PAGE: text, "note.md": "- a note\n"})
    broken = [
        "import vaultsync.core.rules as rules",
        "def careless(page):",  # a broken rule: drops the last item of each section
        "    for section in page.sections:",
        "        section.items = section.items[:-1]",
        "    return 1",
        "rules.order = careless",
    ]
    result = run(tmp_path, root, *broken)
    assert result.returncode == 1, result.stdout
    assert count(result, "Readwise pages") == 1
    assert count(result, "failed") == 1
    assert (root / "pages" / PAGE).read_text() == text


def test_a_readwise_page_with_bad_bytes_counts_as_readwise(tmp_path: Path) -> None:
    data = logseq_page("B", "[[Xavier]]", category="books").encode()
    data = data.replace(b"Highlight 0", b"Highlight \xff0")
    root = graph(tmp_path / "g", {PAGE: data, "note.md": b"- a note\n"})
    result = run(tmp_path, root)
    assert count(result, "Readwise pages") == 1
    assert re.search(rf"{re.escape(PAGE)}: .*UTF-8", result.stdout)  # named, as before
    assert (root / "pages" / PAGE).read_bytes() == data


def test_a_readwise_page_unreadable_now_counts_as_readwise_on_every_pass(tmp_path: Path) -> None:
    """Known as Readwise's from its last reading (the state cache), while it cannot be read."""
    root = graph(tmp_path / "g", {PAGE: logseq_page("B", "[[Xavier]]", category="books")})
    first = run(tmp_path, root)
    assert first.returncode == 0 and count(first, "Readwise pages") == 1
    page = root / "pages" / PAGE
    with page.open("a", encoding="utf-8") as f:  # grown past the size vaultsync reads
        f.write("\t- " + "x" * MAX_PAGE_BYTES + "\n")
    for _ in range(2):
        result = run(tmp_path, root)
        assert count(result, "Readwise pages") == 1, result.stdout
        assert re.search(r"skipped .*larger than", result.stdout)
    page.write_text(logseq_page("B", "[[Xavier]]", category="books"), encoding="utf-8")
    again = run(tmp_path, root)
    assert again.returncode == 0 and count(again, "Readwise pages") == 1
    assert count(again, "skipped") == 0
