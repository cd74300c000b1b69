"""The operator notes: the log's diagnostics of the layers below a pass (the watcher's threads,
the writer's temp-file clean-up, the history store's files, the move of a shared state folder),
worded in one place as the rest of the renderer words a pass's results (issue 14, one voice).

They have no report to travel in: the layer that meets the problem logs the note at once, at
the level it chooses, as `log.warning("%s", note("temp file not removed", path=p, error=err))`.
Each note is only built on the rare path that logs it, so the words cost nothing otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

# The commands that raise Linux's inotify limits, told with the warning that a limit was hit.
_RAISE_WATCHES = (
    "echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/90-vaultsync.conf "
    "&& sudo sysctl --system"
)
_RAISE_INSTANCES = (
    "echo fs.inotify.max_user_instances=1024 | sudo tee /etc/sysctl.d/91-vaultsync.conf "
    "&& sudo sysctl --system"
)
_SLOWER = "watching {root} by polling every {seconds:g} s instead, which is slower"
_RAISE_WATCH_LIMIT = f"To raise the limit, run: {_RAISE_WATCHES}"
# A folder below the root found without a watch (watcher/coverage.py).
_UNWATCHED = (
    "vault {vault!r}: inotify watch limit reached (fs.inotify.max_user_watches is {limit}): "
    "folder {folder}"
)

# The note for each event; `note` fills in the fields.
_NOTES = {
    # -- the watcher (watcher/): a vault's folder, its observer thread, watchdog itself
    "event not handled": "vault {vault!r}: error while handling {event!r}",
    "watcher not stopped": "error while stopping a watcher",
    "watcher thread lingers": "a watcher thread did not stop within {seconds:g} s",
    "watchdog warning": "watchdog: {message} ({category} at {file}:{line:d})",
    "vault folder gone": "vault {vault!r}: folder {root} is gone; watching it again once it is "
    "back",
    "watching again": "vault {vault!r}: watching {root} again ({mode})",
    "vault folder not found": "vault {vault!r}: cannot watch {root}: folder not found; will retry",
    "folder got no watch": f"{_UNWATCHED} got no watch; {_SLOWER}. {_RAISE_WATCH_LIMIT}",
    "folders got no watch": f"{_UNWATCHED} and {{others}} more got no watch; {_SLOWER}. "
    f"{_RAISE_WATCH_LIMIT}",
    "watch limit reached": "vault {vault!r}: inotify watch limit reached ({error}); "
    f"{_SLOWER}. {_RAISE_WATCH_LIMIT}",
    "instance limit reached": "vault {vault!r}: too many inotify instances or open files "
    f"({{error}}); {_SLOWER}. To raise the limit, run: {_RAISE_INSTANCES}",
    "file events unavailable": "vault {vault!r}: file events unavailable for {root} ({error}); "
    "polling every {seconds:g} s instead",
    "cannot watch": "vault {vault!r}: cannot watch {root}: {error}; only the periodic pass will "
    "see changes there",
    # -- the writer (writer/): temp files and what a copy could not keep
    "temp file not removed": "could not remove temp file {path}: {error}",
    "temp files not searched": "cannot look for leftover temp files in {folder}: {error}",
    "leftover temp file not removed": "cannot remove leftover temp file {path}: {error}",
    "attribute not kept": "extended attribute {name} not kept: {error}",
    # -- the state folder (paths.py): the one-time move into the private subfolder
    "state entry not moved": "could not move {entry} into the private state folder {folder}: "
    "{error}",
    "state folder moved": "the state folder {folder} may be written by others; vaultsync now "
    "keeps its state in the private subfolder {sub} (moved there: {names})",
    # -- the history store (history/): damaged files are skipped, small misses said quietly
    "history pack damaged": "ignoring the rest of damaged history pack {file}",
    "history index damaged": "ignoring damaged history index {file}: {exception}",
    "history folder kept": "cannot remove empty history folder {folder}: {exception}",
    "hold not recorded": "cannot record that the hold on {path} was announced: {exception}",
    # -- the state cache (state/) and the worker pool (workers.py)
    "state cache damaged": "state cache {path} is damaged ({exception}); starting afresh",
    "state cache off": "state cache {path}: cannot {what} ({exception}); passes read every "
    "page until this is fixed",
    "state file not removed": "cannot remove {path}: {error}",
    "workers not a number": "{name}={value!r} is not a number of workers; using the cores",
    "workers failed": "the worker processes failed ({exception}); going on in this process",
}


def _shown(key: str, value: object) -> object:
    """A field as the note shows it: an `error` that is an OSError by the system's words alone
    (the path is in the note already), falling back to its text when it has none; a list or
    tuple joined with commas; anything else as it is (`exception` is an error's whole text)."""
    if key == "error" and isinstance(value, OSError):
        return value.strerror or str(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(str(v) for v in value)
    return value


def note(event: str, /, **fields: object) -> str:
    """The operator note for `event` (a key of _NOTES), its fields filled in (a field may be
    called `event` too: the watcher names the watchdog event it could not handle)."""
    return _NOTES[event].format(**{k: _shown(k, v) for k, v in fields.items()})
