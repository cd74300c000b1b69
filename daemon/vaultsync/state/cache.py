"""`StateCache`: a per-vault cache of what each page held when it was last read or written.

It lives outside the vault (`<state_dir>/cache/<hash of the vault root>.sqlite`) and lets a pass
skip reading a page whose size, mtime and inode are unchanged: the page's names, kind, block
references and, for a Readwise page found clean, its author facts come from the cache instead.
It is only a cache: a missing, damaged or foreign file is rebuilt, and deleting it only makes the
next pass slower. Whatever goes wrong with it, the pass carries on without it.

A row is trusted only when its stat matches and the page's mtime was at least RACY_NS older
than the moment the row was recorded (git's "racily clean" rule): a page changed again within
the file system's timestamp granularity after we read it keeps its mtime, so a young mtime means
"unsure" and the page is read again (and its hash compared).

A full pass that changed nothing, failed nothing and skipped nothing marks the rows `settled`
under the settings that shape author pages (meta row); any later write of rows without that
mark removes it. A pass that then finds every page as the rows say, under the same settings,
knows the author plan and pages come out as that pass left them, and skips both.
"""

from __future__ import annotations

import json
import logging
import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaultsync.render.notes import note
from vaultsync.state import rows, snapshot, writes
from vaultsync.state.keys import cache_path, code_fingerprint
from vaultsync.state.reader import Reader
from vaultsync.state.rows import RACY_NS, SCHEMA, Entry, encode_row
from vaultsync.writer import make_private_dirs, remove_private_file, touch_private_file

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger(__name__)

# Rows of ordinary pages a full pass's walk renews (none cached, or the code changed) are
# written in batches of this many as the walk goes, not held to the pass's end (15 MB for
# 40,000 notes, at the peak of the pass). A later pass never needs them before the flush.
SPILL = 4096


class StateCache:
    """The rows of one vault: loaded at the start of a full pass, written back at its end (or
    after each incremental update). Never raises: a failing store turns itself off."""

    def __init__(self, path: Path, root: Path, facts: str = "") -> None:
        self.path = Path(path)
        self.root = str(root)
        # The settings a row's facts depend on besides the bytes (which folder makes a page a
        # candidate by its place): other settings than the rows were made under drop them all.
        self.facts = facts
        # A full pass reads the rows as its walk asks for them, not all at once: 53,000 rows
        # held as Python tuples were 33 MB, most of a daemon's peak, which it then keeps as
        # its size. The walk asks for a folder's pages in name order, which is the order of
        # the table's key: one cursor per folder, merged with the walk (Reader).
        self._loaded = False
        self._reader: Reader | None = None
        # The page fresh_row() last looked up, and its row: take() of it needs no second look.
        self._asked: str | None = None
        self._held: tuple | None = None
        self._dirty: dict[str, Entry] = {}
        self._deleted: set[str] = set()
        self._taken: set[str] = set()  # rows handed out by take() during a walk
        self._rowless = 0  # pages take() found no row of during a walk (see keep_only)
        self._spillable = 0  # ordinary pages' rows put since the last spill (see SPILL)
        self._unmarked = False  # a spill removed the `settled` mark the rows were loaded with
        self._wal = False  # the file is in WAL mode (as the last connection found it)
        # The `settled` mark (see settle()): as loaded, and what the next flush leaves.
        self.settled: str | None = None
        self._settle: str | None = None
        # The author plan's name → canonical name map of the settled vault (JSON), kept with
        # the mark: a settled pass answers "which note is canonical" without planning.
        self.canonical: str | None = None
        self._settle_canonical: str | None = None
        # The settled rows' stat snapshot (see snapshot.py), as loaded: None when there is
        # none, "" when the rows could not vouch for one (a young mtime).
        self.snapshot: str | None = None
        self.enabled = True

    # The connection is opened per load/flush: the daemon keeps no file open between passes,
    # and a `resync` running beside it sees its rows.
    def _connect(self) -> sqlite3.Connection:
        import sqlite3

        make_private_dirs(self.path.parent)
        touch_private_file(self.path)
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()
            # Only with a write-ahead log may a spill write while the walk's reader is open.
            self._wal = bool(mode) and str(mode[0]).lower() == "wal"
            conn.execute("PRAGMA synchronous=NORMAL")
            for statement in SCHEMA:
                conn.execute(statement)
            stamp = f"{code_fingerprint()}:{self.root}"
            if self.facts:
                stamp += f":{self.facts}"
            row = conn.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()
            if row is None or row[0] != stamp:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DELETE FROM pages")
                conn.execute(writes.UNMARK)
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('stamp', ?)", (stamp,))
                conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return conn

    def _guarded(self, what: str, action) -> Any:
        """Run `action(conn)`; on a damaged file start afresh once, on anything else turn off."""
        import sqlite3

        for attempt in (1, 2):
            try:
                conn = self._connect()
                try:
                    return action(conn)
                finally:
                    conn.close()
            except sqlite3.DatabaseError as err:
                if attempt == 1 and not isinstance(err, sqlite3.OperationalError):
                    log.warning("%s", note("state cache damaged", path=self.path, exception=err))
                    remove_cache_files(self.path)
                    continue
                self._disable(what, err)
            except (sqlite3.Error, OSError, ValueError) as err:
                self._disable(what, err)
            return None
        return None

    def _disable(self, what: str, err: Exception) -> None:
        log.warning("%s", note("state cache off", path=self.path, what=what, exception=err))
        self.enabled = False
        self._spillable = 0
        self._close_reader()
        self._loaded, self._dirty, self._deleted = False, {}, set()

    def load(self) -> None:
        """Start a full pass: the meta rows now, the pages' rows as the walk asks for them."""
        self._close_reader()
        self._dirty, self._deleted, self._taken = {}, set(), set()
        self._rowless = 0
        self._settle = self._settle_canonical = None
        self._loaded, self._spillable, self._unmarked = False, 0, False
        if not self.enabled:
            return

        def read(conn: sqlite3.Connection) -> tuple[str | None, str | None, str | None]:
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            return meta.get("settled"), meta.get("canonical"), meta.get("snapshot")

        got = self._guarded("read it", read) or (None, None, None)
        self.settled, self.canonical, self.snapshot = got
        self._loaded = self.enabled

    def _row(self, rel: str) -> tuple | None:
        """The loaded row of a page (None: none, or the cache turned off). Asked once per page
        of a walk: sqlite3 is imported only when something goes wrong (see _failed)."""
        if not self._loaded:
            return None
        try:
            if self._reader is None:
                self._reader = Reader(self._connect())
            return self._reader.row(rel)
        except UnicodeEncodeError:
            return None  # a file name SQLite cannot hold has no row
        except Exception as err:
            self._failed(err)
        return None

    def _failed(self, err: Exception) -> None:
        """A walk's read of a row failed: a damaged file is removed (the next pass starts
        afresh; this one reads the pages), and the cache turned off. Anything but SQLite's,
        the file system's or a value error is a bug: raised again."""
        import sqlite3

        if isinstance(err, sqlite3.DatabaseError) and not isinstance(err, sqlite3.OperationalError):
            log.warning("%s", note("state cache damaged", path=self.path, exception=err))
            self._close_reader()
            remove_cache_files(self.path)
        elif not isinstance(err, (sqlite3.Error, OSError, ValueError)):
            raise err
        self._disable("read it", err)

    def _close_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    def get(self, rel: str) -> Entry | None:
        """The entry of a vault-relative page path; None when unknown or unreadable."""
        entry = self._dirty.get(rel)
        if entry is not None:
            return entry
        if rel in self._deleted or rel in self._taken:
            return None
        if self._reader is not None:
            row = self._row(rel)
        elif self._loaded:
            row = self._guarded("read it", lambda conn: Reader(conn).row(rel))
        else:
            row = None
        return None if row is None else self.decode(row)

    @staticmethod
    def decode(row: tuple) -> Entry | None:
        """The entry a loaded row records; None when it cannot be read."""
        try:
            return rows.decode_row(row)
        except (ValueError, TypeError, KeyError, AttributeError, json.JSONDecodeError):
            return None

    def fresh(self, rel: str, dir_entry: os.DirEntry[str], now_ns: int) -> Entry | None:
        """The entry of a page that certainly still holds the recorded bytes, else None."""
        row = self.fresh_row(rel, dir_entry, now_ns)
        return None if row is None else self.decode(row)

    def fresh_row(self, rel: str, dir_entry: os.DirEntry[str], now_ns: int) -> tuple | None:
        """Like fresh(), the row as loaded (undecoded: see decode(), row_names())."""
        if rel in self._dirty or rel in self._taken:
            return None
        row = self._row(rel)
        self._asked, self._held = rel, row  # for take(), when the page is read after all
        if row is None:
            return None
        mtime_ns = row[2]
        if mtime_ns + RACY_NS > row[4] or mtime_ns + RACY_NS > now_ns:
            return None
        try:
            st = dir_entry.stat()
        except OSError:
            return None  # reading it says what is wrong
        if st.st_mtime_ns != mtime_ns or st.st_size != row[1] or st.st_ino != row[3]:
            return None
        self._asked = self._held = None
        return row

    def take(self, rel: str) -> Entry | None:
        """The entry of a page about to be read again (its row not handed out again)."""
        if rel in self._dirty or rel in self._taken or rel in self._deleted:
            return self._dirty.get(rel)
        row = self._held if self._asked == rel else self._row(rel)
        self._asked = self._held = None
        if row is None:
            self._rowless += 1
            return None
        self._taken.add(rel)
        return self.decode(row)

    def put(self, rel: str, entry: Entry) -> None:
        """Record what a page holds now; written by the next flush."""
        if self.enabled:
            self._dirty[rel] = entry
            self._deleted.discard(rel)
            if self._loaded and entry.kind == "other":  # during a full pass's walk
                self._spillable += 1
                if self._spillable >= SPILL and (self._wal or self._reader is None):
                    self._spill()

    def _spill(self) -> None:
        """Write the ordinary pages' rows put so far (nothing later changes them in this pass)
        and let go of them. Rows written without a full pass vouching for them: the `settled`
        mark goes, as in flush(); the pass's flush puts it back if it settles."""
        self._spillable = 0
        spilled = [(rel, e) for rel, e in self._dirty.items() if e.kind == "other"]
        rows = [encode_row(rel, e) for rel, e in spilled]

        write = partial(writes.write_spill, rows=rows)
        if self._guarded("write it", write):
            self._unmarked = True
            for rel, entry in spilled:
                if self._dirty.get(rel) is entry:
                    del self._dirty[rel]

    def drop(self, rel: str) -> None:
        """Forget a page (deleted, or no longer one we look at)."""
        if self.enabled:
            self._dirty.pop(rel, None)
            self._deleted.add(rel)

    def keep_only(self, seen: set[str]) -> int:
        """After a full walk: forget every loaded page the walk did not find (or could not
        read). Returns how many were forgotten. `seen`: the pages of the walk, each one whose
        row fresh_row() handed out or that take() was asked for."""
        gone: list[str] = []
        if self._loaded:
            import sqlite3

            def unseen(conn: sqlite3.Connection) -> list[str]:
                rows = conn.execute("SELECT rel FROM pages")
                return [r for (r,) in rows if r not in seen and r not in self._deleted]

            def none_unseen(conn: sqlite3.Connection) -> bool:
                # Every page of `seen` has a row but those take() found none of: as many
                # rows as that, and none is unseen (listing 53,000 keys costs 50 ms, this 3).
                (count,) = conn.execute("SELECT count(*) FROM pages").fetchone()
                return count == len(seen) - self._rowless and not self._deleted

            if self._reader is not None:
                try:
                    if not none_unseen(self._reader.conn):
                        gone = unseen(self._reader.conn)
                except (sqlite3.Error, ValueError) as err:
                    self._disable("read it", err)
            else:
                gone = self._guarded("read it", unseen) or []
        gone += [r for r in self._taken - seen if r not in gone]
        self.end_walk()
        for rel in gone:
            self.drop(rel)
        return len(gone)

    def settle(self, key: str, canonical: dict[str, str] | None = None) -> None:
        """Mark the rows, as the next flush leaves them, as those of a settled vault: a full
        pass under the settings `key` found every page as these rows say and changed nothing.
        Any later flush without this call removes the mark. `canonical`: the author plan's
        map, kept with the mark (when not given, one kept under the same `key` stays)."""
        if self.enabled:
            self._settle = key
            if canonical is not None:
                self._settle_canonical = json.dumps(canonical, separators=(",", ":"))

    def flush(self) -> None:
        """Write the changed rows in one transaction, then let go of what was loaded."""
        settle, self._settle = self._settle, None
        canonical, self._settle_canonical = self._settle_canonical, None
        if settle is None:
            canonical = None
        elif canonical is None and settle == self.settled:
            canonical = self.canonical  # settled again as before: its map still holds
        meta = (settle, canonical) != (self.settled, self.canonical) or self._unmarked
        self._close_reader()
        self._loaded, self._asked, self._held = False, None, None
        rows_changed = bool(self._dirty or self._deleted)
        # A settled vault's stat snapshot, made (once) whenever its rows are written or it has
        # none yet: what the next pass's walk compares with (same_as_settled).
        snap = settle is not None and (rows_changed or meta or self.snapshot is None)
        if not self.enabled or not (rows_changed or meta or snap):
            return
        rows = [encode_row(rel, e) for rel, e in self._dirty.items()]
        deleted = [(rel,) for rel in self._deleted]
        write = partial(
            writes.write_flush,
            rows=rows,
            deleted=deleted,
            settle=settle,
            canonical=canonical,
            snap=snap,
        )
        written, made = self._guarded("write it", write) or (False, None)
        self._dirty, self._deleted, self._unmarked, self._spillable = {}, set(), False, 0
        self.settled, self.canonical = settle, canonical
        self.snapshot = made if written and snap else self.snapshot if settle else None

    # ------------------------------------------------------------------ the settled snapshot

    def same_as_settled(self, keys: list[str], now_ns: int) -> bool:
        """Whether a walk found the vault as the settled rows record it (see snapshot.py):
        then no page's row need be looked up. `keys`: each page's stat_key (sorted here)."""
        return self._loaded and snapshot.matches(self.snapshot, keys, now_ns)

    def settled_rows(self) -> dict[str, tuple] | None:
        """After same_as_settled(): the managed and candidate pages' rows (undecoded); None if
        the mark or the snapshot changed since load() (another process), or the cache failed."""
        expected = (self.settled, self.snapshot)
        return self._guarded("read it", lambda conn: snapshot.settled_rows(conn, expected))

    def names_and_refs(self) -> dict[str, tuple[str, str]]:
        """Every row's names (encoded) and references, by page (see snapshot.names_and_refs)."""
        return self._guarded("read it", snapshot.names_and_refs) or {}

    def end_walk(self) -> None:
        """A walk is over: its reader closed, rows no longer handed out (see keep_only)."""
        self._close_reader()
        self._loaded, self._asked, self._held = False, None, None
        self._taken, self._rowless = set(), 0


def open_cache(state_dir: Path | None, root: Path, facts: str = "") -> StateCache | None:
    """The cache of the vault at `root`, or None when there is no state folder to keep it in.
    `facts`: the settings its rows' facts depend on (see StateCache)."""
    if state_dir is None:
        return None
    return StateCache(cache_path(state_dir, root), root, facts)


def remove_cache_files(path: Path) -> None:
    """Remove a damaged cache database and its journal files (the next pass starts afresh).
    The state cache's only file removal (through the writer, like every other)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            remove_private_file(Path(f"{path}{suffix}"), missing_ok=True)
        except OSError as err:
            log.warning("%s", note("state file not removed", path=f"{path}{suffix}", error=err))
