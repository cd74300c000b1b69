"""All cores for the CPU-bound part of a pass: the same function over many pages, in a pool of
processes when there is enough work to pay for starting one.

Phase A of a pass (read bytes → normalized page and author facts) takes 0.3-0.5 ms of CPython per
Readwise page, independent of every other page. A forked pool costs its start (0.01-0.05 s on
the 2-core bench machine: the workers inherit the imported core) and the pickling of each page's
bytes and result, so it is used only from `POOL_MIN_PAGES` pages on, only when more than one
core is there, and only where forking is safe (Linux, a process without other threads: a
one-off `resync` or `check`, not the daemon). Results come back in the order of the inputs, so
a pass is the same with or without a pool (`tests/test_workers.py` checks it byte for byte).

`VAULTSYNC_WORKERS=N` sets the number of worker processes (1: never a pool), for measuring;
the default is the number of cores this process may run on, at most `MAX_WORKERS`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from vaultsync.render.notes import note

T = TypeVar("T")
R = TypeVar("R")

ENV = "VAULTSYNC_WORKERS"
MAX_WORKERS = 8
# Below this many pages a pool costs more than it saves. Measured on the 2-core bench machine
# (docs/performance.md, "All cores for phase A"): a page's phase A 0.3-0.5 ms, a forked pool's
# start 0.01-0.05 s, break-even between 200 and 400 pages.
POOL_MIN_PAGES = 400

log = logging.getLogger("vaultsync")
pools_started = 0  # in this process (the tests check a pool did the work)
_shared: Any = None  # what every call of a pool shares (a worker inherits it when forked)


def worker_count() -> int:
    """How many processes phase A may use: $VAULTSYNC_WORKERS, else the usable cores."""
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            log.warning("%s", note("workers not a number", name=ENV, value=raw))
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def _can_fork(preload: Sequence[str] = ()) -> bool:
    """Whether a forked pool is safe here: Linux, and no other thread in this process (fork
    copies other threads' locks as they are). `preload` is imported first, once, so that the
    workers inherit it instead of each importing it.

    Elsewhere, and in the daemon (its watcher runs threads), phase A stays in this process: a
    fork-server pool was measured slower than no pool on 2,000 pages (1.1-1.5 s against
    0.6-1.0 s; its workers start from a fresh interpreter)."""
    import threading

    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    import importlib

    for name in preload:
        importlib.import_module(name)
    return True


def _call(job: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    func, item = job
    return func(_shared, item)


def map_pages(
    func: Callable[[Any, T], R],
    shared: Any,
    items: Sequence[T],
    workers: int | None = None,
    min_items: int | None = None,
    preload: Sequence[str] = (),
) -> list[R]:
    """`[func(shared, item) for item in items]`, in a process pool when it pays.

    `func` must be a module-level function and `shared`, the items and the results picklable.
    An exception `func` raises is raised here, as without a pool; a pool that cannot be started
    or breaks (a worker killed) leaves the rest to this process. `preload`: modules the work
    will import (ftfy: 0.4 s), imported before the workers start rather than by each."""
    workers = worker_count() if workers is None else workers
    if workers < 2 or len(items) < (POOL_MIN_PAGES if min_items is None else min_items):
        return [func(shared, item) for item in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if not _can_fork(preload):
        return [func(shared, item) for item in items]
    context = multiprocessing.get_context("fork")
    global pools_started, _shared
    pools_started += 1
    _shared = shared  # the workers inherit it (forked): nothing to pickle
    # Chunks of a few dozen pages: few round trips, and no worker left with a long tail.
    chunk = max(1, min(64, len(items) // (workers * 8)))
    results: list[R] = []
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for result in pool.map(_call, ((func, item) for item in items), chunksize=chunk):
                results.append(result)
    except (BrokenProcessPool, OSError) as err:
        log.warning("%s", note("workers failed", exception=err))
        results += [func(shared, item) for item in items[len(results) :]]
    finally:
        _shared = None
    return results
