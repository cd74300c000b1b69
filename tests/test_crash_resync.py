"""Crash safety of the whole `vaultsync resync` command, and of the daemon, over generated vaults.

A vault of generated Readwise pages is cleaned by a child process that is killed with SIGKILL:
- "op": the child kills itself at the k-th file operation of the run (k drawn over every write,
  rename, link, fsync, unlink, mkdir and chmod a clean run makes; a write is torn in half first),
  so every point of the protocol, history saves and author pages included, gets hit;
- "timed": the parent kills the child after a random delay within a clean run's duration;
- the same with the real `vaultsync resync` and `vaultsync run` processes.
The forked children run the CLI's own `main` (imported once, so a kill costs no start-up time).

After each kill: every page is exactly its old bytes or exactly its new bytes, every other file
is a complete new author page or one temp file, and the history holds only whole old copies. A
restart removes the temp file and ends with exactly the vault a run without a crash gives.

Each test proves its kills landed where they matter, without timing: a forked child writes,
before each file operation, whether it is inside write_atomic (or remove_page) and which
operation it starts, into memory shared with the parent, so the parent reads after the kill where
it landed. The real processes are judged by what the kill left: a vault with some pages new and
some old, or a temp file, shows a kill in the middle of the run. Each test counts such kills and
runs more rounds (a bounded number) until it has seen enough.
"""

from __future__ import annotations

import json
import mmap
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import vaultsync.config
import vaultsync.pipeline.session
import vaultsync.settings
import vaultsync.writer
from vaultsync import cli
from vaultsync.core.highlights import repaired
from vaultsync.history import History
from vaultsync.writer import is_temp_file

try:
    from genvault import build_vault, files
except ModuleNotFoundError:  # pragma: no cover
    from tests.genvault import build_vault, files

REPO = Path(__file__).resolve().parents[1]
PAGES = 24
SUBPROCESS_TIMEOUT = 120.0  # generous: only a hung child ever gets near it
KILL = signal.SIGKILL

# What the CLI imports lazily, imported here once, so forked children start at once.
_PRELOADED = (vaultsync.config, vaultsync.settings, vaultsync.pipeline.session, repaired("cafÃ©"))

# The file operations a kill can land before ("write" is torn: half its bytes, then the kill).
OPERATIONS = ("write", "replace", "rename", "link", "fsync", "unlink", "mkdir", "fchmod")


@dataclass
class Scenario:
    """One generated vault, and what a run without a crash makes of it."""

    app: str
    template: Path
    original: dict[str, bytes]
    final: dict[str, bytes]
    ops: int  # file operations of a clean run
    seconds: float  # duration of a clean run in a forked child
    stats: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder on tmpfs when there is one: a SIGKILL leaves the page cache alone, so what a
    process crash can do is the same there, and its fsyncs cost nothing (200 kills stay fast).
    The real-process and daemon tests run on tmp_path (the disk)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="vaultsync-crash-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------ forked children

# Where the forked child is, shared with the parent (an anonymous MAP_SHARED mapping survives
# the fork and the child's death): how deep inside write_atomic/remove_page it is, and the index
# of the file operation it last started (an index into OPERATIONS, -1 for none).
_TRACE = mmap.mmap(-1, 12)
_TRACE_FORMAT = "<iii"
_WRITERS = ("write_atomic", "remove_page")
# A batch (WriteBatch, the path of a full pass's writes beyond the first few): its temp files
# are written in `add`, made durable and renamed in `commit`.
_BATCH = ("add", "commit")
_depth = [0]  # in a child: how deep inside write_atomic/remove_page/a batch it is now
_phase = [0]  # 0: write_atomic/remove_page (or nothing), 1: WriteBatch.add, 2: WriteBatch.commit
BATCH_ENV = "VAULTSYNC_BATCH_MIN"


def _trace(depth: int, op: int) -> None:
    struct.pack_into(_TRACE_FORMAT, _TRACE, 0, depth, op, _phase[0])


def where_it_died() -> str | None:
    """After a kill: the file operation write_atomic, remove_page or a batch had started when
    it landed ("enter" if none yet), or None when the child was outside them. Inside a batch
    the phase comes first: "batch-add write", "batch-commit replace"."""
    depth, op, phase = struct.unpack_from(_TRACE_FORMAT, _TRACE, 0)
    if depth <= 0:
        return None
    point = OPERATIONS[op] if op >= 0 else "enter"
    return f"batch-{_BATCH[phase - 1]} {point}" if phase else point


def _traced(real: Callable[..., object], phase: int) -> Callable[..., object]:
    def traced(*args: object, **kwargs: object) -> object:
        _depth[0] += 1
        was, _phase[0] = _phase[0], phase  # (a write_atomic inside add: 0)
        _trace(_depth[0], -1)
        try:
            return real(*args, **kwargs)
        finally:
            _depth[0] -= 1
            _phase[0] = was
            _trace(_depth[0], -1)

    return traced


def _trace_writers() -> None:
    """In a child: mark the time spent in write_atomic, remove_page and a batch's add and
    commit in the shared trace, by wrapping them wherever they were imported (pipeline.clean,
    pipeline.authors, writer itself)."""
    for name in _WRITERS:
        real = getattr(vaultsync.writer, name)
        traced = _traced(real, 0)
        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("vaultsync") and (
                getattr(module, name, None) is real
            ):
                setattr(module, name, traced)
    for phase, name in enumerate(_BATCH, start=1):
        setattr(
            vaultsync.writer.WriteBatch,
            name,
            _traced(getattr(vaultsync.writer.WriteBatch, name), phase),
        )


def batched() -> bool:
    """Whether this test's passes write through a batch (VAULTSYNC_BATCH_MIN=0)."""
    return os.environ.get(BATCH_ENV) == "0"


@pytest.fixture(autouse=True)
def write_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests named *_batched run every write of a full pass through a batch; the others page by
    page (the protocol of write_atomic), whatever the threshold. Children inherit it."""
    batch = request.node.name.endswith("_batched") or "[batched]" in request.node.name
    monkeypatch.setenv(BATCH_ENV, "0" if batch else "1000000000")


def _arm(kill_at: int) -> Callable[[], int]:
    """In a child: count file operations and SIGKILL ourselves at operation `kill_at` (-1:
    never); returns a function giving the count so far. Each operation is marked in the shared
    trace before it starts."""
    seen = 0
    _trace_writers()

    def wrap(name: str) -> Callable[..., object]:
        real = getattr(os, name)
        code = OPERATIONS.index(name)

        def op(*args: object, **kwargs: object) -> object:
            nonlocal seen
            _trace(_depth[0], code)
            if seen == kill_at:
                if name == "write" and len(args[1]) > 1:  # type: ignore[arg-type]
                    data = bytes(args[1])  # type: ignore[arg-type]
                    real(args[0], data[: len(data) // 2])
                os.kill(os.getpid(), KILL)
            seen += 1
            return real(*args, **kwargs)

        return op

    for name in OPERATIONS:
        setattr(os, name, wrap(name))
    return lambda: seen


def _fork_resync(root: Path, state: Path, kill_at: int = -1, count_file: Path | None = None) -> int:
    """Start `vaultsync resync --vault root` in a forked child; returns its pid. With
    `count_file`, the child writes there how many file operations it made."""
    _trace(0, -1)
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.environ["VAULTSYNC_STATE_DIR"] = str(state)
        count = _arm(kill_at)
        code = cli.main(["resync", "--vault", str(root), "-q"])
        if count_file is not None:
            count_file.write_text(str(count()))
    finally:
        os._exit(code)


def _count_of(path: Path) -> int:
    return int(path.read_text()) if path.exists() else 0


def _wait(pid: int) -> int:
    """Wait for a forked child; its exit code, or minus the signal that killed it."""
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, KILL)
            os.waitpid(pid, 0)
            pytest.fail("a forked resync hung")
        time.sleep(0.005)


def _kill(pid: int) -> bool:
    """SIGKILL a child; True if it was still running (the kill landed)."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # pragma: no cover
        return False
    if done:
        assert os.waitstatus_to_exitcode(status) == 0
        return False
    os.kill(pid, KILL)
    code = _wait(pid)
    return code == -KILL


# ------------------------------------------------------------------------------ scenario


def make_scenario(base: Path, rng: random.Random, app: str, pages: int = PAGES) -> Scenario:
    template = base / "template"
    build_vault(template, rng, app, pages=pages)
    original = files(template)
    ref = base / "reference"
    shutil.copytree(template, ref, symlinks=True)
    count = base / "ops"
    start = time.monotonic()
    assert _wait(_fork_resync(ref, base / "ref-state", -1, count)) == 0
    seconds = time.monotonic() - start
    final = files(ref)
    assert final != original, "the generated vault needs cleaning"
    shutil.rmtree(ref)
    return Scenario(app, template, original, final, _count_of(count), seconds)


def check_torn(root: Path, state: Path, sc: Scenario) -> int:
    """After a kill: old or new bytes, never torn; returns how many pages were already new."""
    now = files(root)
    temps = [rel for rel in now if is_temp_file(rel)]
    if not batched():  # (a batch has all its temp files in flight at once)
        assert len(temps) <= 1, f"more than one write in flight: {temps}"
    new = 0
    for rel, old in sc.original.items():
        assert rel in now, f"{rel} was lost"
        assert now[rel] in (old, sc.final[rel]), f"{rel} is torn ({len(now[rel])} bytes)"
        new += now[rel] != old
    for rel, data in now.items():
        if rel in sc.original or rel in temps:
            continue
        assert rel in sc.final, f"a stray file appeared: {rel}"
        assert data == sc.final[rel], f"author page {rel} is partial"
    check_history(root, state, sc, now)
    return new


def check_history(root: Path, state: Path, sc: Scenario, now: dict[str, bytes]) -> None:
    """Every copy the history holds is a page's whole old bytes; a rewritten page has one."""
    history = History(state / "history")
    for rel, old in sc.original.items():
        versions = history.versions(root / rel)
        assert len(versions) <= 1, f"{rel}: {len(versions)} versions"
        for v in versions:
            assert history.load(root / rel, v.number) == old
        if now[rel] != old:
            assert len(versions) == 1, f"{rel} was rewritten without a copy in the history"


def check_finished(root: Path, sc: Scenario) -> None:
    now = files(root)
    assert [rel for rel in now if is_temp_file(rel)] == [], "a temp file survived the restart"
    assert sorted(now) == sorted(sc.final)
    for rel, data in sc.final.items():
        assert now[rel] == data, f"{rel} differs from a run without a crash"


def crash_round(base: Path, sc: Scenario, rng: random.Random, how: str) -> dict[str, int]:
    """Copy the scenario's vault, run resync, kill it, check; restart, check. Counts for the doc."""
    root, state = base / "vault", base / "state"
    shutil.copytree(sc.template, root, symlinks=True)
    if how == "op":
        at = rng.randrange(sc.ops)
        code = _wait(_fork_resync(root, state, at))
        assert code == -KILL, f"the child was to kill itself at operation {at} of {sc.ops}"
        landed = True
    else:
        pid = _fork_resync(root, state)
        time.sleep(rng.uniform(0, sc.seconds))  # the moment of the kill, not a synchronisation
        landed = _kill(pid)
    point = where_it_died() if landed else None
    bare = point.split()[-1] if point is not None else None
    new = check_torn(root, state, sc)
    assert _wait(_fork_resync(root, state)) == 0  # the restart
    check_finished(root, sc)
    check_history(root, state, sc, files(root))
    shutil.rmtree(base)
    return {
        "kills": int(landed),
        "partial": int(landed and 0 < new < len(sc.original)),
        "inside": int(point is not None),  # inside write_atomic, remove_page or a batch
        "torn_write": int(bare == "write"),  # a page's temp file or history copy half written
        "at_rename": int(bare in ("replace", "rename", "link")),
        # a batch killed while writing its temp files, or while renaming them
        "batch_add": int(point is not None and point.startswith("batch-add")),
        "batch_commit": int(point is not None and point.startswith("batch-commit")),
    }


def run_rounds(
    tmp_path: Path,
    seed: int,
    rounds: int,
    apps: tuple[str, ...],
    until: dict[str, int] | None = None,
    max_rounds: int = 0,
) -> dict[str, int]:
    """`rounds` rounds, then more (up to `max_rounds` in all) until every count in `until`
    reaches its value: the kills land where the test needs them, however fast the machine."""
    rng = random.Random(seed)
    scenarios = [make_scenario(tmp_path / f"s{i}", rng, app) for i, app in enumerate(apps)]
    keys = ("rounds", "kills", "partial", "inside", "torn_write", "at_rename")
    totals = dict.fromkeys((*keys, "batch_add", "batch_commit"), 0)
    want = until or {}
    i = 0
    while i < rounds or (i < max_rounds and any(totals[k] < n for k, n in want.items())):
        sc = scenarios[i % len(scenarios)]
        counts = crash_round(tmp_path / f"r{i}", sc, rng, "op" if i % 2 == 0 else "timed")
        totals["rounds"] += 1
        for key, value in counts.items():
            totals[key] += value
        i += 1
    return totals


def test_resync_killed_a_handful_of_times(fast_dir: Path) -> None:
    want = {"inside": 3, "torn_write": 1, "at_rename": 1, "partial": 1}
    totals = run_rounds(fast_dir, 20250101, 6, ("logseq", "obsidian"), want, max_rounds=40)
    print(f"\nresync crash rounds: {totals}")
    assert totals["rounds"] >= 6
    assert totals["kills"] >= 3  # every "op" round is a kill
    for key, n in want.items():  # the kills landed inside the write protocol, at each step
        assert totals[key] >= n, totals


def test_resync_killed_a_handful_of_times_batched(fast_dir: Path) -> None:
    """The same kills, with every write of the pass in a batch: temp files written, one
    barrier, then the renames."""
    want = {"inside": 3, "torn_write": 1, "at_rename": 1, "partial": 1}
    want |= {"batch_add": 1, "batch_commit": 1}
    totals = run_rounds(fast_dir, 20250102, 6, ("logseq", "obsidian"), want, max_rounds=40)
    print(f"\nbatched resync crash rounds: {totals}")
    assert totals["rounds"] >= 6
    assert totals["kills"] >= 3
    for key, n in want.items():
        assert totals[key] >= n, totals


@pytest.mark.slow
def test_resync_killed_200_times_batched(fast_dir: Path) -> None:
    totals = run_rounds(fast_dir, 7002, 200, ("logseq", "obsidian") * 3)
    print(f"\nbatched resync crash rounds: {totals}")
    assert totals["kills"] >= 100
    assert totals["partial"] >= 50
    assert totals["inside"] >= 50
    assert totals["torn_write"] > 0 and totals["at_rename"] > 0
    assert totals["batch_add"] > 0 and totals["batch_commit"] > 0


@pytest.mark.slow
def test_resync_killed_200_times(fast_dir: Path) -> None:
    totals = run_rounds(fast_dir, 7001, 200, ("logseq", "obsidian") * 3)
    print(f"\nresync crash rounds: {totals}")
    assert totals["kills"] >= 100
    assert totals["partial"] >= 50  # most kills land with some pages done and some not
    assert totals["inside"] >= 50  # … and inside write_atomic, at every step of it
    assert totals["torn_write"] > 0 and totals["at_rename"] > 0


# ------------------------------------------------------------------------------ real processes


def _inodes(root: Path, rels: list[str]) -> dict[str, int]:
    return {rel: os.stat(root / rel).st_ino for rel in rels}


def _replaced(root: Path, inodes: dict[str, int]) -> int:
    """How many of the pages have been replaced (renamed over: a new inode) since `inodes`."""
    n = 0
    for rel, ino in inodes.items():
        try:
            n += os.stat(root / rel).st_ino != ino
        except FileNotFoundError:  # pragma: no cover - pages are replaced, never removed
            pass
    return n


def kill_midway(
    proc: subprocess.Popen[bytes], root: Path, inodes: dict[str, int], rng: random.Random
) -> None:
    """SIGKILL `proc` as soon as it has replaced a drawn number of the pages (at least one,
    fewer than all): a condition, polled, not a delay, so the kill comes mid-run on any machine
    (unless the process outruns one poll)."""
    target = rng.randrange(1, len(inodes)) if len(inodes) > 1 else 1
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT
    while _replaced(root, inodes) < target and proc.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.001)
    proc.kill()


def kill_at_temp(proc: subprocess.Popen[bytes], root: Path) -> None:
    """SIGKILL `proc` as soon as a temp file of its shows in the vault (a batch writing its
    temp files, before any rename): polled, not a delay."""
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        if any(is_temp_file(n) for _, _, names in os.walk(root) for n in names):
            break
        time.sleep(0.001)
    proc.kill()


def evidence(root: Path, sc: Scenario, rels: list[str], code: int) -> dict[str, int]:
    """What a kill of a real process left, as proof of where it landed: some of `rels` new and
    some old (mid-run), a temp file (between a temp file's creation and its rename)."""
    now = files(root)
    new = sum(now[rel] == sc.final[rel] for rel in rels)
    killed = code == -KILL
    return {
        "kills": int(killed),
        "partial": int(killed and 0 < new < len(rels)),
        "temp": int(killed and any(is_temp_file(rel) for rel in now)),
    }


def _changing(sc: Scenario) -> list[str]:
    return sorted(rel for rel, old in sc.original.items() if sc.final[rel] != old)


def _vaultsync(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "vaultsync", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _env(state: Path, config: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(VAULTSYNC_STATE_DIR=str(state), VAULTSYNC_CONFIG=str(config), CI="1")
    env.pop("VAULTSYNC_DEBUG", None)
    return env


def _finish(proc: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=SUBPROCESS_TIMEOUT)
    return proc.returncode, out.decode(), err.decode()


def real_resync_round(
    base: Path, sc: Scenario, rng: random.Random, at_temp: bool = False
) -> dict[str, int]:
    root, state = base / "vault", base / "state"
    shutil.copytree(sc.template, root, symlinks=True)
    env = _env(state, Path(os.devnull))  # no config
    changing = _changing(sc)
    inodes = _inodes(root, changing)
    proc = _vaultsync("resync", "--vault", str(root), "-q", env=env)
    if at_temp:
        kill_at_temp(proc, root)
    else:
        kill_midway(proc, root, inodes, rng)
    code, _out, err = _finish(proc)
    assert "Traceback" not in err
    check_torn(root, state, sc)
    counts = evidence(root, sc, changing, code)
    code2, out, err = _finish(_vaultsync("resync", "--vault", str(root), "-q", env=env))
    assert code2 == 0, err
    assert "Traceback" not in err
    assert "failed               0" in out
    check_finished(root, sc)
    shutil.rmtree(base)
    return counts


def run_real_rounds(
    tmp_path: Path,
    seed: int,
    rounds: int,
    want_partial: int,
    max_rounds: int,
    want: str = "partial",
) -> dict[str, int]:
    """`rounds` kills of the real `vaultsync resync`, more (up to `max_rounds`) until
    `want_partial` of them landed mid-run (`want` "temp": with temp files in flight; then
    every other round is killed as soon as one shows)."""
    rng = random.Random(seed)
    sc = make_scenario(tmp_path / "s", rng, rng.choice(("logseq", "obsidian")))
    totals = {"rounds": 0, "kills": 0, "partial": 0, "temp": 0}
    while totals["rounds"] < rounds or (
        totals[want] < want_partial and totals["rounds"] < max_rounds
    ):
        at_temp = want == "temp" and totals["rounds"] % 2 == 0
        counts = real_resync_round(tmp_path / f"r{totals['rounds']}", sc, rng, at_temp)
        totals["rounds"] += 1
        for key, value in counts.items():
            totals[key] += value
    return totals


def test_real_resync_process_killed(tmp_path: Path) -> None:
    totals = run_real_rounds(tmp_path, 424242, 1, want_partial=1, max_rounds=6)
    print(f"\nreal resync kills: {totals}")
    assert totals["partial"] >= 1, totals  # killed with some pages new and some old


def test_real_resync_process_killed_batched(tmp_path: Path) -> None:
    """A batch renames its pages in one quick loop, after its barrier: a kill lands while its
    temp files are being written far more often than between two renames."""
    totals = run_real_rounds(tmp_path, 424243, 2, want_partial=1, max_rounds=8, want="temp")
    print(f"\nbatched real resync kills: {totals}")
    assert totals["temp"] >= 1, totals


@pytest.mark.slow
def test_real_resync_process_killed_many_times(tmp_path: Path) -> None:
    totals = run_real_rounds(tmp_path, 515151, 20, want_partial=10, max_rounds=40)
    print(f"\nreal resync kills: {totals}")
    assert totals["partial"] >= 10, totals


# ------------------------------------------------------------------------------ the daemon


class Daemon:
    """A `vaultsync run` child on one vault, with its own config and state folder."""

    def __init__(self, base: Path, root: Path) -> None:
        self.config = base / "config.yaml"
        self.state = base / "state"
        self.config.write_text(
            f"vaults:\n  - path: {str(root)!r}\n"
            "daemon:\n  quiet_period: 0.05\n  max_delay: 0.5\n"
            f"state_dir: {str(self.state)!r}\n",
            encoding="utf-8",
        )
        self.env = _env(self.state, self.config)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = _vaultsync("run", "--config", str(self.config), env=self.env)

    def wait_ready(self) -> None:
        """Until the daemon's status file says it runs (after its start-up pass)."""
        assert self.proc is not None
        deadline = time.monotonic() + SUBPROCESS_TIMEOUT
        while True:
            assert self.proc.poll() is None, "the daemon stopped"
            try:
                status = json.loads((self.state / "status.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                status = {}
            if status.get("pid") == self.proc.pid:
                return
            if time.monotonic() > deadline:
                pytest.fail("the daemon never became ready")
            time.sleep(0.02)

    def kill(self) -> str:
        assert self.proc is not None
        self.proc.kill()
        _code, _out, err = _finish(self.proc)
        return err

    def stop(self) -> str:
        assert self.proc is not None
        self.wait_ready()  # a SIGTERM before the handlers are installed would just kill it
        self.proc.send_signal(signal.SIGTERM)
        code, _out, err = _finish(self.proc)
        assert code == 0, err
        return err


def wait_for(root: Path, want: dict[str, bytes], daemon: Daemon) -> float:
    """Poll until the vault holds exactly `want`; the seconds it took (generous timeout)."""
    start = time.monotonic()
    while files(root) != want:
        assert daemon.proc is not None and daemon.proc.poll() is None, "the daemon stopped"
        if time.monotonic() - start > SUBPROCESS_TIMEOUT:
            pytest.fail("the daemon never finished the job")
        time.sleep(0.02)
    return time.monotonic() - start


def daemon_round(base: Path, sc: Scenario, rng: random.Random) -> dict[str, int]:
    """Kill the daemon during its start-up pass, restart it; then revert pages (as a re-export
    would), kill it while it handles the events, restart it. Each kill comes once some of the
    pages it rewrites are done; the counts say how many kills landed mid-pass."""
    root = base / "vault"
    shutil.copytree(sc.template, root, symlinks=True)
    daemon = Daemon(base, root)
    changing = _changing(sc)
    totals = {"kills": 0, "partial": 0, "temp": 0}

    def kill(rels: list[str], inodes: dict[str, int]) -> None:
        assert daemon.proc is not None
        kill_midway(daemon.proc, root, inodes, rng)
        assert "Traceback" not in daemon.kill()
        for key, value in evidence(root, sc, rels, daemon.proc.returncode).items():
            totals[key] += value

    inodes = _inodes(root, changing)
    daemon.start()
    kill(changing, inodes)
    check_torn(root, daemon.state, sc)
    daemon.start()
    wait_for(root, sc.final, daemon)

    reverted = rng.sample(changing, k=max(2, len(changing) // 3))
    for rel in reverted:
        (root / rel).write_bytes(sc.original[rel])  # in place: the inode stays
    kill(reverted, _inodes(root, reverted))
    now = files(root)
    for rel in reverted:
        assert now[rel] in (sc.original[rel], sc.final[rel]), f"{rel} is torn"
    in_flight = [rel for rel in now if is_temp_file(rel)]
    # Page by page, one write is in flight at a time; a batch has all its temp files in flight.
    assert len(in_flight) <= (len(reverted) if batched() else 1), in_flight
    daemon.start()
    wait_for(root, sc.final, daemon)
    assert not [rel for rel in files(root) if is_temp_file(rel)]  # the restart cleared them
    assert "Traceback" not in daemon.stop()
    shutil.rmtree(base)
    return totals


def run_daemon_rounds(
    tmp_path: Path,
    seed: int,
    rounds: int,
    apps: tuple[str, ...],
    want_partial: int,
    max_rounds: int,
) -> dict[str, int]:
    """`rounds` rounds (two kills each), more (up to `max_rounds`) until `want_partial` kills
    landed mid-pass."""
    rng = random.Random(seed)
    scenarios = [make_scenario(tmp_path / f"s{app}", rng, app) for app in apps]
    totals = {"rounds": 0, "kills": 0, "partial": 0, "temp": 0}
    while totals["rounds"] < rounds or (
        totals["partial"] < want_partial and totals["rounds"] < max_rounds
    ):
        i = totals["rounds"]
        for key, value in daemon_round(
            tmp_path / f"r{i}", scenarios[i % len(scenarios)], rng
        ).items():
            totals[key] += value
        totals["rounds"] += 1
    return totals


def test_daemon_killed_and_restarted(tmp_path: Path) -> None:
    totals = run_daemon_rounds(tmp_path, 99, 1, ("obsidian",), want_partial=1, max_rounds=4)
    print(f"\ndaemon kills: {totals}")
    assert totals["partial"] >= 1, totals  # a kill landed with some pages new and some old


def test_daemon_killed_and_restarted_batched(tmp_path: Path) -> None:
    """The daemon's start-up pass and its updates (the reverted pages' events) write through a
    batch (VAULTSYNC_BATCH_MIN=0)."""
    totals = run_daemon_rounds(tmp_path, 98, 1, ("logseq",), want_partial=1, max_rounds=4)
    print(f"\nbatched daemon kills: {totals}")
    assert totals["partial"] >= 1, totals


@pytest.mark.slow
def test_daemon_killed_many_times(tmp_path: Path) -> None:
    totals = run_daemon_rounds(tmp_path, 1234, 10, ("logseq", "obsidian"), 10, max_rounds=20)
    print(f"\ndaemon kills: {totals}")
    assert totals["partial"] >= 10, totals


def test_kill_points_cover_the_whole_protocol(tmp_path: Path) -> None:
    """The operations counted include the history copy, the temp write, the rename and the
    author pages' creation: a run makes several per rewritten page."""
    sc = make_scenario(tmp_path / "s", random.Random(5), "logseq")
    rewritten = sum(sc.final[rel] != old for rel, old in sc.original.items())
    created = len(set(sc.final) - set(sc.original))
    assert sc.ops >= 3 * rewritten + 2 * created
