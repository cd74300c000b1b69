"""Shared test setup: hypothesis profiles and the sample vaults."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

try:  # pytest puts tests/ on sys.path (no tests/__init__.py)
    from hypo_profiles import load as load_profiles
except ModuleNotFoundError:  # pragma: no cover
    from tests.hypo_profiles import load as load_profiles

# "ci" (default) keeps the suite quick; "deep" is for the slow run: HYPOTHESIS_PROFILE=deep.
# A test that sets its own count uses hypo_profiles.scaled, which the deep profile raises.
load_profiles()

SAMPLES = Path(__file__).parent / "samples"
ROOT = Path(__file__).resolve().parent.parent
# The checkout's code: pytest imports it (pyproject's `pythonpath`), and every subprocess a test
# starts (`python -m vaultsync`, the `vaultsync` script) finds it first on PYTHONPATH, so the
# tests never run a stale installed copy. tests/test_checkout.py proves it.
# The mutation run (tests/mutants.py) points VAULTSYNC_SOURCE_ROOT at a mutated copy of daemon/.
SOURCE_ROOT = Path(os.environ.get("VAULTSYNC_SOURCE_ROOT") or ROOT / "daemon")
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
    # A file $VAULTSYNC_CONFIG names must exist: an empty one is an empty config.
    (home / "config.yaml").write_text("", encoding="utf-8")
    monkeypatch.setenv("VAULTSYNC_CONFIG", str(home / "config.yaml"))
    monkeypatch.setenv("VAULTSYNC_STATE_DIR", str(home / "state"))
