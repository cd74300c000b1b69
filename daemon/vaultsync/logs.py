"""Where the daemon's log goes, and how each line looks there.

- Under systemd (stderr is the journal stream named by `$JOURNAL_STREAM`): each message is sent
  to journald as one entry with its priority, over journald's native socket, so a multi-line
  message stays one entry and `journalctl -p warning` finds the warnings. When the socket cannot
  be reached, each line goes to stderr with sd-daemon's `<N>` priority prefix and no timestamp
  (journald adds its own).
- On a terminal: `time level message` on stderr, times local with their UTC offset.
- Anywhere else: the same lines on stderr; when stderr is kept nowhere (nohup's /dev/null, a
  pipe, cron), also in a rotating log file in the state folder (`vaultsync.log`, 1 MiB, 3 old
  copies), which `vaultsync status` names. stderr that is a file already (launchd's
  StandardErrorPath, `2>>file`) is the log: nothing is written twice.

Nothing here decides what is logged; it only routes and formats.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import socket
import struct
import sys
from pathlib import Path
from typing import TextIO

JOURNAL_SOCKET = "/run/systemd/journal/socket"
# Tests point this at a socket of their own; nothing else should need it.
JOURNAL_SOCKET_ENV = "VAULTSYNC_JOURNAL_SOCKET"
LOG_FILE_NAME = "vaultsync.log"
LOG_FILE_BYTES = 2**20
LOG_FILE_BACKUPS = 3
TIME_FORMAT = "%Y-%m-%d %H:%M:%S%z"  # local time with its offset: +0100, -0500


def syslog_priority(levelno: int) -> int:
    """sd-daemon / syslog priority of a logging level: 3 error, 4 warning, 6 info, 7 debug."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


def under_journald(stream: TextIO | None = None) -> bool:
    """True when `stream` (stderr by default) is the journal stream systemd gave this process:
    `$JOURNAL_STREAM` holds its device and inode. A child whose stderr was redirected elsewhere
    inherits the variable, so the two are compared."""
    wanted = os.environ.get("JOURNAL_STREAM", "")
    if not wanted:
        return False
    stream = stream or sys.stderr
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return wanted == f"{st.st_dev}:{st.st_ino}"


def journal_fields(message: str, priority: int) -> bytes:
    """One journal entry in journald's native protocol: `KEY=value` lines; a value that holds a
    newline goes as the key, a newline, its length (64-bit little endian), the bytes, a newline."""
    out = bytearray()
    for key, value in (
        ("MESSAGE", message),
        ("PRIORITY", str(priority)),
        ("SYSLOG_IDENTIFIER", "vaultsync"),
    ):
        data = value.encode("utf-8", "replace")
        if b"\n" in data:
            out += key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += key.encode() + b"=" + data + b"\n"
    return bytes(out)


class JournalHandler(logging.Handler):
    """Sends each record to journald as one entry; falls back to `<N>`-prefixed lines on the
    stream when a datagram cannot be sent (socket gone, message too large)."""

    def __init__(self, path: str, fallback: logging.Handler) -> None:
        super().__init__()
        self.path = path
        self.fallback = fallback
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            self.sock.sendto(journal_fields(message, syslog_priority(record.levelno)), self.path)
        except OSError:
            self.fallback.handle(record)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)

    def close(self) -> None:
        self.sock.close()
        super().close()


class PrefixFormatter(logging.Formatter):
    """sd-daemon's convention: every line starts with `<N>`, the message's priority; no time."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).split("\n"))


def journal_socket() -> str | None:
    """The journal's native socket when it can be written to, else None."""
    path = os.environ.get(JOURNAL_SOCKET_ENV) or JOURNAL_SOCKET
    try:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            probe.connect(path)
        finally:
            probe.close()
    except OSError:
        return None
    return path


def log_file_path(state_dir: Path) -> Path:
    return state_dir / LOG_FILE_NAME


def handlers_for(
    *, log_file: Path | None, state_dir: Path | None, stream: TextIO | None = None
) -> list[logging.Handler]:
    """The handlers for the daemon's log (see the module docstring)."""
    stream = stream or sys.stderr
    if under_journald(stream):
        plain = logging.StreamHandler(stream)
        plain.setFormatter(PrefixFormatter("%(message)s"))
        path = journal_socket()
        handlers: list[logging.Handler] = [JournalHandler(path, plain) if path else plain]
        if path:
            handlers[0].setFormatter(logging.Formatter("%(message)s"))
    else:
        timed = logging.Formatter("%(asctime)s %(levelname)s %(message)s", TIME_FORMAT)
        console = logging.StreamHandler(stream)
        console.setFormatter(timed)
        handlers = [console]
        target = log_file
        if target is None and state_dir is not None and _goes_nowhere_kept(stream):
            target = log_file_path(state_dir)
        if target is not None:
            handlers.append(_file_handler(target, rotating=log_file is None, formatter=timed))
    return handlers


def _goes_nowhere_kept(stream: TextIO) -> bool:
    """stderr is neither a terminal someone reads nor a file that keeps it (launchd's
    StandardErrorPath, a shell's `2>>file`): /dev/null, a pipe, a closed stream."""
    import stat

    try:
        if stream.isatty():
            return False
        return not stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, ValueError, OSError):
        return True


def _file_handler(path: Path, *, rotating: bool, formatter: logging.Formatter) -> logging.Handler:
    """The state folder's own log rotates itself; a file the user names is reopened when
    logrotate (or the user) moves it away."""
    from vaultsync.errors import LogFileUnusable
    from vaultsync.writer import make_folders

    try:
        if rotating:
            make_folders(path.parent, mode=0o700)
            handler: logging.Handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"
            )
        else:
            handler = logging.handlers.WatchedFileHandler(path, encoding="utf-8")
    except OSError as err:
        raise LogFileUnusable(path, err) from None
    handler.setFormatter(formatter)
    return handler


def print_error(text: str, stream: TextIO | None = None) -> None:
    """An error message for the user (the CLI's one error printer calls this): under journald one
    entry at error priority, elsewhere the text as it is."""
    stream = stream or sys.stderr
    if under_journald(stream):
        path = journal_socket()
        if path:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                    sock.sendto(journal_fields(text, 3), path)
                return
            except OSError:
                pass
        text = "\n".join("<3>" + line for line in text.split("\n"))
    print(text, file=stream)
