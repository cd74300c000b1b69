"""VaultWatcher on the real watchdog: events are awaited with a queue, never with sleeps."""

from __future__ import annotations

import errno
import logging
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from vaultsync.ignore import PathFilter
from vaultsync.watcher import (
    HEALTH_MISSING,
    HEALTH_RESTARTED,
    NATIVE,
    POLLING,
    VaultWatcher,
    coverage,
    route_watchdog_warnings,
)
from vaultsync.watcher.events import Handler, event_filter
from vaultsync.writer import read_page

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent

TIMEOUT = 10.0  # generous: only ever reached when an event never comes

Event = tuple[str, Path, str]


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail any test that leaves a thread running (watchdog's own tests do the same)."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before]
    for thread in leaked:
        thread.join(TIMEOUT)  # a thread told to stop may need a moment to get there
    alive = [t for t in leaked if t.is_alive()]
    assert not alive, f"threads leaked: {alive}"


class Sink:
    """Collects sink calls; `wait_for` blocks until a matching one arrives."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Event] = queue.Queue()
        self.seen: list[Event] = []

    def __call__(self, vault: str, path: Path, kind: str) -> None:
        self.queue.put((vault, path, kind))

    def wait_for(self, path: Path, kind: str, vault: str = "v") -> None:
        while True:
            try:
                event = self.queue.get(timeout=TIMEOUT)
            except queue.Empty:
                pytest.fail(f"no {kind!r} event for {path} within {TIMEOUT} s; got {self.seen}")
            self.seen.append(event)
            if event == (vault, path, kind):
                return

    def paths(self) -> set[Path]:
        return {path for _, path, _ in self.seen}


@pytest.fixture
def log() -> logging.Logger:
    return logging.getLogger("vaultsync.test.watcher")


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    return root


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def make_watcher(sink: Sink, log: logging.Logger) -> Iterator[Callable[..., VaultWatcher]]:
    made: list[VaultWatcher] = []

    def make(roots: dict[str, tuple[Path, PathFilter, bool]], **kwargs: float) -> VaultWatcher:
        watcher = VaultWatcher(roots, sink, log, **kwargs)
        made.append(watcher)
        watcher.start()
        return watcher

    yield make
    for watcher in made:
        watcher.stop()


def write(path: Path, text: str = "- a highlight\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# -- native events -------------------------------------------------------------------------


def test_created_and_modified(
    vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    watcher = make_watcher({"v": (vault, PathFilter(), False)})
    assert watcher.watched() == {"v": NATIVE}
    page = vault / "page.md"
    write(page)
    sink.wait_for(page, "created")
    with page.open("a", encoding="utf-8") as f:
        f.write("- another\n")
    sink.wait_for(page, "modified")


def test_write_by_rename_reports_the_destination(
    vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    page = vault / "pages" / "page.md"
    write(page)
    make_watcher({"v": (vault, PathFilter(), False)})
    temp = page.with_name(".page.md.vaultsync-1234.tmp")
    write(temp, "- new\n")
    os.replace(temp, page)
    sink.wait_for(page, "moved")
    assert temp not in sink.paths()


def test_rename_between_pages_deletes_source(
    vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    old, new = vault / "old.md", vault / "new.md"
    write(old)
    make_watcher({"v": (vault, PathFilter(), False)})
    os.rename(old, new)
    sink.wait_for(old, "deleted")
    sink.wait_for(new, "moved")


def test_deleted(vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]) -> None:
    page = vault / "page.md"
    write(page)
    make_watcher({"v": (vault, PathFilter(), False)})
    page.unlink()
    sink.wait_for(page, "deleted")


def test_ignored_paths_never_reach_the_sink(
    vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    make_watcher({"v": (vault, PathFilter(exclude=["Archive/"]), False)})
    ignored = [
        vault / ".obsidian" / "workspace.md",
        vault / "notes.txt",
        vault / "Archive" / "old.md",
        vault / ".trash" / "gone.md",
        vault / "page.md.swp",
    ]
    for path in ignored:
        write(path)
    os.rename(vault / "notes.txt", vault / "notes2.txt")
    # Events of one observer arrive in order: once the sentinel is in, the rest has been seen.
    sentinel = vault / "sentinel.md"
    write(sentinel)
    sink.wait_for(sentinel, "created")
    reported = sink.paths()
    assert not reported & set(ignored)
    assert all(p == sentinel or p.suffix == "" for p in reported)  # only 'dir' calls otherwise


def test_the_daemons_filter_reports_notes_in_excluded_folders(
    vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    """The daemon watches with the reading filter (what a pass reads), not the cleaning one: a
    note in a folder `exclude` names is never cleaned, but a block reference it adds keeps an
    id alive, so its change is reported; the folders no pass reads are not."""
    make_watcher({"v": (vault, PathFilter(exclude=["Archive/"]).reading(), False)})
    never_read = [vault / ".obsidian" / "workspace.md", vault / ".trash" / "gone.md"]
    for path in never_read:
        write(path)
    note = vault / "Archive" / "old.md"
    write(note, "![[Book#^rw1]]\n")
    sink.wait_for(note, "created")  # events arrive in order: the others came first, if at all
    assert not sink.paths() & set(never_read)
    assert all(p.parent == vault for p in sink.paths() - {note})  # only 'dir' calls otherwise


def test_folder_moved_into_the_vault_is_reported_for_a_rescan(
    tmp_path: Path, vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    outside = tmp_path / "outside" / "Books"
    write(outside / "a.md")
    make_watcher({"v": (vault, PathFilter(), False)})
    os.rename(outside, vault / "Books")
    sink.wait_for(vault / "Books", "dir")


def test_folder_moved_out_of_the_vault_is_reported_for_a_rescan(
    tmp_path: Path, vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    write(vault / "Books" / "a.md")
    make_watcher({"v": (vault, PathFilter(), False)})
    os.rename(vault / "Books", tmp_path / "Books")
    sink.wait_for(vault / "Books", "dir")


def test_a_failing_sink_does_not_end_the_watch(
    vault: Path, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    sink = Sink()
    first = vault / "first.md"

    def flaky(vault_name: str, path: Path, kind: str) -> None:
        if path == first:
            raise RuntimeError("boom")
        sink(vault_name, path, kind)

    watcher = VaultWatcher({"v": (vault, PathFilter(), False)}, flaky, log)
    watcher.start()
    try:
        write(first)
        second = vault / "second.md"
        write(second)
        sink.wait_for(second, "created")
    finally:
        watcher.stop()
    assert "boom" in caplog.text


# -- which events are subscribed at all ------------------------------------------------------

IN_ACCESS, IN_MODIFY, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE, IN_OPEN = 0x1, 0x2, 0x8, 0x10, 0x20
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
WATCH_LINE = re.compile(r"^inotify wd:\d+ ino:([0-9a-f]+) .*?mask:([0-9a-f]+)", re.M)


def inotify_masks(folder: Path) -> list[int]:
    """The event masks of this process's inotify watches on `folder`, as the kernel holds them."""
    ino = os.stat(folder).st_ino
    masks = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:inotify":
                continue
            info = Path(f"/proc/self/fdinfo/{fd}").read_text()
        except OSError:
            continue  # the listing's own descriptor, closed by now
        for match in re.finditer(
            r"^inotify wd:\d+ ino:([0-9a-f]+) .*?mask:([0-9a-f]+)", info, re.M
        ):
            if int(match[1], 16) == ino:
                masks.append(int(match[2], 16))
    return masks


@pytest.mark.skipif(not os.path.isdir("/proc/self/fdinfo"), reason="needs Linux's /proc")
def test_the_kernel_queues_no_event_for_reads(
    vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    (vault / "pages").mkdir()
    watcher = make_watcher({"v": (vault, PathFilter(), False)})
    assert watcher.watched() == {"v": NATIVE}
    later = vault / "later"
    later.mkdir()  # watched from its creation on: the mask must be the same there
    sink.wait_for(later, "dir")
    wanted = IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
    for folder in (vault, vault / "pages", later):
        masks = inotify_masks(folder)
        assert masks, f"no inotify watch on {folder}"
        for mask in masks:
            assert mask & (IN_ACCESS | IN_OPEN | IN_CLOSE_NOWRITE) == 0, hex(mask)
            assert mask & wanted == wanted, hex(mask)


def test_reading_pages_reaches_no_handler(
    vault: Path,
    sink: Sink,
    make_watcher: Callable[..., VaultWatcher],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw: list[tuple[str, str]] = []  # every event watchdog hands the handler
    dispatch = Handler.dispatch

    def recording(self: Handler, event: FileSystemEvent) -> None:
        raw.append((event.event_type, os.fsdecode(event.src_path)))
        dispatch(self, event)

    monkeypatch.setattr(Handler, "dispatch", recording)
    page = vault / "pages" / "page.md"
    write(page)  # before the watch starts: no event of its own
    make_watcher({"v": (vault, PathFilter(), False)})
    for _ in range(100):
        read_page(page)
        page.read_bytes()
        os.listdir(page.parent)
    # Events of one observer arrive in order: once the sentinel is in, the reads' would be too.
    sentinel = vault / "sentinel.md"
    write(sentinel)
    sink.wait_for(sentinel, "created")
    assert [event for event in raw if event[1] != str(sentinel)] == []


def test_writes_renames_and_deletes_still_arrive_in_new_folders(
    vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    make_watcher({"v": (vault, PathFilter(), False)})
    folder = vault / "new" / "deeper"
    folder.mkdir(parents=True)
    sink.wait_for(vault / "new", "dir")
    page = folder / "page.md"
    write(page)
    sink.wait_for(page, "created")
    with page.open("r+", encoding="utf-8") as f:  # rewritten in place, as some editors do
        f.write("- b")
    sink.wait_for(page, "modified")
    temp = folder / ".page.md.vaultsync-0123456789abcdef.tmp"
    write(temp, "- new\n")
    os.replace(temp, page)
    sink.wait_for(page, "moved")
    page.unlink()
    sink.wait_for(page, "deleted")


def test_the_filter_lets_through_exactly_what_the_handler_uses(
    tmp_path: Path, log: logging.Logger
) -> None:
    """Each watchdog event kind reaches the sink iff it is in the filter the observer gets."""
    from watchdog import events

    kinds = [
        cls
        for cls in vars(events).values()
        if isinstance(cls, type)
        and issubclass(cls, events.FileSystemEvent)
        and cls not in (events.FileSystemEvent, events.FileSystemMovedEvent)
    ]
    assert {events.FileOpenedEvent, events.FileClosedNoWriteEvent, events.DirModifiedEvent} < set(
        kinds
    )
    root = str(tmp_path)
    calls: list[str] = []
    handler = Handler("v", tmp_path, PathFilter(), lambda _v, _p, k: calls.append(k), log)
    for cls in kinds:
        calls.clear()
        src, dest = (f"{root}/d", f"{root}/e") if cls.is_directory else (f"{root}/a.md", "")
        if issubclass(cls, events.FileSystemMovedEvent):
            dest = f"{root}/e" if cls.is_directory else f"{root}/b.md"
        handler.dispatch(cls(src, dest))
        assert bool(calls) == (cls in event_filter()), cls.__name__


# -- polling fallback ---------------------------------------------------------------------


def test_watch_limit_falls_back_to_polling(
    vault: Path,
    sink: Sink,
    make_watcher: Callable[..., VaultWatcher],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from watchdog.observers import Observer

    def no_watches_left(self: object) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(Observer, "start", no_watches_left)
    with caplog.at_level(logging.WARNING):
        watcher = make_watcher({"v": (vault, PathFilter(), False)}, poll_interval=0.05)
    assert watcher.watched() == {"v": POLLING}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "fs.inotify.max_user_watches=524288" in warnings[0].getMessage()
    assert "sudo sysctl --system" in warnings[0].getMessage()
    page = vault / "page.md"
    write(page)
    sink.wait_for(page, "created")


def test_instance_limit_falls_back_to_polling(
    vault: Path,
    sink: Sink,
    make_watcher: Callable[..., VaultWatcher],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from watchdog.observers import Observer

    def too_many(self: object) -> None:
        raise OSError(errno.EMFILE, "inotify instance limit reached")

    monkeypatch.setattr(Observer, "start", too_many)
    watcher = make_watcher({"v": (vault, PathFilter(), False)}, poll_interval=0.05)
    assert watcher.watched() == {"v": POLLING}
    assert "max_user_instances" in caplog.text


def unwatched(monkeypatch: pytest.MonkeyPatch, vault: Path, *folders: Path) -> list[bool]:
    """Make our own seam, watcher.watched_folders, leave `folders` out, as the kernel does when
    the watch limit is hit there. Returns a switch: set [0] to False to let them in again."""
    real = coverage.watched_folders
    active = [True]

    def fake() -> set[tuple[int, int]]:
        found = real()
        if found is None:  # not Linux: as if the kernel said every folder is watched
            found = set(coverage.vault_folders(vault, PathFilter()))
        for folder in folders if active[0] else ():
            if folder.is_dir():
                st = folder.stat()
                found.discard((st.st_dev, st.st_ino))
        return found

    monkeypatch.setattr(coverage, "watched_folders", fake)
    return active


def test_watch_limit_below_the_root_is_noticed(
    vault: Path,
    sink: Sink,
    make_watcher: Callable[..., VaultWatcher],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A subfolder left without a watch at start (watchdog says nothing): we poll instead."""
    monkeypatch.setattr(coverage, "COVERAGE_GRACE", 0.0)
    (vault / "deep").mkdir()
    unwatched(monkeypatch, vault, vault / "deep")
    watcher = make_watcher({"v": (vault, PathFilter(), False)}, poll_interval=0.05)
    assert watcher.check_health() == {"v": HEALTH_RESTARTED}
    assert watcher.watched() == {"v": POLLING}
    assert "max_user_watches" in caplog.text
    assert str(vault / "deep") in caplog.text
    page = vault / "deep" / "page.md"
    write(page)
    sink.wait_for(page, "created")


def test_watch_limit_hit_later_switches_to_polling_on_health_check(
    vault: Path,
    sink: Sink,
    make_watcher: Callable[..., VaultWatcher],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(coverage, "COVERAGE_GRACE", 0.0)
    unwatched(monkeypatch, vault, vault / "deep")
    watcher = make_watcher({"v": (vault, PathFilter(), False)}, poll_interval=0.05)
    assert watcher.watched() == {"v": NATIVE}
    assert watcher.check_health() == {}
    (vault / "deep").mkdir()
    sink.wait_for(vault / "deep", "dir")
    assert watcher.check_health() == {"v": HEALTH_RESTARTED}
    assert watcher.watched() == {"v": POLLING}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "fs.inotify.max_user_watches=524288" in warnings[0]
    page = vault / "deep" / "page.md"
    write(page)
    sink.wait_for(page, "created")
    assert watcher.check_health() == {}  # polling from now on, no restart loop


def test_a_folder_watched_within_the_grace_is_no_fallback(
    vault: Path,
    sink: Sink,
    make_watcher: Callable[..., VaultWatcher],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """watchdog adds a new folder's watch a moment after the folder appears: not a miss."""
    clock = [1000.0]
    monkeypatch.setattr(coverage, "_clock", lambda: clock[0])
    switch = unwatched(monkeypatch, vault, vault / "deep")
    watcher = make_watcher({"v": (vault, PathFilter(), False)}, poll_interval=0.05)
    (vault / "deep").mkdir()
    sink.wait_for(vault / "deep", "dir")
    assert watcher.check_health() == {}  # seen unwatched: a suspect
    clock[0] += coverage.COVERAGE_GRACE / 2
    assert watcher.check_health() == {}  # still within the grace
    switch[0] = False  # the watch arrives
    clock[0] += coverage.COVERAGE_GRACE
    assert watcher.check_health() == {}
    assert watcher.watched() == {"v": NATIVE}


@pytest.mark.skipif(not os.path.isdir("/proc/self/fdinfo"), reason="needs Linux's /proc")
def test_the_kernel_shows_every_folder_watched(
    vault: Path,
    sink: Sink,
    make_watcher: Callable[..., VaultWatcher],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the real watchdog, folders old and new are found watched: no false fallback."""
    monkeypatch.setattr(coverage, "COVERAGE_GRACE", 0.0)
    for name in ("a/b/c", "d", ".obsidian/plugins"):
        (vault / name).mkdir(parents=True)
    watcher = make_watcher({"v": (vault, PathFilter(), False)}, poll_interval=0.05)
    (vault / "later" / "deeper").mkdir(parents=True)
    sink.wait_for(vault / "later", "dir")
    folders = coverage.vault_folders(vault, PathFilter())
    assert set(folders.values()) == {
        str(vault / p) for p in ("a", "a/b", "a/b/c", "d", "later", "later/deeper")
    }

    def all_watched() -> bool:
        found = coverage.watched_folders()
        return found is not None and set(folders) <= found

    deadline = time.monotonic() + TIMEOUT
    while not all_watched():
        assert time.monotonic() < deadline, "watchdog never watched every folder"
        time.sleep(0.01)
    assert watcher.check_health() == {}
    assert watcher.watched() == {"v": NATIVE}


def test_poll_flag_uses_polling(
    vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    watcher = make_watcher({"v": (vault, PathFilter(), True)}, poll_interval=0.05)
    assert watcher.watched() == {"v": POLLING}
    page = vault / "page.md"
    write(page)
    sink.wait_for(page, "created")


# -- lifecycle ------------------------------------------------------------------------------


def test_stop_leaves_no_thread_alive(tmp_path: Path, sink: Sink, log: logging.Logger) -> None:
    before = set(threading.enumerate())
    roots = {}
    for name, poll in (("a", False), ("b", True), ("c", False)):
        (tmp_path / name).mkdir()
        roots[name] = (tmp_path / name, PathFilter(), poll)
    watcher = VaultWatcher(roots, sink, log, poll_interval=0.05)
    watcher.start()
    assert watcher.watched() == {"a": NATIVE, "b": POLLING, "c": NATIVE}
    assert len(set(threading.enumerate()) - before) >= 3
    watcher.stop()
    assert set(threading.enumerate()) == before  # stop() joined them: no waiting needed
    assert watcher.watched() == {}


def test_update_adds_removes_and_restarts(
    tmp_path: Path, vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    watcher = make_watcher({"v": (vault, PathFilter(), False)}, poll_interval=0.05)

    watcher.update({"v": (vault, PathFilter(), False), "w": (other, PathFilter(), False)})
    assert watcher.watched() == {"v": NATIVE, "w": NATIVE}
    page = other / "page.md"
    write(page)
    sink.wait_for(page, "created", vault="w")

    before_removal = set(threading.enumerate())
    watcher.update({"w": (other, PathFilter(), False)})
    assert watcher.watched() == {"w": NATIVE}
    assert len(before_removal - set(threading.enumerate())) >= 2  # v's threads are gone
    write(vault / "unseen.md")
    second = other / "second.md"
    write(second)
    sink.wait_for(second, "created", vault="w")

    watcher.update({"w": (other, PathFilter(), True)})  # mode changed: restarted
    assert watcher.watched() == {"w": POLLING}
    third = other / "third.md"
    write(third)
    sink.wait_for(third, "created", vault="w")
    assert vault / "unseen.md" not in sink.paths()


def test_update_with_a_new_filter_applies_without_restart(
    vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    watcher = make_watcher({"v": (vault, PathFilter(["pages/**"]), False)})
    threads = set(threading.enumerate())
    watcher.update({"v": (vault, PathFilter(["journals/**"]), False)})
    assert set(threading.enumerate()) == threads
    write(vault / "pages" / "p.md")
    journal = vault / "journals" / "j.md"
    write(journal)
    sink.wait_for(journal, "created")
    assert vault / "pages" / "p.md" not in sink.paths()


def test_root_removed_then_back(
    vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    watcher = make_watcher({"v": (vault, PathFilter(), False)})
    assert watcher.check_health() == {}
    shutil.rmtree(vault)
    assert watcher.check_health() == {"v": HEALTH_MISSING}
    assert watcher.watched() == {}
    assert watcher.check_health() == {"v": HEALTH_MISSING}
    vault.mkdir()
    assert watcher.check_health() == {"v": HEALTH_RESTARTED}
    assert watcher.check_health() == {}
    page = vault / "page.md"
    write(page)
    sink.wait_for(page, "created")


def test_root_replaced_between_checks_is_restarted(
    vault: Path, sink: Sink, make_watcher: Callable[..., VaultWatcher]
) -> None:
    watcher = make_watcher({"v": (vault, PathFilter(), True)}, poll_interval=3600)
    os.rename(vault, vault.with_name("moved-away"))
    vault.mkdir()  # same path, another folder: the old watch follows the moved one
    assert watcher.check_health() == {"v": HEALTH_RESTARTED}


def test_missing_root_at_start_is_watched_once_it_exists(
    tmp_path: Path,
    sink: Sink,
    make_watcher: Callable[..., VaultWatcher],
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = tmp_path / "later"
    other = tmp_path / "other"
    other.mkdir()
    watcher = make_watcher({"v": (root, PathFilter(), False), "w": (other, PathFilter(), False)})
    assert watcher.watched() == {"w": NATIVE}  # one vault's problem leaves the others be
    assert "not found" in caplog.text
    assert watcher.check_health() == {"v": HEALTH_MISSING}
    root.mkdir()
    assert watcher.check_health() == {"v": HEALTH_RESTARTED}
    page = root / "page.md"
    write(page)
    sink.wait_for(page, "created")


def test_check_health_before_start_reports_nothing(
    vault: Path, sink: Sink, log: logging.Logger
) -> None:
    watcher = VaultWatcher({"v": (vault, PathFilter(), False)}, sink, log)
    assert watcher.check_health() == {}
    assert watcher.watched() == {}


# -- the handler on its own (synthetic watchdog events) ------------------------------------


def test_handler_translates_events(tmp_path: Path, log: logging.Logger) -> None:
    from watchdog import events
    from watchdog.events import (
        DirCreatedEvent,
        DirDeletedEvent,
        DirModifiedEvent,
        DirMovedEvent,
        FileClosedEvent,
        FileClosedNoWriteEvent,
        FileMovedEvent,
        FileOpenedEvent,
    )

    attrib = getattr(events, "FileAttribEvent", FileOpenedEvent)  # new in watchdog 7
    calls: list[tuple[str, str]] = []
    handler = Handler("v", tmp_path, PathFilter(), lambda _v, p, k: calls.append((p.name, k)), log)
    root = str(tmp_path)
    for event in [
        FileClosedEvent(f"{root}/a.md"),
        FileOpenedEvent(f"{root}/a.md"),
        FileClosedNoWriteEvent(f"{root}/a.md"),
        attrib(f"{root}/a.md"),
        DirModifiedEvent(root),
        DirDeletedEvent(root),  # the root itself: check_health's business
        FileMovedEvent(f"{root}/a.md", ""),  # moved out, destination unknown
        FileMovedEvent("", f"{root}/b.md"),  # moved in, source unknown
        FileMovedEvent(f"{root}/c.md", f"{root}/.trash/c.md"),
        FileMovedEvent(f"{root}/.d.md.vaultsync-1.tmp", f"{root}/d.md"),
        DirMovedEvent(f"{root}/x", f"{root}/y"),
        DirMovedEvent(f"{root}/z", f"{root}/.trash/z"),
        DirCreatedEvent(f"{root}/new"),
        DirCreatedEvent(f"{root}/.git/objects"),
        FileMovedEvent("/elsewhere/e.md", "/elsewhere/f.md"),
        FileMovedEvent(f"{root}x/e.md", f"{root}x/f.md"),  # a sibling sharing the prefix
    ]:
        handler.dispatch(event)
    assert calls == [
        ("a.md", "modified"),
        ("a.md", "deleted"),
        ("b.md", "moved"),
        ("c.md", "deleted"),
        ("d.md", "moved"),
        ("x", "dir"),
        ("y", "dir"),
        ("z", "dir"),
        ("new", "dir"),
    ]
    handler.active = False
    handler.dispatch(FileClosedEvent(f"{root}/a.md"))
    assert len(calls) == 9


def test_importing_the_watcher_does_not_import_watchdog() -> None:
    code = "import sys, vaultsync.watcher; sys.exit('watchdog' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()


def test_events_lost_rescans_the_vault_and_rechecks_the_watches(
    tmp_path: Path, log: logging.Logger
) -> None:
    """watchdog 7 says when the kernel queue overflowed (and rebuilds its watches, which the
    limit can stop): the whole vault is rescanned and its watches checked again."""
    from watchdog import events

    lost = getattr(events, "EventsLostEvent", None)
    if lost is None:
        pytest.skip("this watchdog has no EventsLostEvent (its overflow is read from its log)")
    calls: list[tuple[Path, str]] = []
    handler = Handler("v", tmp_path, PathFilter(), lambda _v, p, k: calls.append((p, k)), log)
    handler.dispatch(lost(str(tmp_path), is_directory=True))
    assert calls == [(tmp_path, "dir")]
    assert handler.saw_folder
    assert lost in event_filter()


# -- watchdog's warnings ----------------------------------------------------------------------


def test_watchdog_warnings_go_to_the_log_and_others_stay_as_they_were(
    log: logging.Logger, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    import warnings

    import watchdog.observers.inotify as any_watchdog_file

    shown: list[str] = []
    with warnings.catch_warnings():  # restores the filters and showwarning afterwards
        warnings.simplefilter("always")
        warnings.showwarning = lambda message, *_args, **_kw: shown.append(str(message))
        restore = route_watchdog_warnings(log)
        try:
            with caplog.at_level(logging.WARNING):
                warnings.warn_explicit(
                    "Callback with id '1' already exists",
                    RuntimeWarning,
                    any_watchdog_file.__file__,
                    631,
                )
                warnings.warn_explicit("someone else's", UserWarning, __file__, 1)
        finally:
            restore()
        warnings.warn_explicit("after", RuntimeWarning, any_watchdog_file.__file__, 1)
    records = [r.getMessage() for r in caplog.records]
    assert records == [
        "watchdog: Callback with id '1' already exists "
        "(RuntimeWarning at watchdog/observers/inotify.py:631)"
    ]
    assert shown == ["someone else's", "after"]
    assert capsys.readouterr().err == ""
