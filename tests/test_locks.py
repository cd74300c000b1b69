"""Vault locks and the daemon lock: one writer per vault, one daemon per state folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from vaultsync.locks import (
    DaemonLock,
    DaemonRunning,
    LockBusy,
    LockWaitCancelled,
    running_pid,
    vault_lock,
)

HOLDER = """
import sys
from pathlib import Path
from vaultsync.locks import DaemonLock, vault_lock

state, vault = Path(sys.argv[1]), Path(sys.argv[2])
DaemonLock(state).acquire()
with vault_lock(state, vault):
    print("holding", flush=True)
    sys.stdin.read()  # until the test closes stdin, or kills us
"""


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    folder.mkdir()
    return folder


@pytest.fixture
def holder(state: Path, vault: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the daemon lock and the vault's lock."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state), str(vault)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until it holds both, or it died
        assert line == "holding\n", proc.stderr.read() if proc.stderr else ""
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream:
                stream.close()


def test_vault_lock_held_by_another_process_excludes(state: Path, vault: Path, holder):
    with pytest.raises(LockBusy) as caught, vault_lock(state, vault, timeout=0.2):
        pytest.fail("got a lock another process holds")
    assert str(vault) in str(caught.value)


def test_lock_released_when_the_holder_is_killed(state: Path, vault: Path, holder):
    assert running_pid(state) == holder.pid
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    # The kernel dropped both locks with the process: no stale lock, no waiting.
    assert running_pid(state) is None
    with vault_lock(state, vault, timeout=0):
        pass
    lock = DaemonLock(state)
    lock.acquire()
    lock.release()


def test_lock_released_when_the_holder_finishes(state: Path, vault: Path, holder):
    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.wait(30) == 0
    with vault_lock(state, vault, timeout=0):
        pass
    assert running_pid(state) is None


def test_a_waiter_gets_the_lock_once_the_holder_lets_go(state: Path, vault: Path):
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with vault_lock(state, vault):
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(30)
        with pytest.raises(LockBusy), vault_lock(state, vault, timeout=0.1):
            pass
        release.set()
        with vault_lock(state, vault, timeout=30):  # a generous deadline, met at once
            pass
    finally:
        release.set()
        thread.join(30)
    assert not thread.is_alive()


def test_waiting_ends_when_cancelled(state: Path, vault: Path, holder):
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) >= 3

    with pytest.raises(LockWaitCancelled), vault_lock(state, vault, cancelled=cancelled):
        pytest.fail("got a lock another process holds")
    assert len(asked) == 3


def test_locks_of_different_vaults_are_independent(
    state: Path, tmp_path: Path, vault: Path, holder
):
    """Another process holds `vault`'s lock: `vault` stays excluded, `other` is free at once."""
    other = tmp_path / "other"
    other.mkdir()
    waited: list[str] = []
    with vault_lock(state, other, timeout=0, on_wait=lambda: waited.append("other")):
        # Held while the other vault's lock is busy: that one still excludes (so the lock is
        # real, not a no-op that would pass any independence test).
        with pytest.raises(LockBusy) as caught, vault_lock(state, vault, timeout=0):
            pytest.fail("got a lock another process holds")
        assert str(vault) in str(caught.value)
    assert waited == []  # `other` never waited on `vault`'s holder
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    with vault_lock(state, vault, timeout=0), vault_lock(state, other, timeout=0):
        pass  # two different vaults held at once by one process


def test_daemon_lock_one_per_state_folder(state: Path, tmp_path: Path):
    assert running_pid(state) is None  # no state folder yet
    first = DaemonLock(state)
    first.acquire()
    try:
        assert running_pid(state) == os.getpid()
        with pytest.raises(DaemonRunning) as caught:
            DaemonLock(state).acquire()
        message = str(caught.value)
        assert "already running" in message and f"pid {os.getpid()}" in message
        assert str(state) in message
        # Another state folder is another daemon.
        elsewhere = DaemonLock(tmp_path / "elsewhere")
        elsewhere.acquire()
        elsewhere.release()
    finally:
        first.release()
    assert running_pid(state) is None
    again = DaemonLock(state)
    again.acquire()
    again.release()


def test_stale_pid_file_is_not_a_running_daemon(state: Path):
    state.mkdir()
    (state / "daemon.pid").write_text("4242\n")
    assert running_pid(state) is None
