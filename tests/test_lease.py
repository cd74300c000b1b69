"""The vault lease (lease.py): one cleaner per vault across machines, decided by a file the
user's sync tool carries. Two VaultLease objects on one folder act as two machines joined by an
instant sync tool; a fake clock stands in for time."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from vaultsync.errors import VaultsyncError
from vaultsync.ignore import PathFilter, walk_vault
from vaultsync.lease import (
    CLAIMING,
    HOLDING,
    STANDBY,
    Timing,
    VaultLease,
    lease_path,
    machine_id,
    other_holder,
    read_lease,
    resync_refusal,
)
from vaultsync.render import refused_here, who_cleans
from vaultsync.writer import VaultGuard

TIMING = Timing(ttl=90.0, heartbeat=30.0, settle=10.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def machine(root: Path, me: str, clock: Clock, timing: Timing = TIMING) -> VaultLease:
    return VaultLease("v", root, VaultGuard([root]), me, timing, clock=clock)


def test_a_lone_daemon_cleans_at_once_and_renews_only_on_heartbeats(
    tmp_path: Path, clock: Clock
) -> None:
    a = machine(tmp_path, "A", clock)
    assert a.poll() and a.state == HOLDING  # no other machine ever held it: no settle
    assert a.writes == 1
    first = lease_path(tmp_path).read_bytes()
    for _ in range(29):
        clock.now += 1
        assert a.poll()
    assert a.writes == 1 and lease_path(tmp_path).read_bytes() == first  # no write per poll
    clock.now += 1
    assert a.poll() and a.writes == 2  # the heartbeat
    lease = read_lease(tmp_path)
    assert lease is not None and lease.machine == "A" and lease.expires == clock.now + 90


def test_a_second_machine_stands_by_and_takes_over_when_the_lease_expires(
    tmp_path: Path, clock: Clock
) -> None:
    a, b = machine(tmp_path, "A", clock), machine(tmp_path, "B", clock)
    assert a.poll()
    assert not b.poll() and b.state == STANDBY
    assert "standing by" in who_cleans(b.cleaner())
    clock.now += 89
    assert not b.poll()  # A's lease (not renewed: A stopped polling, say its laptop slept)
    clock.now += 1
    assert not b.poll() and b.state == CLAIMING  # A has held it: wait for a rival claim
    clock.now += TIMING.settle
    assert b.poll() and b.state == HOLDING
    # A wakes up: B's lease is live, so A stands by instead of writing.
    assert not a.poll() and a.state == STANDBY


def test_a_clean_stop_hands_over_at_once(tmp_path: Path, clock: Clock) -> None:
    a, b = machine(tmp_path, "A", clock), machine(tmp_path, "B", clock)
    assert a.poll()
    assert not b.poll()
    a.release()
    lease = read_lease(tmp_path)
    assert lease is not None and lease.released
    assert not b.poll() and b.state == CLAIMING
    clock.now += TIMING.settle
    assert b.poll()


def test_a_rival_claim_delivered_during_the_settle_wins(tmp_path: Path, clock: Clock) -> None:
    """Both claim at once; the sync tool keeps one file on both sides: its writer cleans."""
    a, b = machine(tmp_path, "A", clock), machine(tmp_path, "B", clock)
    assert a.poll()
    a.release()
    other = tmp_path.parent / "other-copy"
    other.mkdir()
    c = machine(other, "C", clock)
    c.holder = read_lease(tmp_path)  # C knew A's lease too
    assert not b.poll() and b.state == CLAIMING
    assert not c.poll() and c.state == CLAIMING
    # The sync tool resolves the two claims in C's favour and delivers it to B's side.
    lease_path(tmp_path).write_bytes(lease_path(other).read_bytes())
    clock.now += TIMING.settle
    assert not b.poll() and b.state == STANDBY
    assert c.poll() and c.state == HOLDING


def test_a_restart_within_the_lease_keeps_it(tmp_path: Path, clock: Clock) -> None:
    assert machine(tmp_path, "A", clock).poll()  # then killed: no release
    clock.now += 5
    again = machine(tmp_path, "A", clock)
    assert again.poll() and again.state == HOLDING


def test_a_garbled_lease_is_claimed_over(tmp_path: Path, clock: Clock) -> None:
    lease_path(tmp_path).parent.mkdir()
    lease_path(tmp_path).write_text('{"half a file', encoding="utf-8")
    a = machine(tmp_path, "A", clock)
    assert a.poll()
    assert json.loads(lease_path(tmp_path).read_text())["machine"] == "A"


def test_an_unwritable_vault_cleans_as_without_a_lease(
    tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / ".vaultsync").write_text("a file where the folder goes", encoding="utf-8")
    a = machine(tmp_path, "A", clock)
    with caplog.at_level(logging.WARNING):
        assert a.poll() and a.poll()
    assert caplog.text.count("cannot keep the lease file") == 1


def test_the_lease_is_never_a_page(tmp_path: Path, clock: Clock) -> None:
    assert machine(tmp_path, "A", clock).poll()
    (tmp_path / "page.md").write_text("- a\n", encoding="utf-8")
    assert list(walk_vault(tmp_path, PathFilter())) == [tmp_path / "page.md"]
    assert not PathFilter().matches(".vaultsync/lease.json")
    assert PathFilter().dir_excluded(".vaultsync")


def test_other_holder_is_for_resync(tmp_path: Path) -> None:
    assert other_holder(tmp_path, "B") is None
    a = VaultLease("v", tmp_path, VaultGuard([tmp_path]), "A", TIMING)  # the real clock
    assert a.poll()
    held = other_holder(tmp_path, "B")
    assert held is not None and held.machine == "A"
    assert other_holder(tmp_path, "A") is None


def test_machine_id_is_made_once_and_kept(tmp_path: Path) -> None:
    first = machine_id(tmp_path / "state")
    assert len(first) == 32 and machine_id(tmp_path / "state") == first
    assert machine_id(tmp_path / "other") != first


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"VAULTSYNC_LEASE_SECONDS": "ten"}, "give a number of seconds"),
        ({"VAULTSYNC_LEASE_SECONDS": "-1"}, "give a number of seconds"),
        ({"VAULTSYNC_LEASE_SECONDS": "60", "VAULTSYNC_LEASE_HEARTBEAT": "60"}, "less than"),
    ],
)
def test_bad_timing_is_a_clear_error(env: dict[str, str], problem: str) -> None:
    with pytest.raises(VaultsyncError, match=problem):
        Timing.from_env(env)


def test_timing_defaults_and_off() -> None:
    assert Timing.from_env({}) == Timing(900.0, 300.0, 30.0)
    assert not Timing.from_env({"VAULTSYNC_LEASE_SECONDS": "0"}).enabled
    off = VaultLease("v", Path("/nonexistent"), VaultGuard([]), "A", Timing(0, 0, 0))
    assert off.poll() and who_cleans(off.cleaner()) == "this machine (lease off)"


# --------------------------------------------------------------------------- in words

UNTIL = "2027-01-15T08:01:30+00:00"  # the fake clock's start, plus TIMING's 90 s


def test_who_cleans_and_why_resync_stays_out_read_as_before(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """lease.py hands up typed values (Cleaner, Refusal, the holder's Lease); render/lease.py
    words them as lease.py did, byte for byte."""
    monkeypatch.delenv("VAULTSYNC_LEASE_SECONDS", raising=False)
    a = machine(tmp_path, "a1b2c3d4e5f6", clock)
    b = machine(tmp_path, "f6e5d4c3b2a1", clock)
    a.host, b.host = "laptop", "desk"
    assert who_cleans(a.cleaner()) == "nobody yet"  # (nothing read yet)
    assert who_cleans(None) == "this machine"  # (no lease kept on this vault)
    assert a.poll() and who_cleans(a.cleaner()) == f"this machine (laptop; lease until {UNTIL})"
    with caplog.at_level(logging.INFO, logger="vaultsync"):
        assert not b.poll()
    assert (
        f"v: laptop (machine a1b2c3d4) cleans this vault (its lease runs until {UNTIL}); "
        "standing by"
    ) in caplog.messages
    assert who_cleans(b.cleaner()) == (
        f"laptop (machine a1b2c3d4); standing by until its lease ends ({UNTIL})"
    )
    refusal = resync_refusal(tmp_path, tmp_path / "state")
    assert refusal is not None and refused_here("g", refusal) == (
        "vaultsync: g: not cleaned here: laptop (machine a1b2c3d4) cleans this vault: its daemon "
        f"holds the lease until {UNTIL}. Run the resync there, or stop that daemon and run it "
        "here once your sync tool has carried its release (or the lease has ended)"
    )
    clock.now += 90
    assert not b.poll() and who_cleans(b.cleaner()) == "this machine, once its claim settles (desk)"
    assert who_cleans(a.cleaner()) == "this machine (laptop; lease until " + UNTIL + ")"
    monkeypatch.setattr("socket.gethostname", lambda: "desk")
    refusal = resync_refusal(tmp_path, tmp_path / "elsewhere")  # (desk's lease, desk's name)
    assert refusal is not None and refused_here("g", refusal).endswith(
        "(or the lease has ended); that host name is this computer's: is a daemon running with "
        "another state folder?"
    )


# ------------------------------------------------------------ conflict copies of the lease

COPIES = {
    # name → (machine, seconds until its lease ends; None: not a lease at all)
    "lease.sync-conflict-20261206-081500-ABCDEFG.json": ("B", -1),  # Syncthing
    "lease (conflicted copy 2026-12-06).json": ("B", -300),  # Dropbox
    "lease (desk's conflicted copy 2026-12-06) (1).json": ("C", -5),  # Dropbox, the second
    "lease (conflicted copy 2026-12-06 081500).json": ("B", -60),  # Nextcloud
    "lease 2.json": ("C", -1),  # iCloud Drive
    "lease_conflict-20261206-081500.json": ("B", -1),  # ownCloud
}


def lease_bytes(machine: str, expires: float) -> bytes:
    from vaultsync.lease import Lease

    return Lease(machine, "desk", expires - TIMING.ttl, expires, machines=(machine,)).to_bytes()


def test_ended_conflict_copies_of_the_lease_are_removed_and_nothing_else(
    tmp_path: Path, clock: Clock
) -> None:
    """The bug: each rival claim left a conflict copy of the lease in `.vaultsync/` (Syncthing,
    Dropbox, Nextcloud, iCloud name them each their way), and nothing ever removed them."""
    import os

    a = machine(tmp_path, "A", clock)
    assert a.poll() and a.state == HOLDING
    folder = lease_path(tmp_path).parent
    for name, (who, ends) in COPIES.items():
        (folder / name).write_bytes(lease_bytes(who, clock.now + ends))
    kept = {
        # a rival claim still live: kept until its lease ends
        "lease.sync-conflict-20261206-091500-BCDEFGH.json": lease_bytes("B", clock.now + 45),
        # not a lease (half synced) and younger than a whole lease
        "lease 3.json": b'{"half a',
        # not our lease file's copies, or not a sync tool's name for one
        "lease.json.bak": lease_bytes("B", clock.now - 1),
        "lease 1.json": lease_bytes("B", clock.now - 1),
        "lease (copy).json": lease_bytes("B", clock.now - 1),
        "other.sync-conflict-20261206-081500-ABCDEFG.json": lease_bytes("B", clock.now - 1),
        "lease.sync-conflict-20261206-081500-ABCDEFG.json.tmp": lease_bytes("B", 0),
    }
    for name, data in kept.items():
        (folder / name).write_bytes(data)
    os.utime(folder / "lease 3.json", (clock.now - 10, clock.now - 10))
    old_garble = folder / "lease 4.json"  # not a lease, older than a whole lease: removed
    old_garble.write_bytes(b"\x00 garbled")
    os.utime(old_garble, (clock.now - TIMING.ttl - 1, clock.now - TIMING.ttl - 1))
    # Outside `.vaultsync/`: the user's files, whatever their names.
    outside = tmp_path / "lease.sync-conflict-20261206-081500-ABCDEFG.json"
    outside.write_bytes(lease_bytes("B", clock.now - 1))
    # A link named like a copy: never followed, never removed; nor what it points to.
    target = tmp_path / "target.json"
    target.write_bytes(lease_bytes("B", clock.now - 1))
    (folder / "lease 5.json").symlink_to(target)

    clock.now += TIMING.heartbeat
    assert a.poll() and a.writes == 2  # the heartbeat clears them
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted([LEASE_FILE_NAME, "lease 5.json", *kept])
    assert outside.exists() and target.exists()
    for name, data in kept.items():
        assert (folder / name).read_bytes() == data
    lease = read_lease(tmp_path)
    assert lease is not None and lease.machine == "A"
    # The live rival's copy goes once its lease has ended, at the next heartbeat.
    clock.now += TIMING.heartbeat
    assert a.poll()
    assert not (folder / "lease.sync-conflict-20261206-091500-BCDEFGH.json").exists()


def test_a_standing_by_machine_removes_no_copy(tmp_path: Path, clock: Clock) -> None:
    """Only a machine that writes the lease clears copies: one standing by writes nothing."""
    a, b = machine(tmp_path, "A", clock), machine(tmp_path, "B", clock)
    assert a.poll()
    copy = lease_path(tmp_path).parent / "lease 2.json"
    copy.write_bytes(lease_bytes("C", clock.now - 1))
    assert not b.poll() and b.state == STANDBY
    assert copy.exists()


LEASE_FILE_NAME = "lease.json"


# ------------------------------------------- a lone holder waking after its lease expired


def deliver(source: Path, dest: Path) -> None:
    """The sync tool carries the lease file of one machine's copy to the other's (the version
    it kept of two written at once)."""
    incoming = lease_path(dest).with_name(".lease.json.incoming")
    incoming.write_bytes(lease_path(source).read_bytes())
    incoming.replace(lease_path(dest))


@pytest.mark.parametrize("winner", ["A", "B"])
def test_a_lone_holder_waking_claims_at_once_yet_never_cleans_beside_a_rival(
    tmp_path: Path, clock: Clock, winner: str
) -> None:
    """A held the lease alone, slept past its expiry, and wakes while B makes its first claim.
    A claims without the settle (no other machine ever held it), B with it (A did): whichever
    claim the sync tool keeps, no moment has both cleaning, as long as the tool delivers within
    the settle (the protocol's one assumption). docs/reliability.md, "The claim without settle"."""
    side_a, side_b = tmp_path / "a", tmp_path / "b"
    side_a.mkdir(), side_b.mkdir()
    a, b = machine(side_a, "A", clock), machine(side_b, "B", clock)
    assert a.poll() and a.state == HOLDING
    (side_b / ".vaultsync").mkdir()
    deliver(side_a, side_b)
    clock.now += TIMING.ttl + 60  # A's laptop slept; B was never started before
    assert a.poll() and a.state == HOLDING  # at once: A is the only machine that ever held it
    assert not b.poll() and b.state == CLAIMING  # B saw A in the lease: it waits
    both = [a, b]

    def cleaning() -> list[str]:
        return [m.me for m in both if m.may_write()]

    clock.now += TIMING.settle / 2  # the sync tool keeps one claim and delivers it
    if winner == "A":
        deliver(side_a, side_b)
    else:
        deliver(side_b, side_a)
    assert a.poll() == (winner == "A")
    assert cleaning() == (["A"] if winner == "A" else [])  # B never cleaned while A did
    clock.now += TIMING.settle / 2
    assert b.poll() == (winner == "B")
    assert cleaning() == [winner]
    for _ in range(3):  # and it stays so, heartbeats carried both ways
        clock.now += TIMING.heartbeat
        a.poll(), b.poll()
        src, dst = (side_a, side_b) if winner == "A" else (side_b, side_a)
        deliver(src, dst)
        assert cleaning() == [winner]
