"""The session: a vault kept clean over time. It only orchestrates: the store walks and reads,
the index knows names and references, clean.py cleans one page, authors.py keeps the author
pages. The one-off passes (resync, check, demo) are in passes.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from vaultsync.core.byline import author_maker
from vaultsync.core.identity import AuthorPlan, PageAuthor, name_key, plan_authors
from vaultsync.core.normalize import (
    Normalized,
)
from vaultsync.errors import (
    ChangedSinceRead,
    VaultsyncError,
)
from vaultsync.pipeline import clean
from vaultsync.pipeline.authors import AuthorSync, sync_author_pages
from vaultsync.pipeline.classify import in_readwise_folder, readwise_bytes
from vaultsync.pipeline.clean import PhaseA, Prepared, clean_page, link_of, prepare_page
from vaultsync.pipeline.index import Source, VaultIndex
from vaultsync.pipeline.plan import PendingPlan
from vaultsync.pipeline.report import PassOptions, PassReport, page_error
from vaultsync.pipeline.store import Store
from vaultsync.pipeline.walk import readwise_count, walk_vault
from vaultsync.state import (
    StateCache,
)
from vaultsync.vault import Vault
from vaultsync.writer import (
    Snapshot,
    VaultGuard,
    WriteBatch,
)


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
        self.store = Store(vault, self.options)  # the cache, the index, the reads
        self.facts: dict[Path, PageAuthor] = {}  # Readwise page → what it says of its author
        self.plan = AuthorPlan({}, {})
        self._planned_aliases: dict[str, str] | None = None  # the mapping the plan was made with
        self.written: dict[Path, bytes] = {}  # what we last wrote, for the daemon's echo check
        self.one_off = False  # one pass and done (run_pass): the name index only built if asked
        # The pass's progress callback: called with no argument per file walked, and with
        # (phase, done, total) once the pages to clean are counted (the CLI's progress line).
        self.progress: Callable[..., None] | None = None
        self._batching = False  # in a full pass: many writes go through one WriteBatch

    @property
    def index(self) -> VaultIndex:
        """What the passes learned of every page (names, references, managed pages)."""
        return self.store.index

    @index.setter
    def index(self, index: VaultIndex) -> None:
        self.store.index = index

    def full_pass(self, progress: Callable[..., None] | None = None) -> PassReport:
        """Every page read (or known unchanged from the state cache); every Readwise page
        cleaned; every author page brought up to date."""
        report = PassReport(vault=self.vault, mode=self.options.mode)
        self.progress = progress
        write = self.options.mode == "write"
        if write:
            self.store.cleanup_unwalked()
        self.store.open(load=True)
        try:
            # (Leftover temp files are removed by the walk, before any page is written.)
            self.index = walk_vault(
                self.vault,
                report,
                progress,
                self.store.cache,
                self.store.now,
                write,
                self.options.list_pages,
            )
            # The vault as the last full pass left it, which changed nothing under the same
            # settings: the author plan and pages come out as that pass found them.
            settled = (
                self.store.cache is not None
                and self.index.unchanged
                and self.store.cache.settled == self.store.settings
            )
            self.facts = {}
            if settled and self.one_off:
                # Every candidate is as the last pass, which changed nothing under these
                # settings, found it: clean, its author link as the plan makes it. Nothing to
                # decode, clean or plan: only the count of Readwise pages is reported.
                assert self.store.cache is not None
                report.readwise = readwise_count(self.index.candidates)
                self.plan = PendingPlan(self._settled_plan, self.store.cache.canonical)
                self.store.cache.settle(self.store.settings)  # settled still (its map kept)
                return report
            self._batching = True
            settled = self.store.enter_rows(report) and settled
            candidates: list[Source] = self.index.candidates  # type: ignore[assignment]
            self.index.candidates = []
            candidates = [s for s in candidates if self.store.static_clean(s, report)]
            if progress:
                progress("cleaning", 0, len(candidates))  # the total is known from here on
            prepared = self._prepare_all(candidates)
            self._replan(lazy=settled)
            known = dict(self.facts)
            self._clean_all(candidates, prepared, report)
            if self.facts != known:
                self._replan()  # counts and dates as the cleaned pages have them
            complete = True
            if self.options.author_pages and not settled:
                ctx = self._author_sync(report, self._new_batch())
                complete = sync_author_pages(ctx, self.plan)
                self.store.record_synced()
            # Only this pass's walk vouches for them: the daemon's updates read afresh.
            self.index.synced, self.index.managed_rows = {}, {}
            if (
                self.store.cache is not None
                and complete
                and not (report.any_change or report.failed or report.skipped)
            ):
                # (A plan made in this pass: kept for the next settled one, Obsidian's links.)
                plan = self.plan if type(self.plan) is AuthorPlan else None
                self.store.cache.settle(self.store.settings, plan.canonical if plan else None)
        finally:
            self._batching = False
            self.store.close()
        if not self.one_off:
            self.index.enter_pending()  # now, not in the first update the daemon hands over
        return report

    def _settled_plan(self) -> AuthorPlan:
        """The plan of a settled one-off pass, made only if asked (nothing in the pass asks):
        from the author facts the candidates' rows record."""
        facts: dict[Path, PageAuthor] = {}
        for item in self.index.candidates:
            if isinstance(item, Source):
                path, entry = item.path, item.entry
            else:
                path, entry = Path(item[0]), StateCache.decode(item[2])
            if entry is not None and entry.author is not None:
                facts[path] = entry.author
        aliases = dict(self.options.author_aliases)
        return plan_authors(list(facts.values()), aliases, self.index.names_with_pages())

    def update(self, changed: Iterable[Path], deleted: Iterable[Path] = ()) -> PassReport:
        """Process the paths an event named: changed pages cleaned, deleted ones forgotten, the
        author pages they touch refreshed."""
        report = PassReport(vault=self.vault, mode=self.options.mode)
        changed, deleted = list(changed), list(deleted)
        before = self._author_keys(changed + deleted)
        # What the author plan depends on, as these pages gave it before (see _replan_if).
        planned = {p: (self._names_of(p), self.facts.get(p)) for p in changed + deleted}
        self.store.open(load=False)
        # A burst goes through one WriteBatch as a full pass does: its first writes are made
        # one by one at once (batch_threshold), so a single page's update is as before.
        self._batching = True
        try:
            for path in deleted:
                self._forget(path)
                self.store.drop(path)
            sources = []
            for path in changed:
                self._forget(path)  # (path by path: a page's names as the walk would order them)
                source = self.store.read_changed(path, report)
                if source is not None:
                    sources.append(source)
            self.index.candidates = []
            prepared = self._prepare_all(sources)
            self._replan_if(planned)
            known = dict(self.facts)
            self._clean_all(sources, prepared, report)
            if self.facts != known:
                self._replan()  # the same facts give the same plan
            affected = before | self._author_keys([s.path for s in sources])
            if self.options.author_pages and affected:
                sync_author_pages(self._author_sync(report, self._new_batch()), self.plan, affected)
        finally:
            self._batching = False
            self.store.close()
        return report

    def _author_sync(self, report: PassReport, batch: WriteBatch | None = None) -> AuthorSync:
        return AuthorSync(self.vault, self.index, self.options, self.guard, report, batch)

    def _author_keys(self, paths: Iterable[Path]) -> set[str]:
        keys = set()
        for path in paths:
            facts = self.facts.get(path)
            if facts:
                keys |= {name_key(self.plan.resolve(n)) for n in facts.names}
        return keys

    def _forget(self, path: Path) -> None:
        for name in self.index.names.of(path):
            del self.index.names[name]
            self.index.alias_names.discard(name)
        self.index.managed.pop(path, None)
        self.facts.pop(path, None)

    def _prepare_all(self, sources: list[Source]) -> list[Prepared | None]:
        """Phase A: every candidate not known clean normalized once, its author facts read from
        the result, before any page is cleaned (links must point at one author page, so the
        plan needs every page's facts). Its author link is made as if each name were its own
        canonical one; phase B keeps the result unless the plan makes another link of it.
        Pages are independent of each other here: many go to all cores (vaultsync.workers)."""
        from vaultsync import workers

        options = self.options
        shared = PhaseA(
            self.vault,
            options.rules,
            options.split_authors,
            self._mapped_names(),
            frozenset(self.index.referenced_ids),
            options.authors_folder,
        )
        out: list[Prepared | None] = [None] * len(sources)
        todo: list[int] = []
        for i, source in enumerate(sources):
            if source.clean:  # as its cache row says: so are its author facts
                if source.entry is not None and source.entry.author is not None:
                    self.facts[source.path] = source.entry.author
            else:
                todo.append(i)
        work = [(sources[i].path, sources[i].snapshot.data) for i in todo]  # type: ignore[union-attr]
        # The mojibake repair imports ftfy (0.4 s) for non-ASCII text: a pool imports it first.
        preload = ("ftfy",) if any(not data.isascii() for _, data in work) else ()
        results = workers.map_pages(prepare_page, shared, work, preload=preload)
        for i, prepared in zip(todo, results, strict=True):
            out[i] = prepared
            if prepared is not None and prepared.facts:
                self.facts[sources[i].path] = prepared.facts
        return out

    def _in_readwise_folder(self, path: Path) -> bool:
        return in_readwise_folder(self.vault, path, self.options.authors_folder)

    def _mapped_names(self) -> frozenset[str]:
        """Names the config maps to an author: never split, even with split_authors on."""
        return frozenset(name_key(k) for k in self.options.author_aliases)

    def _replan(self, lazy: bool = False) -> None:
        """Plan the authors; `lazy`: only when first asked (the inputs taken now)."""
        facts, aliases = list(self.facts.values()), dict(self.options.author_aliases)
        names = self.index.names_with_pages()
        if lazy:
            known = self.store.cache.canonical if self.store.cache is not None else None
            self.plan = PendingPlan(lambda: plan_authors(facts, aliases, names), known)
        else:
            self.plan = plan_authors(facts, aliases, names)
        self._planned_aliases = aliases

    def _names_of(self, path: Path) -> frozenset[tuple[str, bool]]:
        alias_names = self.index.alias_names
        return frozenset((n, n in alias_names) for n in self.index.names.of(path))

    def _replan_if(self, planned: dict[Path, tuple[frozenset, PageAuthor | None]]) -> None:
        """Re-plan unless the pages an update touched give the plan what they gave it before
        (names, author facts) and the mapping is the one planned with: the same inputs give
        the same plan, and a re-plan weighs every page of the vault (0.1 s for 50,000)."""
        if self._planned_aliases != self.options.author_aliases or any(
            (self._names_of(p), self.facts.get(p)) != was for p, was in planned.items()
        ):
            self._replan()

    def _clean_all(
        self, sources: list[Source], prepared: list[Prepared | None], report: PassReport
    ) -> None:
        """Phase B: each candidate cleaned in the plan's context, its phase A result let go
        once used."""
        referenced = frozenset(self.index.referenced_ids)
        maker = author_maker(
            self.vault.kind, self.plan, self.options.split_authors, self._mapped_names()
        )
        batch = self._new_batch()
        try:
            for i, source in enumerate(sources):
                prep, prepared[i] = prepared[i], None
                self._clean(source, report, prep, referenced, maker, batch)
                if batch is not None and batch.full:
                    batch.commit()
                if self.progress:
                    self.progress("cleaning", i + 1, len(sources))
        except BaseException:
            if batch is not None:
                batch.abort()
            raise
        if batch is not None:
            batch.finish()

    def _new_batch(self) -> WriteBatch | None:
        """The batch a full pass or an update writes through (see WriteBatch); None outside
        them and when nothing is written (check, dry run)."""
        if not self._batching or self.options.mode != "write":
            return None
        return WriteBatch(self.guard, history=self.options.history)  # type: ignore[arg-type]

    def _clean(
        self,
        source: Source,
        report: PassReport,
        prepared: Prepared | None,
        referenced: frozenset[str],
        maker: Callable[[str], str | None],
        batch: WriteBatch | None = None,
    ) -> None:
        if source.clean:
            entry = source.entry
            assert entry is not None
            value = entry.author_value
            if not self.options.rules.link_author or value is None or maker(value) in (None, value):
                if entry.readwise:
                    report.readwise += 1
                return
            # Its author link changes (the plan moved): clean it.
            if source.snapshot is None and not self.store.read_source(source, report):
                report.readwise += entry.readwise  # (unreadable now; Readwise's as last read)
                return
        if prepared is not None and prepared.given is not None:
            if link_of(maker, prepared.given) != prepared.link:
                prepared = None  # the plan links its author elsewhere: normalize it again
        reported = len(report.failed) + len(report.skipped)
        finish: list[Callable[[VaultsyncError | None], None]] = []
        queue = None
        if batch is not None:

            def queue(snap: Snapshot, data: bytes) -> None:
                if batch.take_direct():  # the first few: page by page, done at once
                    clean.write_page(self.guard, snap, source.path, data, self.options)
                    return
                if batch.add(snap, source.path, data, lambda err: finish[0](err)):
                    finish.append(lambda err: None)  # (replaced below, once the result is known)

        result = clean_page(
            self.vault, source, self.options, self.guard, referenced, report, maker, prepared, queue
        )
        if finish:  # its write waits in the batch: what follows it waits too

            def written(err: VaultsyncError | None) -> None:
                if err is None:
                    self._cleaned(source, report, prepared, result, referenced, reported)
                elif isinstance(err, ChangedSinceRead):
                    # Changed after it was read: read afresh and cleaned again, on its own.
                    if self.store.read_source(source, report):
                        self._clean(source, report, None, referenced, maker)
                    else:
                        self._cleaned(source, report, prepared, None, referenced, reported)
                else:
                    report.failed.append((source.path, page_error(err, source.path)))
                    self._cleaned(source, report, prepared, None, referenced, reported)

            finish[0] = written
            return
        self._cleaned(source, report, prepared, result, referenced, reported)

    def _cleaned(
        self,
        source: Source,
        report: PassReport,
        prepared: Prepared | None,
        result: Normalized | None,
        referenced: frozenset[str],
        reported: int,
    ) -> None:
        """What a page's cleaning leaves: its count, its author facts, its cache row."""
        # Not cleaned, and said why (refused by the no-loss check, bad bytes, a failed write,
        # unreadable): still one of the vault's Readwise pages, in the count and in its row.
        failed_readwise = (
            result is None
            and len(report.failed) + len(report.skipped) > reported
            and self._is_readwise(source, prepared)
        )
        if failed_readwise:
            report.readwise += 1
        if result is not None and result.is_readwise and result.page is None:
            assert prepared is not None  # a fresh normalize keeps its Readwise page
            facts, value = prepared.facts, prepared.author_value  # phase A's result stands
        else:
            facts, value = clean.author_facts(
                self.vault, source.path, result, self.options.split_authors, self._mapped_names()
            )
        if self.store.cache is not None and source.entry is not None:
            self.store.remember(source, result, facts, value, referenced, failed_readwise)
        if result is None or not result.is_readwise:
            return
        report.readwise += 1
        if facts:
            self.facts[source.path] = facts
        if result.changed:
            report.changed.append(source.path)
            report.stats.add(result.stats)
            report.page_stats[source.path] = result.stats
            if self.options.mode == "write":
                self.written[source.path] = result.text.encode("utf-8")

    def _is_readwise(self, source: Source, prepared: Prepared | None) -> bool:
        """Whether a candidate that could not be cleaned is a Readwise page."""
        if prepared is not None:
            return prepared.is_readwise
        if source.snapshot is not None:
            in_folder = self._in_readwise_folder(source.path)
            return readwise_bytes(self.vault, source.snapshot.data, in_folder)
        return source.entry is not None and source.entry.readwise
