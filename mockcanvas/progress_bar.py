"""A progress bar for long world builds, drawn on a terminal's stderr and nowhere else.

``mockcanvas serve`` prints its port on stdout for scripts to read, and a build's output must not
end up in a log file or a pipe: the bar draws only on a stream that is a TTY, only once a build
has run for ``DELAY`` seconds (a small world never shows one), and redraws at most ten times a
second. The CLI turns it on around ``create_app`` with ``showing()``; ``seed.build_world`` asks
``current()`` for a bar when its caller gave none.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO

DELAY = 1.0  # seconds a build runs before the bar appears
INTERVAL = 0.1  # seconds between redraws
WIDTH = 30  # characters of the bar itself


class ProgressBar:
    """``label [#####.....] 45% 450,000/1,000,000 rows 3.1 s`` on one redrawn line."""

    def __init__(
        self,
        label: str,
        total: int,
        stream: TextIO | None = None,
        *,
        unit: str = "rows",
        delay: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.total, self.unit = label, max(0, total), unit
        self.stream = sys.stderr if stream is None else stream
        self.enabled = _is_terminal(self.stream)
        self.delay = DELAY if delay is None else delay
        self._clock = clock
        self._started = clock()
        self._drawn_at: float | None = None  # when the line was last drawn; None: never
        self._done = 0

    @property
    def shown(self) -> bool:
        """Whether anything has been written."""
        return self._drawn_at is not None

    def update(self, done: int) -> None:
        """``done`` of ``total`` are finished; redraws when it is time to."""
        self._done = done
        if not self.enabled:
            return
        now = self._clock()
        if now - self._started < self.delay:
            return
        if self._drawn_at is not None and now - self._drawn_at < INTERVAL:
            return
        self._draw(now, done, self.total)

    def close(self, done: int | None = None) -> None:
        """Draw the finished bar and end its line, if the bar was ever shown."""
        if done is not None:
            self._done = done
        if self._drawn_at is None:
            return
        finished = max(self._done, 0)
        self._draw(self._clock(), finished, max(finished, self.total), final=True)

    def _draw(self, now: float, done: int, total: int, *, final: bool = False) -> None:
        share = min(1.0, done / total) if total else 1.0
        filled = round(share * WIDTH)
        line = (
            f"{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {share:4.0%} "
            f"{done:,}/{total:,} {self.unit} {now - self._started:.1f} s"
        )
        try:
            self.stream.write("\r" + line + ("\n" if final else "\x1b[K"))
            self.stream.flush()
        except (OSError, ValueError):  # a closed or vanished terminal: stop drawing
            self.enabled = False
        self._drawn_at = now


def _is_terminal(stream: TextIO) -> bool:
    if stream is sys.stdout or stream is sys.__stdout__:
        return False  # stdout is for what scripts read
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


# -- turning it on for the builds of a block ----------------------------------------------------

_FACTORY: ContextVar[Callable[[str, int], ProgressBar] | None] = ContextVar(
    "mockcanvas_progress_bar", default=None
)


@contextmanager
def showing(stream: TextIO | None = None) -> Iterator[None]:
    """Within the block, world builds draw a bar on ``stream`` (stderr) if it is a terminal."""
    token = _FACTORY.set(lambda label, total: ProgressBar(label, total, stream))
    try:
        yield
    finally:
        _FACTORY.reset(token)


def current(label: str, total: int) -> ProgressBar | None:
    """A bar for a build starting now, if the caller turned them on with ``showing()``."""
    factory = _FACTORY.get()
    return factory(label, total) if factory is not None else None
