"""Reads that see the store at one instant: a route that walks the store holds the write lock.

Grade writes only append (rows, index keys, submissions), which a reader can walk beside, but a
reset undoes in place: it cuts the audit log's key arrays back and deletes what was added since
the baseline (and a write after the clock moved back inserts keys mid-array). A page read while
that runs could index past an array's end (a 500) or mix rows from both sides of the reset.
Holding the instance's write lock (re-entrant: a read inside a write is fine) for the whole view
makes an answer see the store before or after any write, never during one. Under the GIL the
views had no parallelism to lose; nothing slow (fault latency, waits) runs inside them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from ..instance import current_instance

View = TypeVar("View", bound=Callable)


def consistent(view: View) -> View:
    """Run ``view`` under the instance's write lock."""

    @functools.wraps(view)
    def locked(*args, **kwargs):
        with current_instance().write_lock:
            return view(*args, **kwargs)

    return locked  # type: ignore[return-value]
