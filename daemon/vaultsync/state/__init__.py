"""The state cache: per vault, what each page held when last read (its stat, hash, kind, names
and, for a Readwise page found clean, its author facts), so a pass over unchanged pages is a stat
walk; and the settled mark that lets a pass over an unchanged vault skip the author plan.

    keys.py    where a vault's cache lives, the code fingerprint, the context keys of a row
    rows.py    one row: `Entry`, its SQLite encoding, the cheap readers of a loaded row
    reader.py  the rows of a full pass's walk, read as the walk asks for them
    snapshot.py  the settled vault's stat snapshot: a walk that matches it looks up no row
    writes.py  the cache's write transactions (a flush, a spill) and the meta rows with them
    cache.py   `StateCache`: load, freshness, put/drop, the settled mark, flush; `open_cache`

The names other modules use are re-exported here (`from vaultsync.state import StateCache`).
docs/performance.md says how the cache is trusted.
"""

from vaultsync.state.cache import SPILL, StateCache, open_cache
from vaultsync.state.keys import (
    CACHE_VERSION,
    base_key,
    cache_path,
    clean_key,
    code_fingerprint,
    digest,
    now_ns,
    stat_key,
)
from vaultsync.state.rows import (
    KINDS,
    RACY_NS,
    Entry,
    Names,
    names_of,
    row_names,
    row_names_text,
    row_readwise,
    row_refs,
    stored_names,
)

__all__ = [
    "CACHE_VERSION",
    "KINDS",
    "RACY_NS",
    "SPILL",
    "Entry",
    "Names",
    "StateCache",
    "base_key",
    "cache_path",
    "clean_key",
    "code_fingerprint",
    "digest",
    "names_of",
    "now_ns",
    "open_cache",
    "row_names",
    "row_names_text",
    "row_readwise",
    "row_refs",
    "stat_key",
    "stored_names",
]
