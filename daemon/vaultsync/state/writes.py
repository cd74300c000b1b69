"""The state cache's writes, each one SQLite transaction: the rows a flush or a spill writes,
and the meta rows that go with them (the settled mark, the author plan's map, the snapshot)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from vaultsync.state import snapshot
from vaultsync.state.rows import INSERT

if TYPE_CHECKING:
    import sqlite3

T = TypeVar("T")

# Rows written without a full pass vouching for them: the mark, its map and its snapshot go.
UNMARK = "DELETE FROM meta WHERE key IN ('settled', 'canonical', 'snapshot')"
_KEEP = "INSERT OR REPLACE INTO meta VALUES (?, ?)"


def transaction(conn: sqlite3.Connection, body: Callable[[], T]) -> T:
    """Run `body` in one write transaction: all of it, or (on any error) none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = body()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def write_spill(conn: sqlite3.Connection, rows: list[tuple]) -> bool:
    """Rows a walk renewed, written before its pass ends: the vault is no longer settled."""

    def body() -> bool:
        conn.executemany(INSERT, rows)
        conn.execute(UNMARK)
        return True

    return transaction(conn, body)


def write_flush(
    conn: sqlite3.Connection,
    rows: list[tuple],
    deleted: list[tuple[str]],
    settle: str | None,
    canonical: str | None,
    snap: bool,
) -> tuple[bool, str | None]:
    """A flush: the rows changed and removed; the settled mark `settle` (None: removed, with its
    map and snapshot), its `canonical` map (None: none kept), and when `snap`, the stat
    snapshot of the rows as written. Returns (True, the snapshot made, if any)."""

    def body() -> tuple[bool, str | None]:
        conn.executemany("DELETE FROM pages WHERE rel = ?", deleted)
        conn.executemany(INSERT, rows)
        if settle is None:
            conn.execute(UNMARK)
            return True, None
        conn.execute(_KEEP, ("settled", settle))
        if canonical is None:
            conn.execute("DELETE FROM meta WHERE key = 'canonical'")
        else:
            conn.execute(_KEEP, ("canonical", canonical))
        made = None
        if snap:
            made = snapshot.snapshot_of(conn)
            conn.execute(_KEEP, ("snapshot", made))
        return True, made

    return transaction(conn, body)
