"""A validated config remembered between commands, so `resync` and `check` skip YAML and pydantic.

Importing pydantic and building the config's models costs about 0.1 s: on a settled vault of a
few thousand pages that is half of a `resync`. A `resync` that validated the config writes what
validation made of it to `<state folder>/config-cache/<sha256 of the config's path>.json`; a
later `resync` or `check` uses it only when nothing validation looked at can have changed:

- the file: its absolute path, size, `mtime_ns`, `ctime_ns`, inode and device, and the sha256 of
  its bytes (it is read anyway: a few hundred bytes); its mode and owner, its folder's, and the
  link's when it is one (the warnings about who may change it depend on them);
- the environment: `HOME` and every `$VARIABLE` the file names (`~` and `$VARS` are expanded);
- the code: the bytes of the modules that validate (`code_files`: every module of the config
  package, and the modules outside it that validation calls), so a new vaultsync validates
  afresh;
- the file system: each vault path and `state_dir` as written, expanded and resolved again,
  must give the folder it gave (a link moved elsewhere, a folder deleted or replaced: its
  inode); a vault whose kind was detected must still show the same app folders.

Anything else (a missing or unreadable cache, another format) means: validate as usual. The
cache is a plain JSON document, never code; `check` reads it but never writes it (it writes
nothing at all).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from vaultsync import paths

FORMAT = 1
_VARIABLE = re.compile(rb"\$(?:\{(\w+)\}|(\w+))")
# The vaultsync package, whose modules key a cached config (a test points it at a copy).
CODE_ROOT = Path(__file__).parent
# Validation's modules outside the config package (which is keyed whole, see code_files).
_CODE = ("configcache.py", "paths.py", "vault.py", "vault_kind.py", "vault_settings.py")


class View:
    """Read-only attribute access to a validated config's data, the way the pass commands read
    a `Config` (its sections, vaults, `resolved_state_dir()`)."""

    def __init__(self, data: dict[str, Any]) -> None:
        for key, value in data.items():
            if isinstance(value, dict) and key != "aliases":
                value = View(value)
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                value = [View(v) for v in value]
            object.__setattr__(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("a cached config is read-only")

    def resolved_state_dir(self) -> Path:
        state = self.__dict__.get("state_dir")
        return paths.state_folder(state) if state else paths.default_state_dir()


def _view(data: dict[str, Any]) -> View:
    view = View(data)
    for vault in view.vaults:  # type: ignore[attr-defined]
        object.__setattr__(vault, "path", Path(vault.path))
    if data.get("state_dir") is not None:
        object.__setattr__(view, "state_dir", Path(data["state_dir"]))
    return view


def code_files() -> list[Path]:
    """The modules whose bytes key a cached config: every module of the config package (its
    models and everything that validates; one added there is keyed without being listed here,
    and the few that only write the example or the schema cost nothing to include), then the
    modules outside it that validation calls."""
    package = sorted((CODE_ROOT / "config").rglob("*.py"))
    return [*package, *(CODE_ROOT / name for name in _CODE)]


def _code_key() -> str:
    digest = hashlib.sha256()
    for file in code_files():
        # Each file's name and length before its bytes: text moved between two modules (or a
        # module renamed) is other code.
        data = file.read_bytes()
        name = file.relative_to(CODE_ROOT).as_posix().encode("utf-8")
        digest.update(b"%d:%s:%d:" % (len(name), name, len(data)))
        digest.update(data)
    return digest.hexdigest()


def _stat_key(path: Path) -> list[Any]:
    """What the file and the folder holding it say of themselves (OSError when gone)."""
    link = os.lstat(path)
    info = os.stat(path)
    folder = os.stat(os.path.dirname(os.path.realpath(path)))
    return [
        [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev],
        [info.st_mode, info.st_uid, link.st_mode, link.st_uid, folder.st_mode, folder.st_uid],
    ]


def _env_key(raw: bytes) -> dict[str, str | None]:
    names = {a or b for a, b in _VARIABLE.findall(raw)}
    names = {n.decode("ascii", "replace") for n in names} | {"HOME", "USERPROFILE"}
    return {n: os.environ.get(n) for n in sorted(names)}


def _expanded(raw: str, config_dir: Path) -> str:
    """A path as config validation expands and resolves it (see config/folders.py, expand_path)."""
    path = Path(os.path.expanduser(os.path.expandvars(raw)))
    if not path.is_absolute():
        path = config_dir / path
    return os.path.realpath(path)


def _folder_id(folder: str) -> list[int] | None:
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return [info.st_ino, info.st_dev]


def _app_folders(folder: str) -> list[bool]:
    return [
        os.path.isfile(os.path.join(folder, "logseq", "config.edn")),
        os.path.isdir(os.path.join(folder, ".obsidian")),
    ]


def cache_file(config_path: Path) -> Path:
    name = hashlib.sha256(os.fsencode(config_path)).hexdigest()[:32]
    return paths.default_state_dir() / "config-cache" / f"{name}.json"


def _key(path: Path, raw: bytes) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "path": os.fspath(path),
        "stat": _stat_key(path),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "env": _env_key(raw),
        "code": _code_key(),
        "python": list(sys.version_info[:3]),
    }


def _folders_hold(folders: list[dict[str, Any]], config_dir: Path) -> bool:
    """Each path the config names still expands and resolves to the same folder."""
    for folder in folders:
        resolved = _expanded(folder["raw"], config_dir)
        if resolved != folder["resolved"] or _folder_id(resolved) != folder["id"]:
            return False
        if folder["detected"] is not None and _app_folders(resolved) != folder["detected"]:
            return False
    return True


def load_cached(path: Path) -> tuple[View, list[str]] | None:
    """The config at `path` as it last validated, and its warnings; None when that cannot be
    vouched for (validate it then)."""
    path = path.absolute()
    try:
        raw = path.read_bytes()
        key = _key(path, raw)
        stored = json.loads(cache_file(path).read_bytes())
    except Exception:  # noqa: BLE001 (no cache to vouch for it, for whatever reason: validate)
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    try:
        if not _folders_hold(stored["folders"], path.parent):
            return None
        return _view(stored["config"]), list(stored["warnings"])
    except (KeyError, TypeError, ValueError, AttributeError, OSError):
        return None


def _folders(config: Any, raw: bytes) -> list[dict[str, Any]] | None:
    """What `_folders_hold` checks: each vault path and the state folder as written. None when
    the file cannot be read back plainly (then nothing is cached)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(raw.decode("utf-8-sig"), Loader=loader)  # noqa: S506 (a safe loader)
    if not isinstance(data, dict):
        return None
    written: list[tuple[Any, Path, bool]] = []
    for given, vault in zip(data.get("vaults") or [], config.vaults, strict=True):
        if not isinstance(given, dict):
            return None
        written.append((given.get("path"), vault.path, given.get("kind", "auto") == "auto"))
    if config.state_dir is not None:
        written.append((data.get("state_dir"), config.state_dir, False))
    folders = []
    for raw_path, resolved, detected in written:
        if not isinstance(raw_path, str) or os.fspath(resolved) != os.path.realpath(resolved):
            return None
        apps = _app_folders(os.fspath(resolved)) if detected else None
        if apps is not None and all(apps):
            return None  # judged by the pages it holds: validate every time
        ident = _folder_id(os.fspath(resolved))
        folders.append(
            {"raw": raw_path, "resolved": os.fspath(resolved), "id": ident, "detected": apps}
        )
    return folders


def store(path: Path, raw: bytes, config: Any, warnings: list[str]) -> None:
    """Remember a config just validated from `raw` (the bytes read from `path`). Best effort:
    a state folder that cannot hold it only means the next command validates again."""
    path = path.absolute()
    try:
        if path.read_bytes() != raw:
            return  # changed while validating: the key would not describe these bytes
        folders = _folders(config, raw)
        if folders is None:
            return
        record = {
            "key": _key(path, raw),
            "folders": folders,
            "warnings": warnings,
            "config": config.model_dump(mode="json"),
        }
        _write_json(cache_file(path), record)
    except Exception:  # noqa: BLE001 (a cache: any failure means validating next time)
        return


def _defaults(remember: bool) -> Any:
    """The config without a file (every setting its default: they depend on the code alone)."""
    target: Path | None = None
    try:
        target = paths.default_state_dir() / "config-cache" / "defaults.json"
        stored = json.loads(target.read_bytes())
        if isinstance(stored, dict) and stored.get("code") == _code_key():
            return _view(stored["config"])
    except Exception:  # noqa: BLE001 (a cache: any failure means the defaults made afresh)
        pass
    from vaultsync.config import Config

    config = Config()
    if remember and target is not None:
        _write_json(target, {"code": _code_key(), "config": config.model_dump(mode="json")})
    return config


def _write_json(target: Path, record: dict[str, Any]) -> None:
    """Replace `target` with `record` (best effort: a cache)."""
    from vaultsync.writer import ensure_private_dir, write_private_file

    try:
        ensure_private_dir(target.parent)  # 0o700, parents included, whatever the umask
        write_private_file(target, json.dumps(record).encode("utf-8"))
    except Exception:  # noqa: BLE001 (a cache: the next command validates again)
        return


class Loaded:
    """The config a pass command works with, and the file it came from."""

    def __init__(self, path: Path, config: Any) -> None:
        self.path, self.config = path, config


def load(path: Path | None, remember: bool) -> Any:
    """The config for `resync` (`remember`: keep it for the next command) or `check`: from the
    cache when it vouches for it, else validated by `config.load_config` (errors as usual)."""
    file = path if path is not None else paths.default_config_path()
    if path is None and paths.config_path_from_env() is None and not os.path.lexists(file):
        # No config file where one is looked for by default: the defaults. (A file named by
        # --config or $VAULTSYNC_CONFIG is the user's to have: load_config says what is wrong.)
        return Loaded(file, _defaults(remember))
    hit = load_cached(file) if file.is_file() else None
    if hit is not None:
        view, warnings = hit
        if warnings:
            from vaultsync.config import warn_once  # (only a config others may change)

            for warning in warnings:
                warn_once(warning)
        return Loaded(file, view)
    from vaultsync.config import load_config

    return load_config(path, validated=store if remember else None)
