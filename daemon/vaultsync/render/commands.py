"""The words of the commands beside the passes: demo, history, undo, release, authors,
stop/reload, and the CLI's notes."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaultsync.render.pages import plural

if TYPE_CHECKING:
    pass


def demo_copied(base: Path) -> str:
    return f"Copied the sample vaults to {base}\n"


def demo_watching(base: Path, logseq_pages: Path, obsidian_readwise: Path) -> str:
    return (
        f"Watching {base}. Drop a Readwise page into {logseq_pages} or "
        f"{obsidian_readwise} to see it cleaned; Ctrl-C to stop."
    )


# ------------------------------------------------------------------------------- history and undo


def _when(saved: Any) -> str:
    """A saved time in local time with its offset."""
    return f"{saved.astimezone():%Y-%m-%d %H:%M:%S%z}"


def history_lines(path: Path, versions: list[Any], held: bool) -> list[str]:
    """`vaultsync history PAGE`: its earlier versions, newest first."""
    note = "; held after undo (`vaultsync release` lets it be cleaned)" if held else ""
    out = [f"{path}: {len(versions)} earlier version(s), newest first{note}"]
    out += [f"  {v.number:>3}  {_when(v.saved_at)}  {v.size:>8} bytes" for v in versions]
    out.append("restore one with: vaultsync undo PAGE --version N")
    return out


def history_list(entries: list[Any], held: set[Path]) -> list[str]:
    """`vaultsync history`: every page with history, its versions, the newest one's time,
    and whether it is held after undo."""
    if not entries:
        return ["no page has history yet: vaultsync keeps a copy of a page before each rewrite"]
    out = []
    for entry in entries:
        n = plural(entry.count, "version")
        newest = f", newest {_when(entry.newest)}" if entry.newest else ""
        mark = "  [held after undo]" if entry.path in held else ""
        out.append(f"{entry.path}  ({n}{newest}){mark}")
    out.append("see one with: vaultsync history PAGE (a page name or path)")
    return out


def restored(done: Any, path: Path, dry_run: bool = False) -> str:
    """What `vaultsync undo` did (or, in a dry run, would do)."""
    if dry_run:
        return f"[dry run] would restore version {done.version} of {path} ({done.size} bytes)"
    return (
        f"restored version {done.version} of {path} (sha256 {done.sha256[:12]}…); vaultsync "
        "leaves it as it is until the page changes again, or until `vaultsync release` names it"
    )


def released(path: Path) -> str:
    return (
        f"released {path}: the next pass cleans it (now: `vaultsync resync`; the "
        "daemon: when the page changes or at its next reconcile pass)"
    )


def not_held(path: Path) -> str:
    return f"vaultsync: {path} is not held after undo; nothing to release"


# ------------------------------------------------------------------------------- authors


def authors_lines(data: dict[str, Any]) -> list[str]:
    """`vaultsync authors` for one vault, from the data `authors --json` prints: each author
    with its page, other names and handles, then the names that are likely one person."""
    out = [f"{data['vault']}: {plural(len(data['authors']), 'author')}"]
    for author in data["authors"]:
        where = author["page"] or "(no page yet)"
        n = plural(len(author["sources"]), "source")
        out.append(f"  {author['name']}  —  {n}, page: {where}")
        if author["aliases"]:
            out.append(f"    also named: {', '.join(author['aliases'])}")
        if author["handles"]:
            out.append(f"    handle: {', '.join('@' + h for h in author['handles'])}")
    if data["likely_duplicates"]:
        out.append("  likely the same person (map one to the other under authors.aliases):")
        out += [f"    {a!r} ~ {b!r}" for a, b in data["likely_duplicates"]]
    return out


# ------------------------------------------------------------------------------- the CLI's notes


_DAEMON_STATES = {
    "not running": "vaultsync: no daemon is running (state folder {state})",
    "starting": "vaultsync: the daemon is just starting; try again in a moment",
    "exited": "vaultsync: the daemon (pid {pid}) has just exited",
}


def daemon_state(state_of_daemon: str, **fields: object) -> str:
    """Why `stop`/`reload` could not signal the daemon."""
    return _DAEMON_STATES[state_of_daemon].format(**fields)


# ------------------------------------------------------------------------------- config


def no_config_file(path: Path) -> str:
    """`config validate` with no file where the config is looked for."""
    return f"vaultsync: no config file at {path} (run `vaultsync config init` to write one)"


def config_valid(path: Path, vaults: int) -> str:
    return f"{path}: valid ({plural(vaults, 'vault')})"


def config_written(path: Path) -> str:
    return f"wrote {path}; edit `vaults:` to name your graphs and vaults"


def _setting_value(value: object) -> str:
    if isinstance(value, Path):
        return str(value)
    return "(none)" if value is None or value == [] or value == {} else repr(value)


def explain_lines(path: Path, exists: bool, rows: Iterable[Any]) -> list[str]:
    """`config explain`: the file (or that the defaults are shown), then each setting row
    (`key`, `value`, `meaning`, `group`: a section whose keys follow) with what it means."""
    out = [f"# {path}" if exists else f"# {path} (absent: the defaults)"]
    for row in rows:
        if row.group:
            out.append(f"{row.key}:  {row.meaning}")
            continue
        out.append(f"{row.key} = {_setting_value(row.value)}")
        if row.meaning:
            out.append(f"    {row.meaning}")
    return out


# ------------------------------------------------------------------------------- service


def service_uninstalled(path: Path | None, advice: str) -> str:
    """`service uninstall`: the file removed and what to do next, or that there was none."""
    return f"removed {path}; {advice}" if path else "no vaultsync service was installed"


def service_needs_config(path: Path) -> str:
    return f"no config at {path}; run `vaultsync config init` and name your vaults first"


def service_would_write(path: Path) -> str:
    """`service install --print`: where the unit would go (stderr; stdout is the unit)."""
    return f"# vaultsync service install would write {path}:"


def service_installed(path: Path, then: str) -> str:
    return f"wrote {path}\nstart it with:\n  {then}"


# What to run after installing, by service manager (`service.Manager`'s value).
_SYSTEMD_START = (
    "systemctl --user daemon-reload && systemctl --user enable --now vaultsync\n"
    "  logs:   journalctl --user -u vaultsync -f\n"
    "  reload: systemctl --user reload vaultsync (after editing the config; "
    "it also reloads on its own)\n"
    "  after adding a vault in another folder, run `vaultsync service install --force` "
    "again: the unit may write only the vaults it names"
)


def service_start(service: Any) -> str:
    """What to run after `service install` wrote `service` (a `service.ServiceFile`): start
    it, where its logs are, how to reload it."""
    if service.manager.value == "systemd":
        return _SYSTEMD_START
    return f"launchctl load -w {shlex.quote(str(service.path))}\n  logs: {service.log_file}"


def service_stop_first(service: Any) -> str:
    """The advice after `service uninstall` removed `service` (a `service.ServiceFile`)."""
    if service.manager.value == "systemd":
        first = "systemctl --user disable --now vaultsync"
    else:
        first = f"launchctl unload -w {shlex.quote(str(service.path))}"
    return f"stop it first if it runs: {first}"


# ------------------------------------------------------------------- the daemon's commands

_SIGNALLED = {
    "stop": "asked the daemon to stop",
    "reload": "asked the daemon to reload its config",
}


def signalled(action: str, pid: int) -> str:
    """What `stop` (action "stop") or `reload` ("reload") did."""
    return f"{_SIGNALLED[action]} (pid {pid})"


def daemon_of_another_user(pid: int) -> str:
    return f"the daemon (pid {pid}) belongs to another user; run this as that user"


def no_activity(state: Path) -> str:
    """`vaultsync log` when the activity log is empty."""
    return f"no activity recorded yet in {state}"


# ------------------------------------------------------------------------------- pages named


def ambiguous_page(typed: str, found: list[Path]) -> str:
    """A page name that matches several pages with history: each of their paths."""
    listed = "\n".join(f"  {p}" for p in found)
    return f"{typed!r} names {len(found)} pages with history; give one of their paths:\n{listed}"


def not_in_a_vault(path: Path) -> str:
    return f"{path} is not inside a configured vault, Logseq graph or Obsidian vault"


# ------------------------------------------------------------------------------- a pass's progress


def waiting_for_lock(vault: str) -> str:
    """Why a writing pass waits: the vault's lock is held (by the daemon or another resync)."""
    return (
        f"vaultsync: {vault}: waiting for another vaultsync pass on this vault "
        "(the daemon?) to finish…"
    )


def progress_label(phase: str, vault: str) -> str:
    """The progress line's label: the phase ("scanning", "cleaning") and the vault."""
    return f"{phase} {vault}"


def progress_count(done: int, total: int | None = None) -> str:
    """Files walked so far (no `total`), or pages cleaned of `total`."""
    return plural(done, "file") if total is None else f"{done}/{total} pages"


def progress_eta(seconds_left: float) -> str:
    minutes, seconds = divmod(int(seconds_left + 0.5), 60)
    return f", about {minutes}:{seconds:02d} left"
