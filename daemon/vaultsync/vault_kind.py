"""What kind of vault a folder is: `detect_kind`, the one place it is told (`logseq/config.edn`
means Logseq, `.obsidian/` Obsidian; a folder with both is judged by its Readwise pages), and
`kind_contradiction`, when the kind given for a folder is not the one it shows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vaultsync.core import links
from vaultsync.core.model import Kind
from vaultsync.ignore import DEFAULT_INCLUDE, PathFilter, hidden_patterns, walk_entries
from vaultsync.vault_settings import logseq_settings

# Only when a folder has both apps' markers are its pages looked at, and then only the first
# bytes of at most this many pages; the look stops once this many Readwise pages are found.
_DETECT_MAX_FILES = 3000
_DETECT_ENOUGH = 40
_DETECT_HEAD = 8192
# One app's Readwise pages settle it when the other's are none, or at most a tenth as many.
_DETECT_RATIO = 10


@dataclass(frozen=True)
class Detection:
    """What a folder is: `kind` (None when it cannot be told), which app's marker it has, and
    when both are there, how many Readwise pages in each app's shape were found (`shapes`:
    Logseq's, Obsidian's). `render.undetected_kind` words why the kind cannot be told."""

    kind: Kind | None
    has_logseq: bool  # logseq/config.edn
    has_obsidian: bool  # .obsidian/
    folder: Path | None = None
    shapes: tuple[int, int] = (0, 0)

    @property
    def is_vault(self) -> bool:
        """Either app's marker is there (a folder that is some vault, whichever)."""
        return self.has_logseq or self.has_obsidian


@dataclass(frozen=True)
class KindContradiction:
    """The kind given for a vault (`given`) is not the one its folder shows (`detected`):
    its Readwise pages would not be found. Worded by `render.kind_contradiction`."""

    name: str
    given: str
    root: Path
    detected: Kind


def detect_kind(folder: Path) -> Detection:
    """`logseq/config.edn` means Logseq, `.obsidian/` means Obsidian. A folder with both (opened
    in both apps) is judged by the Readwise pages it holds: Logseq's shape in its pages
    folder, or Obsidian's `## Highlights` notes; when that is unclear, its kind is None."""
    is_logseq = (folder / "logseq" / "config.edn").is_file()
    is_obsidian = (folder / ".obsidian").is_dir()
    if is_logseq != is_obsidian:
        return Detection("logseq" if is_logseq else "obsidian", is_logseq, is_obsidian, folder)
    if not is_logseq:
        return Detection(None, False, False, folder)
    logseq, obsidian = _readwise_shapes(folder)
    shapes = (logseq, obsidian)
    if logseq > 0 and logseq >= _DETECT_RATIO * obsidian:
        return Detection("logseq", True, True, folder, shapes)
    if obsidian > 0 and obsidian >= _DETECT_RATIO * logseq:
        return Detection("obsidian", True, True, folder, shapes)
    return Detection(None, True, True, folder, shapes)


def _readwise_shapes(folder: Path) -> tuple[int, int]:
    """How many of the folder's first pages are Readwise pages in Logseq's and in Obsidian's
    shape (a cheap look: the first bytes of each page, up to a bound)."""
    settings = logseq_settings(folder)
    pages = settings.pages_dir + "/"
    flt = PathFilter(DEFAULT_INCLUDE, hidden_patterns(settings.hidden)[0])
    logseq = obsidian = 0
    for files, (entry, rel) in enumerate(walk_entries(folder, flt), start=1):
        try:
            with open(entry.path, "rb") as f:
                head = f.read(_DETECT_HEAD)
        except OSError:
            continue
        if (
            rel.startswith(pages)
            and "/" not in rel[len(pages) :]
            and links.LOGSEQ_SHAPE.search(head)
        ):
            logseq += 1
        elif links.OBSIDIAN_SHAPE.search(head) and (
            b"readwise" in head.lower() or rel.startswith("Readwise/")
        ):
            obsidian += 1
        if files >= _DETECT_MAX_FILES or logseq + obsidian >= _DETECT_ENOUGH:
            break
    return logseq, obsidian


def kind_contradiction(root: Path, kind: str, name: str) -> KindContradiction | None:
    """When the kind given for a folder contradicts what the folder says it is (a Logseq graph
    given `kind: obsidian`): its pages would be read in the wrong shape, none of them found to
    be a Readwise page, and nothing said. None when they agree or it cannot be told (a folder
    with both apps' markers, or neither)."""
    detected = detect_kind(root) if (root / ".obsidian").is_dir() != _has_logseq(root) else None
    if detected is None or detected.kind is None or detected.kind == kind:
        return None
    return KindContradiction(name, kind, root, detected.kind)


def _has_logseq(root: Path) -> bool:
    return (root / "logseq" / "config.edn").is_file()
