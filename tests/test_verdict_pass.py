"""A pass with the fast "already clean" verdict writes the same bytes and reports the same as
one without it (VAULTSYNC_VERDICT=0): a cold resync of a generated vault, a cold `check` of the
vault once clean (what a pre-commit hook runs), the same through the `vaultsync` command, and
phase A of one page under any rule switches."""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from genvault import build_vault, files
from hypo_profiles import scaled
from pagegen import logseq_page_with_truth, obsidian_page_with_truth
from vaultsync.core.normalize import Rules, normalize_page
from vaultsync.pipeline import clean
from vaultsync.pipeline.passes import run_pass
from vaultsync.pipeline.report import PassOptions
from vaultsync.vault import Vault, make_vault


def _pass(root: Path, state: Path, mode: str = "write", cache: bool = True):
    options = PassOptions(mode=mode, state_dir=state, cache=cache)  # type: ignore[arg-type]
    report = run_pass(make_vault(root), options)
    rel = lambda p: p.relative_to(root).as_posix()  # noqa: E731
    return (
        report.scanned,
        report.readwise,
        sorted(rel(p) for p in report.changed),
        sorted(rel(p) for p in report.authors_created),
        sorted(rel(p) for p in report.authors_updated),
        [(rel(p), r) for p, r in report.failed + report.skipped + report.left_alone],
        {rel(p): s for p, s in report.page_stats.items()},
        report.stats,
    )


class Verdicts:
    """Counts the pages phase A found clean with the verdict."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clean = self.asked = 0
        real = clean.verdict

        def counting(*a, **k):  # type: ignore[no-untyped-def]
            found = real(*a, **k)
            self.asked += 1
            self.clean += found.clean
            return found

        monkeypatch.setattr(clean, "verdict", counting)


@pytest.mark.parametrize("app", ["logseq", "obsidian"])
def test_with_and_without_the_verdict_a_pass_gives_the_same_bytes_and_report(
    app: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_vault(tmp_path / "pristine", random.Random(316), app, pages=60, ordinary=10)
    slow, fast = tmp_path / "slow", tmp_path / "fast"
    shutil.copytree(tmp_path / "pristine", slow)
    shutil.copytree(tmp_path / "pristine", fast)
    verdicts = Verdicts(monkeypatch)
    monkeypatch.setenv(clean.VERDICT_ENV, "0")
    a = _pass(slow, tmp_path / "state-slow")
    assert verdicts.asked == 0
    monkeypatch.delenv(clean.VERDICT_ENV)
    b = _pass(fast, tmp_path / "state-fast")
    assert a == b
    assert a[2], "the generated vault has pages to clean"
    assert files(slow) == files(fast)
    assert 0 < verdicts.clean < verdicts.asked  # some pages were clean already, some were not

    # The vault now clean, a cold check (no cache) of each reads and judges every page again:
    # the same report, and the verdict decides nearly every page without the rules.
    verdicts.clean = verdicts.asked = 0
    monkeypatch.setenv(clean.VERDICT_ENV, "0")
    c = _pass(slow, tmp_path / "none-1", mode="check", cache=False)
    monkeypatch.setenv(clean.VERDICT_ENV, "1")
    d = _pass(fast, tmp_path / "none-2", mode="check", cache=False)
    assert c == d and c[2] == []
    assert verdicts.asked >= 60 and verdicts.clean >= 0.9 * verdicts.asked


def _check(vault: Path, verdict: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "CI": "1", clean.VERDICT_ENV: verdict}
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", "check", "--vault", str(vault)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=300,
        check=False,
    )


def test_the_check_command_says_the_same_with_and_without_the_verdict(tmp_path: Path) -> None:
    vault = tmp_path / "graph"
    build_vault(vault, random.Random(16), "logseq", pages=30, ordinary=5)
    before = files(vault)
    dirty = [_check(vault, v) for v in ("0", "1")]
    assert dirty[0].returncode == dirty[1].returncode == 1
    assert dirty[0].stdout == dirty[1].stdout and dirty[0].stderr == dirty[1].stderr
    assert files(vault) == before
    # Cleaned once (by the full path), then checked cold both ways: clean, in the same words.
    run_pass(make_vault(vault), PassOptions(cache=False))
    again = [_check(vault, v) for v in ("0", "1")]
    assert again[0].returncode == again[1].returncode == 0, again[0].stdout + again[0].stderr
    assert again[0].stdout == again[1].stdout and again[0].stderr == again[1].stderr


@scaled(150)
@given(
    app=st.sampled_from(["logseq", "obsidian"]),
    seed=st.integers(0, 2**32 - 1),
    switches=st.builds(Rules, *(st.booleans() for _ in range(6))),
    split=st.booleans(),
    normalized=st.booleans(),
    folder=st.sampled_from(["Readwise/Authors", "Readwise"]),
)
def test_phase_a_gives_the_same_result_with_and_without_the_verdict(
    app: str, seed: int, switches: Rules, split: bool, normalized: bool, folder: str
) -> None:
    rng = random.Random(seed)
    make = logseq_page_with_truth if app == "logseq" else obsidian_page_with_truth
    text = make(rng, repeats=rng.random() < 0.3, shuffle=rng.random() < 0.3).text
    if normalized:
        text = normalize_page(text, app, switches).text  # type: ignore[arg-type]
    vault = Vault(name="v", root=Path("/nowhere"), kind=app)  # type: ignore[arg-type]
    slow = clean.PhaseA(vault, switches, split, frozenset(), frozenset(), folder, fast=False)
    fast = dataclasses.replace(slow, fast=True)
    job = (Path("/nowhere/Readwise/Books/A page.md"), text.encode("utf-8"))
    assert clean.prepare_page(fast, job) == clean.prepare_page(slow, job)
