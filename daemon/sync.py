"""One pass over a vault: read → normalize → check → write, then the author pages.

The same code serves `resync`, `check`, the demo, and the daemon's start-up, event and reconcile
passes. Every file operation goes through daemon.writer; the core stays pure.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from daemon.authorsync import author_maker, page_facts, sync_author_pages
from daemon.core import authors as author_pages
from daemon.core.identity import AuthorPlan, PageAuthor, name_key, plan_authors
from daemon.core.logseq import LOGSEQ_PROPERTY
from daemon.core.normalize import (
    Normalized,
    PageContext,
    Rules,
    Stats,
    is_readwise_page,
    normalize_page,
    parse,
)
from daemon.core.text import NotUtf8, body, decode, split_lines
from daemon.errors import (
    ChangedSinceRead,
    LossCheckFailed,
    PageVanished,
    VaultsyncError,
)
from daemon.ignore import walk_vault
from daemon.vault import Vault
from daemon.writer import (
    Snapshot,
    VaultGuard,
    cleanup_temp_files,
    read_page,
    write_atomic,
)

Mode = Literal["write", "dry-run", "check"]

# Bytes that only Readwise pages (and our author pages) hold: everything else is skipped unparsed.
CANDIDATE = re.compile(
    rb"\(\[(?:View Tweet|View Highlight|View Post|Location \d|Page \d)|\[Open in Readwise\]"
)
MANAGED = re.compile(
    re.escape(author_pages.LOGSEQ_MARKER.encode())
    + rb"|"
    + re.escape(author_pages.OBSIDIAN_BEGIN.encode())
)
BLOCK_REF = re.compile(r"\[\[[^\]|#]*#\^([A-Za-z0-9-]+)")
WRITE_ATTEMPTS = 3


@dataclass
class PassOptions:
    """How a pass runs."""

    mode: Mode = "write"
    rules: Rules = field(default_factory=Rules)
    author_pages: bool = True
    authors_folder: str = "Readwise/Authors"
    want_diff: bool = False
    history: object | None = None  # daemon.history.History, when versions are kept
    state_dir: Path | None = None  # where locks live (None: the default state folder)
    split_authors: bool = False  # "A, B, and C" → one link per author
    author_aliases: dict[str, str] = field(default_factory=dict)  # name → canonical author


@dataclass
class PassReport:
    """What a pass found and did; the CLI prints it as the summary."""

    vault: Vault
    mode: Mode = "write"
    scanned: int = 0
    readwise: int = 0
    changed: list[Path] = field(default_factory=list)  # rewritten (or would be)
    stats: Stats = field(default_factory=Stats)
    authors_created: list[Path] = field(default_factory=list)
    authors_updated: list[Path] = field(default_factory=list)
    authors_merged: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)

    @property
    def any_change(self) -> bool:
        return bool(
            self.changed or self.authors_created or self.authors_updated or self.authors_merged
        )


@dataclass
class _Source:
    path: Path
    snapshot: Snapshot


@dataclass
class _VaultIndex:
    """What phase 1 learns about every page: names (for author pages) and block references."""

    names: dict[str, Path] = field(default_factory=dict)  # casefolded page/note name → file
    alias_names: set[str] = field(default_factory=set)  # keys of `names` that are aliases
    referenced_ids: set[str] = field(default_factory=set)
    managed: dict[Path, Snapshot] = field(default_factory=dict)  # author pages we manage
    candidates: list[_Source] = field(default_factory=list)

    def names_with_pages(self) -> list[str]:
        """Every page's own name (casefolded), aliases left out."""
        return [n for n in self.names if n not in self.alias_names]


def _logseq_names(path: Path, data: bytes) -> list[tuple[str, bool]]:
    """Names a Logseq page answers to, each with whether it is an alias: its decoded file
    name, `title::`, `alias::` values."""
    names = [(author_pages.logseq_page_name(path.stem), False)]
    head = data[:4096].decode("utf-8", errors="replace").lstrip("\ufeff")
    for line in split_lines(head):
        text = body(line)
        m = LOGSEQ_PROPERTY.match(text)
        if not m:
            if text.strip():
                break
            continue
        key, value = m.group(1).lower(), m.group(2)
        if key == "title":
            names.append((value.strip(), False))
        elif key == "alias":
            names += [(part, True) for part in author_pages.aliases_in(value)]
    return names


def _index(vault: Vault, report: PassReport, progress: Callable[[], None] | None) -> _VaultIndex:
    index = _VaultIndex()
    skipped_folders: list = []
    for path in walk_vault(vault.root, vault.path_filter, skipped_folders):
        if progress:
            progress()
        report.scanned += 1
        try:
            snap = read_page(path)
        except PageVanished:
            continue
        except VaultsyncError as err:
            report.skipped.append((path, _reason(err, path)))
            continue
        _learn(vault, index, path, snap)
    for folder in skipped_folders:
        report.skipped.append((folder.path, f"folder not read: {folder.reason}"))
    return index


def _learn(vault: Vault, index: _VaultIndex, path: Path, snap: Snapshot) -> str:
    """Record what one page tells the index; returns "managed", "candidate" or "other"."""
    data = snap.data
    if vault.kind == "logseq":
        for name, is_alias in _logseq_names(path, data):
            key = name.casefold()
            if key not in index.names:
                index.names[key] = path
                if is_alias:
                    index.alias_names.add(key)
    else:
        index.names.setdefault(path.stem.casefold(), path)
        if b"#^" in data:
            text = data.decode("utf-8", errors="replace")
            index.referenced_ids.update(m.group(1) for m in BLOCK_REF.finditer(text))
    if MANAGED.search(data):
        index.managed[path] = snap
        return "managed"
    if CANDIDATE.search(data):
        index.candidates.append(_Source(path, snap))
        return "candidate"
    return "other"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reason(err: Exception, path: Path) -> str:
    text = str(err)
    prefix = f"{path}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


def _diff(path: Path, root: Path, before: str, after: str) -> str:
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{rel}",
        tofile=f"b/{rel}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _write(
    guard: VaultGuard, snap: Snapshot | None, path: Path, data: bytes, options: PassOptions
) -> bool:
    return write_atomic(guard, snap, path, data, history=options.history)  # type: ignore[arg-type]


def clean_page(
    vault: Vault,
    source: _Source,
    options: PassOptions,
    guard: VaultGuard,
    referenced: frozenset[str],
    report: PassReport,
    author_link: Callable[[str], str | None] | None = None,
) -> Normalized | None:
    """Normalize one page and write it when it changed; retried when the page changes under us."""
    snap = source.snapshot
    history = options.history
    if history is not None and history.restored_hash(source.path.resolve()) == _sha256(snap.data):
        report.skipped.append(
            (source.path, "restored with `vaultsync undo`; left as it is until it changes again")
        )
        return None
    for attempt in range(WRITE_ATTEMPTS):
        try:
            text = decode(snap.data)
        except NotUtf8 as err:
            report.skipped.append((source.path, str(err)))
            return None
        context = PageContext(referenced_ids=referenced, author_link=author_link)
        result = normalize_page(text, vault.kind, options.rules, context)
        if not result.is_readwise or not result.changed:
            return result
        if result.losses:
            err = LossCheckFailed(source.path, result.losses)
            report.failed.append((source.path, _reason(err, source.path)))
            return None
        if options.want_diff:
            report.diffs.append(_diff(source.path, vault.root, text, result.text))
        if options.mode != "write":
            return result
        try:
            _write(guard, snap, source.path, result.text.encode("utf-8"), options)
            return result
        except ChangedSinceRead:
            if attempt + 1 == WRITE_ATTEMPTS:
                break
            try:
                snap = read_page(source.path)
            except PageVanished:
                return None
            except VaultsyncError as err:
                report.skipped.append((source.path, _reason(err, source.path)))
                return None
        except VaultsyncError as err:
            report.failed.append((source.path, _reason(err, source.path)))
            return None
    report.skipped.append(
        (
            source.path,
            "kept changing while being cleaned; left as it is, will retry on the next pass",
        )
    )
    return None


class VaultSession:
    """A vault kept clean over time: the full pass, and incremental passes for changed paths.

    It remembers what the last passes learned (page names, managed author pages, who wrote
    each Readwise page), so a single changed page costs one page, not a walk of the vault.
    """

    def __init__(
        self, vault: Vault, options: PassOptions | None = None, guard: VaultGuard | None = None
    ) -> None:
        self.vault = vault
        self.options = options or PassOptions()
        self.guard = guard or VaultGuard([vault.root])
        self.index = _VaultIndex()
        self.facts: dict[Path, PageAuthor] = {}  # Readwise page → what it says of its author
        self.plan = AuthorPlan({}, {})
        self.written: dict[Path, bytes] = {}  # what we last wrote, for the daemon's echo check

    def full_pass(self, progress: Callable[[], None] | None = None) -> PassReport:
        """Every page read; every Readwise page cleaned; every author page brought up to date."""
        report = PassReport(vault=self.vault, mode=self.options.mode)
        if self.options.mode == "write":
            cleanup_temp_files(self.vault.root)
        self.index = _index(self.vault, report, progress)
        self.facts = {}
        candidates, self.index.candidates = self.index.candidates, []
        for source in candidates:
            self._learn_author(source)
        self._replan()
        for source in candidates:
            self._clean(source, report)
        self._replan()  # counts and dates as the cleaned pages have them
        if self.options.author_pages:
            sync_author_pages(self.vault, self.index, self.plan, self.options, self.guard, report)
        return report

    def update(self, changed: Iterable[Path], deleted: Iterable[Path] = ()) -> PassReport:
        """Process the paths an event named: changed pages cleaned, deleted ones forgotten, the
        author pages they touch refreshed."""
        report = PassReport(vault=self.vault, mode=self.options.mode)
        before = self._author_keys(list(changed) + list(deleted))
        for path in deleted:
            self._forget(path)
        sources = []
        for path in changed:
            self._forget(path)
            try:
                snap = read_page(path)
            except PageVanished:
                continue
            except VaultsyncError as err:
                report.skipped.append((path, _reason(err, path)))
                continue
            report.scanned += 1
            if _learn(self.vault, self.index, path, snap) == "candidate":
                sources.append(_Source(path, snap))
        self.index.candidates = []
        for source in sources:
            self._learn_author(source)
        self._replan()
        for source in sources:
            self._clean(source, report)
        self._replan()
        affected = before | self._author_keys([s.path for s in sources])
        if self.options.author_pages and affected:
            sync_author_pages(
                self.vault, self.index, self.plan, self.options, self.guard, report, affected
            )
        return report

    def _author_keys(self, paths: Iterable[Path]) -> set[str]:
        keys = set()
        for path in paths:
            facts = self.facts.get(path)
            if facts:
                keys |= {name_key(self.plan.resolve(n)) for n in facts.names}
        return keys

    def _forget(self, path: Path) -> None:
        for name in [n for n, p in self.index.names.items() if p == path]:
            del self.index.names[name]
            self.index.alias_names.discard(name)
        self.index.managed.pop(path, None)
        self.facts.pop(path, None)

    def _learn_author(self, source: _Source) -> None:
        """Who wrote the page, read before any page is cleaned so links point at one page."""
        try:
            page = parse(decode(source.snapshot.data), self.vault.kind)
        except NotUtf8:
            return
        if is_readwise_page(page):
            facts = page_facts(self.vault, source.path, page, self.options.split_authors)
            if facts:
                self.facts[source.path] = facts

    def _replan(self) -> None:
        self.plan = plan_authors(
            self.facts.values(), self.options.author_aliases, self.index.names_with_pages()
        )

    def _clean(self, source: _Source, report: PassReport) -> None:
        referenced = frozenset(self.index.referenced_ids)
        maker = author_maker(self.vault.kind, self.plan, self.options.split_authors)
        result = clean_page(self.vault, source, self.options, self.guard, referenced, report, maker)
        if result is None or not result.is_readwise:
            return
        report.readwise += 1
        if result.page is not None:
            facts = page_facts(self.vault, source.path, result.page, self.options.split_authors)
            if facts:
                self.facts[source.path] = facts
        if result.changed:
            report.changed.append(source.path)
            report.stats.add(result.stats)
            if self.options.mode == "write":
                self.written[source.path] = result.text.encode("utf-8")


def run_pass(
    vault: Vault,
    options: PassOptions | None = None,
    guard: VaultGuard | None = None,
    progress: Callable[[], None] | None = None,
) -> PassReport:
    """One full pass over a vault: Readwise pages cleaned, author pages kept up to date."""
    return VaultSession(vault, options, guard).full_pass(progress)
