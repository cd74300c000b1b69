"""Issue 15, the rest: a missing vault folder, settings that match nothing, `--vault` in any
case, `service install --print`, the daemon's activity log and the progress line. Each
through the command, as a person runs it (`python -m vaultsync …`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:  # pytest puts tests/ on sys.path
    from terminal import under_pty
except ModuleNotFoundError:  # pragma: no cover
    from tests.terminal import under_pty

WAIT = 60.0  # seconds: generous, only reached when something is wrong
SAMPLES = Path(__file__).parent / "samples"


def vaultsync(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", *args],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
        env=env,
    )


def graph(base: Path, name: str = "graph", sample: str = "logseq") -> Path:
    dest = base / name
    shutil.copytree(SAMPLES / sample, dest)
    return dest


def write_config(base: Path, text: str) -> Path:
    config = base / "config.yaml"
    config.write_text(text, encoding="utf-8")
    return config


# ------------------------------------------------------------------ service install --print


def test_service_install_print_shows_the_unit_and_writes_nothing(tmp_path: Path) -> None:
    root = graph(tmp_path)
    config = write_config(tmp_path, f"vaults:\n  - path: '{root}'\n")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    done = vaultsync("service", "install", "--print", "--config", str(config), env=env)
    assert done.returncode == 0, done.stderr
    if sys.platform.startswith("linux"):
        assert done.stdout.startswith("[Unit]\n")
        assert "ExecStart=" in done.stdout and str(root) in done.stdout
        assert "vaultsync.service" in done.stderr  # where it would go
    assert not (tmp_path / "xdg").exists()  # nothing installed


# ------------------------------------------------------------------------------ activity log


def test_the_activity_log_is_private_and_bounded_by_count(tmp_path: Path) -> None:
    from vaultsync.activity import ActivityLog, recent

    state = tmp_path / "state"
    state.mkdir()
    log = ActivityLog(state, max_lines=10)
    for i in range(35):
        log.record("cleaned", "g", f"pages/{i}.md")
    files = sorted(p.name for p in state.iterdir())
    assert files == ["activity.jsonl", "activity.jsonl.1"]  # one rotation kept, no more
    assert all((state / f).stat().st_mode & 0o077 == 0 for f in files)
    assert sum(len((state / f).read_text().splitlines()) for f in files) <= 20
    assert [e["page"] for e in recent(state, 3)] == ["pages/32.md", "pages/33.md", "pages/34.md"]
    # A new process counts what is there and goes on rotating at the same bound.
    ActivityLog(state, max_lines=10).record("cleaned", "g", "pages/last.md")
    assert recent(state, 1)[0]["page"] == "pages/last.md"
    assert len((state / "activity.jsonl").read_text().splitlines()) <= 10


# ------------------------------------------------------------------------- no dead ends


def test_a_missing_vault_folder_leaves_that_vault_out_and_the_rest_works(tmp_path: Path) -> None:
    root = graph(tmp_path)
    gone = tmp_path / "usb" / "Travel"
    config = write_config(
        tmp_path, f"vaults:\n  - path: '{root}'\n  - name: Travel\n    path: '{gone}'\n"
    )
    for command in (("check",), ("resync", "--dry-run"), ("authors",), ("config", "validate")):
        args = (
            (*command, str(config))
            if command[0] == "config"
            else (*command, "--config", str(config))
        )
        done = vaultsync(*args)
        assert "Traceback" not in done.stderr
        # Exits as it would without it: check finds the sample page to clean.
        assert done.returncode == (1 if command == ("check",) else 0), done.stderr
        assert f"warning: vault 'Travel': its folder {gone} is missing" in done.stderr
    named = vaultsync("check", "--config", str(config), "--vault", "travel")
    assert named.returncode == 2 and "is missing" in named.stderr  # asked for by name


def test_vault_names_match_in_any_case_and_a_miss_lists_them(tmp_path: Path) -> None:
    root = graph(tmp_path)
    config = write_config(tmp_path, f"vaults:\n  - name: Logseq\n    path: '{root}'\n")
    done = vaultsync("check", "--config", str(config), "--vault", "logseq")
    assert done.returncode == 1, done.stderr  # found: the sample page would change
    assert done.stdout.startswith("Logseq (Logseq graph")
    miss = vaultsync("check", "--config", str(config), "--vault", "obsidian")
    assert miss.returncode == 2
    assert "configured vaults: 'Logseq'" in miss.stderr


def test_a_kind_that_contradicts_the_folder_warns_with_the_fix(tmp_path: Path) -> None:
    root = graph(tmp_path)
    config = write_config(tmp_path, f"vaults:\n  - path: '{root}'\n    kind: obsidian\n")
    done = vaultsync("check", "--config", str(config))
    assert "Readwise pages       0" in done.stdout  # what it did before: silently nothing
    assert "has logseq/config.edn: it is a Logseq graph" in done.stderr
    assert "set 'kind: logseq'" in done.stderr


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("include", '["Readwise/**/*.md"]', "include ['Readwise/**/*.md'] matches none"),
        ("exclude", '["**"]', "exclude ['**'] leaves out every page"),
    ],
)
def test_patterns_that_let_no_page_through_warn(
    tmp_path: Path, key: str, value: str, said: str
) -> None:
    root = graph(tmp_path)
    config = write_config(tmp_path, f"vaults:\n  - path: '{root}'\n    {key}: {value}\n")
    done = vaultsync("resync", "--dry-run", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert said in done.stderr
    ok = write_config(tmp_path, f"vaults:\n  - path: '{root}'\n")
    assert "warning" not in vaultsync("resync", "--dry-run", "--config", str(ok)).stderr


def test_a_missing_vaultsync_config_file_is_an_error(tmp_path: Path) -> None:
    root = graph(tmp_path)
    env = {**os.environ, "VAULTSYNC_CONFIG": str(tmp_path / "typo.yaml")}
    done = vaultsync("check", "--vault", str(root), env=env)
    assert done.returncode == 2
    assert "$VAULTSYNC_CONFIG names it" in done.stderr
    env["VAULTSYNC_CONFIG"] = os.devnull  # "no config"
    assert vaultsync("check", "--vault", str(root), env=env).returncode == 1


# ------------------------------------------------------------------------- progress line


def _under_pty(args: list[str], env: dict[str, str]) -> str:
    """The command on a pseudo-terminal (tests/terminal.py), 120 columns wide."""
    return under_pty(args, env, columns=120)


def test_the_progress_line_shows_the_total_and_an_estimate(tmp_path: Path) -> None:
    import re

    root = graph(tmp_path)
    page = (root / "pages" / "The Art of Maintenance (highlights).md").read_text(encoding="utf-8")
    for i in range(40):
        book = page.replace("The Art of Maintenance", f"Book {i}")
        (root / "pages" / f"Book {i} (highlights).md").write_text(book, encoding="utf-8")
    # Every Readwise page is cleaned on a first pass (none known clean yet).
    readwise = sum("(highlights)" in p.name for p in (root / "pages").iterdir())
    env = {**os.environ, "VAULTSYNC_CONFIG": os.devnull, "VAULTSYNC_STATE_DIR": str(tmp_path / "s")}
    shown = _under_pty(["resync", "--vault", str(root)], env)
    assert re.search(r"scanning graph \d+ files", shown)  # the walk counts
    # Then the total, then how long is left: what a person sees at each of those moments.
    assert re.search(rf"cleaning graph 0/{readwise} pages", shown), shown[:2000]
    assert re.search(rf"cleaning graph \d+/{readwise} pages, about \d+:\d\d left", shown)
    assert "rewritten" in shown  # and the summary after it
    quiet = _under_pty(["resync", "-q", "--vault", str(root)], env)
    assert "cleaning graph" not in quiet and "scanning" not in quiet


# --------------------------------------------------------------------- -v: pages left alone


def test_verbose_lists_the_pages_left_alone_with_why(tmp_path: Path) -> None:
    root = graph(tmp_path)
    (root / "pages" / "groceries.md").write_text("- milk\n", encoding="utf-8")
    env = {**os.environ, "VAULTSYNC_CONFIG": os.devnull, "VAULTSYNC_STATE_DIR": str(tmp_path / "s")}
    plain = vaultsync("check", "--vault", str(root), env=env)
    assert "unchanged" not in plain.stdout  # the default output is as it was
    verbose = vaultsync("check", "-v", "--vault", str(root), env=env)
    assert verbose.returncode == 1, verbose.stderr
    assert "  unchanged pages/groceries.md: not a Readwise page" in verbose.stdout
    assert "would clean pages/The Art of Maintenance" in verbose.stdout
    assert vaultsync("resync", "-q", "--vault", str(root), env=env).returncode == 0
    settled = vaultsync("resync", "-v", "--vault", str(root), env=env)
    page = "pages/The Art of Maintenance (highlights).md"
    assert f"  unchanged {page}: Readwise page; nothing to change" in settled.stdout
    data = json.loads(vaultsync("check", "-v", "--json", "--vault", str(root), env=env).stdout)
    unchanged = {u["path"]: u["reason"] for u in data["vaults"][0]["unchanged"]}
    assert unchanged["pages/groceries.md"].startswith("not a Readwise page")
    assert unchanged[page] == "Readwise page; nothing to change"
    assert (
        "unchanged"
        not in json.loads(vaultsync("check", "--json", "--vault", str(root), env=env).stdout)[
            "vaults"
        ][0]
    )
