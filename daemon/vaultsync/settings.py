"""From a loaded config to what the passes and the daemon need."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.core.normalize import Rules
from vaultsync.paths import default_state_dir, state_folder
from vaultsync.pipeline.report import PassOptions

if TYPE_CHECKING:  # (not imported: a cached config spares the pass commands pydantic)
    from vaultsync.config import Config


def state_dir(config: Config) -> Path:
    """The state folder (history, locks, status): the config's `state_dir` or the platform's,
    or a private subfolder of it when others may write it (see `paths.state_folder`)."""
    if config.state_dir:
        return state_folder(Path(config.state_dir).expanduser())
    return default_state_dir()


def options_from_config(
    config: Config, mode: str = "write", want_diff: bool = False
) -> PassOptions:
    """The pass options a config asks for. Versions are kept only when writing, but every
    mode reads the history, so `check`, `resync --dry-run` and `resync` all leave a page held
    after `vaultsync undo` as it is (and say so); a check or a dry run creates nothing."""
    r = config.rules
    rules = Rules(
        dedupe=r.dedupe,
        fold_sections=r.fold_sections,
        remove_empty_sections=r.remove_empty_sections,
        order=r.order,
        repair_encoding=r.repair_encoding,
        link_author=r.link_author,
    )
    from vaultsync.history import History

    keep = config.history.keep_versions if mode == "write" else 0
    history = History(
        state_dir(config) / "history",
        keep_versions=keep,
        max_total_bytes=int(config.history.max_total_mb * 2**20),
        create=keep > 0,
    )
    return PassOptions(
        mode=mode,  # type: ignore[arg-type]
        rules=rules,
        author_pages=r.author_pages,
        authors_folder=config.authors.folder,
        want_diff=want_diff,
        history=history,
        state_dir=state_dir(config),
        split_authors=config.authors.split_multiple,
        author_aliases=dict(config.authors.aliases),
    )
