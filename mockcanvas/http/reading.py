"""Requests that see the store at one instant: a route that reads or writes it holds the lock.

Grade writes only append (rows, index keys, submissions), which a reader can walk beside, but a
reset undoes in place (it cuts the audit log's key arrays back and deletes what was added since
the baseline) and a state import swaps the world's contents. A page read while that runs could
index past an array's end (a 500) or mix rows from both sides; a write that looked its course,
assignment or student up before the swap would change an entity no longer in the store (a
set-aside baseline, which every later reset then restores wrongly). Holding the instance's write
lock (re-entrant: the write path takes it again) for the whole view makes a request see the
store before or after any other write, never during one. Under the GIL the views had no
parallelism to lose; nothing slow (fault latency, delivery waits) runs inside them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from ..instance import current_instance

View = TypeVar("View", bound=Callable)


def consistent(view: View) -> View:
    """Run ``view`` (lookups, the write if any, and the answer) under the instance's write lock."""

    @functools.wraps(view)
    def locked(*args, **kwargs):
        with current_instance().write_lock:
            return view(*args, **kwargs)

    return locked  # type: ignore[return-value]
