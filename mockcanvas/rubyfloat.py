"""Ruby's Float arithmetic where Canvas's grade strings depend on it.

Canvas prints scores with ``Float#to_s`` after ``round_if_whole`` and rounds percentages with
``Float#round(2)``; Python's ``repr`` and ``round`` differ at the edges (``"1.0e-05"`` against
``"1e-05"``, 0.125 rounding up against to even), and clients compare grade strings verbatim.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

# String#to_f: leading whitespace, a sign, digits (single underscores between them), a fraction,
# an exponent only when it has digits; anything after is ignored, and no digits at all is 0.0.
_TO_F = re.compile(
    r"\A[ \t\n\v\f\r]*([+-]?)(\d+(?:_\d+)*)?(?:\.(\d+(?:_\d+)*))?(?:[eE]([+-]?\d+(?:_\d+)*))?",
    re.ASCII,
)


def to_f(text: str) -> float:
    """``text.to_f``: ``"85abc"`` is 85.0, ``"abc"`` 0.0, ``"5e"`` 5.0, ``"1e400"`` Infinity."""
    match = _TO_F.match(text)
    assert match is not None  # every group is optional: the pattern matches any text
    sign, whole, fraction, exponent = match.groups()
    if whole is None and fraction is None:
        return 0.0
    number = f"{sign}{whole or '0'}.{fraction or '0'}e{exponent or '0'}".replace("_", "")
    return float(number)


def to_s(value: float) -> str:
    """``Float#to_s``: the shortest digits that read back, fixed notation from 1e-4 up to where
    the digits end by 1e16 (``"1234567890123456.8"``, but ``"1.0e+15"``), else ``"1.0e-05"`` /
    ``"1.25e+20"``; ``"Infinity"`` and ``"NaN"``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    _, digit_tuple, exponent = Decimal(repr(abs(float(value)))).normalize().as_tuple()
    assert isinstance(exponent, int)  # a finite value: "n"/"N"/"F" only for NaN and Infinity
    digits = "".join(map(str, digit_tuple))
    decpt = len(digits) + exponent  # where the point goes, counted from the first digit
    lead = "-" if value < 0 else ""
    if decpt > 0 and ((decpt < len(digits) and decpt <= 16) or decpt <= 15):
        if decpt >= len(digits):
            return f"{lead}{digits}{'0' * (decpt - len(digits))}.0"
        return f"{lead}{digits[:decpt]}.{digits[decpt:]}"
    if -3 <= decpt <= 0:
        return f"{lead}0.{'0' * -decpt}{digits}"
    power = decpt - 1
    return f"{lead}{digits[0]}.{digits[1:] or '0'}e{'-' if power < 0 else '+'}{abs(power):02d}"


def round_if_whole(value: float) -> str:
    """Canvas's ``round_if_whole(value).to_s``: a whole float prints as an integer."""
    if math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return to_s(value)


def round_half_up(value: float, digits: int) -> float:
    """``Float#round(digits)`` for ``0 < digits <= 14``: half away from zero, corrected when the
    scaled product lost the half (Ruby's ``round_half_up``), and unchanged when the float has no
    digits that far down."""
    if value == 0.0 or not math.isfinite(value):
        return value
    _, binexp = math.frexp(value)
    if digits >= 17 - (_c_div(binexp, 4) if binexp > 0 else _c_div(binexp, 3) - 1):
        return value  # float_round_overflow: already exact at this many digits
    if digits < -(_c_div(binexp, 3) + 1 if binexp > 0 else _c_div(binexp, 4)):
        return 0.0  # float_round_underflow: too small to reach the last digit kept
    scale = 10.0**digits
    scaled = value * scale
    whole = math.floor(abs(scaled))
    if abs(scaled) - whole >= 0.5:
        whole += 1
    rounded = math.copysign(whole, scaled)
    if value > 0 and (rounded + 0.5) / scale <= value:
        rounded += 1
    elif value < 0 and (rounded - 0.5) / scale >= value:
        rounded -= 1
    return rounded / scale


def _c_div(a: int, b: int) -> int:
    """C's integer division, which truncates toward zero (Python's // floors)."""
    return int(a / b)
