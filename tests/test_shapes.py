"""Every shape fixture (tests/shapes/) against its expected output, byte for byte.

A page per shape the guide lists lives in tests/shapes/<app>/; its expected normalization in
tests/shapes/expected/<app>/ at the same relative path. The expected files are read by hand
(tests/shapes/README.md says what each must show); set VAULTSYNC_REGEN_SHAPES=1 to write them
again from the current code, then review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vaultsync.core.normalize import PageContext, normalize_page
from vaultsync.vault import Vault

try:
    from logseq_view import compare_before_after, node_available, view_pages
except ModuleNotFoundError:  # pragma: no cover
    from tests.logseq_view import compare_before_after, node_available, view_pages

HERE = Path(__file__).parent / "shapes"
EXPECTED = HERE / "expected"
APPS = ("logseq", "obsidian")
REGEN = os.environ.get("VAULTSYNC_REGEN_SHAPES") == "1"
MLDOC_REQUIRED = os.environ.get("VAULTSYNC_REQUIRE_MLDOC") == "1"


def _pages(app: str) -> list[str]:
    root = HERE / app
    skip = {"logseq", ".obsidian"}  # the app's own folders
    return sorted(
        p.relative_to(HERE).as_posix()
        for p in root.rglob("*.md")
        if not (set(p.relative_to(root).parts[:-1]) & skip)
    )


CASES = [rel for app in APPS for rel in _pages(app)]


def _kind(rel: str) -> str:
    return rel.split("/", 1)[0]


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _context(rel: str) -> PageContext:
    """The page's context as a pass gives it with the default settings: whether it lies in
    the Readwise plugin's folder (Obsidian's `Readwise/`)."""
    app, inside = rel.split("/", 1)
    vault = Vault(name=app, root=HERE / app, kind=app)  # type: ignore[arg-type]
    return PageContext(in_readwise_folder=vault.in_readwise_folder(inside))


def _normalized(rel: str):
    return normalize_page(_read(HERE / rel), _kind(rel), context=_context(rel))  # type: ignore[arg-type]


def test_every_app_has_fixtures():
    for app in APPS:
        assert _pages(app), f"no shape fixtures for {app}"


@pytest.mark.parametrize("rel", CASES)
def test_shape_matches_its_expected_file(rel: str) -> None:
    out = _normalized(rel)
    assert out.losses == [], out.losses
    expected = EXPECTED / rel
    if REGEN:
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_bytes(out.text.encode("utf-8"))
    assert expected.is_file(), f"{expected} is missing: regenerate and review it"
    assert out.text.encode("utf-8") == expected.read_bytes()


@pytest.mark.parametrize("rel", CASES)
def test_shape_second_pass_changes_nothing(rel: str) -> None:
    first = _normalized(rel)
    again = normalize_page(first.text, _kind(rel), context=_context(rel))  # type: ignore[arg-type]
    assert again.text == first.text and not again.changed


def test_mldoc_reads_every_logseq_result_as_it_reads_the_input() -> None:
    if not node_available():
        if MLDOC_REQUIRED:
            pytest.fail("mldoc is required (VAULTSYNC_REQUIRE_MLDOC=1) but not installed")
        pytest.skip("mldoc not installed: npm ci --prefix tests/mldoc")
    rels = [rel for rel in CASES if _kind(rel) == "logseq"]
    befores = [_read(HERE / rel) for rel in rels]
    afters = [_normalized(rel).text for rel in rels]
    views = view_pages(befores + afters)
    problems = {}
    for i, rel in enumerate(rels):
        if befores[i] == afters[i]:
            continue  # left as it is (not Readwise's, or nothing to do): nothing to judge
        found = compare_before_after(views[i], views[len(rels) + i])
        if found:
            problems[rel] = found
    assert problems == {}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("app", APPS)
def test_resync_then_check_exits_zero_on_each_fixture_vault(app: str, tmp_path: Path) -> None:
    vault = tmp_path / app
    shutil.copytree(HERE / app, vault)
    first = _cli("resync", "--vault", str(vault), "--kind", app)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Traceback" not in first.stderr
    check = _cli("check", "--vault", str(vault), "--kind", app)
    assert check.returncode == 0, check.stdout + check.stderr
    # The pass wrote every page as its expected file says (the same as the pure core: the
    # Readwise folder signal reaches the core through the pass, and the author links it makes
    # are the core's default ones on these pages).
    differ = [
        rel
        for rel in _pages(app)
        if (vault / Path(rel).relative_to(app)).read_bytes() != (EXPECTED / rel).read_bytes()
    ]
    assert differ == []


def test_the_summary_names_each_page_left_alone_and_why(tmp_path: Path) -> None:
    vault = tmp_path / "obsidian"
    shutil.copytree(HERE / "obsidian", vault)
    out = _cli("resync", "--vault", str(vault), "--kind", "obsidian", "--dry-run")
    assert out.returncode == 0, out.stdout + out.stderr
    left = [line for line in out.stdout.splitlines() if "  left  " in line]
    assert any("Field Manual for Tags.md" in x and "chapter" in x for x in left), left
    assert any("One Heading Per Highlight.md" in x and "heading" in x for x in left), left


# The "Done when", said directly of the pages that show it (the golden files hold the
# whole result; these name what must be true of it).
NO_LINKS = (
    "logseq/pages/No links at all (highlights).md",
    "obsidian/Readwise/Articles/Notes From a Small Repair Shop.md",
    "obsidian/Readwise/Articles/Workshop Habits.md",
)
KINDLE_NBSP = (
    "logseq/pages/Kindle no-break spaces (highlights).md",
    "obsidian/Readwise/Books/The Quiet Harbour.md",
)
_NEW_SECTION = re.compile(r"(?m)^(?:- |#{2,4} )New highlights added")
_ITEM = re.compile(r"(?m)^(?:\t- |- )(?!New highlights|Highlights first|[A-Z][\w ]*:)(.+)$")


@pytest.mark.parametrize("rel", NO_LINKS)
def test_pages_without_any_location_link_are_deduplicated_and_folded(rel: str) -> None:
    before = _read(HERE / rel)
    assert "([" not in before.split("Highlights", 1)[1]  # not one location link
    out = _normalized(rel)
    assert out.is_readwise and out.changed and out.losses == []
    items = [" ".join(m.group(1).split()) for m in _ITEM.finditer(out.text)]
    assert len(items) == len(set(items)) and len(items) < len(
        [m for m in _ITEM.finditer(before)]
    ), items
    assert _NEW_SECTION.search(out.text) is None  # every later section folded in


@pytest.mark.parametrize("rel", KINDLE_NBSP)
def test_kindle_pages_with_no_break_spaces_are_ordered(rel: str) -> None:
    before = _read(HERE / rel)
    assert "Location\u00a0" in before
    out = _normalized(rel)
    found = [int(n) for n in re.findall(r"\[Location\s(\d+)\]", out.text)]
    assert found and found == sorted(found) and len(found) == len(set(found))
    assert [int(n) for n in re.findall(r"\[Location\s(\d+)\]", before)] != found
    assert "Location\u00a0" in out.text  # Readwise's bytes kept as they were


def test_every_fixture_page_has_its_row_in_the_readme() -> None:
    """The README's table says what each page must show (what the golden files were read
    against): a page without a row was never read by hand."""
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    assert [rel for rel in CASES if f"`{rel}`" not in readme] == []
