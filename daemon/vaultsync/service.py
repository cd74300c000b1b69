"""`vaultsync service install|uninstall`: a systemd user unit (Linux) or a launchd agent (macOS)."""

from __future__ import annotations

import os
import plistlib
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from vaultsync.errors import (
    AgentNotWritten,
    AgentTextRefused,
    NoServiceManager,
    ServiceFileExists,
    UnitTextRefused,
)
from vaultsync.paths import STATE_DIR_ENV
from vaultsync.writer import (
    ensure_private_dir,
    make_folders,
    remove_private_file,
    write_private_file,
)

UNIT_NAME = "vaultsync.service"
AGENT_LABEL = "io.github.vaultsync"


class Manager(Enum):
    """The service manager a unit or agent is written for."""

    SYSTEMD = "systemd"
    LAUNCHD = "launchd"


@dataclass(frozen=True)
class ServiceFile:
    """A unit or agent: its manager, where it goes (or went) and, for launchd, the log file it
    names (systemd logs to the journal). What to run next is worded by `render.service_start`
    and `render.service_stop_first`."""

    manager: Manager
    path: Path
    log_file: Path | None = None


def _command(config: Path) -> list[str]:
    # -P: with -m, Python would first import from the working directory, so a folder named
    # `daemon` there (the service may start in the home folder) would be run instead.
    return [sys.executable, "-P", "-m", "vaultsync", "run", "--config", str(config)]


_TMP_DIRS = (Path("/tmp"), Path("/var/tmp"))


def _unit_word(text: str, exec_line: bool = False) -> str:
    """One word of a unit-file setting, written so that systemd reads back exactly `text`.

    systemd splits a setting's value into words at blanks, honours double quotes and C-style
    backslash escapes, then replaces "%" specifiers and (in Exec lines) "$" variables. So: "%"
    is doubled, "$" doubled in Exec lines, backslash and double quote escaped, and every word
    is put in double quotes. A control character (a line break would end the setting and start
    another, injecting a directive) or text that is not Unicode is refused, not written."""
    bad = next((c for c in text if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise UnitTextRefused(text, ord(bad))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnitTextRefused(text, None) from None
    text = text.replace("%", "%%")
    if exec_line:
        text = text.replace("$", "$$")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _under_tmp(path: Path) -> bool:
    path = Path(os.path.abspath(path))
    try:
        path = path.resolve()
    except (OSError, RuntimeError):
        pass
    return any(path.is_relative_to(t) or path.is_relative_to(t.resolve()) for t in _TMP_DIRS)


def systemd_unit(config: Path, vault_roots: list[Path], state_dir: Path) -> str:
    """A user unit: restarts on failure; sandboxed as far as a user unit can be (see below)."""
    exec_start = " ".join(_unit_word(part, exec_line=True) for part in _command(config))
    # "-": a vault folder missing when the service starts (a drive not plugged in) is skipped
    # instead of stopping the whole unit; the state folder exists (install makes it).
    writable = " ".join([_unit_word(f"-{p}") for p in vault_roots] + [_unit_word(str(state_dir))])
    env = _unit_word(f"{STATE_DIR_ENV}={state_dir}")
    # A private /tmp would hide the config, a vault or the state folder kept in /tmp.
    in_tmp = any(_under_tmp(p) for p in [config, *vault_roots, state_dir])
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
# Sandboxing. These work in any user unit (no privilege needed): no new privileges, and
# system call filters.
NoNewPrivileges=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictRealtime=yes
SystemCallArchitectures=native
MemoryDenyWriteExecute=yes
# vaultsync needs no network: only local (AF_UNIX) sockets, e.g. to the journal.
RestrictAddressFamilies=AF_UNIX
# These need a mount namespace, which a user unit gets only from systemd 253 on and only
# where the kernel lets users create user namespaces (systemd then turns on PrivateUsers=);
# older systemd ignores them in a user unit. Where they work, vaultsync may write only the
# vaults and its state folder. A vault folder missing at start ("-") stays read-only until
# the service restarts.
{private_tmp}ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={writable}
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes

[Install]
WantedBy=default.target
"""


def launchd_plist(config: Path, state_dir: Path, log_file: Path) -> str:
    """A launchd agent that starts at login and is restarted if it fails.

    Written by plistlib, so every value is XML-escaped; a control character, which an XML
    plist cannot hold at all, is refused."""
    agent = {
        "Label": AGENT_LABEL,
        "ProgramArguments": _command(config),
        "EnvironmentVariables": {STATE_DIR_ENV: str(state_dir)},
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "StandardErrorPath": str(log_file),
    }
    for value in [*agent["ProgramArguments"], str(state_dir), str(log_file)]:  # type: ignore[misc]
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise AgentTextRefused(value)
    try:
        return plistlib.dumps(agent, sort_keys=False).decode("utf-8")
    except (ValueError, UnicodeEncodeError) as err:
        raise AgentNotWritten(err) from None


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
) -> ServiceFile:
    """Write the unit or agent; returns what was written (its path, manager and log file)."""
    service, text = service_file(config, vault_roots, state_dir, platform)
    path = service.path
    if path.exists() and not force:
        raise ServiceFileExists(path)
    # systemd refuses to start a unit whose ReadWritePaths= names a missing folder, and
    # launchd cannot open a log file in one.
    ensure_private_dir(state_dir)
    make_folders(path.parent)
    # Atomically, created as write_text would (0o666 less the umask): it holds no secret.
    write_private_file(path, text.encode("utf-8"), mode=0o666)
    return service


def service_file(
    config: Path, vault_roots: list[Path], state_dir: Path, platform: str = sys.platform
) -> tuple[ServiceFile, str]:
    """The unit or agent `install` would write, and its text. Nothing is written
    (`service install --print` shows it)."""
    if platform.startswith("linux"):
        unit = ServiceFile(Manager.SYSTEMD, _unit_path())
        return unit, systemd_unit(config, vault_roots, state_dir)
    if platform == "darwin":
        log_file = state_dir / "vaultsync.log"
        agent = ServiceFile(Manager.LAUNCHD, _agent_path(), log_file)
        return agent, launchd_plist(config, state_dir, log_file)
    raise NoServiceManager(platform)


def uninstall(platform: str = sys.platform) -> ServiceFile | None:
    """Remove the unit or agent; returns what was removed (None if there was none)."""
    if platform.startswith("linux"):
        service = ServiceFile(Manager.SYSTEMD, _unit_path())
    elif platform == "darwin":
        service = ServiceFile(Manager.LAUNCHD, _agent_path())
    else:
        raise NoServiceManager(platform, installing=False)
    if not service.path.exists():
        return None
    remove_private_file(service.path)
    return service
