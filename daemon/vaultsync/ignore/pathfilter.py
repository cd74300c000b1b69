"""Which paths of a vault are ours to look at: `PathFilter` (the candidate pages, what the
include and exclude patterns leave of the `.md` files, and the files read for the index) and
`ReadingFilter` (the same filter as the files a pass reads, for the watcher).

Only `.md` files are ever candidates, whatever the include patterns say, and what
`ALWAYS_EXCLUDED` names is never a candidate, whatever the include patterns say.

Include and exclude limit what is *cleaned*, not what is *read*: block references and page
names count wherever they are, so a pass also reads every `.md`, `.canvas` and `.org` file
outside them (`PathFilter.reads`, `VaultWalker.reading_entries`). Only what `ALWAYS_EXCLUDED`
names is never read at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from vaultsync.errors import ConfigError, ConfigProblem
from vaultsync.ignore.globs import compile_patterns, pattern_problem, split_rel

#: Folders and files no vault page can live in: app settings, trash, version control,
#: sync-tool and editor leftovers, our own temp files, and anything hidden.
ALWAYS_EXCLUDED: tuple[str, ...] = (
    "**/.obsidian/",
    "**/.trash/",
    "**/.git/",
    "**/logseq/bak/",
    "**/logseq/.recycle/",
    "**/node_modules/",
    "**/.syncthing.*.tmp",  # Syncthing's temp files while downloading
    "**/*.sync-conflict-*",  # Syncthing's conflict copies: the user resolves those, not us
    "**/.*.icloud",  # iCloud placeholders for files not downloaded yet
    "**/*.swp",
    "**/*~",
    "**/.#*",
    "**/*.tmp",
    "**/.*.vaultsync-*.tmp",  # our own atomic-write temp files
    "**/.*",  # anything hidden (covers most of the above; they stay listed to be explicit)
)

DEFAULT_INCLUDE: tuple[str, ...] = ("**/*.md",)

#: Files read for what they tell the index even where no page is cleaned: notes (block
#: references, names), Obsidian canvases (references), Logseq org pages (names).
READ_SUFFIXES: tuple[str, ...] = (".md", ".canvas", ".org")

_PAGE_SUFFIX = ".md"
_CACHE_SIZE = 4096


class PathFilter:
    """Decides which vault-relative paths are candidate pages (see the module docstring)."""

    __slots__ = (
        "include",
        "exclude",
        "_inc_any",
        "_inc_file",
        "_exc_any",
        "_exc_file",
        "_cache",
        "_every_page",
        "always_any",
        "always_file",
        "_read_cache",
    )

    def __init__(self, include: Iterable[str] = DEFAULT_INCLUDE, exclude: Iterable[str] = ()):
        self.include: tuple[str, ...] = tuple(include) or DEFAULT_INCLUDE
        self.exclude: tuple[str, ...] = tuple(exclude)
        problems = [
            ConfigProblem(f"{pattern!r}: {problem}", key=f"{name}[{index}]")
            for name, patterns in (("include", self.include), ("exclude", self.exclude))
            for index, pattern in enumerate(patterns)
            if (problem := pattern_problem(pattern)) is not None
        ]
        if problems:
            raise ConfigError(None, problems)
        self._inc_any, self._inc_file = compile_patterns(self.include)
        # `**/*.md` (the default) includes every page: no regex to ask per file.
        self._every_page = "**/*.md" in self.include
        self._exc_any, self._exc_file = compile_patterns((*ALWAYS_EXCLUDED, *self.exclude))
        # folder -> None (excluded) or whether an include covers it; read by watchdog's threads
        # too, where a lost race only recomputes an entry.
        self._cache: dict[str, bool | None] = {}
        # What ALWAYS_EXCLUDED names (folders; files): never read. Public for the walker
        # (ignore/walker.py), which asks them of each entry where a folder is walked for reading.
        self.always_any, self.always_file = compile_patterns(ALWAYS_EXCLUDED)
        self._read_cache: dict[str, bool] = {}  # folder -> whether its files are read at all

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PathFilter):
            return NotImplemented
        return (self.include, self.exclude) == (other.include, other.exclude)

    def __hash__(self) -> int:
        return hash((self.include, self.exclude))

    def __repr__(self) -> str:
        return f"PathFilter(include={list(self.include)!r}, exclude={list(self.exclude)!r})"

    def matches(self, rel_path: str) -> bool:
        """True when the vault-relative POSIX path is a page we look at."""
        parts = split_rel(rel_path)
        if not parts or not parts[-1].endswith(_PAGE_SUFFIX):
            return False
        state = self._folder_chain(parts[:-1])
        return state is not None and self.file_matches("/".join(parts), state)

    def dir_excluded(self, rel_dir: str) -> bool:
        """True when nothing inside this vault-relative folder can be a page (prune it)."""
        parts = split_rel(rel_dir)
        return parts is None or self._folder_chain(parts) is None

    def reads(self, rel_path: str) -> bool:
        """True when the file is read for the index (block references, names): any `.md`,
        `.canvas` or `.org` file that ALWAYS_EXCLUDED does not name, included or not."""
        parts = split_rel(rel_path)
        if not parts or not parts[-1].endswith(READ_SUFFIXES):
            return False
        rel = "/".join(parts)
        return self._read_chain(parts[:-1]) and not self.always_file.fullmatch(rel)

    def dir_unread(self, rel_dir: str) -> bool:
        """True when no file inside this folder is read at all (ALWAYS_EXCLUDED names it)."""
        parts = split_rel(rel_dir)
        return parts is None or not self._read_chain(parts)

    def reading(self) -> ReadingFilter:
        """This filter as the files a pass reads: what a watcher must report (see module)."""
        return ReadingFilter(self)

    def _read_chain(self, parts: list[str]) -> bool:
        if not parts:
            return True
        key = "/".join(parts)
        cache = self._read_cache
        if key in cache:
            return cache[key]
        state = self._read_chain(parts[:-1]) and not self.always_any.fullmatch(key)
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[key] = state
        return state

    def _folder_chain(self, parts: list[str]) -> bool | None:
        """State of a folder given as components ('' is the root), from its ancestors down."""
        if not parts:
            return False
        key = "/".join(parts)
        cache = self._cache
        if key in cache:
            return cache[key]
        parent = self._folder_chain(parts[:-1])
        state = None if parent is None else self.folder_state(key, parent)
        if len(cache) >= _CACHE_SIZE:
            cache.clear()  # folders repeat in bursts; a crude bound is enough
        cache[key] = state
        return state

    # The walk's steps (ignore/walker.py): it checks each folder once on the way down
    # (folder_state, given its parent's), so per file only the file itself (file_matches).
    def file_matches(self, rel: str, included_by_folder: bool) -> bool:
        """A file in a folder that is not excluded is a candidate (`included_by_folder`: the
        folder's state, whether an include pattern covers it)."""
        if not rel.endswith(_PAGE_SUFFIX) or self._exc_file.fullmatch(rel):
            return False
        return included_by_folder or self._every_page or self._inc_file.fullmatch(rel)

    def folder_state(self, rel_dir: str, parent_included: bool) -> bool | None:
        """None when the folder is excluded, else whether an include pattern covers it."""
        if self._exc_any.fullmatch(rel_dir):
            return None
        return parent_included or self._inc_any.fullmatch(rel_dir)


class ReadingFilter:
    """A PathFilter seen as the files a pass reads (`matches` = `reads`, `dir_excluded` =
    `dir_unread`): given to the watcher, it reports a change to a note outside the include
    patterns or to a canvas, whose new block references must be known before the page they
    point at is next rewritten."""

    __slots__ = ("cleaning",)

    def __init__(self, cleaning: PathFilter) -> None:
        self.cleaning = cleaning

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReadingFilter):
            return NotImplemented
        return self.cleaning == other.cleaning

    def __hash__(self) -> int:
        return hash(("reading", self.cleaning))

    def matches(self, rel_path: str) -> bool:
        return self.cleaning.reads(rel_path)

    def dir_excluded(self, rel_dir: str) -> bool:
        return self.cleaning.dir_unread(rel_dir)
