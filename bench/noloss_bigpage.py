#!/usr/bin/env python3
"""The no-loss check on big generated pages: CPU time of normalize_page and of the check it runs.

    PYTHONPATH=daemon python bench/noloss_bigpage.py

Six pages of 2,000 book highlights each (Logseq and Obsidian, three seeds), with repeats,
shuffles, three later sections, mojibake, user blocks and block ids. Each figure is the best of
five runs, in CPU seconds (the machine is shared: wall clock is noise). Run it against two
checkouts (PYTHONPATH=<checkout>/daemon) to compare; docs/reliability.md holds the last figures.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pagegen import logseq_page_with_truth, obsidian_page_with_truth  # noqa: E402
from vaultsync.core import noloss  # noqa: E402
from vaultsync.core import normalize as nz  # noqa: E402


def main() -> None:
    spent: list[float] = []
    check = noloss.find_losses

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.process_time()
        found = check(*args, **kwargs)
        spent.append(time.process_time() - start)
        return found

    nz.find_losses = timed  # normalize_page calls the check through its module's name
    for kind, make in (("logseq", logseq_page_with_truth), ("obsidian", obsidian_page_with_truth)):
        for seed in range(3):
            page = make(
                random.Random(seed),
                n_highlights=2000,
                kind="books",
                repeats=True,
                shuffle=True,
                extra_sections=3,
                mojibake=True,
                user_blocks=True,
                ids=True,
            )
            runs, spent[:] = [], []
            for _ in range(5):
                start = time.process_time()
                out = nz.normalize_page(page.text, kind)  # type: ignore[arg-type]
                runs.append(time.process_time() - start)
            assert out.changed and out.losses == [], out.losses[:3]
            lines = len(page.text.splitlines())
            print(
                f"{kind:8} seed {seed}: {lines:5} lines  page {min(runs) * 1000:4.0f} ms"
                f"  check {min(spent) * 1000:4.0f} ms"
            )


if __name__ == "__main__":
    main()
