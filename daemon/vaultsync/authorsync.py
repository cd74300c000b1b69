"""Author pages: one per person, with the other names as aliases and a managed backlinks index.

The pure parts (identity, names, page texts) live in vaultsync.core.identity and
vaultsync.core.authors; this module decides which pages to create, update, merge or leave, and
does it through the writer. It never writes a page the user owns (one without the managed region).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.core import authors as author_pages
from vaultsync.core.highlights import highlight_key, is_highlight, location
from vaultsync.core.identity import (
    Author,
    AuthorPlan,
    PageAuthor,
    fold,
    name_key,
    newest_date,
    page_handle,
    split_names,
)
from vaultsync.core.model import Page
from vaultsync.core.text import NotUtf8, decode
from vaultsync.errors import ChangedSinceRead, PageVanished, VaultsyncError, page_reason
from vaultsync.history import held_after_undo
from vaultsync.render import unified_diff
from vaultsync.vault import Vault
from vaultsync.writer import (
    Snapshot,
    VaultGuard,
    WriteBatch,
    ensure_folder,
    read_page,
    remove_page,
    write_atomic,
)

if TYPE_CHECKING:
    from vaultsync.pipeline.index import VaultIndex
    from vaultsync.pipeline.report import PassOptions, PassReport

_LINKS = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]*))?\]\]")
_DATE_LINE = re.compile(r"^[ \t]*(?:[-*+][ \t]+)?Date::", re.IGNORECASE)


def page_link(vault: Vault, path: Path, meta: dict[str, str]) -> str:
    """How an author page links to a source: Logseq by page name, Obsidian by note name."""
    if vault.kind == "logseq":
        return meta.get("title") or author_pages.logseq_page_name(path.stem)
    return path.stem


def author_names(value: str, split: bool, whole: frozenset[str] = frozenset()) -> list[str]:
    """The names an author value gives: its link targets, or the plain text (split if asked,
    unless the config maps the whole value to an author: `Kahneman, Daniel` stays one)."""
    split = split and not _mapped_whole(value, whole)
    # `[[Target|Shown]]`: the shown text is the name the page gives (the target may be a safe
    # file name or the canonical note we pointed it at).
    targets = [(m.group(2) or m.group(1)).strip() for m in _LINKS.finditer(value)]
    several = _one_link_of_several(value) if split else None
    if several:
        return split_names(several)
    if targets:
        return targets
    value = value.strip()
    if not author_pages.plain_or_empty(value):
        return []
    return split_names(value) if split else [value]


def _mapped_whole(value: str, whole: frozenset[str]) -> bool:
    text = _LINKS.sub(lambda m: m.group(2) or m.group(1), value)
    return name_key(text) in whole


def _one_link_of_several(value: str) -> str | None:
    """`[[A, B, and C]]`, one link naming several people (how Readwise links them in Logseq):
    its text; None for anything else."""
    m = _LINKS.fullmatch(value.strip())
    shown = (m.group(2) or m.group(1)).strip() if m else ""
    return shown if len(split_names(shown)) > 1 else None


def page_facts(
    vault: Vault, path: Path, page: Page, split: bool, whole: frozenset[str] = frozenset()
) -> PageAuthor | None:
    """What a parsed Readwise page says about its author (None when it names none)."""
    names = author_names(page.meta.get("author", ""), split, whole)
    if not names:
        return None
    highlights = [i for s in page.sections for i in s.items if is_highlight(i, page.kind)]
    locs = [loc for loc in (location(i, page.kind) for i in highlights) if loc]
    tweet_urls = [loc.url for loc in locs if loc.status_id is not None]
    # The source URL names the author even when the highlights link Reader, not the tweets.
    handle = page_handle(page.meta.get("url", ""), tweet_urls)
    # Sync headings date a source; so do the `Date::` sub-items custom templates write (the
    # only dates an Obsidian page keeps once its "New highlights" sections are folded).
    # Only what a clean page still has counts (the first section's heading; later sync
    # headings are folded away), so the facts are the same before and after cleaning — and
    # the same whether or not this pass could write the page.
    first = next((s for s in page.sections if s.items), None)
    dated = list(first.head) if first else []
    dated += [
        line for i in highlights for sub in i.walk() for line in sub.lines if _DATE_LINE.match(line)
    ]
    heads = "\n".join(dated)
    return PageAuthor(
        names=tuple(names),
        handle=handle,
        link=page_link(vault, path, page.meta),
        category=page.meta.get("category", "").lstrip("#").strip(),
        highlights=len({highlight_key(i, page.kind) for i in highlights}),  # repeats once
        newest=newest_date(heads, [loc.status_id for loc in locs if loc.status_id]),
    )


def author_maker(
    kind: str, plan: AuthorPlan | None, split: bool, whole: frozenset[str] = frozenset()
) -> Callable[[str], str | None]:
    """The author rule's rewrite: plain text becomes links; in Obsidian, a link to another name
    of a person points at the canonical note and keeps showing the name the page used (Logseq
    resolves `alias::` itself, so its links keep their text)."""

    def obsidian_target(name: str) -> str | None:
        canonical = plan.resolve(name) if plan else name
        try:
            return author_pages.obsidian_file_stem(canonical)
        except author_pages.UnsafeName:
            return None

    def link(name: str) -> str | None:
        if kind == "logseq":
            try:
                author_pages.logseq_file_stem(name)
            except author_pages.UnsafeName:
                return None  # no page can carry that name: leave the text as it is
            return f"[[{name}]]"
        stem = obsidian_target(name)
        if stem is None:
            return None
        return f"[[{stem}]]" if stem == name else f"[[{stem}|{name}]]"

    def make(value: str) -> str | None:
        split_here = split and not _mapped_whole(value, whole)
        several = _one_link_of_several(value) if split_here else None
        if several:
            value = several  # then linked name by name, as plain text is
        elif _LINKS.search(value):
            if kind == "logseq":
                return None

            def relink(m: re.Match[str]) -> str:
                shown = (m.group(2) or m.group(1)).strip()
                stem = obsidian_target(m.group(1).strip())
                if stem is None:
                    return m.group(0)
                return f"[[{stem}]]" if stem == shown else f"[[{stem}|{shown}]]"

            return _LINKS.sub(relink, value)
        if not author_pages.plain_or_empty(value) or not value.strip():
            return None
        names = split_names(value) if split_here else [value.strip()]
        out, pos = [], 0
        for name in names:
            at = value.find(name, pos)
            new = link(name)
            if at < 0 or new is None:
                return None
            out += [value[pos:at], new]
            pos = at + len(name)
        return "".join(out) + value[pos:]

    return make


def _sources(author: Author) -> list[author_pages.Source]:
    return [author_pages.Source(s.link, s.category, s.highlights, s.newest) for s in author.sources]


def sync_author_pages(
    vault: Vault,
    index: VaultIndex,
    plan: AuthorPlan,
    options: PassOptions,
    guard: VaultGuard,
    report: PassReport,
    only: set[str] | None = None,
    *,
    batch: WriteBatch | None = None,
) -> bool:
    """Create, update and merge author pages for the plan's authors (those whose key is in
    `only`, or all). Managed pages that no source names any more (of those keys, or all) are
    emptied. False when a page was left uncreated for a reason the report does not show (a file
    of its name appeared since the walk, or lies outside it): the vault is not settled.
    `batch`: the pages are written through it (a full pass), and it is committed before this
    returns."""
    try:
        return _sync_all(vault, index, plan, options, guard, report, only, batch)
    except BaseException:
        if batch is not None:
            batch.abort()
        raise
    finally:
        if batch is not None:
            batch.finish()


def _sync_all(
    vault: Vault,
    index: VaultIndex,
    plan: AuthorPlan,
    options: PassOptions,
    guard: VaultGuard,
    report: PassReport,
    only: set[str] | None,
    batch: WriteBatch | None,
) -> bool:
    handled: set[Path] = set()
    blocked: list[Path] = []
    for key, author in sorted(plan.authors.items()):
        if only is not None and key not in only:
            continue
        handled |= _sync_one(vault, index, author, options, guard, report, blocked, batch)
        if batch is not None and batch.full:
            batch.commit()
    if only is None:
        orphans = set(index.managed)
    else:
        # An author whose last source went is no longer in the plan: find their page by its
        # own name (an alias may be another page's).
        keys = (page_key(vault, key) for key in only - set(plan.authors))
        orphans = {index.names[k] for k in keys if k in index.names and k not in index.alias_names}
        orphans &= set(index.managed)
    for path in sorted(orphans - handled):
        _update(vault, index, path, [], [], _Merged(), options, guard, report, batch)
        if batch is not None and batch.full:
            batch.commit()
    return not blocked


def _sync_one(
    vault: Vault,
    index: VaultIndex,
    author: Author,
    options: PassOptions,
    guard: VaultGuard,
    report: PassReport,
    blocked: list[Path],
    batch: WriteBatch | None = None,
) -> set[Path]:
    key = page_key(vault, author.name)
    path = index.names.get(key) if key else None
    merge: list[tuple[str, Path]] = []
    if path is not None and path in index.managed and key in index.alias_names:
        # Found only as an alias of a page we made for an earlier canonical name (the config
        # mapping changed): that page is merged into a new page of the canonical name.
        merge.append((author.name, path))
        path = None
    if path is not None and path not in index.managed:
        return set()  # a page the user owns: Logseq and Obsidian show its backlinks already
    # Other names of this person that have a page: ours are merged in, the user's stay and are
    # not claimed as aliases (two pages may not answer to one name).
    aliases: list[str] = []
    for alias in sorted(author.aliases, key=str.casefold):
        alias_key = page_key(vault, alias)
        other = index.names.get(alias_key) if alias_key else None
        if other is None or other == path:
            aliases.append(alias)
        elif other in index.managed:
            if all(other != m for _a, m in merge):
                merge.append((alias, other))
            aliases.append(alias)
    merged = _read_merged(vault, merge, report)
    if merged.snapshots:
        # The merged pages are removed once the new one is in place: written now, not batched.
        batch = None
    # The names the merged pages answered to stay names of this person (the user may have
    # added some), unless another page answers to one.
    known = {name_key(a) for a in aliases} | {name_key(author.name)}
    merging = {old for _a, old in merge}
    for alias in merged.aliases:
        alias_key = page_key(vault, alias)
        other = index.names.get(alias_key) if alias_key else None
        if name_key(alias) not in known and (other is None or other == path or other in merging):
            aliases.append(alias)
            known.add(name_key(alias))
    sources = _sources(author)
    if path is None:
        if not sources:
            return set()
        path = _create(
            vault, index, author, sources, aliases, merged, options, guard, report, blocked, batch
        )
        if path is None:
            return set()
    elif not _update(vault, index, path, sources, aliases, merged, options, guard, report, batch):
        return {path} | {old for _a, old in merge}  # not merged: the old pages stay as they are
    # Removed only as read: a page changed since it was merged waits for the next pass.
    for snap in merged.snapshots:
        _remove(vault, index, snap, options, guard, report)
    return {path} | {old for _a, old in merge}


def page_key(vault: Vault, name: str) -> str | None:
    """How the index knows the page of a name: Logseq by page name, Obsidian by note name
    (fold(): NFC and casefolded, as vaultsync.sync's index keys them; white space is part of
    a Logseq name)."""
    if vault.kind == "logseq":
        return fold(name.strip())
    try:
        return fold(author_pages.obsidian_file_stem(name))
    except author_pages.UnsafeName:
        return None


@dataclass
class _Merged:
    """The user's own text on author pages about to be merged into the canonical one, and the
    pages as read (removed once the canonical page holds their text)."""

    text: str = ""
    snapshots: list[Snapshot] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)  # the names they listed as aliases
    front: list[str] = field(default_factory=list)  # Obsidian: their other frontmatter entries


def _read_merged(vault: Vault, merge: list[tuple[str, Path]], report: PassReport) -> _Merged:
    merged = _Merged()
    parts = []
    for alias, old in merge:
        try:
            snap = read_page(old)
            text = decode(snap.data)
        except PageVanished:
            continue
        except (VaultsyncError, NotUtf8) as err:
            # Unreadable: not merged, so never removed (its text would be lost).
            reason = page_reason(err, old)
            report.skipped.append((old, f"not merged into another author page: {reason}"))
            continue
        mine = author_pages.user_text(vault.kind, text, alias)
        if mine:
            parts.append(mine)
        merged.snapshots.append(snap)
        merged.aliases += author_pages.page_aliases(vault.kind, text)
        if vault.kind == "obsidian":
            merged.front += author_pages.frontmatter_entries(text)
    merged.text = "\n".join(parts)
    return merged


def _with_extra(kind: str, text: str, merged: _Merged) -> str:
    """The canonical page's text with what the merged pages held of the user's."""
    extra = merged.text
    if kind == "obsidian" and merged.front:
        text, clash = author_pages.add_frontmatter_entries(text, merged.front)
        if clash:
            # The key is there with another value: kept below the note's text instead.
            block = "```yaml\n" + "".join(e if e.endswith("\n") else e + "\n" for e in clash)
            extra = "\n".join(filter(None, [block + "```", extra]))
    if not extra or extra in text:
        return text  # (already there: a merge retried after the old page could not be removed)
    sep = "" if text.endswith("\n") else "\n"
    if kind == "obsidian" and not text.endswith("\n\n"):
        sep += "\n"  # a paragraph of its own, not glued to the region's end marker
    return f"{text}{sep}{extra}\n"


def _create(
    vault: Vault,
    index: VaultIndex,
    author: Author,
    sources: list[author_pages.Source],
    aliases: list[str],
    merged: _Merged,
    options: PassOptions,
    guard: VaultGuard,
    report: PassReport,
    blocked: list[Path],
    batch: WriteBatch | None = None,
) -> Path | None:
    name = author.name
    try:
        if vault.kind == "logseq":
            stem = author_pages.logseq_file_stem(name)
            with_title = (
                vault.name_format != "triple-lowbar" or author_pages.logseq_page_name(stem) != name
            )
            text = author_pages.logseq_author_page(name, sources, with_title, aliases)
            path = vault.root / vault.pages_dir / f"{stem}.md"
        else:
            stem = author_pages.obsidian_file_stem(name)
            text = author_pages.obsidian_author_note(name, sources, aliases)
            path = vault.root / options.authors_folder / f"{stem}.md"
    except author_pages.UnsafeName as err:
        named_by = ", ".join(sorted({src.link for src in author.sources})[:3])
        report.skipped.append(
            (vault.root, f"author page for {name[:80]!r} (named by {named_by}) not created: {err}")
        )
        return None
    text = _with_extra(vault.kind, text, merged)
    dangling = _dangling_link(vault, path)
    if dangling is not None:
        _report_dangling(dangling, name, report)
        blocked.append(path)
        return None
    if path.exists() or (batch is not None and batch.holds(path)):
        blocked.append(path)
        return None  # a file of that name appeared since the walk; the next pass will see it
    if options.want_diff:
        report.diffs.append(unified_diff(path, vault.root, "", text, new=True))
    key = page_key(vault, name)
    if options.mode == "write":
        try:
            ensure_folder(guard, path.parent)
            if batch is None:
                write_atomic(guard, None, path, text.encode("utf-8"))
                index.managed[path] = read_page(path)
            else:
                done = _created(index, path, key, report)
                batch.add(None, path, text.encode("utf-8"), done, history=False)
        except VaultsyncError as err:
            report.failed.append((path, page_reason(err, path)))
            return None
    report.authors_created.append(path)
    if key:
        index.names[key] = path
    return path


def _created(
    index: VaultIndex, path: Path, key: str | None, report: PassReport
) -> Callable[[VaultsyncError | None], None]:
    """What follows a batched creation: the page known as ours, or (it failed) forgotten."""

    def done(err: VaultsyncError | None) -> None:
        if err is None:
            try:
                index.managed[path] = read_page(path)
                return
            except VaultsyncError as read_err:
                err = read_err
        report.failed.append((path, page_reason(err, path)))
        if path in report.authors_created:
            report.authors_created.remove(path)
        if key and index.names.get(key) == path:
            del index.names[key]

    return done


def _dangling_link(vault: Vault, path: Path) -> Path | None:
    """The symbolic link whose target is missing at an author page's place (the page itself,
    or a folder on the way to it inside the vault), or None. Nothing can be created there: the
    writer never writes through a link."""
    here = path
    while here != vault.root and vault.root in here.parents:
        if here.is_symlink() and not here.exists():
            return here
        here = here.parent
    return None


def _report_dangling(link: Path, name: str, report: PassReport) -> None:
    """Name a dangling link once per pass (several authors may be blocked by one folder)."""
    if any(path == link for path, _reason in report.skipped):
        return
    try:
        target = os.readlink(link)
    except OSError:
        target = "?"
    report.skipped.append(
        (
            link,
            f"a symbolic link to {target}, which does not exist, stands where the author page "
            f"for {name[:80]!r} goes; not created. Remove the link (or restore what it points "
            "to) and the next pass creates the page",
        )
    )


def sync_key(kind: str, sources: list[author_pages.Source], aliases: list[str]) -> str:
    """What a managed page's update depends on besides its own bytes (nothing merged in)."""
    text = repr((kind, [(s.link, s.category, s.highlights, s.newest) for s in sources], aliases))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _update(
    vault: Vault,
    index: VaultIndex,
    path: Path,
    sources: list[author_pages.Source],
    aliases: list[str],
    merged: _Merged,
    options: PassOptions,
    guard: VaultGuard,
    report: PassReport,
    batch: WriteBatch | None = None,
) -> bool:
    """Bring a managed page up to date; False when it could not be (nothing merged into it)."""
    key = None
    if not (merged.text or merged.front or merged.snapshots):
        key = sync_key(vault.kind, sources, aliases)
        if index.synced.get(path) == key:
            # As the walk found it, the page holds bytes already found up to date with these
            # very sources and aliases: the update would give them back unchanged.
            return True
    try:
        snap = read_page(path)  # fresh: the stored snapshot may predate our own last write
        text = decode(snap.data)
    except PageVanished:
        index.managed.pop(path, None)
        return False
    except VaultsyncError as err:
        report.skipped.append((path, page_reason(err, path)))
        return False
    except NotUtf8 as err:
        report.skipped.append((path, str(err)))
        return False
    update = (
        author_pages.update_logseq_author_page
        if vault.kind == "logseq"
        else author_pages.update_obsidian_author_note
    )
    new = update(text, sources, aliases)
    if new is None:
        return False  # the user removed the managed region since the walk: theirs now
    new = _with_extra(vault.kind, new, merged)
    if new == text:
        if key is not None and path in index.managed_rows:  # (a full pass: recorded after it)
            index.verified[path] = (key, snap.data)
        return True
    if held_after_undo(path, snap.data, options, report):
        return False  # restored with `vaultsync undo`: left as it is, like any page
    if options.want_diff:
        report.diffs.append(unified_diff(path, vault.root, text, new))
    if options.mode == "write":
        try:
            if batch is None:
                write_atomic(guard, snap, path, new.encode("utf-8"), history=options.history)
                index.synced.pop(path, None)
                index.managed[path] = read_page(path)
            else:
                batch.add(snap, path, new.encode("utf-8"), _updated(index, path, report))
        except VaultsyncError as err:
            report.failed.append((path, page_reason(err, path)))
            return False
    report.authors_updated.append(path)
    return True


def _updated(
    index: VaultIndex, path: Path, report: PassReport
) -> Callable[[VaultsyncError | None], None]:
    """What follows a batched update of a managed page: its fresh bytes, or the failure."""

    def done(err: VaultsyncError | None) -> None:
        if err is None:
            index.synced.pop(path, None)
            try:
                index.managed[path] = read_page(path)
                return
            except VaultsyncError as read_err:
                err = read_err
        report.failed.append((path, page_reason(err, path)))
        if path in report.authors_updated:
            report.authors_updated.remove(path)

    return done


def _remove(
    vault: Vault,
    index: VaultIndex,
    snap: Snapshot,
    options: PassOptions,
    guard: VaultGuard,
    report: PassReport,
) -> None:
    """Remove an author page merged into the canonical one, unless it changed since it was read
    for the merge (its bytes go to the history)."""
    path = Path(snap.path)
    if options.want_diff:
        report.diffs.append(unified_diff(path, vault.root, decode(snap.data), "", gone=True))
    if options.mode == "write":
        try:
            remove_page(guard, snap, history=options.history)
        except ChangedSinceRead:
            report.skipped.append((path, "changed while being merged; merged on the next pass"))
            return
        except VaultsyncError as err:
            report.failed.append((path, page_reason(err, path)))
            return
        index.managed.pop(path, None)
        for name in index.names.of(path):
            del index.names[name]
    report.authors_merged.append(path)


def likely_duplicates(authors: list[Author]) -> list[tuple[str, str]]:
    """Pairs of authors whose names look like one person's (for `vaultsync authors`)."""
    import difflib

    def simple(name: str) -> str:
        name = re.sub(r"\s+on twitter$", "", name.strip(), flags=re.IGNORECASE).lstrip("@")
        return re.sub(r"[^a-z0-9]", "", fold(name))

    pairs = []
    names = sorted((a.name for a in authors), key=str.casefold)
    keys = {n: simple(n) for n in names}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ka, kb = keys[a], keys[b]
            if not ka or not kb:
                continue
            if ka == kb or (min(len(ka), len(kb)) >= 5 and (ka in kb or kb in ka)):
                pairs.append((a, b))
            elif difflib.SequenceMatcher(None, ka, kb).ratio() >= 0.88:
                pairs.append((a, b))
    return pairs


__all__ = [
    "author_maker",
    "likely_duplicates",
    "page_facts",
    "page_link",
    "sync_author_pages",
]
