"""A vault's lease in words (lease.py hands up typed values): who holds it (`lease_holder`),
who cleans the vault for `status` (`who_cleans`), and why `resync` leaves a vault to another
machine's daemon (`refused_here`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vaultsync.lease import Cleaner, Lease, Refusal


def _when(t: float) -> str:
    """A lease's time as the lease file holds it (UTC, to the second)."""
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def lease_holder(lease: Lease) -> str:
    """The machine holding `lease`: its host name and the start of its random id."""
    return f"{lease.host} (machine {lease.machine[:8]})"


# Who cleans a vault, by the lease's state on this machine (lease.py's HOLDING, CLAIMING, STANDBY,
# OFF, NOBODY): {host} this machine's name; {holder} and {until} the lease held, here or there.
_CLEANERS = {
    "off": "this machine (lease off)",
    "holding": "this machine ({host}; lease until {until})",
    "claiming": "this machine, once its claim settles ({host})",
    "standby": "{holder}; standing by until its lease ends ({until})",
    "nobody": "nobody yet",
}


def who_cleans(cleaner: Cleaner | None) -> str:
    """Who cleans a vault, for `vaultsync status` (None: the daemon keeps no lease on it)."""
    if cleaner is None:
        return "this machine"
    lease = cleaner.lease
    return _CLEANERS[cleaner.state].format(
        host=cleaner.host,
        holder="" if lease is None else lease_holder(lease),
        until="" if lease is None else _when(lease.expires),
    )


def refused_here(vault: str, why: Refusal) -> str:
    """A vault `resync` leaves to another machine's daemon (lease.resync_refusal)."""
    lease = why.holder
    same_host = (
        "; that host name is this computer's: is a daemon running with another state folder?"
    )
    return (
        f"vaultsync: {vault}: not cleaned here: {lease_holder(lease)} cleans this vault: its "
        f"daemon holds the lease until {_when(lease.expires)}. Run the resync there, or stop "
        "that daemon and run it here once your sync tool has carried its release (or the lease "
        "has ended)" + (same_host if why.same_host else "")
    )
