"""Whole generated vaults on disk, for the reliability tests (crash, concurrency, stateful).

A vault is a Logseq graph or an Obsidian vault holding Readwise pages from pagegen (with their
defects drawn at random) and a few ordinary notes. `files()` reads a vault back as a map of
relative path to bytes, which is what the tests compare.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vaultsync.core.authors import UnsafeName, logseq_file_stem, obsidian_file_stem
from vaultsync.writer import is_temp_file

try:  # pytest puts tests/ on sys.path
    from pagegen import (
        Truth,
        logseq_page_with_truth,
        obsidian_page_with_truth,
        ordinary_note,
    )
except ModuleNotFoundError:  # pragma: no cover - imported as tests.genvault
    from tests.pagegen import (
        Truth,
        logseq_page_with_truth,
        obsidian_page_with_truth,
        ordinary_note,
    )

APPS = ("logseq", "obsidian")
LOGSEQ_CONFIG = '{:file/name-format :triple-lowbar\n :pages-directory "pages"}\n'


@dataclass
class GeneratedVault:
    """A vault written to disk: its kind, its root, and the truth of each Readwise page."""

    app: str
    root: Path
    truths: dict[str, Truth] = field(default_factory=dict)  # relative path → truth

    @property
    def pages_dir(self) -> Path:
        return self.root / "pages" if self.app == "logseq" else self.root / "Readwise"


def _knobs(rng: random.Random, app: str) -> dict[str, object]:
    knobs: dict[str, object] = {
        name: rng.random() < 0.5
        for name in ("repeats", "shuffle", "mojibake", "user_blocks", "ids", "crlf", "bom")
    }
    knobs["no_final_newline"] = rng.random() < 0.15
    knobs["extra_sections"] = rng.choice((0, 0, 1, 2))
    knobs["n_highlights"] = rng.randint(1 + int(knobs["extra_sections"]), 14)  # type: ignore[call-overload]
    if app == "obsidian":
        knobs["template"] = rng.choice(("default", "custom"))
    return knobs


def page_file(app: str, truth: Truth) -> str | None:
    """Where the Readwise plugin would put this page, relative to the vault root."""
    try:
        if app == "logseq":
            return f"pages/{logseq_file_stem(truth.page_name)}.md"
        folder = truth.category.capitalize()
        return f"Readwise/{folder}/{obsidian_file_stem(truth.title)}.md"
    except UnsafeName:
        return None


def build_vault(
    root: Path, rng: random.Random, app: str, pages: int = 20, ordinary: int = 3
) -> GeneratedVault:
    """Write a vault of `pages` Readwise pages (random defects) and `ordinary` notes."""
    vault = GeneratedVault(app, root)
    if app == "logseq":
        (root / "logseq").mkdir(parents=True)
        (root / "logseq" / "config.edn").write_text(LOGSEQ_CONFIG, encoding="utf-8")
        (root / "pages").mkdir()
        (root / "journals").mkdir()
        make = logseq_page_with_truth
    else:
        (root / ".obsidian").mkdir(parents=True)
        make = obsidian_page_with_truth
    taken: set[str] = set()
    while len(vault.truths) < pages:
        text, truth = make(rng, **_knobs(rng, app))  # type: ignore[arg-type]
        rel = page_file(app, truth)
        if rel is None or rel.casefold() in taken:
            continue
        taken.add(rel.casefold())
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        vault.truths[rel] = truth
    for i in range(ordinary):
        folder = root / ("journals" if app == "logseq" else "Notes")
        folder.mkdir(exist_ok=True)
        (folder / f"note {i}.md").write_bytes(ordinary_note(rng).encode("utf-8"))
    return vault


def walk_files(root: Path) -> Iterator[Path]:
    """Every regular file under `root` (links not followed), but for a daemon's lease folder
    (`.vaultsync/` at the root: vaultsync's own bookkeeping, see lease.py)."""
    for folder, dirs, names in os.walk(root, followlinks=False):
        if folder == str(root) and ".vaultsync" in dirs:
            dirs.remove(".vaultsync")
        dirs.sort()
        for name in sorted(names):
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                yield path


def files(root: Path) -> dict[str, bytes]:
    """Relative POSIX path → bytes of every regular file under `root` (a file that vanishes
    while the folder is read, such as a temp file being renamed, is left out)."""
    out = {}
    for path in walk_files(root):
        try:
            out[path.relative_to(root).as_posix()] = path.read_bytes()
        except FileNotFoundError:
            continue
    return out


def temp_files(root: Path) -> list[str]:
    """vaultsync's own temp files left under `root`."""
    return sorted(k for k in files(root) if is_temp_file(k))


def fresh_section(app: str, data: bytes, highlights: list[str], day: int = 1) -> bytes:
    """Bytes the Readwise plugin appends to a page holding `data`: a "New highlights added"
    section (in the page's template and line ending) with one item per highlight text."""
    obsidian = app == "obsidian"
    if not obsidian:
        lines = [f"- New highlights added [[Mar {day % 28 + 1}th, 2024]] at 9:15 AM"]
        lines += [f"\t- {text}" for text in highlights]
    elif b"### New highlights synced" in data:
        lines = ["### New highlights synced"] + [f"- {text}" for text in highlights]
    else:
        lines = ["", f"## New highlights added March {day % 28 + 1}, 2024 at 9:15 AM"]
        lines += [f"- {text}" for text in highlights]
    newline = "\r\n" if b"\r\n" in data else "\n"
    lead = b"" if not data or data.endswith(b"\n") else newline.encode()
    return lead + newline.join(lines).encode("utf-8") + newline.encode()


def fresh_highlight(marker: str, words: str = "the river") -> str:
    """A highlight whose text carries `marker` (once), linked as Reader links a highlight."""
    reader_id = hashlib.sha256(marker.encode()).hexdigest()[:26]
    link = f"([View Highlight](https://read.readwise.io/read/{reader_id}))"
    return f"A fresh highlight {marker} about {words} {link}"
