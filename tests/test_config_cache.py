"""The validated config `resync` keeps for the next pass command (vaultsync.configcache): used
only when nothing validation looked at changed, never a stale config."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import SAMPLES

# Runs a command in a fresh interpreter and says whether pydantic was imported for it.
PROBE = (
    "import sys\n"
    "from vaultsync.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('PYDANTIC' if 'pydantic' in sys.modules else 'LIGHT', flush=True)\n"
    "sys.exit(code)\n"
)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
        timeout=120,
        check=False,
    )


def used_cache(done: subprocess.CompletedProcess[str]) -> bool:
    return done.stdout.strip().endswith("LIGHT")


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two Logseq graphs, a config naming the first through $NOTES_A."""
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(SAMPLES / "logseq", a)
    shutil.copytree(SAMPLES / "logseq", b)
    config = tmp_path / "config.yaml"
    config.write_text("vaults:\n  - path: $NOTES_A\n")
    return a, b, config


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


def test_resync_keeps_it_and_check_uses_it(setup: tuple[Path, Path, Path]) -> None:
    a, _b, config = setup
    env = env_with(NOTES_A=str(a))
    first = run("resync", "-q", "--config", str(config), env=env)
    assert first.returncode == 0, first.stderr
    assert not used_cache(first)
    for command in ("check", "resync"):
        done = run(command, "-q", "--config", str(config), env=env)
        assert done.returncode == 0, done.stderr
        assert used_cache(done), done.stdout


def test_check_and_dry_run_keep_nothing(setup: tuple[Path, Path, Path]) -> None:
    a, _b, config = setup
    env = env_with(NOTES_A=str(a))
    for args in (("check",), ("resync", "--dry-run")):
        run(*args, "-q", "--config", str(config), env=env)
    state = Path(os.environ["VAULTSYNC_STATE_DIR"])
    assert not (state / "config-cache").exists()
    assert not used_cache(run("check", "-q", "--config", str(config), env=env))


def test_an_edited_config_is_validated_again(setup: tuple[Path, Path, Path]) -> None:
    """Same size and modification time, other bytes: an error the cache must not hide."""
    a, _b, config = setup
    env = env_with(NOTES_A=str(a))
    assert run("resync", "-q", "--config", str(config), env=env).returncode == 0
    before = config.stat()
    config.write_text("vaults:\n  - pathX $NOTES_A\n")
    os.utime(config, ns=(before.st_atime_ns, before.st_mtime_ns))
    done = run("check", "-q", "--config", str(config), env=env)
    assert done.returncode == 2 and "config" in done.stderr, done.stderr


def test_another_variable_value_is_another_config(setup: tuple[Path, Path, Path]) -> None:
    a, b, config = setup
    assert (
        run("resync", "-q", "--config", str(config), env=env_with(NOTES_A=str(a))).returncode == 0
    )
    (b / "pages" / "marker.md").write_text("- only in b\n")
    done = run("check", "--json", "--config", str(config), env=env_with(NOTES_A=str(b)))
    assert not used_cache(done)
    assert str(b) in done.stdout and str(a) not in done.stdout


def test_a_link_moved_elsewhere_is_followed(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    a, b, config = setup
    link = tmp_path / "notes"
    link.symlink_to(a)
    config.write_text(f"vaults:\n  - path: {link}\n")
    assert run("resync", "-q", "--config", str(config)).returncode == 0
    assert used_cache(run("check", "-q", "--config", str(config)))
    link.unlink()
    link.symlink_to(b)
    done = run("check", "--json", "--config", str(config))
    assert not used_cache(done)
    assert str(b) in done.stdout and str(a) not in done.stdout


def test_a_vault_gone_is_reported_as_without_the_cache(setup: tuple[Path, Path, Path]) -> None:
    a, _b, config = setup
    env = env_with(NOTES_A=str(a))
    assert run("resync", "-q", "--config", str(config), env=env).returncode == 0
    shutil.rmtree(a)
    cached = run("check", "-q", "--config", str(config), env=env)
    shutil.rmtree(Path(os.environ["VAULTSYNC_STATE_DIR"]) / "config-cache")
    fresh = run("check", "-q", "--config", str(config), env=env)
    assert not used_cache(cached)
    assert (cached.returncode, cached.stderr) == (fresh.returncode, fresh.stderr)
    assert str(a) in cached.stderr


def test_a_detected_kind_follows_the_app_folders(setup: tuple[Path, Path, Path]) -> None:
    """The vault's kind was detected (`auto`): removing Logseq's config makes it no vault."""
    a, _b, config = setup
    env = env_with(NOTES_A=str(a))
    assert run("resync", "-q", "--config", str(config), env=env).returncode == 0
    (a / "logseq" / "config.edn").unlink()
    done = run("check", "-q", "--config", str(config), env=env)
    assert done.returncode == 2 and "cannot tell" in done.stderr, done.stderr


def test_a_damaged_cache_is_ignored(setup: tuple[Path, Path, Path]) -> None:
    a, _b, config = setup
    env = env_with(NOTES_A=str(a))
    assert run("resync", "-q", "--config", str(config), env=env).returncode == 0
    folder = Path(os.environ["VAULTSYNC_STATE_DIR"]) / "config-cache"
    for file in folder.iterdir():
        file.write_text('{"key": ')
    done = run("check", "-q", "--config", str(config), env=env)
    assert done.returncode == 0 and not used_cache(done), done.stderr


def test_without_a_config_file_the_defaults_are_kept(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    shutil.copytree(SAMPLES / "logseq", vault)
    env = env_with(XDG_CONFIG_HOME=str(tmp_path / "nothing"))
    del env["VAULTSYNC_CONFIG"]
    assert run("resync", "-q", "--vault", str(vault), env=env).returncode == 0
    done = run("check", "-q", "--vault", str(vault), env=env)
    assert done.returncode == 0 and used_cache(done), done.stderr


def test_a_kept_config_gives_the_options_a_validated_one_gives(tmp_path: Path) -> None:
    """Every setting the passes read, as the cache gives it back (a non-default config)."""
    from vaultsync import configcache
    from vaultsync.config import load_config
    from vaultsync.settings import options_from_config

    vault = tmp_path / "v"
    shutil.copytree(SAMPLES / "obsidian", vault)
    config = tmp_path / "config.yaml"
    config.write_text(
        f"vaults:\n  - path: {vault}\n    name: mine\n    include: ['Readwise/**/*.md']\n"
        "    exclude: ['Readwise/Skip/**']\n    poll: true\n"
        "rules:\n  order: false\n  repair_encoding: false\n"
        "authors:\n  folder: People\n  split_multiple: true\n  aliases:\n    Ann B: Ann Brown\n"
        f"history:\n  keep_versions: 3\n  max_total_mb: 12.5\nstate_dir: {tmp_path / 'st'}\n"
        "daemon:\n  quiet_period: 4\n"
    )
    fresh = load_config(config, validated=configcache.store)
    kept = configcache.load(config, remember=False)
    assert isinstance(kept.config, configcache.View)  # from the cache
    for mode in ("write", "check"):
        a, b = options_from_config(fresh.config, mode), options_from_config(kept.config, mode)
        history_a, history_b = a.history, b.history
        a.history = b.history = None
        assert a == b
        if history_a is None or history_b is None:
            assert history_a is history_b is None
        else:
            same = {k: v for k, v in vars(history_a).items() if k != "_lock"}
            assert same == {k: v for k, v in vars(history_b).items() if k != "_lock"}
    for va, vb in zip(fresh.config.vaults, kept.config.vaults, strict=True):
        for key in ("name", "path", "kind", "include", "exclude", "poll"):
            assert getattr(va, key) == getattr(vb, key), key
    assert fresh.config.daemon.quiet_period == kept.config.daemon.quiet_period
    assert fresh.config.resolved_state_dir() == kept.config.resolved_state_dir()


# The modules whose bytes key a cached config, relative to the vaultsync package.
VAULTSYNC = Path(__file__).resolve().parent.parent / "daemon" / "vaultsync"


def code_names() -> list[str]:
    from vaultsync import configcache

    return [f.relative_to(configcache.CODE_ROOT).as_posix() for f in configcache.code_files()]


def test_the_code_key_covers_every_module_of_the_config_package() -> None:
    """The config package is keyed whole (its models and every module that validates), with the
    modules outside it that validation calls."""
    package = {p.relative_to(VAULTSYNC).as_posix() for p in (VAULTSYNC / "config").rglob("*.py")}
    names = code_names()
    assert package <= set(names)
    assert {"config/models.py", "config/load.py", "config/folders.py"} <= package
    assert {"configcache.py", "paths.py", "vault.py", "vault_kind.py", "vault_settings.py"} <= set(
        names
    )


@pytest.mark.parametrize("module", [*code_names(), "config/added.py"])
def test_an_edit_to_a_module_that_validates_invalidates_the_cache(
    module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache made by one vaultsync is not used by another whose validation may differ: each
    module is edited in turn (in a copy of the code the key is read from), or one is added."""
    from vaultsync import configcache
    from vaultsync.config import load_config

    vault = tmp_path / "v"
    shutil.copytree(SAMPLES / "logseq", vault)
    config = tmp_path / "config.yaml"
    config.write_text(f"vaults:\n  - path: {vault}\n")
    load_config(config, validated=configcache.store)
    code = tmp_path / "code"
    for name in code_names():
        (code / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(VAULTSYNC / name, code / name)
    monkeypatch.setattr(configcache, "CODE_ROOT", code)
    assert configcache.load_cached(config) is not None  # the same code: the cache holds
    with (code / module).open("a", encoding="utf-8") as file:
        file.write("# another vaultsync\n")
    assert configcache.load_cached(config) is None
