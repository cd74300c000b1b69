"""Previous versions of rewritten pages, kept outside the vault: see store.py.

The names other modules use are re-exported here.
"""

from vaultsync.history.store import (
    HELD_REASON,
    RECOUNT_EVERY,
    History,
    HistoryPack,
    PageHistory,
    Restored,
    Version,
    held_after_undo,
    undo,
)

__all__ = [
    "HELD_REASON",
    "RECOUNT_EVERY",
    "History",
    "HistoryPack",
    "PageHistory",
    "Restored",
    "Version",
    "held_after_undo",
    "undo",
]
