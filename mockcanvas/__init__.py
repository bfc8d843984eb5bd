"""mockcanvas: a seeded mock Canvas LMS for the Grade Change Log audit API and grade Live Events."""

__version__ = "0.1.0"

from .app import create_app  # noqa: E402  (the app's modules read __version__)
from .clock import Clock  # noqa: E402

__all__ = ["Clock", "__version__", "create_app"]
