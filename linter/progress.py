"""Progress of a long scan: phases (parsing files, resolving, evaluating rules) with counts.

The engine reports through :func:`current`, which does nothing unless the command line
installed a :class:`TerminalProgress` (``text`` output and standard error a terminal; see
``linter/terminal.py``). The bar appears only once a scan has taken :data:`DELAY` seconds,
so a pre-commit run or an editor never sees it, and the UI library (rich) is imported only
then: a one-file scan pays nothing for it. The bar is transient: it leaves no trace in the
terminal once the scan ends.
"""

from __future__ import annotations

import os
import time
from typing import Any, TextIO

DELAY = 0.5  # seconds of scanning before a bar is worth showing (SEAWALL_PROGRESS_DELAY)


def _delay() -> float:
    try:
        return max(0.0, float(os.environ.get("SEAWALL_PROGRESS_DELAY", DELAY)))
    except ValueError:
        return DELAY


class Progress:
    """Does nothing: what scans outside a terminal (and the language server) use."""

    def phase(self, label: str, total: int) -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class TerminalProgress(Progress):
    def __init__(self, stream: TextIO, delay: float | None = None) -> None:
        self.stream = stream
        self.delay = _delay() if delay is None else delay
        self.started = time.monotonic()
        self.label = ""
        self.total = 0
        self.done = 0
        self.shown = False  # for tests: whether a bar was ever drawn
        self._bar: Any = None
        self._task: Any = None

    def phase(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        if self._bar is not None:
            self._bar.update(self._task, description=label, total=total, completed=0)
        else:
            self._maybe_start()

    def advance(self, count: int = 1) -> None:
        self.done = min(self.total, self.done + count) if self.total else self.done + count
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
        else:
            self._maybe_start()

    def _maybe_start(self) -> None:
        if time.monotonic() - self.started < self.delay or not self.label:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = Console(file=self.stream, stderr=True)
        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=self.total, completed=self.done)
        self.shown = True

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


_current: Progress = Progress()


def current() -> Progress:
    return _current


def use(progress: Progress) -> None:
    global _current
    _current = progress
