"""watchdog glue: one observer per vault, events filtered to the files a pass reads."""

from vaultsync.watcher.watching import (
    COVERAGE_GRACE,
    COVERAGE_SECONDS,
    DEFAULT_POLL_INTERVAL,
    HEALTH_FAILED,
    HEALTH_MISSING,
    HEALTH_RESTARTED,
    NATIVE,
    POLLING,
    FolderId,
    RootSpec,
    Sink,
    VaultWatcher,
    route_watchdog_warnings,
    vault_folders,
    watched_folders,
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
