"""The attendance area's one blueprint: registers, the leads' dashboard and Zoom's webhook."""

from flask import Blueprint

bp = Blueprint("attendance", __name__)
