"""Placeholder: the Canvas REST routes for courses are being written."""

from flask import Blueprint

from .auth import authenticate

blueprint = Blueprint("courses", __name__, url_prefix="/api/v1")
blueprint.before_request(authenticate)
