#!/usr/bin/env python3
"""The cold full pass of two checkouts of vaultsync, interleaved on one generated vault, each run
next to a read floor taken just before it: on a machine shared with other jobs, a ratio paired
run by run moves far less than two separate bench/run runs taken minutes apart.

    python bench/ab_cold.py BEFORE_ROOT AFTER_ROOT --readwise 10000 --ordinary 40000 --repeat 3

Each root is a checkout (its daemon/ is put first on PYTHONPATH). History on (the default
config) unless --history off.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _floor_code() -> str:
    """bench/run's read floor (read and decode every page), taken from its source."""
    found = re.search(r'FLOOR_READ = r"""(.*?)"""', (HERE / "run").read_text(), re.DOTALL)
    assert found is not None
    return found[1]


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("roots", nargs=2, help="two checkouts: before, after")
    p.add_argument("--readwise", type=int, default=10_000)
    p.add_argument("--ordinary", type=int, default=40_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--history", choices=("on", "off"), default="on")
    a = p.parse_args()
    floor = _floor_code()
    work = Path(tempfile.mkdtemp(prefix="vaultsync-ab-"))
    try:
        pristine = work / "pristine"
        subprocess.run(
            [
                sys.executable,
                str(HERE / "generate.py"),
                str(pristine),
                "--readwise",
                str(a.readwise),
                "--ordinary",
                str(a.ordinary),
            ],
            check=True,
            capture_output=True,
        )
        config = work / "config.yaml"
        config.write_text(
            "vaults: []\n" + ("" if a.history == "on" else "history:\n  keep_versions: 0\n")
        )
        results: dict[str, list[tuple[float, float]]] = {r: [] for r in a.roots}
        for i in range(a.repeat):
            for root in a.roots:
                subprocess.run(
                    [sys.executable, "-m", "compileall", "-q", f"{root}/daemon"],
                    check=False,
                    capture_output=True,
                )
                vault = work / "vault"
                shutil.rmtree(vault, ignore_errors=True)
                shutil.copytree(pristine, vault)
                os.sync()  # the copy's dirty pages are not the pass's to write back
                read = timed([sys.executable, "-c", floor, str(vault)])
                env = dict(
                    os.environ, PYTHONPATH=f"{root}/daemon", VAULTSYNC_CONFIG=str(config), CI="1"
                )
                env["VAULTSYNC_STATE_DIR"] = str(
                    work / f"state-{i}-{len(results[root])}-{Path(root).name}"
                )
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                cold = timed(
                    [sys.executable, "-m", "vaultsync", "resync", "--vault", str(vault), "-q"], env
                )
                results[root].append((cold, read))
                print(
                    f"{root}: cold {cold:.2f} s, read floor {read:.2f} s, {cold / read:.1f}x",
                    flush=True,
                )
        for root, runs in results.items():
            colds = [c for c, _ in runs]
            ratios = [c / r for c, r in runs]
            cold, ratio = statistics.median(colds), statistics.median(ratios)
            print(f"{root}: median cold {cold:.2f} s, median paired ratio {ratio:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
