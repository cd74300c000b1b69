"""Which vault paths are candidate pages: pattern table, always-excluded paths, the walk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.errors import ConfigError
from vaultsync.ignore import (
    ALWAYS_EXCLUDED,
    PathFilter,
    SkippedFolder,
    VaultWalker,
    pattern_problem,
    walk_vault,
)

# (include, exclude, path, expected)
TABLE = [
    (["**/*.md"], [], "a.md", True),
    (["**/*.md"], [], "x/a.md", True),
    (["**/*.md"], [], "x/y/z/a.md", True),
    (["**/*.md"], [], "a.txt", False),
    (["**/*.md"], [], "a.md.bak", False),
    (["*.md"], [], "a.md", True),
    (["*.md"], [], "x/a.md", False),  # '*' never crosses '/'
    (["pages/**/*.md"], [], "pages/a.md", True),  # '**' matches zero folders
    (["pages/**/*.md"], [], "pages/x/y/a.md", True),
    (["pages/**/*.md"], [], "journals/a.md", False),
    (["pages/**/*.md"], [], "x/pages/a.md", False),  # anchored at the vault root
    (["pages/*.md"], [], "pages/x/a.md", False),
    (["**/Readwise/**/*.md"], [], "Readwise/Books/a.md", True),
    (["**/Readwise/**/*.md"], [], "Inbox/Readwise/a.md", True),
    (["**/Readwise/**/*.md"], [], "ReadwiseX/a.md", False),
    (["pages"], [], "pages/x/a.md", True),  # a pattern matching a folder covers its inside
    (["pages/"], [], "pages/a.md", True),
    (["/pages/**"], [], "pages/a.md", True),  # a leading '/' means the vault root
    (["**/*.txt"], [], "a.txt", False),  # only .md files are ever candidates
    (["**"], [], "a.png", False),
    (["note?.md"], [], "note1.md", True),
    (["note?.md"], [], "note12.md", False),
    (["note[0-9].md"], [], "note7.md", True),
    (["note[!0-9].md"], [], "note7.md", False),
    (["note[!0-9].md"], [], "noteA.md", True),
    (["a+b (1).md"], [], "a+b (1).md", True),  # regex characters are literal
    (["a+b (1).md"], [], "aab (1).md", False),
    (["**/*.md"], ["Archive/**"], "Archive/a.md", False),
    (["**/*.md"], ["Archive/**"], "Archive/x/a.md", False),
    (["**/*.md"], ["Archive/**"], "x/Archive/a.md", True),
    (["**/*.md"], ["Archive"], "Archive/x/a.md", False),
    (["**/*.md"], ["**/drafts/"], "x/drafts/a.md", False),
    (["**/*.md"], ["**/drafts/"], "drafts.md", True),
    (["**/*.md"], ["**/drafts/"], "x/drafts", False),
    (["**/*.md"], ["**/*.draft.md"], "x/a.draft.md", False),
    (["**/*.md"], ["**/*.draft.md"], "x/a.md", True),
    ([], [], "x/a.md", True),  # no include patterns: every page
]


@pytest.mark.parametrize(("include", "exclude", "path", "expected"), TABLE)
def test_pattern_table(include: list[str], exclude: list[str], path: str, expected: bool) -> None:
    assert PathFilter(include, exclude).matches(path) is expected


ALWAYS_EXCLUDED_PATHS = [
    ".obsidian/workspace.md",
    ".obsidian/plugins/x/README.md",
    "sub/.obsidian/a.md",
    ".trash/old.md",
    ".git/a.md",
    "logseq/bak/pages/a.md",
    "logseq/.recycle/a.md",
    "node_modules/pkg/README.md",
    "x/node_modules/pkg/README.md",
    ".syncthing.a.md.tmp",
    "pages/a.sync-conflict-20240101-101010-ABCDEFG.md",
    "pages/.a.md.icloud",
    "a.md.swp",
    "a.md~",
    "pages/.#a.md",
    "pages/a.md.tmp",
    "pages/.a.md.vaultsync-1234.tmp",
    ".hidden.md",
    ".hidden/a.md",
    "x/.y/z/a.md",
]


@pytest.mark.parametrize("path", ALWAYS_EXCLUDED_PATHS)
def test_always_excluded_even_when_included(path: str) -> None:
    assert not PathFilter(["**", "**/*.md", "**/.*"]).matches(path)


def test_always_excluded_names_every_listed_kind() -> None:
    for expected in ("**/.obsidian/", "**/.trash/", "**/.git/", "**/logseq/bak/"):
        assert expected in ALWAYS_EXCLUDED


def test_logseq_pages_are_not_excluded_by_the_bak_rule() -> None:
    flt = PathFilter()
    assert flt.matches("logseq/custom.md")  # only logseq/bak and logseq/.recycle are excluded
    assert flt.matches("pages/bak/a.md")


@pytest.mark.parametrize(
    ("rel_dir", "expected"),
    [
        ("", False),
        ("pages", False),
        (".obsidian", True),
        ("x/.obsidian/plugins", True),
        ("logseq/bak", True),
        ("logseq", False),
        ("node_modules", True),
        ("Archive", True),
        ("Archive/2020", True),
        ("x/Archive", False),
        ("../outside", True),
    ],
)
def test_dir_excluded(rel_dir: str, expected: bool) -> None:
    assert PathFilter(["**/*.md"], ["Archive/"]).dir_excluded(rel_dir) is expected


def test_odd_relative_paths() -> None:
    flt = PathFilter()
    assert flt.matches("./x/a.md")
    assert flt.matches("x//a.md")
    assert not flt.matches("../a.md")
    assert not flt.matches("")
    assert not flt.matches("x/")


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("", "empty"),
        ("pages\\*.md", "use '/'"),
        ("../*.md", "'..'"),
        ("/", "whole vault"),
        ("note[0-9.md", "closing ']'"),
    ],
)
def test_pattern_problems(pattern: str, fragment: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None and fragment in problem


def test_bad_patterns_raise_config_error_naming_each() -> None:
    with pytest.raises(ConfigError) as info:
        PathFilter(["**/*.md", "../x"], ["a[b"])
    keys = [p.key for p in info.value.problems]
    assert keys == ["include[1]", "exclude[0]"]
    assert "'../x'" in str(info.value)


def test_filters_compare_by_patterns() -> None:
    assert PathFilter(["*.md"], ["a"]) == PathFilter(["*.md"], ["a"])
    assert PathFilter(["*.md"]) != PathFilter(["**/*.md"])
    assert len({PathFilter(["*.md"]), PathFilter(["*.md"])}) == 1


segment = st.text(alphabet="abc.-_ ", min_size=1, max_size=6).filter(lambda s: s not in (".", ".."))


@given(st.lists(segment, min_size=1, max_size=5))
def test_star_star_md_matches_any_depth_unless_hidden(parts: list[str]) -> None:
    parts[-1] = parts[-1] + ".md"
    rel = "/".join(parts)
    hidden = any(p.startswith(".") for p in parts)  # the alphabet spells no other exclusion
    assert PathFilter().matches(rel) is not hidden


@given(st.lists(segment, min_size=1, max_size=4))
def test_matches_agrees_with_dir_excluded(parts: list[str]) -> None:
    """A page inside an excluded folder never matches (what the walk prunes, events ignore)."""
    flt = PathFilter(["**/*.md"], ["a*/", "**/b"])
    rel = "/".join([*parts, "page.md"])
    if flt.dir_excluded("/".join(parts)):
        assert not flt.matches(rel)


# -- the walk --------------------------------------------------------------------------------


def make_tree(root: Path, files: list[str]) -> None:
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")


def rels(root: Path, paths: list[Path]) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_walk_yields_matching_pages_in_order(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        [
            "b.md",
            "a.md",
            "notes.txt",
            "pages/x.md",
            "pages/sub/y.md",
            ".obsidian/app.md",
            "logseq/bak/pages/old.md",
            "node_modules/m/README.md",
            "pages/.z.md.vaultsync-1.tmp",
            "pages/z.sync-conflict-20240101-000000-AAAAAAA.md",
        ],
    )
    found = rels(tmp_path, list(walk_vault(tmp_path, PathFilter())))
    assert found == ["a.md", "b.md", "pages/x.md", "pages/sub/y.md"]


def test_walk_honours_include_and_exclude(tmp_path: Path) -> None:
    make_tree(tmp_path, ["a.md", "pages/x.md", "pages/old/y.md", "journals/j.md"])
    flt = PathFilter(["pages/**/*.md"], ["pages/old/"])
    assert rels(tmp_path, list(walk_vault(tmp_path, flt))) == ["pages/x.md"]


def test_walk_prunes_excluded_folders_without_listing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, ["a.md", ".git/objects/x.md", "Archive/deep/y.md", "pages/p.md"])
    listed: list[str] = []
    real_scandir = os.scandir

    def spying_scandir(path: str) -> object:
        listed.append(Path(path).relative_to(tmp_path).as_posix())
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", spying_scandir)
    found = rels(tmp_path, list(walk_vault(tmp_path, PathFilter(exclude=["Archive/"]))))
    assert found == ["a.md", "pages/p.md"]
    assert sorted(listed) == [".", "pages"]


def test_walk_does_not_follow_symlinked_folders(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    outside = tmp_path / "outside"
    make_tree(vault, ["a.md"])
    make_tree(outside, ["secret.md"])
    (vault / "linked").symlink_to(outside, target_is_directory=True)
    (vault / "loop").symlink_to(vault, target_is_directory=True)
    assert rels(vault, list(walk_vault(vault, PathFilter()))) == ["a.md"]


def test_walk_yields_symlinked_files(tmp_path: Path) -> None:
    """Documented: a link to a page is yielded; the writer refuses links leaving the vault."""
    vault = tmp_path / "vault"
    make_tree(vault, ["a.md"])
    make_tree(tmp_path, ["elsewhere.md"])
    (vault / "link.md").symlink_to(tmp_path / "elsewhere.md")
    (vault / "broken.md").symlink_to(tmp_path / "missing.md")
    assert rels(vault, list(walk_vault(vault, PathFilter()))) == ["a.md", "link.md"]


def test_permission_denied_folder_is_skipped_and_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, ["a.md", "locked/x.md", "locked/deeper/y.md", "open/z.md"])
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if Path(path).name == "locked":  # tests run as root, so chmod would not stop us
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    walker = VaultWalker(tmp_path, PathFilter())
    assert rels(tmp_path, list(walker)) == ["a.md", "open/z.md"]
    assert walker.skipped == [SkippedFolder(tmp_path / "locked", "permission denied")]

    skipped: list[SkippedFolder] = []
    assert len(list(walk_vault(tmp_path, PathFilter(), skipped))) == 2
    assert skipped == walker.skipped


def test_walker_resets_skipped_on_each_pass(tmp_path: Path) -> None:
    walker = VaultWalker(tmp_path / "missing", PathFilter())
    assert list(walker) == []
    assert walker.skipped == [SkippedFolder(tmp_path / "missing", "folder not found")]
    (tmp_path / "missing").mkdir()
    assert list(walker) == []
    assert walker.skipped == []


def test_root_that_is_a_file_is_recorded(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    walker = VaultWalker(tmp_path / "file", PathFilter())
    assert list(walker) == []
    assert [s.path for s in walker.skipped] == [tmp_path / "file"]


def test_hidden_vault_root_is_fine(tmp_path: Path) -> None:
    root = tmp_path / ".hidden-vault"
    make_tree(root, ["a.md"])
    assert rels(root, list(walk_vault(root, PathFilter()))) == ["a.md"]


def test_walk_agrees_with_matches(tmp_path: Path) -> None:
    files = [
        "a.md",
        "pages/b.md",
        "pages/old/c.md",
        "journals/d.md",
        "x/pages/e.md",
        ".obsidian/f.md",
        "logseq/bak/g.md",
        "pages/h.txt",
    ]
    make_tree(tmp_path, files)
    flt = PathFilter(["pages", "*.md"], ["**/old/"])
    walked = set(rels(tmp_path, list(walk_vault(tmp_path, flt))))
    assert walked == {f for f in files if flt.matches(f)} == {"a.md", "pages/b.md"}
