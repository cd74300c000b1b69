"""`vaultsync status` and `vaultsync log` as text, from the data `status --json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


def local_time(stamp: str | None) -> str:
    """A recorded UTC time (ISO 8601) in local time with its offset."""
    from datetime import datetime

    if not stamp:
        return "never"
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S%z")


def describe_entry(entry: dict[str, Any]) -> str:
    """One activity entry as `status` and `log` print it: when, vault, what, page, details."""
    parts = [local_time(entry.get("time"))]
    if entry.get("vault"):
        parts.append(f"{entry['vault']}:")
    parts.append(str(entry.get("what", "?")))
    if entry.get("page"):
        parts.append(str(entry["page"]))
    line = " ".join(parts)
    if entry.get("detail"):
        line += f": {entry['detail']}"
    return line


def _local_error(line: str) -> str:
    """A recorded error ("<UTC time> message") with its time in local time."""
    stamp, _, message = line.partition(" ")
    shown = local_time(stamp)
    return f"{shown} {message}" if shown != stamp else line


def status_lines(data: dict[str, Any]) -> list[str]:
    """`vaultsync status` as text, from the data `status --json` prints."""
    out = []
    if not data["running"]:
        out.append("daemon: not running")
    else:
        out.append(f"daemon: running (pid {data['pid'] or 'not recorded yet'})")
    if data["log"]:
        out.append(f"log: {data['log']}")
    if not data["recorded"]:
        out.append(f"no status recorded yet in {data['state_dir']}")
        return out
    for name, v in data["vaults"].items():
        kind = v.get("kind") or "kind not known yet"  # (a folder missing since the start)
        out.append(f"  {name}: {v.get('root')} ({kind}, {v.get('watching')})")
        out.append(f"    last pass: {local_time(v.get('last_pass'))}  {v.get('last_summary', '')}")
        if v.get("cleaner"):
            out.append(f"    cleaned by: {v['cleaner']}")
    if data["actions"]:
        out.append("last actions (newest first; all of them: vaultsync log):")
        out += [f"  {describe_entry(entry)}" for entry in data["actions"]]
    errors = data["recent_errors"]
    out.append(f"recent errors: {len(errors)}")
    out += [f"  {_local_error(line)}" for line in errors[:10]]
    return out
