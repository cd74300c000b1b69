"""Shared test setup: hypothesis profiles and the sample vaults."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# "ci" (default) keeps the suite quick; "deep" is for the slow run: HYPOTHESIS_PROFILE=deep.
settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "deep", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SAMPLES = Path(__file__).parent / "samples"
ROOT = Path(__file__).resolve().parent.parent
# The checkout's code: pytest imports it (pyproject's `pythonpath`), and every subprocess a test
# starts (`python -m vaultsync`, the `vaultsync` script) finds it first on PYTHONPATH, so the
# tests never run a stale installed copy. tests/test_checkout.py proves it.
SOURCE_ROOT = ROOT / "daemon"
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")])
)


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    """A Logseq graph holding the sample pages."""
    dest = tmp_path / "graph"
    shutil.copytree(SAMPLES / "logseq", dest)
    return dest


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """An Obsidian vault holding the sample notes."""
    dest = tmp_path / "vault"
    shutil.copytree(SAMPLES / "obsidian", dest)
    return dest


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test reads or writes the real user's config or state."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("VAULTSYNC_CONFIG", str(home / "config.yaml"))
    monkeypatch.setenv("VAULTSYNC_STATE_DIR", str(home / "state"))
