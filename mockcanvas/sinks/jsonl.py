"""A JSON Lines file: one event per line (the payload JSON, compact), flushed after each line.

The file is opened for appending when the subscription is made, so a path that cannot be written
is refused at once; existing lines are never touched.
"""

from __future__ import annotations

from pathlib import Path

from ..events import LiveEvent
from ..jsonenc import dumps
from .outbox import Outbox


class JsonlSink(Outbox):
    """Appends each event to one file."""

    kind = "jsonl"

    def __init__(self, path: str | Path, **outbox) -> None:
        self.path = Path(path)
        self._file = self.path.open("a", encoding="utf-8")
        super().__init__(**outbox)

    def send(self, message: dict, event: LiveEvent, attempt: int) -> int | None:
        self._file.write(dumps(message) + "\n")
        self._file.flush()
        return None

    def release(self) -> None:
        self._file.close()
