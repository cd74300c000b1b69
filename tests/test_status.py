"""`vaultsync status`, `history` and `undo` through the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from vaultsync.cli import main
from vaultsync.locks import DaemonLock

SAMPLES = Path(__file__).parent / "samples"
PAGE = "The Art of Maintenance (highlights).md"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("VAULTSYNC_STATE_DIR", str(state))
    return state


@pytest.fixture
def config(tmp_path: Path, graph: Path, state: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"vaults:\n  - name: g\n    path: '{graph}'\n", encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))  # print_summary looks sys.stdout up when it prints: capsys sees it
    out, err = capsys.readouterr()
    return code, out, err


def history_files(state: Path) -> dict[Path, bytes]:
    folder = state / "history"
    if not folder.exists():
        return {}
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------- status


def test_status_with_no_daemon(capsys, config: Path, state: Path):
    code, out, err = run(capsys, "status", "--config", str(config))
    assert code == 3, err  # not running: as `systemctl is-active` says inactive
    assert out.startswith("daemon: not running")
    assert "no status recorded yet" in out


def test_status_shows_the_recorded_vaults_and_errors(capsys, config: Path, state: Path):
    state.mkdir(parents=True)
    (state / "status.json").write_text(
        json.dumps(
            {
                "vaults": {
                    "g": {
                        "root": "/notes/g",
                        "kind": "logseq",
                        "watching": "native",
                        "last_pass": "2026-01-01T00:00:00+00:00",
                        "last_summary": "start-up: 3 scanned",
                    }
                },
                "recent_errors": ["2026-01-01T00:00:01+00:00 g: a problem"],
            }
        )
    )
    lock = DaemonLock(state)
    lock.acquire()
    try:
        code, out, err = run(capsys, "status", "--config", str(config))
    finally:
        lock.release()
    assert code == 0, err
    assert f"daemon: running (pid {os.getpid()})" in out
    assert "g: /notes/g (logseq, native)" in out
    assert "start-up: 3 scanned" in out
    assert "recent errors: 1" in out and "g: a problem" in out


def test_status_while_a_vault_folder_is_missing(capsys, config: Path, graph: Path, state: Path):
    """A vault on a drive that is not plugged in: the daemon runs on; status must too."""
    shutil.rmtree(graph)
    code, out, err = run(capsys, "status", "--config", str(config))
    assert code == 3  # answers, and says no daemon runs
    assert "daemon: not running" in out
    assert "error" not in err  # the config loads: a missing folder is that vault's warning


def test_status_uses_the_state_dir_of_a_config_that_does_not_validate(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("VAULTSYNC_STATE_DIR")
    elsewhere = tmp_path / "my state"
    lock = DaemonLock(elsewhere)
    lock.acquire()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"vaults:\n  - path: {tmp_path / 'unplugged'}\nstate_dir: '{elsewhere}'\n",
        encoding="utf-8",
    )
    try:
        code, out, _err = run(capsys, "status", "--config", str(config))
    finally:
        lock.release()
    assert code == 0
    assert f"running (pid {os.getpid()})" in out


def test_status_with_unreadable_yaml_is_a_config_error(capsys, tmp_path: Path, state: Path):
    config = tmp_path / "config.yaml"
    config.write_text("vaults:\n  - path: [unclosed\n", encoding="utf-8")
    code, out, err = run(capsys, "status", "--config", str(config))
    assert code == 2
    assert str(config) in err and "line" in err
    assert "internal error" not in err


# ------------------------------------------------------------------------------- history, undo


def test_history_undo_and_the_restored_mark(capsys, config: Path, graph: Path, state: Path):
    page = graph / "pages" / PAGE
    original = page.read_bytes()

    code, out, err = run(capsys, "resync", "--config", str(config), "-q")
    assert code == 0, out + err
    cleaned = page.read_bytes()
    assert cleaned != original

    code, out, err = run(capsys, "history", str(page), "--config", str(config))
    assert code == 0, err
    assert "1 earlier version" in out
    assert f"{len(original)} bytes" in out

    code, out, err = run(capsys, "undo", str(page), "--config", str(config))
    assert code == 0, err
    assert page.read_bytes() == original
    assert hashlib.sha256(original).hexdigest()[:12] in out

    # Restored on purpose: a resync leaves it as it is...
    code, out, err = run(capsys, "resync", "--config", str(config))
    assert code == 0, out + err
    assert page.read_bytes() == original
    assert "held after `vaultsync undo`" in out
    code, out, _err = run(capsys, "check", "--config", str(config), "-q")
    assert page.read_bytes() == original

    # ... until the page changes again (Readwise appends, the user edits).
    with open(page, "ab") as f:
        f.write(b"\t- One more line of mine.\n")
    code, out, err = run(capsys, "resync", "--config", str(config), "-q")
    assert code == 0, out + err
    text = page.read_text(encoding="utf-8")
    assert "New highlights added" not in text and "One more line of mine." in text

    # The undo kept what it replaced, so the undo itself can be undone.
    code, out, _err = run(capsys, "history", str(page), "--config", str(config))
    assert "3 earlier version" in out


def test_undo_dry_run_writes_nothing(capsys, config: Path, graph: Path, state: Path):
    page = graph / "pages" / PAGE
    assert run(capsys, "resync", "--config", str(config), "-q")[0] == 0
    before = page.read_bytes(), page.stat().st_mtime_ns
    stored = history_files(state)

    code, out, err = run(capsys, "undo", str(page), "--dry-run", "--config", str(config))
    assert code == 0, err
    assert "[dry run]" in out
    assert (page.read_bytes(), page.stat().st_mtime_ns) == before
    assert history_files(state) == stored
    assert [p for p in page.parent.iterdir() if p.name.startswith(".")] == []


def test_undo_an_older_version(capsys, config: Path, graph: Path, state: Path):
    page = graph / "pages" / PAGE
    original = page.read_bytes()
    assert run(capsys, "resync", "--config", str(config), "-q")[0] == 0
    with open(page, "ab") as f:
        f.write(b"- New highlights added [[Mar 3rd, 2023]] at 10:00 AM\n")
        f.write(b"\t- Repair is a form of attention. ([Location 412](https://x.example/412))\n")
    assert run(capsys, "resync", "--config", str(config), "-q")[0] == 0

    code, out, _ = run(capsys, "history", str(page), "--config", str(config))
    assert "2 earlier version" in out
    code, out, err = run(capsys, "undo", str(page), "--version", "2", "--config", str(config))
    assert code == 0, err
    assert page.read_bytes() == original


def test_history_and_undo_errors_are_clear(capsys, config: Path, graph: Path, state: Path):
    page = graph / "pages" / PAGE
    code, _out, err = run(capsys, "history", str(page), "--config", str(config))
    assert code != 0 and "no history" in err and "internal error" not in err
    code, _out, err = run(capsys, "undo", str(page), "--config", str(config))
    assert code != 0 and "no history" in err
    before = page.read_bytes()

    assert run(capsys, "resync", "--config", str(config), "-q")[0] == 0
    code, _out, err = run(capsys, "undo", str(page), "--version", "7", "--config", str(config))
    assert code != 0 and "no version 7" in err and "internal error" not in err
    assert page.read_bytes() != before  # still the cleaned page


def test_undo_while_another_vault_is_unplugged(capsys, tmp_path: Path, graph: Path, state: Path):
    config = tmp_path / "config.yaml"
    config.write_text(
        f"vaults:\n  - path: '{graph}'\n  - path: '{tmp_path / 'unplugged'}'\n    kind: obsidian\n",
        encoding="utf-8",
    )
    page = graph / "pages" / PAGE
    original = page.read_bytes()
    assert run(capsys, "resync", "--vault", str(graph), "-q")[0] == 0
    assert page.read_bytes() != original

    code, out, err = run(capsys, "history", str(page), "--config", str(config))
    assert code == 0, err
    code, out, err = run(capsys, "undo", str(page), "--config", str(config))
    assert code == 0, err
    assert page.read_bytes() == original


def test_undo_brings_back_a_deleted_page(capsys, config: Path, graph: Path, state: Path):
    page = graph / "pages" / PAGE
    assert run(capsys, "resync", "--config", str(config), "-q")[0] == 0
    cleaned = page.read_bytes()
    page.unlink()
    code, out, err = run(capsys, "undo", str(page), "--config", str(config))
    assert code == 0, err
    assert page.read_bytes() != cleaned  # version 1: the page as it was before the rewrite
    assert page.read_bytes() == (SAMPLES / "logseq" / "pages" / PAGE).read_bytes()


def test_undo_outside_any_vault_is_refused(capsys, config: Path, tmp_path: Path, state: Path):
    from vaultsync.history import History

    stray = tmp_path / "elsewhere" / "page.md"
    stray.parent.mkdir()
    stray.write_text("mine\n", encoding="utf-8")
    History(state / "history").save(stray.resolve(), b"older\n")
    code, _out, err = run(capsys, "undo", str(stray), "--config", str(config))
    assert code == 2 and "not inside" in err
    assert stray.read_text(encoding="utf-8") == "mine\n"
