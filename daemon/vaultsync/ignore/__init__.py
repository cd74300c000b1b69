"""Which files of a vault are ours to look at: the include/exclude glob patterns (what is
cleaned), the always-excluded folders and sync-tool temp files (what is never read), and the
walk, which also yields every other `.md`, `.canvas` and `.org` file, read for references and
names only.

Three modules, each with one job; this package re-exports the names callers use:
- `globs`: the glob language (what a pattern means, `pattern_problem`, `hidden_patterns`);
- `pathfilter`: `PathFilter`, which paths are candidate pages and which are read at all;
- `walker`: `VaultWalker` and the `walk_*` functions, the `os.scandir` walk over a vault.
"""

from vaultsync.ignore.globs import hidden_patterns, pattern_problem
from vaultsync.ignore.pathfilter import (
    ALWAYS_EXCLUDED,
    DEFAULT_INCLUDE,
    READ_SUFFIXES,
    PathFilter,
    ReadingFilter,
)
from vaultsync.ignore.walker import (
    SkippedFolder,
    VaultWalker,
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
