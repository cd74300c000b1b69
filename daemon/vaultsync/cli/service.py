"""`vaultsync service`: install, print or remove the background service."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vaultsync.cli.common import EXIT_OK, loaded_config


def cmd_service(args: argparse.Namespace) -> int:
    from vaultsync import service
    from vaultsync.render import (
        service_installed,
        service_needs_config,
        service_start,
        service_stop_first,
        service_uninstalled,
        service_would_write,
    )
    from vaultsync.settings import state_dir

    if args.action == "uninstall":
        removed = service.uninstall()
        if removed is None:
            print(service_uninstalled(None, ""))
        else:
            print(service_uninstalled(removed.path, service_stop_first(removed)))
        return EXIT_OK
    loaded = loaded_config(args)
    if not loaded.path.exists():
        from vaultsync.errors import UsageError

        raise UsageError(service_needs_config(loaded.path))
    roots = [Path(v.path).expanduser().resolve() for v in loaded.config.vaults]
    if args.print:
        unit, text = service.service_file(loaded.path.resolve(), roots, state_dir(loaded.config))
        # The file's text alone on stdout (`> file` gives the unit); where it goes on stderr.
        print(service_would_write(unit.path), file=sys.stderr)
        sys.stdout.write(text)
        return EXIT_OK
    written = service.install(
        loaded.path.resolve(), roots, state_dir(loaded.config), force=args.force
    )
    print(service_installed(written.path, service_start(written)))
    return EXIT_OK
