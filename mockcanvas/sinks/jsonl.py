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
    max_concurrency = 1  # one appender: lines in emission order, and a failed one cut back
    takes_wire = True

    def __init__(self, path: str | Path, **outbox) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file held open
        self._reopen()
        super().__init__(**outbox)

    def _reopen(self) -> int:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        held = os.fstat(fd)
        self._fd, self._identity = fd, (held.st_dev, held.st_ino)
        return fd

    def _watched(self) -> int:
        """The file now at ``path``: the one held open, or (moved or removed) a new one."""
        if self._fd is not None:
            try:
                named = os.stat(self.path)
            except (FileNotFoundError, NotADirectoryError):
                named = None
            if named is not None and (named.st_dev, named.st_ino) == self._identity:
                return self._fd
            self.release()
        return self._reopen()  # FileNotFoundError, NotADirectoryError ...: the attempt fails

    def send(
        self, message: dict, event: LiveEvent, attempt: int, encoded: str | None = None
    ) -> int | None:
        fd = self._watched()
        text = encoded if encoded is not None else dumps(message)
        view = memoryview((text + "\n").encode("utf-8"))
        written = 0
        try:
            while written < len(view):
                written += os.write(fd, view[written:])
        except OSError:
            if written:  # cut the part line off, so a retry never appends to half a line
                with contextlib.suppress(OSError):  # a device (/dev/full) cannot be truncated
                    os.ftruncate(fd, os.fstat(fd).st_size - written)
            raise
        return None

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
