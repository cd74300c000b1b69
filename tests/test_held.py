"""Pages held after `vaultsync undo`, and the truth between `check`, `resync --dry-run` and
`resync`: what each says of every page agrees, in every state a page can be in (issue 15)."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from vaultsync.config import load_config
from vaultsync.core.text import decode
from vaultsync.errors import ChangedSinceRead
from vaultsync.history import History
from vaultsync.pipeline.passes import run_pass
from vaultsync.pipeline.report import PassReport
from vaultsync.settings import options_from_config
from vaultsync.vault import select_vaults
from vaultsync.writer import VaultGuard

try:  # pytest puts tests/ on sys.path
    from genvault import build_vault
    from hypo_profiles import scaled
    from test_daemon import DaemonProcess, write_config
except ModuleNotFoundError:  # pragma: no cover
    from tests.genvault import build_vault
    from tests.hypo_profiles import scaled
    from tests.test_daemon import DaemonProcess, write_config

PAGE = "The Art of Maintenance (highlights).md"
TITLE = "The Art of Maintenance (highlights)"


def vaultsync(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    """The real command, as a user (or a pre-commit hook) runs it."""
    env = {**os.environ, "VAULTSYNC_STATE_DIR": str(state)}
    env.pop("VAULTSYNC_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def setup(tmp_path: Path, graph: Path) -> tuple[Path, Path, Path]:
    """(config, state folder, the sample page) with the page cleaned once."""
    state = tmp_path / "state"
    config = tmp_path / "config.yaml"
    config.write_text(f"vaults:\n  - name: g\n    path: '{graph}'\n", encoding="utf-8")
    done = vaultsync("resync", "--config", str(config), "-q", state=state)
    assert done.returncode == 0, done.stdout + done.stderr
    return config, state, graph / "pages" / PAGE


# ----------------------------------------------------------------------------- held after undo


def test_check_dry_run_and_resync_agree_on_a_page_held_after_undo(setup):
    """The bug: after `undo`, `check` exited 1 ("would change 1") forever and the dry run said
    "would be rewritten 1", while resync rewrote nothing. A pre-commit hook failed forever."""
    config, state, page = setup
    done = vaultsync("undo", str(page), "--config", str(config), state=state)
    assert done.returncode == 0, done.stderr
    restored = page.read_bytes()

    check = vaultsync("check", "--config", str(config), state=state)
    dry = vaultsync("resync", "--dry-run", "--config", str(config), state=state)
    real = vaultsync("resync", "--config", str(config), state=state)
    for done in (check, dry, real):
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"skipped {page}: held after `vaultsync undo`" in done.stdout
        assert "vaultsync release PAGE" in done.stdout
    assert re.search(r"would change\s+0\b", check.stdout)
    assert re.search(r"would be rewritten\s+0\b", dry.stdout)
    assert re.search(r"rewritten\s+0\b", real.stdout)
    assert page.read_bytes() == restored
    # -q: the hold is not news for a hook, and nothing would change.
    for args in (["check", "-q"], ["resync", "-q"]):
        quiet = vaultsync(*args, "--config", str(config), state=state)
        assert quiet.returncode == 0, quiet.stdout + quiet.stderr
        assert quiet.stdout == "", quiet.stdout


def test_release_lets_a_held_page_be_cleaned_again(setup):
    config, state, page = setup
    cleaned = page.read_bytes()
    assert vaultsync("undo", str(page), "--config", str(config), state=state).returncode == 0
    done = vaultsync("release", TITLE.lower(), "--config", str(config), state=state)
    assert done.returncode == 0, done.stderr
    assert f"released {page}" in done.stdout
    check = vaultsync("check", "--config", str(config), state=state)
    assert check.returncode == 1 and "held after" not in check.stdout
    assert vaultsync("resync", "-q", "--config", str(config), state=state).returncode == 0
    assert page.read_bytes() == cleaned
    again = vaultsync("release", str(page), "--config", str(config), state=state)
    assert again.returncode == 0 and "not held" in again.stderr


def test_the_daemon_warns_once_of_a_held_page_not_at_every_start(tmp_path: Path, graph: Path):
    """The bug: a page restored with `undo` logged a WARNING at every daemon start."""
    state, config = tmp_path / "state", tmp_path / "config.yaml"
    write_config(config, {"g": graph})
    page = graph / "pages" / PAGE
    assert vaultsync("resync", "-q", "--config", str(config), state=state).returncode == 0
    assert vaultsync("undo", str(page), "--config", str(config), state=state).returncode == 0
    held = rf"WARNING.*skipped pages/{re.escape(PAGE)}"
    logs, warned = [], []
    for start in range(3):
        daemon = DaemonProcess(config, state, tmp_path / f"daemon{start}.log").start()
        try:
            daemon.wait_log(r"watching \d+ vault")  # (logged after the start-up pass)
            assert daemon.signal(15) == 0
        finally:
            daemon.kill()
        logs.append(daemon.log())
        warned.append(daemon.count(held))
    assert warned == [1, 0, 0], "\n".join(logs)
    assert "held after `vaultsync undo`" in logs[0] and "vaultsync release" in logs[0]
    assert vaultsync("check", "--config", str(config), state=state).returncode == 0
    assert page.exists()


# ----------------------------------------------------------------------------- history by name


def test_history_without_a_page_lists_the_pages_with_history(setup, tmp_path: Path):
    """The bug: there was no way to list the pages that have history."""
    config, state, page = setup
    empty = vaultsync("history", "--config", str(config), state=tmp_path / "other")
    assert empty.returncode == 0 and "no page has history yet" in empty.stdout
    listed = vaultsync("history", "--config", str(config), state=state)
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if str(page) in x)
    # Its number of versions and the newest's time, local with the UTC offset.
    assert re.search(r"\(1 version, newest \d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4}\)", line)
    assert "held" not in line
    assert vaultsync("undo", PAGE, "--config", str(config), state=state).returncode == 0
    listed = vaultsync("history", "--config", str(config), state=state)
    line = next(x for x in listed.stdout.splitlines() if str(page) in x)
    assert "2 versions" in line and "[held after undo]" in line


@pytest.mark.parametrize(
    "typed", [TITLE, TITLE.upper(), f"  {TITLE.lower()} ", PAGE, f"pages/{PAGE}"]
)
def test_history_and_undo_take_a_page_name(setup, typed: str):
    """The bug: `history "Page title"` said "no history" (it wanted a path)."""
    config, state, page = setup
    original = vaultsync("history", typed, "--config", str(config), state=state)
    assert original.returncode == 0, original.stderr
    assert original.stdout.startswith(f"{page}: 1 earlier version")
    done = vaultsync("undo", typed, "--config", str(config), state=state)
    assert done.returncode == 0, done.stderr
    assert page.read_bytes() == (Path(__file__).parent / "samples/logseq/pages" / PAGE).read_bytes()


def test_a_logseq_title_property_and_an_obsidian_note_name(tmp_path: Path, graph: Path, vault):
    state, config = tmp_path / "state", tmp_path / "config.yaml"
    config.write_text(f"vaults:\n  - path: '{graph}'\n  - path: '{vault}'\n", encoding="utf-8")
    page = graph / "pages" / "a page file.md"
    page.write_bytes(b"title:: Mine / Special\n" + (graph / "pages" / PAGE).read_bytes())
    assert vaultsync("resync", "-q", "--config", str(config), state=state).returncode == 0
    by_title = vaultsync("history", "mine / special", "--config", str(config), state=state)
    assert by_title.returncode == 0, by_title.stderr
    assert by_title.stdout.startswith(f"{page}:")
    notes = History(state / "history").entries()
    note = next(e.path for e in notes if e.path.is_relative_to(vault.resolve()))
    by_name = vaultsync("history", note.stem.swapcase(), "--config", str(config), state=state)
    assert by_name.returncode == 0, by_name.stderr
    assert by_name.stdout.startswith(f"{note}:")


def test_an_ambiguous_name_lists_the_candidates(tmp_path: Path, graph: Path):
    state, config = tmp_path / "state", tmp_path / "config.yaml"
    config.write_text(f"vaults:\n  - path: '{graph}'\n", encoding="utf-8")
    other = graph / "pages" / "sub" / PAGE
    other.parent.mkdir()
    other.write_bytes((graph / "pages" / PAGE).read_bytes())
    config_edn = graph / "logseq" / "config.edn"
    assert config_edn.exists()
    assert vaultsync("resync", "-q", "--config", str(config), state=state).returncode == 0
    done = vaultsync("undo", TITLE, "--config", str(config), state=state)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "names 2 pages" in done.stderr and "internal error" not in done.stderr
    assert str(graph / "pages" / PAGE) in done.stderr and str(other) in done.stderr
    unknown = vaultsync("history", "No Such Page", "--config", str(config), state=state)
    assert unknown.returncode != 0 and "no history for No Such Page" in unknown.stderr


# ----------------------------------------------------------------------------- the property


def _verdicts(report: PassReport) -> dict[Path, tuple]:
    """Each page a pass said something of → what it said."""
    said: dict[Path, tuple] = {}
    for path in report.changed:
        said[path] = ("changed", report.page_stats.get(path))
    for path, reason in report.skipped:
        said[path] = ("skipped", reason)
    for path, reason in report.failed:
        said[path] = ("failed", reason)
    return said


@given(
    seed=st.integers(0, 2**32 - 1),
    app=st.sampled_from(["logseq", "obsidian"]),
    data=st.data(),
)
@scaled(6, deep=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_check_dry_run_and_resync_agree_page_by_page(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, seed, app, data
):
    """On a generated vault with random pages held after undo, refused by the no-loss check,
    or changing while read: check, dry run and resync say the same of every page, and after
    the resync a check finds nothing more to do."""
    base = tmp_path_factory.mktemp("agree")
    generated = build_vault(base / app, random.Random(seed), app, pages=8, ordinary=2)
    root = generated.root
    state = base / "state"
    config = base / "config.yaml"
    config.write_text(f"vaults:\n  - path: '{root}'\nstate_dir: '{state}'\n", encoding="utf-8")
    rels = sorted(generated.truths)
    fate = st.sampled_from(["as is", "as is", "held", "refused", "changing"])
    fates = {rel: data.draw(fate, label=rel) for rel in rels}

    history = History(state / "history")
    refused: set[str] = set()
    changing: set[Path] = set()
    for rel, what in fates.items():
        path = root / rel
        if what == "held":
            history.mark_restored(path.resolve(), path.read_bytes())
        elif what == "refused":
            refused.add(decode(path.read_bytes()))
        elif what == "changing":
            changing.add(path)

    from vaultsync.pipeline import clean, store

    normalize, read = clean.normalize_page, store.read_page

    def refusing(text, *args, **kwargs):
        result = normalize(text, *args, **kwargs)
        if text in refused and result.changed:
            result.losses = ["a highlight (forced by the test)"]
        return result

    def reading(path, *args, **kwargs):
        if Path(path) in changing:
            raise ChangedSinceRead(Path(path))
        return read(path, *args, **kwargs)

    monkeypatch.setattr(clean, "normalize_page", refusing)
    monkeypatch.setattr(store, "read_page", reading)

    loaded = load_config(config)
    (vault,) = select_vaults(loaded.config.vaults, [], None)

    def one(mode: str) -> PassReport:
        return run_pass(vault, options_from_config(loaded.config, mode), VaultGuard([root]))

    def stored() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in state.rglob("*") if p.is_file()}

    before = stored()
    check, dry = one("check"), one("dry-run")
    assert stored() == before  # a check and a dry run write nothing, in the state folder too
    real = one("write")
    again = one("write")  # (the state cache now vouches for the pages it found clean)
    after = one("check")
    assert _verdicts(check) == _verdicts(dry) == _verdicts(real)
    for a, b in ((check, dry), (dry, real)):
        assert a.readwise == b.readwise and a.scanned == b.scanned
        assert a.authors_created == b.authors_created
    for rel, what in fates.items():
        said = _verdicts(real).get(root / rel, ("clean",))[0]
        if what == "held":
            assert said in ("skipped", "clean")
        elif what == "changing":
            assert said == "skipped"
        elif what == "refused":
            assert said in ("failed", "clean")
    # Nothing left to do but what is held, refused or unreadable, as each pass said.
    assert after.changed == [] and not after.any_change
    assert _verdicts(after) == {p: v for p, v in _verdicts(real).items() if v[0] != "changed"}
    assert _verdicts(again) == _verdicts(after) and again.readwise == after.readwise


def test_an_author_page_restored_with_undo_is_held_too(setup):
    """`undo` promised to leave a page as it is, but an author page it restored was updated
    again by the next pass (and `check` failed until then)."""
    config, state, page = setup
    author = page.parent / "Ines Halloway.md"
    created = author.read_bytes()
    second = page.with_name("The Second Book (highlights).md")
    second.write_bytes(page.read_bytes().replace(b"The Art of Maintenance", b"The Second Book"))
    done = vaultsync("resync", "--config", str(config), state=state)
    assert done.returncode == 0 and f"updated author page {author.name}" in done.stdout.replace(
        "pages/", ""
    )
    assert vaultsync("undo", str(author), "--config", str(config), state=state).returncode == 0
    assert author.read_bytes() == created
    for args in (["check"], ["resync", "--dry-run"], ["resync"]):
        done = vaultsync(*args, "--config", str(config), state=state)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"skipped {author}: held after `vaultsync undo`" in done.stdout
        assert re.search(r"author pages\s+0 created, 0 updated", done.stdout), done.stdout
    assert author.read_bytes() == created
    assert vaultsync("release", str(author), "--config", str(config), state=state).returncode == 0
    assert vaultsync("check", "--config", str(config), state=state).returncode == 1
