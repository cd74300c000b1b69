"""The installed `vaultsync` command, run as a user runs it (subprocess, exit codes, output)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
THREAD = "pages/Almost Two Years After G... (highlights).md"
TIMEOUT = 120  # generous: only a hung process fails it


# The console script of the interpreter running the tests (the checkout's code, through the
# PYTHONPATH tests/conftest.py sets), never whatever `vaultsync` comes first on PATH.
_SCRIPT = shutil.which("vaultsync", path=os.path.dirname(sys.executable))
VAULTSYNC = [_SCRIPT] if _SCRIPT else [sys.executable, "-m", "vaultsync"]


def vaultsync(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "1", "NO_COLOR": "1", "VAULTSYNC_DEBUG": ""}
    return subprocess.run(
        [*VAULTSYNC, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_check_fails_before_resync_and_passes_after(graph: Path) -> None:
    before = vaultsync("check", "--vault", str(graph))
    assert before.returncode == 1, before.stderr
    resync = vaultsync("resync", "--vault", str(graph))
    assert resync.returncode == 0, resync.stderr
    after = vaultsync("check", "--vault", str(graph))
    assert after.returncode == 0, after.stdout + after.stderr
    for result in (before, resync, after):
        no_traceback(result)


def test_resync_prints_the_summary(vault: Path) -> None:
    result = vaultsync("resync", "--vault", str(vault))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for label in (
        "pages scanned",
        "Readwise pages",
        "rewritten",
        "duplicates removed",
        "highlights moved",
        "mojibake repaired",
        "author pages",
    ):
        assert label in out, label
    assert "2 created" in out


def test_resync_diff_prints_a_unified_diff(graph: Path) -> None:
    result = vaultsync("resync", "--diff", "--vault", str(graph))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"--- a/{THREAD}\n+++ b/{THREAD}\n" in out
    assert "\n@@ -" in out
    assert "\n-\t  ðŸŒ‡12/12 ([View Tweet]" in out
    assert "\n+\t  🌇12/12 ([View Tweet]" in out


def test_dry_run_writes_nothing_and_says_so(graph: Path) -> None:
    before = tree(graph)
    result = vaultsync("resync", "--dry-run", "--diff", "--vault", str(graph))
    assert result.returncode == 0, result.stderr
    assert tree(graph) == before
    assert "dry run" in result.stdout.lower()
    assert f"+++ b/{THREAD}" in result.stdout
    check = vaultsync("check", "--vault", str(graph))
    assert check.returncode == 1  # still needs cleaning


def test_check_writes_nothing(vault: Path) -> None:
    before = tree(vault)
    result = vaultsync("check", "--diff", "--vault", str(vault))
    assert result.returncode == 1
    assert tree(vault) == before
    assert "--- a/Readwise/" in result.stdout


def test_a_folder_of_unknown_kind_needs_kind(tmp_path: Path) -> None:
    plain = tmp_path / "notes"
    plain.mkdir()
    (plain / "a.md").write_text("- hello\n", encoding="utf-8")
    result = vaultsync("resync", "--vault", str(plain))
    assert result.returncode == 2
    assert "--kind" in result.stderr
    no_traceback(result)
    ok = vaultsync("resync", "--kind", "logseq", "--vault", str(plain))
    assert ok.returncode == 0, ok.stderr


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no such graph"
    result = vaultsync("check", "--vault", str(missing))
    assert result.returncode == 2
    assert str(missing) in result.stderr
    no_traceback(result)


def test_bad_yaml_config_names_the_file_and_line(tmp_path: Path, graph: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"vaults:\n  - path: {graph}\n    kind: [logseq\n", encoding="utf-8")
    result = vaultsync("check", "--config", str(config))
    assert result.returncode == 2
    assert str(config) in result.stderr
    assert "line " in result.stderr
    no_traceback(result)


def test_demo_once_prints_a_diff() -> None:
    result = vaultsync("demo", "--once")
    assert result.returncode == 0, result.stderr
    assert "--- a/" in result.stdout and "+++ b/" in result.stdout
    assert "\n@@ " in result.stdout
    # Each vault's header comes before its diffs, its counts after them.
    out = result.stdout
    for header in ("(Logseq graph at", "(Obsidian vault at"):
        start = out.index(header)
        assert out.index("--- ", start) < out.index("pages scanned", start)
    assert out.index("(Logseq graph at") < out.index("--- a/pages/")
    no_traceback(result)


def test_help_lists_the_commands() -> None:
    result = vaultsync("--help")
    assert result.returncode == 0
    for command in ("resync", "check", "demo", "config"):
        assert command in result.stdout


def test_python_dash_m_daemon_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vaultsync", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "resync" in result.stdout


def test_config_validate_the_example() -> None:
    result = vaultsync("config", "validate", "config.example.yaml")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


@pytest.mark.parametrize("command", ["resync", "check"])
def test_non_utf8_readwise_page_is_reported_not_a_traceback(graph: Path, command: str) -> None:
    page = graph / THREAD
    page.write_bytes(page.read_bytes().replace(b"Almost two", b"Almost \xfftwo", 1))
    before = page.read_bytes()
    result = vaultsync(command, "--vault", str(graph))
    no_traceback(result)
    assert page.read_bytes() == before
    assert "not UTF-8" in result.stdout + result.stderr


def test_the_config_commands_say_what_they_always_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`config init`, `validate` and `explain` print the lines they always printed (worded in
    render/commands.py now, from the fields the commands hand it)."""
    config = tmp_path / "config.yaml"
    init = vaultsync("config", "init", str(config))
    assert (init.returncode, init.stdout) == (
        0,
        f"wrote {config}; edit `vaults:` to name your graphs and vaults\n",
    )
    valid = vaultsync("config", "validate", str(config))
    assert (valid.returncode, valid.stdout) == (0, f"{config}: valid (0 vaults)\n")
    explained = vaultsync("config", "explain", str(config)).stdout.splitlines()
    assert explained[0] == f"# {config}"
    assert any(line.startswith("rules:  ") for line in explained)  # a section, its meaning
    assert any(line.startswith("rules.dedupe = ") for line in explained)
    assert any(line.startswith("    ") for line in explained)  # a key's meaning under it
    # No file at the default place: the defaults, said so.
    monkeypatch.delenv("VAULTSYNC_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    absent = tmp_path / "xdg" / "vaultsync" / "config.yaml"
    assert vaultsync("config", "explain").stdout.splitlines()[:2] == [
        f"# {absent} (absent: the defaults)",
        "vaults = (none)",
    ]
