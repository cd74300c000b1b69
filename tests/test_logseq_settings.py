"""Logseq's settings (logseq/config.edn) read as Logseq reads them, through `python -m vaultsync`.

The fixtures under tests/fixtures_edn/ are our own files shaped like the config.edn Logseq
writes for a new graph: long remarks, settings commented out (`;; :pages-directory
"your-directory"`), `#_` discards, a `:hidden` vector, and the real `:file/name-format` after
remarks that mention the other value.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vaultsync.render import setting_problem
from vaultsync.vault import logseq_settings, make_vault

FIXTURES = Path(__file__).parent / "fixtures_edn"
REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 120  # generous: only a hung process fails it

PAGE = (
    "title:: {title} (highlights)\n"
    "author:: [[{author}]]\n"
    "category:: #books\n"
    "\n"
    "- Highlights first synced by [[Readwise]] [[Feb 25th, 2023]]\n"
    "\t- The second passage. ([Location 20](https://readwise.io/to_kindle?asin=B0X&location=20))\n"
    "\t- The first passage. ([Location 10](https://readwise.io/to_kindle?asin=B0X&location=10))\n"
)


def resync(graph: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "1", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", "resync", "--vault", str(graph)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=TIMEOUT,
        check=False,
    )


def make_graph(root: Path, config: str | bytes, pages: str = "pages") -> Path:
    (root / "logseq").mkdir(parents=True)
    target = root / "logseq" / "config.edn"
    if isinstance(config, bytes):
        target.write_bytes(config)
    else:
        shutil.copy(FIXTURES / config, target)
    (root / pages).mkdir(parents=True)
    book = PAGE.format(title="A Quiet Garden", author="A. B. Quill")
    (root / pages / "A Quiet Garden (highlights).md").write_text(book, encoding="utf-8")
    return root


def md_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md"))


def test_default_config_edn_puts_author_pages_in_pages(tmp_path: Path) -> None:
    """Logseq's default file holds `;; :pages-directory "your-directory"`: a comment."""
    graph = make_graph(tmp_path / "g", "default-like.edn")
    result = resync(graph)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (graph / "your-directory").exists()
    assert not (graph / "discarded-pages").exists() and not (graph / "nowhere").exists()
    author = graph / "pages" / "A. B. Quill.md"
    assert author.is_file(), md_files(graph)
    # :triple-lowbar: the file name says the page name, no title:: needed.
    assert not author.read_text(encoding="utf-8").startswith("title::")
    assert "warning" not in result.stderr.lower()


def test_legacy_graph_gets_legacy_file_names(tmp_path: Path) -> None:
    """`:file/name-format :legacy` after a remark mentioning `:triple-lowbar`: under the legacy
    format a dot in a file name means a namespace, so the page carries its name in title::."""
    graph = make_graph(tmp_path / "g", "legacy.edn", pages="notes")
    result = resync(graph)
    assert result.returncode == 0, result.stdout + result.stderr
    author = graph / "notes" / "A. B. Quill.md"
    assert author.is_file(), md_files(graph)
    assert author.read_text(encoding="utf-8").startswith("title:: A. B. Quill\n")
    assert not (graph / "pages" / "A. B. Quill.md").exists()


def test_fixture_settings_are_the_real_ones() -> None:
    default = logseq_settings_of("default-like.edn")
    assert (default.pages_dir, default.journals_dir, default.name_format) == (
        "pages",
        "journals",
        "triple-lowbar",
    )
    assert default.hidden == ("/archived", "/drafts/private")
    assert default.problems == ()
    legacy = logseq_settings_of("legacy.edn")
    assert (legacy.pages_dir, legacy.journals_dir, legacy.name_format) == (
        "notes",
        "daily",
        "legacy",
    )


def logseq_settings_of(name: str):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "logseq").mkdir()
        shutil.copy(FIXTURES / name, Path(tmp) / "logseq" / "config.edn")
        return logseq_settings(Path(tmp))


def test_hidden_folders_are_neither_walked_nor_cleaned(tmp_path: Path) -> None:
    graph = make_graph(tmp_path / "g", "default-like.edn")
    hidden_page = PAGE.format(title="Put Away", author="C. D. Vane")
    for folder in ("archived", "archived-2019", "drafts/private"):
        (graph / folder).mkdir(parents=True)
        (graph / folder / "Put Away (highlights).md").write_text(hidden_page, encoding="utf-8")
    (graph / "drafts" / "Kept (highlights).md").write_text(hidden_page, encoding="utf-8")
    result = resync(graph)
    assert result.returncode == 0, result.stdout + result.stderr
    for folder in ("archived", "archived-2019", "drafts/private"):
        page = graph / folder / "Put Away (highlights).md"
        assert page.read_text(encoding="utf-8") == hidden_page  # not ours: Logseq hides it
    # A sibling that no :hidden entry names is cleaned (its locations put in order).
    kept = (graph / "drafts" / "Kept (highlights).md").read_text(encoding="utf-8")
    assert kept.index("The first passage") < kept.index("The second passage")
    assert "pages scanned        2" in result.stdout  # the book and drafts/Kept only


def test_hidden_is_what_the_vault_filter_and_watcher_use(tmp_path: Path) -> None:
    graph = make_graph(tmp_path / "g", "default-like.edn")
    vault = make_vault(graph)
    assert vault.hidden == ("/archived", "/drafts/private")
    flt = vault.path_filter  # the walk and the watcher both ask this filter
    assert flt.dir_excluded("archived") and flt.dir_excluded("archived-2019")
    assert flt.dir_excluded("drafts/private")
    assert not flt.dir_excluded("drafts") and flt.matches("drafts/x.md")
    assert not flt.matches("archived.md") and flt.matches("pages/archived.md")


@pytest.mark.parametrize(
    ("config", "where"),
    [
        (b'{:pages-directory "notes"\n :hidden ["/a"\n', "line 3, column 1"),
        (b'{:pages-directory "notes"\n :journals-directory "daily}\n', "line 2, column 22"),
        (b'{:pages-directory "notes"\n :hidden ["/a"]]\n', "line 2, column 16"),
        (b'{:pages-directory "notes"\n :pages-directory "other"}\n', "line 2, column 2"),
        (b'{:pages-directory "no\xfftes"}\n', "line 1, column 22"),
    ],
)
def test_broken_config_edn_warns_and_uses_logseqs_defaults(
    tmp_path: Path, config: bytes, where: str
) -> None:
    graph = make_graph(tmp_path / "g", config)
    result = resync(graph)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    config_path = graph.resolve() / "logseq" / "config.edn"
    lines = [ln for ln in result.stderr.splitlines() if str(config_path) in ln]
    assert len(lines) == 1, result.stderr
    assert where in lines[0] and "Logseq's defaults" in lines[0]
    # Logseq's defaults: pages/ and the legacy format (no :file/name-format key).
    author = graph / "pages" / "A. B. Quill.md"
    assert author.read_text(encoding="utf-8").startswith("title:: A. B. Quill\n")
    assert not (graph / "notes").exists()


def test_a_setting_of_the_wrong_type_is_named(tmp_path: Path) -> None:
    graph = make_graph(tmp_path / "g", b"{:pages-directory notes\n :file/name-format :legacy}\n")
    result = resync(graph)
    assert result.returncode == 0
    assert "line 1, column 2: `:pages-directory` should be a folder name" in result.stderr
    assert (graph / "pages" / "A. B. Quill.md").is_file()


@pytest.mark.parametrize(
    ("text", "pages", "warned"),
    [
        ('{:pages-directory "notes/"}', "notes", False),
        ('{:pages-directory "./notes"}', "notes", False),
        ('{:pages-directory "../elsewhere"}', "pages", True),
        ('{:pages-directory "/abs"}', "pages", True),
        ('{:pages-directory ""}', "pages", True),
        (";; only remarks\n", "pages", False),
        ("{}", "pages", False),
    ],
)
def test_pages_directory_values(tmp_path: Path, text: str, pages: str, warned: bool) -> None:
    (tmp_path / "logseq").mkdir()
    (tmp_path / "logseq" / "config.edn").write_text(text, encoding="utf-8")
    settings = logseq_settings(tmp_path)
    assert settings.pages_dir == pages
    assert bool(settings.problems) == warned
    if warned:
        assert "line 1, column 2: `:pages-directory`" in setting_problem(settings.problems[0])


def test_hidden_entries_that_would_hide_everything_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "logseq").mkdir()
    (tmp_path / "logseq" / "config.edn").write_text('{:hidden ["/" "/../x" "/ok"]}')
    settings = logseq_settings(tmp_path)
    assert len(settings.problems) == 1 and '"/", "/../x"' in setting_problem(settings.problems[0])
    vault = make_vault(tmp_path)
    assert vault.path_filter.matches("pages/a.md") and not vault.path_filter.matches("ok/a.md")


def test_hidden_folders_are_watched_for_nothing(tmp_path: Path) -> None:
    """The daemon's watcher is handed the vault's filter: events under a :hidden folder never
    reach it. Events of one observer arrive in order, so once a sentinel page written last has
    arrived, the hidden pages written before it would have too."""
    import logging
    import queue

    from vaultsync.watcher import VaultWatcher

    graph = make_graph(tmp_path / "g", "default-like.edn")
    vault = make_vault(graph)
    events: queue.Queue[Path] = queue.Queue()
    watcher = VaultWatcher(
        {"g": (vault.root, vault.path_filter, False)},
        lambda _vault, path, _kind: events.put(path),
        logging.getLogger("vaultsync.test.hidden"),
    )
    watcher.start()
    try:
        hidden = [vault.root / "archived" / "a.md", vault.root / "drafts" / "private" / "b.md"]
        for path in hidden:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("- a note\n", encoding="utf-8")
        sentinel = vault.root / "pages" / "sentinel.md"
        sentinel.write_text("- a note\n", encoding="utf-8")
        seen: list[Path] = []
        while sentinel not in seen:
            seen.append(events.get(timeout=30))  # generous: only reached if it never comes
    finally:
        watcher.stop()
    assert not set(seen) & set(hidden)
    assert not any("archived" in p.parts or "private" in p.parts for p in seen)
