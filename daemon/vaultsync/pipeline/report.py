"""What a pass is asked to do (PassOptions) and what it found and did (PassReport), and why a
page was skipped or failed (PageReason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from vaultsync.core.normalize import Rules, Stats
from vaultsync.results import Reason
from vaultsync.vault import Vault

Mode = Literal["write", "dry-run", "check"]


class PageReason(str):
    """Why a page was skipped or failed, typed: its `kind` (results.Reason) and the fields its
    words need (`error`, `page`, and per kind: `utf16`, `why`, `problem`, `name`, `named_by`,
    `target`). The string itself is the renderer's words for them (render.reason_words), made
    once when the reason is, so a reason reads as text wherever a report is read (the summary,
    the log, `--json`, a test's `"not UTF-8" in reason`)."""

    kind: Reason
    error: BaseException | None
    page: Path | None
    fields: dict[str, object]

    def __new__(
        cls,
        kind: Reason,
        error: BaseException | None = None,
        page: Path | None = None,
        **fields: object,
    ) -> PageReason:
        from vaultsync.render import reason_words

        self = super().__new__(cls, reason_words(kind, error, page, fields))
        self.kind, self.error, self.page, self.fields = kind, error, page, fields
        return self

    def __reduce__(self) -> tuple:
        # Rebuilt as plain text across processes: its error may not pickle.
        return (str, (str(self),))


def page_error(err: BaseException, page: Path) -> PageReason:
    """The reason of a page skipped or failed on `err` (said without the path when the error is
    about `page` itself)."""
    return PageReason(Reason.ERROR, err, page)


@dataclass
class PassOptions:
    """How a pass runs."""

    mode: Mode = "write"
    rules: Rules = field(default_factory=Rules)
    author_pages: bool = True
    authors_folder: str = "Readwise/Authors"
    want_diff: bool = False
    history: object | None = None  # vaultsync.history.History, when versions are kept
    state_dir: Path | None = None  # where locks live (None: the default state folder)
    split_authors: bool = False  # "A, B, and C" → one link per author
    author_aliases: dict[str, str] = field(default_factory=dict)  # name → canonical author
    # Keep the state cache (vaultsync.state) in state_dir, so unchanged pages are not read again.
    cache: bool = True
    # Fill PassReport.kinds (what each page walked is), for `-v`'s list of pages left alone.
    list_pages: bool = False


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
    # Each page skipped or failed, with why (a PageReason; its kind and fields, its words).
    skipped: list[tuple[Path, PageReason]] = field(default_factory=list)
    failed: list[tuple[Path, PageReason]] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    page_stats: dict[Path, Stats] = field(default_factory=dict)  # what the rules did, per page
    # Readwise pages (or parts of them) a rule left as they are on purpose, and why.
    left_alone: list[tuple[Path, str]] = field(default_factory=list)
    # With PassOptions.list_pages: each page walked (inside include) and what the walk found
    # it to be: "other" (not a Readwise page), "candidate" (Readwise's) or "managed".
    kinds: list[tuple[str, str]] = field(default_factory=list)
    # Pages held after `vaultsync undo` (each also in `skipped`, with its reason) → whether this
    # pass is the first to meet the hold (the daemon warns then, and logs it quietly after).
    held: dict[Path, bool] = field(default_factory=dict)

    @property
    def any_change(self) -> bool:
        return bool(
            self.changed or self.authors_created or self.authors_updated or self.authors_merged
        )
