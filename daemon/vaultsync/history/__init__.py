"""Previous versions of rewritten pages, kept outside the vault (in the state folder) so a user
can undo any rewrite: `history` and `undo`.

    store.py    History: save a version before a rewrite, list and load them, the pages known
    packs.py    HistoryPack: the versions one batch of writes saves, in one file, one fsync
    files.py    the store's files on disk: layout, reading, writing, deleting
    prune.py    keeping the store within keep_versions and its size limit
    holds.py    the holds undo leaves, and held_after_undo, which every pass asks
    names.py    finding a page by the name a user types
    restore.py  undo itself: lock, mark the hold, keep the bytes it replaces, write

The names other modules use are re-exported here.
"""

from vaultsync.history.holds import held_after_undo
from vaultsync.history.packs import HistoryPack
from vaultsync.history.restore import Restored, undo
from vaultsync.history.store import RECOUNT_EVERY, History, PageHistory, Version

__all__ = [
    "RECOUNT_EVERY",
    "History",
    "HistoryPack",
    "PageHistory",
    "Restored",
    "Version",
    "held_after_undo",
    "undo",
]
