"""mockcanvas: a seeded mock Canvas LMS for the Grade Change Log audit API and grade Live Events."""

__version__ = "0.1.0"

from .app import create_app
from .clock import Clock

__all__ = ["Clock", "__version__", "create_app"]
