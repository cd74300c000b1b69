"""Which files of a vault are ours to look at: glob patterns, always-excluded folders, the walk.

Patterns are matched against POSIX paths relative to the vault root:
- `*` and `?` never cross a `/`; `[abc]` / `[!abc]` match one character of a name;
- a `**` segment matches zero or more folders (`**/*.md` matches `a.md` and `x/y/a.md`);
- a pattern ending in `/` matches folders only;
- a pattern that matches a folder covers everything inside it (`Archive`, `Archive/` and
  `Archive/**` all exclude the whole folder; `pages` includes everything below `pages/`).

Only `.md` files are ever candidates, whatever the include patterns say, and what
`ALWAYS_EXCLUDED` names is never a candidate, whatever the include patterns say.

Include and exclude limit what is *cleaned*, not what is *read*: block references and page
names count wherever they are, so a pass also reads every `.md`, `.canvas` and `.org` file
outside them (`PathFilter.reads`, `VaultWalker.reading_entries`). Only what `ALWAYS_EXCLUDED`
names is never read at all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vaultsync.errors import ConfigError, ConfigProblem

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

_NEVER = re.compile(r"(?!)")
_PAGE_SUFFIX = ".md"
_CACHE_SIZE = 4096


def pattern_problem(pattern: str) -> str | None:
    """Say what is wrong with a glob pattern, or None when it can be used."""
    if not pattern.strip():
        return "empty pattern; remove it or write a glob such as '**/*.md'"
    if "\\" in pattern:
        return "use '/' between folders (patterns are matched against paths like 'pages/a.md')"
    if ".." in pattern.split("/"):
        return "'..' is not allowed: patterns are relative to the vault and cannot leave it"
    body, _ = _normalize_pattern(pattern)
    if not body:
        return "this matches the whole vault; write a glob such as '**/*.md' or 'pages/'"
    try:
        _glob_to_regex(body)
    except ValueError as err:
        return str(err)
    return None


def hidden_patterns(entries: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Exclude patterns for Logseq's `:hidden` entries, and the entries that cannot be used.

    Logseq hides a file when its graph-relative path, written with a leading `/`, starts with
    an entry (a leading `/` is added to an entry without one): `/archived` hides the folder
    `archived/`, a file `archived.md`, and also `archived-2023/`. The same prefix as a glob is
    the entry with its glob characters escaped and a `*` after it (a pattern that matches a
    folder covers everything inside it); an entry ending in `/` names that folder only.
    Entries that would hide the whole graph, leave it (`..`) or hold a backslash are returned
    as unusable.
    """
    patterns: list[str] = []
    unusable: list[str] = []
    for entry in entries:
        body = "".join(f"[{c}]" if c in "*?[" else c for c in entry.strip("/"))
        pattern = body + "/" if entry.endswith("/") else body + "*"
        if not body or pattern_problem(pattern) is not None:
            unusable.append(entry)
        else:
            patterns.append(pattern)
    return tuple(patterns), tuple(unusable)


def _normalize_pattern(pattern: str) -> tuple[str, bool]:
    """Strip a leading '/' and './' (both mean the vault root); report a trailing '/'."""
    dir_only = pattern.endswith("/")
    parts = [p for p in pattern.strip("/").split("/") if p not in ("", ".")]
    return "/".join(parts), dir_only


def _translate_name(segment: str) -> str:
    """Regex for one path segment (no '/'): '*' and '?' stay inside the segment."""
    out: list[str] = []
    i, n = 0, len(segment)
    while i < n:
        c = segment[i]
        if c == "*":
            while i + 1 < n and segment[i + 1] == "*":
                i += 1  # 'a**b' inside a segment means the same as 'a*b'
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i + 1
            negate = j < n and segment[j] in "!^"
            if negate:
                j += 1
            if j < n and segment[j] == "]":
                j += 1  # a ']' right after '[' or '[!' is a literal
            end = segment.find("]", j)
            if end == -1:
                raise ValueError(f"'[' without a closing ']' in {segment!r}")
            body = segment[i + 1 + (1 if negate else 0) : end]
            # Escape what regex classes treat specially; '-' keeps its range meaning.
            body = "".join("\\" + ch if ch in "\\[]^&~|" else ch for ch in body)
            out.append(f"[^/{body}]" if negate else f"[{body}]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _glob_to_regex(pattern: str) -> str:
    """Regex source (for fullmatch) equivalent to one normalized glob pattern."""
    segments = pattern.split("/")
    out = ""
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == "**":
            if index == last:
                # 'a/**' covers a itself and everything below; '**' alone is everything.
                out = out[:-1] + "(?:/.*)?" if out else ".*"
            else:
                out += "(?:[^/]+/)*"
        else:
            out += _translate_name(segment)
            if index != last:
                out += "/"
    return out


class _Matcher:
    """A set of patterns compiled for speed: `**/name` patterns test only the last component."""

    __slots__ = ("_name_re", "_path_re")

    def __init__(self, bodies: list[str]) -> None:
        name_parts: list[str] = []
        path_parts: list[str] = []
        for body in bodies:
            rest = body[3:] if body.startswith("**/") else None
            if rest is not None and "/" not in rest and "**" not in rest:
                name_parts.append(_translate_name(rest))
            else:
                path_parts.append(_glob_to_regex(body))
        # None when there is no such pattern (this runs for every file of every walk).
        self._name_re = _join(name_parts) if name_parts else None
        self._path_re = _join(path_parts) if path_parts else None

    def fullmatch(self, rel: str) -> bool:
        name_re, path_re = self._name_re, self._path_re
        if name_re is not None and name_re.fullmatch(rel[rel.rfind("/") + 1 :]):
            return True
        return path_re is not None and path_re.fullmatch(rel) is not None


def _join(parts: list[str]) -> re.Pattern[str]:
    if not parts:
        return _NEVER
    return re.compile("|".join(f"(?:{p})" for p in parts), re.DOTALL)


def _compile(patterns: Iterable[str]) -> tuple[_Matcher, _Matcher]:
    """Two matchers: one for folders (all patterns), one for files (no folder-only patterns)."""
    any_bodies: list[str] = []
    file_bodies: list[str] = []
    for pattern in patterns:
        body, dir_only = _normalize_pattern(pattern)
        any_bodies.append(body)
        if not dir_only:
            file_bodies.append(body)
    return _Matcher(any_bodies), _Matcher(file_bodies)


def _split_rel(rel_path: str) -> list[str] | None:
    """Components of a relative POSIX path, or None when it leaves the vault."""
    parts = [p for p in rel_path.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return parts


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
        "_always_any",
        "_always_file",
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
        self._inc_any, self._inc_file = _compile(self.include)
        # `**/*.md` (the default) includes every page: no regex to ask per file.
        self._every_page = "**/*.md" in self.include
        self._exc_any, self._exc_file = _compile((*ALWAYS_EXCLUDED, *self.exclude))
        # folder -> None (excluded) or whether an include covers it; read by watchdog's threads
        # too, where a lost race only recomputes an entry.
        self._cache: dict[str, bool | None] = {}
        self._always_any, self._always_file = _compile(ALWAYS_EXCLUDED)
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
        parts = _split_rel(rel_path)
        if not parts or not parts[-1].endswith(_PAGE_SUFFIX):
            return False
        state = self._folder_chain(parts[:-1])
        return state is not None and self._file_matches("/".join(parts), state)

    def dir_excluded(self, rel_dir: str) -> bool:
        """True when nothing inside this vault-relative folder can be a page (prune it)."""
        parts = _split_rel(rel_dir)
        return parts is None or self._folder_chain(parts) is None

    def reads(self, rel_path: str) -> bool:
        """True when the file is read for the index (block references, names): any `.md`,
        `.canvas` or `.org` file that ALWAYS_EXCLUDED does not name, included or not."""
        parts = _split_rel(rel_path)
        if not parts or not parts[-1].endswith(READ_SUFFIXES):
            return False
        rel = "/".join(parts)
        return self._read_chain(parts[:-1]) and not self._always_file.fullmatch(rel)

    def dir_unread(self, rel_dir: str) -> bool:
        """True when no file inside this folder is read at all (ALWAYS_EXCLUDED names it)."""
        parts = _split_rel(rel_dir)
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
        state = self._read_chain(parts[:-1]) and not self._always_any.fullmatch(key)
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
        state = None if parent is None else self._folder_state(key, parent)
        if len(cache) >= _CACHE_SIZE:
            cache.clear()  # folders repeat in bursts; a crude bound is enough
        cache[key] = state
        return state

    # The walk checks each folder once on the way down, so per file only the file itself.
    def _file_matches(self, rel: str, included_by_folder: bool) -> bool:
        if not rel.endswith(_PAGE_SUFFIX) or self._exc_file.fullmatch(rel):
            return False
        return included_by_folder or self._every_page or self._inc_file.fullmatch(rel)

    def _folder_state(self, rel_dir: str, parent_included: bool) -> bool | None:
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


@dataclass(frozen=True)
class SkippedFolder:
    """A folder the walk could not read, and why."""

    path: Path
    reason: str


class VaultWalker:
    """Walks a vault with os.scandir, yielding candidate pages; `.skipped` lists unreadable folders.

    Symlinked folders are not followed (so link loops cannot happen). Symlinked files that match
    are yielded: reading through them is harmless, and the writer refuses to write through a link
    that leaves the vault. `.skipped` is reset at the start of every iteration; the root itself
    appears there when it is missing or unreadable.
    """

    def __init__(
        self, root: Path, flt: PathFilter, temp_file: Callable[[str], object] | None = None
    ) -> None:
        self.root = Path(root)
        self.filter = flt
        self.skipped: list[SkippedFolder] = []
        # Called with the path of every `*.tmp` file in a folder walked, before the walk goes on
        # (a writing pass removes vaultsync's own leftovers in the same walk).
        self.temp_file = temp_file

    def __iter__(self) -> Iterator[Path]:
        for entry, _rel in self.entries():
            yield Path(entry.path)

    def entries(self) -> Iterator[tuple[os.DirEntry[str], str]]:
        """Like iterating, but each page as its directory entry and vault-relative POSIX path."""
        self.skipped = []
        flt, temp_file = self.filter, self.temp_file
        # (absolute folder, relative folder with trailing '/' or '', covered by an include)
        stack: list[tuple[str, str, bool]] = [(os.fspath(self.root), "", False)]
        while stack:
            folder, rel_prefix, included = stack.pop()
            # Sorted last to first and popped: each entry (with its cached stat) is let go of
            # once handed out, not held until the folder is done (50,000 in a Logseq pages
            # folder: the peak of a daemon's start-up pass, which it then keeps as its size).
            entries = self._list(folder, is_root=not rel_prefix)
            entries.reverse()
            subfolders: list[tuple[str, str, bool]] = []
            while entries:
                entry = entries.pop()
                rel = rel_prefix + entry.name
                if _is_real_dir(entry):
                    state = flt._folder_state(rel, included)
                    if state is not None:
                        subfolders.append((entry.path, rel + "/", state))
                elif flt._file_matches(rel, included) and _is_file(entry):
                    yield entry, rel
                elif temp_file is not None and rel.endswith(".tmp"):
                    temp_file(entry.path)
            stack.extend(reversed(subfolders))

    def reading_entries(self) -> Iterator[tuple[os.DirEntry[str], str, bool]]:
        """Every file a pass reads (PathFilter.reads), as (directory entry, vault-relative
        POSIX path, whether it is a candidate page: entries() would yield it). Folders the
        include/exclude patterns leave out are walked too, for their notes' references;
        one of them that cannot be read is not recorded in `.skipped` (nothing there is
        cleaned: its references are lost, not a page)."""
        self.skipped = []
        flt, temp_file = self.filter, self.temp_file
        always_any, always_file = flt._always_any, flt._always_file
        # (absolute folder, relative folder with '/' or '', its _folder_state: None when the
        # patterns exclude it, else whether an include covers it)
        stack: list[tuple[str, str, bool | None]] = [(os.fspath(self.root), "", False)]
        while stack:
            folder, rel_prefix, state = stack.pop()
            # (the same order, and the same letting go of entries, as entries())
            entries = self._list(folder, is_root=not rel_prefix, record=state is not None)
            entries.reverse()
            subfolders: list[tuple[str, str, bool | None]] = []
            while entries:
                entry = entries.pop()
                rel = rel_prefix + entry.name
                if _is_real_dir(entry):
                    if state is not None:
                        sub = flt._folder_state(rel, state)
                    else:
                        sub = None
                    if sub is not None or not always_any.fullmatch(rel):
                        subfolders.append((entry.path, rel + "/", sub))
                elif state is not None and flt._file_matches(rel, state) and _is_file(entry):
                    yield entry, rel, True
                elif (
                    rel.endswith(READ_SUFFIXES)
                    and not always_file.fullmatch(rel)
                    and _is_file(entry)
                ):
                    yield entry, rel, False
                elif temp_file is not None and rel.endswith(".tmp"):
                    temp_file(entry.path)
            stack.extend(reversed(subfolders))

    def _list(self, folder: str, *, is_root: bool, record: bool = True) -> list[os.DirEntry[str]]:
        """Sorted entries of a folder; an unreadable folder is recorded and yields nothing."""
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except FileNotFoundError:
            if is_root:
                self.skipped.append(SkippedFolder(Path(folder), "folder not found"))
            return []  # a subfolder removed during the walk: nothing to skip
        except PermissionError:
            if record:
                self.skipped.append(SkippedFolder(Path(folder), "permission denied"))
            return []
        except OSError as err:
            if record:
                self.skipped.append(SkippedFolder(Path(folder), err.strerror or str(err)))
            return []
        entries.sort(key=lambda e: e.name)
        return entries


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()  # follows a symlink: a link to a page is a page (see VaultWalker)
    except OSError:
        return False


def walk_vault(
    root: Path, flt: PathFilter, skipped: list[SkippedFolder] | None = None
) -> Iterator[Path]:
    """Yield the candidate pages of a vault; unreadable folders are appended to `skipped`."""
    walker = VaultWalker(root, flt)
    try:
        yield from walker
    finally:
        if skipped is not None:
            skipped.extend(walker.skipped)


def walk_reading(
    root: Path,
    flt: PathFilter,
    skipped: list[SkippedFolder] | None = None,
    temp_file: Callable[[str], object] | None = None,
) -> Iterator[tuple[os.DirEntry[str], str, bool]]:
    """Every file a pass reads, as (directory entry, vault-relative POSIX path, whether it is
    a candidate page). See VaultWalker.reading_entries."""
    walker = VaultWalker(root, flt, temp_file)
    try:
        yield from walker.reading_entries()
    finally:
        if skipped is not None:
            skipped.extend(walker.skipped)


def walk_entries(
    root: Path,
    flt: PathFilter,
    skipped: list[SkippedFolder] | None = None,
    temp_file: Callable[[str], object] | None = None,
) -> Iterator[tuple[os.DirEntry[str], str]]:
    """Like walk_vault, as (directory entry, vault-relative POSIX path): no Path built, and the
    entry's stat() ready for a cache check. `temp_file`: see VaultWalker."""
    walker = VaultWalker(root, flt, temp_file)
    try:
        yield from walker.entries()
    finally:
        if skipped is not None:
            skipped.extend(walker.skipped)
