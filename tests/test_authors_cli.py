"""`vaultsync authors` and the author settings through the command: each author with their page,
other names, handle and source count; likely duplicates flagged; nothing ever written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vaultsync.cli import main

ALEX = {
    "One": (
        "[[@AlexTamkin on Twitter]]",
        "https://twitter.com/AlexTamkin/status/1540123808735973376",
    ),
    "Two": (
        "[[Alex Tamkin]]",
        "https://x.com/alextamkin/status/1640123808735973376?rw_tt_thread=True",
    ),
    "Three": (
        "[[Alex L Tamkin]]",
        "https://x.com/AlexTamkin/status/1740123808735973376?rw_tt_thread=True",
    ),
}


def tweets(title: str, author: str, url: str) -> str:
    status = url.split("?")[0]
    return (
        f"title:: {title} (highlights)\nauthor:: {author}\ncategory:: #tweets\nurl:: {url}\n\n"
        "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
        f"\t- A tweet of {title} ([View Tweet]({status}))\n"
    )


def book(title: str, author: str) -> str:
    return (
        f"title:: {title} (highlights)\nauthor:: {author}\ncategory:: #books\n\n"
        "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
        f"\t- A line of {title} ([Location 7](https://readwise.io/to_kindle?location=7))\n"
    )


def graph(root: Path, pages: dict[str, str]) -> Path:
    (root / "logseq").mkdir(parents=True)
    (root / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}\n")
    (root / "pages").mkdir()
    for name, text in pages.items():
        (root / "pages" / f"{name}.md").write_text(text, encoding="utf-8")
    return root


def alex_graph(root: Path) -> Path:
    pages = {f"{t} (highlights)": tweets(t, a, u) for t, (a, u) in ALEX.items()}
    pages["Thinking (highlights)"] = book("Thinking", "[[Kahneman, Daniel]]")
    return graph(root, pages)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def authors(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["authors", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def block_of(out: str, name: str) -> str:
    """The lines `vaultsync authors` prints for one author."""
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"  {name}  —"))
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    return "\n".join(lines[start:end])


def test_authors_lists_names_handle_sources_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = alex_graph(tmp_path / "g")
    before = snapshot(root)
    out = authors(capsys, "--vault", str(root))
    assert snapshot(root) == before  # listing never writes, not even the missing author pages
    assert out.splitlines()[0] == "g: 2 authors"
    alex = block_of(out, "@AlexTamkin on Twitter")
    assert "3 sources" in alex
    assert "also named: Alex L Tamkin, Alex Tamkin" in alex
    assert "handle: @alextamkin" in alex
    kahneman = block_of(out, "Kahneman, Daniel")
    assert "1 source," in kahneman and "also named" not in kahneman and "handle" not in kahneman
    assert "likely the same person" not in out


def test_authors_says_which_page_each_author_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = alex_graph(tmp_path / "g")
    out = authors(capsys, "--vault", str(root))
    assert "page: (no page yet)" in block_of(out, "@AlexTamkin on Twitter")
    assert main(["resync", "--vault", str(root), "-q"]) == 0
    out = authors(capsys, "--vault", str(root))
    assert "page: pages/@AlexTamkin on Twitter.md" in block_of(out, "@AlexTamkin on Twitter")
    assert "page: pages/Kahneman, Daniel.md" in block_of(out, "Kahneman, Daniel")


def test_authors_flags_likely_duplicates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = graph(
        tmp_path / "g",
        {
            # The tweets (handle alextamkin) never use the name the article gives: two authors.
            "T (highlights)": tweets("T", "[[@AlexTamkin on Twitter]]", ALEX["One"][1]),
            "A (highlights)": book("A", "[[Alex Tamkin]]"),
            "B (highlights)": book("B", "[[Daniel Kahneman]]"),
            "C (highlights)": book("C", "[[Daniel Kahnemann]]"),
            "D (highlights)": book("D", "[[Amos Tversky]]"),
        },
    )
    out = authors(capsys, "--vault", str(root))
    assert out.splitlines()[0] == "g: 5 authors"
    flagged = out.split("likely the same person", 1)[1]
    pairs = set(re.findall(r"'([^']+)' ~ '([^']+)'", flagged))
    assert pairs == {
        ("@AlexTamkin on Twitter", "Alex Tamkin"),
        ("Daniel Kahneman", "Daniel Kahnemann"),
    }
    assert "authors.aliases" in out  # says how to fix it


def config(tmp_path: Path, root: Path, authors_section: str = "") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"vaults:\n  - path: {root}\nstate_dir: {tmp_path / 'state'}\n{authors_section}",
        encoding="utf-8",
    )
    return path


def test_authors_follows_the_config_mapping_and_split_switch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = graph(
        tmp_path / "g",
        {
            "T (highlights)": tweets(
                "T",
                "[[@david_perell on Twitter]]",
                "https://twitter.com/david_perell/status/1540123808735973376",
            ),
            "J (highlights)": book("J", "[[Ann Alpha, Bob Beta, and Cy Gamma]]"),
        },
    )
    cfg = config(
        tmp_path,
        root,
        "authors:\n  split_multiple: true\n  aliases:\n"
        '    "@david_perell on Twitter": "David Perell"\n',
    )
    out = authors(capsys, "--config", str(cfg))
    assert out.splitlines()[0] == "g: 4 authors"
    assert "also named: @david_perell on Twitter" in block_of(out, "David Perell")
    for name in ("Ann Alpha", "Bob Beta", "Cy Gamma"):
        assert "1 source," in block_of(out, name)


def test_authors_shows_the_users_own_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "o"
    (root / ".obsidian").mkdir(parents=True)
    (root / "People").mkdir()
    (root / "People" / "Alex Tamkin.md").write_text("# Alex Tamkin\n\nMy own note.\n")
    (root / "Readwise").mkdir()
    (root / "Readwise" / "T.md").write_text(
        "# T\n\n## Metadata\n- Author: [[Alex Tamkin]]\n- Category: #tweets\n"
        f"- URL: {ALEX['Two'][1]}\n\n## Highlights\n"
        "- A tweet ([View Tweet](https://x.com/alextamkin/status/1640123808735973376))\n"
    )
    out = authors(capsys, "--vault", str(root))
    assert "page: People/Alex Tamkin.md" in block_of(out, "Alex Tamkin")


def test_authors_on_a_missing_vault_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["authors", "--vault", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "no such folder" in err and "Traceback" not in err


# --------------------------------------------------------------- the real command, end to end


def vaultsync(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = shutil.which("vaultsync", path=os.path.dirname(sys.executable))
    command = [script] if script else [sys.executable, "-m", "vaultsync"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_command_resync_rename_merge_then_check_is_clean(tmp_path: Path) -> None:
    root = alex_graph(tmp_path / "g")
    env = {**os.environ, "VAULTSYNC_CONFIG": os.devnull}  # no default config
    cfg = config(tmp_path, root)
    done = vaultsync("resync", "--config", str(cfg), "-q", env=env)
    assert done.returncode == 0, done.stderr
    assert re.search(r"author pages\s+2 created, 0 updated", done.stdout)
    old = root / "pages" / "@AlexTamkin on Twitter.md"
    with old.open("a") as f:
        f.write("- What I think of Alex\n")

    # The user maps the handle's name to the real one: the old page is merged into the new.
    cfg = config(
        tmp_path, root, 'authors:\n  aliases:\n    "@AlexTamkin on Twitter": Alex Tamkin\n'
    )
    done = vaultsync("resync", "--config", str(cfg), "-q", env=env)
    assert done.returncode == 0, done.stderr
    assert re.search(r"author pages\s+1 created, 0 updated, 1 merged", done.stdout)
    assert not old.exists()
    assert "- What I think of Alex\n" in (root / "pages" / "Alex Tamkin.md").read_text()
    history = vaultsync("history", str(old), "--config", str(cfg), env=env)
    assert history.returncode == 0 and "1 earlier version" in history.stdout, history.stderr

    listed = vaultsync("authors", "--config", str(cfg), env=env)
    assert listed.returncode == 0, listed.stderr
    assert "page: pages/Alex Tamkin.md" in block_of(listed.stdout, "Alex Tamkin")
    check = vaultsync("check", "--config", str(cfg), "-q", env=env)
    assert check.returncode == 0, check.stdout + check.stderr
