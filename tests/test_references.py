"""Block references count wherever Obsidian resolves them (issue 13, item 1): a `^id` another
note, embed, Markdown link or canvas points at survives dedupe, whatever the include patterns
say. Each trap is run end to end through `python -m vaultsync resync` on a small vault."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import vaultsync.pipeline.store as store
from vaultsync.pipeline.index import canvas_refs, note_refs
from vaultsync.pipeline.report import PassOptions
from vaultsync.pipeline.session import VaultSession
from vaultsync.vault import make_vault
from vaultsync.writer import MAX_PAGE_BYTES

BOOK = "Readwise/Books/B.md"
TIMEOUT = 120  # generous: only a hung process fails it


def book(ids: list[str]) -> str:
    """A Readwise note holding one highlight once per id (copies: dedupe keeps one)."""
    items = "".join(
        f"- A passage. ([View Highlight](https://read.readwise.io/read/{i})) ^{i}\n" for i in ids
    )
    return "# B\n\n## Metadata\n- Author: [[A]]\n\n## Highlights\n" + items


def make_obsidian(root: Path, files: dict[str, str]) -> Path:
    (root / ".obsidian").mkdir(parents=True)
    (root / BOOK).parent.mkdir(parents=True)
    (root / BOOK).write_text(book(["rw1", "ref1"]), encoding="utf-8")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def resync(root: Path, tmp: Path, include: list[str] | None = None) -> subprocess.CompletedProcess:
    config = tmp / "config.yaml"
    vault: dict[str, object] = {"path": str(root), "kind": "obsidian"}
    if include:
        vault["include"] = include
    config.write_text(json.dumps({"vaults": [vault]}), encoding="utf-8")  # (JSON is YAML)
    env = {**os.environ, "CI": "1", "NO_COLOR": "1", "VAULTSYNC_CONFIG": str(config)}
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", "resync"],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )


def book_ids(root: Path) -> list[str]:
    return [
        line.rsplit("^", 1)[1] for line in (root / BOOK).read_text().splitlines() if "^" in line
    ]


def test_without_a_reference_dedupe_keeps_the_first_copy(tmp_path: Path) -> None:
    """The trap is real: an unreferenced `^ref1` copy goes (so the tests below test something)."""
    root = make_obsidian(tmp_path / "v", {"Notes/n.md": "nothing here\n"})
    result = resync(root, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert book_ids(root) == ["rw1"]


TRAPS = {
    "markdown link": ({"Notes/n.md": "see [this](Readwise/Books/B.md#^ref1)\n"}, None),
    "markdown link, url-encoded": (
        {"Notes/n.md": "see [this](Readwise/Books/B.md#%5Eref1) or [x](<Readwise/Books/B.md>)\n"},
        None,
    ),
    "markdown link, encoded path": (
        {"Notes/n.md": "[this](../Readwise/Books/My%20B.md#%5eref1 'title')\n"},
        None,
    ),
    "embed outside include": ({"Notes/n.md": "![[B#^ref1]]\n"}, ["Readwise/**/*.md"]),
    "embed in an excluded-by-include note, shown text": (
        {"Journal/2024/x.md": "[[B#^ref1|that one]]\n"},
        ["Readwise/"],
    ),
    "canvas node": (
        {
            "Boards/board.canvas": json.dumps(
                {
                    "nodes": [
                        {"id": "1", "type": "file", "file": BOOK, "subpath": "#^ref1"},
                        {"id": "2", "type": "text", "text": "hi"},
                    ],
                    "edges": [],
                }
            )
        },
        None,
    ),
}


@pytest.mark.parametrize("trap", sorted(TRAPS))
def test_a_referenced_id_survives_resync(tmp_path: Path, trap: str) -> None:
    files, include = TRAPS[trap]
    root = make_obsidian(tmp_path / "v", files)
    result = resync(root, tmp_path, include)
    assert result.returncode == 0, result.stdout + result.stderr
    assert book_ids(root) == ["ref1"]  # the referenced copy is the one kept
    again = resync(root, tmp_path, include)  # and it stays (a second pass: from the cache)
    assert again.returncode == 0 and book_ids(root) == ["ref1"]


def test_a_bad_canvas_is_named_and_skipped_not_fatal(tmp_path: Path) -> None:
    root = make_obsidian(
        tmp_path / "v",
        {"Boards/bad.canvas": '{"nodes": [', "Notes/n.md": "[[B#^ref1]]\n"},
    )
    result = resync(root, tmp_path)
    out = result.stdout + result.stderr
    assert "Traceback" not in out
    assert result.returncode == 0, out
    assert "bad.canvas" in out and "not valid JSON" in out
    assert book_ids(root) == ["ref1"]


def test_always_ignored_folders_are_not_read_for_references(tmp_path: Path) -> None:
    root = make_obsidian(tmp_path / "v", {".trash/old.md": "[[B#^ref1]]\n"})
    (root / ".obsidian" / "workspace.md").write_text("[[B#^ref1]]\n")
    result = resync(root, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert book_ids(root) == ["rw1"]


def test_an_excluded_note_is_read_for_references_but_never_written(tmp_path: Path) -> None:
    """Exclude limits what is cleaned: an excluded Readwise copy stays as it is."""
    root = make_obsidian(tmp_path / "v", {"Archive/old.md": book(["x1", "x2"]) + "[[B#^ref1]]\n"})
    before = (root / "Archive/old.md").read_bytes()
    config = {"exclude": ["Archive/"]}
    cfg = tmp_path / "config.yaml"
    cfg.write_text(json.dumps({"vaults": [{"path": str(root), "kind": "obsidian", **config}]}))
    env = {**os.environ, "CI": "1", "NO_COLOR": "1", "VAULTSYNC_CONFIG": str(cfg)}
    result = subprocess.run(
        [sys.executable, "-m", "vaultsync", "resync"],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / "Archive/old.md").read_bytes() == before
    assert book_ids(root) == ["ref1"]
    assert re.search(r"pages scanned\s+1\n", result.stdout)  # only what is cleaned counts


def test_the_daemon_learns_a_new_reference_before_the_next_rewrite(tmp_path: Path) -> None:
    """The incremental path: a canvas and a note outside include, changed after the full pass,
    protect their ids from the next rewrite of the page carrying them."""
    root = make_obsidian(tmp_path / "v", {"Notes/n.md": "nothing\n"})
    vault = make_vault(root, include=("Readwise/**/*.md",))
    session = VaultSession(vault, PassOptions(cache=False))
    session.full_pass()
    assert book_ids(root) == ["rw1"]
    # The plugin appends two copies again; the user references them from outside include.
    (root / BOOK).write_text(book(["rw1", "ref1", "ref2"]), encoding="utf-8")
    note, board = root / "Notes/n.md", root / "Boards/b.canvas"
    note.write_text("![[B#^ref1]]\n")
    board.parent.mkdir()
    board.write_text(json.dumps({"nodes": [{"type": "file", "file": BOOK, "subpath": "#^ref2"}]}))
    # The watcher reports what a pass reads, not only what it cleans.
    reading = vault.path_filter.reading()
    assert reading.matches("Notes/n.md") and reading.matches("Boards/b.canvas")
    assert not reading.matches(".obsidian/x.md") and reading.dir_excluded(".trash")
    session.update([note, board])
    session.update([root / BOOK])
    assert sorted(book_ids(root)) == ["ref1", "ref2"]


def test_a_pass_from_the_cache_keeps_the_references_of_files_it_does_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache records each file's references: a pass that does not read a canvas again
    still knows what it points at."""
    canvas = json.dumps({"nodes": [{"type": "file", "file": BOOK, "subpath": "#^ref1"}]})
    root = make_obsidian(tmp_path / "v", {"Boards/b.canvas": canvas, "Notes/n.md": "x\n"})
    vault = make_vault(root, include=("Readwise/**/*.md",))
    opts = PassOptions(state_dir=tmp_path / "state")
    old = 1_600_000_000_000_000_000

    def age() -> None:
        for path in root.rglob("*"):
            os.utime(path, ns=(old, old))  # old enough for every row to be trusted

    age()
    VaultSession(vault, opts).full_pass()
    assert book_ids(root) == ["ref1"]
    age()
    (root / BOOK).write_text(book(["ref1", "rw1", "ref1"]), encoding="utf-8")  # a new copy
    reads: list[str] = []
    real = store.read_page

    def counting(path, *a, **k):
        reads.append(Path(path).name)
        return real(path, *a, **k)

    monkeypatch.setattr(store, "read_page", counting)
    VaultSession(vault, opts).full_pass()
    assert "b.canvas" not in reads and "B.md" in reads  # the canvas's row said what it holds
    assert book_ids(root) == ["ref1"]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("[[B#^a1]] ![[B#^a2]] [[B#^a3|x]] [[#^a4]]", ["a1", "a2", "a3", "a4"]),
        ("[t](B.md#^b1) ![t](B.md#^b2) [t](<My B.md#^b3>) [t](My%20B.md#%5Eb4)", None),
        ("[t](x.md#heading) [t](x.md) ^notaref [[x#heading]]", []),
    ],
)
def test_note_refs_reads_every_form(text: str, ids: list[str] | None) -> None:
    found = list(note_refs(text.encode()))
    assert found == (ids if ids is not None else ["b1", "b2", "b3", "b4"])


def test_canvas_refs() -> None:
    doc = {"nodes": [{"type": "file", "file": "B.md", "subpath": "#^c1"}, {"subpath": 3}, "x"]}
    assert canvas_refs(json.dumps(doc).encode()) == ("c1",)
    assert canvas_refs(b"[1, 2]") == ()
    assert canvas_refs(b"\xff{") == ()
    assert canvas_refs(b"") == ()


def test_logseq_block_refs_keep_their_uuid(tmp_path: Path) -> None:
    """Logseq: every `id::` survives dedupe, so a `((uuid))` reference keeps working."""
    root = tmp_path / "g"
    (root / "logseq").mkdir(parents=True)
    (root / "logseq" / "config.edn").write_text("{}")
    (root / "pages").mkdir()
    uid = "6502a0b1-0000-4000-8000-000000000001"
    page = (
        "title:: T (highlights)\nauthor:: [[A]]\n\n"
        "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
        "\t- hello ([View Tweet](https://twitter.com/h/status/1))\n"
        "\t- hello ([View Tweet](https://twitter.com/h/status/1))\n"
        f"\t  id:: {uid}\n"
    )
    (root / "pages" / "T (highlights).md").write_text(page)
    (root / "pages" / "note.md").write_text(f"- see (({uid}))\n")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(json.dumps({"vaults": [{"path": str(root), "kind": "logseq"}]}))
    env = {**os.environ, "CI": "1", "NO_COLOR": "1", "VAULTSYNC_CONFIG": str(cfg)}
    result = subprocess.run(
        [sys.executable, "-m", "vaultsync", "resync"],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = (root / "pages" / "T (highlights).md").read_text()
    assert f"id:: {uid}" in text and text.count("hello") == 1


def test_a_file_read_only_for_references_that_cannot_be_read_is_not_reported(
    tmp_path: Path,
) -> None:
    """Nothing outside include is cleaned: a huge export kept there is no page to report."""
    root = make_obsidian(tmp_path / "v", {"Notes/n.md": "[[B#^ref1]]\n"})
    big = root / "Exports" / "everything.md"
    big.parent.mkdir()
    with big.open("wb") as f:
        f.truncate(MAX_PAGE_BYTES + 1)
    result = resync(root, tmp_path, ["Readwise/**/*.md"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"skipped\s+0\n", result.stdout), result.stdout
    assert book_ids(root) == ["ref1"]


def test_the_running_daemon_learns_a_canvas_reference_before_the_next_rewrite(
    tmp_path: Path,
) -> None:
    """`vaultsync run`: a canvas made while it watches (outside include) protects its id when
    the plugin next writes copies to the page."""
    from test_daemon import DaemonProcess

    # No folder is made while it runs (a new folder makes the daemon walk the whole vault, and
    # read the canvas that way): the canvas's folder exists, and so does the author's note.
    files = {"Notes/n.md": "nothing\n", "Boards/old.canvas": "{}", "People/A.md": "mine\n"}
    root = make_obsidian(tmp_path / "v", files)
    config = tmp_path / "config.yaml"
    vault = {"name": "v", "path": str(root), "kind": "obsidian", "include": ["Readwise/**/*.md"]}
    daemon_cfg = {"quiet_period": 0.3, "max_delay": 5}
    config.write_text(json.dumps({"vaults": [vault], "daemon": daemon_cfg}), encoding="utf-8")
    d = DaemonProcess(config, tmp_path / "state", tmp_path / "daemon.log")
    try:
        d.start()
        d.wait_log(r" v: cleaned Readwise/Books/B\.md$")
        assert book_ids(root) == ["rw1"]
        board = root / "Boards" / "b.canvas"
        board.write_text(
            json.dumps({"nodes": [{"type": "file", "file": BOOK, "subpath": "#^ref1"}]})
        )
        # Barrier: a page dropped after the canvas is cleaned after the canvas was handled.
        barrier = root / "Readwise/Books/Barrier.md"
        barrier.write_text(book(["x1", "x2"]), encoding="utf-8")
        d.wait_log(r" v: cleaned Readwise/Books/Barrier\.md$")
        (root / BOOK).write_text(book(["rw1", "ref1"]), encoding="utf-8")  # the plugin
        d.wait_log(r" v: cleaned Readwise/Books/B\.md$", count=2)
        assert book_ids(root) == ["ref1"]
    finally:
        d.kill()


def test_the_reading_walk_lists_every_note_canvas_and_org_file(tmp_path: Path) -> None:
    """What is cleaned (True) and what is only read (False); always-skipped files neither."""
    from vaultsync.ignore import PathFilter, walk_reading

    for rel in [
        "Readwise/B.md",
        "Readwise/x.canvas",
        "Archive/old.md",
        "Notes/deep/n.md",
        "Notes/p.org",
        "Notes/pic.png",
        ".obsidian/w.md",
        ".trash/t.md",
        "Notes/.hidden.md",
        "Notes/a.sync-conflict-1.md",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    flt = PathFilter(["Readwise/**/*.md", "Archive/"], ["Archive/"])
    found = {rel: cleanable for _e, rel, cleanable in walk_reading(tmp_path, flt)}
    assert found == {
        "Readwise/B.md": True,
        "Readwise/x.canvas": False,
        "Archive/old.md": False,
        "Notes/deep/n.md": False,
        "Notes/p.org": False,
    }
    assert all(flt.reads(rel) for rel in found)
    assert not flt.reads(".trash/t.md") and flt.dir_unread(".obsidian")
    assert flt.dir_excluded("Archive") and not flt.dir_unread("Archive")
