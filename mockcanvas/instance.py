"""One mock Canvas: its store, its clock and its settings, hung on the Flask app.

Nothing is global: each ``create_app`` builds its own instance, so several can share a process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from .clock import Clock
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
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class Instance:
    store: Store
    clock: Clock
    settings: Settings


def current_instance() -> Instance:
    """The instance serving the current request."""
    return current_app.extensions[EXTENSION_KEY]
