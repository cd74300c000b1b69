"""The `vaultsync` command: argument parsing, then one call into the library per subcommand.

Heavy modules are imported inside the commands so that `vaultsync --help` starts fast. Every
error a user can cause is a VaultsyncError; `main.report_error` is the one place that prints
them. What a command prints is worded by `vaultsync.render`.

One module per job: `parser` (the commands and their options), `main` (the entry point and the
one place errors become messages), `common` (config, vault selection, warnings, exit codes),
`progress` (the progress line), and a module per group of commands: `passes` (resync, check,
demo), `config`, `daemon` (run, status, log, stop, reload), `history` (history, undo,
release), `service`, `authors`. This module re-exports what callers use
(`vaultsync.cli:main` is the installed script's entry point).
"""

from vaultsync.cli.common import EXIT_FAILED, EXIT_NOT_RUNNING, EXIT_OK, EXIT_USAGE
from vaultsync.cli.main import main, report_error
from vaultsync.cli.parser import build_parser
from vaultsync.cli.passes import print_summary

__all__ = [
    "EXIT_FAILED",
    "EXIT_NOT_RUNNING",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "main",
    "print_summary",
    "report_error",
]
