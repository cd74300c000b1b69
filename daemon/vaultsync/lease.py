"""One cleaner per vault, across machines: a lease file inside the vault.

A vault kept on several machines by a sync tool (Syncthing, Dropbox, iCloud…) must be rewritten
by one daemon only: a daemon rewriting its copy while another machine's Readwise plugin appends
to that machine's copy gives the sync tool two different changes of one file, a conflict copy.
So the daemon holding the lease cleans; the others watch and write nothing.

The lease is `.vaultsync/lease.json` in the vault, carried by the user's sync tool like any file
(our walker, watcher and state ignore hidden folders, so it never looks like a page):

    {"vaultsync_lease": 1, "machine": "<random id>", "host": "laptop", "pid": 4242,
     "heartbeat": "2026-12-06T08:00:00+00:00", "expires": "2026-12-06T08:15:00+00:00",
     "released": false}

Protocol, as each daemon sees it (VaultLease.poll):
- another machine's lease that has not expired (by this machine's clock) and is not released:
  stand by — watch, write nothing, read the file again every few seconds;
- no lease, an expired or released one, or our own that expired: claim it (write ours), then wait
  `settle` seconds before writing anything, so a claim another machine made at the same moment
  reaches us through the sync tool (which keeps one of two files written at once, the same on
  both sides); if the file still names us then, we hold it;
- our own live lease: we hold it; renew it every `heartbeat` seconds (each renewal is one small
  file for the sync tool to carry: that is all the lease costs a quiet vault);
- on a clean stop the holder writes its lease as released, so another machine takes over as soon
  as the sync tool delivers it, not when it expires.

Clocks: the expiry is a wall-clock time compared on another machine, so the machines' clocks must
agree to well within `ttl - heartbeat` (10 minutes by default; NTP keeps them within a second).

Timing comes from the environment (seconds): VAULTSYNC_LEASE_SECONDS (ttl, default 900; 0 turns
the lease off: every daemon cleans, as before), VAULTSYNC_LEASE_HEARTBEAT (default ttl / 3),
VAULTSYNC_LEASE_SETTLE (default 30).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vaultsync.errors import (
    BadSeconds,
    ChangedSinceRead,
    HeartbeatTooLong,
    MachineIdUnwritable,
    VaultsyncError,
)
from vaultsync.render import daemon_line
from vaultsync.writer import (
    VaultGuard,
    cleanup_temp_files,
    ensure_folder,
    make_private_dirs,
    read_page,
    remove_page,
    write_atomic,
    write_private_file,
)

log = logging.getLogger("vaultsync")

LEASE_DIR = ".vaultsync"
LEASE_FILE = "lease.json"
MACHINE_ID_FILE = "machine-id"
FORMAT = 1

TTL_ENV = "VAULTSYNC_LEASE_SECONDS"
HEARTBEAT_ENV = "VAULTSYNC_LEASE_HEARTBEAT"
SETTLE_ENV = "VAULTSYNC_LEASE_SETTLE"
DEFAULT_TTL = 900.0
DEFAULT_SETTLE = 30.0

HOLDING, CLAIMING, STANDBY, OFF, NOBODY = "holding", "claiming", "standby", "off", "nobody"
_WRITTEN, _RACED, _FAILED = "written", "raced", "failed"


def lease_path(root: Path) -> Path:
    return Path(root) / LEASE_DIR / LEASE_FILE


# What sync tools name the copy of `lease.json` they keep when two machines wrote it at once
# (exact names only, matched inside `.vaultsync/` alone; docs/reliability.md, "Conflict copies
# of the lease"). Obsidian Sync never carries a hidden folder, so it makes none.
CONFLICT_COPY = re.compile(
    r"\Alease(?:"
    r"\.sync-conflict-\d{8}-\d{6}-[A-Z0-9]{7}"  # Syncthing (date, time, the device's short id)
    r"| \((?:[^()/\\]* )?(?i:conflicted copy)(?: [^()/\\]*)?\)(?: \(\d+\))?"  # Dropbox, Nextcloud
    r"| (?:[2-9]|[1-9]\d+)"  # iCloud Drive: "lease 2.json"
    r"|_conflict-\d{8}-\d{6}"  # ownCloud's older clients
    r")\.json\Z"
)


def remove_stale_copies(root: Path, guard: VaultGuard, now: float, ttl: float) -> list[Path]:
    """Remove the conflict copies of the vault's lease file (CONFLICT_COPY) whose lease has
    ended by `now`: one that holds a lease once its expiry has passed, one that holds none (a
    half-synced file) once it is older than a whole lease (`ttl`). A copy is removed through
    the writer as read (one that changed meanwhile stays for the next time); links, folders and
    anything else are left alone. Returns the paths removed."""
    folder = lease_path(root).parent
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    removed = []
    for name in names:
        if CONFLICT_COPY.match(name) is None:
            continue
        path = folder / name
        try:
            snap = read_page(path, max_bytes=64 * 1024, guard=guard)  # (never through a link)
            copy = parse_lease(snap.data)
            ended = copy.expires if copy is not None else snap.mtime_ns / 1e9 + ttl
            if now < ended:
                continue  # (a live rival claim: it tells a story until its lease ends)
            remove_page(guard, snap)
        except VaultsyncError as err:
            log.debug("conflict copy %s left: %s", path, err)
            continue
        removed.append(path)
    return removed


@dataclass(frozen=True)
class Timing:
    """ttl: how long a lease lasts unrenewed; heartbeat: how often the holder renews it;
    settle: how long a claim waits for a rival claim to arrive. ttl 0: no lease at all."""

    ttl: float = DEFAULT_TTL
    heartbeat: float = DEFAULT_TTL / 3
    settle: float = DEFAULT_SETTLE

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Timing:
        env = dict(os.environ if env is None else env)
        ttl = _seconds(env, TTL_ENV, DEFAULT_TTL)
        heartbeat = _seconds(env, HEARTBEAT_ENV, ttl / 3)
        settle = _seconds(env, SETTLE_ENV, DEFAULT_SETTLE)
        if ttl > 0 and not 0 < heartbeat < ttl:
            raise HeartbeatTooLong(HEARTBEAT_ENV, heartbeat, TTL_ENV, ttl)
        return cls(ttl, heartbeat, settle)


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise BadSeconds(name, raw)
    return value


@dataclass(frozen=True)
class Lease:
    """A lease as read from a vault."""

    machine: str
    host: str
    heartbeat: float  # POSIX seconds
    expires: float
    released: bool = False
    machines: tuple[str, ...] = ()  # every machine that has held this vault's lease

    def live(self, now: float) -> bool:
        return not self.released and now < self.expires

    def to_bytes(self) -> bytes:
        data = {
            "vaultsync_lease": FORMAT,
            "machine": self.machine,
            "host": self.host,
            "pid": os.getpid(),
            "heartbeat": _iso(self.heartbeat),
            "expires": _iso(self.expires),
            "released": self.released,
            "machines": list(self.machines),
        }
        return (json.dumps(data, indent=2) + "\n").encode()


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def parse_lease(data: bytes) -> Lease | None:
    """The lease in `data`, or None for anything else (a half-synced or hand-edited file counts
    as no lease: it is claimed, which rewrites it)."""
    try:
        raw = json.loads(data)
        if not isinstance(raw, dict) or raw.get("vaultsync_lease") != FORMAT:
            return None
        return Lease(
            machine=str(raw["machine"]),
            host=str(raw.get("host", "?")),
            heartbeat=datetime.fromisoformat(raw["heartbeat"]).timestamp(),
            expires=datetime.fromisoformat(raw["expires"]).timestamp(),
            released=bool(raw.get("released", False)),
            machines=tuple(str(m) for m in raw.get("machines", ()) if isinstance(m, str)),
        )
    except (ValueError, KeyError, TypeError):
        return None


def read_lease(root: Path) -> Lease | None:
    """The vault's lease, or None when there is none (or it cannot be read)."""
    try:
        return parse_lease(read_page(lease_path(root), max_bytes=64 * 1024).data)
    except VaultsyncError:
        return None


def machine_id(state_dir: Path, *, create: bool = True) -> str | None:
    """This machine's random id, kept in the state folder (made on first use; None when there
    is none yet and `create` is false)."""
    path = Path(state_dir) / MACHINE_ID_FILE
    try:
        value = path.read_text(encoding="ascii").strip()
        if value:
            return value
    except (OSError, ValueError):
        pass
    if not create:
        return None
    value = secrets.token_hex(16)
    try:
        make_private_dirs(path.parent)
        write_private_file(path, f"{value}\n".encode())
    except OSError as err:
        raise MachineIdUnwritable(path, err) from None
    return value


def other_holder(root: Path, me: str | None, now: float | None = None) -> Lease | None:
    """Another machine's live lease on the vault, or None (a one-off `resync` asks this)."""
    lease = read_lease(root)
    now = time.time() if now is None else now
    if lease is None or lease.machine == me or not lease.live(now):
        return None
    return lease


@dataclass(frozen=True)
class Refusal:
    """Why `resync` leaves a vault alone (render.refused_here words it): another machine's live
    lease, and whether that machine's host name is this computer's."""

    holder: Lease
    same_host: bool


def resync_refusal(root: Path, state_dir: Path) -> Refusal | None:
    """Why a one-off writing pass (`resync`) must leave this vault alone, or None.

    While another machine's daemon holds the lease, this machine's copy is being cleaned there:
    rewriting it here is the very conflict the lease prevents. A `resync` does not take the lease
    (it is over in seconds; a daemon that starts meanwhile waits for the vault lock here, and
    another machine's sees no lease and claims it, with its settle)."""
    if not Timing.from_env().enabled or read_lease(root) is None:
        return None  # (no machine id made, nor state folder, just to ask)
    lease = other_holder(root, machine_id(state_dir, create=False))
    return None if lease is None else Refusal(lease, lease.host == socket.gethostname())


@dataclass(frozen=True)
class Cleaner:
    """Who cleans a vault, for `status` (render.who_cleans words it): this machine (`state`
    HOLDING, CLAIMING, OFF), another (STANDBY) or NOBODY yet; `host` this machine's name and
    `lease` the one held (HOLDING: ours, STANDBY: the other machine's)."""

    state: str
    host: str
    lease: Lease | None = None


class VaultLease:
    """One daemon's side of one vault's lease. `poll()` says whether it may write now."""

    def __init__(
        self,
        name: str,
        root: Path,
        guard: VaultGuard,
        me: str,
        timing: Timing,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name, self.root, self.guard, self.me = name, Path(root), guard, me
        self.timing = timing
        self.clock = clock
        self.host = socket.gethostname()
        self.state = OFF if not timing.enabled else STANDBY
        self.holder: Lease | None = None  # the lease as last read or written
        self.claimed_at = 0.0
        self.renewed_at = 0.0
        self.writes = 0  # lease files written (each one is a change the sync tool carries)
        self._warned = False

    def may_write(self) -> bool:
        return self.state in (HOLDING, OFF)

    def poll(self) -> bool:
        """Read the lease, claim, renew or stand by as the protocol says; True when this daemon
        may write to the vault now."""
        if self.state == OFF:
            return True
        now = self.clock()
        current = read_lease(self.root)
        if current is not None and current.machine != self.me and current.live(now):
            known = self.holder is not None and self.holder.machine == current.machine
            if self.state != STANDBY or not known:
                line = daemon_line(
                    "lease elsewhere",
                    vault=self.name,
                    holder=current,
                    until=_iso(current.expires),
                )
                log.info("%s", line)
            self.state, self.holder = STANDBY, current
            return False
        ours = current is not None and current.machine == self.me and current.live(now)
        if ours and self.state == CLAIMING:
            if now - self.claimed_at < self.timing.settle:
                return False
            self.state = HOLDING
            log.info("%s", daemon_line("lease taken", vault=self.name))
        elif ours and self.state != HOLDING:
            self.state = HOLDING  # our own live lease from before a restart
            log.info("%s", daemon_line("lease kept", vault=self.name))
        if ours:
            if now - self.renewed_at >= self.timing.heartbeat:
                self._write(now, seen=current)
            return self.state == HOLDING
        # No lease, an expired or released one, or ours expired (this machine slept): claim.
        if self.state == HOLDING:
            log.info("%s", daemon_line("lease lapsed", vault=self.name))
        written = self._write(now, seen=current)
        if written == _FAILED:
            return True  # no lease can be kept here: clean as without one (pages say why)
        if written == _RACED:
            return False  # the sync tool just delivered a lease: read it at the next poll
        self.state, self.claimed_at = CLAIMING, now
        basis = current or self.holder  # the file may be gone while we knew another holder
        others = set(basis.machines if basis else ()) - {self.me}
        if self.timing.settle <= 0 or not others:
            # No other machine ever held this vault's lease: no rival claim to wait for.
            self.claimed_at -= self.timing.settle
            return self.poll()
        log.info("%s", daemon_line("lease claimed", vault=self.name, settle=self.timing.settle))
        return False

    def release(self) -> None:
        """On a clean stop: mark our lease released, so another machine may take over now."""
        if self.state not in (HOLDING, CLAIMING):
            return
        current = read_lease(self.root)
        if current is not None and current.machine == self.me:
            self._write(self.clock(), released=True, seen=current)
        self.state = STANDBY

    def cleaner(self) -> Cleaner:
        """Who cleans, for `vaultsync status` (another machine: only while its lease is live)."""
        held = self.holder if self.state in (HOLDING, STANDBY) else None
        if self.state == STANDBY and held is not None and not held.live(self.clock()):
            held = None
        state = NOBODY if self.state in (HOLDING, STANDBY) and held is None else self.state
        return Cleaner(state, self.host, held)

    def _write(self, now: float, released: bool = False, seen: Lease | None = None) -> str:
        seen = seen or self.holder
        machines = tuple(dict.fromkeys([*(seen.machines if seen else ()), self.me]))[-16:]
        lease = Lease(
            machine=self.me,
            host=self.host,
            heartbeat=now,
            expires=now if released else now + self.timing.ttl,
            released=released,
            machines=machines,
        )
        path = lease_path(self.root)
        try:
            ensure_folder(self.guard, path.parent)
            if not self.writes:  # a temp file a killed daemon left (our walks skip this folder)
                cleanup_temp_files(path.parent)
            # Conflict copies the sync tool made of the lease: a claim, a renewal or a release
            # clears those that ended (left alone, they pile up at every rival claim).
            remove_stale_copies(self.root, self.guard, now, self.timing.ttl)
            try:
                snapshot = read_page(path, max_bytes=64 * 1024)
            except VaultsyncError:
                snapshot = None  # none yet (or unreadable: creating it then fails, said below)
            write_atomic(self.guard, snapshot, path, lease.to_bytes())
        except ChangedSinceRead:
            return _RACED
        except VaultsyncError as err:
            if not self._warned:
                line = daemon_line("lease unusable", vault=self.name, path=path, error=err)
                log.warning("%s", line)
                self._warned = True
            return _FAILED
        self._warned = False
        self.holder, self.renewed_at = lease, now
        self.writes += 1
        return _WRITTEN
