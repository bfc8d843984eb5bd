"""Ruby's Float printing, rounding and String#to_f, as Canvas's grade strings use them.

The expected values are what Ruby answers (``irb``): they differ from Python's where it matters.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import struct
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockcanvas import rubyfloat
from mockcanvas.grading import _NUMBER as NUMBER
from mockcanvas.grading import _PERCENT as PERCENT

TO_S = [
    (5.0, "5.0"),
    (8.256, "8.256"),
    (-0.5, "-0.5"),
    (0.0001, "0.0001"),
    (1e-05, "1.0e-05"),
    (1.5e-07, "1.5e-07"),
    (1e14, "100000000000000.0"),
    (1e15, "1.0e+15"),  # a whole float of 16 digits already takes the exponent
    (1234567890123456.7, "1234567890123456.8"),
    (1e16, "1.0e+16"),
    (1.25e20, "1.25e+20"),
    (math.inf, "Infinity"),
    (-math.inf, "-Infinity"),
    (math.nan, "NaN"),
]


@pytest.mark.parametrize(("value", "text"), TO_S)
def test_to_s_prints_as_ruby(value, text):
    assert rubyfloat.to_s(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(5.0, "5"), (-0.0, "0"), (8.5, "8.5"), (1e16, "10000000000000000"), (1e-05, "1.0e-05")],
)
def test_round_if_whole_prints_whole_floats_as_integers(value, text):
    assert rubyfloat.round_if_whole(value) == text


ROUND_2 = [
    (0.125, 0.13),  # Python's round() goes to even: 0.12
    (-0.125, -0.13),
    (1.005, 1.01),  # 1.005 is 1.00499999999999989...; Ruby's correction still rounds it up
    (2.675, 2.68),
    (12.345, 12.35),
    (33.333333, 33.33),
    (99.995, 100.0),
    (0.0002, 0.0),
    (2.0**60 + 0.0, 2.0**60),  # no digits that far down: unchanged
]


@pytest.mark.parametrize(("value", "rounded"), ROUND_2)
def test_round_half_up_rounds_as_float_round(value, rounded):
    assert rubyfloat.round_half_up(value, 2) == rounded


TO_F = [
    ("85", 85.0),
    ("85abc", 85.0),
    ("abc", 0.0),
    ("", 0.0),
    ("  7", 7.0),
    ("5.", 5.0),
    (".5", 0.5),
    ("-.5", -0.5),
    ("1_000", 1000.0),
    ("1__0", 1.0),
    ("5e", 5.0),
    ("5e+", 5.0),
    ("-3.25e-2x", -0.0325),
    ("1e400", math.inf),
    ("e5", 0.0),
    ("abc\n5", 0.0),
]


@pytest.mark.parametrize(("text", "value"), TO_F)
def test_to_f_reads_as_string_to_f(text, value):
    assert rubyfloat.to_f(text) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_to_f_reads_back_what_to_s_prints(value):
    assert rubyfloat.to_f(rubyfloat.to_s(value)) == value


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_round_half_up_lands_within_half_a_cent(value):
    rounded = rubyfloat.round_half_up(value, 2)
    assert abs(rounded - value) <= 0.005 + 1e-9 * max(1.0, abs(value))
    assert rubyfloat.round_half_up(rounded, 2) == rounded


# -- against Ruby itself ---------------------------------------------------------------------------

RUBY = shutil.which("ruby")
ORACLE = r"""
require "json"
data = JSON.parse(STDIN.read)
number, percent = /^[+-]?\d*\.?\d+$/, /^[+-]?\d*\.?\d+%$/
puts JSON.generate(
  "floats" => data["floats"].map { |x| [x.to_s, x.round(2).to_s] },
  "texts" => data["texts"].map { |t| [t.to_f.to_s, !!(t =~ number), !!(t =~ percent)] }
)
"""


def _oracle_inputs(count: int = 4000) -> dict:
    """Floats and texts where Ruby and Python part ways: ties at the third decimal, every
    magnitude, exponent edges, and text near the grammar Canvas's grade patterns read."""
    rng = random.Random(20261123)
    floats: list[float] = []
    while len(floats) < count:
        kind = rng.randrange(4)
        if kind == 0:  # any finite double
            x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        elif kind == 1:  # a cent and a half, the rounding ties
            x = rng.randrange(-(10**6), 10**6) / 1000
        elif kind == 2:  # scores of any size
            x = rng.uniform(-1, 1) * 10.0 ** rng.randrange(-8, 20)
        else:  # round numbers around the exponent-form edges
            x = float(rng.randrange(1, 10 ** rng.randrange(1, 6))) * 10.0 ** rng.randrange(-7, 18)
        if math.isfinite(x):
            floats.append(x)
    alphabet = "0123456789" * 3 + ".+-eE_% \n\tabc"
    texts = [
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 9))) for _ in range(count)
    ]
    return {"floats": floats, "texts": texts}


@pytest.mark.skipif(
    RUBY is None and os.environ.get("MOCKCANVAS_REQUIRE_RUBY") != "1",
    reason="ruby is not installed (CI installs Debian's ruby and requires it)",
)
def test_every_helper_answers_as_ruby_does():
    """4,000 floats and 4,000 texts through Ruby 3 and through this module: Float#to_s,
    Float#round(2), String#to_f and the grade patterns' per-line matching agree on each."""
    assert RUBY is not None, "MOCKCANVAS_REQUIRE_RUBY=1 but ruby is not on PATH"
    inputs = _oracle_inputs()
    answer = subprocess.run(
        [RUBY, "-e", ORACLE], input=json.dumps(inputs), capture_output=True, text=True, check=True
    )
    ruby = json.loads(answer.stdout)
    ours_floats = [
        [rubyfloat.to_s(x), rubyfloat.to_s(rubyfloat.round_half_up(x, 2))] for x in inputs["floats"]
    ]
    ours_texts = [
        [rubyfloat.to_s(rubyfloat.to_f(t)), bool(NUMBER.search(t)), bool(PERCENT.search(t))]
        for t in inputs["texts"]
    ]
    float_misses = [
        (x, r, o)
        for x, r, o in zip(inputs["floats"], ruby["floats"], ours_floats, strict=True)
        if r != o
    ]
    text_misses = [
        (t, r, o)
        for t, r, o in zip(inputs["texts"], ruby["texts"], ours_texts, strict=True)
        if r != o
    ]
    assert float_misses == []
    assert text_misses == []
