"""The rows of a full pass's walk, read from one open connection as the walk asks for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vaultsync.state.rows import COLUMNS

if TYPE_CHECKING:
    import sqlite3


class Reader:
    """The rows of a full pass, read from one open connection as its walk asks for them.

    The walk asks for the pages of one folder in name order, the order of the table's key
    (code points: SQLite compares UTF-8 bytes): a cursor over the folder's key range, fetched
    a chunk at a time into a dict as the walk goes (at most one chunk of rows is held; the
    root's cursor holds its own rows only, not every row of the vault). A page asked for out
    of that order is looked up by its key, so the answer never depends on the order, only
    the cost."""

    CHUNK = 1024  # rows fetched at once (about 0.6 MB of Python objects)
    # A folder's key range (its subfolders' rows are fetched too, and passed over: filtering
    # them out in SQL costs more per row than it saves), and the root's own rows.
    _RANGE = f"SELECT {COLUMNS} FROM pages WHERE rel >= ? AND rel < ? ORDER BY rel"
    _ROOT = f"SELECT {COLUMNS} FROM pages WHERE instr(rel, '/') = 0 ORDER BY rel"
    _ONE = f"SELECT {COLUMNS} FROM pages WHERE rel = ?"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("BEGIN")  # one snapshot of the rows for the whole walk (WAL: no lock held)
        self._folder: str | None = None
        self._cursor: Any = None  # None once the folder's rows are all fetched
        self._chunk: dict[str, tuple] = {}  # the rows fetched last, by key
        self._high: str | None = None  # the chunk's last key (None: no rows after the chunk)
        self._last = ""  # the last page asked for in this folder

    def close(self) -> None:
        self._cursor, self._chunk = None, {}
        self.conn.close()

    def row(self, rel: str) -> tuple | None:
        folder = rel[: rel.rfind("/") + 1]  # with its "/"; "" at the root
        if folder != self._folder:
            self._folder, self._last = folder, rel
            if folder:  # "/" + 1 == "0": the range of keys starting with the folder's path
                bounds = (folder, folder[:-1] + "0")
                self._cursor = self.conn.execute(self._RANGE, bounds)
            else:
                self._cursor = self.conn.execute(self._ROOT)
            self._fetch()
        elif rel <= self._last:
            return self.conn.execute(self._ONE, (rel,)).fetchone()
        else:
            self._last = rel
        # Every key up to the last one asked for is behind the chunk (asked in order), so a
        # key not in the chunk and not beyond it has no row.
        while self._high is not None and rel > self._high:
            self._fetch()
        return self._chunk.get(rel)

    def _fetch(self) -> None:
        rows = self._cursor.fetchmany(self.CHUNK) if self._cursor is not None else []
        self._chunk = {row[0]: row for row in rows}
        if rows:
            self._high = rows[-1][0]
        else:
            self._cursor, self._high = None, None
