"""Phase A on all cores (vaultsync.workers): a pass with a process pool writes the same bytes
and reports the same as one without."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from genvault import build_vault, files
from vaultsync import workers
from vaultsync.pipeline.passes import run_pass
from vaultsync.pipeline.report import PassOptions
from vaultsync.vault import make_vault


def _pass(root: Path, state: Path, mode: str = "write"):
    options = PassOptions(mode=mode, state_dir=state)  # type: ignore[arg-type]
    report = run_pass(make_vault(root), options)
    return (
        report.scanned,
        report.readwise,
        sorted(p.relative_to(root).as_posix() for p in report.changed),
        sorted(p.relative_to(root).as_posix() for p in report.authors_created),
        [(p.relative_to(root).as_posix(), r) for p, r in report.failed + report.skipped],
        {p.relative_to(root).as_posix(): s for p, s in report.page_stats.items()},
    )


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_pool_and_no_pool_give_the_same_bytes(
    app: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    build_vault(tmp_path / "pristine", random.Random(16), app, pages=60, ordinary=10)
    serial, pooled = tmp_path / "serial", tmp_path / "pooled"
    shutil.copytree(tmp_path / "pristine", serial)
    shutil.copytree(tmp_path / "pristine", pooled)
    monkeypatch.setattr(workers, "POOL_MIN_PAGES", 2)
    used = []
    real = workers.map_pages

    def spy(func, shared, items, count=None, min_items=None, preload=()):  # type: ignore[no-untyped-def]
        used.append((count, len(items)))
        return real(func, shared, items, count, min_items, preload)

    monkeypatch.setattr(workers, "map_pages", spy)
    monkeypatch.setenv(workers.ENV, "1")
    a = _pass(serial, tmp_path / "state-serial")
    monkeypatch.setenv(workers.ENV, "3")
    started = workers.pools_started
    b = _pass(pooled, tmp_path / "state-pooled")
    assert workers.pools_started == started + 1
    assert a == b
    assert a[2], "the generated vault has pages to clean"
    assert files(serial) == files(pooled)
    assert files(serial) != files(tmp_path / "pristine")
    assert len(used) == 2 and used[1][1] >= 60
    assert "worker processes failed" not in caplog.text  # the pool did the work
    # A second pass over either changes nothing (the pool's results were written, not others).
    monkeypatch.setenv(workers.ENV, "2")
    assert _pass(pooled, tmp_path / "state-pooled-2", mode="check")[2] == []


def test_check_with_a_pool_reports_what_check_without_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_vault(tmp_path / "v", random.Random(7), "logseq", pages=40, ordinary=5)
    before = files(tmp_path / "v")
    monkeypatch.setattr(workers, "POOL_MIN_PAGES", 2)
    monkeypatch.setenv(workers.ENV, "1")
    a = _pass(tmp_path / "v", tmp_path / "s1", mode="check")
    monkeypatch.setenv(workers.ENV, "2")
    started = workers.pools_started
    b = _pass(tmp_path / "v", tmp_path / "s2", mode="check")
    assert workers.pools_started == started + 1
    assert a == b and a[2]
    assert files(tmp_path / "v") == before


def test_small_work_or_one_worker_needs_no_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "POOL_MIN_PAGES", 10)
    out = workers.map_pages(_square, 3, list(range(5)), workers=4)
    assert out == [3 * i * i for i in range(5)]
    assert workers.map_pages(_square, 3, list(range(50)), workers=1) == [
        3 * i * i for i in range(50)
    ]


def test_a_pool_keeps_the_order_and_raises_what_the_function_raises() -> None:
    items = list(range(300))
    assert workers.map_pages(_square, 2, items, workers=2, min_items=1) == [
        2 * i * i for i in items
    ]
    with pytest.raises(ValueError, match="page 250"):
        workers.map_pages(_fails_at_250, None, items, workers=2, min_items=1)


def test_worker_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(workers.ENV, "3")
    assert workers.worker_count() == 3
    monkeypatch.setenv(workers.ENV, "0")
    assert workers.worker_count() == 1
    monkeypatch.setenv(workers.ENV, "many")
    assert 1 <= workers.worker_count() <= workers.MAX_WORKERS
    monkeypatch.delenv(workers.ENV)
    assert 1 <= workers.worker_count() <= workers.MAX_WORKERS


def _square(factor: int, item: int) -> int:
    return factor * item * item


def _fails_at_250(_shared: None, item: int) -> int:
    if item == 250:
        raise ValueError(f"page {item}")
    return item


def test_with_other_threads_running_the_work_stays_in_this_process() -> None:
    """The daemon runs threads (the watcher's): forking would copy their locks as they are,
    and a fork server's pool was measured slower than none."""
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        items = list(range(200))
        started = workers.pools_started
        got = workers.map_pages(_square, 5, items, workers=2, min_items=1)
        assert got == [5 * i * i for i in items]
        assert workers.pools_started == started
    finally:
        stop.set()
        thread.join()
