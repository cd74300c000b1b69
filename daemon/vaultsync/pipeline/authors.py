"""Author pages: one per person, with the other names as aliases and a managed backlinks index.

The pure parts (who a page names, the link maker, page texts) live in vaultsync.core.byline,
vaultsync.core.identity and vaultsync.core.authors; this module decides which pages to create,
update, merge or leave, and does it through the writer. Every step takes one AuthorSync (what
the steps share). It never writes a page the user owns (one without the managed region).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from vaultsync.core import authors as author_pages
from vaultsync.core import formats
from vaultsync.core.byline import page_key, sync_key
from vaultsync.core.identity import Author, AuthorPlan, name_key
from vaultsync.core.text import NotUtf8, decode
from vaultsync.errors import ChangedSinceRead, PageVanished, VaultsyncError
from vaultsync.history import held_after_undo
from vaultsync.pipeline.index import VaultIndex
from vaultsync.pipeline.report import PageReason, PassOptions, PassReport, page_error
from vaultsync.render import unified_diff
from vaultsync.results import Reason
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


@dataclass
class AuthorSync:
    """What every step of an author sync shares: the vault, the pass's index (names, managed
    pages), its options, guard and report, and the batch pages are written through (None: each
    page written at once)."""

    vault: Vault
    index: VaultIndex
    options: PassOptions
    guard: VaultGuard
    report: PassReport
    batch: WriteBatch | None = None
    # Pages left uncreated for a reason the report does not show (a file of its name appeared
    # since the walk, or lies outside it): the vault is not settled.
    blocked: list[Path] = field(default_factory=list)


def _sources(author: Author) -> list[author_pages.Source]:
    return [author_pages.Source(s.link, s.category, s.highlights, s.newest) for s in author.sources]


def sync_author_pages(ctx: AuthorSync, plan: AuthorPlan, only: set[str] | None = None) -> bool:
    """Create, update and merge author pages for the plan's authors (those whose key is in
    `only`, or all). Managed pages that no source names any more (of those keys, or all) are
    emptied. False when a page was left uncreated for a reason the report does not show (see
    AuthorSync.blocked): the vault is not settled. With `ctx.batch`, the pages are written
    through it (a full pass), and it is committed before this returns."""
    batch = ctx.batch
    try:
        return _sync_all(ctx, plan, only)
    except BaseException:
        if batch is not None:
            batch.abort()
        raise
    finally:
        if batch is not None:
            batch.finish()


def _sync_all(ctx: AuthorSync, plan: AuthorPlan, only: set[str] | None) -> bool:
    index, batch = ctx.index, ctx.batch
    handled: set[Path] = set()
    for key, author in sorted(plan.authors.items()):
        if only is not None and key not in only:
            continue
        handled |= _sync_one(ctx, author)
        if batch is not None and batch.full:
            batch.commit()
    if only is None:
        orphans = set(index.managed)
    else:
        # An author whose last source went is no longer in the plan: find their page by its
        # own name (an alias may be another page's).
        keys = (page_key(ctx.vault.kind, key) for key in only - set(plan.authors))
        orphans = {index.names[k] for k in keys if k in index.names and k not in index.alias_names}
        orphans &= set(index.managed)
    for path in sorted(orphans - handled):
        _update(ctx, path, [], [], _Merged())
        if batch is not None and batch.full:
            batch.commit()
    return not ctx.blocked


def _sync_one(ctx: AuthorSync, author: Author) -> set[Path]:
    vault, index = ctx.vault, ctx.index
    key = page_key(vault.kind, author.name)
    path = index.names.get(key) if key else None
    merge: list[tuple[str, Path]] = []
    renamed: Path | None = None
    if path is not None and path in index.managed and key in index.alias_names:
        # Found only as an alias of a page we made for an earlier canonical name (the config
        # mapping changed): that page is merged into a new page of the canonical name.
        merge.append((author.name, path))
        renamed, path = path, None
    if path is not None and path not in index.managed:
        return set()  # a page the user owns: Logseq and Obsidian show its backlinks already
    # Other names of this person that have a page: ours are merged in, the user's stay and are
    # not claimed as aliases (two pages may not answer to one name).
    aliases: list[str] = []
    for alias in sorted(author.aliases, key=str.casefold):
        alias_key = page_key(vault.kind, alias)
        other = index.names.get(alias_key) if alias_key else None
        if other is None or other == path:
            aliases.append(alias)
        elif other in index.managed:
            if all(other != m for _a, m in merge):
                merge.append((alias, other))
            aliases.append(alias)
    merged = _read_merged(ctx, merge)
    if renamed is not None and renamed in merged.held:
        # The page answering to the canonical name is held after undo: it stays that name's
        # page, as it is, until it changes or is released (no second page of that name).
        return {old for _a, old in merge}
    if merged.held:
        # A held page keeps its names: the canonical page does not claim them as aliases.
        kept = {name_key(a) for a, old in merge if old in merged.held}
        aliases = [a for a in aliases if name_key(a) not in kept]
    if merged.snapshots:
        # The merged pages are removed once the new one is in place: written now, not batched.
        ctx = replace(ctx, batch=None)  # (the same report, index and blocked list)
    # The names the merged pages answered to stay names of this person (the user may have
    # added some), unless another page answers to one.
    known = {name_key(a) for a in aliases} | {name_key(author.name)}
    merging = {old for _a, old in merge} - set(merged.held)
    for alias in merged.aliases:
        alias_key = page_key(vault.kind, alias)
        other = index.names.get(alias_key) if alias_key else None
        if name_key(alias) not in known and (other is None or other == path or other in merging):
            aliases.append(alias)
            known.add(name_key(alias))
    sources = _sources(author)
    if path is None:
        if not sources:
            return set()
        path = _create(ctx, author, sources, aliases, merged)
        if path is None:
            return set()
    elif not _update(ctx, path, sources, aliases, merged):
        return {path} | {old for _a, old in merge}  # not merged: the old pages stay as they are
    # Removed only as read: a page changed since it was merged waits for the next pass.
    for snap in merged.snapshots:
        _remove(ctx, snap)
    return {path} | {old for _a, old in merge}


@dataclass
class _Merged:
    """The user's own text on author pages about to be merged into the canonical one, and the
    pages as read (removed once the canonical page holds their text)."""

    text: str = ""
    snapshots: list[Snapshot] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)  # the names they listed as aliases
    front: list[str] = field(default_factory=list)  # Obsidian: their other frontmatter entries
    held: list[Path] = field(default_factory=list)  # held after undo: not merged, not removed


def _read_merged(ctx: AuthorSync, merge: list[tuple[str, Path]]) -> _Merged:
    vault, report = ctx.vault, ctx.report
    merged = _Merged()
    parts = []
    for alias, old in merge:
        try:
            snap = read_page(old)
            if held_after_undo(old, snap.data, ctx.options, report):
                # Restored with `vaultsync undo`: left as it is, like any page (its text is
                # not taken either: it would be there twice once the page is merged).
                merged.held.append(old)
                continue
            text = decode(snap.data)
        except PageVanished:
            continue
        except (VaultsyncError, NotUtf8) as err:
            # Unreadable: not merged, so never removed (its text would be lost).
            report.skipped.append((old, PageReason(Reason.NOT_MERGED, err, old)))
            continue
        fmt = formats.of(vault.kind)
        mine = fmt.user_text(text, alias)
        if mine:
            parts.append(mine)
        merged.snapshots.append(snap)
        merged.aliases += fmt.page_aliases(text)
        merged.front += fmt.kept_frontmatter(text)
    merged.text = "\n".join(parts)
    return merged


def _with_extra(kind: str, text: str, merged: _Merged) -> str:
    """The canonical page's text with what the merged pages held of the user's."""
    extra = merged.text
    fmt = formats.of(kind)
    if fmt.frontmatter and merged.front:
        text, clash = author_pages.add_frontmatter_entries(text, merged.front)
        if clash:
            # The key is there with another value: kept below the note's text instead.
            block = "```yaml\n" + "".join(e if e.endswith("\n") else e + "\n" for e in clash)
            extra = "\n".join(filter(None, [block + "```", extra]))
    if not extra or extra in text:
        return text  # (already there: a merge retried after the old page could not be removed)
    sep = "" if text.endswith("\n") else "\n"
    if not fmt.outline and not text.endswith("\n\n"):
        sep += "\n"  # a paragraph of its own, not glued to the region's end marker
    return f"{text}{sep}{extra}\n"


def _create(
    ctx: AuthorSync,
    author: Author,
    sources: list[author_pages.Source],
    aliases: list[str],
    merged: _Merged,
) -> Path | None:
    vault, index, options, report, batch = ctx.vault, ctx.index, ctx.options, ctx.report, ctx.batch
    guard, blocked = ctx.guard, ctx.blocked
    name = author.name
    try:
        fmt = formats.of(vault.kind)
        stem, text = fmt.new_author_page(name, sources, aliases, vault.name_format)
        folder = vault.pages_dir if fmt.authors_in_pages else options.authors_folder
        path = vault.root / folder / f"{stem}.md"
    except author_pages.UnsafeName as err:
        named_by = sorted({src.link for src in author.sources})[:3]
        why = PageReason(Reason.AUTHOR_NAME_UNSAFE, err, name=name, named_by=named_by)
        report.skipped.append((vault.root, why))
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
    key = page_key(vault.kind, name)
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
            report.failed.append((path, page_error(err, path)))
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
        report.failed.append((path, page_error(err, path)))
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
    report.skipped.append((link, PageReason(Reason.DANGLING_LINK, target=target, name=name)))


def _update(
    ctx: AuthorSync,
    path: Path,
    sources: list[author_pages.Source],
    aliases: list[str],
    merged: _Merged,
) -> bool:
    """Bring a managed page up to date; False when it could not be (nothing merged into it)."""
    vault, index, options, report, batch = ctx.vault, ctx.index, ctx.options, ctx.report, ctx.batch
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
        report.skipped.append((path, page_error(err, path)))
        return False
    except NotUtf8 as err:
        report.skipped.append((path, page_error(err, path)))
        return False
    new = formats.of(vault.kind).update_author_page(text, sources, aliases)
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
                write_atomic(ctx.guard, snap, path, new.encode("utf-8"), history=options.history)
                index.synced.pop(path, None)
                index.managed[path] = read_page(path)
            else:
                batch.add(snap, path, new.encode("utf-8"), _updated(index, path, report))
        except VaultsyncError as err:
            report.failed.append((path, page_error(err, path)))
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
        report.failed.append((path, page_error(err, path)))
        if path in report.authors_updated:
            report.authors_updated.remove(path)

    return done


def _remove(ctx: AuthorSync, snap: Snapshot) -> None:
    """Remove an author page merged into the canonical one, unless it changed since it was read
    for the merge (its bytes go to the history)."""
    vault, index, options, report = ctx.vault, ctx.index, ctx.options, ctx.report
    path = Path(snap.path)
    if options.want_diff:
        report.diffs.append(unified_diff(path, vault.root, decode(snap.data), "", gone=True))
    if options.mode == "write":
        try:
            remove_page(ctx.guard, snap, history=options.history)
        except ChangedSinceRead:
            report.skipped.append((path, PageReason(Reason.CHANGED_WHILE_MERGED)))
            return
        except VaultsyncError as err:
            report.failed.append((path, page_error(err, path)))
            return
        index.managed.pop(path, None)
        for name in index.names.of(path):
            del index.names[name]
    report.authors_merged.append(path)
