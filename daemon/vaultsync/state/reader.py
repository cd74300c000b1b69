"""The rows of a full pass's walk, read from one open connection as the walk asks for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vaultsync.state.rows import COLUMNS

if TYPE_CHECKING:
    import sqlite3


class Reader:
    """The rows of a full pass, read from one open connection as its walk asks for them.

    The walk asks for the pages of one folder in name order, the order of the table's key
    (code points: SQLite compares UTF-8 bytes): a cursor over the folder's key range (rows of
    its subfolders are passed over), advanced as the walk goes. A page asked for out of that
    order is looked up by its key, so the answer never depends on the order, only the cost."""

    _RANGE = f"SELECT {COLUMNS} FROM pages WHERE rel >= ? AND rel < ? ORDER BY rel"
    _ALL = f"SELECT {COLUMNS} FROM pages ORDER BY rel"
    _ONE = f"SELECT {COLUMNS} FROM pages WHERE rel = ?"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("BEGIN")  # one snapshot of the rows for the whole walk (WAL: no lock held)
        self._folder: str | None = None
        self._cursor: Any = None
        self._next: tuple | None = None  # the cursor's next row
        self._last = ""  # the last page asked for in this folder

    def close(self) -> None:
        self._cursor = self._next = None
        self.conn.close()

    def row(self, rel: str) -> tuple | None:
        folder = rel[: rel.rfind("/") + 1]  # with its "/"; "" at the root
        if folder != self._folder:
            self._folder, self._last = folder, rel
            if folder:  # "/" + 1 == "0": the range of keys starting with the folder's path
                self._cursor = self.conn.execute(self._RANGE, (folder, folder[:-1] + "0"))
            else:
                self._cursor = self.conn.execute(self._ALL)
            self._next = next(self._cursor, None)
        elif rel <= self._last:
            return self.conn.execute(self._ONE, (rel,)).fetchone()
        else:
            self._last = rel
        found = None
        while self._next is not None and self._next[0] <= rel:
            if self._next[0] == rel:
                found = self._next
            self._next = next(self._cursor, None)
        return found
