"""The request journal: every request the instance answered, Canvas routes and control routes alike.

Secrets stay out: the query's values of parameters named like a secret (``access_token``, the
inspector's ``token``, ``password`` ...; ``FILTERED_PARAMETERS``) are recorded as ``[FILTERED]``,
as Canvas's logs filter them. Headers and bodies are not recorded at all.

Bounded: past ``capacity`` entries the oldest go, and ``evicted`` counts them, so a reader can
always tell that something is missing. Sequence numbers keep counting when entries are cleared,
so ``after=`` cursors stay valid; only a reset starts them over.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from urllib.parse import unquote_plus

from .faults import glob_pattern

DEFAULT_CAPACITY = 10_000
FILTERED = "[FILTERED]"
# Parameter names whose values never reach the journal, matched as Rails' ParameterFilter matches
# a plain name: anywhere in the name, any case (``user[password]``, ``X_API_KEY``). Canvas's own
# list (config.filter_parameters: LoggingFilter::FILTERED_PARAMETERS), and ``token``: the
# inspector's ``?token=`` carries the control token (and it covers ``access_token``).
FILTERED_PARAMETERS = (
    "password",
    "auth_password",
    "access_token",
    "api_key",
    "client_secret",
    "fb_sig_friends",
    "token",
)


def filtered(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in FILTERED_PARAMETERS)


def redact_query(query: str) -> str:
    """The raw query string with the value of every filtered parameter replaced by
    ``[FILTERED]``; everything else (order, encoding, repeats) kept as sent."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        if equals and filtered(unquote_plus(name)):
            part = f"{name}={FILTERED}"
        parts.append(part)
    return "&".join(parts)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    time: str  # the instance clock when the request arrived
    method: str
    path: str
    query: str
    status: int
    user_id: int | None
    request_id: str | None  # the id a write stamped on audit rows and events; None otherwise
    duration_ms: float
    fault_id: int | None = None  # the fault that answered instead of the app
    throttled: bool = False

    def to_json(self) -> dict:
        return asdict(self)


class Journal:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("a journal holds at least one entry")
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._seq = 0
        self._evicted = 0
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    @property
    def evicted(self) -> int:
        return self._evicted

    @property
    def total(self) -> int:
        """How many requests were recorded since the last reset (cleared ones included)."""
        return self._seq

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, **fields: object) -> JournalEntry:
        with self._lock:
            self._seq += 1
            entry = JournalEntry(seq=self._seq, **fields)  # type: ignore[arg-type]
            if len(self._entries) == self._entries.maxlen:
                self._evicted += 1
            self._entries.append(entry)
            return entry

    def resize(self, capacity: int) -> None:
        """Hold at most ``capacity`` entries from now on; the oldest beyond it are evicted."""
        if capacity < 1:
            raise ValueError("a journal holds at least one entry")
        with self._lock:
            dropped = max(0, len(self._entries) - capacity)
            self._evicted += dropped
            self._entries = deque(self._entries, maxlen=capacity)

    def clear(self, *, restart: bool = False) -> int:
        """Forget the entries; ``restart`` also starts sequence numbers and evictions over."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            if restart:
                self._seq = 0
                self._evicted = 0
            return count

    def select(
        self,
        *,
        after: int | None = None,
        limit: int | None = None,
        path: str | None = None,
        method: str | None = None,
    ) -> list[JournalEntry]:
        """Entries oldest first; ``path`` is a glob (``*``, ``**``, ``?``) on the path."""
        pattern = glob_pattern(path) if path else None
        wanted_method = method.upper() if method else None
        with self._lock:
            entries = list(self._entries)
        found: list[JournalEntry] = []
        for entry in entries:
            if after is not None and entry.seq <= after:
                continue
            if wanted_method is not None and entry.method != wanted_method:
                continue
            if pattern is not None and not pattern.match(entry.path):
                continue
            found.append(entry)
            if limit is not None and len(found) >= limit:
                break
        return found
