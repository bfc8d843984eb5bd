"""JSON numbers as the control API reads them: JSON has one number type, so ``5.0`` is ``5``.

Python's parser hands back ``5.0`` as a float, but JSON Schema (and every client that writes numbers
as doubles) counts it as the integer 5; a field documented as an integer takes both.
"""

from __future__ import annotations


def whole(value: object) -> int | None:
    """``value`` as an int when it is a JSON whole number (``5`` or ``5.0``); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
