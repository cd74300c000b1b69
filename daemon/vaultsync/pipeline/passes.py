"""The one-off passes: `resync`, `check` and `demo` run one full pass per vault, a writing pass
under the vault's lock (shared with the daemon, so the two never write at once)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from vaultsync.locks import vault_lock
from vaultsync.paths import default_state_dir
from vaultsync.pipeline.report import PassOptions, PassReport
from vaultsync.pipeline.session import VaultSession
from vaultsync.vault import Vault
from vaultsync.writer import VaultGuard


def run_pass(
    vault: Vault,
    options: PassOptions | None = None,
    guard: VaultGuard | None = None,
    progress: Callable[..., None] | None = None,
) -> PassReport:
    """One full pass over a vault: Readwise pages cleaned, author pages kept up to date."""
    session = VaultSession(vault, options, guard)
    session.one_off = True
    return session.full_pass(progress)


# The progress display of one vault's pass: entered around the pass, it gives the callback the
# pass reports its progress to (or None: none shown).
Progress = Callable[[Vault], AbstractContextManager[Callable[..., None] | None]]


def run_passes(
    vaults: list[Vault],
    options: PassOptions,
    *,
    on_wait: Callable[[Vault], None] | None = None,
    progress: Progress | None = None,
) -> list[PassReport]:
    """A full pass over each vault in turn, under one guard over them all. A writing pass holds
    the vault's lock (shared with the daemon, so the two never write at once); `on_wait` is
    called if it must wait for it."""
    guard = VaultGuard([v.root for v in vaults])
    reports = []
    for vault in vaults:
        shown = progress(vault) if progress is not None else nullcontext()
        with _writing_lock(vault, options, on_wait), shown as tick:
            reports.append(run_pass(vault, options, guard, progress=tick))
    return reports


def _writing_lock(
    vault: Vault, options: PassOptions, on_wait: Callable[[Vault], None] | None
) -> AbstractContextManager[object]:
    if options.mode != "write":
        return nullcontext()
    waiting = (lambda: on_wait(vault)) if on_wait is not None else None
    return vault_lock(options.state_dir or default_state_dir(), vault.root, on_wait=waiting)
