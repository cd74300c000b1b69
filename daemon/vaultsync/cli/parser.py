"""The argument parser: every command, its options and its help; `completion` is made from it."""

from __future__ import annotations

import argparse

from vaultsync import __version__
from vaultsync.cli.authors import cmd_authors
from vaultsync.cli.common import EXIT_OK, EXIT_USAGE
from vaultsync.cli.config import (
    cmd_config_explain,
    cmd_config_init,
    cmd_config_schema,
    cmd_config_validate,
)
from vaultsync.cli.daemon import cmd_log, cmd_reload, cmd_run, cmd_status, cmd_stop
from vaultsync.cli.history import cmd_history, cmd_release, cmd_undo
from vaultsync.cli.passes import cmd_check, cmd_demo, cmd_resync
from vaultsync.cli.service import cmd_service


def _command(sub, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand whose one-line help is also its `--help` description."""
    return sub.add_parser(name, help=text, description=text)


def _selection(p: argparse.ArgumentParser, *, passes: bool = True) -> None:
    p.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: $VAULTSYNC_CONFIG or "
        "the user config folder, ~/.config/vaultsync/config.yaml on Linux)",
    )
    p.add_argument(
        "--vault",
        metavar="PATH_OR_NAME",
        action="append",
        help="work on this vault only: a configured name or path, or any folder "
        "(used with defaults); repeatable. Default: every configured vault",
    )
    p.add_argument(
        "--kind",
        choices=["logseq", "obsidian"],
        help="the vault's kind, when it cannot be detected",
    )
    if not passes:
        return
    p.add_argument("--diff", action="store_true", help="show a unified diff of every change")
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar, and nothing for a vault where nothing changed",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also list each page left as it was, with why (not a Readwise page, nothing "
        "to change, …)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the results as JSON (the shape is in docs/scripting.md)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaultsync",
        description="Keeps the Readwise pages in Logseq graphs and Obsidian vaults clean: each "
        "highlight once, in thread or location order, readable, linked to its author.",
        epilog="Exit codes: 0 done, 1 a page failed or `check` found changes, 2 usage or "
        "config error.",
    )
    parser.add_argument("--version", action="version", version=f"vaultsync {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = _command(sub, "resync", "one pass over the vaults: clean every Readwise page now")
    _selection(p)
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would change; write nothing (history included)",
    )
    p.set_defaults(func=cmd_resync)

    p = _command(sub, "check", "exit 1 when any page would change, 0 when all are clean")
    _selection(p)
    p.set_defaults(func=cmd_check)

    p = _command(sub, "demo", "clean a copy of the bundled sample vaults and show the diff")
    p.add_argument(
        "--once",
        action="store_true",
        help="exit after the first pass (the default when output is not a terminal)",
    )
    p.add_argument(
        "--keep",
        metavar="DIR",
        help="copy the samples here instead of a temporary folder, and keep them",
    )
    p.set_defaults(func=cmd_demo)

    p = _command(sub, "run", "watch the configured vaults and keep them clean (the daemon)")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every event and pass")
    p.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors")
    p.add_argument("--log-file", metavar="FILE", help="also append the log to FILE")
    p.set_defaults(func=cmd_run)

    p = _command(sub, "status", "is the daemon running; vaults watched, last passes, errors")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.add_argument("--json", action="store_true", help="print it as JSON (docs/scripting.md)")
    p.set_defaults(func=cmd_status)

    p = _command(sub, "log", "the daemon's activity: each page it cleaned or failed, and when")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.add_argument(
        "-n", "--lines", type=int, default=20, metavar="N", help="show the last N (default 20)"
    )
    p.add_argument(
        "-f", "--follow", action="store_true", help="then show each new entry as it comes"
    )
    p.set_defaults(func=cmd_log)

    p = _command(sub, "stop", "stop the running daemon (SIGTERM: it finishes the page in hand)")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_stop)

    p = _command(sub, "reload", "make the running daemon read its config again now (SIGHUP)")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_reload)

    p = _command(
        sub, "history", "list the pages with earlier versions kept, or one page's versions"
    )
    p.add_argument(
        "path",
        nargs="?",
        metavar="PAGE",
        help="a page: its name as you type it in the app (case ignored) or its path; "
        "none: every page with history",
    )
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_history)

    p = _command(sub, "undo", "restore an earlier version of a page")
    p.add_argument("path", metavar="PAGE", help="a page: its name or its path")
    p.add_argument(
        "--version",
        type=int,
        default=1,
        metavar="N",
        help="which version (1 = the newest; see `vaultsync history PATH`)",
    )
    p.add_argument("--dry-run", action="store_true", help="say what would be restored")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_undo)

    p = _command(sub, "release", "let pages held after `undo` be cleaned again")
    p.add_argument("pages", nargs="+", metavar="PAGE", help="a page: its name or its path")
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_release)

    p = _command(sub, "service", "install or remove the background service (systemd/launchd)")
    p.add_argument("action", choices=["install", "uninstall"])
    p.add_argument("--force", action="store_true", help="overwrite an existing unit")
    p.add_argument(
        "--print",
        action="store_true",
        help="install: print the unit (or launchd agent) instead of writing it",
    )
    p.add_argument("--config", metavar="FILE", help="config file (default: the usual location)")
    p.set_defaults(func=cmd_service)

    p = _command(sub, "authors", "list authors, their pages, other names and sources")
    _selection(p, passes=False)
    p.add_argument("--json", action="store_true", help="print it as JSON (docs/scripting.md)")
    p.set_defaults(func=cmd_authors)

    p = _command(sub, "completion", "print a shell completion script (bash, zsh or tcsh)")
    p.add_argument("shell", choices=["bash", "zsh", "tcsh"])
    p.set_defaults(func=cmd_completion)

    p = _command(sub, "config", "validate, explain or create the config file")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    c = _command(csub, "validate", "check a config file; says what is wrong and where")
    c.add_argument("file", nargs="?", help="default: the usual config location")
    c.set_defaults(func=cmd_config_validate)
    c = _command(csub, "explain", "print every setting: its current value and what it means")
    c.add_argument("file", nargs="?", help="default: the usual config location")
    c.set_defaults(func=cmd_config_explain)
    c = _command(csub, "schema", "print the config's JSON Schema (for editor completion)")
    c.set_defaults(func=cmd_config_schema)
    c = _command(csub, "init", "write a commented config (never overwrites without --force)")
    c.add_argument("file", nargs="?", help="default: the usual config location")
    c.add_argument("--force", action="store_true", help="overwrite an existing file")
    c.set_defaults(func=cmd_config_init)
    p.set_defaults(func=lambda a: (p.print_help(), EXIT_USAGE)[1])
    return parser


def cmd_completion(args: argparse.Namespace) -> int:
    """A shell completion script, made from the parser itself by shtab (so it never drifts from
    the commands and options)."""
    import shtab

    print(shtab.complete(build_parser(), shell=args.shell))
    return EXIT_OK
