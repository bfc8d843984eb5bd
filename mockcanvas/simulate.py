"""``mockcanvas simulate``: realistic grading activity through the one write path, into real sinks.

For load-testing a Live Events consumer. Teachers grade, excuse, override final grades and post
manually posted assignments in the chosen courses; every operation goes through
``services.grading`` exactly as a Canvas request would, so each writes its audit row and emits
``grade_change``, ``course_grade_change`` and ``grade_override`` events into the inbox and every
subscription (webhook, signed or not, SQS, JSONL). At the end the delivery logs are read back and
every emitted event must be accounted for: delivered, skipped (no form in the format), dead,
overflowed or undelivered. Anything but delivered or skipped is lost, and the run fails.

Deterministic: operations come from a generator seeded with the seed, and the mock's clock is
frozen at ``--now`` and moved on by a drawn 1 to 5 seconds per operation, so the same seed and
arguments give the same events, byte for byte (signed webhooks' signatures and ``iat`` aside),
whatever the rate. With ``--duration`` the number of operations depends on the machine.

Pacing: with ``--rate R`` operations start on a fixed schedule of R per second whether or not
the sinks keep up (so queues can overflow, as they would in a server). Without it, the simulator
runs as fast as it can but waits while any subscription's queue is half full: the write rate is
then the slowest sink's.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .errors import BadRequest, CanvasError
from .ids import seeded_uuid
from .instance import Instance
from .models import Assignment, Course, User
from .services import grading
from .services import progress as progresses
from .services.context import RequestContext

KINDS = ("grade", "excuse", "override", "post")
DEFAULT_MIX = {"grade": 88, "excuse": 4, "override": 4, "post": 4}
DEFAULT_COUNT = 1000
DEFAULT_DRAIN = 30.0
HOST = "canvas.simulate.test"
USER_AGENT = f"mockcanvas-simulate/{__version__}"
LETTERS = ("A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "F")
GPAS = ("4.0", "3.7", "3.3", "3.0", "2.7", "2.3", "2.0", "1.7", "1.0", "0.0")


class UsageError(ValueError):
    """A simulation that cannot run as asked (no course to grade in, a bad mix, ...)."""


# -- what to do -----------------------------------------------------------------------------------


@dataclass
class _Course:
    course: Course
    teacher: User
    students: list[int]
    assignments: list[Assignment]  # gradable: active, published, not "not_graded"
    manual: list[Assignment]  # of those, the manually posted ones


# Not str.isdigit(): it takes "\u00b2", which int() refuses, and long numbers int() cannot read.
_WHOLE = re.compile(r"[0-9]{1,18}")


def parse_mix(text: str) -> dict[str, int]:
    """``"grade=90,excuse=5,override=3,post=2"`` as weights; kinds left out weigh 0."""
    mix: dict[str, int] = {}
    for part in text.split(","):
        kind, sep, weight = part.strip().partition("=")
        if not sep or kind not in KINDS:
            raise UsageError(f"mix entries are KIND=WEIGHT with KIND one of {', '.join(KINDS)}")
        if not _WHOLE.fullmatch(weight) or int(weight) > 1_000_000:
            raise UsageError(f"the weight of {kind} must be a whole number from 0 to 1000000")
        if kind in mix:
            raise UsageError(f"{kind} appears twice in the mix")
        mix[kind] = int(weight)
    if not any(mix.values()):
        raise UsageError("the mix must give some kind a weight above 0")
    return {kind: mix.get(kind, 0) for kind in KINDS}


def parse_courses(text: str) -> list[int]:
    ids = []
    for part in text.split(","):
        part = part.strip()  # int() does not strip all that str.strip() does ("0\x1d")
        if not _WHOLE.fullmatch(part) or int(part) < 1:
            raise UsageError("courses are course ids separated by commas, e.g. 1,3")
        ids.append(int(part))
    return ids


class Simulator:
    """Draws and performs grading operations; each ``step()`` is one call into the write path."""

    def __init__(
        self,
        inst: Instance,
        *,
        seed: int = 1,
        courses: Sequence[int] | None = None,
        mix: dict[str, int] | None = None,
    ) -> None:
        self.inst = inst
        self.rng = random.Random(f"mockcanvas-simulate-{seed}")
        self.courses = self._courses(courses)
        mix = dict(mix or DEFAULT_MIX)
        if not any(c.course.allow_final_grade_override for c in self.courses):
            mix["override"] = 0  # no course allows it: do the rest
        if not any(c.manual for c in self.courses):
            mix["post"] = 0
        if not any(mix.values()):
            raise UsageError("nothing in the mix can be done in these courses")
        self.kinds = [kind for kind in KINDS if mix.get(kind)]
        self.weights = [mix[kind] for kind in self.kinds]
        self.counts: Counter[str] = Counter()
        self.audit_rows = 0

    def _courses(self, wanted: Sequence[int] | None) -> list[_Course]:
        store = self.inst.store
        ids = sorted(store.courses) if wanted is None else list(dict.fromkeys(wanted))
        found = []
        for course_id in ids:
            course = store.courses.get(course_id)
            if course is None:
                raise UsageError(f"there is no course {course_id} in this world")
            teacher = students = None
            students = []
            for enrollment in store.course_enrollments(course_id):
                if enrollment.workflow_state != "active":
                    continue
                if enrollment.type == "TeacherEnrollment" and teacher is None:
                    teacher = store.users[enrollment.user_id]
                elif enrollment.type == "StudentEnrollment":
                    students.append(enrollment.user_id)
            assignments = [
                a
                for a in store.course_assignments(course_id)
                if a.workflow_state == "published" and a.grading_type != "not_graded"
            ]
            if teacher is None or not students or not assignments:
                if wanted is not None:
                    raise UsageError(
                        f"course {course_id} has no active teacher, student or gradable assignment"
                    )
                continue
            manual = [a for a in assignments if a.post_manually]
            found.append(_Course(course, teacher, sorted(set(students)), assignments, manual))
        if not found:
            raise UsageError("no course in this world has a teacher, students and assignments")
        return found

    def _context(self, teacher: User, method: str, path: str) -> RequestContext:
        return RequestContext(
            request_id=seeded_uuid(self.inst.rng),
            user=teacher,
            session_id=None,
            hostname=HOST,
            http_method=method,
            user_agent=USER_AGENT,
            client_ip="127.0.0.1",
            url=f"https://{HOST}{path}",
        )

    def _posted_grade(self, assignment: Assignment) -> str:
        rng = self.rng
        kind = assignment.grading_type
        if kind == "percent":
            return f"{rng.randint(40, 100)}%"
        if kind == "letter_grade":
            return rng.choice(LETTERS)
        if kind == "gpa_scale":
            return rng.choice(GPAS)
        if kind == "pass_fail":
            return rng.choice(("complete", "complete", "complete", "incomplete"))
        points = assignment.points_possible or 10.0
        return f"{round(rng.uniform(0.4, 1.0) * points * 2) / 2:g}"

    def step(self) -> grading.WriteResult:
        """One operation: draws what to do, moves the clock on, and writes it."""
        rng = self.rng
        kind = rng.choices(self.kinds, self.weights)[0]
        self.inst.clock.advance(rng.randint(1000, 5000) / 1000)
        if kind == "override":
            pool = [c for c in self.courses if c.course.allow_final_grade_override]
            chosen = pool[rng.randrange(len(pool))]
        elif kind == "post":
            pool = [c for c in self.courses if c.manual]
            chosen = pool[rng.randrange(len(pool))]
        else:
            chosen = self.courses[rng.randrange(len(self.courses))]
        result = self._perform(kind, chosen)
        self.counts[kind] += 1
        if result.audit_row is not None:
            self.audit_rows += 1
        return result

    def _perform(self, kind: str, chosen: _Course) -> grading.WriteResult:
        rng, inst, course = self.rng, self.inst, chosen.course
        if kind == "post":
            assignment = chosen.manual[rng.randrange(len(chosen.manual))]
            progress = progresses.create(
                inst, tag="post_assignment_grades", context_id=course.id, user=chosen.teacher
            )
            job = progresses.job_context(progress, progresses.POST_GRADES_JOB_TAG, chosen.teacher)
            box: list[grading.WriteResult] = []
            progresses.run(
                inst, progress, lambda _p: box.append(grading.post_grades(inst, job, assignment))
            )
            return box[0] if box else grading.WriteResult()
        student = chosen.students[rng.randrange(len(chosen.students))]
        if kind == "override":
            enrollment = grading.student_enrollment(inst.store, course.id, student)
            ctx = self._context(chosen.teacher, "POST", "/api/graphql")
            score = rng.randint(550, 1000) / 10
            return grading.set_override_score(inst, ctx, enrollment, score)
        assignment = chosen.assignments[rng.randrange(len(chosen.assignments))]
        path = f"/api/v1/courses/{course.id}/assignments/{assignment.id}/submissions/{student}"
        ctx = self._context(chosen.teacher, "PUT", path)
        if kind == "excuse":
            return grading.grade(inst, ctx, assignment, student, excuse=True)
        return grading.grade(
            inst, ctx, assignment, student, posted_grade=self._posted_grade(assignment)
        )


# -- a run -------------------------------------------------------------------------------------


@dataclass
class Report:
    """What a run did and what became of every event; ``lost`` decides the exit status."""

    operations: dict[str, int]
    audit_rows: int
    events: dict[str, int]
    seconds: float
    subscriptions: list[dict] = field(default_factory=list)
    undelivered_files: list[str] = field(default_factory=list)

    @property
    def emitted(self) -> int:
        return sum(self.events.values())

    @property
    def lost(self) -> int:
        return sum(s["lost"] for s in self.subscriptions)

    @property
    def unaccounted(self) -> int:
        return sum(s["unaccounted"] for s in self.subscriptions)

    def as_json(self) -> dict:
        total = sum(self.operations.values())
        return {
            "operations": total,
            "operations_by_kind": self.operations,
            "audit_rows": self.audit_rows,
            "events": self.emitted,
            "events_by_name": self.events,
            "seconds": round(self.seconds, 3),
            "operations_per_second": _rate(total, self.seconds),
            "events_per_second": _rate(self.emitted, self.seconds),
            "subscriptions": self.subscriptions,
            "lost": self.lost,
            "unaccounted": self.unaccounted,
            "undelivered_files": self.undelivered_files,
        }


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def _percentiles(samples: list[float]) -> dict[str, float] | None:
    if not samples:
        return None
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": round(ordered[-1], 2)}


def _wall(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def _subscription_report(subscription, emitted_at: dict[str, float], started: float) -> dict:
    counts = subscription.counts()
    send_ms: list[float] = []
    end_to_end_ms: list[float] = []
    last = started
    for entry in subscription.log():
        if entry["outcome"] != "delivered":
            continue
        if entry["latency_ms"] is not None:
            send_ms.append(entry["latency_ms"])
        at = _wall(entry["wall_time"])
        last = max(last, at)
        emitted = emitted_at.get(entry["event_id"])
        if emitted is not None:
            # Both ends are wall clock; the log keeps milliseconds, so small values are coarse.
            end_to_end_ms.append(max(0.0, (at - emitted) * 1000))
    lost = counts["dead"] + counts["dropped_overflow"] + counts["undelivered_at_shutdown"]
    settled = lost + counts["delivered"] + counts["skipped"]
    return {
        "id": subscription.id,
        "kind": subscription.kind,
        "target": subscription.target,
        "format": subscription.format,
        "signed": subscription.signed,
        "submitted": counts["submitted"],
        "delivered": counts["delivered"],
        "skipped": counts["skipped"],
        "dead": counts["dead"],
        "dropped_overflow": counts["dropped_overflow"],
        "undelivered": counts["undelivered_at_shutdown"],
        "pending": counts["queued"] + counts["sending"],
        "attempts": counts["attempts"],
        "lost": lost,
        "unaccounted": counts["submitted"] - settled,
        "delivered_per_second": _rate(counts["delivered"], last - started),
        "send_latency_ms": _percentiles(send_ms),
        "end_to_end_latency_ms": _percentiles(end_to_end_ms),
    }


def run(
    inst: Instance,
    simulator: Simulator,
    *,
    count: int | None = None,
    duration: float | None = None,
    rate: float = 0.0,
    drain_timeout: float = DEFAULT_DRAIN,
    undelivered_dir: Path | None = None,
) -> Report:
    """Run operations until ``count`` or ``duration`` (or both: whichever comes first), then
    wait up to ``drain_timeout`` seconds for every subscription, close them and account for
    every event. Undelivered events are written to ``undelivered_dir`` (default: a temp dir)."""
    from .sinks import registry_for, shutdown, write_undelivered

    if count is None and duration is None:
        count = DEFAULT_COUNT
    subscriptions = registry_for(inst.bus).all()
    # Full speed paces itself to the sinks: wait while a queue is over half full.
    pace = [
        (s.sink, max(1, s.sink.policy.queue_size // 2), max(1, s.sink.policy.queue_size // 4))
        for s in subscriptions
    ]
    events: Counter[str] = Counter()
    emitted_at: dict[str, float] = {}
    track = bool(subscriptions)
    done = 0
    started_wall = time.time()
    started = time.perf_counter()
    deadline = None if duration is None else started + duration
    while count is None or done < count:
        now = time.perf_counter()
        if deadline is not None and now >= deadline:
            break
        if rate > 0:
            due = started + done / rate
            if due > now:
                time.sleep(due - now)
        else:
            for sink, high, low in pace:
                if sink.queued() >= high:
                    sink.wait_room(low, timeout=max(1.0, drain_timeout))
        result = simulator.step()
        done += 1
        if result.events:
            stamp = time.time() if track else 0.0
            for event in result.events:
                events[event.name] += 1
                if track:
                    emitted_at[event.id] = stamp
    writing = time.perf_counter() - started
    drain_deadline = time.monotonic() + max(0.0, drain_timeout)
    for subscription in subscriptions:
        subscription.wait_idle(max(0.0, drain_deadline - time.monotonic()))
    shutdown(inst.bus, max(0.0, drain_deadline - time.monotonic()))
    report = Report(
        operations={kind: simulator.counts[kind] for kind in KINDS},
        audit_rows=simulator.audit_rows,
        events={name: events[name] for name in sorted(events)},
        seconds=writing,
        subscriptions=[_subscription_report(s, emitted_at, started_wall) for s in subscriptions],
    )
    pending = [s for s in subscriptions if s.unfinished()]
    if pending:
        directory = undelivered_dir or Path(tempfile.mkdtemp(prefix="mockcanvas-undelivered-"))
        written = write_undelivered(pending, directory)
        report.undelivered_files = [str(path) for _, path, _ in written]
    return report


# -- the command --------------------------------------------------------------------------------


def _positive(kind: type, name: str, *, zero: bool = False):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number") from None
        if value != value or value in (float("inf"),) or value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(f"{name} must be {'0 or more' if zero else 'above 0'}")
        return value

    return parse


def _listed(parse_text, name: str):
    def parse(text: str):
        try:
            return parse_text(text)
        except UsageError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = name
    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``simulate``'s own options (the world and sink options are added by the CLI)."""
    parser.add_argument(
        "--count",
        type=_positive(int, "--count"),
        help=f"operations to run (default {DEFAULT_COUNT} unless --duration is given)",
    )
    parser.add_argument(
        "--duration", type=_positive(float, "--duration"), help="seconds to run operations for"
    )
    parser.add_argument(
        "--rate",
        type=_positive(float, "--rate", zero=True),
        default=0.0,
        help="operations per second (default 0: as fast as the sinks take them)",
    )
    parser.add_argument(
        "--courses",
        type=_listed(parse_courses, "courses"),
        metavar="ID,ID",
        help="grade in these courses only (default: every course)",
    )
    parser.add_argument(
        "--mix",
        type=_listed(parse_mix, "mix"),
        metavar="KIND=W,...",
        help="weights of grade, excuse, override and post "
        "(default grade=88,excuse=4,override=4,post=4)",
    )
    parser.add_argument(
        "--queue-size",
        type=_positive(int, "--queue-size"),
        help="each subscription's queue (default 10000; beyond it events overflow)",
    )
    parser.add_argument(
        "--drain-timeout",
        type=_positive(float, "--drain-timeout", zero=True),
        default=DEFAULT_DRAIN,
        help=f"seconds to wait for deliveries after the last operation (default {DEFAULT_DRAIN:g})",
    )
    parser.add_argument(
        "--validate-events",
        action="store_true",
        help="check every emitted Live Event against its JSON Schema",
    )
    parser.add_argument(
        "--jwks",
        type=Path,
        metavar="FILE",
        help="write the public keys of signed webhooks (a JWKS) to FILE before the first event",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def format_report(report: Report) -> str:
    data = report.as_json()
    kinds = ", ".join(f"{k} {v:,}" for k, v in data["operations_by_kind"].items() if v)
    names = ", ".join(f"{k} {v:,}" for k, v in data["events_by_name"].items())
    lines = [
        f"operations: {data['operations']:,} ({kinds or 'none'}) in {data['seconds']:.2f} s, "
        f"{data['operations_per_second']:,.0f}/s",
        f"audit rows: {data['audit_rows']:,}",
        f"live events: {data['events']:,} ({names or 'none'}), {data['events_per_second']:,.0f}/s",
    ]
    for sub in data["subscriptions"]:
        signed = ", signed" if sub["signed"] else ""
        lines.append(
            f"subscription {sub['id']} ({sub['kind']} {sub['target']}, {sub['format']}{signed}): "
            f"{sub['delivered']:,} delivered, {sub['skipped']:,} skipped, {sub['dead']:,} dead, "
            f"{sub['dropped_overflow']:,} overflowed, {sub['undelivered']:,} undelivered "
            f"of {sub['submitted']:,}; {sub['delivered_per_second']:,.0f} delivered/s, "
            f"{sub['attempts']:,} attempts"
        )
        for label, key in (("send", "send_latency_ms"), ("end to end", "end_to_end_latency_ms")):
            p = sub[key]
            if p:
                lines.append(
                    f"  {label} latency ms: p50 {p['p50']:g}, p90 {p['p90']:g}, "
                    f"p99 {p['p99']:g}, max {p['max']:g}"
                )
    for path in data["undelivered_files"]:
        lines.append(f"undelivered events written to {path}")
    if report.unaccounted:
        lines.append(f"FAILED: {report.unaccounted:,} events unaccounted for")
    elif report.lost:
        lines.append(f"FAILED: {report.lost:,} events lost (dead, overflowed or undelivered)")
    else:
        lines.append("ok: every event delivered or skipped")
    return "\n".join(lines)


def main(args: argparse.Namespace, build) -> int:
    """Run ``mockcanvas simulate``; ``build(args)`` makes the app (the CLI's world options)."""
    from .sinks import options as sink_options
    from .sinks import registry_for, subscribe, unsubscribe

    out = sys.stdout
    app = build(args)
    inst = app.extensions["mockcanvas"]
    try:
        simulator = Simulator(inst, seed=args.seed, courses=args.courses, mix=args.mix)
    except UsageError as error:
        print(f"mockcanvas simulate: error: {error}", file=sys.stderr)
        return 2
    made = []
    try:
        for spec in sink_options.specs(args):
            if args.queue_size is not None:
                spec["queue_size"] = args.queue_size
            made.append(subscribe(inst, spec, host=HOST))
    except BadRequest as error:
        for subscription in made:
            unsubscribe(inst, subscription.id)
        print(f"mockcanvas simulate: error: {error.message}", file=sys.stderr)
        return 2
    if args.jwks is not None:
        # The keys are fresh per run: a consumer verifying signatures loads them from here.
        try:
            args.jwks.write_text(json.dumps(registry_for(inst.bus).keys.jwks(), indent=2) + "\n")
        except OSError as error:
            print(f"mockcanvas simulate: error: cannot write {args.jwks}: {error}", file=sys.stderr)
            return 2
    if not args.json:
        print(
            f"mockcanvas {__version__} simulate: seed {args.seed}, "
            f"{len(simulator.courses)} courses, "
            + (f"{args.rate:g} operations/s" if args.rate else "full speed"),
            file=out,
            flush=True,
        )
        for subscription in made:
            print(sink_options.describe(subscription), file=out, flush=True)
    try:
        report = run(
            inst,
            simulator,
            count=args.count,
            duration=args.duration,
            rate=args.rate,
            drain_timeout=args.drain_timeout,
            undelivered_dir=args.undelivered_dir,
        )
    except CanvasError as error:  # a write refused: a bug in the simulator or the world
        print(f"mockcanvas simulate: error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.as_json(), indent=2), file=out)
    else:
        print(format_report(report), file=out)
    return 1 if report.lost or report.unaccounted else 0
