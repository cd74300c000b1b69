"""The Readwise plugin's folder as a Readwise signal (Obsidian): a default-template page whose
highlights carry no link and that has no cover image (an article clipped from the web) is
Readwise's when it lies in the plugin's base folder (`Readwise/` unless `readwise_folder`
says otherwise), and a copy of it anywhere else is not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vaultsync.config import load_config
from vaultsync.core.normalize import PageContext, normalize_page
from vaultsync.errors import ConfigError
from vaultsync.pipeline.classify import CANDIDATE
from vaultsync.pipeline.passes import run_pass
from vaultsync.pipeline.report import PassOptions
from vaultsync.pipeline.session import VaultSession
from vaultsync.vault import Vault, make_vault

# Nothing here that the byte prefilter looks for: no link, no cover, no sync heading's words.
CLIPPED = """# Workshop Habits

## Metadata
- Author: [[Ilse Marrow]]
- Category: #articles
- URL: https://example.org/workshop-habits

## Highlights
- Sweep the floor before you start, not after.
- Label the jar before you fill it.
- Sweep the floor before you start, not after.
"""
CLEANED = CLIPPED.rsplit("- Sweep", 1)[0]


def _vault(root: Path, pages: dict[str, str]) -> Path:
    (root / ".obsidian").mkdir(parents=True)
    for rel, text in pages.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_core_takes_the_folder_from_its_context() -> None:
    assert CANDIDATE.search(CLIPPED.encode()) is None  # (the byte prefilter alone skips it)
    assert not normalize_page(CLIPPED, "obsidian").is_readwise
    inside = normalize_page(CLIPPED, "obsidian", context=PageContext(in_readwise_folder=True))
    assert inside.is_readwise and inside.text == CLEANED and inside.losses == []
    # The folder is a signal, not a shape: a note without highlights sections stays a note.
    plain = "# Ideas\n\n- one\n- one\n"
    assert not normalize_page(
        plain, "obsidian", context=PageContext(in_readwise_folder=True)
    ).is_readwise


@pytest.mark.parametrize(
    ("rel", "inside"),
    [
        ("Readwise/Articles/X.md", True),
        ("Readwise/X.md", True),
        ("readwise/Books/X.md", True),  # (file systems that fold case)
        ("Readwise/Readwise Syncs.md", False),  # the plugin's sync log, not a source
        ("Readwise/Articles/Readwise Syncs.md", True),
        ("Notes/Readwise/X.md", False),
        ("ReadwiseOld/X.md", False),
        ("Readwise.md", False),
        ("Readwise/Articles/X.canvas", False),
    ],
)
def test_which_paths_lie_in_the_folder(rel: str, inside: bool) -> None:
    assert Vault("v", Path("/v"), "obsidian").in_readwise_folder(rel) is inside
    assert not Vault("v", Path("/v"), "logseq").in_readwise_folder(rel)  # no folder in Logseq
    assert not Vault("v", Path("/v"), "obsidian", readwise_folder=None).in_readwise_folder(rel)


def test_a_pass_admits_and_cleans_a_page_in_the_folder_only(tmp_path: Path) -> None:
    root = _vault(
        tmp_path / "v",
        {
            "Readwise/Articles/Workshop Habits.md": CLIPPED,
            "Clippings/Workshop Habits.md": CLIPPED,  # the same look outside: not Readwise's
            # An author note (the user's own) in the authors folder: never Readwise's by place.
            "Readwise/Authors/Ilse Marrow.md": CLIPPED,
        },
    )
    report = run_pass(make_vault(root), PassOptions(author_pages=False))
    assert report.readwise == 1
    assert [p.relative_to(root).as_posix() for p in report.changed] == [
        "Readwise/Articles/Workshop Habits.md"
    ]
    assert (root / "Readwise/Articles/Workshop Habits.md").read_text() == CLEANED
    assert (root / "Clippings/Workshop Habits.md").read_text() == CLIPPED
    assert (root / "Readwise/Authors/Ilse Marrow.md").read_text() == CLIPPED


def test_the_daemon_update_cleans_a_new_page_in_the_folder(tmp_path: Path) -> None:
    root = _vault(tmp_path / "v", {"Notes/a.md": "# a\n"})
    session = VaultSession(make_vault(root), PassOptions(author_pages=False))
    session.full_pass()
    page = root / "Readwise" / "Articles" / "Workshop Habits.md"
    page.parent.mkdir(parents=True)
    page.write_text(CLIPPED, encoding="utf-8")
    report = session.update([page])
    assert report.changed == [page] and page.read_text() == CLEANED


def _config(tmp_path: Path, root: Path, folder: str) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"state_dir: {tmp_path / 'state'}\n"
        f"vaults:\n  - path: {root}\n    readwise_folder: {folder}\n"
        "rules:\n  author_pages: false\n",
        encoding="utf-8",
    )
    return config


def test_the_folder_is_a_setting_and_null_turns_it_off(tmp_path: Path) -> None:
    root = _vault(
        tmp_path / "v",
        {"Sources/Readwise/Articles/A.md": CLIPPED, "Readwise/Articles/B.md": CLIPPED},
    )
    config = _config(tmp_path, root, "Sources/Readwise")
    out = _cli("check", "--config", str(config))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Sources/Readwise/Articles/A.md" in out.stdout
    assert "Readwise/Articles/B.md" not in out.stdout.replace("Sources/Readwise/Articles", "")
    config = _config(tmp_path, root, "false")
    out = _cli("check", "--config", str(config))
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_changed_folder_setting_is_not_hidden_by_the_state_cache(tmp_path: Path) -> None:
    root = _vault(tmp_path / "v", {"Readwise/Articles/A.md": CLIPPED})
    config = _config(tmp_path, root, "false")
    out = _cli("resync", "--config", str(config))
    assert out.returncode == 0, out.stdout + out.stderr
    assert (root / "Readwise/Articles/A.md").read_text() == CLIPPED  # (cached as no candidate)
    config = _config(tmp_path, root, "Readwise")
    out = _cli("resync", "--config", str(config))
    assert out.returncode == 0, out.stdout + out.stderr
    assert (root / "Readwise/Articles/A.md").read_text() == CLEANED


@pytest.mark.parametrize("folder", ["'..'", "'.'", "/abs/Readwise", "'a/../../b'"])
def test_a_folder_outside_the_vault_or_the_vault_itself_is_refused(
    tmp_path: Path, folder: str
) -> None:
    root = _vault(tmp_path / "v", {})
    with pytest.raises(ConfigError) as err:
        load_config(_config(tmp_path, root, folder))
    assert "readwise_folder" in str(err.value)
