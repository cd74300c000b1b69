"""Crash safety: a writer killed by SIGKILL at any moment leaves every page old or new, never torn.

A child process rewrites N pages with write_atomic, printing its progress; the parent kills it
when it reaches a chosen step (or when it stops itself at a chosen point inside the protocol),
then checks every page, the history store, the temp-file cleanup, and that a rerun finishes.
"""

from __future__ import annotations

import inspect
import os
import random
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from vaultsync.history import History
from vaultsync.writer import cleanup_temp_files, is_temp_file

PAGES = 50
REPO = Path(__file__).resolve().parents[1]
SUBPROCESS_TIMEOUT = 60.0  # generous: only a hung child ever gets near it

# How a round kills the child:
# - "progress": as soon as the parent reads the child's "begin k" or "done k" line, wherever
#   the child has got to by then;
# - "spin": page k is large and the child writes it in small chunks, reporting each one; the
#   kill follows a random chunk, in the middle of saving the history copy or the temp file;
# - the child stops itself and waits to be killed in the middle of writing the temp file
#   ("mid-write"), after the temp file is complete but before the rename ("before-replace"),
#   or after the rename but before the folder is flushed ("after-replace").
MODES = ("progress", "spin", "mid-write", "before-replace", "after-replace")
STOPS = ("mid-write", "before-replace", "after-replace")
SPIN_BYTES = 256 * 2**10
SPIN_CHUNK = 4096


def renew(old: bytes) -> bytes:
    """The rewrite the child performs; a torn mix of old and new bytes matches neither."""
    return b"NEW\n" + old[::-1]


CHILD = (
    inspect.getsource(renew)
    + """
import os, sys
from pathlib import Path
from vaultsync.history import History
from vaultsync.writer import VaultGuard, read_page, write_atomic

folder, state = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
stop_step, stop_point = int(sys.argv[3]), sys.argv[4]
SPIN_CHUNK = int(sys.argv[6])
guard = VaultGuard([folder])
history = History(state / "history", max_total_bytes=2**40)
step = -1
chunks = 0

def stop(where):
    print(f"stopped {where} {step}", flush=True)
    sys.stdin.readline()  # the parent kills us while we wait here
    raise SystemExit("not killed")

real_write, real_replace = os.write, os.replace

def write(fd, data):
    global chunks
    if step == stop_step and stop_point == "spin":
        written = real_write(fd, bytes(data[:SPIN_CHUNK]))  # callers loop until all is written
        chunks += 1
        print(f"chunk {chunks}", flush=True)
        return written
    if (
        step == stop_step
        and stop_point == "mid-write"
        and len(data) > 1
        and Path(os.readlink(f"/proc/self/fd/{fd}")).parent == folder  # the page, not history
    ):
        real_write(fd, bytes(data[: len(data) // 2]))
        stop("mid-write")
    return real_write(fd, data)

def replace(src, dst, **kwargs):
    # The writer renames inside the folder it holds open: a bare name relative to dst_dir_fd.
    at = kwargs.get("dst_dir_fd")
    where = Path(dst) if at is None else Path(os.readlink(f"/proc/self/fd/{at}")) / dst
    if step == stop_step and stop_point == "before-replace" and where.parent == folder:
        stop("before-replace")
    real_replace(src, dst, **kwargs)
    if step == stop_step and stop_point == "after-replace" and where.parent == folder:
        stop("after-replace")

def no_fsync(fd):
    pass  # a killed process loses nothing fsync would keep (that is power loss): save the time

os.write, os.replace, os.fsync = write, replace, no_fsync
for step in range(int(sys.argv[5])):
    page = folder / f"page{step:03d}.md"
    snapshot = read_page(page)
    if snapshot.data.startswith(b"NEW\\n"):
        print(f"skip {step}", flush=True)
        continue
    print(f"begin {step}", flush=True)
    write_atomic(guard, snapshot, page, renew(snapshot.data), history=history)
    print(f"done {step}", flush=True)
print("finished", flush=True)
"""
)


class Child:
    """The rewriting child process, with line reads that cannot hang the test."""

    def __init__(self, folder: Path, state: Path, stop_step: int, stop_point: str) -> None:
        args = [str(folder), str(state), str(stop_step), stop_point, str(PAGES), str(SPIN_CHUNK)]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, *args],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.deadline = time.monotonic() + SUBPROCESS_TIMEOUT
        self.buffer = b""
        self.lines: list[str] = []

    def read_line(self) -> str:
        """The child's next progress line ("" once it has exited)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.kill()
                pytest.fail(f"child made no progress; last lines: {self.lines[-3:]}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    return ""
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        self.lines.append(line.decode())
        return self.lines[-1]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.close()
        # 0: on a slow machine the child may finish its last page before the kill arrives.
        assert self.proc.returncode in (-signal.SIGKILL, 0), self.errors()

    def errors(self) -> str:
        return self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""

    def close(self) -> None:
        self.proc.wait(timeout=SUBPROCESS_TIMEOUT)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        # Never leave a child behind, whatever failed.
        if self.proc.poll() is None:
            self.proc.kill()
        self.close()
        if self.proc.stderr is not None:
            self.proc.stderr.close()

    def run_to_end(self) -> None:
        while self.read_line():
            pass
        self.close()
        assert self.proc.returncode == 0, self.errors()
        assert self.lines[-1] == "finished"


@dataclass
class Vault:
    folder: Path
    state: Path
    old: dict[str, bytes]

    @classmethod
    def create(cls, base: Path, rng: random.Random, large: int | None) -> Vault:
        folder, state = base / "vault", base / "state"
        folder.mkdir(parents=True)
        old = {}
        for i in range(PAGES):
            size = SPIN_BYTES if i == large else rng.randrange(0, 8192)
            name = f"page{i:03d}.md"
            old[name] = rng.randbytes(size)
            (folder / name).write_bytes(old[name])
        return cls(folder, state, old)

    def check(self, done: set[int], stopped: tuple[str, int] | None) -> None:
        """Every page is exactly old or new, the new ones a prefix; leftovers are only temps."""
        names = sorted(os.listdir(self.folder))
        pages = [n for n in names if not is_temp_file(n)]
        temps = [n for n in names if is_temp_file(n)]
        assert pages == sorted(self.old), "a page was lost or a stray file appeared"
        is_new = []
        for name in pages:
            data = (self.folder / name).read_bytes()
            old, new = self.old[name], renew(self.old[name])
            assert data in (old, new), f"{name} is torn: {len(data)} bytes, neither old nor new"
            is_new.append(data == new)
        first_old = is_new.index(False) if False in is_new else len(is_new)
        assert not any(is_new[first_old:]), "pages were rewritten out of order"
        assert all(is_new[i] for i in done), "a page reported done is not new"
        if stopped is not None:
            point, step = stopped
            assert first_old == (step + 1 if point == "after-replace" else step)
            assert len(temps) == (0 if point == "after-replace" else 1)
        assert len(temps) <= 1, "more than one write was in flight"

        removed = cleanup_temp_files(self.folder)
        assert sorted(p.name for p in removed) == temps
        assert [n for n in os.listdir(self.folder) if ".vaultsync-" in n] == []

        # The history took a copy of each rewritten page first, and every copy is whole.
        history = History(self.state / "history", max_total_bytes=2**40)
        for i, name in enumerate(pages):
            versions = history.versions(self.folder / name)
            if is_new[i]:
                assert len(versions) == 1
            for v in versions:
                assert history.load(self.folder / name, v.number) == self.old[name]


def crash_and_check(base: Path, rng: random.Random, mode: str, rerun: bool = True) -> None:
    step = rng.randrange(PAGES)
    vault = Vault.create(base, rng, large=step if mode == "spin" else None)
    kill_on = rng.choice(("begin", "done"))
    # Each spin write goes in SPIN_BYTES / SPIN_CHUNK chunks: the history copy, then the page.
    kill_after_chunk = rng.randrange(1, 2 * SPIN_BYTES // SPIN_CHUNK)
    stop_point = mode if mode in (*STOPS, "spin") else "none"
    done: set[int] = set()
    stopped: tuple[str, int] | None = None
    with Child(vault.folder, vault.state, step, stop_point) as child:
        while True:
            line = child.read_line()
            if line == "finished" and mode == "progress" and step == PAGES - 1:
                break  # the last page was done before the kill arrived: a crash-free round
            assert line, f"child exited before the kill: {child.lines[-3:]}\n{child.errors()}"
            word, number = line.split()[0], int(line.split()[-1])
            if word == "done":
                done.add(number)
            if word == "stopped":
                stopped = (mode, number)
                break
            if mode == "spin" and word == "chunk" and number == kill_after_chunk:
                break
            if mode == "progress" and word == kill_on and number == step:
                break
            if mode in STOPS and word == "done" and number == step:
                pytest.fail(f"the child wrote page {step} without reaching {mode}")
        child.kill()
    vault.check(done, stopped)

    if not rerun:
        return
    # A rerun after the crash finishes the job, skipping what was done.
    with Child(vault.folder, vault.state, -1, "none") as rerun_child:
        rerun_child.run_to_end()
    assert sum(line.startswith("skip") for line in rerun_child.lines) >= len(done)
    for name, old in vault.old.items():
        assert (vault.folder / name).read_bytes() == renew(old)
    assert [n for n in os.listdir(vault.folder) if ".vaultsync-" in n] == []


def test_crash_at_each_point_of_the_protocol(tmp_path: Path) -> None:
    rng = random.Random(20240611)
    modes = list(MODES)  # 5 kills, one in each way, at seeded random steps
    rng.shuffle(modes)
    for i, mode in enumerate(modes):
        crash_and_check(tmp_path / f"round{i}", rng, mode)


@pytest.mark.slow
def test_crash_many_times(tmp_path: Path) -> None:
    rng = random.Random(1312)
    for i in range(200):
        # Every tenth round also reruns to the end; the others only check the crash itself.
        crash_and_check(tmp_path / f"round{i}", rng, rng.choice(MODES), rerun=i % 10 == 0)
