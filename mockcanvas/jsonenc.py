"""JSON text as ActiveSupport writes it: compact, with ``<``, ``>``, ``&``, U+2028/9 escaped.

Used for response bodies and for the JSON inside bookmarks, which Canvas also encodes this way.
"""

from __future__ import annotations

import json

_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def dumps(payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).translate(_ESCAPES)
