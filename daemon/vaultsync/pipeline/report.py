"""What a pass is asked to do (PassOptions) and what it found and did (PassReport)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from vaultsync.core.normalize import Rules, Stats
from vaultsync.vault import Vault

Mode = Literal["write", "dry-run", "check"]


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
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
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
