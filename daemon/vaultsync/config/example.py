"""What `vaultsync config init` writes and `config schema` prints: the commented example
config (every key with its default and what it means), written through the writer, and the
JSON Schema of the models for editors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vaultsync import paths
from vaultsync.config.models import Config
from vaultsync.config.problems import file_error
from vaultsync.errors import UsageError


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, for editors' completion and checks."""
    schema = Config.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "vaultsync configuration",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def example_config_text() -> str:
    """The commented example config: what `vaultsync config init` writes."""
    return EXAMPLE_CONFIG


def init_config(path: Path | None = None, force: bool = False) -> Path:
    """Write the example config to `path` (default: the default location), atomically, 0o600.

    Refuses to replace an existing file unless `force`.
    """
    path = path if path is not None else paths.default_config_path()
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give the path of the config file to create")
    if path.exists() and not force:
        raise UsageError(f"{path} exists; use --force to overwrite")
    from vaultsync.writer import make_folders, write_private_file

    try:
        make_folders(path.parent)
        # 0o600: the config names the user's folders.
        write_private_file(path, EXAMPLE_CONFIG.encode("utf-8"))
    except OSError as err:
        reason = err.strerror or str(err)
        raise file_error(
            path, f"cannot write the file: {reason}; check the folder's permissions"
        ) from None
    return path


EXAMPLE_CONFIG = """\
# vaultsync configuration
#
# vaultsync keeps the Readwise highlight pages in your Logseq graphs and Obsidian vaults
# clean: no repeated highlights, in reading order, readable text, linked to their authors.
# This file says which folders to look after and what to do there.
#
# Every key is optional except a vault's "path"; a key left out (or commented out) takes
# the default shown here. Lines starting with "#" are comments.
#   Check this file:       vaultsync config validate
#   JSON Schema (editors): vaultsync config schema
#   Full reference:        docs/configuration.md

# vaults: the Logseq graphs and Obsidian vaults to keep clean. None is set up yet: replace
# "vaults: []" with a list like the one below (remove the "# " in front of each line).
vaults: []
# vaults:
#   # A Logseq graph: the folder that holds logseq/config.edn and pages/.
#   - name: Logseq
#     # The folder. "~" and $VARIABLES are expanded; a relative path is relative to the
#     # folder of this file. The folder must exist; it cannot be /, your home folder or a
#     # system folder, nor lie inside (or hold) another vault.
#     path: ~/Logseq
#     # auto: a folder with logseq/config.edn is a Logseq graph, one with .obsidian/ an
#     # Obsidian vault; when it has both or neither, write logseq or obsidian.
#     kind: auto
#     # Glob patterns of the pages to clean, relative to the vault's folder: "*" stays
#     # within a name, "**/" is any number of folders. Only .md files are ever cleaned.
#     include: ["**/*.md"]
#     # More patterns to skip. Always skipped: hidden files and folders (.obsidian/,
#     # .trash/, .git/, ...), logseq/bak/, logseq/.recycle/, node_modules/, sync tools'
#     # temp and conflict files, iCloud placeholders, editor swap and temp files.
#     exclude: []
#     # true: look for changes by polling, for network shares, Docker mounts and other
#     # folders that send no file system events.
#     poll: false
#
#   # An Obsidian vault (the folder that holds .obsidian/), cleaning only the pages the
#   # Readwise plugin writes. Its name is the folder's name: "Notes".
#   - path: ~/Obsidian/Notes
#     kind: obsidian
#     include:
#       - "Readwise/**/*.md"
#     exclude:
#       - "Readwise/Readwise Syncs.md"
#     # The Readwise plugin's base folder (its "Customize base folder" setting): a page
#     # there with a "## Highlights" list is Readwise's even when no highlight has a
#     # link. false: recognise pages by their content alone. Obsidian only.
#     readwise_folder: Readwise

# rules: which clean-ups to run on each Readwise page (pages Readwise did not write are
# never changed). true runs a rule, false turns it off.
rules:
  # Remove repeated highlights; their notes, tags and block ids are kept.
  dedupe: true
  # Move the highlights of later "New highlights added ..." sections into the first one.
  fold_sections: true
  # Remove "New highlights added ..." headings left with nothing under them.
  remove_empty_sections: true
  # Put highlights in reading order: tweet threads by tweet, books by location or page.
  order: true
  # Repair mojibake such as "donâ€™t" -> "don't" (ftfy's encoding repair only).
  repair_encoding: true
  # Make the page's author a link to an author page: author:: [[Name]] / - Author: [[Name]].
  link_author: true
  # Create that author page when it does not exist yet.
  author_pages: true

# authors: how authors are linked and where their pages go.
authors:
  # Obsidian: the folder, relative to the vault, for new author notes. Logseq author
  # pages go to the graph's pages folder (:pages-directory in logseq/config.edn).
  folder: Readwise/Authors
  # true: "A, B, and C" or "A and B" becomes one link per author.
  split_multiple: false
  # The real name for a name Readwise uses, e.g. a Twitter handle:
  #   aliases:
  #     "@david_perell on Twitter": David Perell
  aliases: {}

# daemon: when the running daemon acts on changes. Times in seconds.
daemon:
  # A page is cleaned once it has not changed for this long (more than 0).
  quiet_period: 2.0
  # ... but never later than this after its first change, even while it keeps changing
  # (at least quiet_period).
  max_delay: 30.0
  # A full pass over every vault this often, catching changes the file system did not
  # report: at least 60, or 0 for never.
  reconcile_interval: 3600.0

# history: earlier versions of the pages vaultsync changed, kept in the state folder.
history:
  # How many earlier versions to keep per page; 0 keeps none.
  keep_versions: 10
  # Most megabytes all kept versions may take together; the oldest go first.
  max_total_mb: 200.0

# state_dir: the folder for vaultsync's state and history. Default: the user state folder
# (on Linux ~/.local/state/vaultsync; $VAULTSYNC_STATE_DIR overrides it). When others may
# write the folder you give (say /tmp), vaultsync keeps its state in a private "vaultsync"
# folder inside it, and never changes the folder's mode.
# state_dir: ~/.local/state/vaultsync
"""
