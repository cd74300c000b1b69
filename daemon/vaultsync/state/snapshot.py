"""The settled vault's stat snapshot: one hash of every page's path and stat (size, mtime,
inode), kept with the settled mark. A walk that finds the same hash found every page, and only
those, as the settled pass left them, and looks up no page's row: it only lists the managed and
candidate pages' rows, and leaves the names and references of the others to be read if asked.

The snapshot is made from the rows when a settling pass writes them (in the same transaction),
and only when every row is old enough to vouch for its bytes (the racy rule of rows.Entry):
otherwise it is "" and the next walks look up each row as before. It goes whenever the mark
goes (rows written without a full pass vouching for them, another code or settings stamp)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vaultsync.state.keys import stat_digest, stat_key
from vaultsync.state.rows import COLUMNS, RACY_NS

if TYPE_CHECKING:
    import sqlite3

_STATS = "SELECT rel, size, mtime_ns, ino, checked_ns FROM pages"
_NAMES = "SELECT rel, names, refs FROM pages"


def snapshot_of(conn: sqlite3.Connection) -> str:
    """The stat snapshot of the rows as `conn` sees them, "digest:newest mtime"; "" when a row
    was recorded within the racy window of its page's mtime (its stat cannot vouch for it)."""
    keys, newest = [], 0
    for rel, size, mtime_ns, ino, checked_ns in conn.execute(_STATS):
        if mtime_ns + RACY_NS > checked_ns:
            return ""
        keys.append(stat_key(rel, size, mtime_ns, ino))
        newest = max(newest, mtime_ns)
    return f"{stat_digest(keys)}:{newest}"


def matches(snapshot: str | None, keys: list[str], now_ns: int) -> bool:
    """Whether the pages a walk found (`keys`, each page's stat_key) are those of `snapshot`,
    each with the same stat, and even the newest mtime old enough at `now_ns` to be trusted."""
    if not snapshot:
        return False
    digest, _, newest = snapshot.partition(":")
    if not newest.isdigit() or int(newest) + RACY_NS > now_ns:
        return False
    return stat_digest(keys) == digest


def settled_rows(
    conn: sqlite3.Connection, expected: tuple[str | None, str | None]
) -> dict[str, tuple] | None:
    """The managed and candidate pages' rows, by page, read in one transaction with the mark
    and the snapshot; None when those are no longer `expected` (settled, snapshot)."""
    conn.execute("BEGIN")
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        if (meta.get("settled"), meta.get("snapshot")) != expected:
            return None
        found = conn.execute(f"SELECT {COLUMNS} FROM pages WHERE kind != 'other'")
        return {row[0]: row for row in found}
    finally:
        conn.execute("ROLLBACK")


def names_and_refs(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """Every row's names (encoded, see rows.stored_names) and references, by page."""
    return {rel: (names, refs) for rel, names, refs in conn.execute(_NAMES)}
