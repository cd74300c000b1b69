"""A state folder vaultsync cannot write (full disk, read-only file system, no permission) is a
clear message naming the folder and what to do, never "internal error … This is a bug".

Through the command on a real full or read-only tmpfs where the tests may mount one (root),
and through a seam of our own (the os calls the lock files use) everywhere."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vaultsync import cli
from vaultsync.errors import HistoryUnavailable, StateFolderUnusable
from vaultsync.history import History
from vaultsync.locks import DaemonLock, vault_lock

SAMPLES = Path(__file__).parent / "samples" / "logseq"
ADVICE = "set state_dir in the config (or $VAULTSYNC_STATE_DIR) to a folder elsewhere"


def _assert_clear(text: str, *words: str) -> None:
    assert "internal error" not in text and "Traceback" not in text and "bug" not in text
    assert ADVICE in text
    for word in words:
        assert word in text


# --------------------------------------------------------------------------- a real file system


def _mount_tmpfs(where: Path, size: str) -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
    )
    return done.returncode == 0


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "state"
    if not _mount_tmpfs(where, "64k"):
        pytest.skip("needs root and a tmpfs mount to make a full or read-only state folder")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as err:
        assert err.errno == errno.ENOSPC
    finally:
        os.close(fd)


def _vaultsync(state: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, VAULTSYNC_STATE_DIR=str(state))
    if config is not None:
        env["VAULTSYNC_CONFIG"] = str(config)
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    dest = tmp_path / "graph"
    shutil.copytree(SAMPLES, dest)
    return dest


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_resync_with_a_full_state_folder_says_so(small_tmpfs: Path, graph: Path) -> None:
    _fill(small_tmpfs)
    before = _snapshot(graph)
    done = _vaultsync(small_tmpfs, "resync", "--vault", str(graph))
    assert done.returncode == 1
    _assert_clear(done.stderr, f"state folder {small_tmpfs}", "the disk is full", "free some space")
    assert _snapshot(graph) == before


def test_the_daemon_with_a_full_state_folder_says_so(
    small_tmpfs: Path, graph: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"vaults:\n  - path: {graph}\n", encoding="utf-8")
    _fill(small_tmpfs)
    done = _vaultsync(small_tmpfs, "run", config=config)
    assert done.returncode == 1
    _assert_clear(done.stderr, f"state folder {small_tmpfs}", "the disk is full")


def test_resync_with_a_read_only_state_folder_says_so(small_tmpfs: Path, graph: Path) -> None:
    remount = subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], capture_output=True)
    if remount.returncode:
        pytest.skip("cannot remount the tmpfs read-only")
    before = _snapshot(graph)
    done = _vaultsync(small_tmpfs, "resync", "--vault", str(graph))
    assert done.returncode == 1
    _assert_clear(done.stderr, str(small_tmpfs), "read-only file system", "make it writable")
    assert _snapshot(graph) == before


# --------------------------------------------------------------------------- a seam of our own


def _failing(call: str, code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make os.<call> fail with `code` for files in a state folder's locks (or pid file)."""
    real = getattr(os, call)

    def fake(*args: Any, **kwargs: Any) -> Any:
        first = args[0]
        target = os.readlink(f"/proc/self/fd/{first}") if isinstance(first, int) else first
        if "locks" in str(target) or str(target).endswith("daemon.pid"):
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, call, fake)


@pytest.mark.parametrize(
    ("call", "code", "words"),
    [
        ("pwrite", errno.ENOSPC, "the disk is full (or over quota): free some space there"),
        ("ftruncate", errno.EDQUOT, "the disk is full"),
        ("open", errno.EROFS, "read-only file system: make it writable"),
        ("open", errno.EACCES, "permission denied: give this user write access"),
        ("open", errno.ELOOP, "check that folder"),
    ],
)
def test_the_vault_lock_on_an_unwritable_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, code: int, words: str
) -> None:
    if sys.platform != "linux":
        pytest.skip("the seam names files through /proc")
    state = tmp_path / "state"
    _failing(call, code, monkeypatch)
    with pytest.raises(StateFolderUnusable) as info:
        with vault_lock(state, tmp_path / "vault"):
            pytest.fail("the lock was taken")
    message = str(info.value)
    _assert_clear(message, f"state folder {state / 'locks'}", words)
    assert f"the lock of vault {tmp_path / 'vault'}" in message


@pytest.mark.parametrize(("call", "code"), [("pwrite", errno.ENOSPC), ("open", errno.EROFS)])
def test_the_daemon_lock_on_an_unwritable_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, code: int
) -> None:
    if sys.platform != "linux":
        pytest.skip("the seam names files through /proc")
    _failing(call, code, monkeypatch)
    lock = DaemonLock(tmp_path / "state")
    with pytest.raises(StateFolderUnusable, match="the daemon's pid file"):
        lock.acquire()
    assert lock.fd is None
    monkeypatch.undo()
    lock.acquire()  # a failed attempt leaves nothing held
    lock.release()


def test_resync_in_process_with_a_full_state_folder(
    graph: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if sys.platform != "linux":
        pytest.skip("the seam names files through /proc")
    before = _snapshot(graph)
    _failing("pwrite", errno.ENOSPC, monkeypatch)
    code = cli.main(["resync", "--vault", str(graph), "-q"])
    _out, err = capsys.readouterr()
    assert code == 1
    _assert_clear(err, "state folder", "the disk is full")
    assert _snapshot(graph) == before


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_history_on_an_unwritable_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str
) -> None:
    history = History(tmp_path / "state" / "history")

    def refused(*args: Any, **kwargs: Any) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("vaultsync.history.files.write_private_file", refused)
    with pytest.raises(HistoryUnavailable) as info:
        history.save(tmp_path / "page.md", b"data")
    _assert_clear(str(info.value), str(history.root), words)
