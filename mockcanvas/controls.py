"""What the control API adds to an instance: the baseline to reset to, faults, throttle, journal.

One ``Controls`` hangs on each instance (``controls(inst)``); ``create_app`` attaches it. The
baseline is the world as the app was built (or as a state import made it, ``baseline=True``).
It is never copied: from the moment it is fixed the store records an undo journal
(mockcanvas/undo.py), and a reset undoes what changed since, in place. A state import that is not
a new baseline sets the baseline's contents aside (``Baseline.held``) and a reset swaps them back.

The reset check (``MOCKCANVAS_CHECK_RESET=1``, on in this project's test suite) compares every
reset world with an independent copy of the baseline (rebuilt from the seed or scenario, or a
snapshot) and fails loudly if a write path changed something without recording it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from .instance import Instance
from .services.faults import FaultSet
from .services.journal import Journal
from .services.throttle import Throttle, ThrottleConfig
from .snapshot import Snapshot, restore_into
from .store import Store

EXTRA_KEY = "controls"
CHECK_ENV = "MOCKCANVAS_CHECK_RESET"


class ResetMismatch(AssertionError):
    """The reset check found the reset world different from its baseline: some write changed
    the store without recording it in the undo journal (``Store.touch``)."""


class Baseline:
    """The world reset returns to.

    Its contents are either live in the instance's store, which records every change since in
    its undo journal, or ``held`` here while an imported state is live. ``reference`` makes an
    independent copy of it, for the reset check only.
    """

    def __init__(self, reference: Callable[[], Store] | None = None) -> None:
        self.held: Store | None = None
        self._reference = reference
        self._reference_store: Store | None = None

    def reference(self) -> Store:
        """An untouched copy of the baseline (made once, never live, never changed)."""
        if self._reference_store is None:
            if self._reference is None:
                raise RuntimeError("this baseline keeps no reference copy")
            self._reference_store = self._reference()
            self._reference = None
        return self._reference_store


@dataclass
class Controls:
    """Control-plane state of one instance."""

    store: Store
    clock_start: datetime
    clock_frozen: bool
    rng_state: object
    faults: FaultSet
    throttle: Throttle
    throttle_defaults: ThrottleConfig
    journal: Journal
    control_token: str | None = None
    # Host names the control API answers besides loopback names and IP literals ("*": any);
    # see mockcanvas/http/cross_site.py. A set: the in-process routings add their base URL's.
    allowed_hosts: set[str] = field(default_factory=set)
    # Extra clean-up run on every reset, after the store is back: (instance) -> None.
    reset_hooks: list[Callable[[Instance], object]] = field(default_factory=list)
    # Compare every reset world with a reference copy of the baseline (slow; for test suites).
    check: bool = False
    _baseline: Baseline = field(default_factory=Baseline)

    def baseline(self) -> Baseline:
        """The baseline reset restores."""
        return self._baseline

    def set_baseline(self, baseline: Baseline, clock_start: datetime, frozen: bool) -> None:
        """Make ``baseline`` (one this instance had before) what reset restores from now on;
        the next reset brings it back."""
        if baseline is not self._baseline:
            if baseline.held is None:
                raise ValueError("that baseline is live elsewhere: it cannot be reinstated")
            self.set_aside()
            self._baseline = baseline
        self.clock_start = clock_start
        self.clock_frozen = frozen

    def set_aside(self) -> None:
        """Move the baseline's contents out of the store (undoing the journal first), so the
        store can take another state; the next reset swaps them back. Costs what changed."""
        if self._baseline.held is not None:
            return
        store = self.store
        store.undo()
        store.end_undo()
        held = object.__new__(Store)
        vars(held).update(vars(store))
        self._baseline.held = held

    def new_baseline(self, reference: Callable[[], Store] | None) -> None:
        """The store's current state is the baseline from now on (a state import)."""
        self.set_aside()  # the old baseline stays whole, should anyone reinstate it
        self._baseline = Baseline(reference if self.check else None)
        if self.check:
            self._baseline.reference()  # now, while what it copies is as it was
        self.store.begin_undo()

    def restore(self) -> int:
        """Bring the store back to the baseline: undo the journal, or swap the held contents
        in. Returns how many undo steps ran (0 after a swap)."""
        store = self.store
        baseline = self._baseline
        if baseline.held is not None:
            restore_into(store, baseline.held)
            baseline.held = None
            store.begin_undo()
            steps = 0
        else:
            steps = store.undo()
        if self.check:
            self._check()
        return steps

    def _check(self) -> None:
        reference = self._baseline.reference()
        problems = store_differences(self.store, reference)
        if problems:
            # Repair, so the tests after this one start from the baseline, then fail loudly.
            restore_into(self.store, _copy(reference))
            self.store.begin_undo()
            raise ResetMismatch(
                "reset left the store different from its baseline (a write changed the store "
                "without recording it in the undo journal: call store.touch(entity) before "
                "changing an entity): " + "; ".join(problems[:10])
            )


def _copy(store: Store) -> Store:
    return Snapshot(store).thaw()


def store_differences(live: Store, reference: Store) -> list[str]:
    """What differs between two stores: tables (in order), audit rows, indexes, sequences."""
    problems: list[str] = []
    mine, theirs = vars(live), vars(reference)
    for name in sorted(set(mine) | set(theirs)):
        if name == "_undo":
            continue
        if name not in mine or name not in theirs:
            problems.append(f"store attribute {name} is only on one side")
            continue
        a, b = mine[name], theirs[name]
        if name == "grade_changes":
            rows_a, rows_b = a.rows(), b.rows()
            if rows_a != rows_b:
                problems.append(f"audit log: {len(rows_a)} rows, baseline {len(rows_b)}")
            for part in sorted(set(vars(a)) - set(a.CACHES)):
                if vars(a)[part] != vars(b).get(part):
                    problems.append(f"audit log {part} differs")
            continue
        if isinstance(a, dict) and not name.startswith("_"):
            if list(a) != list(b):
                added, gone = a.keys() - b.keys(), b.keys() - a.keys()
                problems.append(
                    f"{name}: keys differ (added {sorted(map(str, added))[:5]}, "
                    f"missing {sorted(map(str, gone))[:5]}, or reordered)"
                )
                continue
            changed = [key for key, value in a.items() if value != b[key]]
            if changed:
                problems.append(f"{name}: changed {', '.join(map(str, changed[:5]))}")
            continue
        if a != b:
            problems.append(f"{name} differs")
    return problems


def attach(
    inst: Instance,
    *,
    rebuild: Callable[[], Store] | None,
    clock_start: datetime,
    throttle: bool = False,
    control_token: str | None = None,
    allowed_hosts: frozenset[str] = frozenset(),
) -> Controls:
    """Give ``inst`` its controls; its store as it is now is the baseline. ``rebuild`` makes that
    world again (the seed, the scenario): the reset check's reference copy."""
    defaults = ThrottleConfig(enabled=throttle)
    check = os.environ.get(CHECK_ENV) == "1"
    if check and rebuild is None:
        rebuild = Snapshot(inst.store).thaw
    ctl = Controls(
        store=inst.store,
        clock_start=clock_start,
        clock_frozen=inst.clock.frozen,
        rng_state=inst.rng.getstate(),
        faults=FaultSet(inst.settings.seed),
        throttle=Throttle(defaults),
        throttle_defaults=defaults,
        journal=Journal(),
        control_token=control_token,
        allowed_hosts=set(allowed_hosts),
        check=check,
        _baseline=Baseline(rebuild if check else None),
    )
    inst.store.begin_undo()
    inst.settings.extra[EXTRA_KEY] = ctl
    return ctl


def controls(inst: Instance) -> Controls:
    """The controls of an instance; an instance made without ``create_app`` gets them now."""
    ctl = inst.settings.extra.get(EXTRA_KEY)
    if ctl is None:
        ctl = attach(inst, rebuild=None, clock_start=inst.clock.now())
    assert isinstance(ctl, Controls)
    return ctl
