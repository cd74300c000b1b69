"""A watched vault's own settings followed while the daemon runs: a Logseq graph's
`logseq/config.edn` read again when it changes (`AppSettings.follow`), giving the vault under
its new settings when they differ; a file that no longer reads is warned about once and its
last good settings kept until it reads again. (Obsidian's `.obsidian/` holds nothing a pass
reads: its Readwise folder is set in our own config.)"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from vaultsync.core import formats
from vaultsync.render import daemon_line, setting_problem, settings_broken
from vaultsync.run.status import Status
from vaultsync.vault import CONFIG_EDN, Vault, logseq_settings, setting_changes
from vaultsync.vault_settings import Broken, SettingProblem

log = logging.getLogger("vaultsync")

# The settings that shape what a pass cleans and writes (the state cache's settings key holds
# them too): a change to one of them asks for a full pass. `:journals-directory` is followed
# but no pass uses it yet.
_CLEANING_KEYS = frozenset({"pages-directory", "file/name-format", "hidden"})


@dataclass(frozen=True)
class Followed:
    """What reading the file again gave: the vault under its settings now (None: unchanged)
    and whether what a pass cleans changed with them (a full pass is due)."""

    vault: Vault | None = None
    full_pass: bool = False


@dataclass
class AppSettings:
    """Per vault (by name): why its settings file did not read when last looked at (None when
    it did), so a broken file is warned about once; and the problems with single values already
    said, so each is said once."""

    status: Status
    broken: dict[str, Broken | None] = field(default_factory=dict)
    said: dict[str, tuple[SettingProblem, ...]] = field(default_factory=dict)

    def settings_file(self, vault: Vault) -> Path | None:
        """The vault's settings file the daemon follows (None: the app has none we read)."""
        # (A Logseq graph is told by its config.edn: the app's marker is its settings file.)
        if formats.of(vault.kind).marker != CONFIG_EDN:
            return None
        return vault.root / CONFIG_EDN

    def is_settings_file(self, vault: Vault, path: Path) -> bool:
        """`path` is a settings file of the vault's app (followed or not): never a page."""
        return path == vault.root / CONFIG_EDN

    def started(self, vault: Vault) -> None:
        """The vault was (re)made from its files: make_vault has said their problems."""
        if self.settings_file(vault) is None:
            return
        settings = logseq_settings(vault.root)
        self.broken[vault.name] = settings.broken
        self.said[vault.name] = settings.problems

    def forget(self, name: str) -> None:
        """The vault is no longer watched: its settings file's warning goes from `status`."""
        self.broken.pop(name, None)
        self.said.pop(name, None)
        self.status.resolved(_status_key(name))

    def keep_last_good(self, running: Vault, wanted: Vault) -> Vault:
        """A config reload remade a running vault while its settings file does not read (or
        is gone): the settings last read from it stay, as they do when the file changes."""
        same = (running.root, running.kind) == (wanted.root, wanted.kind)
        if not same or self.settings_file(wanted) is None:
            return wanted
        now = logseq_settings(wanted.root)
        if not (now.broken or now.missing):
            return wanted
        return wanted.following(running)

    def follow(self, vault: Vault) -> Followed:
        """Read the vault's settings file again; the vault under what it says now, when that
        differs. A file that does not read keeps the settings last read from it (warned once,
        and in `status` until it reads again)."""
        path = self.settings_file(vault)
        if path is None:
            return Followed()
        settings = logseq_settings(vault.root)
        if settings.missing:
            # Deleted (a sync tool or a checkout replacing it, the graph folder gone): the
            # settings stay until a file is back, rather than unhiding what :hidden hid.
            return Followed()
        name, key = vault.name, _status_key(vault.name)
        fields = {"vault": name, "path": path}
        if settings.broken:
            if self.broken.get(name) != settings.broken:
                self.broken[name] = settings.broken
                why = settings_broken(settings.broken)
                log.warning("%s", daemon_line("app settings broken", **fields, error=why))
                self.status.error(
                    daemon_line("app settings broken (status)", **fields, error=why), key
                )
            return Followed()
        if self.broken.get(name):
            log.info("%s", daemon_line("app settings fixed", **fields))
        self.broken[name] = None
        self.status.resolved(key)
        for problem in settings.problems:
            if problem not in self.said.get(name, ()):
                log.warning(
                    "%s", setting_problem(problem)
                )  # a value of a wrong type: Logseq's default for it
        self.said[name] = settings.problems
        changes = setting_changes(vault, settings)
        if not changes:
            return Followed()
        full = any(edn_key in _CLEANING_KEYS for edn_key, _, _ in changes)
        words = ", ".join(
            daemon_line("app setting", key=f":{k}", old=_shown(k, old), new=_shown(k, new))
            for k, old, new in changes
        )
        event = "app settings followed" if full else "app settings followed, no pass"
        log.info("%s", daemon_line(event, **fields, changes=words))
        return Followed(vault.following(settings), full)


def _status_key(name: str) -> str:
    return f"appsettings\0{name}"


def _shown(key: str, value: object) -> str:
    """A setting's value as config.edn writes it: a string quoted, a vector in brackets, the
    name format as a keyword."""
    if key == "file/name-format":
        return f":{value}"
    if isinstance(value, tuple):
        return "[" + " ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
