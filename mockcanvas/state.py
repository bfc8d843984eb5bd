"""An instance's world as a whole: reset it to the seed, export it as JSON, import it back.

- ``reset(inst)``: the store back to the baseline (the seeded world), the clock back to its start,
  the inbox emptied and event numbering restarted, the runtime generator re-seeded, faults,
  throttle buckets and the journal cleared. Subscriptions (sinks and their delivery logs) stay.
- ``export_state(inst)``: every entity, audit row, token, landmark and id sequence, and the clock,
  as JSON-ready data; ``import_state(inst, data)`` checks such data completely and only then
  replaces the store and clock, so bad input changes nothing. Export, import, export gives the
  same bytes.

The store object keeps its identity through both, so anything holding ``inst.store`` sees the new
world; a reset also puts changed entities back in place (an undo journal, mockcanvas/undo.py),
so references to them stay good too.
"""

from __future__ import annotations

import time
import typing
from dataclasses import MISSING, dataclass, fields
from datetime import UTC, datetime
from types import NoneType, UnionType
from typing import Any
from zoneinfo import ZoneInfo

from .clock import EARLIEST as EARLIEST  # re-exported: the clock's range is the import's
from .clock import LATEST as LATEST
from .clock import RANGE_TEXT, Clock, in_range
from .controls import controls
from .errors import BadRequest
from .ids import SHARD_FACTOR
from .instance import Instance
from .jsonnum import whole
from .models import (
    Account,
    AccountAdmin,
    Assignment,
    AssignmentGroup,
    Course,
    Enrollment,
    GradeChange,
    PageView,
    Score,
    Section,
    Submission,
    User,
)
from .scoring import MAX_SCORE, MIN_MAGNITUDE
from .snapshot import restore_into
from .store import Store

FORMAT = "mockcanvas-state"
VERSION = 1


@dataclass(frozen=True)
class Table:
    """One entity table: its store attribute (and JSON key), model and how to add a row."""

    name: str
    model: type
    add: str
    key: str = "id"
    sequence: str | None = None  # the name ``Store.new_id`` hands its ids out under
    refs: tuple[tuple[str, str], ...] = ()  # (field, table) that must exist when not null


TABLES: tuple[Table, ...] = (
    Table(
        "accounts",
        Account,
        "add_account",
        sequence="accounts",
        refs=(("parent_account_id", "accounts"), ("root_account_id", "accounts")),
    ),
    Table("users", User, "add_user", sequence="users"),
    Table(
        "admins",
        AccountAdmin,
        "add_admin",
        sequence="account_users",
        refs=(("account_id", "accounts"), ("user_id", "users")),
    ),
    Table(
        "courses",
        Course,
        "add_course",
        sequence="courses",
        refs=(("account_id", "accounts"), ("root_account_id", "accounts")),
    ),
    Table(
        "sections",
        Section,
        "add_section",
        sequence="course_sections",
        refs=(("course_id", "courses"),),
    ),
    Table(
        "enrollments",
        Enrollment,
        "add_enrollment",
        sequence="enrollments",
        refs=(
            ("user_id", "users"),
            ("course_id", "courses"),
            ("section_id", "sections"),
            ("root_account_id", "accounts"),
        ),
    ),
    Table(
        "assignment_groups",
        AssignmentGroup,
        "add_assignment_group",
        sequence="assignment_groups",
        refs=(("course_id", "courses"),),
    ),
    Table(
        "assignments",
        Assignment,
        "add_assignment",
        sequence="assignments",
        refs=(("course_id", "courses"), ("assignment_group_id", "assignment_groups")),
    ),
    Table(
        "submissions",
        Submission,
        "add_submission",
        sequence="submissions",
        refs=(("assignment_id", "assignments"), ("user_id", "users"), ("course_id", "courses")),
    ),
    Table(
        "scores", Score, "add_score", sequence="scores", refs=(("enrollment_id", "enrollments"),)
    ),
    Table("page_views", PageView, "add_page_view", key="request_id", refs=(("user_id", "users"),)),
    Table(
        "grade_changes",
        GradeChange,
        "add_grade_change",
        refs=(
            ("course_id", "courses"),
            ("assignment_id", "assignments"),
            ("submission_id", "submissions"),
            ("student_id", "users"),
        ),
    ),
)
# Store attributes that are not tables but are state; everything else in a store is an index
# rebuilt from the tables.
SCALARS = ("root_account_id", "landmarks", "tokens")
_TOP_KEYS = frozenset(
    {"format", "version", "clock", "sequences", *SCALARS, *(t.name for t in TABLES)}
)


# -- reset -----------------------------------------------------------------------------------


def prepare_reset(inst: Instance) -> int:
    """Nothing to prepare any more (a reset undoes the changes since the baseline, which the store
    records from the start); kept for earlier callers. Returns 0."""
    controls(inst)
    return 0


def reset(inst: Instance) -> float:
    """Put the instance back to its baseline; returns how long it took, in milliseconds.

    Costs what changed since the baseline (mockcanvas/undo.py), not the size of the world.
    """
    started = time.perf_counter()
    ctl = controls(inst)
    with inst.write_lock:
        ctl.restore()
        set_clock(inst.clock, ctl.clock_start, frozen=ctl.clock_frozen)
        inst.rng.setstate(ctl.rng_state)  # type: ignore[arg-type]
        inst.bus.inbox.clear()
        _restart_event_numbering(inst)
        ctl.faults.reset()
        ctl.throttle.configure(ctl.throttle_defaults)
        ctl.journal.clear(restart=True)
        inst.progresses.clear()  # background jobs' Progress objects: a fresh world has none
        for hook in ctl.reset_hooks:
            hook(inst)
    return (time.perf_counter() - started) * 1000


def _restart_event_numbering(inst: Instance) -> None:
    # A fresh world numbers its events from 1.
    inst.bus.restart_numbering()


def set_clock(clock: Clock, instant: datetime, *, frozen: bool) -> None:
    if frozen:
        clock.freeze()
        clock.set(instant)
    else:
        clock.unfreeze()
        clock.set(instant)


# -- values ------------------------------------------------------------------------------------


def iso_instant(value: datetime) -> str:
    """A UTC instant as ISO 8601 with ``Z``; microseconds only when there are some."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(text: object, what: str) -> datetime:
    """An ISO 8601 time with an offset, as UTC; raises BadRequest otherwise."""
    if not isinstance(text, str):
        raise BadRequest(f"{what} must be an ISO 8601 time string")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{what} is not an ISO 8601 time: {text!r}") from None
    if value.tzinfo is None:
        raise BadRequest(f"{what} needs an offset or Z: {text!r}")
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadRequest(f"{what} is out of range: {text!r}") from None


def _members(hint: Any) -> tuple[tuple[Any, ...], bool]:
    if isinstance(hint, UnionType) or typing.get_origin(hint) is typing.Union:
        args = typing.get_args(hint)
        return tuple(a for a in args if a is not NoneType), NoneType in args
    return (hint,), False


# What an imported value may be, so that nothing imported can break a later read or write:
# ids are local ids of this shard (global ids are SHARD_FACTOR * shard + local; automatic graders
# have negative ids), other integers fit Canvas's 4-byte integer columns, numbers are finite and
# within what the write path takes (scoring.py), times within the clock's range, and text fits a
# Canvas text column and holds no NUL (PostgreSQL refuses it).
MAX_ID = SHARD_FACTOR - 1
INT_LOW, INT_HIGH = -(2**31), 2**31 - 1
MAX_TEXT = 65_535
MAX_LIST = 1_000
_FIRST_SECOND, _LAST_SECOND = int(EARLIEST.timestamp()), int(LATEST.timestamp())


# Text columns that hold one of a set of values (as Canvas's models validate them; the GraphQL
# enums list the same): anything else breaks the reads that map them.
_ACTIVE_OR_DELETED = frozenset({"active", "deleted"})
CHOICES: dict[tuple[str, str], frozenset[str]] = {
    ("accounts", "workflow_state"): _ACTIVE_OR_DELETED,
    ("users", "workflow_state"): frozenset(
        {"registered", "pre_registered", "creation_pending", "deleted"}
    ),
    ("admins", "workflow_state"): _ACTIVE_OR_DELETED,
    ("courses", "workflow_state"): frozenset(
        {"created", "claimed", "available", "completed", "deleted"}
    ),
    ("enrollments", "type"): frozenset(
        {
            "StudentEnrollment",
            "TeacherEnrollment",
            "TaEnrollment",
            "ObserverEnrollment",
            "DesignerEnrollment",
            "StudentViewEnrollment",
        }
    ),
    ("enrollments", "workflow_state"): frozenset(
        {"invited", "creation_pending", "active", "deleted", "rejected", "completed", "inactive"}
    ),
    ("assignment_groups", "workflow_state"): frozenset({"available", "deleted"}),
    ("assignments", "workflow_state"): frozenset({"unpublished", "published", "deleted"}),
    ("assignments", "grading_type"): frozenset(
        {"points", "percent", "letter_grade", "gpa_scale", "pass_fail", "not_graded"}
    ),
    ("submissions", "workflow_state"): frozenset(
        {"unsubmitted", "submitted", "pending_review", "graded", "deleted"}
    ),
    ("scores", "workflow_state"): _ACTIVE_OR_DELETED,
}
# Text columns naming a time zone: a name that loads (an IANA zone), or null where allowed.
ZONES = frozenset(
    {("accounts", "default_time_zone"), ("users", "time_zone"), ("courses", "time_zone")}
)


def _zone_loads(name: str) -> bool:
    if len(name) > 255:
        return False
    try:
        ZoneInfo(name)
    except Exception:  # not found, not a name, a path the file system refuses
        return False
    return True


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{where} must be a string")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise BadRequest(f"{where} must be at most {MAX_TEXT} characters, without NUL")
    return value


def _decoder(hint: Any, name: str = ""):
    (base, *rest), nullable = _members(hint)
    if rest:
        raise TypeError(f"unsupported field type {hint!r}")
    origin = typing.get_origin(base)
    if base is int:
        if name == "created_at":  # the audit log's seconds since 1970: the clock's range
            low, high, what = _FIRST_SECOND, _LAST_SECOND, f"a time in seconds ({RANGE_TEXT})"
        elif _is_id(name):
            low, high, what = -MAX_ID, MAX_ID, f"an id between {-MAX_ID} and {MAX_ID}"
        else:
            low, high, what = INT_LOW, INT_HIGH, f"an integer between {INT_LOW} and {INT_HIGH}"

    def decode(value: object, where: str) -> object:
        if value is None:
            if nullable:
                return None
            raise BadRequest(f"{where} must not be null")
        if base is bool:
            if isinstance(value, bool):
                return value
            raise BadRequest(f"{where} must be true or false")
        if base is int:
            number = whole(value)
            if number is not None and low <= number <= high:
                return number
            raise BadRequest(f"{where} must be {what}")
        if base is float:
            # Compared before float(): an integer of thousands of digits does not convert.
            if (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and (value == 0 or MIN_MAGNITUDE <= abs(value) <= MAX_SCORE)
            ):
                return float(value)
            raise BadRequest(
                f"{where} must be 0 or a number of magnitude {MIN_MAGNITUDE:g} to {MAX_SCORE:g}"
            )
        if base is str:
            return _text(value, where)
        if base is datetime:
            instant = parse_instant(value, where)
            if not in_range(instant):
                raise BadRequest(f"{where} is out of range ({RANGE_TEXT})")
            return instant
        if origin is tuple:
            if isinstance(value, list) and len(value) <= MAX_LIST:
                return tuple(_text(v, f"{where}[{i}]") for i, v in enumerate(value))
            raise BadRequest(f"{where} must be a list of at most {MAX_LIST} strings")
        raise TypeError(f"unsupported field type {hint!r}")

    return decode


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class _Field:
    name: str
    decode: Any
    required: bool


def _model_fields(model: type) -> tuple[_Field, ...]:
    hints = typing.get_type_hints(model)
    return tuple(
        _Field(
            f.name,
            _decoder(hints[f.name], f.name),
            f.default is MISSING and f.default_factory is MISSING,
        )
        for f in fields(model)
    )


_FIELDS: dict[type, tuple[_Field, ...]] = {
    table.model: _model_fields(table.model) for table in TABLES
}


# -- export ------------------------------------------------------------------------------------


def _rows(store: Store, table: Table) -> list:
    held = getattr(store, table.name)
    return held.rows() if table.name == "grade_changes" else list(held.values())


def export_state(inst: Instance) -> dict:
    """The whole world as JSON-ready data (entities in insertion order, fields in model order)."""
    with inst.write_lock:
        store = inst.store
        data: dict[str, object] = {
            "format": FORMAT,
            "version": VERSION,
            "clock": {"now": iso_instant(inst.clock.now()), "frozen": inst.clock.frozen},
            "root_account_id": store.root_account_id,
            "landmarks": dict(store.landmarks),
            "sequences": store.sequences(),
            "tokens": dict(store.tokens),
        }
        for table in TABLES:
            names = [f.name for f in _FIELDS[table.model]]
            data[table.name] = [
                {name: _encode(getattr(row, name)) for name in names} for row in _rows(store, table)
            ]
    return data


# -- import ------------------------------------------------------------------------------------


def _object(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise BadRequest(f"{where} must be a JSON object")
    return value


def _decode_row(table: Table, raw: object, where: str) -> object:
    raw = _object(raw, where)
    specs = _FIELDS[table.model]
    unknown = sorted(set(raw) - {f.name for f in specs})
    if unknown:
        raise BadRequest(f"{where}: unknown fields {', '.join(unknown)}")
    values = {}
    for spec in specs:
        if spec.name in raw:
            values[spec.name] = value = spec.decode(raw[spec.name], f"{where}.{spec.name}")
            choices = CHOICES.get((table.name, spec.name))
            if choices is not None and value not in choices:
                raise BadRequest(f"{where}.{spec.name} must be one of {', '.join(sorted(choices))}")
            if (table.name, spec.name) in ZONES and value is not None and not _zone_loads(value):
                raise BadRequest(f"{where}.{spec.name} must be an IANA time zone name")
        elif spec.required:
            raise BadRequest(f"{where}.{spec.name} is missing")
    return table.model(**values)


def _int_map(value: object, where: str, *, low: int = -MAX_ID) -> dict[str, int]:
    """A JSON object of ids (landmarks, tokens' users, sequences), each between ``low`` and
    what a local id can be."""
    mapping = dict(_object(value, where))
    if len(mapping) > MAX_TEXT:
        raise BadRequest(f"{where} must have at most {MAX_TEXT} entries")
    for name, raw in mapping.items():
        _text(name, f"{where} key {name[:40]!r}")
        number = whole(raw)
        if number is None:
            raise BadRequest(f"{where}.{name} must be an integer")
        if not low <= number <= MAX_ID:
            raise BadRequest(f"{where}.{name} must be between {low} and {MAX_ID}")
        mapping[name] = number
    return mapping


def build_store(data: object) -> tuple[Store, datetime, bool]:
    """A store (and clock setting) from exported data; raises BadRequest at the first problem."""
    data = _object(data, "the state")
    if data.get("format") != FORMAT or whole(data.get("version")) != VERSION:
        raise BadRequest(f'the state must have "format": "{FORMAT}" and "version": {VERSION}')
    missing = sorted(_TOP_KEYS - set(data))
    unknown = sorted(set(data) - _TOP_KEYS)
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise BadRequest(f"the state's keys: {'; '.join(problems)}")
    clock = _object(data["clock"], "clock")
    if set(clock) != {"now", "frozen"} or not isinstance(clock["frozen"], bool):
        raise BadRequest('clock must be {"now": <ISO 8601 time>, "frozen": true|false}')
    now = parse_instant(clock["now"], "clock.now")
    if not in_range(now):
        raise BadRequest(f"clock.now is out of range ({RANGE_TEXT})")

    store = Store()
    for table in TABLES:
        rows = data[table.name]
        if not isinstance(rows, list):
            raise BadRequest(f"{table.name} must be a list")
        held = getattr(store, table.name)
        add = getattr(store, table.add)
        for index, raw in enumerate(rows):
            where = f"{table.name}[{index}]"
            row = _decode_row(table, raw, where)
            key = getattr(row, table.key)
            if table.name != "grade_changes" and key in held:
                raise BadRequest(f"{where}: {table.key} {key!r} appears twice")
            try:
                add(row)
            except ValueError as error:  # duplicate submission, out-of-order audit row id
                raise BadRequest(f"{where}: {error}") from None
    for table in TABLES:
        for index, row in enumerate(_rows(store, table)):
            for name, target in table.refs:
                value = getattr(row, name)
                if value is not None and value not in getattr(store, target):
                    where = f"{table.name}[{index}].{name}"
                    raise BadRequest(f"{where}: no {target} with id {value}")

    root = data["root_account_id"]
    if root is not None:
        root = whole(root)  # not a number (an object, say) is no id, rather than a crash
        if root is None or root not in store.accounts:
            raise BadRequest("root_account_id must be null or the id of an account")
    store.root_account_id = root
    store.landmarks.update(_int_map(data["landmarks"], "landmarks"))
    tokens = _int_map(data["tokens"], "tokens")
    seen: set[int] = set()
    for token, user_id in tokens.items():
        if not token or user_id not in store.users or user_id in seen:
            raise BadRequest(f"tokens: {token!r} must be non-empty and name a user once")
        seen.add(user_id)
        store.set_token(user_id, token)
    sequences = _int_map(data["sequences"], "sequences", low=1)
    for table in TABLES:
        if table.sequence in sequences and getattr(store, table.name):
            highest = max(getattr(store, table.name))
            if sequences[table.sequence] <= highest:
                raise BadRequest(f"sequences.{table.sequence} must be above {highest}")
    store.restore_sequences(sequences)
    return store, now, clock["frozen"]


def import_state(inst: Instance, data: object, *, baseline: bool = False) -> None:
    """Replace the store and clock with exported data; bad data raises BadRequest, changing
    nothing. With ``baseline``, later resets come back to this state instead of the seed."""
    store, now, frozen = build_store(data)
    ctl = controls(inst)
    with inst.write_lock:
        ctl.set_aside()  # the baseline's contents, kept whole for reset (or for reinstating)
        restore_into(inst.store, store)
        set_clock(inst.clock, now, frozen=frozen)
        if baseline:
            ctl.new_baseline(reference=lambda: build_store(data)[0])
            ctl.clock_start, ctl.clock_frozen = now, frozen
