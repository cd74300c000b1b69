"""The YAML config file: its pydantic models, loading with every problem reported, and `init`.

`load_config` never lets a traceback reach the user: every problem it finds (YAML syntax,
unknown or missing keys, wrong values, missing folders, duplicate vault names) is collected
and raised together as one `ConfigError`, each problem with its key path and line number.

The package, one job per module (callers import from `vaultsync.config`, never a module):

- `models.py`: the pydantic models, every key with its default, description and checks;
- `folders.py`: where the config's paths point (`~`, `$VARIABLES`), the safety checks on a
  vault's folder and its kind, patterns inside the vault, vaults that clash or nest;
- `yamlfile.py`: reading the YAML safely, the line of every key, advice for YAML mistakes;
- `problems.py`: pydantic's errors and clashes as `ConfigProblem`s in plain words;
- `load.py`: `load_config`/`parse_config`, and the warnings about who may change the file;
- `example.py`: the commented example `config init` writes, and the JSON Schema.

The validated config a `resync` keeps for the next command is `vaultsync.configcache`'s; it
keys on the bytes of every module here.
"""

from vaultsync.config.example import (
    EXAMPLE_CONFIG,
    config_schema,
    example_config_text,
    init_config,
)
from vaultsync.config.load import (
    config_file_warnings,
    load_config,
    parse_config,
    warn_once,
)
from vaultsync.config.models import (
    AuthorsConfig,
    Config,
    DaemonConfig,
    HistoryConfig,
    LoadedConfig,
    RulesConfig,
    VaultConfig,
    VaultKind,
)

__all__ = [
    "EXAMPLE_CONFIG",
    "AuthorsConfig",
    "Config",
    "DaemonConfig",
    "HistoryConfig",
    "LoadedConfig",
    "RulesConfig",
    "VaultConfig",
    "VaultKind",
    "config_file_warnings",
    "config_schema",
    "example_config_text",
    "init_config",
    "load_config",
    "parse_config",
    "warn_once",
]
