"""The plans area's one blueprint: a session's plan and summary pages."""

from flask import Blueprint

bp = Blueprint("plans", __name__)
