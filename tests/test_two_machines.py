"""Two machines, one vault: two real daemons (`python -m vaultsync run`) on two copies of one
vault joined by a simulated sync tool, with the Readwise plugin appending.

The sync tool behaves as Syncthing does: a file changed on one side since the last agreement is
copied to the other (through a temp file and a rename, after checking the destination did not
change meanwhile); a file changed on both sides to different bytes becomes a conflict: the newer
wins on both sides and the other is kept beside it as `name.sync-conflict-<date>-<id>.md`.

With the lease (lease.py) only one daemon cleans, so the copies converge to the same clean bytes
with no conflict copy and a bounded number of copies. The control run, with the lease off, shows
the fault the lease prevents: the second daemon rewrites pages the first machine's plugin is
appending to, and conflicts appear.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from vaultsync.pipeline.passes import run_pass
from vaultsync.pipeline.report import PassOptions
from vaultsync.vault import make_vault

try:
    from genvault import GeneratedVault, build_vault, files
    from test_concurrent_writers import Plugin, check_nothing_lost
except ModuleNotFoundError:  # pragma: no cover
    from tests.genvault import GeneratedVault, build_vault, files
    from tests.test_concurrent_writers import Plugin, check_nothing_lost

QUIET = 0.5  # the daemons' quiet period (s)
SCAN = 0.2  # how often the sync tool compares the two sides (s)
LEASE = {"VAULTSYNC_LEASE_SECONDS": "6", "VAULTSYNC_LEASE_HEARTBEAT": "2"}
LEASE_SETTLE = {"VAULTSYNC_LEASE_SETTLE": "1"}
WAIT = 120.0  # generous: reached only when something is wrong
SKIPPED = re.compile(r"(^|/)(\.syncthing\..*\.tmp|\..*\.vaultsync-.*\.tmp)$")

pytestmark = pytest.mark.slow


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError):
        return None


def _tree(root: Path) -> dict[str, Path]:
    out = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if not SKIPPED.search(rel) and path.is_file():
                out[rel] = path
    return out


@dataclass
class SyncTool:
    """Keeps two folders equal, as a file-sync tool does (see the module docstring)."""

    sides: tuple[Path, Path]
    locks: tuple[threading.Lock, threading.Lock] = field(
        default_factory=lambda: (threading.Lock(), threading.Lock())
    )  # held by the sync tool while it writes a side, and by that side's plugin
    base: dict[str, str | None] = field(default_factory=dict)  # last agreed digest per file
    copies: Counter[str] = field(default_factory=Counter)  # file -> times copied either way
    conflicts: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> SyncTool:
        for rel in _tree(self.sides[0]):
            self.base[rel] = _digest(self.sides[0] / rel)
        self._thread = threading.Thread(target=self._run, name="sync-tool", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        try:
            while not self._stop.wait(SCAN):
                self.scan()
        except BaseException as err:  # surfaced by the test
            self.errors.append(err)

    def scan(self) -> None:
        a, b = self.sides
        for rel in sorted(set(_tree(a)) | set(_tree(b))):
            da, db = _digest(a / rel), _digest(b / rel)
            if da == db:
                self.base[rel] = da
                continue
            agreed = self.base.get(rel)
            if db == agreed:
                self._copy(rel, 0, da)
            elif da == agreed:
                self._copy(rel, 1, db)
            else:
                self._conflict(rel, da, db)

    def _copy(self, rel: str, source: int, seen: str | None) -> None:
        """Copy side `source`'s `rel` (its digest `seen`) over the other side's, unless either
        changed since the scan (the next scan sees it)."""
        src, dst = self.sides[source] / rel, self.sides[1 - source] / rel
        with self.locks[1 - source]:
            expected = self.base.get(rel)
            if _digest(dst) != expected:
                return
            if seen is None:  # deleted on the source side
                dst.unlink(missing_ok=True)
            else:
                try:
                    data = src.read_bytes()
                except FileNotFoundError:
                    return
                if hashlib.sha256(data).hexdigest() != seen:
                    return
                dst.parent.mkdir(parents=True, exist_ok=True)
                temp = dst.with_name(f".syncthing.{dst.name}.tmp")
                temp.write_bytes(data)
                os.replace(temp, dst)
            self.base[rel] = seen
            self.copies[rel] += 1

    def _conflict(self, rel: str, da: str | None, db: str | None) -> None:
        a, b = self.sides
        with self.locks[0], self.locks[1]:
            if (_digest(a / rel), _digest(b / rel)) != (da, db):
                return  # changed meanwhile: look again at the next scan
            mtimes = [p.stat().st_mtime_ns if p.exists() else -1 for p in (a / rel, b / rel)]
            winner = 0 if mtimes[0] >= mtimes[1] else 1
            loser_path = self.sides[1 - winner] / rel
            if loser_path.exists():
                stem, dot, ext = rel.rpartition(".")
                stamp = time.strftime("%Y%m%d-%H%M%S")
                name = f"{stem}.sync-conflict-{stamp}-SIMULAT.{ext}" if dot else f"{rel}.sc"
                data = loser_path.read_bytes()
                for side in self.sides:
                    (side / name).write_bytes(data)
                    self.base[name] = hashlib.sha256(data).hexdigest()
            self.conflicts.append(rel)
            win_path = self.sides[winner] / rel
            if win_path.exists():
                shutil.copyfile(win_path, loser_path)
            else:
                loser_path.unlink()
            self.base[rel] = _digest(win_path)
            self.copies[rel] += 1

    def converged(self) -> bool:
        a, b = self.sides
        return files(a) == files(b)


class Machine:
    """One machine: its copy of the vault, its daemon (own config and state folder, so its own
    machine id), its plugin."""

    def __init__(self, base: Path, name: str, root: Path, env: dict[str, str]) -> None:
        self.name, self.root = name, root
        self.state = base / f"state-{name}"
        self.config = base / f"config-{name}.yaml"
        self.config.write_text(
            f"vaults:\n  - name: v\n    path: {str(root)!r}\n"
            f"daemon:\n  quiet_period: {QUIET}\n  max_delay: 5\n",
            encoding="utf-8",
        )
        self.log_path = base / f"daemon-{name}.log"
        self.env = {**os.environ, **env, "VAULTSYNC_STATE_DIR": str(self.state)}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "vaultsync", "run", "--config", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=self.env,
            )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def cleaned(self) -> int:
        return len(re.findall(r" v: cleaned ", self.log()))

    def status(self) -> str:
        return subprocess.run(
            [sys.executable, "-m", "vaultsync", "status", "--config", str(self.config)],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
        ).stdout


def clean(root: Path) -> bool:
    report = run_pass(make_vault(root), PassOptions(mode="check", author_pages=False))
    return not report.changed and not report.failed


def no_conflict_copies(root: Path) -> list[str]:
    return [rel for rel in files(root) if ".sync-conflict-" in rel]


@dataclass
class Run:
    vault: GeneratedVault
    machines: tuple[Machine, Machine]
    sync: SyncTool
    rng: random.Random
    plugins: tuple[Plugin, Plugin]
    appends: Counter[str] = field(default_factory=Counter)  # "A", "B", "both"

    def wait(self, predicate: Callable[[], object], what: str) -> float:
        start = time.monotonic()
        while not predicate():
            for m in self.machines:
                if m.proc is not None and m.proc.poll() is not None and m.proc.returncode:
                    raise AssertionError(f"daemon {m.name} exited:\n{m.log()}")
            assert not self.sync.errors, self.sync.errors
            if time.monotonic() - start > WAIT:
                logs = "\n".join(f"--- {m.name}\n{m.log()}" for m in self.machines)
                raise AssertionError(f"timed out waiting for {what}\n{logs}")
            time.sleep(0.05)
        return time.monotonic() - start

    def settled(self) -> bool:
        a, b = self.machines
        return self.sync.converged() and clean(a.root) and clean(b.root)

    def append(self, side: int, rel: str) -> None:
        """The plugin on machine `side` appends a section (atomically for the sync tool)."""
        with self.sync.locks[side]:
            self.plugins[side].append(rel)
        self.appends["AB"[side]] += 1

    def append_on_both(self, rel: str) -> None:
        """Both machines' plugins append the same new highlights, as two Readwise plugins
        fetching the same sync do: the same bytes on both sides, so no conflict of their own."""
        self.appends["both"] += 1
        with self.sync.locks[0], self.sync.locks[1]:
            self.plugins[0].append(rel)
            data = (self.machines[0].root / rel).read_bytes()
            (self.machines[1].root / rel).write_bytes(data)
            self.plugins[1].appended.setdefault(rel, []).extend(
                m
                for m in self.plugins[0].appended[rel]
                if m not in self.plugins[1].appended.get(rel, [])
            )


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[Callable[[dict[str, str], int], Run]]:
    made: list[Run] = []

    def make(env: dict[str, str], seed: int) -> Run:
        rng = random.Random(seed)
        gv = build_vault(tmp_path / "A", rng, "logseq", pages=4, ordinary=1)
        shutil.copytree(gv.root, tmp_path / "B")
        gv_b = GeneratedVault(gv.app, tmp_path / "B")
        machines = (Machine(tmp_path, "A", gv.root, env), Machine(tmp_path, "B", gv_b.root, env))
        sync = SyncTool((gv.root, gv_b.root)).start()
        plugins = (Plugin(gv, random.Random(seed + 1)), Plugin(gv_b, random.Random(seed + 2)))
        plugins[1].count = 10_000  # B's highlights are marked apart from A's
        run = Run(gv, machines, sync, rng, plugins)
        made.append(run)
        return run

    yield make
    for run in made:
        for m in run.machines:
            m.stop()
        run.sync.stop()


def phase_one_machine(run: Run, appends: int) -> None:
    """The plugin on A appends near the daemons' quiet period (the timing that made conflicts)."""
    pages = sorted(run.vault.truths)
    for _ in range(appends):
        run.append(0, run.rng.choice(pages))
        time.sleep(run.rng.uniform(0.5 * QUIET, 1.5 * QUIET))  # pacing only


def test_two_daemons_one_lease_no_conflict(make_run: Callable[..., Run]) -> None:
    run = make_run({**LEASE, **LEASE_SETTLE}, 2026)
    a, b = run.machines
    before = files(a.root)
    started = time.monotonic()
    a.start()
    run.wait(lambda: (b.root / ".vaultsync" / "lease.json").exists(), "A's lease on B's side")
    b.start()
    run.wait(lambda: "standing by" in b.status(), "B standing by")
    run.wait(run.settled, "both copies clean and equal")
    assert "this machine" in a.status()

    # Appends on one machine, near the quiet period.
    phase_one_machine(run, 30)
    run.wait(run.settled, "convergence after the appends on A")

    # Appends on both machines: the same highlights on both sides, and B's own.
    pages = sorted(run.vault.truths)
    for i in range(10):
        rel = run.rng.choice(pages)
        if i % 2:
            run.append_on_both(rel)
        else:
            run.append(1, rel)  # B's plugin alone: A cleans it, the sync tool brings it back
        run.wait(run.settled, f"convergence after round {i} on both machines")
    page_copies = sum(n for rel, n in run.sync.copies.items() if not rel.startswith(".vaultsync"))

    # Idle: nothing but the lease's heartbeat may travel (no ping-pong).
    idle_from = Counter(run.sync.copies)
    deadline = time.monotonic() + 3 * float(LEASE["VAULTSYNC_LEASE_HEARTBEAT"])
    run.wait(lambda: time.monotonic() > deadline, "an idle spell")
    idle = Counter(run.sync.copies) - idle_from
    assert set(idle) <= {".vaultsync/lease.json"}, idle

    # A stops cleanly: B takes over and cleans what its own plugin appends.
    a.stop()
    run.wait(lambda: "this machine" in b.status(), "B taking over")
    run.append(1, pages[0])
    run.wait(lambda: clean(b.root) and run.sync.converged(), "B cleaning after the takeover")
    took_over = b.cleaned()

    seconds = time.monotonic() - started
    appends = sum(run.appends.values())
    lease_copies = run.sync.copies[".vaultsync/lease.json"]
    print(
        f"\ntwo machines, lease on: {appends} plugin appends ({run.appends['A']} on A, "
        f"{run.appends['B']} on B, {run.appends['both']} on both), "
        f"{len(run.sync.conflicts)} conflicts, "
        f"{page_copies} page copies before the takeover, {lease_copies} lease copies, "
        f"B cleaned {took_over} pages after taking over, {seconds:.0f} s"
    )
    assert run.sync.conflicts == []
    assert no_conflict_copies(a.root) == [] and no_conflict_copies(b.root) == []
    assert files(a.root) == files(b.root)
    assert clean(a.root)
    # Bounded: an append travels as itself, as its cleaned page and as its author page's
    # update (a page cleaned while the plugin writes can take one more), plus the first clean-up
    # and the author pages it makes; heartbeats at most one per heartbeat interval.
    assert page_copies <= 3 * appends + 2 * len(files(a.root)), run.sync.copies
    assert lease_copies <= seconds / float(LEASE["VAULTSYNC_LEASE_HEARTBEAT"]) + 10
    assert took_over >= 1
    merged = Plugin(run.vault, random.Random(0))
    for plugin in run.plugins:
        for rel, markers in plugin.appended.items():
            merged.appended.setdefault(rel, [])
            merged.appended[rel] += [m for m in markers if m not in merged.appended[rel]]
    check_nothing_lost(run.vault, merged, before)
    for m in run.machines:
        assert "Traceback" not in m.log()


def test_control_without_the_lease_the_second_daemon_conflicts(
    make_run: Callable[..., Run],
) -> None:
    """The fault the lease prevents, shown: both daemons clean, and the plugin's appends on A
    meet B's rewrites of the same page in the sync tool."""
    run = make_run({"VAULTSYNC_LEASE_SECONDS": "0"}, 2027)
    a, b = run.machines
    a.start()
    b.start()
    run.wait(run.settled, "both copies clean and equal")
    phase_one_machine(run, 40)
    run.wait(run.settled, "convergence after the appends on A")
    print(f"\ntwo machines, lease off: 40 appends on A, {len(run.sync.conflicts)} conflicts")
    assert run.sync.conflicts, "no conflict without the lease: the test no longer shows the fault"
    assert b.cleaned() > 0
