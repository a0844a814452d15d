"""The follow-ups area's one blueprint: the facilitator's list of follow-ups and each one's page."""

from flask import Blueprint

bp = Blueprint("followups", __name__)
