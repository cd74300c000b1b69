"""The tests run the checkout's code, in-process and in every subprocess, never a stale copy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import vaultsync

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "daemon" / "vaultsync"


def test_in_process_import_is_the_checkout():
    assert Path(vaultsync.__file__).resolve().parent == PACKAGE


def test_python_m_vaultsync_runs_the_checkout():
    code = "import vaultsync, sys; sys.stdout.write(vaultsync.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
    ).stdout
    assert Path(out).resolve().parent == PACKAGE, (
        f"a subprocess imported {out}, not the checkout: PYTHONPATH is not handed down"
    )


def test_installed_script_runs_the_checkout():
    script = shutil.which("vaultsync")
    if script is None:
        return  # not installed: the tests use `python -m vaultsync`
    code = "import runpy, sys, vaultsync.cli as c; sys.stdout.write(c.__file__)"
    # The script's own interpreter, with the environment the tests hand every subprocess.
    with open(script, encoding="utf-8", errors="replace") as f:
        first = f.readline()
    python = first[2:].strip() if first.startswith("#!") else sys.executable
    out = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True, cwd="/"
    ).stdout
    assert Path(out).resolve().parent.parent == PACKAGE  # vaultsync/cli/__init__.py


def test_nothing_called_daemon_is_importable_from_the_package():
    # The import name is ours alone: `daemon` belongs to another PyPI package.
    assert vaultsync.__name__ == "vaultsync"
    assert not (PACKAGE.parent / "__init__.py").exists()


def test_the_distribution_installs_only_vaultsync():
    from importlib import metadata

    try:
        top_level = metadata.distribution("vaultsync").read_text("top_level.txt")
    except metadata.PackageNotFoundError:
        return  # run from the tree without an install
    assert (top_level or "").split() == ["vaultsync"]
