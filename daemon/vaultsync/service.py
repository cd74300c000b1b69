"""`vaultsync service install|uninstall`: a systemd user unit (Linux) or a launchd agent (macOS)."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from vaultsync.errors import UsageError
from vaultsync.paths import STATE_DIR_ENV, ensure_private_dir

UNIT_NAME = "vaultsync.service"
AGENT_LABEL = "io.github.vaultsync"


def _command(config: Path) -> list[str]:
    # -P: with -m, Python would first import from the working directory, so a folder named
    # `daemon` there (the service may start in the home folder) would be run instead.
    return [sys.executable, "-P", "-m", "vaultsync", "run", "--config", str(config)]


_TMP_DIRS = (Path("/tmp"), Path("/var/tmp"))
_UNIT_SPECIAL = set(" \t\"'\\;")


def _unit_word(text: str, exec_line: bool = False) -> str:
    """One word of a unit-file setting, as systemd reads it back: "%" starts a specifier and
    (in Exec lines) "$" a variable, so both are doubled; quoted when it holds a blank or quote."""
    text = text.replace("%", "%%")
    if exec_line:
        text = text.replace("$", "$$")
    if text and not _UNIT_SPECIAL.intersection(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(config: Path, vault_roots: list[Path], state_dir: Path) -> str:
    """A hardened user unit: restarts on failure, may write only the vaults and the state folder."""
    exec_start = " ".join(_unit_word(part, exec_line=True) for part in _command(config))
    writable = " ".join(_unit_word(str(p)) for p in [*vault_roots, state_dir])
    env = _unit_word(f"{STATE_DIR_ENV}={state_dir}")
    # A private /tmp would hide a vault (or the state folder) that lives in /tmp.
    in_tmp = any(
        p.resolve().is_relative_to(t) for p in [*vault_roots, state_dir] for t in _TMP_DIRS
    )
    private_tmp = "" if in_tmp else "PrivateTmp=yes\n"
    return f"""[Unit]
Description=vaultsync: keep the Readwise pages in your notes clean
Documentation=https://pypi.org/project/vaultsync/

[Service]
Type=simple
ExecStart={exec_start}
# The state folder it may write (below), whatever the environment of the service manager.
Environment={env}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=10
# Hardening: vaultsync reads the config, writes only the vaults and its state folder.
NoNewPrivileges=yes
{private_tmp}ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={writable}
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictRealtime=yes
SystemCallArchitectures=native
MemoryDenyWriteExecute=yes
IPAddressDeny=any

[Install]
WantedBy=default.target
"""


def launchd_plist(config: Path, state_dir: Path, log_file: Path) -> str:
    """A launchd agent that starts at login and is restarted if it fails."""
    args = "\n".join(f"    <string>{escape(part)}</string>" for part in _command(config))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>{AGENT_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
{args}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>{STATE_DIR_ENV}</key>
    <string>{escape(str(state_dir))}</string>
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>StandardErrorPath</key>
  <string>{escape(str(log_file))}</string>
</dict>
</plist>
"""


def _unit_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user" / UNIT_NAME


def _agent_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"


def install(
    config: Path,
    vault_roots: list[Path],
    state_dir: Path,
    force: bool = False,
    platform: str = sys.platform,
) -> tuple[Path, str]:
    """Write the unit or agent; returns its path and what to run next."""
    if platform.startswith("linux"):
        path, text = _unit_path(), systemd_unit(config, vault_roots, state_dir)
        then = (
            "systemctl --user daemon-reload && systemctl --user enable --now vaultsync\n"
            "  logs:   journalctl --user -u vaultsync -f\n"
            "  reload: systemctl --user reload vaultsync (after editing the config; "
            "it also reloads on its own)\n"
            "  after adding a vault in another folder, run `vaultsync service install --force` "
            "again: the unit may write only the vaults it names"
        )
    elif platform == "darwin":
        path, text = _agent_path(), launchd_plist(config, state_dir, state_dir / "vaultsync.log")
        then = f"launchctl load -w {shlex.quote(str(path))}\n  logs: {state_dir / 'vaultsync.log'}"
    else:
        raise UsageError(
            f"no service manager support on {platform}; see docs/running-in-background.md "
            "for running `vaultsync run` in the background by hand"
        )
    if path.exists() and not force:
        raise UsageError(f"{path} exists; use --force to overwrite it")
    # systemd refuses to start a unit whose ReadWritePaths= names a missing folder, and
    # launchd cannot open a log file in one.
    ensure_private_dir(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path, then


def uninstall(platform: str = sys.platform) -> tuple[Path | None, str]:
    """Remove the unit or agent; returns the removed path (None if there was none) and advice."""
    if platform.startswith("linux"):
        path = _unit_path()
        first = "systemctl --user disable --now vaultsync"
    elif platform == "darwin":
        path = _agent_path()
        first = f"launchctl unload -w {shlex.quote(str(path))}"
    else:
        raise UsageError(f"no service manager support on {platform}")
    if not path.exists():
        return None, ""
    path.unlink()
    return path, f"stop it first if it runs: {first}"
