"""`vaultsync config`: validate, explain, schema, init."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NamedTuple

from vaultsync.cli.common import EXIT_OK, EXIT_USAGE, warn


def cmd_config_validate(args: argparse.Namespace) -> int:
    from vaultsync.config import load_config
    from vaultsync.render import config_valid, no_config_file

    path = Path(args.file) if args.file else None
    loaded = load_config(path)
    if not loaded.path.exists():
        print(no_config_file(loaded.path), file=sys.stderr)
        return EXIT_USAGE
    from vaultsync.vault import MissingVault

    for v in loaded.config.vaults:
        if not Path(v.path).exists():
            warn(str(MissingVault(v.name or Path(v.path).name, Path(v.path))))
    print(config_valid(loaded.path, len(loaded.config.vaults)))
    return EXIT_OK


class SettingRow(NamedTuple):
    """One key of a loaded config as `config explain` shows it: its path (`vaults[0].path`),
    its value, what it means (the schema's description); `group`: a section whose keys follow."""

    key: str
    value: object
    meaning: str
    group: bool = False


def setting_rows(model: object, prefix: str = "") -> list[SettingRow]:
    """Each key of a loaded config, in the order the models declare them."""
    from pydantic import BaseModel

    rows: list[SettingRow] = []
    assert isinstance(model, BaseModel)
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}{name}"
        meaning = field.description or ""
        if isinstance(value, BaseModel):
            rows.append(SettingRow(key, None, meaning, group=True))
            rows.extend(setting_rows(value, key + "."))
        elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            rows.append(SettingRow(key, None, meaning, group=True))
            for i, item in enumerate(value):
                rows.extend(setting_rows(item, f"{key}[{i}]."))
        else:
            rows.append(SettingRow(key, value, meaning))
    return rows


def cmd_config_explain(args: argparse.Namespace) -> int:
    from vaultsync.config import load_config
    from vaultsync.render import explain_lines

    loaded = load_config(Path(args.file) if args.file else None)
    for line in explain_lines(loaded.path, loaded.path.exists(), setting_rows(loaded.config)):
        print(line)
    return EXIT_OK


def cmd_config_schema(args: argparse.Namespace) -> int:
    import json

    from vaultsync.config import config_schema

    print(json.dumps(config_schema(), indent=2))
    return EXIT_OK


def cmd_config_init(args: argparse.Namespace) -> int:
    from vaultsync.config import init_config

    path = init_config(Path(args.file) if args.file else None, force=args.force)
    from vaultsync.render import config_written

    print(config_written(path))
    return EXIT_OK
