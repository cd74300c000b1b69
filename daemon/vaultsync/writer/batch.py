"""`WriteBatch`: many pages written with one durability barrier (the barrier itself is in
barrier.py), and how many writes a pass makes one by one before it batches the rest."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.errors import Unsafe, UnsafePathError, VaultsyncError, WriteFailed, WriteProblem
from vaultsync.writer.atomic import link_new, put_back_late_write, write_atomic
from vaultsync.writer.barrier import per_file_fsync, sync_temp_files
from vaultsync.writer.folders import Folder, open_folder, write_failed
from vaultsync.writer.guard import VaultGuard
from vaultsync.writer.read import Snapshot
from vaultsync.writer.stage import close_fd, open_unchanged, stage_temp, verify_unchanged

if TYPE_CHECKING:
    from vaultsync.history import History

log = logging.getLogger(__name__)

# Each phase of a full pass writes this many pages one by one (write_atomic), the rest as a
# batch (WriteBatch). Measured with bench/batch_threshold.py (docs/performance.md, "Third
# round"): below 4 pages the barrier's fixed cost is more than the fsyncs it saves, and the
# crossover moved between 4 and 16 with the disk's load. VAULTSYNC_BATCH_MIN overrides it (the
# crash tests run the batched path on small vaults with 0).
BATCH_MIN = 16
# Temp files a batch holds in the vault before it commits (and folders it holds open).
BATCH_MAX_FILES = 512
BATCH_MAX_BYTES = 64 * 2**20
BATCH_MAX_FOLDERS = 64


def batch_threshold() -> int:
    """How many writes a full pass makes one by one before it batches the rest."""
    value = os.environ.get("VAULTSYNC_BATCH_MIN", "")
    return int(value) if value.isdigit() else BATCH_MIN


Done = Callable[[VaultsyncError | None], None]


@dataclass
class _Pending:
    snapshot: Snapshot | None
    target: Path
    real: Path
    data: bytes
    temp: str
    folder: Folder
    done: Done


class WriteBatch:
    """Many pages written with one durability barrier, as git's `core.fsyncMethod=batch`.

    `add` checks the page and writes its temp file now, in its folder held open (as
    write_atomic does), without an fsync of its own; `commit` makes every temp file durable
    with one barrier (see barrier.py: on Linux all of them fsynced at once, which the file
    system commits together; macOS: one F_FULLFSYNC; elsewhere an fsync per file), then, page
    by page, opens the folder afresh from the vault root, checks it is the
    folder the temp file was written in and that the page is still exactly as read, renames,
    and last fsyncs each folder once. A crash at any point leaves each page its old or its new
    bytes; the temp files left behind are removed by the next pass's cleanup.

    The history copies of the pages go into one pack (History.pack), made durable before the
    first rename. The first `direct` writes go through write_atomic (few writes are cheaper
    one by one); each `done` callback is called once, after the page's write or its failure
    (None, or the VaultsyncError that stopped it), in the order the pages were added.
    """

    def __init__(
        self, guard: VaultGuard, *, history: History | None = None, direct: int | None = None
    ) -> None:
        self.guard = guard
        self.history = history
        self.direct = batch_threshold() if direct is None else direct
        self.added = 0  # writes handed to this batch, direct ones included
        self._pending: list[_Pending] = []
        self._targets: set[Path] = set()  # the targets of _pending
        self._bytes = 0
        self._folders: dict[Path, Folder] = {}
        self._pack = None
        self._unsynced = False  # temp files written without their own fsync
        self._written: list[Done] = []  # the callbacks of the direct writes, done already

    def __enter__(self) -> WriteBatch:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:
            self.finish()
        else:
            self.abort()

    def finish(self) -> None:
        """Commit what is left, and close the history pack (the pass's versions: one file,
        fsynced once per commit, pruned once)."""
        self.commit()
        if self._pack is not None:
            pack, self._pack = self._pack, None
            try:
                pack.close()
            except VaultsyncError as err:  # (its copies were synced before their renames)
                log.warning("%s", err)

    def take_direct(self) -> bool:
        """True (and counted) while the batch is below its threshold: the caller writes this
        page itself, through write_atomic, and it is done at once."""
        if self.added < self.direct:
            self.added += 1
            return True
        return False

    def holds(self, target: Path) -> bool:
        """True when a write to `target` waits in this batch."""
        return target in self._targets

    def add(
        self, snapshot: Snapshot | None, target: Path, data: bytes, done: Done, *, history=True
    ) -> bool:
        """Queue `data` for `target` (snapshot None: a new page); False when nothing changes.
        Raises what write_atomic raises for what can be told now (the page changed since read,
        a path outside the vault, the disk refusing the temp file); later failures go to
        `done`. `history`: keep the old bytes in the history (False for a new page)."""
        if not isinstance(target, Path):
            target = Path(target)
        keep = self.history if history else None
        if self.added < self.direct:
            if not write_atomic(self.guard, snapshot, target, data, history=keep):
                return False
            self.added += 1
            self._written.append(done)
            return True
        real = self.guard.check(target)
        if snapshot is not None and data == snapshot.data:
            return False
        self.added += 1
        folder = self._folder(real.parent, target)
        name = real.name
        original = verify_unchanged(folder, name, target, snapshot)
        if keep is not None and snapshot is not None:
            if self._pack is None:
                self._pack = keep.pack()
            self._pack.add(real, snapshot.data)
        temp, old_fd = stage_temp(
            folder, name, target, snapshot, data, original, durable=per_file_fsync()
        )
        close_fd(old_fd)
        self._unsynced = True
        self._pending.append(_Pending(snapshot, target, real, data, temp, folder, done))
        self._targets.add(target)
        self._bytes += len(data)
        return True

    @property
    def full(self) -> bool:
        """Time to commit: the caller does, between two pages (never inside `add`, so no
        callback runs in the middle of another page's work)."""
        return (
            len(self._pending) >= BATCH_MAX_FILES
            or self._bytes >= BATCH_MAX_BYTES
            or len(self._folders) >= BATCH_MAX_FOLDERS
            or len(self._written) >= BATCH_MAX_FILES
        )

    def _folder(self, real_folder: Path, target: Path) -> Folder:
        folder = self._folders.get(real_folder)
        if folder is None:
            folder = open_folder(self.guard, real_folder, target)
            self._folders[real_folder] = folder
        return folder

    def commit(self) -> None:
        """Make the batch durable and put every page in place; call each `done`."""
        written, self._written = self._written, []
        for done in written:
            done(None)
        pending, self._pending, self._bytes = self._pending, [], 0
        self._targets = set()
        held, self._folders = self._folders, {}
        fresh: dict[Path, Folder] = {}
        outcomes: list[VaultsyncError | None] = []
        try:
            failure = self._barrier(pending, held)
            for item in pending:
                if failure is None:
                    outcomes.append(self._put(item, fresh))
                else:
                    item.folder.remove_quietly(item.temp)
                    why, err = failure
                    outcomes.append(WriteFailed(item.target, why, error=err))
            for path, folder in fresh.items():  # one fsync per folder: the renames are durable
                try:
                    folder.fsync()
                except OSError as err:
                    for i, item in enumerate(pending):
                        if item.real.parent == path and outcomes[i] is None:
                            outcomes[i] = WriteFailed(
                                item.target, WriteProblem.NOT_FLUSHED, path, err
                            )
        except BaseException:
            for item in pending[len(outcomes) :]:
                item.folder.remove_quietly(item.temp)
            raise
        finally:
            for folder in [*held.values(), *fresh.values()]:
                folder.close()
        for item, outcome in zip(pending, outcomes, strict=True):
            item.done(outcome)

    def _barrier(
        self, pending: list[_Pending], folders: dict[Path, Folder]
    ) -> tuple[WriteProblem, BaseException] | None:
        """Make the temp files (and the history pack) durable; why not, when it failed."""
        if self._pack is not None:
            try:
                self._pack.sync()  # every copy is on disk before its page is replaced
            except VaultsyncError as err:
                return WriteProblem.NO_HISTORY_COPY, err
        if not pending or not self._unsynced:
            return None
        self._unsynced = False
        try:
            sync_temp_files([(item.folder, item.temp) for item in pending], list(folders.values()))
        except OSError as err:
            return WriteProblem.TEMP_NOT_FLUSHED, err
        return None

    def _put(self, item: _Pending, fresh: dict[Path, Folder]) -> VaultsyncError | None:
        """Rename one temp file over its page, in its folder opened afresh from the vault root
        and proven the very folder the temp file was written in (a folder moved or swapped
        since is refused); the error that stopped it, or None."""
        placed = False
        try:
            folder = fresh.get(item.real.parent)
            if folder is None:
                real = self.guard.check_folder(item.real.parent)
                folder = open_folder(self.guard, real, item.target)
                fresh[item.real.parent] = folder
            if not _same_folder(folder, item.folder):
                raise UnsafePathError(item.target, Unsafe.FOLDER_MOVED, item.real.parent)
            self._rename(folder, item)
            placed = True
            return None
        except VaultsyncError as err:
            return err
        except OSError as err:
            return write_failed(item.target, item.folder.path, err)
        finally:
            if not placed:  # refused or failed: no temp file is left behind
                item.folder.remove_quietly(item.temp)

    def _rename(self, folder: Folder, item: _Pending) -> None:
        name, target, snapshot = item.real.name, item.target, item.snapshot
        verify_unchanged(folder, name, target, snapshot)
        if snapshot is None:
            link_new(folder, item.temp, name, target)
            return
        old_fd = open_unchanged(folder, name, target, snapshot)
        try:
            folder.replace(item.temp, name)
        except BaseException:
            os.close(old_fd)
            raise
        try:
            put_back_late_write(
                self.guard, snapshot, item.data, target, item.real, old_fd, self.history
            )
        finally:
            os.close(old_fd)

    def abort(self) -> None:
        """Remove the temp files of what was added and not committed (nothing replaced)."""
        self._written = []
        pending, self._pending, self._bytes = self._pending, [], 0
        self._targets = set()
        folders, self._folders = self._folders, {}
        self._drop(pending, folders)
        if self._pack is not None:
            pack, self._pack = self._pack, None
            try:
                pack.close()
            except VaultsyncError as err:
                log.warning("%s", err)

    @staticmethod
    def _drop(pending: list[_Pending], folders: dict[Path, Folder]) -> None:
        for item in pending:
            item.folder.remove_quietly(item.temp)
        for folder in folders.values():
            folder.close()


def _same_folder(a: Folder, b: Folder) -> bool:
    if a.fd is None or b.fd is None:
        return a.path == b.path
    one, two = os.fstat(a.fd), os.fstat(b.fd)
    return (one.st_dev, one.st_ino) == (two.st_dev, two.st_ino)
