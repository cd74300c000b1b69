"""bench/run still runs end to end (a reduced --small run): every figure is measured. No timing
is asserted; the figures themselves are for docs/performance.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run"


def test_bench_small_measures_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--small",
            "--readwise",
            "40",
            "--ordinary",
            "120",
            "--trials",
            "2",
            "--burst",
            "10",
            "--idle",
            "1",
            "--quiet",
            "0.5",
            "--workdir",
            str(tmp_path / "work"),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text())
    figures = {f["name"]: f for f in data["figures"]}
    for name in (
        "floor: read + decode every .md",
        "floor: stat walk",
        "cold full pass (history on (default))",
        "no-change pass (cache settled)",
        "check without a cache (default)",
        "check without a cache (2 workers)",
        "vaultsync --version",
        "settled resync, 200 files",
        "daemon start-up (settled cache) (history on (default))",
        "page written → cleaned, p95 (history on (default))",
        "10-page burst: last write → all cleaned (history on (default))",
        "daemon idle CPU over 1 s (history on (default))",
        "daemon resident memory (VmRSS) (history on (default))",
    ):
        assert name in figures, sorted(figures)
        assert figures[name]["seconds"] is not None, name
    assert data["machine"]["nproc"] >= 1
    assert "cold full pass" in done.stdout  # the table is printed
    assert not [k for k in data["facts"] if k.startswith("daemon errors")], data["facts"]
