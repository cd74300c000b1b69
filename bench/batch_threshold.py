#!/usr/bin/env python3
"""How many writes make a batch pay: n pages written one by one (write_atomic: fsync of each
temp file and of the folder) against one WriteBatch (temp files, one barrier, renames, one
folder fsync), for growing n, on the file system of --dir. Prints the medians.

    python bench/batch_threshold.py --dir /tmp/bt

writer.BATCH_MIN (the threshold of a full pass) comes from this; see docs/performance.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))

from vaultsync.writer import (  # noqa: E402
    VaultGuard,
    WriteBatch,
    read_page,
    write_atomic,
)
from vaultsync.writer.barrier import _barrier_kind  # noqa: E402


def setup(root: Path, n: int) -> list[Path]:
    shutil.rmtree(root, ignore_errors=True)
    (root / "pages").mkdir(parents=True)
    pages = [root / "pages" / f"p{i}.md" for i in range(n)]
    for page in pages:
        page.write_bytes(b"- old highlight\n" * 60)
    return pages


def one_by_one(root: Path, n: int) -> float:
    pages = setup(root, n)
    guard = VaultGuard([root])
    snaps = [read_page(p) for p in pages]
    start = time.perf_counter()
    for page, snap in zip(pages, snaps, strict=True):
        write_atomic(guard, snap, page, b"- new highlight\n" * 60)
    return time.perf_counter() - start


def batched(root: Path, n: int) -> float:
    pages = setup(root, n)
    guard = VaultGuard([root])
    snaps = [read_page(p) for p in pages]
    start = time.perf_counter()
    with WriteBatch(guard, direct=0) as batch:
        for page, snap in zip(pages, snaps, strict=True):
            batch.add(snap, page, b"- new highlight\n" * 60, lambda err: None)
    return time.perf_counter() - start


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dir", default="/tmp/vaultsync-batch-threshold")
    p.add_argument("--repeat", type=int, default=9)
    p.add_argument("--sizes", default="1,2,4,8,16,32,64,256")
    a = p.parse_args()
    root = Path(a.dir).resolve()
    print(f"barrier: {_barrier_kind()[0]}; medians of {a.repeat} runs")
    print(f"{'pages':>6} {'one by one':>12} {'batched':>10} {'ratio':>6}")
    for n in (int(x) for x in a.sizes.split(",")):
        ones, batches = [], []
        for _ in range(a.repeat):  # interleaved: a busy moment hits both alike
            ones.append(one_by_one(root, n))
            batches.append(batched(root, n))
        one, bat = statistics.median(ones), statistics.median(batches)
        print(f"{n:>6} {one * 1000:>10.1f}ms {bat * 1000:>8.1f}ms {one / bat:>5.1f}x")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
