"""The state cache's keys: where a vault's cache lives, the fingerprint of the code that
decides what a row says (another version of it empties the cache), the context keys a clean
row is recorded under, and the hash and clock rows are compared with."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

CACHE_VERSION = 1

# Sources whose code decides what a row says (names, kind, whether a page is clean): a change to
# any of them invalidates every row. (Folders of vaultsync/, or single files in it.)
_FINGERPRINT_FILES = ("pipeline", "state", "core")


def digest(data: bytes) -> bytes:
    """The hash rows record of a page's bytes."""
    return hashlib.sha256(data).digest()


def cache_path(state_dir: Path, root: Path) -> Path:
    """Where the cache of the vault at `root` lives."""
    raw = os.fsencode(os.path.realpath(root))
    return Path(state_dir) / "cache" / f"{hashlib.sha256(raw).hexdigest()[:32]}.sqlite"


_fingerprint: str | None = None


def code_fingerprint() -> str:
    """A hash of the code that decides what a row says; another version invalidates every row."""
    global _fingerprint
    if _fingerprint is None:
        from vaultsync import __version__

        h = hashlib.sha256(f"{CACHE_VERSION}:{__version__}".encode())
        here = Path(__file__).parent.parent  # vaultsync/
        files: list[Path] = []
        for name in _FINGERPRINT_FILES:
            path = here / name
            files += sorted(path.glob("*.py")) if path.is_dir() else [path]
        for path in files:
            try:
                h.update(path.name.encode() + b"\0" + path.read_bytes())
            except OSError:
                h.update(path.name.encode() + b"\0?")
        _fingerprint = h.hexdigest()[:32]
    return _fingerprint


def base_key(*parts: object) -> str:
    """A pass's context key: the code's fingerprint and the options that shape a clean page."""
    text = "\0".join([code_fingerprint(), *map(repr, parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def clean_key(base: str, referenced: set[str] | frozenset[str], ids: tuple[str, ...]) -> str:
    """The context a candidate is cleaned under: the pass's `base` key (code, kind, rules) and
    which of the page's own block ids other notes reference (dedupe keeps those)."""
    kept = sorted(i for i in ids if i in referenced)
    if not kept:
        return base
    return hashlib.sha256((base + "\0" + " ".join(kept)).encode()).hexdigest()[:32]


def stat_key(rel: str, size: int, mtime_ns: int, ino: int) -> str:
    """One page in a stat snapshot: its path and the stat a row is trusted by."""
    return f"{rel}\0{size}\0{mtime_ns}\0{ino}"


def stat_digest(keys: list[str]) -> str:
    """The hash of a stat snapshot: every page's stat_key, in any order (sorted here as SQLite
    orders the rows' keys: by code point, a path before the longer paths it begins)."""
    keys.sort()
    text = "\0\0".join(keys).encode("utf-8", "surrogatepass")
    return hashlib.sha256(text).hexdigest()[:32]


def now_ns() -> int:
    """The wall clock rows compare mtimes with."""
    return time.time_ns()
