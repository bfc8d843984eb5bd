"""The small values every payload is made of: ids, times, zones, grades and Faker-backed words.

Values that decide a payload's structure (ids, times, grades, which of two forms) are Hypothesis
draws, so they shrink towards the simplest case: id 1, the earliest time, UTC, a points grade.
Words (names, e-mail addresses, hosts, user agents, UUIDs) only dress a payload: they come from
one ``random.Random`` seeded with a single drawn integer, using Faker's en_US name tables and their
weights, so an example replays exactly and shrinks to the names of seed 0. Faker's own generator
methods are not called per example: at 80-130 µs a name they would dominate the cost of a payload.
"""

from __future__ import annotations

import itertools
import random
import string
from datetime import UTC, datetime, timedelta
from functools import cache

from hypothesis import strategies as st

from .. import grading
from ..ids import SHARD_FACTOR, global_id, seeded_hex, seeded_uuid

MAX_LOCAL_ID = 10**7
"""Local ids are drawn up to here: past a real school's size, far below a global id."""

EARLIEST = datetime(2015, 1, 1, tzinfo=UTC)
LATEST = datetime(2035, 1, 1, tzinfo=UTC)

TIME_ZONES = (
    "UTC",
    "America/Denver",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/St_Johns",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "Pacific/Auckland",
)
"""Zones with whole, half-hour and negative offsets, daylight saving or not; UTC prints ``Z``."""

GRADABLE_TYPES = ("points", "percent", "letter_grade", "gpa_scale", "pass_fail")
"""Grading types that give grades (``not_graded`` assignments never change a grade)."""

POINTS_POSSIBLE: dict[str, tuple[float, ...]] = {
    "points": (10.0, 1.0, 5.0, 12.5, 20.0, 25.0, 50.0, 100.0),
    "percent": (100.0, 10.0, 20.0, 50.0),
    "letter_grade": (100.0, 10.0, 50.0),
    "gpa_scale": (100.0, 4.0, 50.0),
    "pass_fail": (1.0, 5.0, 10.0),
}

# -- Hypothesis draws --------------------------------------------------------------------------


def local_ids(max_value: int = MAX_LOCAL_ID) -> st.SearchStrategy[int]:
    """Canvas local ids (a shard's own row ids): positive integers, shrinking to 1."""
    return st.integers(1, max_value)


def global_ids() -> st.SearchStrategy[str]:
    """Global ids as Live Events write them: ``"10000000000042"`` (shard 1, local id 42)."""
    return local_ids().map(lambda local: str(global_id(local)))


def seeds() -> st.SearchStrategy[int]:
    """The seed of an example's words (names, hosts, UUIDs); shrinks to 0."""
    return st.integers(0, 2**32 - 1)


def time_zones() -> st.SearchStrategy[str]:
    """IANA zone names, UTC first so examples shrink to ``Z`` times."""
    return st.sampled_from(TIME_ZONES)


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def instants(earliest: datetime = EARLIEST, latest: datetime = LATEST) -> st.SearchStrategy:
    """Aware UTC datetimes in whole seconds, as Canvas keeps audit times."""
    return st.integers(_seconds(earliest), _seconds(latest)).map(
        lambda second: datetime.fromtimestamp(second, UTC)
    )


def event_instants(earliest: datetime = EARLIEST, latest: datetime = LATEST) -> st.SearchStrategy:
    """Aware UTC datetimes with milliseconds, as Live Events stamp ``event_time``."""
    low, high = _seconds(earliest) * 1000, _seconds(latest) * 1000
    return st.integers(low, high).map(
        lambda ms: datetime.fromtimestamp(ms // 1000, UTC) + timedelta(milliseconds=ms % 1000)
    )


@cache
def sampled(options: tuple) -> st.SearchStrategy:
    """``sampled_from`` made once per tuple of options.

    Hypothesis validates each new strategy object on its first draw, which costs more than the
    draw itself; strategies drawn from on every example are therefore built once and reused.
    """
    return st.sampled_from(options)


@cache
def indexes(count: int) -> st.SearchStrategy[int]:
    """Positions in a sequence of ``count`` items (for items that cannot key a cache)."""
    return st.integers(0, count - 1)


def pick_from(draw, items):
    """One of ``items``, shrinking to the first."""
    return items[draw(indexes(len(items)))] if len(items) > 1 else items[0]


@cache
def score_choices(grading_type: str, points_possible: float) -> tuple[float, ...]:
    """Scores a grader enters for this kind of assignment: half points, a little extra credit."""
    if grading_type == "pass_fail":
        return (points_possible, 0.0)
    top = int(points_possible * 2 * 1.1)
    return tuple(step / 2 for step in range(top + 1))


@cache
def scores_with_other_grade(
    grading_type: str, points_possible: float, grade: str | None
) -> tuple[float, ...]:
    """The score choices whose grade differs from ``grade``: a regrade always shows."""
    return tuple(
        score
        for score in score_choices(grading_type, points_possible)
        if grading.grade_for_score(grading_type, score, points_possible) != grade
    )


def scores(grading_type: str, points_possible: float) -> st.SearchStrategy[float]:
    return sampled(score_choices(grading_type, points_possible))


def scores_other_than(grading_type: str, points_possible: float, grade: str | None):
    """Scores whose grade is not ``grade``, so a regrade always shows in the grade."""
    return sampled(scores_with_other_grade(grading_type, points_possible, grade))


def grade_of(grading_type: str, score: float | None, points_possible: float) -> str | None:
    return grading.grade_for_score(grading_type, score, points_possible)


@st.composite
def grades(draw, grading_type: str | None = None, points_possible: float | None = None):
    """``(grading_type, points_possible, score, grade)``, the grade as Canvas stores it."""
    if grading_type is None:
        grading_type = draw(sampled(GRADABLE_TYPES))
    if points_possible is None:
        points_possible = draw(sampled(POINTS_POSSIBLE[grading_type]))
    score = draw(scores(grading_type, points_possible))
    return grading_type, points_possible, score, grade_of(grading_type, score, points_possible)


LOCAL_IDS = local_ids()
SEEDS = seeds()
TIME_ZONE_NAMES = time_zones()
INSTANTS = instants()
EVENT_INSTANTS = event_instants()
BOOLEANS = st.booleans()
MOSTLY_NOT = st.sampled_from((False, False, False, True))
"""A flag that is set in about one example in four, and shrinks to False."""
MOSTLY = st.sampled_from((True, True, False))


def other_id(drawn: int, taken: int | None) -> int:
    """``drawn``, moved off ``taken`` (a student never grades their own work), no filtering."""
    if drawn != taken:
        return drawn
    return drawn + 1 if drawn < MAX_LOCAL_ID else drawn - 1


# -- words, from one seed ----------------------------------------------------------------------

_SUBJECTS = (
    ("Biology", "BIO"),
    ("Organic Chemistry", "CHEM"),
    ("Linear Algebra", "MATH"),
    ("Modern European History", "HIST"),
    ("Cognitive Psychology", "PSYC"),
    ("Data Structures", "CSCI"),
    ("Macroeconomics", "ECON"),
    ("Creative Writing", "WRIT"),
    ("Environmental Science", "ENVS"),
    ("Music Theory", "MUSC"),
    ("Ethics", "PHIL"),
    ("Japanese", "JAPN"),
)
_COURSE_FORMS = ("Introduction to {}", "{} I", "{} II", "Seminar in {}", "Foundations of {}")
_WORK = (
    "Problem Set",
    "Lab Report",
    "Quiz",
    "Reading Reflection",
    "Midterm Exam",
    "Final Project",
    "Essay",
    "Discussion Response",
)
_BROWSERS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 CanvasStudent/7.14",
    "canvasapi/3.3.0 python-requests/2.32",
)
_TOKEN_ALPHABET = string.ascii_letters + string.digits


@cache
def _weighted(table: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """A Faker en_US table as names and cumulative weights, read once."""
    from faker.providers.address.en_US import Provider as Address
    from faker.providers.person.en_US import Provider as Person

    source = {
        "first": Person.first_names,
        "last": Person.last_names,
        "city_prefix": dict.fromkeys(Address.city_prefixes, 1.0),
        "city_suffix": dict.fromkeys(Address.city_suffixes, 1.0),
    }[table]
    names = tuple(source)
    return names, tuple(itertools.accumulate(float(source[n]) for n in names))


class Words:
    """Everything cosmetic about one example, from one seed: same seed, same words."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def _faker(self, table: str) -> str:
        names, weights = _weighted(table)
        return self.rng.choices(names, cum_weights=weights)[0]

    def person(self) -> tuple[str, str]:
        """A first and a last name, weighted as Faker weights them."""
        return self._faker("first"), self._faker("last")

    def school(self) -> tuple[str, str]:
        """A school's name and its Canvas host: ``University of Northton``, ``northton.edu``."""
        if self.rng.random() < 0.5:
            place = self._faker("city_prefix") + " " + self._faker("first")
        else:
            place = self._faker("last") + self._faker("city_suffix")
        slug = "".join(ch for ch in place.lower() if ch.isalnum())
        name = self.rng.choice(("University of {}", "{} College", "{} State University"))
        return name.format(place), f"canvas.{slug}.edu"

    def course(self) -> tuple[str, str]:
        """A course's name and code: ``Introduction to Ethics``, ``PHIL 101``."""
        subject, prefix = self.rng.choice(_SUBJECTS)
        form = self.rng.choice(_COURSE_FORMS)
        return form.format(subject), f"{prefix} {self.rng.choice((101, 110, 201, 250, 301, 420))}"

    def assignment_name(self, grading_type: str) -> str:
        work = "Quiz" if grading_type == "quiz" else self.rng.choice(_WORK)
        return f"{work} {self.rng.randint(1, 12)}"

    def uuid(self) -> str:
        """A lower-case version-4 UUID (request ids, audit event ids, Live Event ids)."""
        return seeded_uuid(self.rng)

    def canvas_uuid(self) -> str:
        """Canvas's 40-character account and course ``uuid``: letters and digits."""
        return "".join(self.rng.choices(_TOKEN_ALPHABET, k=40))

    def hex(self, length: int) -> str:
        return seeded_hex(self.rng, length)

    def sis_id(self, kind: str) -> str | None:
        """An SIS id about two times in three, else None (many rows have none)."""
        if self.rng.random() < 1 / 3:
            return None
        return f"{kind}{self.rng.randint(10_000, 999_999)}"

    def user_agent(self) -> str:
        return self.rng.choice(_BROWSERS)

    def ip(self) -> str:
        rng = self.rng
        return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def choice(self, options):
        return self.rng.choice(options)

    def big_id(self) -> int:
        """A large local id for rows nothing else refers to (page views, jobs)."""
        return self.rng.randrange(1, SHARD_FACTOR // 1000)
