"""Earlier versions of pages: `history`, `undo`, `release`, and the page a user names."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from vaultsync.cli.common import EXIT_OK, history_store, state_config


def _page_arg(history, typed: str) -> Path:
    """The page `typed` names: a path (absolute, or relative to here), or as a user names a
    page (see History.find). One match or an error that says what to type."""
    from vaultsync.errors import NoHistory, UsageError

    as_path = Path(typed).expanduser().resolve()
    if as_path.is_file() or history.versions(as_path) or history.restored_hash(as_path):
        return as_path
    found = history.find(typed)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NoHistory(as_path if os.sep in typed or typed.endswith(".md") else Path(typed))
    from vaultsync.render import ambiguous_page

    raise UsageError(ambiguous_page(typed, found))


def cmd_history(args: argparse.Namespace) -> int:
    history = history_store(args)
    if args.path is None:
        return _list_history(history)
    path = _page_arg(history, args.path)
    versions = history.versions(path)
    if not versions:
        from vaultsync.errors import NoHistory

        raise NoHistory(path)
    from vaultsync.render import history_lines

    for line in history_lines(path, versions, history.is_held(path)):
        print(line)
    return EXIT_OK


def _list_history(history) -> int:
    """`history` with no page: every page with history, its versions, the newest one's time,
    and whether it is held after undo."""
    from vaultsync.render import history_list

    entries = history.entries()
    held = {entry.path for entry in entries if history.is_held(entry.path)}
    for line in history_list(entries, held):
        print(line)
    return EXIT_OK


def cmd_release(args: argparse.Namespace) -> int:
    """Let pages held after undo be cleaned again."""
    from vaultsync.render import not_held, released

    history = history_store(args)
    for typed in args.pages:
        path = _page_arg(history, typed)
        if history.release(path):
            print(released(path))
        else:
            # Not an error: releasing twice leaves the page as releasing once does.
            print(not_held(path), file=sys.stderr)
    return EXIT_OK


def _vault_root_of(path: Path, configured) -> Path:
    for v in configured:
        root = Path(v.path).expanduser().resolve()
        if path.is_relative_to(root):
            return root
    from vaultsync.vault import detect_kind

    for parent in path.parents:
        if detect_kind(parent).is_vault:
            return parent
    from vaultsync.errors import UsageError
    from vaultsync.render import not_in_a_vault

    raise UsageError(not_in_a_vault(path))


def cmd_undo(args: argparse.Namespace) -> int:
    from vaultsync.history import undo
    from vaultsync.settings import state_dir

    cfg = state_config(args)
    history = history_store(args, cfg)
    path = _page_arg(history, args.path)

    def vault_root() -> Path:
        return _vault_root_of(path, cfg.vaults)

    done = undo(history, path, args.version, vault_root, state_dir(cfg), dry_run=args.dry_run)
    from vaultsync.render import restored

    print(restored(done, path, dry_run=args.dry_run))
    return EXIT_OK
