"""Placeholder: the Grade Change Log routes are being written."""

from flask import Blueprint

from .auth import authenticate

blueprint = Blueprint("audit", __name__, url_prefix="/api/v1/audit/grade_change")
blueprint.before_request(authenticate)
