"""`vaultsync run`: watch the vaults and keep them clean until told to stop."""

from vaultsync.run.daemon import (
    CONFIG_CHECK_SECONDS,
    HEALTH_CHECK_SECONDS,
    RECENT_ERRORS,
    Daemon,
    LeftAloneSaid,
    Settings,
    log_report,
    record_report,
    run_daemon,
)

__all__ = [
    "CONFIG_CHECK_SECONDS",
    "HEALTH_CHECK_SECONDS",
    "RECENT_ERRORS",
    "Daemon",
    "LeftAloneSaid",
    "Settings",
    "log_report",
    "record_report",
    "run_daemon",
]
