"""The mock's contract over HTTP: ``/_mockcanvas/openapi.json`` and the schema files it refers to.

The document ``$ref``s ``schemas/<file>`` relative to itself, so the files are served beside it,
byte for byte. Neither needs the control token: they describe the API and hold no data, and an
OpenAPI tool fetches the ``$ref``s without credentials.
"""

from __future__ import annotations

import json
from functools import cache

from flask import Blueprint, Response

from .. import schemas
from ..controls import controls
from ..errors import NotFound
from ..instance import current_instance
from ..openapi import DOCUMENT_PATH, build
from ..resources import data_dir
from .responses import JSON_CONTENT_TYPE

blueprint = Blueprint("openapi", __name__, url_prefix="/_mockcanvas")

SCHEMAS_PREFIX = "/_mockcanvas/schemas/"


def is_public(path: str) -> bool:
    """Whether a control path is open without the control token."""
    return path == DOCUMENT_PATH or path.startswith(SCHEMAS_PREFIX)


@cache
def _document_text(control_token: bool, unauthorized_status: int) -> bytes:
    doc = build(control_token=control_token, unauthorized_status=unauthorized_status)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@blueprint.get("/openapi.json")
def openapi_document() -> Response:
    inst = current_instance()
    text = _document_text(
        controls(inst).control_token is not None, inst.settings.unauthorized_status
    )
    return Response(text, content_type=JSON_CONTENT_TYPE)


@blueprint.get("/schemas/<name>.json")
def json_schema(name: str) -> Response:
    if name not in schemas.names():
        raise NotFound()
    return Response(
        (data_dir("schemas") / f"{name}.json").read_bytes(), content_type=JSON_CONTENT_TYPE
    )
