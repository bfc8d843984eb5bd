"""Where the shipped data lives: ``schemas/`` and ``fixtures/``.

A wheel carries them inside the package (``mockcanvas/_data/``); a source checkout or an editable
install finds them at the top of the repository. Callers never need to know which.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """The directory ``schemas`` or ``fixtures``, installed or in the source tree."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mockcanvas data directory {name!r} is missing from this install")
