"""The config's problems in plain words, each with its key path and line: pydantic's errors
(`vaults[0].path`, an unknown key with the known ones offered), vaults whose names or folders
clash, and a problem with the file as a whole. The sentences are made here, beside the keys
they name; `errors.ConfigError` lists them."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from vaultsync.config.folders import NamedFolder, vault_clashes
from vaultsync.config.models import Config, VaultConfig
from vaultsync.config.yamlfile import KeyLines, key_path, quote
from vaultsync.errors import ConfigError, ConfigProblem


def file_error(path: Path, message: str, line: int | None = None) -> ConfigError:
    """A problem with the file as a whole (unreadable, not UTF-8, not keys)."""
    return ConfigError(path, [ConfigProblem(message, line=line)])


def clash_problems(
    data: dict[str, Any], context: dict[str, Any], node: yaml.Node | None
) -> list[ConfigProblem]:
    """Duplicate vault names and folders, checked among the vaults that are valid on their own."""
    entries = data.get("vaults")
    if not isinstance(entries, list):
        return []
    valid: list[tuple[int, NamedFolder]] = []
    for index, entry in enumerate(entries):
        try:
            valid.append((index, VaultConfig.model_validate(entry, context=context)))
        except ValidationError:
            pass  # already reported by the full validation
    clashes = vault_clashes(valid)
    if not clashes:
        return []
    lines = KeyLines(node)
    return [
        ConfigProblem(message, key=key_path(loc), line=lines.of(loc))
        for index, field, message in clashes
        for loc in [("vaults", index, field)]
    ]


def problem_from_pydantic(error: Any, lines: KeyLines) -> ConfigProblem:
    loc = tuple(seg for seg in error["loc"] if seg != "[key]")
    kind = error["type"]
    if kind == "missing":
        message = "required key is missing"
    elif kind == "extra_forbidden":
        message = _unknown_key_message(loc)
    elif kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
    elif kind == "list_type" and isinstance(error["input"], str) and loc:
        value = error["input"]
        message = (
            f"should be a list (got {show(value)}); write it as a list: {loc[-1]}: [{quote(value)}]"
        )
    elif kind == "path_type":
        message = f"should be a path (got {show(error['input'])})"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        got = show(error["input"])
        message = f"should be a group of keys (got {got})"
        if len(loc) == 2 and loc[0] == "vaults":
            message = f"each vault should be keys such as 'path: ~/Notes' (got {got})"
    else:
        msg = error["msg"]
        # "Input should be a valid integer" reads better after the key as "should be ...".
        msg = msg.removeprefix("Input ") if msg.startswith("Input ") else msg[0].lower() + msg[1:]
        message = f"{msg} (got {show(error['input'])})"
    return ConfigProblem(message, key=key_path(loc) or None, line=lines.of(loc))


def _unknown_key_message(loc: tuple[str | int, ...]) -> str:
    model = _model_at(loc[:-1])
    if model is None:
        return "unknown key"
    known = list(model.model_fields)
    match = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if match:
        return f"unknown key (did you mean '{match[0]}'?)"
    return f"unknown key (known keys here: {', '.join(known)})"


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The config model that holds the keys found at `loc`, e.g. VaultConfig for ('vaults', 0)."""
    model: type[BaseModel] = Config
    expect_item = False
    for seg in loc:
        if expect_item:
            if not isinstance(seg, int):
                return None
            expect_item = False
            continue
        field = model.model_fields.get(str(seg))
        if field is None:
            return None
        annotation = field.annotation
        item = getattr(annotation, "__args__", (None,))[0]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        elif isinstance(item, type) and issubclass(item, BaseModel):
            model, expect_item = item, True
        else:
            return None
    return None if expect_item else model


def show(value: Any) -> str:
    """A value as the user wrote it in YAML, shortened."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a group of keys"
    if isinstance(value, list):
        return "a list"
    text = str(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"'{text}'" if isinstance(value, str) else text
