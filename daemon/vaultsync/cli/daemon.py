"""The daemon and the commands that talk to it: `run`, `status`, `log`, `stop`, `reload`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from vaultsync.cli.common import EXIT_FAILED, EXIT_NOT_RUNNING, EXIT_OK, state_config


def _setup_logging(args: argparse.Namespace, state: Path | None) -> None:
    """The daemon's log: journald under systemd, the terminal, or stderr plus a rotating file in
    the state folder (see vaultsync.logs)."""
    import logging

    from vaultsync.logs import handlers_for

    level = logging.WARNING if args.quiet else logging.INFO
    # A unit file or launchd does not expand "~".
    log_file = Path(args.log_file).expanduser() if args.log_file else None
    handlers = handlers_for(log_file=log_file, state_dir=state)
    logging.basicConfig(level=level, handlers=handlers, force=True)
    if args.verbose:
        # Our own details only: watchdog's debug output is several lines per file opened.
        logging.getLogger("vaultsync").setLevel(logging.DEBUG)


def cmd_run(args: argparse.Namespace) -> int:
    from vaultsync.config import load_config
    from vaultsync.run import Settings, run_daemon
    from vaultsync.settings import options_from_config, state_dir
    from vaultsync.vault import select_vaults

    loaded = load_config(Path(args.config) if args.config else None)
    _setup_logging(args, state_dir(loaded.config))

    def load():
        import logging

        fresh = load_config(loaded.path)
        cfg = fresh.config
        # A vault whose folder is missing is waited for (Daemon._check_waiting), not an error.
        waiting: list = []
        warn = logging.getLogger("vaultsync").warning
        vaults = select_vaults(cfg.vaults, [], None, warn, waiting) if cfg.vaults else []
        settings = Settings(
            options=options_from_config(cfg),
            quiet_period=cfg.daemon.quiet_period,
            max_delay=cfg.daemon.max_delay,
            reconcile_interval=cfg.daemon.reconcile_interval,
            waiting=waiting,
        )
        return vaults, settings

    vaults, settings = load()
    if not vaults and not settings.waiting:
        import logging

        from vaultsync.render import daemon_line

        logging.getLogger("vaultsync").warning("%s", daemon_line("no vaults", path=loaded.path))
    return run_daemon(
        vaults,
        settings.options,
        state_dir=state_dir(loaded.config),
        config_path=loaded.path,
        load=load,
        settings=settings,
    )


STATUS_ACTIONS = 10  # the daemon's last actions `status` shows


def _status_data(args: argparse.Namespace) -> dict:
    """What `status` shows, as data: the daemon (from its lock), its log, the last status file."""
    import json

    from vaultsync.activity import recent
    from vaultsync.locks import running_pid
    from vaultsync.logs import log_file_path
    from vaultsync.settings import state_dir

    state = state_dir(state_config(args))
    pid = running_pid(state)
    log = log_file_path(state)
    try:
        recorded = json.loads((state / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    return {
        "running": pid is not None,
        # -1: it holds the lock but has not written its pid yet (it is just starting).
        "pid": pid if pid is not None and pid > 0 else None,
        "state_dir": str(state),
        "log": str(log) if log.is_file() else None,
        "vaults": (recorded or {}).get("vaults") or {},
        "recent_errors": (recorded or {}).get("recent_errors") or [],
        "recorded": recorded is not None,
        # The daemon's last actions, newest first (the activity log, vaultsync.activity).
        "actions": recent(state, STATUS_ACTIONS)[::-1],
    }


def cmd_status(args: argparse.Namespace) -> int:
    data = _status_data(args)
    code = EXIT_OK if data["running"] else EXIT_NOT_RUNNING
    if args.json:
        import json

        from vaultsync.render import JSON_VERSION

        print(json.dumps({"version": JSON_VERSION, **data}, indent=2, ensure_ascii=False))
        return code
    from vaultsync.render import status_lines

    for line in status_lines(data):
        print(line)
    return code


def cmd_log(args: argparse.Namespace) -> int:
    """The daemon's activity log: the last N entries, then (with -f) each new one."""
    from vaultsync.activity import tail
    from vaultsync.render import describe_entry, no_activity
    from vaultsync.settings import state_dir

    state = state_dir(state_config(args))
    shown, following = tail(state, args.lines)
    for entry in shown:
        print(describe_entry(entry), flush=True)
    if not args.follow:
        if not shown:
            print(no_activity(state), file=sys.stderr)
        return EXIT_OK
    try:
        for entry in following:
            print(describe_entry(entry), flush=True)
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


def _signal_daemon(args: argparse.Namespace, signum: int, action: str) -> int:
    """Send the running daemon a signal (`stop`: SIGTERM, `reload`: SIGHUP)."""
    from vaultsync.locks import running_pid
    from vaultsync.render import daemon_of_another_user, daemon_state, signalled
    from vaultsync.settings import state_dir

    state = state_dir(state_config(args))
    pid = running_pid(state)
    if pid is None:
        print(daemon_state("not running", state=state), file=sys.stderr)
        return EXIT_NOT_RUNNING
    if pid < 0:
        print(daemon_state("starting"), file=sys.stderr)
        return EXIT_FAILED
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        print(daemon_state("exited", pid=pid), file=sys.stderr)
        return EXIT_NOT_RUNNING
    except PermissionError:
        from vaultsync.errors import UsageError

        raise UsageError(daemon_of_another_user(pid)) from None
    print(signalled(action, pid))
    return EXIT_OK


def cmd_stop(args: argparse.Namespace) -> int:
    import signal

    return _signal_daemon(args, signal.SIGTERM, "stop")


def cmd_reload(args: argparse.Namespace) -> int:
    import signal

    return _signal_daemon(args, signal.SIGHUP, "reload")
