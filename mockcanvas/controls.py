"""What the control API adds to an instance: the baseline to reset to, faults, throttle, journal.

One ``Controls`` hangs on each instance (``controls(inst)``); ``create_app`` attaches it. The
baseline is the seeded world: for a seeded app it is rebuilt from the seed the first time it is
needed (``prepare``), so apps that never reset pay nothing; for an app built around a given store,
that store is frozen at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from .instance import Instance
from .services.faults import FaultSet
from .services.journal import Journal
from .services.throttle import Throttle, ThrottleConfig
from .snapshot import Snapshot
from .store import Store

EXTRA_KEY = "controls"


@dataclass
class Controls:
    """Control-plane state of one instance."""

    clock_start: datetime
    clock_frozen: bool
    rng_state: object
    faults: FaultSet
    throttle: Throttle
    throttle_defaults: ThrottleConfig
    journal: Journal
    control_token: str | None = None
    # Extra clean-up run on every reset, after the store is back: (instance) -> None.
    reset_hooks: list[Callable[[Instance], None]] = field(default_factory=list)
    _baseline: Snapshot | None = None
    _rebuild: Callable[[], Store] | None = None

    def baseline(self) -> Snapshot:
        """The snapshot reset restores, made now if it was deferred."""
        if self._baseline is None:
            if self._rebuild is None:
                raise RuntimeError("no baseline to reset to")
            self._baseline = Snapshot(self._rebuild())
            self._rebuild = None
        return self._baseline

    def set_baseline(self, snapshot: Snapshot, clock_start: datetime, frozen: bool) -> None:
        self._baseline = snapshot
        self._rebuild = None
        self.clock_start = clock_start
        self.clock_frozen = frozen


def attach(
    inst: Instance,
    *,
    rebuild: Callable[[], Store] | None,
    clock_start: datetime,
    throttle: bool = False,
    control_token: str | None = None,
) -> Controls:
    """Give ``inst`` its controls. Without ``rebuild`` the current store is the baseline."""
    defaults = ThrottleConfig(enabled=throttle)
    ctl = Controls(
        clock_start=clock_start,
        clock_frozen=inst.clock.frozen,
        rng_state=inst.rng.getstate(),
        faults=FaultSet(inst.settings.seed),
        throttle=Throttle(defaults),
        throttle_defaults=defaults,
        journal=Journal(),
        control_token=control_token,
        _rebuild=rebuild,
    )
    if rebuild is None:
        ctl._baseline = Snapshot(inst.store)
    inst.settings.extra[EXTRA_KEY] = ctl
    return ctl


def controls(inst: Instance) -> Controls:
    """The controls of an instance; an instance made without ``create_app`` gets them now."""
    ctl = inst.settings.extra.get(EXTRA_KEY)
    if ctl is None:
        ctl = attach(inst, rebuild=None, clock_start=inst.clock.now())
    assert isinstance(ctl, Controls)
    return ctl
