"""A JSON Lines file: one event per line (the payload JSON, compact), written whole or not at all.

The file is opened for appending when the subscription is made, so a path that cannot be written
is refused at once; existing lines are never touched. Before each line the sink checks that the
path still names the file it holds open (as ``logging``'s ``WatchedFileHandler`` does): a file
rotated away is followed by a new one at the path, and a path whose directory was removed fails
the attempt (retried, then dead-lettered with its payload) instead of appending to a file nobody
can reach any more. A write that fails part way (a full disk) is cut back, so a retry never
leaves half a line behind.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ..events import LiveEvent
from ..jsonenc import dumps
from .outbox import Outbox


class JsonlSink(Outbox):
    """Appends each event to one file."""

    kind = "jsonl"

    def __init__(self, path: str | Path, **outbox) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._reopen()
        super().__init__(**outbox)

    def _reopen(self) -> int:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        return self._fd

    def _watched(self) -> tuple[int, int]:
        """The file now at ``path`` (reopened if it was moved or removed) and its size."""
        fd = self._fd
        if fd is not None:
            held = os.fstat(fd)
            try:
                named = os.stat(self.path)
            except (FileNotFoundError, NotADirectoryError):
                named = None
            if named is not None and (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):
                return fd, held.st_size
            self.release()
        fd = self._reopen()  # FileNotFoundError, NotADirectoryError ...: the attempt fails
        return fd, os.fstat(fd).st_size

    def send(self, message: dict, event: LiveEvent, attempt: int) -> int | None:
        fd, size = self._watched()
        line = (dumps(message) + "\n").encode("utf-8")
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            with contextlib.suppress(OSError):  # a device (/dev/full) cannot be truncated
                os.ftruncate(fd, size)  # no half line for the retry to append to
            raise
        return None

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
