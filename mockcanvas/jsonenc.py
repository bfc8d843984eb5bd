"""JSON text as ActiveSupport writes it: compact, with ``<``, ``>``, ``&``, U+2028/9 escaped.

Used for response bodies and for the JSON inside bookmarks, which Canvas also encodes this way.

The text is ``json.dumps(payload, separators=(",", ":"), ensure_ascii=False)``'s, made by one C
encoder built once: ``json.dumps`` builds a new encoder on every call, which costs as much as
encoding a small object, and audit pages encode a few hundred small objects when cold.
(orjson was measured and left out: it writes ``1e-05`` as ``0.00001`` and NaN as ``null``, so
its bytes are not always these.)
"""

from __future__ import annotations

import json

# c_make_encoder (the C speedups) is undocumented, so typeshed does not list it.
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]

_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _unserializable(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# The arguments json.JSONEncoder(separators=(",", ":"), ensure_ascii=False) passes, without the
# circular-reference markers (payloads here are trees).
_ENCODE = (
    c_make_encoder(None, _unserializable, encode_basestring, None, ":", ",", False, False, True)
    if c_make_encoder is not None
    else None
)


def _text(payload: object) -> str:
    if _ENCODE is None:  # a Python without the _json accelerator
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return "".join(_ENCODE(payload, 0))


def dumps(payload: object) -> str:
    text = _text(payload)
    for char, escaped in _ESCAPES:
        if char in text:  # a membership test is far cheaper than translate() on large bodies
            text = text.replace(char, escaped)
    return text
