"""The conditions area's one blueprint: the partner directory and homes' partner contacts."""

from flask import Blueprint

bp = Blueprint("conditions", __name__)
