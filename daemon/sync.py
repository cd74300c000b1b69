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

from daemon.core import authors as author_pages
from daemon.core.highlights import WIKILINK, is_highlight
from daemon.core.logseq import LOGSEQ_PROPERTY
from daemon.core.normalize import Normalized, PageContext, Rules, Stats, normalize_page
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
    ensure_folder,
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
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)

    @property
    def any_change(self) -> bool:
        return bool(self.changed or self.authors_created or self.authors_updated)


@dataclass
class _Source:
    path: Path
    snapshot: Snapshot


@dataclass
class _VaultIndex:
    """What phase 1 learns about every page: names (for author pages) and block references."""

    names: dict[str, Path] = field(default_factory=dict)  # casefolded page/note name → file
    referenced_ids: set[str] = field(default_factory=set)
    managed: dict[Path, Snapshot] = field(default_factory=dict)  # author pages we manage
    candidates: list[_Source] = field(default_factory=list)


def _logseq_names(path: Path, data: bytes) -> list[str]:
    """Names a Logseq page answers to: its decoded file name, `title::`, `alias::` values."""
    names = [author_pages.logseq_page_name(path.stem)]
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
            names.append(value.strip())
        elif key == "alias":
            for part in value.split(","):
                part = WIKILINK.sub(lambda x: x.group(1), part).strip()
                if part:
                    names.append(part)
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
        for name in _logseq_names(path, data):
            index.names.setdefault(name.casefold(), path)
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


def _author_link_maker(vault: Vault) -> Callable[[str], str | None]:
    if vault.kind == "obsidian":
        return author_pages.obsidian_link
    return lambda name: f"[[{name.strip()}]]"


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
        context = PageContext(referenced_ids=referenced, author_link=_author_link_maker(vault))
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


def _page_link(vault: Vault, path: Path, meta: dict[str, str]) -> str:
    if vault.kind == "logseq":
        return meta.get("title") or author_pages.logseq_page_name(path.stem)
    return path.stem


def _page_source(
    vault: Vault, path: Path, result: Normalized
) -> tuple[str, str, author_pages.Source] | None:
    """(author key, author name, the page as its author page lists it), when it names an author."""
    page = result.page
    if page is None:
        return None
    target = author_pages.link_target(page.meta.get("author", ""))
    if not target:
        return None
    count = sum(1 for s in page.sections for i in s.items if is_highlight(i, page.kind))
    source = author_pages.Source(
        link=_page_link(vault, path, page.meta),
        category=page.meta.get("category", "").lstrip("#"),
        highlights=count,
    )
    return target.casefold(), target, source


class VaultSession:
    """A vault kept clean over time: the full pass, and incremental passes for changed paths.

    It remembers what the last passes learned (page names, managed author pages, which page
    names which author), so a single changed page costs one page, not a walk of the vault.
    """

    def __init__(
        self, vault: Vault, options: PassOptions | None = None, guard: VaultGuard | None = None
    ) -> None:
        self.vault = vault
        self.options = options or PassOptions()
        self.guard = guard or VaultGuard([vault.root])
        self.index = _VaultIndex()
        self.sources: dict[Path, tuple[str, str, author_pages.Source]] = {}
        self.written: dict[Path, bytes] = {}  # what we last wrote, for the daemon's echo check

    def full_pass(self, progress: Callable[[], None] | None = None) -> PassReport:
        """Every page read; every Readwise page cleaned; every author page brought up to date."""
        report = PassReport(vault=self.vault, mode=self.options.mode)
        if self.options.mode == "write":
            cleanup_temp_files(self.vault.root)
        self.index = _index(self.vault, report, progress)
        self.sources = {}
        for source in self.index.candidates:
            self._clean(source, report)
        self.index.candidates = []
        if self.options.author_pages:
            self._sync_authors(None, report)
        return report

    def update(self, changed: Iterable[Path], deleted: Iterable[Path] = ()) -> PassReport:
        """Process the paths an event named: changed pages cleaned, deleted ones forgotten, the
        author pages they touch refreshed."""
        report = PassReport(vault=self.vault, mode=self.options.mode)
        affected: set[str] = set()
        for path in deleted:
            affected |= self._forget(path)
        for path in changed:
            affected |= self._forget(path)
            try:
                snap = read_page(path)
            except PageVanished:
                continue
            except VaultsyncError as err:
                report.skipped.append((path, _reason(err, path)))
                continue
            report.scanned += 1
            kind = _learn(self.vault, self.index, path, snap)
            if kind == "candidate":
                entry = self._clean(_Source(path, snap), report)
                if entry:
                    affected.add(entry[0])
        self.index.candidates = []
        if self.options.author_pages and affected:
            self._sync_authors(affected, report)
        return report

    def _forget(self, path: Path) -> set[str]:
        for name in [n for n, p in self.index.names.items() if p == path]:
            del self.index.names[name]
        self.index.managed.pop(path, None)
        old = self.sources.pop(path, None)
        return {old[0]} if old else set()

    def _clean(
        self, source: _Source, report: PassReport
    ) -> tuple[str, str, author_pages.Source] | None:
        referenced = frozenset(self.index.referenced_ids)
        result = clean_page(self.vault, source, self.options, self.guard, referenced, report)
        if result is None or not result.is_readwise:
            return None
        report.readwise += 1
        if result.changed:
            report.changed.append(source.path)
            report.stats.add(result.stats)
            if self.options.mode == "write":
                self.written[source.path] = result.text.encode("utf-8")
        entry = _page_source(self.vault, source.path, result)
        if entry:
            self.sources[source.path] = entry
        return entry

    def _sync_authors(self, keys: set[str] | None, report: PassReport) -> None:
        by_author: dict[str, tuple[str, list[author_pages.Source]]] = {}
        for key, name, source in self.sources.values():
            if keys is None or key in keys:
                by_author.setdefault(key, (name, []))[1].append(source)
        if keys is not None:
            for key in keys - by_author.keys():
                by_author[key] = (key, [])
        _sync_author_pages(
            self.vault, self.index, by_author, self.options, self.guard, report, full=keys is None
        )


def run_pass(
    vault: Vault,
    options: PassOptions | None = None,
    guard: VaultGuard | None = None,
    progress: Callable[[], None] | None = None,
) -> PassReport:
    """One full pass over a vault: Readwise pages cleaned, author pages kept up to date."""
    return VaultSession(vault, options, guard).full_pass(progress)


def _sync_author_pages(
    vault: Vault,
    index: _VaultIndex,
    by_author: dict[str, tuple[str, list[author_pages.Source]]],
    options: PassOptions,
    guard: VaultGuard,
    report: PassReport,
    full: bool = True,
) -> None:
    """Create missing author pages; refresh the managed region of the ones we manage. With
    `full`, managed pages no source names any more are emptied too."""
    handled: set[Path] = set()
    for key, (name, sources) in sorted(by_author.items()):
        existing = index.names.get(key)
        if existing is not None:
            if existing in index.managed:
                handled.add(existing)
                snap = index.managed[existing]
                _update_author_page(vault, existing, snap, sources, options, guard, report, index)
            continue  # a page the user owns: Logseq and Obsidian already show its backlinks
        if not sources:
            continue
        try:
            path, text = _new_author_page(vault, name, sources, options)
        except author_pages.UnsafeName as err:
            report.skipped.append((vault.root, f"author page for {name[:80]!r} not created: {err}"))
            continue
        if path.exists():
            continue
        if options.want_diff:
            report.diffs.append(_diff(path, vault.root, "", text))
        if options.mode == "write":
            try:
                ensure_folder(guard, path.parent)
                write_atomic(guard, None, path, text.encode("utf-8"))
                index.managed[path] = read_page(path)
            except VaultsyncError as err:
                report.failed.append((path, _reason(err, path)))
                continue
        report.authors_created.append(path)
        index.names[key] = path
        handled.add(path)  # just written with its sources: not a page no source names
    if full:
        for path, snap in sorted(index.managed.items()):
            if path not in handled:
                _update_author_page(vault, path, snap, [], options, guard, report, index)


def _new_author_page(
    vault: Vault, name: str, sources: list[author_pages.Source], options: PassOptions
) -> tuple[Path, str]:
    if vault.kind == "logseq":
        stem = author_pages.logseq_file_stem(name)
        with_title = (
            vault.name_format != "triple-lowbar" or author_pages.logseq_page_name(stem) != name
        )
        text = author_pages.logseq_author_page(name, sources, with_title)
        return vault.root / vault.pages_dir / f"{stem}.md", text
    stem = author_pages.obsidian_file_stem(name)
    text = author_pages.obsidian_author_note(name, sources)
    return vault.root / options.authors_folder / f"{stem}.md", text


def _update_author_page(
    vault: Vault,
    path: Path,
    snap: Snapshot,
    sources: Iterable[author_pages.Source],
    options: PassOptions,
    guard: VaultGuard,
    report: PassReport,
    index: _VaultIndex | None = None,
) -> None:
    try:
        snap = read_page(path)  # fresh: the stored snapshot may predate our own last write
        text = decode(snap.data)
    except PageVanished:
        if index is not None:
            index.managed.pop(path, None)
        return
    except VaultsyncError as err:
        report.skipped.append((path, _reason(err, path)))
        return
    except NotUtf8 as err:
        report.skipped.append((path, str(err)))
        return
    update = (
        author_pages.update_logseq_author_page
        if vault.kind == "logseq"
        else author_pages.update_obsidian_author_note
    )
    new = update(text, list(sources))
    if new is None or new == text:
        return
    if options.want_diff:
        report.diffs.append(_diff(path, vault.root, text, new))
    if options.mode == "write":
        try:
            write_atomic(guard, snap, path, new.encode("utf-8"))
        except VaultsyncError as err:
            report.failed.append((path, _reason(err, path)))
            return
    report.authors_updated.append(path)
