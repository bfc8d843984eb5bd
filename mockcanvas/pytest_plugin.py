"""pytest fixtures for a seeded mock Canvas, loaded through the ``pytest11`` entry point.

- ``canvas``: in-process. ``requests`` calls to its base URL (default ``https://canvas.test``) are
  answered by the app through ``responses``, with no socket; loopback URLs pass through, other
  hosts are refused.
- ``canvas_server``: a real threaded HTTP server on 127.0.0.1 and a free port, one per session
  (so one per xdist worker), for any client.
- ``canvas_events``: the Live Event inbox of whichever of the two the test uses.

Each test gets the seeded world: apps are built once per configuration (seed, size, scenario) and
reset before every test, which costs milliseconds. Configure with ``--mockcanvas-*`` options,
``mockcanvas_*`` ini keys, or ``@pytest.mark.mockcanvas(seed=..., size=..., scenario=...)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# Only light modules here: pytest imports this plugin in every run of every suite on the machine.
# The app, its schemas and the HTTP machinery are imported when a fixture is first used.
from .live_server import HTTP_URL_WARNING
from .requests_routing import DEFAULT_BASE_URL, normalize_base_url

if TYPE_CHECKING:
    from .live_server import LiveServer
    from .testing import AppCache, MockCanvas

MARKER_KEYS = ("seed", "size", "scenario", "base_url", "strict_grades")


@dataclass(frozen=True)
class Settings:
    """One test's configuration: the world (seed, size or scenario) and the in-process URL."""

    seed: int = 1
    size: str = "small"
    scenario: str | None = None
    base_url: str = DEFAULT_BASE_URL
    strict_grades: bool = False

    def world(self) -> dict:
        return {
            "seed": self.seed,
            "size": self.size,
            "scenario": self.scenario,
            "strict_grades": self.strict_grades,
        }


_SETTINGS = pytest.StashKey[Settings]()
# The canvases a test has set up, by fixture name: canvas_events finds its canvas here.
_ACTIVE = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockcanvas", "mock Canvas fixtures")
    options = (
        ("seed", "N", "world seed of the canvas fixtures (default 1)"),
        ("size", "SIZE", "world size: small, medium, large or huge (default small)"),
        ("scenario", "FILE", "a scenario file or bundled scenario name to build the world from"),
        ("base_url", "URL", f"base URL of the in-process canvas (default {DEFAULT_BASE_URL})"),
        (
            "strict_grades",
            "BOOL",
            "true: a posted grade Canvas cannot read is a 400 (default false:"
            " cleared, as Canvas does)",
        ),
    )
    for name, metavar, text in options:
        group.addoption(f"--mockcanvas-{name.replace('_', '-')}", dest=f"mockcanvas_{name}",
                        metavar=metavar, default=None, help=text)  # fmt: skip
        parser.addini(f"mockcanvas_{name}", text, default=None)


def _checked(values: dict, where: str) -> dict:
    """Values of seed, size, base_url and strict_grades as the fixtures need them; UsageError
    naming ``where``."""
    out = dict(values)
    if out.get("seed") is not None:
        seed = out["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int | str):
            raise pytest.UsageError(f"{where}: seed must be an integer, not {seed!r}")
        try:
            out["seed"] = int(seed)
        except ValueError:
            raise pytest.UsageError(f"{where}: seed must be an integer, not {seed!r}") from None
    if out.get("size") is not None:
        from .seed import SIZES

        if out["size"] not in SIZES:
            known = ", ".join(SIZES)
            raise pytest.UsageError(f"{where}: unknown size {out['size']!r}; known: {known}")
    if out.get("strict_grades") is not None:
        out["strict_grades"] = _boolean(out["strict_grades"], "strict_grades", where)
    if out.get("base_url") is not None:
        try:
            out["base_url"] = normalize_base_url(out["base_url"])
        except ValueError as error:
            raise pytest.UsageError(f"{where}: {error}") from None
    return out


_TRUE, _FALSE = frozenset({"true", "1", "yes", "on"}), frozenset({"false", "0", "no", "off"})


def _boolean(value: object, name: str, where: str) -> bool:
    """A bool, or its ini / command-line spelling (true/false, 1/0, yes/no, on/off)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise pytest.UsageError(f"{where}: {name} must be true or false, not {value!r}")


def _scenario_path(value: str | None, base: Path) -> str | None:
    """A relative scenario path from ``base`` when such a file exists; else as given (a
    bundled scenario's name, or a path the loader will report as missing)."""
    if value is None:
        return None
    candidate = base / value
    return str(candidate) if not Path(value).is_absolute() and candidate.is_file() else value


def _session_settings(config: pytest.Config) -> Settings:
    """Defaults, then ini keys, then command-line options."""
    values: dict = {}
    ini_dir = config.inipath.parent if config.inipath else config.rootpath
    ini = {key: config.getini(f"mockcanvas_{key}") or None for key in MARKER_KEYS}
    ini["scenario"] = _scenario_path(ini["scenario"], ini_dir)
    values.update({k: v for k, v in _checked(ini, "ini").items() if v is not None})
    cli = {key: config.getoption(f"mockcanvas_{key}") for key in MARKER_KEYS}
    cli["scenario"] = _scenario_path(cli["scenario"], config.invocation_params.dir)
    values.update({k: v for k, v in _checked(cli, "command line").items() if v is not None})
    return Settings(**values)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockcanvas(seed=None, size=None, scenario=None, base_url=None): the world (and the "
        "in-process base URL) of this test's canvas fixtures",
    )
    config.stash[_SETTINGS] = _session_settings(config)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """canvasapi warns about http URLs; the live server is http on loopback on purpose."""
    for item in items:
        if "canvas_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.filterwarnings(f"ignore:{HTTP_URL_WARNING}:UserWarning"))


def _settings(request: pytest.FixtureRequest) -> Settings:
    """The session's settings, overridden by ``mockcanvas`` marks (the closest mark wins)."""
    values = dict(request.config.stash[_SETTINGS].__dict__)
    for mark in reversed(list(request.node.iter_markers("mockcanvas"))):
        where = f"@pytest.mark.mockcanvas on {request.node.nodeid}"
        unknown = sorted(set(mark.kwargs) - set(MARKER_KEYS))
        if mark.args or unknown:
            pytest.fail(
                f"{where}: takes keyword arguments {', '.join(MARKER_KEYS)}"
                + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
                pytrace=False,
            )
        try:
            given = _checked(mark.kwargs, where)
        except pytest.UsageError as error:
            pytest.fail(str(error), pytrace=False)
        if "scenario" in given:
            given["scenario"] = _scenario_path(given["scenario"], request.path.parent)
        values.update(given)
    return Settings(**values)


class _Session:
    """The apps of a session, per fixture kind and configuration, and the one live server."""

    def __init__(self) -> None:
        from .testing import AppCache

        self.apps: dict[str, AppCache] = {"canvas": AppCache(), "canvas_server": AppCache()}
        self.server: LiveServer | None = None

    def fresh(self, kind: str, settings: Settings):
        try:
            return self.apps[kind].fresh(**settings.world())
        except ValueError as error:  # a bad size or scenario (ScenarioError is a ValueError)
            pytest.fail(f"mockcanvas: {error}", pytrace=False)

    def serve(self, app) -> LiveServer:
        if self.server is None:
            from .live_server import LiveServer

            self.server = LiveServer(app).start()
        self.server.app = app
        return self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        for cache in self.apps.values():
            cache.close()


@pytest.fixture(scope="session")
def _mockcanvas_session() -> Iterator[_Session]:
    session = _Session()
    yield session
    session.close()


@pytest.fixture
def canvas(request: pytest.FixtureRequest, _mockcanvas_session: _Session) -> Iterator[MockCanvas]:
    """A freshly seeded mock Canvas in this process: ``requests`` to ``canvas.base_url`` reach it
    with no socket. Loopback URLs pass through; other hosts raise ``requests.ConnectionError``
    unless stubbed on ``canvas.requests_mock``."""
    from .requests_routing import route_requests
    from .testing import MockCanvas

    settings = _settings(request)
    app = _mockcanvas_session.fresh("canvas", settings)
    with route_requests(app, settings.base_url) as mock:
        handle = MockCanvas(app, settings.base_url, requests_mock=mock)
        request.node.stash.setdefault(_ACTIVE, {})["canvas"] = handle
        yield handle
    handle.close_subscriptions()


@pytest.fixture
def canvas_server(
    request: pytest.FixtureRequest, _mockcanvas_session: _Session
) -> Iterator[MockCanvas]:
    """A freshly seeded mock Canvas behind a real HTTP server on 127.0.0.1 (one port per session
    or xdist worker): ``canvas_server.base_url`` is ``http://127.0.0.1:PORT``."""
    from .testing import MockCanvas

    app = _mockcanvas_session.fresh("canvas_server", _settings(request))
    server = _mockcanvas_session.serve(app)
    handle = MockCanvas(app, server.url)
    request.node.stash.setdefault(_ACTIVE, {})["canvas_server"] = handle
    yield handle
    handle.close_subscriptions()


@pytest.fixture
def canvas_events(request: pytest.FixtureRequest):
    """The Live Events of the canvas this test uses (``canvas`` or ``canvas_server``; ``canvas``
    when it uses neither): ``canvas_events.wait_for("grade_change", student_id=...)``."""
    active = request.node.stash.get(_ACTIVE, {})  # also those got with getfixturevalue
    requested = {n for n in ("canvas", "canvas_server") if n in request.fixturenames}
    used = sorted(set(active) | requested)
    if len(used) > 1:
        pytest.fail(
            "canvas_events: this test uses both canvas and canvas_server; "
            "use canvas.events or canvas_server.events",
            pytrace=False,
        )
    name = used[0] if used else "canvas"
    return (active.get(name) or request.getfixturevalue(name)).events
