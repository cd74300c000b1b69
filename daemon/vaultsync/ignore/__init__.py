"""Which files of a vault are ours to look at (split into modules in the next commit)."""

from vaultsync.ignore.pathfilter import (
    ALWAYS_EXCLUDED,
    DEFAULT_INCLUDE,
    READ_SUFFIXES,
    PathFilter,
    ReadingFilter,
    SkippedFolder,
    VaultWalker,
    hidden_patterns,
    pattern_problem,
    walk_entries,
    walk_reading,
    walk_vault,
)

__all__ = [
    "ALWAYS_EXCLUDED",
    "DEFAULT_INCLUDE",
    "READ_SUFFIXES",
    "PathFilter",
    "ReadingFilter",
    "SkippedFolder",
    "VaultWalker",
    "hidden_patterns",
    "pattern_problem",
    "walk_entries",
    "walk_reading",
    "walk_vault",
]
