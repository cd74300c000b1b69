"""`vaultsync`'s entry point: parse the arguments, run the command, and the one place where an
error becomes a CLI message and an exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from vaultsync.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from vaultsync.cli.parser import build_parser
from vaultsync.errors import VaultsyncError


def report_error(err: BaseException) -> int:
    """Print an error the user can act on (or a short bug notice) and return the exit code:
    the one place an error becomes a CLI message (its words: render.cli_error)."""
    from vaultsync.logs import print_error
    from vaultsync.render import cli_error

    print_error(cli_error(err))
    if isinstance(err, VaultsyncError):
        return err.exit_code
    if isinstance(err, KeyboardInterrupt):
        return 130
    return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except BaseException as err:  # the one place errors become messages
        if isinstance(err, SystemExit):
            raise
        if os.environ.get("VAULTSYNC_DEBUG") and not isinstance(err, VaultsyncError):
            raise
        return report_error(err)


def _reader_went_away() -> int:
    """`vaultsync status | head -3`: the reader closed the pipe; that is not an error. Python's
    last flush of stdout at exit would fail again, so stdout is pointed at /dev/null first."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return EXIT_OK
