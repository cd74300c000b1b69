"""The progress line a pass draws on an interactive terminal (rich)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vaultsync.vault import Vault


class PassProgress:
    """A rich progress line on an interactive terminal; nothing otherwise.

    While the walk runs it counts the files; once the pass knows how many pages it will clean
    it shows "cleaning N/M pages" and an estimate of the time left (see ProgressLine)."""

    def __init__(self, vault: Vault, quiet: bool) -> None:
        self.vault = vault
        self.enabled = not quiet and sys.stderr.isatty() and not os.environ.get("CI")
        self._line: ProgressLine | None = None

    def __enter__(self) -> Callable[..., None] | None:
        if not self.enabled:
            return None
        self._line = ProgressLine(self.vault.name)
        return self._line

    def __exit__(self, *exc: object) -> None:
        if self._line is not None:
            self._line.stop()


class ProgressLine:
    """The pass's progress callback, drawn with rich. Called with no argument per file walked,
    and with ("cleaning", done, total) in the clean phase.

    Drawn by hand, not by rich's timer thread: at each change of phase, at the first clean
    step that gives an estimate, then at most ten times a second. So what a person sees
    first (the total, then the estimate) does not depend on how fast the machine is."""

    REDRAW = 0.1  # seconds between redraws within a phase

    def __init__(self, name: str) -> None:
        import time

        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn

        from vaultsync import render

        self._words = render  # progress_label, progress_count, progress_eta
        self._clock = time.monotonic
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[count]}{task.fields[eta]}"),
            console=Console(stderr=True),
            transient=True,
            auto_refresh=False,
        )
        self._progress.start()
        self._name = name
        self._task = self._progress.add_task(
            render.progress_label("scanning", name), count=render.progress_count(0), eta=""
        )
        self._files = 0
        self._phase = "scanning"
        self._drawn = 0.0
        self._estimated = False

    def __call__(self, phase: str | None = None, done: int = 0, total: int = 0) -> None:
        if phase is None:
            self._files += 1
            self._update(self._words.progress_count(self._files), "", force=self._files == 1)
            return
        first = phase != self._phase
        if first:
            self._phase = phase
            self._progress.reset(self._task, total=total)
            self._progress.update(
                self._task, description=self._words.progress_label(phase, self._name)
            )
        self._progress.update(self._task, completed=done)
        eta = self._eta()
        self._update(
            self._words.progress_count(done, total),
            eta,
            force=first or (bool(eta) and not self._estimated),
        )
        self._estimated = self._estimated or bool(eta)

    def _eta(self) -> str:
        task = self._progress.tasks[0]
        left = task.time_remaining
        if left is None or task.completed < 2:
            return ""
        return self._words.progress_eta(left)

    def _update(self, count: str, eta: str, force: bool) -> None:
        self._progress.update(self._task, count=count, eta=eta)
        now = self._clock()
        if force or now - self._drawn >= self.REDRAW:
            self._drawn = now
            self._progress.refresh()

    def stop(self) -> None:
        self._progress.stop()
