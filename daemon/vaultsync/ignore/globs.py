"""The glob language of include and exclude patterns: what a pattern means, what is wrong with
one, Logseq's `:hidden` entries as patterns, and patterns compiled into matchers.

Patterns are matched against POSIX paths relative to the vault root:
- `*` and `?` never cross a `/`; `[abc]` / `[!abc]` match one character of a name;
- a `**` segment matches zero or more folders (`**/*.md` matches `a.md` and `x/y/a.md`);
- a pattern ending in `/` matches folders only;
- a pattern that matches a folder covers everything inside it (`Archive`, `Archive/` and
  `Archive/**` all exclude the whole folder; `pages` includes everything below `pages/`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from vaultsync.errors import BadPattern, PatternProblem, UnclosedBracket

_NEVER = re.compile(r"(?!)")


def pattern_problem(pattern: str) -> str | None:
    """Say what is wrong with a glob pattern, or None when it can be used (in the renderer's
    words: the problem is a `BadPattern` or an `UnclosedBracket`)."""
    body, _ = _normalize_pattern(pattern)
    if not pattern.strip():
        problem = BadPattern(PatternProblem.EMPTY)
    elif "\\" in pattern:
        problem = BadPattern(PatternProblem.BACKSLASH)
    elif ".." in pattern.split("/"):
        problem = BadPattern(PatternProblem.LEAVES_VAULT)
    elif not body:
        problem = BadPattern(PatternProblem.WHOLE_VAULT)
    else:
        try:
            _glob_to_regex(body)
        except UnclosedBracket as err:
            return str(err)
        return None
    return str(problem)


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
                raise UnclosedBracket(segment)
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


class Matcher:
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


def compile_patterns(patterns: Iterable[str]) -> tuple[Matcher, Matcher]:
    """Two matchers: one for folders (all patterns), one for files (no folder-only patterns)."""
    any_bodies: list[str] = []
    file_bodies: list[str] = []
    for pattern in patterns:
        body, dir_only = _normalize_pattern(pattern)
        any_bodies.append(body)
        if not dir_only:
            file_bodies.append(body)
    return Matcher(any_bodies), Matcher(file_bodies)


def split_rel(rel_path: str) -> list[str] | None:
    """Components of a relative POSIX path, or None when it leaves the vault."""
    parts = [p for p in rel_path.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return parts
