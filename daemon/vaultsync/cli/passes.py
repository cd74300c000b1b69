"""The pass commands: `resync`, `check` and `demo`, and the summary or JSON they print."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from vaultsync.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    config_and_vaults,
    pass_options,
    warn_unmatched,
)
from vaultsync.cli.progress import PassProgress

if TYPE_CHECKING:
    from vaultsync.pipeline.report import PassOptions, PassReport
    from vaultsync.vault import Vault


def _run_passes(vaults: list[Vault], options: PassOptions, quiet: bool = False) -> list[PassReport]:
    from vaultsync.pipeline.passes import run_passes

    def progress(vault: Vault) -> PassProgress:
        return PassProgress(vault, quiet)

    reports = run_passes(vaults, options, on_wait=_say_waiting, progress=progress)
    warn_unmatched(reports)
    return reports


def _say_waiting(vault: Vault) -> None:
    """Why a writing pass waits: the vault's lock is held (by the daemon or another resync)."""
    from vaultsync.render import waiting_for_lock

    print(waiting_for_lock(vault.name), file=sys.stderr)


def print_summary(report: PassReport, out=None, diffs: bool = False, verbose: bool = False) -> None:
    """The end-of-pass summary (render.summary), coloured diffs on a terminal only."""
    from vaultsync.render import summary, use_colour

    out = out or sys.stdout
    out.write(summary(report, diffs=diffs, verbose=verbose, colour=use_colour(out)))


def _quiet_and_clean(report: PassReport) -> bool:
    # A page held after undo is no news for -q: the user put it back on purpose.
    skipped = [path for path, _reason in report.skipped if path not in report.held]
    return not (report.any_change or report.failed or skipped)


def _print_json(command: str, reports: list[PassReport], code: int, verbose: bool) -> None:
    import json

    from vaultsync.render import passes_json

    data = passes_json(command, reports, code, verbose)
    print(json.dumps(data, indent=2, ensure_ascii=False))


def cmd_resync(args: argparse.Namespace) -> int:
    loaded, vaults = config_and_vaults(args, remember=not args.dry_run)
    mode = "dry-run" if args.dry_run else "write"
    refused = _leased_elsewhere(vaults, loaded.config) if mode == "write" else set()
    vaults = [v for v in vaults if v.name not in refused]
    want_diff = args.diff and not args.json
    options = pass_options(loaded.config, mode, want_diff, args.verbose)
    reports = _run_passes(vaults, options, args.quiet or args.json)
    code = EXIT_FAILED if refused or any(r.failed for r in reports) else EXIT_OK
    if args.json:
        _print_json("resync", reports, code, args.verbose)
        return code
    for report in reports:
        if args.quiet and _quiet_and_clean(report):
            continue  # -q: a vault where nothing happened says nothing
        print_summary(report, diffs=args.diff, verbose=args.verbose)
    return code


def _leased_elsewhere(vaults: list[Vault], config) -> set[str]:
    """Vaults another machine's daemon cleans (lease.py): a resync here would conflict."""
    from vaultsync.lease import resync_refusal
    from vaultsync.render import refused_here
    from vaultsync.settings import state_dir

    refused = set()
    for vault in vaults:
        why = resync_refusal(vault.root, state_dir(config))
        if why:
            print(refused_here(vault.name, why), file=sys.stderr)
            refused.add(vault.name)
    return refused


def cmd_check(args: argparse.Namespace) -> int:
    loaded, vaults = config_and_vaults(args, remember=False)
    want_diff = args.diff and not args.json
    options = pass_options(loaded.config, "check", want_diff, args.verbose)
    reports = _run_passes(vaults, options, args.quiet or args.json)
    dirty = any(r.any_change or r.failed for r in reports)
    code = EXIT_FAILED if dirty else EXIT_OK
    if args.json:
        _print_json("check", reports, code, args.verbose)
        return code
    for report in reports:
        if not args.quiet or report.any_change or report.failed:
            print_summary(report, diffs=args.diff, verbose=args.verbose)
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from vaultsync import demo

    def show(report: PassReport) -> None:
        # The vault's header, then its diffs (coloured on a terminal), then the counts.
        print_summary(report, sys.stdout, diffs=True)

    return demo.run(once=args.once or not sys.stdout.isatty(), keep=args.keep, show=show)
