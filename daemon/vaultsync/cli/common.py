"""What several commands share: loading the config, selecting the vaults, pass options, warnings
on stderr, the history store, and the exit codes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vaultsync.pipeline.report import PassOptions, PassReport
    from vaultsync.vault import Vault

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_NOT_RUNNING = 3  # `status` with no daemon, as `systemctl is-active` says "inactive"


def loaded_config(args: argparse.Namespace):
    from vaultsync.config import load_config

    return load_config(Path(args.config) if args.config else None)


def config_and_vaults(
    args: argparse.Namespace, remember: bool | None = None
) -> tuple[object, list[Vault]]:
    """The config and the vaults a command works on. `remember` (the pass commands): use the
    validated config the last `resync` kept when it still holds (no pydantic, no YAML), and
    when True keep this one for the next command."""
    from vaultsync.vault import select_vaults

    if remember is None:
        loaded = loaded_config(args)
    else:
        from vaultsync import configcache

        loaded = configcache.load(Path(args.config) if args.config else None, remember)
    return loaded, select_vaults(loaded.config.vaults, args.vault or [], args.kind, warn=warn)


def warn(message: str) -> None:
    """A warning on stderr: the command goes on (stdout stays the results, --json included)."""
    from vaultsync.render import warning

    print(warning(message), file=sys.stderr)


def warn_unmatched(reports: list[PassReport]) -> None:
    """A vault whose include/exclude let no page through passes "successfully" with nothing
    done; say why (vault.filter_problem)."""
    from vaultsync.render import filter_problem as filter_words
    from vaultsync.vault import filter_problem

    for report in reports:
        if report.scanned == 0:
            problem = filter_problem(report.vault)
            if problem:
                warn(filter_words(problem))


def pass_options(config, mode: str, want_diff: bool, verbose: bool = False) -> PassOptions:
    from vaultsync.settings import options_from_config

    options = options_from_config(config, mode, want_diff)
    options.list_pages = verbose  # -v: the walk notes what each page is
    return options


def state_config(args: argparse.Namespace):
    """The config, for commands that need only its state and history settings (status,
    history, undo). When the file does not validate as a whole (say a vault's folder is on a
    drive that is not plugged in), its `state_dir` and `history` keys are still used, and the
    problem is printed as a warning."""
    import yaml
    from pydantic import ValidationError

    from vaultsync.config import Config
    from vaultsync.errors import ConfigError

    try:
        return loaded_config(args).config
    except ConfigError as err:
        if err.path is None:
            raise
        try:
            data = yaml.safe_load(err.path.read_bytes())
            if not isinstance(data, dict):
                raise err from None
            wanted = {k: data[k] for k in ("state_dir", "history") if k in data}
            config = Config.model_validate(
                wanted, context={"config_dir": err.path.absolute().parent}
            )
        except (OSError, yaml.YAMLError, ValidationError):
            raise err from None
        from vaultsync.render import warning

        print(warning(err), file=sys.stderr)
        return config


def history_store(args: argparse.Namespace, cfg=None):
    from vaultsync.history import History
    from vaultsync.settings import state_dir

    cfg = cfg if cfg is not None else state_config(args)
    return History(
        state_dir(cfg) / "history",
        keep_versions=cfg.history.keep_versions,
        max_total_bytes=int(cfg.history.max_total_mb * 2**20),
    )
