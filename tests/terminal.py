"""Running vaultsync on a real pseudo-terminal, as a person sees it (colours, progress lines)."""

from __future__ import annotations

import os
import sys


def under_pty(args: list[str], env: dict[str, str] | None = None, columns: int = 100) -> str:
    """Run `python -m vaultsync ARGS` with its stdout and stderr on a pseudo-terminal and return
    everything it showed there. NO_COLOR and CI are removed from its environment (a terminal a
    person reads); TERM is a colour terminal."""
    import pty

    base = os.environ if env is None else env
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, its output on the terminal
        child = {k: v for k, v in base.items() if k not in ("NO_COLOR", "CI")}
        child.update(TERM="xterm-256color", COLUMNS=str(columns))
        os.execvpe(sys.executable, [sys.executable, "-m", "vaultsync", *args], child)
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.waitpid(pid, 0)
    os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")
