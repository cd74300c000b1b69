"""The holds `undo` leaves: a page the user restored is left as it is while it has the restored
bytes (its sha256 is kept in the page folder's index, `page.json`). Marking, asking, releasing,
announcing a hold once, and `held_after_undo`, which every pass asks, in every mode."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.errors import HistoryProblem, HistoryUnavailable
from vaultsync.history.files import (
    absolute,
    drop_if_empty,
    page_folder,
    page_folder_for_writing,
    read_meta,
    sha256,
    write_meta,
)
from vaultsync.pipeline.report import PageReason
from vaultsync.render.notes import note
from vaultsync.results import Reason

if TYPE_CHECKING:
    from vaultsync.pipeline.report import PassOptions, PassReport

log = logging.getLogger(__name__)


def mark_restored(root: Path, path: Path, data: bytes) -> None:
    """Remember that the user restored `data` to `path`, so the daemon leaves it as it is."""
    try:
        folder = page_folder_for_writing(root, path)
        meta = read_meta(folder)
        meta["path"] = str(absolute(path))
        meta["restored_sha256"] = sha256(data)
        meta.pop("announced_sha256", None)  # a new hold: announced afresh
        write_meta(folder, meta)
    except OSError as err:
        raise HistoryUnavailable(
            root, HistoryProblem.RESTORE_NOT_RECORDED, Path(path), err
        ) from None


def restored_hash(root: Path, path: Path) -> str | None:
    """The sha256 of the bytes last restored to `path` by the user, if any."""
    value = read_meta(page_folder(root, path)).get("restored_sha256")
    return value if isinstance(value, str) else None


def is_held(root: Path, path: Path, data: bytes | None = None) -> bool:
    """Whether `path` is held after undo: it still has the bytes the user restored (`data`,
    or read from disk). A hold lapses by itself when the page changes."""
    restored = restored_hash(root, path)
    if restored is None:
        return False
    if data is None:
        try:
            data = Path(path).read_bytes()
        except OSError:
            return False
    return sha256(data) == restored


def release(root: Path, path: Path) -> bool:
    """Forget the hold on `path`, so the next pass cleans it; False if it had none."""
    folder = page_folder(root, path)
    meta = read_meta(folder)
    if not meta.get("restored_sha256"):
        return False
    meta["restored_sha256"] = None
    meta.pop("announced_sha256", None)
    try:
        write_meta(folder, meta)
    except OSError as err:
        raise HistoryUnavailable(root, HistoryProblem.NOT_RELEASED, Path(path), err) from None
    drop_if_empty(folder)
    return True


def announce_hold(root: Path, path: Path) -> bool:
    """True the first time this is asked for the current hold on `path` (persisted in the
    store, so a restart does not ask again): the daemon warns once per undo, not at every
    start. False when already announced. When the mark cannot be recorded it is said
    again next time: better twice than never."""
    folder = page_folder(root, path)
    meta = read_meta(folder)
    restored = meta.get("restored_sha256")
    if not isinstance(restored, str) or meta.get("announced_sha256") == restored:
        return False
    meta["announced_sha256"] = restored
    try:
        write_meta(folder, meta)
    except OSError as err:
        log.debug("%s", note("hold not recorded", path=path, exception=err))
    return True


def held_after_undo(path: Path, data: bytes, options: PassOptions, report: PassReport) -> bool:
    """Whether the page is held after undo (it has the bytes the user restored); if so it is
    reported skipped, in every mode alike, so check, dry run and resync agree."""
    history = options.history
    if history is None or not history.is_held(path.resolve(), data):  # type: ignore[attr-defined]
        return False
    report.skipped.append((path, PageReason(Reason.HELD_AFTER_UNDO)))
    first = options.mode == "write" and history.announce_hold(path.resolve())  # type: ignore[attr-defined]
    report.held[path] = first
    return True
