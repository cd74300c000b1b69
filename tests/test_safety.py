"""Safety promises that cut across modules: `--dry-run` and `check` write nothing (history
included), the state folder is private, every write on disk went through VaultGuard.check, and
nothing opens a network connection.
"""

from __future__ import annotations

import os
import random
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from vaultsync import cli
from vaultsync.writer import VaultGuard

try:
    from genvault import build_vault, files
except ModuleNotFoundError:  # pragma: no cover
    from tests.genvault import build_vault, files

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 120.0


def vaultsync(*args: str, state: Path, config: Path, umask: int | None = None):  # type: ignore[no-untyped-def]
    env = dict(os.environ, VAULTSYNC_STATE_DIR=str(state), VAULTSYNC_CONFIG=str(config), CI="1")
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )


def stamps(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Bytes, mtime and inode of every file: a rewrite of equal bytes shows too."""
    out = {}
    for rel, data in files(root).items():
        st = os.stat(root / rel)
        out[rel] = (data, st.st_mtime_ns, st.st_ino)
    return out


@pytest.fixture
def dirty_vault(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    app = getattr(request, "param", "logseq")
    return build_vault(tmp_path / "vault", random.Random(8), app, pages=6).root


# ---- dry runs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dirty_vault", ["logseq", "obsidian"], indirect=True)
def test_dry_run_writes_nothing_history_included(dirty_vault: Path, tmp_path: Path) -> None:
    before = stamps(dirty_vault)
    state = tmp_path / "state"
    proc = vaultsync(
        "resync", "--dry-run", "--diff", "--vault", str(dirty_vault),
        state=state, config=Path(os.devnull),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "[dry run]" in proc.stdout and "would be rewritten" in proc.stdout
    assert "+++ b/" in proc.stdout  # the diff of what would change
    assert stamps(dirty_vault) == before
    history = state / "history"
    assert not history.exists() or list(history.rglob("*")) == []
    assert not (state / "locks").exists()  # a dry run takes no vault lock either


def test_check_writes_nothing(dirty_vault: Path, tmp_path: Path) -> None:
    before = stamps(dirty_vault)
    state = tmp_path / "state"
    proc = vaultsync("check", "--vault", str(dirty_vault), state=state, config=Path(os.devnull))
    assert proc.returncode == 1, proc.stderr  # it would change pages
    assert stamps(dirty_vault) == before
    assert not (state / "history").exists() or list((state / "history").rglob("*")) == []


# ---- the state folder -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "history"),
    [("resync", True), ("resync", False), ("resync --dry-run", True), ("check", True)],
)
def test_the_state_folder_is_created_private(
    dirty_vault: Path, tmp_path: Path, command: str, history: bool
) -> None:
    """0o700 for the state folder and every folder vaultsync creates for it (parents
    included), nothing in it readable by others, whatever the umask."""
    config = tmp_path / "config.yaml"
    config.write_text("" if history else "history:\n  keep_versions: 0\n", encoding="utf-8")
    state = tmp_path / "made" / "for" / "state"
    proc = vaultsync(
        *command.split(), "--vault", str(dirty_vault), state=state, config=config, umask=0
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    if command != "resync":
        # A dry run or a check writes nothing at all: not even the state folder.
        assert not (tmp_path / "made").exists()
        return
    assert state.is_dir()
    for folder in (tmp_path / "made", tmp_path / "made" / "for", state):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for path in state.rglob("*"):
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir():
            assert mode == 0o700, path
        else:
            assert mode & 0o077 == 0, f"{path} is readable by others ({mode:o})"


# ---- one guard for every write ----------------------------------------------------------------


@pytest.mark.parametrize("dirty_vault", ["logseq", "obsidian"], indirect=True)
def test_every_file_that_changed_went_through_the_guard(
    dirty_vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checked: set[Path] = set()
    real_check, real_folder = VaultGuard.check, VaultGuard.check_folder

    def check(self: VaultGuard, path: Path) -> Path:
        real = real_check(self, path)
        checked.add(Path(os.path.realpath(real)))
        return real

    def check_folder(self: VaultGuard, folder: Path) -> Path:
        real = real_folder(self, folder)
        checked.add(Path(os.path.realpath(real)))
        return real

    monkeypatch.setattr(VaultGuard, "check", check)
    monkeypatch.setattr(VaultGuard, "check_folder", check_folder)
    before = stamps(dirty_vault)
    folders_before = {p for p in dirty_vault.rglob("*") if p.is_dir()}
    assert cli.main(["resync", "--vault", str(dirty_vault), "-q"]) == 0
    capsys.readouterr()
    after = stamps(dirty_vault)
    changed = {rel for rel in after if before.get(rel) != after[rel]}
    assert changed, "the generated vault needed cleaning"
    assert {rel for rel in before if rel not in after} == set(), "a page disappeared"
    for rel in changed:
        assert (dirty_vault / rel).resolve() in checked, f"{rel} was written unchecked"
    for folder in {p for p in dirty_vault.rglob("*") if p.is_dir()} - folders_before:
        assert folder.resolve() in checked, f"{folder} was created unchecked"


# ---- no network -------------------------------------------------------------------------------


def test_a_resync_uses_no_network(
    dirty_vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    attempts: list[str] = []

    def refuse(name: str):  # type: ignore[no-untyped-def]
        def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
            attempts.append(name)
            raise OSError(f"network use in a test: socket.{name}")

        return fail

    for name in ("socket", "create_connection", "getaddrinfo", "socketpair"):
        monkeypatch.setattr(socket, name, refuse(name))
    before = files(dirty_vault)
    assert cli.main(["resync", "--vault", str(dirty_vault)]) == 0
    out, err = capsys.readouterr()
    assert "rewritten" in out and "Traceback" not in err
    assert files(dirty_vault) != before
    assert attempts == []
