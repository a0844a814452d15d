"""The indicators area's one blueprint: a home's paper entry and its CSV (the link page is join's)."""

from flask import Blueprint

bp = Blueprint("indicators", __name__)
