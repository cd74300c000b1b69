"""Event filtering and translation: which watchdog events a vault's observer subscribes to,
and how each one becomes a sink call `(vault name, absolute path, kind)` (see the package's
docstring for the kinds), for the files the vault's filter reports."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.ignore import PathFilter
from vaultsync.render.notes import note
from vaultsync.vault_settings import CONFIG_EDN

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent

Sink = Callable[[str, Path, str], None]


def event_filter() -> list[type[FileSystemEvent]]:
    """The watchdog event classes Handler acts on; every other kind is never even subscribed to.

    Without a filter, watchdog's inotify observer subscribes to every event it knows, IN_OPEN and
    IN_CLOSE_NOWRITE included: every page any program merely *reads* (our own passes, the echo
    check, the notes app indexing, backups) puts two events in the kernel queue (16,384 deep by
    default), and a burst of writes plus the reads it causes overflows it, losing events. From
    this list watchdog builds the inotify mask: IN_CREATE, IN_MOVED_FROM/TO, IN_DELETE,
    IN_DELETE_SELF, IN_MODIFY, IN_ATTRIB (it comes with FileModifiedEvent) and IN_CLOSE_WRITE,
    never IN_OPEN, IN_ACCESS or IN_CLOSE_NOWRITE. Other observers (polling, FSEvents, Windows)
    apply the same list to the events they produce, which only drops ones Handler ignores.
    Keep it in step with Handler._dispatch (tests/test_watcher.py checks both ways).
    """
    from watchdog.events import (
        DirCreatedEvent,
        DirDeletedEvent,
        DirMovedEvent,
        FileClosedEvent,
        FileCreatedEvent,
        FileDeletedEvent,
        FileModifiedEvent,
        FileMovedEvent,
    )

    kinds: list[type[FileSystemEvent]] = [
        FileCreatedEvent,
        FileModifiedEvent,
        FileDeletedEvent,
        FileMovedEvent,
        FileClosedEvent,  # close after write: Linux only, the cleanest "save finished"
        DirCreatedEvent,
        DirDeletedEvent,
        DirMovedEvent,
    ]
    lost = events_lost_class()
    if lost is not None:
        kinds.append(lost)
    return kinds


def events_lost_class() -> type[FileSystemEvent] | None:
    """watchdog 7's public "the kernel queue overflowed, rescan" event; None before it existed
    (the daemon then learns of an overflow from watchdog's log)."""
    from watchdog import events

    return getattr(events, "EventsLostEvent", None)


class Handler:
    """Turns watchdog events of one vault into sink calls (duck-typed watchdog handler)."""

    def __init__(self, name: str, root: Path, flt: PathFilter, sink: Sink, log: logging.Logger):
        self.name = name
        self.root = os.path.abspath(root)
        self.filter = flt  # swapped in place by VaultWatcher.update when only the filter changes
        self.sink = sink
        self.log = log
        self.active = True
        self.saw_folder = False  # a folder event arrived: VaultWatcher checks the watches again

    def dispatch(self, event: FileSystemEvent) -> None:
        if not self.active:
            return
        try:
            self._dispatch(event)
        except Exception:
            # An exception here would kill the observer thread and silently end the watch.
            self.log.exception("%s", note("event not handled", vault=self.name, event=event))

    def _dispatch(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind == "events_lost":  # the kernel dropped events: rescan the whole vault
            self.saw_folder = True  # watchdog rebuilt its watches, which the limit can stop
            self.sink(self.name, Path(self.root), "dir")
            return
        src = os.fsdecode(event.src_path) if event.src_path else ""
        if event.is_directory:
            if kind in ("created", "deleted"):
                self._emit_dir(src)
            elif kind == "moved":
                self._emit_dir(src)
                self._emit_dir(os.fsdecode(event.dest_path) if event.dest_path else "")
            return  # directory modified/attrib: its files report for themselves
        if kind == "moved":
            self._emit_file(src, "deleted")
            self._emit_file(os.fsdecode(event.dest_path) if event.dest_path else "", "moved")
        elif kind in ("created", "modified", "deleted"):
            self._emit_file(src, kind)
        elif kind == "closed":  # close after write (Linux only): the cleanest "save finished"
            self._emit_file(src, "modified")
        # opened, closed_no_write, attrib: the bytes did not change

    def _relative(self, path: str) -> str | None:
        root = self.root
        if not path.startswith(root) or path[len(root) : len(root) + 1] != os.sep:
            return None  # the root itself, or outside it
        rel = path[len(root) + 1 :]
        return rel.replace(os.sep, "/") if os.sep != "/" else rel

    def _emit_file(self, path: str, kind: str) -> None:
        rel = self._relative(path) if path else None
        # Logseq's settings file too, which no pass reads as a page: the daemon follows it.
        if rel is not None and (self.filter.matches(rel) or rel == CONFIG_EDN):
            self.sink(self.name, Path(path), kind)

    def _emit_dir(self, path: str) -> None:
        rel = self._relative(path) if path else None
        if rel is not None and not self.filter.dir_excluded(rel):
            self.saw_folder = True
            self.sink(self.name, Path(path), "dir")
