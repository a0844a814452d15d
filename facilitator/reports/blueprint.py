"""The programme report's one blueprint: the page, its PDF and CSV, and the snapshots."""

from flask import Blueprint

bp = Blueprint("reports", __name__)
