"""Loading the config file: find and read it (a missing default file means every default),
warn once when others may change it, validate it, and raise one `ConfigError` listing every
problem found (YAML syntax, unknown or missing keys, wrong values, missing folders, duplicate
vault names), each with its key path and line. No traceback reaches the user."""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from vaultsync import paths
from vaultsync.config.models import Config, LoadedConfig
from vaultsync.config.problems import clash_problems, file_error, problem_from_pydantic, show
from vaultsync.config.yamlfile import KeyLines, read_yaml
from vaultsync.errors import ConfigError


def load_config(
    path: Path | None = None,
    validated: Callable[[Path, bytes, Config, list[str]], None] | None = None,
) -> LoadedConfig:
    """Read and validate the config file; raise one ConfigError listing every problem found.

    Without `path` the default file is used, and a missing default file means an empty config;
    a file named by `path` or by `$VAULTSYNC_CONFIG` must exist (`/dev/null` reads as empty).
    `validated`: told the file, its bytes, the config and its warnings once validated (the
    config cache keeps it for the next command: vaultsync.configcache).
    """
    from_env = path is None and paths.config_path_from_env() is not None
    explicit = path is not None or from_env
    path = path if path is not None else paths.default_config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if not explicit:
            return LoadedConfig(path=path, config=Config())
        if from_env:
            hint = (
                f"no such file, and ${paths.CONFIG_ENV} names it; create it with "
                f"`vaultsync config init`, fix ${paths.CONFIG_ENV}, or unset it to use the "
                "default place"
            )
        else:
            hint = "no such file; run `vaultsync config init` to create one, or fix the path"
        raise file_error(path, hint) from None
    except IsADirectoryError:
        raise file_error(path, "is a folder; give the config file") from None
    except OSError as err:
        raise file_error(path, f"cannot read the file: {err.strerror or err}") from None
    warnings = config_file_warnings(path)
    for warning in warnings:
        warn_once(warning)
    config = parse_config(raw, path)
    if validated is not None:
        validated(path, raw, config, warnings)
    return LoadedConfig(path=path, config=config)


def config_file_warnings(path: Path) -> list[str]:
    """Why others could change what this config makes vaultsync do (it names the folders
    vaultsync writes), in words; empty when only the user (or root) can.

    The file is followed through links, and a linked config is named as such."""
    mine = os.getuid() if hasattr(os, "getuid") else None
    trusted = {mine, 0}
    try:
        link = path.lstat()
        target = path.resolve()
        info = target.stat()
        folder = target.parent.stat()
    except (OSError, RuntimeError):
        return []  # reading the file went well; its modes are only a hint
    if not stat.S_ISREG(info.st_mode):
        return []  # /dev/null: "no config"; nothing anyone could write into it is kept
    name = f"config {path}"
    if stat.S_ISLNK(link.st_mode):
        name += f" is a link to {target}, which"
    what: list[str] = []
    if mine is not None and info.st_uid not in trusted:
        what.append(f"is owned by another user (uid {info.st_uid})")
    if stat.S_IMODE(info.st_mode) & 0o022:
        who = "everyone" if info.st_mode & stat.S_IWOTH else "its group"
        what.append(f"may be changed by {who} (mode {stat.S_IMODE(info.st_mode):o})")
    if folder.st_mode & (stat.S_IWOTH | stat.S_IWGRP) and not folder.st_mode & stat.S_ISVTX:
        what.append(f"is in a folder others may write ({target.parent}), so it can be replaced")
    if mine is not None and stat.S_ISLNK(link.st_mode) and link.st_uid not in trusted:
        what.append(f"is reached through a link owned by another user (uid {link.st_uid})")
    if not what:
        return []
    fix = f"chmod go-w {target}" if stat.S_IMODE(info.st_mode) & 0o022 else "move it"
    return [
        f"{name} {' and '.join(what)}: whoever can change it decides which folders "
        f"vaultsync writes; {fix} (or keep the config where only you can write)"
    ]


_warned: set[str] = set()


def warn_once(message: str) -> None:
    """A warning on stderr (or the daemon's log), once per process: a reload repeats nothing."""
    if message in _warned:
        return
    _warned.add(message)
    log = logging.getLogger("vaultsync.config")
    if log.hasHandlers():
        log.warning("%s", message)
    else:
        from vaultsync.render import warning

        print(warning(message), file=sys.stderr)


def parse_config(raw: bytes, path: Path) -> Config:
    """Validate the config file's bytes; `path` names it and anchors relative paths."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        byte = raw[err.start : err.start + 1].hex()
        raise file_error(path, f"not UTF-8 text (byte 0x{byte}); save it as UTF-8", line) from None

    node, data, problems = read_yaml(text)
    if problems and node is None:
        raise ConfigError(path, problems)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        shape = "a list" if isinstance(data, list) else f"the value {show(data)}"
        raise file_error(path, f"the file holds {shape}; it should hold keys such as 'vaults:'", 1)

    context = {"config_dir": path.absolute().parent}
    config: Config | None = None
    try:
        config = Config.model_validate(data, context=context)
    except ValidationError as err:
        lines = KeyLines(node)
        problems += [
            problem_from_pydantic(e, lines)
            for e in err.errors(include_url=False)
            if e["type"] != "vault_clash"
        ]
    problems += clash_problems(data, context, node)
    if problems or config is None:
        problems.sort(key=lambda p: p.line if p.line is not None else 1 << 30)
        raise ConfigError(path, problems)
    return config
