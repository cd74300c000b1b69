"""A page's change as a unified diff, coloured like git's on a terminal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    pass


def unified_diff(
    path: Path, root: Path, before: str, after: str, *, new: bool = False, gone: bool = False
) -> str:
    """A git-style unified diff of one page: `a/`/`b/` paths relative to the vault, and
    `/dev/null` for the side of a file created (`new`) or removed (`gone`), as git shows it."""
    import difflib

    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile="/dev/null" if new else f"a/{rel}",
        tofile="/dev/null" if gone else f"b/{rel}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def use_colour(stream: TextIO) -> bool:
    """Colour on a terminal only, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


_RESET = "\x1b[0m"
_COLOURS = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m"}
_BOLD = "\x1b[1m"


def colour_diff(diff: str) -> str:
    """A unified diff with git's colours: file headers bold, hunks cyan, removals red, additions
    green. Every line keeps its text; only escape codes are added."""
    out = []
    for line in diff.splitlines(keepends=True):
        body = line.rstrip("\n")
        end = line[len(body) :]
        if line.startswith(("--- ", "+++ ")):
            out.append(f"{_BOLD}{body}{_RESET}{end}")
        elif line[:1] in _COLOURS:
            out.append(f"{_COLOURS[line[:1]]}{body}{_RESET}{end}")
        else:
            out.append(line)
    return "".join(out)
