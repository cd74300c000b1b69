"""`vaultsync authors`: each author of a vault, its page, other names and sources."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from vaultsync.cli.common import EXIT_OK, config_and_vaults, pass_options

if TYPE_CHECKING:
    from vaultsync.pipeline.report import PassOptions
    from vaultsync.vault import Vault


def _authors_data(vault: Vault, options: PassOptions) -> dict:
    """Each author of one vault as data: canonical page, other names, handles, sources."""
    from vaultsync.core.byline import likely_duplicates, page_key
    from vaultsync.pipeline.session import VaultSession

    session = VaultSession(vault, options)
    session.full_pass()
    authors = sorted(session.plan.authors.values(), key=lambda a: a.name.casefold())
    rows = []
    for author in authors:
        key = page_key(vault.kind, author.name)
        page = session.index.names.get(key) if key else None
        # A dry pass names the pages it would create: only a file on disk is a page.
        exists = page is not None and page.exists()
        rows.append(
            {
                "name": author.name,
                "page": page.relative_to(vault.root).as_posix() if exists else None,
                "aliases": sorted(author.aliases, key=str.casefold),
                "handles": sorted(author.handles),
                "sources": sorted({s.link for s in author.sources if s.link}),
            }
        )
    return {
        "vault": vault.name,
        "authors": rows,
        "likely_duplicates": [list(pair) for pair in likely_duplicates(authors)],
    }


def cmd_authors(args: argparse.Namespace) -> int:
    """List each author: canonical page, other names, sources; flag likely duplicates."""
    from vaultsync.render import authors_lines

    loaded, vaults = config_and_vaults(args)
    options = pass_options(loaded.config, "check", False)
    found = [_authors_data(vault, options) for vault in vaults]
    if args.json:
        import json

        from vaultsync.render import JSON_VERSION

        print(json.dumps({"version": JSON_VERSION, "vaults": found}, indent=2, ensure_ascii=False))
        return EXIT_OK
    for data in found:
        for line in authors_lines(data):
            print(line)
    return EXIT_OK
