"""Finding a page with history by what a user types: its name (as the notes app shows it) or
the end of its path."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote

from vaultsync.core import syntax
from vaultsync.core.authors import logseq_page_name
from vaultsync.core.identity import name_key


def names_of(path: Path) -> set[str]:
    """The keys (identity.name_key) of the names a page answers to: its file name, that name
    decoded the ways Logseq encodes names (`___` for `/`, %-escapes), its `title::`."""
    stem = path.stem
    names = {stem, logseq_page_name(stem), unquote(stem), unquote(stem.replace(".", "/"))}
    try:
        with open(path, "rb") as page:
            head = page.read(4096).decode("utf-8", "replace").lstrip("\ufeff")
    except OSError:
        head = ""  # a deleted page is still named by its file name
    for line in head.splitlines():
        prop = syntax.logseq_property(line.lstrip("- "))  # (a first block's too: lenient)
        if prop is not None and prop[0] == "title":
            names.add(prop[1].strip())
            break
        if line.strip() and "::" not in line:
            break  # past the page's properties
    return {name_key(n) for n in names if n.strip()}


def pages_named(query: str, paths: Iterable[Path]) -> list[Path]:
    """The `paths` that `query` names, in their order: a page's name (a Logseq page's title or
    decoded file name, an Obsidian note's name; case, Unicode form and runs of spaces ignored)
    or the end of its path (`pages/Foo.md`)."""
    wanted = name_key(query.strip())
    if wanted.endswith(".md"):
        wanted = wanted[:-3].rstrip()
    tail = "/" + query.strip().replace(os.sep, "/").lstrip("/").casefold()
    found = []
    for path in paths:
        if path.as_posix().casefold().endswith(tail) or wanted in names_of(path):
            found.append(path)
    return found
