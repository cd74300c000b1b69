"""`vaultsync demo`: clean a copy of the bundled sample vaults and show what changed."""

from __future__ import annotations

import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.render import demo_copied, demo_watching
from vaultsync.writer import copy_folder, make_folders, remove_private_tree

if TYPE_CHECKING:
    from collections.abc import Callable

    from vaultsync.pipeline.report import PassReport

SAMPLES = ("logseq", "obsidian")


def copy_samples(dest: Path) -> list[Path]:
    """Copy the bundled Logseq graph and Obsidian vault into `dest`; returns their folders."""
    source = resources.files("vaultsync.samples")
    out = []
    for name in SAMPLES:
        with resources.as_file(source / name) as folder:
            target = dest / name
            copy_folder(folder, target)
            out.append(target)
    return out


def run(
    once: bool = True, keep: str | None = None, show: Callable[[PassReport], None] | None = None
) -> int:
    """Copy, clean with diffs, summarize (with `show`, the CLI's summary); then keep watching
    unless `once`."""
    from vaultsync.config import Config
    from vaultsync.pipeline.passes import run_passes
    from vaultsync.pipeline.report import PassOptions
    from vaultsync.vault import make_vault

    if keep:
        base = Path(keep).expanduser()
        taken = [base / name for name in SAMPLES if (base / name).exists()]
        if taken:
            from vaultsync.errors import DemoFolderTaken

            raise DemoFolderTaken(taken[0])
        make_folders(base)
    else:
        base = Path(tempfile.mkdtemp(prefix="vaultsync-demo-"))
    folders = copy_samples(base)
    vaults = [make_vault(folder) for folder in folders]
    print(demo_copied(base))
    options = PassOptions(
        mode="write",
        want_diff=True,
        authors_folder=Config().authors.folder,
        state_dir=base / "state",
    )
    reports = run_passes(vaults, options)
    for report in reports:
        if show is not None:
            show(report)  # the CLI's summary: header, diffs, counts
        else:
            sys.stdout.write("".join(report.diffs))
        print()
    failed = any(r.failed for r in reports)
    if once:
        if not keep:
            remove_private_tree(base)
        return 1 if failed else 0
    from vaultsync.run import run_daemon

    print(demo_watching(base, folders[0] / "pages", folders[1] / "Readwise"))
    import logging

    if not logging.getLogger().handlers:  # else only warnings would show: say what it cleans
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%X")
    try:
        # Its own state folder beside the copies: the demo never meets a daemon you already run.
        return run_daemon(vaults, options, state_dir=base / "state")
    finally:
        if not keep:  # as with --once: a temporary copy does not outlive the demo
            remove_private_tree(base)
