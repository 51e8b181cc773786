"""Progress a person can follow: ``what k/N, rate, time left`` lines in the rule's log.

Long steps (synthesis per shard, training per loop of steps, detection per photo) report
through :class:`Progress`: one line per update, at most one every ``every_s`` seconds and
always the last, so a log file stays readable and ``tail -f`` shows how far a job is.
"""

from __future__ import annotations

import logging
import time

_log = logging.getLogger("spatule")


class Progress:
    """``what k/N`` lines with the time left, at most one every ``every_s`` seconds (and the last)."""

    def __init__(self, total: int, what: str, log: logging.Logger = _log, every_s: float = 10.0) -> None:
        self.total, self.what, self.log, self.every_s = total, what, log, every_s
        self.start = self.last = time.monotonic()
        self.count = 0

    def step(self, n: int = 1) -> None:
        self.count = min(self.total, self.count + n)
        now = time.monotonic()
        if self.count < self.total and now - self.last < self.every_s:
            return
        self.last = now
        rate = self.count / max(now - self.start, 1e-9)
        left = (self.total - self.count) / rate if rate > 0 else 0.0
        self.log.info("%s %d/%d, %.1f/s, %s left", self.what, self.count, self.total, rate, _clock(left))


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
