"""mockcanvas: a seeded mock Canvas LMS for the Grade Change Log audit API and grade Live Events."""

__version__ = "0.1.0"

__all__ = ["Clock", "__version__", "create_app"]


def __getattr__(name: str):
    # Imported on first use: pytest loads the plugin module (mockcanvas.pytest_plugin) in every
    # run, and importing the app (its schemas, format checkers, Faker) takes seconds.
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Clock":
        from .clock import Clock

        return Clock
    raise AttributeError(f"module 'mockcanvas' has no attribute {name!r}")
