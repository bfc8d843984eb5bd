"""The application factory: a Flask app around one seeded store and one clock."""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask

from .clock import Clock
from .controls import attach as attach_controls
from .controls import controls
from .events import DEFAULT_INBOX_CAPACITY, EventBus
from .http import (
    audit,
    bulk_grading,
    control,
    control_grading,
    courses,
    errors,
    graphql,
    inspector,
    middleware,
    submissions,
    users,
)
from .http import openapi as openapi_routes
from .http import subscriptions as subscription_routes
from .http.bodies import DEFAULT_MAX_BODY, check_max_body
from .http.cross_site import normalize_hosts
from .instance import EXTENSION_KEY, Instance, Settings
from .store import Store

if TYPE_CHECKING:
    from .scenario import Scenario


def create_app(
    store: Store | None = None,
    *,
    seed: int = 1,
    size: str = "small",
    scenario: str | os.PathLike[str] | Mapping[str, Any] | Scenario | None = None,
    clock: Clock | None = None,
    now: datetime | None = None,
    admin_token: str | None = None,
    unauthorized_status: int = 401,
    throttle: bool = False,
    control_token: str | None = None,
    validate_events: bool | None = None,
    max_body: int | None = DEFAULT_MAX_BODY,
    strict_grades: bool = False,
    inbox_capacity: int = DEFAULT_INBOX_CAPACITY,
    delivery_log_capacity: int | None = None,
    held_capacity: int | None = None,
    queue_bytes: int | None = None,
    delivery_concurrency: int | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> Flask:
    """Build a mock Canvas.

    Without a ``store``, the world is seeded from ``seed`` and ``size`` at the clock's current time
    (by default a frozen clock at ``clock.DEFAULT_NOW``, so responses are byte-for-byte repeatable).
    ``unauthorized_status=403`` mimics Canvas with the ``api_auth_error_updates`` flag on.
    ``throttle=True`` turns on Canvas's request throttle (the headers are there either way);
    ``control_token`` makes every ``/_mockcanvas/`` route require it. ``validate_events`` checks
    every emitted Live Event against its schema and fails the write if it does not match (default:
    the environment variable ``MOCKCANVAS_VALIDATE_EVENTS`` set to ``1``).
    ``scenario`` (a file, a bundled scenario's name or parsed data) builds the world from it instead
    of the seed (``seed`` then only seeds the runtime generator); its ``now`` is the clock's start
    unless ``clock`` or ``now`` is given. A bad scenario raises ``scenario.ScenarioError``.
    ``max_body`` is the largest request body read, in bytes (default 10 MiB; None: no limit);
    a larger one is 413 and changes nothing. ``strict_grades=True`` answers 400 to a posted grade
    Canvas cannot read (``"A++"``, ``"5."``), where Canvas clears the submission's grade.
    Memory caps: ``inbox_capacity`` Live Events kept (default 100,000; older ones are evicted and
    counted); per subscription, unless its spec sets its own, ``delivery_log_capacity`` log
    entries (default 50,000), ``held_capacity`` dead/overflowed payloads (default 10,000),
    ``queue_bytes`` of queued JSON payloads before ``dropped_overflow`` (default 64 MiB) and
    ``delivery_concurrency`` deliveries in flight (default 4; 1 keeps one total order).
    ``allowed_hosts`` are the host names (besides loopback names and IP addresses) the control
    API answers for, against DNS rebinding (``["*"]``: any); Canvas routes answer any host.
    """
    if unauthorized_status not in (401, 403):
        raise ValueError("unauthorized_status must be 401 or 403")
    check_max_body(max_body)
    from .sinks.registry import delivery_defaults, registry_for

    defaults = delivery_defaults(
        log_capacity=delivery_log_capacity,
        held_capacity=held_capacity,
        queue_bytes=queue_bytes,
        concurrency=delivery_concurrency,
    )
    bus = EventBus(inbox_capacity)  # ValueError on a bad capacity, before anything is built
    hosts = normalize_hosts(allowed_hosts)
    loaded = None
    if scenario is not None:
        from .scenario import load as load_scenario

        if store is not None:
            raise ValueError("give a store or a scenario, not both")
        loaded = load_scenario(scenario)
        now = now if now is not None or clock is not None else loaded.now
    if clock is None:
        clock = Clock(now) if now is not None else Clock()
    start = clock.now()
    rebuild = None
    if loaded is not None:
        strict = (
            os.environ.get("MOCKCANVAS_VALIDATE_EVENTS") == "1"
            if validate_events is None
            else validate_events
        )

        def rebuild() -> Store:  # the scenario again, as it was first loaded
            return loaded.build(start, admin_token=admin_token, validate_events=strict)

        store = rebuild()
    elif store is None:
        from .seed import build_world

        def rebuild() -> Store:  # the seeded world again: the reset check's reference copy
            return build_world(seed, size, now=start, admin_token=admin_token)

        store = build_world(seed, size, now=start, admin_token=admin_token)
    elif admin_token is not None:
        store.set_token(store.landmarks["admin"], admin_token)

    app = Flask("mockcanvas", static_folder=None)  # no /static route: Canvas API has none
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False  # OPTIONS is unrouted in Rails: a 404
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False  # Rails does not redirect "//" paths; they are 404
    app.config["MAX_CONTENT_LENGTH"] = max_body  # werkzeug raises 413 on reading past it
    inst = app.extensions[EXTENSION_KEY] = Instance(
        store=store,
        clock=clock,
        settings=Settings(
            unauthorized_status=unauthorized_status,
            seed=seed,
            size=size if loaded is None else "scenario",
            validate_events=(
                os.environ.get("MOCKCANVAS_VALIDATE_EVENTS") == "1"
                if validate_events is None
                else validate_events
            ),
            strict_grades=strict_grades,
        ),
        rng=random.Random(f"mockcanvas-runtime-{seed}"),
        bus=bus,
    )
    registry_for(bus).defaults = defaults
    if loaded is not None:  # what built the world: the test kit reads the kind of each key
        inst.settings.extra["scenario"] = loaded
    attach_controls(
        inst,
        rebuild=rebuild,
        clock_start=start,
        throttle=throttle,
        control_token=control_token,
        allowed_hosts=hosts,
    )
    # A reset keeps subscriptions but empties their delivery logs and held payloads (counted).
    controls(inst).reset_hooks.append(lambda inst: registry_for(inst.bus).clear_histories())
    errors.register(app)
    middleware.install(app)
    app.register_blueprint(audit.blueprint)
    app.register_blueprint(courses.blueprint)
    app.register_blueprint(users.blueprint)
    app.register_blueprint(submissions.blueprint)
    app.register_blueprint(bulk_grading.blueprint)
    app.register_blueprint(graphql.blueprint)
    app.register_blueprint(control.blueprint)
    app.register_blueprint(control_grading.blueprint)
    app.register_blueprint(subscription_routes.blueprint)
    app.register_blueprint(openapi_routes.blueprint)
    app.register_blueprint(inspector.blueprint)
    inspector.claim_root(app)
    return app
