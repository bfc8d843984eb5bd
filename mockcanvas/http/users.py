"""Placeholder: the Canvas REST routes for users are being written."""

from flask import Blueprint

from .auth import authenticate

blueprint = Blueprint("users", __name__, url_prefix="/api/v1")
blueprint.before_request(authenticate)
