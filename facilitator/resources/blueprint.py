"""The resource library's one blueprint."""

from flask import Blueprint

bp = Blueprint("resources", __name__)
