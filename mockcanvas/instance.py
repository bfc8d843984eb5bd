"""One mock Canvas: its store, its clock and its settings, hung on the Flask app.

Nothing is global: each ``create_app`` builds its own instance, so several can share a process.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from flask import current_app

from .clock import Clock
from .events import EventBus
from .store import Store

EXTENSION_KEY = "mockcanvas"


@dataclass
class Settings:
    """Server options that change how faithfully-variable Canvas behaviour answers."""

    # Canvas answers 401 to a logged-in user lacking a right; 403 with the site-admin
    # feature flag api_auth_error_updates on.
    unauthorized_status: int = 401
    seed: int = 1
    size: str = "small"
    # Check every emitted Live Event against its schema (a strict mode for test suites).
    validate_events: bool = False
    # Refuse posted grades Canvas cannot read (400) instead of clearing the grade as Canvas does.
    strict_grades: bool = False
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class Instance:
    """A store, its clock, its event bus and the generator of runtime ids."""

    store: Store
    clock: Clock
    settings: Settings
    bus: EventBus = field(default_factory=EventBus)
    # Request ids, event ids and audit UUIDs made after seeding come from here, so the same
    # requests replay to the same bytes.
    rng: random.Random = field(default_factory=lambda: random.Random("mockcanvas-runtime"))
    # One writer at a time: a grade change, its audit row and its events are one unit.
    write_lock: threading.RLock = field(default_factory=threading.RLock)
    # Progress objects of background jobs (bulk grading, posting) by id: services/progress.py.
    progresses: dict = field(default_factory=dict)


def current_instance() -> Instance:
    """The instance serving the current request."""
    return current_app.extensions[EXTENSION_KEY]
