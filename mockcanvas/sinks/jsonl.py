"""A JSON Lines file: one event per line (the payload JSON, compact), written whole or not at all.

The file is opened for appending when the subscription is made, so a path that cannot be written
is refused at once; existing lines are never touched. Only a regular file will do, opened without
blocking (``open_regular``): a FIFO or a device is refused, on subscribing and at every reopen.
Before each line the sink checks that the path still names the file it holds open (as
``logging``'s ``WatchedFileHandler`` does): a file rotated away is followed by a new one at the
path, and a path whose directory was removed fails the attempt (retried, then dead-lettered with
its payload) instead of appending to a file nobody can reach any more. A write that fails part
way (a full file system) is cut back, so a retry never leaves half a line behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from ..events import LiveEvent
from ..jsonenc import dumps
from .outbox import Outbox


class NotARegularFile(OSError):
    """The path names a FIFO, a socket, a device or a directory: only regular files take lines."""


def _refuse(path: Path) -> NotARegularFile:
    return NotARegularFile(
        errno.EINVAL, "not a regular file (a directory, FIFO, socket or device)", str(path)
    )


def open_regular(path: Path) -> int:
    """A descriptor appending to ``path``, a regular file (made if missing); never blocks.

    A plain ``open()`` of a FIFO waits for a reader, holding the calling thread (a request's
    worker) for as long as none comes. Here the open is non-blocking (a FIFO without a reader
    fails with ENXIO at once) and whatever was opened is checked with ``fstat``, so neither a
    FIFO nor a device (``/dev/full``, a terminal) is ever written to.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise _refuse(path)  # checked first, so a device is not even opened
    except FileNotFoundError:
        pass  # made below
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as error:
        if error.errno == errno.ENXIO:  # swapped for a FIFO (or socket) since the check
            raise _refuse(path) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _refuse(path)
    os.set_blocking(fd, True)
    return fd


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
        fd = open_regular(self.path)
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
