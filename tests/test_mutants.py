"""The mutation run of tests/mutants.py (slow), and the canary tests that prove it mutates the
code the tests really import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

import vaultsync

try:  # pytest puts tests/ on sys.path (no tests/__init__.py)
    import mutants
except ModuleNotFoundError:  # pragma: no cover
    from tests import mutants


def test_no_mutant_canary_in_process() -> None:
    """Fails only under the canary mutant: the code imported in-process is the mutated copy."""
    assert not hasattr(vaultsync, "MUTANT_CANARY")


def test_no_mutant_canary_in_a_subprocess() -> None:
    """Fails only under the canary mutant (which makes importing vaultsync print a line): every
    way the tests start vaultsync imports the mutated copy."""
    script = shutil.which("vaultsync", path=os.path.dirname(sys.executable))
    commands = [
        [sys.executable, "-c", "import vaultsync"],
        [sys.executable, "-m", "vaultsync", "--help"],
        *([[script, "--help"]] if script else []),
    ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/")
        assert "MUTANT CANARY" not in done.stderr, command


def test_every_mutant_snippet_is_found_once_in_the_checkout() -> None:
    """A quick check of the list itself: a stale snippet shows here, not only in the slow run."""
    stale = [m.name for m in mutants.MUTANTS if mutants.apply(mutants.SOURCE, m) is None]
    assert stale == [], f"update these mutants (see tests/mutants.py): {stale}"
    names = [m.name for m in mutants.MUTANTS]
    assert len(names) == len(set(names))
    areas = {m.area for m in mutants.MUTANTS}
    assert {"canary", "guard", "noloss", "dedupe", "order", "fold"} <= areas


@pytest.mark.slow
def test_every_mutant_is_killed() -> None:
    start = time.monotonic()
    results = mutants.run_all(mutants.MUTANTS, jobs=2)
    print(f"\n{mutants.table(results)}\nwall clock {time.monotonic() - start:.0f} s, 2 at a time")
    canaries = [r for r in results if r.mutant.area == "canary"]
    assert canaries and all(r.ok for r in canaries), "the tests do not import the mutated copy"
    assert len(results) == len(mutants.MUTANTS)
    bad = [f"{r.mutant.name}: {r.outcome}" for r in results if not r.ok]
    assert bad == [], bad
