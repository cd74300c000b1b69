"""The history store's files: their names and layout, reading, writing and deleting them.

Layout under `root` (a private folder in the state dir), one folder per page:
    <key>/page.json                 {"path": ..., "restored_sha256": ..., "announced_sha256": ...}
    <key>/<saved_at_ns>-<sha256>.bin one saved version; the name carries its metadata
where <key> is a hash of the page's absolute path. File names are the index, so a crash can
never leave an index that disagrees with the versions on disk.

A pass that writes many pages (a batch, see writer.WriteBatch) saves their versions into one
pack instead, fsynced once:
    packs/<first_saved_ns>-<random>.pack
a sequence of records, each a JSON header line ({"path", "key", "saved_ns", "sha256", "size"})
followed by the version's bytes. A pack is only appended to; a record cut short by a crash (its
page was never replaced) is ignored. Both layouts are read together: a page's versions are the
files of its folder and its records in every pack, newest first, at most `keep_versions` of
them. A pack is removed once none of its records is among its page's kept versions, or as a
whole when the store is over its size limit (oldest first).

Everything here is a function of paths: the `History` object (store.py) adds the lock, the
limits and what it remembers between calls.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from vaultsync.errors import HistoryProblem, HistoryUnavailable
from vaultsync.render.notes import note
from vaultsync.writer import (
    is_temp_file,
    make_private_folder,
    remove_private_file,
    remove_private_folder,
    write_private_file,
)

log = logging.getLogger(__name__)

VERSION_NAME = re.compile(r"\A(\d{1,20})-([0-9a-f]{64})\.bin\Z")
META = "page.json"
PACKS = "packs"
PACK_NAME = re.compile(r"\A(\d{1,20})-[0-9a-f]{8,32}\.pack\Z")
_MAX_HEADER = 1 << 16
# A temp file this old in a page folder is a crash leftover, not a save in progress.
_STALE_TEMP_SECONDS = 3600


@dataclass(frozen=True)
class Stored:
    """Where one saved version is: a version file of its own, or a record in a pack."""

    saved_ns: int
    sha256: str
    size: int
    file: Path
    offset: int = -1  # where the bytes start in a pack; -1: the whole file is the version


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def from_ns(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 10**9, UTC) + timedelta(microseconds=ns % 10**9 // 1000)


# --------------------------------------------------------------------------- where things are


def absolute(path: Path) -> Path:
    # Resolved, so a vault reached through a symlink keys the same as its real location.
    return path.resolve(strict=False)


def page_folder(root: Path, path: Path) -> Path:
    """The folder of the page `path` (which need not exist yet): its key is the name."""
    raw = str(absolute(path)).encode("utf-8", "surrogateescape")
    return root / hashlib.sha256(raw).hexdigest()[:32]


def page_folders(root: Path) -> list[Path]:
    try:
        return [
            Path(e.path)
            for e in os.scandir(root)
            if e.is_dir(follow_symlinks=False) and e.name != PACKS
        ]
    except FileNotFoundError:
        return []


def folder_keys(root: Path) -> set[str]:
    """The names (keys) of the page folders under `root`, at a glance (no stat)."""
    try:
        return {e.name for e in os.scandir(root) if e.name != PACKS}
    except FileNotFoundError:
        return set()


def has_packs(root: Path) -> bool:
    return os.path.isdir(root / PACKS)


def pack_files(root: Path) -> list[Path]:
    try:
        entries = list(os.scandir(root / PACKS))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as err:
        raise HistoryUnavailable(root / PACKS, HistoryProblem.NOT_READ, error=err) from None
    return sorted(Path(e.path) for e in entries if PACK_NAME.match(e.name))


# ------------------------------------------------------------------------------------ reading


def read_versions(folder: Path) -> list[Stored]:
    """Saved versions in `folder`, newest first."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as err:
        raise HistoryUnavailable(folder, HistoryProblem.NOT_READ, error=err) from None
    stored: list[Stored] = []
    for entry in entries:
        match = VERSION_NAME.match(entry.name)
        if not match:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # pruned meanwhile
        if stat.S_ISREG(st.st_mode):
            stored.append(Stored(int(match[1]), match[2], st.st_size, Path(entry.path)))
    stored.sort(key=lambda s: s.saved_ns, reverse=True)
    return stored


def read_stored(version: Stored) -> bytes:
    if version.offset < 0:
        return version.file.read_bytes()
    with open(version.file, "rb") as f:
        f.seek(version.offset)
        return f.read(version.size)


def read_pack(file: Path) -> list[tuple[str, Stored, str]]:
    """The whole records of a pack: (key, record, page path); a record cut short ends it."""
    found: list[tuple[str, Stored, str]] = []
    try:
        with open(file, "rb") as f:
            end = os.fstat(f.fileno()).st_size
            while True:
                line = f.readline(_MAX_HEADER)
                if not line.endswith(b"\n"):
                    break
                try:
                    head = json.loads(line)
                    key, page = str(head["key"]), str(head["path"])
                    saved, digest, size = (
                        int(head["saved_ns"]),
                        str(head["sha256"]),
                        int(head["size"]),
                    )
                except (ValueError, KeyError, TypeError):
                    log.warning("%s", note("history pack damaged", file=file))
                    break
                offset = f.tell()
                if offset + size > end:
                    break  # cut short by a crash: its page was never replaced
                found.append((key, Stored(saved, digest, size, file, offset), page))
                f.seek(offset + size)
    except FileNotFoundError:
        return []
    except OSError as err:
        raise HistoryUnavailable(file, HistoryProblem.NOT_READ, error=err) from None
    return found


def read_meta(folder: Path) -> dict[str, Any]:
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        log.warning("%s", note("history index damaged", file=folder / META, exception=err))
        return {}
    return meta if isinstance(meta, dict) else {}


# ------------------------------------------------------------------------------------ writing


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    write_private_file(folder / META, json.dumps(meta, indent=1).encode("utf-8"))


def write_version(folder: Path, saved_ns: int, digest: str, data: bytes) -> Path:
    """Save `data` as a version file of its own in `folder`; its path."""
    newest = folder / f"{saved_ns:020d}-{digest}.bin"
    write_private_file(newest, data)
    return newest


def page_folder_for_writing(root: Path, path: Path) -> Path:
    """The folder of `path`, made (with its index) when missing."""
    folder = page_folder(root, path)
    if not folder.is_dir():
        make_private_folder(root)  # someone may have removed it meanwhile
        make_private_folder(folder)
    meta = read_meta(folder)
    if "path" not in meta:  # new, or the index was damaged: the path is what `pages` shows
        meta.update(path=str(absolute(path)), restored_sha256=None)
        write_meta(folder, meta)
    return folder


# ----------------------------------------------------------------------------------- deleting


def delete(path: Path, *, folder: bool = False) -> None:
    """Delete one of the store's files, or (`folder`) an empty page folder: the one place the
    history removes anything. A file already gone is fine (another process pruned it); a
    folder's errors are the caller's to judge."""
    if folder:
        remove_private_folder(path)
    else:
        remove_private_file(path, missing_ok=True)


def drop_if_empty(folder: Path) -> None:
    """Remove a page folder left with no version and no hold."""
    if read_versions(folder) or read_meta(folder).get("restored_sha256"):
        return
    try:
        for entry in os.scandir(folder):
            if entry.name == META or is_temp_file(entry.name):
                continue
            return  # something we do not know: leave the folder alone
        delete(folder / META)
        delete(folder, folder=True)
    except OSError as err:
        log.debug("%s", note("history folder kept", folder=folder, exception=err))


def remove_stale_temps(folder: Path) -> None:
    cutoff = time.time() - _STALE_TEMP_SECONDS
    for entry in os.scandir(folder):
        try:
            if is_temp_file(entry.name) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                delete(Path(entry.path))
        except FileNotFoundError:
            continue
