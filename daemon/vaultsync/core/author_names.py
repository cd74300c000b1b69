"""Author pages' file names: a safe file name (Logseq's or Obsidian's) from an untrusted author
name, or UnsafeName saying why there is none. Pure; core/authors.py re-exports these names."""

from __future__ import annotations

import re
import unicodedata
from enum import Enum

MAX_NAME_BYTES = 240  # file name bytes before ".md", below every common file system's 255
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$", re.IGNORECASE)
_LOGSEQ_ENCODED = {c: f"%{ord(c):02X}" for c in ':*?"<>|#\\'}
_OBSIDIAN_FORBIDDEN = re.compile(r'[*"\\/<>:|?#^\[\]]')


class NameProblem(Enum):
    """Why an author name cannot be a file name (UnsafeName's `problem`), worded in
    render/errors.py."""

    EMPTY = "empty"
    CONTROL = "control characters"
    ONLY_DOTS = "only dots"
    TOO_LONG = "too long"  # `length`: the name's length in characters
    NOTHING_LEFT = "no character a file name can hold"


class UnsafeName(ValueError):
    """An author name that cannot become a file name inside the vault: `problem` says why."""

    def __init__(self, problem: NameProblem, length: int = 0) -> None:
        super().__init__(problem, length)
        self.problem, self.length = problem, length


def check_name(name: str) -> str:
    """The name, trimmed, or UnsafeName saying why not."""
    name = name.strip()
    if not name:
        raise UnsafeName(NameProblem.EMPTY)
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise UnsafeName(NameProblem.CONTROL)
    if set(name) <= {".", " "}:
        raise UnsafeName(NameProblem.ONLY_DOTS)
    return name


def logseq_file_stem(name: str) -> str:
    """Logseq's :triple-lowbar file name for a page name (without ".md").

    `/` becomes `___`, `: * ? " < > | # \\` are percent-encoded, a leading dot is encoded, a
    literal `___` run is encoded, and Windows-reserved names get `___` appended."""
    name = check_name(name)
    stem = name.replace("___", "%5F%5F%5F")
    stem = "".join(_LOGSEQ_ENCODED.get(c, c) for c in stem)
    stem = stem.replace("/", "___")
    if stem.startswith("."):
        stem = "%2E" + stem[1:]
    if _WINDOWS_RESERVED.match(stem):
        stem += "___"
    if len(stem.encode("utf-8")) > MAX_NAME_BYTES:
        raise UnsafeName(NameProblem.TOO_LONG, len(name))
    return stem


def logseq_page_name(stem: str) -> str:
    """The page name a :triple-lowbar file name stands for (the inverse of logseq_file_stem)."""
    if stem.endswith("___") and _WINDOWS_RESERVED.match(stem[:-3]):
        stem = stem[:-3]
    name = stem.replace("___", "/").replace("%5F%5F%5F", "___")
    for char, code in _LOGSEQ_ENCODED.items():
        name = name.replace(code, char)
    if name.startswith("%2E"):
        name = "." + name[3:]
    return name


def obsidian_file_stem(name: str) -> str:
    """A note name safe on Windows, macOS and Linux and inside [[links]]."""
    name = check_name(name)
    stem = _OBSIDIAN_FORBIDDEN.sub(" ", name)
    stem = re.sub(r"\s+", " ", stem).strip(" .")
    if not stem:
        raise UnsafeName(NameProblem.NOTHING_LEFT)
    if _WINDOWS_RESERVED.match(stem):
        stem += "_"
    if len(stem.encode("utf-8")) > MAX_NAME_BYTES:
        raise UnsafeName(NameProblem.TOO_LONG, len(name))
    return stem


def obsidian_link(name: str) -> str | None:
    """`[[Name]]`, or `[[Safe name|Name]]` when the name is not a safe note name; None if unsafe."""
    try:
        stem = obsidian_file_stem(name)
    except UnsafeName:
        return None
    return f"[[{stem}]]" if stem == name.strip() else f"[[{stem}|{name.strip()}]]"
