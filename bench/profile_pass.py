#!/usr/bin/env python3
"""Profile one vaultsync command under cProfile and write a short text summary.

    python bench/profile_pass.py OUT.txt -- resync --vault /tmp/copy -q
    python bench/profile_pass.py OUT.txt --check-cold VAULT   # `check` of VAULT, no cache
    python bench/profile_pass.py OUT.txt --phase1 VAULT       # phase 1 of that check alone

The summary holds the wall time, the top entries by cumulative time (what a call and everything
it calls cost) and by own time (where the CPU actually goes). Run it on a fresh copy of a
generated vault for the cold pass (bench/generate.py); the committed summaries are under
bench/profiles/ and quoted in docs/performance.md. Standard library only.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", help="the summary file to write")
    p.add_argument("--top", type=int, default=30, help="entries per table (30)")
    p.add_argument("--check-cold", metavar="VAULT", help="profile `check --vault VAULT`")
    p.add_argument(
        "--phase1",
        metavar="VAULT",
        help="profile phase 1 of a cold check of VAULT alone (read, classify, hash, names),"
        " in the process, after one unprofiled run (page cache warm)",
    )
    p.add_argument("argv", nargs="*", help="the vaultsync command line (after --)")
    args = p.parse_args()
    if args.phase1:
        return phase1(Path(args.phase1), Path(args.out), args.top)
    argv = ["check", "--vault", args.check_cold, "-q"] if args.check_cold else args.argv
    sys.path.insert(0, str(ROOT / "daemon"))
    from vaultsync.cli import main as vaultsync_main

    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    code = vaultsync_main(argv)
    profile.disable()
    wall = time.perf_counter() - start
    text = io.StringIO()
    text.write(f"vaultsync {' '.join(argv)}\n")
    workers = os.environ.get("VAULTSYNC_WORKERS", "default")
    text.write(f"exit {code}; {wall:.2f} s under cProfile; workers={workers}\n\n")
    for order in ("cumulative", "tottime"):
        text.write(f"== top {args.top} by {order} ==\n")
        stats = pstats.Stats(profile, stream=text)
        stats.strip_dirs().sort_stats(order).print_stats(args.top)
    Path(args.out).write_text(text.getvalue())
    return 0


def phase1(vault: Path, out: Path, top: int) -> int:
    """Profile walk_vault without a cache (what `check` runs first) on `vault`."""
    sys.path.insert(0, str(ROOT / "daemon"))
    from vaultsync.pipeline.report import PassReport
    from vaultsync.pipeline.walk import walk_vault
    from vaultsync.vault import make_vault

    v = make_vault(vault)
    walk_vault(v, PassReport(vault=v, mode="check"), None)  # page cache warm, imports done
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    walk_vault(v, PassReport(vault=v, mode="check"), None)
    profile.disable()
    wall = time.perf_counter() - start
    text = io.StringIO()
    text.write(f"phase 1 of a cold check of {vault.name}: {wall:.2f} s under cProfile\n\n")
    for order in ("cumulative", "tottime"):
        text.write(f"== top {top} by {order} ==\n")
        pstats.Stats(profile, stream=text).strip_dirs().sort_stats(order).print_stats(top)
    out.write_text(text.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
