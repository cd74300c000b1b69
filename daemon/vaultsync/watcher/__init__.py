"""watchdog glue: one observer per vault, events filtered to the files a pass reads, sent to a
sink.

watchdog is imported only inside functions, so `vaultsync --help` stays fast.

The sink is called from watchdog's threads as `sink(vault_name, abs_path, kind)` with kind:
- "created", "modified" (also for close-after-write), "deleted": a candidate page;
- "moved": a page appeared at `abs_path` by a rename (the source, if it was a candidate page,
  gets its own "deleted" call first); these four are what `Coalescer.add` takes;
- "dir": a folder appeared, disappeared or moved at `abs_path`; rescan everything at or below
  it (pages of a folder moved out of the vault get no event of their own). Also sent with the
  root when watchdog says events were lost (its queue overflowed).
The sink must be quick and must not call back into the VaultWatcher (it would deadlock).
Events can be lost (queue overflow, a restart): keep a periodic reconcile pass.

The modules, each with one job:
- `watching.py`: `VaultWatcher`, one observer per vault, the fallback to polling, the health
  check;
- `events.py`: the events subscribed to, and each event turned into sink calls (`Handler`);
- `coverage.py`: is every folder watched? (the watch limit found in /proc/self/fdinfo);
- `observers.py`: one watchdog observer made, started, stopped; watchdog's warnings routed.
"""

from vaultsync.watcher.coverage import (
    COVERAGE_GRACE,
    COVERAGE_SECONDS,
    FolderId,
    vault_folders,
    watched_folders,
)
from vaultsync.watcher.events import Sink
from vaultsync.watcher.observers import route_watchdog_warnings
from vaultsync.watcher.watching import (
    DEFAULT_POLL_INTERVAL,
    HEALTH_FAILED,
    HEALTH_MISSING,
    HEALTH_RESTARTED,
    NATIVE,
    POLLING,
    RootSpec,
    VaultWatcher,
)

__all__ = [
    "COVERAGE_GRACE",
    "COVERAGE_SECONDS",
    "DEFAULT_POLL_INTERVAL",
    "HEALTH_FAILED",
    "HEALTH_MISSING",
    "HEALTH_RESTARTED",
    "NATIVE",
    "POLLING",
    "FolderId",
    "RootSpec",
    "Sink",
    "VaultWatcher",
    "route_watchdog_warnings",
    "vault_folders",
    "watched_folders",
]
