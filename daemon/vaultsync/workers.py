"""All cores for the CPU-bound part of a pass: the same function over many pages, in a pool of
processes when there is enough work to pay for starting one.

Normalizing a Readwise page takes about 1.5 ms of CPython (phase A of a pass, one page at a time,
independent of every other page). A pool costs its start (a fork server and its workers, which
import the core: about 0.2 s on the 2-core bench machine) and the pickling of each page's bytes
and result (a few percent of the work), so it is used only from `POOL_MIN_PAGES` pages on and
only when more than one core is there. Results come back in the order of the inputs, so a pass
is the same with or without a pool (`tests/test_workers.py` checks it byte for byte).

`VAULTSYNC_WORKERS=N` sets the number of worker processes (1: never a pool), for measuring;
the default is the number of cores this process may run on, at most `MAX_WORKERS`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

ENV = "VAULTSYNC_WORKERS"
MAX_WORKERS = 8
# Below this many pages a pool costs more than it saves. Measured on the 2-core bench machine
# (docs/performance.md, "All cores for the cold pass"): a page's phase A 0.3-0.5 ms, a forked
# pool's start 0.01-0.05 s, break-even between 200 and 400 pages; a fork server's start (the
# daemon's) 0.15 s, so it waits for more.
POOL_MIN_PAGES = 400
FORKSERVER_MIN_PAGES = 1000

log = logging.getLogger("vaultsync")
pools_started = 0  # in this process (the tests check a pool did the work)
_shared: Any = None  # in a worker: what every call shares (set once, by the initializer)


def worker_count() -> int:
    """How many processes phase A may use: $VAULTSYNC_WORKERS, else the usable cores."""
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            log.warning("%s=%r is not a number of workers; using the cores", ENV, raw)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def _start_method(func: Callable[..., Any], preload: Sequence[str] = ()) -> str:
    """fork where it is safe and fast: Linux, and this process has no other thread (a one-off
    pass; fork copies other threads' locks as they are). Else a fork server, which imports the
    core once (the daemon, whose watcher runs threads), or spawn where there is neither."""
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        import importlib

        for name in preload:  # once here, not once in each worker
            importlib.import_module(name)
        return "fork"
    if "forkserver" in methods:
        multiprocessing.set_forkserver_preload([func.__module__, *preload])
        return "forkserver"
    return "spawn"


def _init(shared: Any) -> None:
    global _shared
    _shared = shared


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

    method = _start_method(func, preload)
    if method != "fork" and min_items is None and len(items) < FORKSERVER_MIN_PAGES:
        return [func(shared, item) for item in items]
    context = multiprocessing.get_context(method)
    global pools_started
    pools_started += 1
    # Chunks of a few dozen pages: few round trips, and no worker left with a long tail.
    chunk = max(1, min(64, len(items) // (workers * 8)))
    results: list[R] = []
    try:
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init, initargs=(shared,)
        ) as pool:
            for result in pool.map(_call, ((func, item) for item in items), chunksize=chunk):
                results.append(result)
    except (BrokenProcessPool, OSError) as err:
        log.warning("the worker processes failed (%s); going on in this process", err)
        results += [func(shared, item) for item in items[len(results) :]]
    return results
