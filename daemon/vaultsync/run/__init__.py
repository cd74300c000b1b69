"""`vaultsync run`: watch the vaults and keep them clean until told to stop.

One thread (the loop's) does all the work; watchdog's threads only put events on a queue. Events
are coalesced per path, then handed to the same VaultSession code `resync` uses. A start-up pass
catches up with what changed while the daemon was off, and a periodic reconcile pass covers
events the kernel may have dropped.

The modules, each with one job:
- `daemon.py`: the main loop (`Daemon`, `run_daemon`), the health check and the config reload;
- `vaults.py`: one vault's passes and updates, under its lock and lease (`VaultRun`);
- `schedule.py`: when each periodic job is due, and how long the loop may wait;
- `control.py`: the inbox: the event queue, stop/reload requests, signals, overflow alarm;
- `status.py`: the status file, a pass's log lines and activity-log entries.
"""

from vaultsync.run.daemon import Daemon, Settings, run_daemon
from vaultsync.run.schedule import CONFIG_CHECK_SECONDS, HEALTH_CHECK_SECONDS
from vaultsync.run.status import RECENT_ERRORS, LeftAloneSaid, log_report, record_report

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
