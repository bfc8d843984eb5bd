"""mockcanvas: a seeded mock Canvas LMS for the Grade Change Log audit API and grade Live Events.

The public API is ``__all__`` below, plus the subpackages and modules users import by name:
``mockcanvas.strategies`` (Hypothesis strategies), ``mockcanvas.schemas`` (loading and
validation), ``mockcanvas.sinks`` (Live Events delivery), ``mockcanvas.testing`` (the test
handle) and ``mockcanvas.scenario`` (scenario files), each with its own ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> the module that defines it. Imported on first use: pytest loads the plugin module
# (mockcanvas.pytest_plugin) in every run, and importing the app (its schemas, format checkers,
# Faker) takes seconds.
_LAZY = {
    "create_app": "mockcanvas.app",
    "Clock": "mockcanvas.clock",
    "MockCanvas": "mockcanvas.testing",
    "LiveServer": "mockcanvas.live_server",
    "route_requests": "mockcanvas.requests_routing",
    "LiveEvent": "mockcanvas.events",
    "ScenarioError": "mockcanvas.scenario",
}

__all__ = [
    "Clock",
    "LiveEvent",
    "LiveServer",
    "MockCanvas",
    "ScenarioError",
    "__version__",
    "create_app",
    "route_requests",
]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ imports them
    from .app import create_app
    from .clock import Clock
    from .events import LiveEvent
    from .live_server import LiveServer
    from .requests_routing import route_requests
    from .scenario import ScenarioError
    from .testing import MockCanvas


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mockcanvas' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found directly next time
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
