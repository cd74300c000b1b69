"""`vaultsync service install|uninstall`: the systemd user unit and the launchd agent."""

from __future__ import annotations

import configparser
import os
import plistlib
import shlex
import shutil
from pathlib import Path

import pytest

from vaultsync import render, service
from vaultsync.cli import main
from vaultsync.errors import UsageError


def unit_sections(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(text)
    return parser


def unit_words(value: str, exec_line: bool = False) -> list[str]:
    """A unit-file value split as systemd does it (quotes, backslash escapes, %%, $$)."""
    words = [w.replace("%%", "%") for w in shlex.split(value)]
    return [w.replace("$$", "$") for w in words] if exec_line else words


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    return home


@pytest.fixture
def vaults(tmp_path: Path) -> list[Path]:
    """A Logseq graph and an Obsidian vault, one with a name systemd would misread."""
    logseq = tmp_path / "notes" / "My Graph 100%"
    shutil.copytree(Path(__file__).parent / "samples" / "logseq", logseq)
    obsidian = tmp_path / "notes" / 'Vault "B" 5$'
    (obsidian / ".obsidian").mkdir(parents=True)
    return [logseq, obsidian]


@pytest.fixture
def config(tmp_path: Path, vaults: list[Path]) -> Path:
    path = tmp_path / "conf $dir" / "config.yaml"  # systemd expands $dir unless escaped
    path.parent.mkdir()
    lines = ["vaults:"] + [f"  - path: '{v}'" for v in vaults]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state dir"
    monkeypatch.setenv("VAULTSYNC_STATE_DIR", str(state))
    return state


def unit_path(home: Path) -> Path:
    return home / "xdg" / "systemd" / "user" / "vaultsync.service"


def test_install_writes_a_hardened_systemd_user_unit(
    home: Path, config: Path, vaults: list[Path], state: Path, capsys
):
    assert main(["service", "install", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    path = unit_path(home)
    assert str(path) in out and "systemctl --user" in out and "journalctl" in out

    unit = unit_sections(path.read_text(encoding="utf-8"))
    svc = unit["Service"]
    assert svc["Restart"] == "on-failure"
    assert svc["NoNewPrivileges"] == "yes"
    assert svc["ProtectSystem"] == "strict"
    assert svc["ProtectHome"] == "read-only"
    assert "HUP" in svc["ExecReload"]
    assert unit["Install"]["WantedBy"] == "default.target"
    # It may write the vaults and the state folder, and nothing else.
    writable = unit_words(svc["ReadWritePaths"])
    # A vault missing at start ("-") does not stop the unit; the state folder must exist.
    assert sorted(writable) == sorted([*(f"-{p}" for p in vaults), str(state)])
    # The daemon it starts uses this config and that same state folder.
    command = unit_words(svc["ExecStart"], exec_line=True)
    assert command[-3:] == ["run", "--config", str(config)]
    assert "-P" in command  # a `daemon` folder in the working directory is not imported
    assert unit_words(svc["Environment"]) == [f"VAULTSYNC_STATE_DIR={state}"]
    # ReadWritePaths= naming a missing folder would stop the unit from starting.
    assert state.is_dir()


def test_private_tmp_only_when_nothing_lives_in_tmp(tmp_path: Path):
    inside = service.systemd_unit(Path("/c.yaml"), [Path("/tmp/notes")], Path("/srv/state"))
    assert "PrivateTmp" not in inside  # it would hide the vault from the service
    outside = service.systemd_unit(Path("/c.yaml"), [Path("/srv/notes")], Path("/srv/state"))
    assert unit_sections(outside)["Service"]["PrivateTmp"] == "yes"


def test_install_refuses_to_overwrite_without_force(home: Path, config: Path, state: Path, capsys):
    assert main(["service", "install", "--config", str(config)]) == 0
    path = unit_path(home)
    path.write_text("# edited by hand\n", encoding="utf-8")
    capsys.readouterr()

    assert main(["service", "install", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "--force" in err
    assert path.read_text(encoding="utf-8") == "# edited by hand\n"

    assert main(["service", "install", "--force", "--config", str(config)]) == 0
    assert "Restart=on-failure" in path.read_text(encoding="utf-8")


def test_install_needs_a_config_file(home: Path, tmp_path: Path, capsys):
    assert main(["service", "install", "--config", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    assert not unit_path(home).exists()


def test_uninstall_removes_the_unit(home: Path, config: Path, state: Path, capsys):
    assert main(["service", "install", "--config", str(config)]) == 0
    assert unit_path(home).exists()
    capsys.readouterr()
    assert main(["service", "uninstall"]) == 0
    assert not unit_path(home).exists()
    assert "systemctl --user disable --now vaultsync" in capsys.readouterr().out
    assert main(["service", "uninstall"]) == 0
    assert "no vaultsync service was installed" in capsys.readouterr().out


def test_launchd_agent_is_valid_and_kept_alive(home: Path, vaults: list[Path], tmp_path: Path):
    config = tmp_path / "a & b" / "config.yaml"
    state = tmp_path / "state <x>"
    written = service.install(config, vaults, state, platform="darwin")
    path = written.path
    assert path == home / "Library" / "LaunchAgents" / "io.github.vaultsync.plist"
    assert written.log_file == state / "vaultsync.log"
    assert render.service_start(written) == (
        f"launchctl load -w {shlex.quote(str(path))}\n  logs: {state / 'vaultsync.log'}"
    )

    agent = plistlib.loads(path.read_bytes())
    assert agent["Label"] == "io.github.vaultsync"
    assert agent["ProgramArguments"][-3:] == ["run", "--config", str(config)]
    assert agent["RunAtLoad"] is True
    assert agent["KeepAlive"] == {"SuccessfulExit": False}  # restarted when it fails
    assert agent["EnvironmentVariables"] == {"VAULTSYNC_STATE_DIR": str(state)}
    assert Path(agent["StandardErrorPath"]).parent == state

    with pytest.raises(UsageError, match="--force"):
        service.install(config, vaults, state, platform="darwin")
    removed = service.uninstall(platform="darwin")
    assert removed is not None and removed.path == path and not path.exists()
    assert render.service_stop_first(removed) == (
        f"stop it first if it runs: launchctl unload -w {shlex.quote(str(path))}"
    )
    assert service.uninstall(platform="darwin") is None


@pytest.mark.parametrize("platform", ["win32", "freebsd14", "cygwin"])
def test_unknown_platform_is_a_clear_error(home: Path, tmp_path: Path, platform: str):
    with pytest.raises(UsageError) as caught:
        service.install(tmp_path / "c.yaml", [], tmp_path / "state", platform=platform)
    message = str(caught.value)
    assert platform in message and "running-in-background" in message
    with pytest.raises(UsageError, match=platform):
        service.uninstall(platform=platform)
    assert not (home / "xdg").exists() and not (home / "Library").exists()


def test_systemd_reads_the_unit_without_complaint(tmp_path: Path, vaults: list[Path]):
    """systemd's own parser, where it is installed: every line read, every path unquoted."""
    import subprocess

    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    config = tmp_path / "conf $dir" / "config.yaml"
    unit = tmp_path / "units" / "vaultsync.service"
    unit.parent.mkdir()
    unit.write_text(service.systemd_unit(config, vaults, tmp_path / "state"), encoding="utf-8")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    done = subprocess.run(
        [tool, "--user", "verify", str(unit)],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        timeout=60,
    )
    if "Failed to initialize manager" in done.stderr:
        pytest.skip(f"systemd-analyze cannot run here: {done.stderr.strip()}")
    complaints = [line for line in done.stderr.splitlines() if str(unit) in line]
    assert complaints == []
    assert done.returncode == 0, done.stderr


def test_install_and_uninstall_say_what_to_run(home: Path, config: Path, state: Path, capsys):
    """The lines after install and uninstall on Linux, word for word (worded by render from
    the typed `ServiceFile` that service.py returns)."""
    assert main(["service", "install", "--config", str(config)]) == 0
    unit = unit_path(home)
    assert capsys.readouterr().out == (
        f"wrote {unit}\nstart it with:\n"
        "  systemctl --user daemon-reload && systemctl --user enable --now vaultsync\n"
        "  logs:   journalctl --user -u vaultsync -f\n"
        "  reload: systemctl --user reload vaultsync (after editing the config; it also "
        "reloads on its own)\n"
        "  after adding a vault in another folder, run `vaultsync service install --force` "
        "again: the unit may write only the vaults it names\n"
    )
    assert main(["service", "uninstall"]) == 0
    assert capsys.readouterr().out == (
        f"removed {unit}; stop it first if it runs: systemctl --user disable --now vaultsync\n"
    )
