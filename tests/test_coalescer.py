"""Coalescer: one firing per path after it goes quiet, with a ceiling. Fake clock only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.coalescer import CHANGED, DELETED, Coalescer

try:  # pytest puts tests/ on sys.path (no tests/__init__.py)
    from hypo_profiles import scaled
except ModuleNotFoundError:  # pragma: no cover
    from tests.hypo_profiles import scaled


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def co(clock: FakeClock) -> Coalescer:
    return Coalescer(quiet_period=2.0, max_delay=30.0, clock=clock)


A = Path("/v/a.md")
B = Path("/v/b.md")


def test_single_event_fires_after_quiet_period_and_not_before(
    co: Coalescer, clock: FakeClock
) -> None:
    co.add(A, "modified")
    assert co.due() == []
    clock.advance(1.999)
    assert co.due() == []
    clock.advance(0.001)
    assert co.due() == [(A, CHANGED)]
    assert co.due() == []
    assert len(co) == 0


def test_burst_on_one_path_fires_once(co: Coalescer, clock: FakeClock) -> None:
    for _ in range(50):
        co.add(A, "modified")
        clock.advance(0.01)
    co.add(A, "created")
    assert len(co) == 1
    clock.advance(1.9)
    assert co.due() == []
    clock.advance(0.1)
    assert co.due() == [(A, CHANGED)]
    clock.advance(100)
    assert co.due() == []


def test_each_event_restarts_the_quiet_period(co: Coalescer, clock: FakeClock) -> None:
    co.add(A, "modified")
    clock.advance(1.5)
    co.add(A, "modified")
    clock.advance(1.5)
    assert co.due() == []
    clock.advance(0.5)
    assert co.due() == [(A, CHANGED)]


def test_thousand_path_burst_fires_each_path_once(co: Coalescer, clock: FakeClock) -> None:
    paths = [Path(f"/v/p{i}.md") for i in range(1000)]
    for repeat in range(3):
        for path in paths:
            co.add(path, "modified" if repeat else "created")
    assert len(co) == 1000
    clock.advance(2.0)
    fired = co.due()
    assert sorted(p for p, _ in fired) == sorted(paths)
    assert {kind for _, kind in fired} == {CHANGED}
    clock.advance(60)
    assert co.due() == []


def test_move_gives_dest_changed_and_src_deleted(co: Coalescer, clock: FakeClock) -> None:
    co.add(B, "moved")
    co.add(A, "deleted")
    clock.advance(2.0)
    assert co.due() == [(B, CHANGED)]
    clock.advance(1.0)  # deletes are held for delete_grace = 1.5 * quiet_period
    assert co.due() == [(A, DELETED)]


def test_delete_then_create_is_one_change(co: Coalescer, clock: FakeClock) -> None:
    co.add(A, "deleted")  # an atomic save: the old file goes, the new one comes
    clock.advance(2.5)
    assert co.due() == []
    co.add(A, "created")
    clock.advance(2.0)
    assert co.due() == [(A, CHANGED)]
    clock.advance(100)
    assert co.due() == []


def test_modified_after_delete_is_a_change(co: Coalescer, clock: FakeClock) -> None:
    co.add(A, "deleted")
    co.add(A, "modified")
    clock.advance(2.0)
    assert co.due() == [(A, CHANGED)]


def test_delete_after_change_is_a_delete(co: Coalescer, clock: FakeClock) -> None:
    co.add(A, "created")
    co.add(A, "deleted")
    clock.advance(2.0)
    assert co.due() == []
    clock.advance(1.0)
    assert co.due() == [(A, DELETED)]


def test_delete_alone_fires_after_the_grace(co: Coalescer, clock: FakeClock) -> None:
    co.add(A, "deleted")
    clock.advance(2.999)
    assert co.due() == []
    clock.advance(0.001)
    assert co.due() == [(A, DELETED)]


def test_explicit_delete_grace(clock: FakeClock) -> None:
    co = Coalescer(quiet_period=1.0, delete_grace=5.0, clock=clock)
    co.add(A, "deleted")
    clock.advance(4.9)
    assert co.due() == []
    clock.advance(0.1)
    assert co.due() == [(A, DELETED)]


def test_ceiling_under_constant_churn(co: Coalescer, clock: FakeClock) -> None:
    start = clock.now
    fired_at: list[float] = []
    while clock.now < start + 65:
        co.add(A, "modified")  # an event every 0.5 s, forever
        clock.advance(0.5)
        if co.due():
            fired_at.append(clock.now)
    assert fired_at == [start + 30.0, start + 60.0]


def test_next_deadline(co: Coalescer, clock: FakeClock) -> None:
    assert co.next_deadline() is None
    t0 = clock.now
    co.add(A, "modified")
    assert co.next_deadline() == t0 + 2.0
    clock.advance(1.0)
    co.add(B, "deleted")
    assert co.next_deadline() == t0 + 2.0
    co.add(A, "modified")  # A moves later than B now
    assert co.next_deadline() == t0 + 1.0 + 2.0
    co.forget(A)
    assert co.next_deadline() == t0 + 1.0 + 3.0
    clock.advance(3.0)
    assert co.due() == [(B, DELETED)]
    assert co.next_deadline() is None


def test_next_deadline_respects_the_ceiling(co: Coalescer, clock: FakeClock) -> None:
    t0 = clock.now
    co.add(A, "modified")
    clock.advance(29.0)
    co.add(A, "modified")
    assert co.next_deadline() == t0 + 30.0


def test_forget_and_membership(co: Coalescer, clock: FakeClock) -> None:
    co.add(A, "modified")
    assert A in co and str(A) in co and B not in co and 42 not in co
    assert co.forget(A) is True
    assert co.forget(A) is False
    assert A not in co and len(co) == 0
    clock.advance(10)
    assert co.due() == []


def test_str_paths_are_the_same_key(co: Coalescer, clock: FakeClock) -> None:
    co.add(str(A), "modified")
    co.add(A, "modified")
    clock.advance(2)
    assert co.due() == [(A, CHANGED)]


def test_unknown_kind_is_refused(co: Coalescer) -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        co.add(A, "dir")


def test_bad_timings_are_refused() -> None:
    with pytest.raises(ValueError):
        Coalescer(quiet_period=-1)
    with pytest.raises(ValueError):
        Coalescer(max_delay=0)


def test_own_echo(co: Coalescer, clock: FakeClock) -> None:
    assert not co.is_own_echo(A, "h1")
    co.note_own_write(A, "h1")
    assert co.is_own_echo(A, "h1")
    assert co.is_own_echo(str(A), "h1")
    assert not co.is_own_echo(A, "h2")  # someone changed the bytes after our write
    assert not co.is_own_echo(B, "h1")
    assert co.is_own_echo(A, "h1")  # not consumed: a write can fire twice
    co.note_own_write(A, "h2")
    assert co.is_own_echo(A, "h2") and not co.is_own_echo(A, "h1")


def test_a_fired_delete_forgets_our_write(co: Coalescer, clock: FakeClock) -> None:
    co.note_own_write(A, "h1")
    co.add(A, "deleted")
    clock.advance(3)
    assert co.due() == [(A, DELETED)]
    assert not co.is_own_echo(A, "h1")


def test_an_outdated_deadline_does_not_fire_early(co: Coalescer, clock: FakeClock) -> None:
    t0 = clock.now
    co.add(B, "modified")  # due at t0 + 2, ahead of A's entries in the heap
    clock.advance(0.25)
    co.add(A, "modified")  # due at t0 + 2.25 ...
    clock.advance(0.25)
    co.add(A, "modified")  # ... no: now due at t0 + 2.5
    clock.now = t0 + 2.3
    assert co.due() == [(B, CHANGED)]
    clock.now = t0 + 2.5
    assert co.due() == [(A, CHANGED)]


def test_stale_heap_entries_stay_bounded(co: Coalescer, clock: FakeClock) -> None:
    for _ in range(10_000):
        co.add(A, "modified")
    assert len(co._heap) <= 4 * len(co) + 65
    clock.advance(2)
    assert co.due() == [(A, CHANGED)]


# -- property: the coalescer against a plain reference model ---------------------------------

QUIET, GRACE, CEILING = 2.0, 3.0, 5.0  # a ceiling close to the waits, so it often decides
PATHS = [Path(f"/v/{name}.md") for name in "abc"]
KINDS = ["created", "modified", "deleted", "moved"]


@dataclass
class Batch:
    first: float
    last: float
    kind: str  # the last event's kind

    @property
    def deadline(self) -> float:
        wait = GRACE if self.kind == "deleted" else QUIET
        return min(self.last + wait, self.first + CEILING)


# Each step: wait `quarters` * 0.25 s (exact in binary floating point), then either poll
# `due()` or add an event. Waits of 0 make events land on the same instant.
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=24),
        st.one_of(st.none(), st.tuples(st.sampled_from(PATHS), st.sampled_from(KINDS))),
    ),
    max_size=60,
)


@scaled(300, deadline=None)
@given(steps)
def test_property_matches_reference_model(
    events: list[tuple[int, tuple[Path, str] | None]],
) -> None:
    """For any timed event sequence, polled at arbitrary moments:

    - a poll at time T returns exactly the pending paths whose batch deadline is <= T, where a
      batch is the events on a path since it last fired, and its deadline is
      min(last event + quiet (grace for a delete), first event + ceiling);
    - so every event belongs to exactly one firing, a path never fires before its batch's last
      event + quiet unless the ceiling is reached, and never after first + ceiling when polled at
      `next_deadline()`;
    - the kind reported is "deleted" exactly when the batch's last event was a delete.
    """
    clock = FakeClock()
    co = Coalescer(quiet_period=QUIET, max_delay=CEILING, delete_grace=GRACE, clock=clock)
    model: dict[Path, Batch] = {}
    events_seen = 0
    events_fired = 0
    event_count: dict[Path, int] = {}

    def poll() -> None:
        nonlocal events_fired
        fired = co.due()
        expected = {p for p, b in model.items() if b.deadline <= clock.now}
        assert len(fired) == len(expected) and {p for p, _ in fired} == expected
        deadlines = [model[p].deadline for p, _ in fired]
        assert deadlines == sorted(deadlines)  # earliest first
        for path, kind in fired:
            batch = model.pop(path)
            assert kind == (DELETED if batch.kind == "deleted" else CHANGED)
            assert clock.now >= batch.last
            events_fired += event_count.pop(path)
        assert len(co) == len(model)
        next_deadline = co.next_deadline()
        assert next_deadline == (min(b.deadline for b in model.values()) if model else None)

    for quarters, event in events:
        # Poll at every deadline on the way, as the daemon loop does: nothing fires late.
        target = clock.now + quarters * 0.25
        while (deadline := co.next_deadline()) is not None and deadline <= target:
            clock.now = deadline
            poll()
            assert all(b.deadline > clock.now for b in model.values())
        clock.now = target
        if event is None:
            poll()
            continue
        path, kind = event
        batch = model.get(path)
        if batch is None:
            model[path] = Batch(clock.now, clock.now, kind)
        else:
            batch.last, batch.kind = clock.now, kind
        co.add(path, kind)
        events_seen += 1
        event_count[path] = event_count.get(path, 0) + 1

    clock.now += CEILING + GRACE
    poll()
    assert not model and len(co) == 0
    assert events_fired == events_seen  # every event was covered by exactly one firing


@scaled(200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=200))
def test_property_ceiling_holds_under_any_churn(gaps: list[int]) -> None:
    """However events keep coming on one path, it fires no later than first event + ceiling."""
    clock = FakeClock()
    co = Coalescer(quiet_period=QUIET, max_delay=CEILING, clock=clock)
    first: float | None = None
    for gap in gaps:
        target = clock.now + gap * 0.25
        while (deadline := co.next_deadline()) is not None and deadline <= target:
            clock.now = deadline
            assert co.due() == [(PATHS[0], CHANGED)]
            assert first is not None and clock.now <= first + CEILING
            first = None
        clock.now = target
        if first is None:
            first = clock.now
        co.add(PATHS[0], "modified")
    deadline = co.next_deadline()
    assert first is not None and deadline is not None and deadline <= first + CEILING


def test_pending_lists_the_paths_not_yet_due_in_the_order_first_added() -> None:
    """What a reload that changes the quiet period carries over to the new coalescer."""
    clock = [0.0]
    c = Coalescer(1.0, 10.0, clock=lambda: clock[0])
    for name in ("b", "a", "b", "c"):
        c.add(f"/v/{name}.md", "modified")
    assert c.pending() == [Path("/v/b.md"), Path("/v/a.md"), Path("/v/c.md")]
    clock[0] = 2.0
    assert {p for p, _ in c.due()} == {Path("/v/a.md"), Path("/v/b.md"), Path("/v/c.md")}
    assert c.pending() == []
