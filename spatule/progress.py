"""Progress a person can follow: ``what k/N, rate, time left`` lines in the rule's log.

Long steps (synthesis per shard, training per loop of steps, detection per photo) report
through :class:`Progress`: one line per update, at most one every ``every_s`` seconds and
always the last, so a log file stays readable and ``tail -f`` shows how far a job is.

The ``spatule`` command also redraws a bar in place on its terminal (:func:`show_bar`; the
log lines scroll above it). Workflow jobs do not: several run side by side on one terminal,
where Snakemake prints its own ``k of N steps done``, and their lines go to ``logs/``.
"""

from __future__ import annotations

import logging
import time
from typing import TextIO

_log = logging.getLogger("spatule")

_BAR: TextIO | None = None


def show_bar(stream: TextIO) -> None:
    """Draw progress bars on ``stream`` from now on, when it is a terminal (the ``spatule`` command)."""
    global _BAR
    _BAR = stream if _is_terminal(stream) else None


class Progress:
    """``what k/N`` lines with the time left, at most one every ``every_s`` seconds (and the last)."""

    def __init__(self, total: int, what: str, log: logging.Logger = _log, every_s: float = 10.0,
                 terminal: TextIO | None = None) -> None:
        self.total, self.what, self.log, self.every_s = total, what, log, every_s
        self.start = self.last = self.drawn = time.monotonic()
        self.count = 0
        stream = terminal if terminal is not None else _BAR
        self.bar = stream if stream is not None and _is_terminal(stream) else None

    def step(self, n: int = 1) -> None:
        self.count = min(self.total, self.count + n)
        now = time.monotonic()
        rate = self.count / max(now - self.start, 1e-9)
        left = (self.total - self.count) / rate if rate > 0 else 0.0
        line = f"{self.what} {self.count}/{self.total}, {rate:.1f}/s, {_clock(left)} left"
        if self.count < self.total and now - self.last < self.every_s:
            if self.bar is not None and now - self.drawn >= 0.2:
                self._draw(line, now)
            return
        self.last = now
        if self.bar is not None:
            self.bar.write("\r\033[K")  # the log line takes the bar's place; the bar comes back under it
            self.bar.flush()
        self.log.info("%s", line)
        if self.bar is not None:
            self._draw(line, now)
            if self.count == self.total:
                self.bar.write("\n")
                self.bar.flush()

    def _draw(self, line: str, now: float, width: int = 30) -> None:
        import shutil

        done = int(width * self.count / max(self.total, 1))
        text = f"[{'#' * done}{'.' * (width - done)}] {line}"
        self.bar.write("\r" + text[: shutil.get_terminal_size((100, 24)).columns - 1])  # type: ignore[union-attr]
        self.bar.flush()  # type: ignore[union-attr]
        self.drawn = now


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or odd stream
        return False


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
