"""Cleaning one page: read → normalize → check → write, with its retry when the page changes
under us; and phase A, the part of it that needs no author plan (run on all cores by
vaultsync.workers)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vaultsync.core.byline import Units, author_maker, page_facts
from vaultsync.core.identity import PageAuthor
from vaultsync.core.model import LeftAlone, Page
from vaultsync.core.normalize import (
    Normalized,
    PageContext,
    Rules,
    Stats,
    normalize_page,
    parse,
)
from vaultsync.core.rules import author_value
from vaultsync.core.text import NotUtf8, decode
from vaultsync.core.verdict import verdict
from vaultsync.errors import (
    ChangedSinceRead,
    LossCheckFailed,
    PageVanished,
    UnsafePathError,
    VaultsyncError,
)
from vaultsync.history import held_after_undo
from vaultsync.pipeline import store
from vaultsync.pipeline.classify import in_readwise_folder, not_utf8
from vaultsync.pipeline.index import Source
from vaultsync.pipeline.report import PageReason, PassOptions, PassReport, page_error
from vaultsync.render import left_alone_words, unified_diff
from vaultsync.results import Reason
from vaultsync.vault import Vault
from vaultsync.writer import (
    Snapshot,
    VaultGuard,
    write_atomic,
)

WRITE_ATTEMPTS = 3


def write_page(
    guard: VaultGuard, snap: Snapshot | None, path: Path, data: bytes, options: PassOptions
) -> bool:
    return write_atomic(guard, snap, path, data, history=options.history)  # type: ignore[arg-type]


@dataclass
class Prepared:
    """A candidate normalized before the author plan is known (its link made as if every name
    were its own canonical one): what the pass needs of it later, without the parsed page (a
    pass holds one per candidate) and with the text only when it changed."""

    is_readwise: bool
    text: str | None  # the normalized text, when it differs from the page's
    stats: Stats
    losses: list[str]
    given: str | None  # the author value the link rule was handed (Normalized.author_given)
    left_alone: list[LeftAlone]  # (Normalized.left_alone)
    link: str | None  # what it became (link_of), to compare with what the plan makes of it
    author_value: str | None  # the author value the normalized page holds
    facts: PageAuthor | None  # its author facts, read from the normalized page

    def result(self, text: str) -> Normalized:
        """The Normalized of `text`, the page this was prepared from."""
        changed = self.text is not None
        out = self.text if self.text is not None else text
        return Normalized(
            self.is_readwise, out, changed, self.stats, self.losses, left_alone=self.left_alone
        )


def link_of(maker: Callable[[str], str | None], value: str) -> str | None:
    """What the author rule writes for `value` (None: it leaves the value as it is)."""
    link = maker(value)
    return None if link == value else link


def clean_page(
    vault: Vault,
    source: Source,
    options: PassOptions,
    guard: VaultGuard,
    referenced: frozenset[str],
    report: PassReport,
    author_link: Callable[[str], str | None] | None = None,
    prepared: Prepared | None = None,
    queue: Callable[[Snapshot, bytes], None] | None = None,
) -> Normalized | None:
    """Normalize one page and write it when it changed; retried when the page changes under us.
    `prepared`: the page's bytes already normalized with this `author_link` (the first try uses
    it; a retry reads the page again and normalizes it afresh). `queue`: hands the write to a
    batch (WriteBatch.add) instead of writing it now."""
    snap = source.snapshot
    try:
        guard.check(source.path)
    except UnsafePathError as err:
        # E.g. a link to a page outside the vault: read for the index, never written.
        report.skipped.append((source.path, PageReason(Reason.NOT_WRITABLE, err)))
        return None
    for attempt in range(WRITE_ATTEMPTS):
        try:
            text = decode(snap.data)
        except NotUtf8 as err:
            report.skipped.append((source.path, not_utf8(err, snap.data)))
            return None
        if attempt == 0 and prepared is not None:
            result = prepared.result(text)
        else:
            context = PageContext(
                referenced_ids=referenced,
                author_link=author_link,
                in_readwise_folder=in_readwise_folder(vault, source.path, options.authors_folder),
            )
            result = normalize_page(text, vault.kind, options.rules, context)
        for note in map(left_alone_words, result.left_alone):
            if (source.path, note) not in report.left_alone:
                report.left_alone.append((source.path, note))
        if not result.is_readwise or not result.changed:
            return result
        if held_after_undo(source.path, snap.data, options, report):
            return None  # (a page that would not change is clean, held or not)
        if result.losses:
            err = LossCheckFailed(source.path, result.losses)
            report.failed.append((source.path, page_error(err, source.path)))
            return None
        if options.want_diff:
            report.diffs.append(unified_diff(source.path, vault.root, text, result.text))
        if options.mode != "write":
            return result
        try:
            data = result.text.encode("utf-8")
            if queue is not None:
                queue(snap, data)
            else:
                write_page(guard, snap, source.path, data, options)
            return result
        except ChangedSinceRead:
            if attempt + 1 == WRITE_ATTEMPTS:
                break
            try:
                snap = store.read_page(source.path)
            except PageVanished:
                return None
            except VaultsyncError as err:
                report.skipped.append((source.path, page_error(err, source.path)))
                return None
        except VaultsyncError as err:
            report.failed.append((source.path, page_error(err, source.path)))
            return None
    report.skipped.append((source.path, PageReason(Reason.KEPT_CHANGING)))
    return None


# VAULTSYNC_VERDICT=0 turns the fast "already clean" verdict off (every page normalized in
# full), for comparing the two: the output is the same either way (tests/test_verdict_pass.py).
VERDICT_ENV = "VAULTSYNC_VERDICT"


def verdict_on() -> bool:
    return os.environ.get(VERDICT_ENV, "").strip() != "0"


@dataclass(frozen=True)
class PhaseA:
    """What phase A of every page of a pass shares (sent once to each worker process)."""

    vault: Vault
    rules: Rules
    split: bool  # split_authors
    whole: frozenset[str]  # names the config maps to an author: never split
    referenced: frozenset[str]  # block ids other notes link to
    authors_folder: str  # (PassOptions.authors_folder: not a Readwise folder)
    fast: bool = field(default_factory=verdict_on)  # ask the clean verdict first


def prepare_page(shared: PhaseA, job: tuple[Path, bytes]) -> Prepared | None:
    """One candidate's phase A, a pure function of its bytes and `shared` (it may run in a
    worker process); None when phase B must normalize it (not UTF-8: clean_page reports it).
    Its author link is made as if every name were its own canonical one."""
    path, data = job
    try:
        text = decode(data)
    except NotUtf8:
        return None
    vault = shared.vault
    # In Logseq the rule's link never depends on the plan (Logseq resolves aliases itself).
    maker = author_maker(vault.kind, None, shared.split, shared.whole)
    context = PageContext(
        referenced_ids=shared.referenced,
        author_link=maker,
        in_readwise_folder=in_readwise_folder(vault, path, shared.authors_folder),
    )
    page = None
    if shared.fast:
        # A page already clean (most of them) needs no rules, copy or no-loss check: the
        # verdict says so only when normalize_page would hand it back unchanged, and keeps
        # what its author facts are made of.
        page = parse(text, vault.kind)
        found = verdict(page, text, shared.rules, context)
        if found.clean:
            return _prepared_clean(shared, path, page, found.given, found.units)
    result = normalize_page(text, vault.kind, shared.rules, context, parsed=page)
    facts: PageAuthor | None
    if result.losses:  # never written: its facts are the page's as it is
        page = parse(text, vault.kind)
        facts = page_facts(vault.kind, path, page, shared.split, shared.whole)
        value = None  # (clean_page refuses it: nothing is recorded of its value)
    elif result.is_readwise and result.page is not None:
        facts = page_facts(vault.kind, path, result.page, shared.split, shared.whole)
        value = author_value(result.page)
    else:
        facts, value = None, None
    given = result.author_given
    return Prepared(
        is_readwise=result.is_readwise,
        text=result.text if result.changed else None,
        stats=result.stats,
        losses=result.losses,
        given=given,
        left_alone=result.left_alone,
        link=link_of(maker, given) if given is not None else None,
        author_value=value,
        facts=facts,
    )


def _prepared_clean(
    shared: PhaseA,
    path: Path,
    page: Page,
    given: str | None,
    units: Units | None,
) -> Prepared:
    """Phase A of a page the verdict found clean: what normalize_page would have given (no
    change, no stats, nothing left alone), the facts read from the page as it is. Its link is
    None: the verdict found that the link maker hands the author value back (or nothing), and
    the value is the one it was handed (the rule on) or the page's own (off)."""
    return Prepared(
        is_readwise=True,
        text=None,
        stats=Stats(),
        losses=[],
        given=given,
        left_alone=[],
        link=None,
        author_value=given if shared.rules.link_author else author_value(page),
        facts=page_facts(shared.vault.kind, path, page, shared.split, shared.whole, units),
    )


def author_facts(
    vault: Vault, path: Path, result: Normalized | None, split: bool, whole: frozenset[str]
) -> tuple[PageAuthor | None, str | None]:
    """A normalized page's author facts and author value (None, None: not a Readwise page)."""
    if result is None or not result.is_readwise or result.page is None:
        return None, None
    return page_facts(vault.kind, path, result.page, split, whole), author_value(result.page)
