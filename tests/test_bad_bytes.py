"""A page whose bytes show it is Readwise's but are not UTF-8 is named in the summary with where
its first bad byte is; one that is not Readwise's stays unmentioned (not ours). Through
`python -m vaultsync resync`, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 120  # generous: only a hung process fails it
KINDLE = "https://readwise.io/to_kindle?asin=B0X&location={n}"

LOGSEQ_HEAD = (
    "title:: A Quiet Garden (highlights)\n"
    "author:: [[Ada Quinn]]\n"
    "category:: #articles\n"
    "\n"
    "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
)

# name -> (page bytes, the position the summary must give)
LOGSEQ_CASES: dict[str, tuple[bytes, str]] = {
    # The only Readwise signal is the sync block: no location link anywhere.
    "sync block only": (
        (LOGSEQ_HEAD + "\t- A clipped passage with no link.\n\t- Caf").encode()
        + b"\xe9 au lait.\n",
        "line 7, column 7",
    ),
    # Saved by a Windows editor as cp1252: Kindle's no-break space is the single byte 0xA0.
    "cp1252 kindle": (
        LOGSEQ_HEAD.encode()
        + b"\t- \x93Quoted\x94 passage. ([Location\xa012]("
        + KINDLE.format(n=12).encode()
        + b"))\n",
        "line 6, column 4",
    ),
    # The bad byte sits inside the link's label: the label no longer reads as a known one.
    "bad byte in the link": (
        b"title:: Thread (highlights)\nauthor:: [[@ada on Twitter]]\ncategory:: #tweets\n\n"
        b"- New highlights added [[Mar 12th, 2023]] at 11:38 AM\n"
        b"\t- A tweet. ([View Tw\xffeet](https://twitter.com/ada/status/1640000000000000001))\n",
        "line 6, column 22",
    ),
    # A whole page saved as UTF-16 (with its byte-order mark).
    "utf-16": (
        "\ufeff".encode("utf-16-le")
        + (
            LOGSEQ_HEAD
            + f"\t- A passage. ([Location 12]({KINDLE.format(n=12)}))\n"
            + f"\t- A passage. ([Location 12]({KINDLE.format(n=12)}))\n"
        ).encode("utf-16-le"),
        "line 1, column 1",
    ),
}

NOT_OURS: dict[str, bytes] = {
    "a user's note": b"- Shopping: caf\xe9, bread\n- Call Ada about highlights\n",
    "a user's utf-16 note": "\ufeff- Notes from the week\n".encode("utf-16-le"),
    "a binary file": bytes(range(256)) * 4,
}


def resync(folder: Path, kind: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "1", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", "resync", "--vault", str(folder), "--kind", kind],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="module")
def logseq_run(tmp_path_factory: pytest.TempPathFactory):
    graph = tmp_path_factory.mktemp("graph")
    (graph / "logseq").mkdir()
    (graph / "logseq" / "config.edn").write_text("{:file/name-format :triple-lowbar}\n")
    (graph / "pages").mkdir()
    files = {name: graph / "pages" / f"{name}.md" for name in [*LOGSEQ_CASES, *NOT_OURS]}
    for name, path in files.items():
        path.write_bytes(LOGSEQ_CASES[name][0] if name in LOGSEQ_CASES else NOT_OURS[name])
    before = {name: path.read_bytes() for name, path in files.items()}
    result = resync(graph, "logseq")
    after = {name: path.read_bytes() for name, path in files.items()}
    return result, files, before, after


def summary_line(result: subprocess.CompletedProcess[str], path: Path) -> str | None:
    lines = [ln for ln in result.stdout.splitlines() if ln.strip().startswith("skipped ")]
    found = [ln for ln in lines if str(path) in ln or path.name in ln]
    assert len(found) <= 1, found
    return found[0] if found else None


@pytest.mark.parametrize("name", list(LOGSEQ_CASES))
def test_a_readwise_page_that_is_not_utf8_is_named_with_where(logseq_run, name: str) -> None:
    result, files, before, after = logseq_run
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stderr
    line = summary_line(result, files[name])
    assert line is not None, result.stdout
    assert f"not UTF-8 at {LOGSEQ_CASES[name][1]}" in line
    assert after[name] == before[name]


def test_utf16_says_so(logseq_run) -> None:
    result, files, _, _ = logseq_run
    assert "UTF-16" in summary_line(result, files["utf-16"])


@pytest.mark.parametrize("name", list(NOT_OURS))
def test_a_page_that_is_not_readwise_stays_silent(logseq_run, name: str) -> None:
    result, files, before, after = logseq_run
    assert summary_line(result, files[name]) is None
    assert after[name] == before[name]


def test_obsidian_note_with_only_a_sync_heading(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "Readwise").mkdir()
    note = vault / "Readwise" / "A Quiet Garden.md"
    note.write_bytes(
        b"# A Quiet Garden\n\n## Metadata\n- Author: [[Ada Quinn]]\n\n"
        b"## New highlights added February 25, 2023 at 10:00 AM\n- Caf\xe9 passage.\n"
    )
    before = note.read_bytes()
    result = resync(vault, "obsidian")
    line = summary_line(result, note)
    assert line is not None and "not UTF-8 at line 7, column 6" in line, result.stdout
    assert note.read_bytes() == before
