"""Write a deterministic benchmark vault: Readwise pages with real defect rates among other notes.

    python bench/generate.py OUT_DIR --kind logseq --readwise 10000 --ordinary 40000 --seed 1

The same arguments always give the same files, byte for byte. See bench/README.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "daemon"):  # tests.pagegen, and the vaultsync it imports
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.pagegen import (  # noqa: E402  (needs the repo root on sys.path first)
    Author,
    GeneratedPage,
    logseq_page_with_truth,
    obsidian_page_with_truth,
    ordinary_note,
    random_author,
    random_title,
)

# Kinds of Readwise pages and how often each occurs (a "Tweets From" collection per author).
READWISE_KINDS = ("tweets", "books", "articles", "tweets_from")
READWISE_WEIGHTS = (3, 3, 4, 0.5)
LOGSEQ_NOTE_KINDS = ("outline", "markdown", "highlights", "properties", "reading_list")
LOGSEQ_NOTE_WEIGHTS = (4, 3, 1, 1, 1)
OBSIDIAN_NOTE_KINDS = ("markdown", "frontmatter", "highlights", "reading_list", "outline")
OBSIDIAN_NOTE_WEIGHTS = (4, 3, 1, 1, 1)
OBSIDIAN_AREAS = ("Work", "Reading", "Projects", "Health", "Writing", "Ideas", "Archive", "Home")
OBSIDIAN_FOLDER = {"tweets": "Tweets", "books": "Books", "articles": "Articles"}
JOURNAL_SHARE = 0.3  # of the ordinary notes
PROLIFIC_SHARE = 0.15  # of the Readwise pages, written by a few authors with many pages
LOGSEQ_CONFIG = "{:file/name-format :triple-lowbar}\n"
OBSIDIAN_APP = '{\n  "alwaysUpdateLinks": true,\n  "newFileLocation": "folder"\n}\n'
LAST_JOURNAL = date(2025, 6, 30)

# Logseq's :triple-lowbar file names (guides/readwise-formats.md)
_PERCENT = {c: f"%{ord(c):02X}" for c in ':*?"<>|#\\'}
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)
}
_OBSIDIAN_FORBIDDEN = str.maketrans({c: None for c in '*"\\<>:|?#^[]'} | {"/": "-"})


@dataclass(frozen=True)
class Rates:
    """Share of Readwise pages given each defect or quirk."""

    repeats: float = 0.01
    disorder: float = 0.02
    extra_sections: float = 0.05
    mojibake: float = 0.005
    user_blocks: float = 0.03
    ids: float = 0.02
    crlf: float = 0.0
    bom: float = 0.0
    no_final_newline: float = 0.3  # Logseq often saves without one (the thread sample)
    custom_template: float = 0.5  # Obsidian: share of pages in the customised template


def logseq_file_stem(page_name: str) -> str:
    """The file stem Logseq (:triple-lowbar) gives a page name."""
    stem = page_name.replace("___", "%5F%5F%5F")
    stem = "".join(_PERCENT.get(c, c) for c in stem).replace("/", "___")
    if stem.startswith("."):
        stem = "%2E" + stem[1:]
    if stem.upper() in _WINDOWS_RESERVED:
        stem += "___"
    return stem


def obsidian_file_stem(title: str) -> str:
    """A file stem without the characters Windows or Obsidian links cannot hold."""
    return " ".join(title.translate(_OBSIDIAN_FORBIDDEN).split()) or "Untitled"


class _Writer:
    """Writes files under one root, creating folders once; no fsync (a benchmark fixture)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folders: set[Path] = set()
        self.names: set[str] = set()  # lower-cased stems already used (names match that way)
        self.count = 0

    def unique(self, stem: str) -> str:
        candidate, n = stem, 1
        while candidate.lower() in self.names:
            n += 1
            candidate = f"{stem} {n}"
        self.names.add(candidate.lower())
        return candidate

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        folder = path.parent
        if folder not in self.folders:
            folder.mkdir(parents=True, exist_ok=True)
            self.folders.add(folder)
        with open(path, "wb") as f:
            f.write(text.encode("utf-8"))
        self.count += 1


@dataclass
class _Tally:
    pages: int = 0
    repeats: int = 0
    disorder: int = 0
    extra_sections: int = 0
    mojibake: int = 0
    user_blocks: int = 0
    ids: int = 0

    def add(self, page: GeneratedPage) -> None:
        truth = page.truth
        self.pages += 1
        self.repeats += bool(truth.repeated)
        self.disorder += truth.disordered
        self.extra_sections += truth.sections > 1
        self.mojibake += any(h.mojibake for h in truth.highlights)
        self.user_blocks += bool(truth.user_blocks)
        self.ids += any(h.block_ids for h in truth.highlights) and truth.template != "custom"


def _authors(rng: random.Random, count: int) -> dict[str, list[Author]]:
    # a few prolific authors per kind of source share many pages
    return {
        "tweets": [random_author(rng, "tweets") for _ in range(count)],
        "books": [random_author(rng, "books") for _ in range(count)],
        "articles": [random_author(rng, "articles") for _ in range(count)],
    }


def _readwise_pages(
    kind: str, count: int, seed: int, rates: Rates, writer: _Writer
) -> tuple[_Tally, list[str]]:
    """Write the Readwise pages; returns the tally and the prolific authors' page names."""
    master = random.Random(f"readwise:{seed}")
    pool = _authors(master, max(3, count // 200))
    tweets_from_done: set[str] = set()
    tally = _Tally()
    for _ in range(count):
        source = master.choices(READWISE_KINDS, weights=READWISE_WEIGHTS)[0]
        family = "tweets" if source == "tweets_from" else source
        author = master.choice(pool[family]) if master.random() < PROLIFIC_SHARE else None
        if source == "tweets_from" and author is not None:
            if author.handle in tweets_from_done:
                source = "tweets"  # one collection per author
            tweets_from_done.add(author.handle or "")
        extra = 0
        if master.random() < rates.extra_sections:
            extra = master.choice((1, 1, 1, 2, 3))
        knobs = dict(
            kind=source,
            author=author,
            repeats=master.random() < rates.repeats,
            shuffle=master.random() < rates.disorder,
            extra_sections=extra,
            mojibake=master.random() < rates.mojibake,
            user_blocks=master.random() < rates.user_blocks,
            ids=master.random() < rates.ids,
            crlf=master.random() < rates.crlf,
            bom=master.random() < rates.bom,
        )
        no_final_newline = master.random() < rates.no_final_newline
        custom = master.random() < rates.custom_template
        page_seed = master.getrandbits(64)
        for attempt in range(50):
            rng = random.Random(page_seed + attempt)
            if kind == "logseq":
                page = logseq_page_with_truth(rng, no_final_newline=no_final_newline, **knobs)
                stem = logseq_file_stem(page.truth.page_name)
                folder = "pages"
            else:
                template = "custom" if custom else "default"
                page = obsidian_page_with_truth(rng, template=template, **knobs)
                stem = obsidian_file_stem(page.truth.title)
                folder = f"Readwise/{OBSIDIAN_FOLDER[page.truth.category]}"
            if stem.lower() not in writer.names:
                break
        stem = writer.unique(stem)
        writer.write(f"{folder}/{stem}.md", page.text)
        tally.add(page)
    names = sorted(
        {
            a.name if a.handle is None else f"@{a.handle} on Twitter"
            for v in pool.values()
            for a in v
        }
    )
    return tally, names


def _journal_dates(count: int) -> list[date]:
    return [LAST_JOURNAL - timedelta(days=i) for i in range(count)]


def _logseq_notes(count: int, seed: int, authors: Sequence[str], writer: _Writer) -> None:
    rng = random.Random(f"ordinary:{seed}")
    journals = int(count * JOURNAL_SHARE)
    for day in _journal_dates(journals):
        writer.write(f"journals/{day:%Y_%m_%d}.md", ordinary_note(rng, "journal"))
    people = [a for a in authors[: max(0, min(len(authors), (count - journals) // 10))]]
    for name in people:  # author pages for some of the prolific authors
        stem = writer.unique(logseq_file_stem(name))
        writer.write(f"pages/{stem}.md", ordinary_note(rng, "outline"))
    for _ in range(count - journals - len(people)):
        note_kind = rng.choices(LOGSEQ_NOTE_KINDS, weights=LOGSEQ_NOTE_WEIGHTS)[0]
        stem = writer.unique(logseq_file_stem(random_title(rng)))
        writer.write(f"pages/{stem}.md", ordinary_note(rng, note_kind))


def _obsidian_notes(count: int, seed: int, authors: Sequence[str], writer: _Writer) -> None:
    rng = random.Random(f"ordinary:{seed}")
    journals = int(count * JOURNAL_SHARE)
    for day in _journal_dates(journals):
        writer.write(f"Daily/{day:%Y}/{day:%Y-%m-%d}.md", ordinary_note(rng, "journal"))
    people = [a for a in authors[: max(0, min(len(authors), (count - journals) // 10))]]
    for name in people:
        stem = writer.unique(obsidian_file_stem(name))
        writer.write(f"People/{stem}.md", ordinary_note(rng, "markdown"))
    for _ in range(count - journals - len(people)):
        note_kind = rng.choices(OBSIDIAN_NOTE_KINDS, weights=OBSIDIAN_NOTE_WEIGHTS)[0]
        area = rng.choice(OBSIDIAN_AREAS)
        depth = rng.randint(0, 2)
        folders = [area] + [obsidian_file_stem(random_title(rng)) for _ in range(depth)]
        stem = writer.unique(obsidian_file_stem(random_title(rng)))
        writer.write("/".join([*folders, f"{stem}.md"]), ordinary_note(rng, note_kind))


def _sync_log(seed: int, count: int) -> str:
    # Readwise's Obsidian plugin appends to this log on each sync: not a source page
    rng = random.Random(f"synclog:{seed}")
    lines = []
    day = date(2023, 1, 1)
    for _ in range(min(50, max(1, count // 50))):
        day += timedelta(days=rng.randint(1, 20))
        lines.append(f"- {day:%B} {day.day}, {day.year}: synced {rng.randint(1, 60)} highlights")
    return "\n".join(lines) + "\n"


def generate(out: Path, *, kind: str, readwise: int, ordinary: int, seed: int, rates: Rates) -> str:
    """Write the vault under `out` (which must be empty or missing); returns a summary line."""
    started = time.perf_counter()
    writer = _Writer(out)
    if kind == "logseq":
        writer.write("logseq/config.edn", LOGSEQ_CONFIG)
    else:
        writer.write(".obsidian/app.json", OBSIDIAN_APP)
        writer.write("Readwise/Readwise Syncs.md", _sync_log(seed, readwise))
    extra_files = writer.count
    tally, authors = _readwise_pages(kind, readwise, seed, rates, writer)
    if kind == "logseq":
        _logseq_notes(ordinary, seed, authors, writer)
    else:
        _obsidian_notes(ordinary, seed, authors, writer)
    seconds = time.perf_counter() - started
    return (
        f"{kind} vault {out}: {writer.count} files ({tally.pages} Readwise pages, "
        f"{writer.count - tally.pages - extra_files} other notes, {extra_files} app files) "
        f"in {seconds:.1f} s; pages with repeats {tally.repeats}, out of order {tally.disorder}, "
        f"extra sections {tally.extra_sections}, mojibake {tally.mojibake}, "
        f"user blocks {tally.user_blocks}, block ids {tally.ids}"
    )


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1 (0.01 = 1 %)")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _parser() -> argparse.ArgumentParser:
    defaults = Rates()
    p = argparse.ArgumentParser(
        prog="bench/generate.py",
        description="Write a deterministic benchmark vault of Readwise pages and ordinary notes.",
    )
    p.add_argument("out", type=Path, metavar="OUT_DIR", help="folder to create (must be empty)")
    p.add_argument("--kind", choices=("logseq", "obsidian"), default="logseq")
    p.add_argument("--readwise", type=_count, default=10_000, help="Readwise pages (10000)")
    p.add_argument("--ordinary", type=_count, default=40_000, help="other notes (40000)")
    p.add_argument("--seed", type=int, default=1, help="same seed, same files (1)")
    shares = p.add_argument_group("shares of Readwise pages (0.01 = 1 %)")
    for name in Rates.__dataclass_fields__:
        flag = "--" + name.replace("_", "-") + "-rate"
        default = getattr(defaults, name)
        shares.add_argument(flag, dest=name, type=_rate, default=default, help=f"({default})")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, refuse a non-empty OUT_DIR, write the vault, print one summary line."""
    parser = _parser()
    args = parser.parse_args(argv)
    out: Path = args.out
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        parser.exit(2, f"error: {out} exists and is not an empty folder; pick a new OUT_DIR\n")
    rates = Rates(**{name: getattr(args, name) for name in Rates.__dataclass_fields__})
    try:
        summary = generate(
            out,
            kind=args.kind,
            readwise=args.readwise,
            ordinary=args.ordinary,
            seed=args.seed,
            rates=rates,
        )
    except OSError as err:
        parser.exit(1, f"error: could not write the vault: {err}\n")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
