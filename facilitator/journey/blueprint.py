"""The journey area's one blueprint: each home's action plan (and, with issue 16's other parts,
its self-assessment rounds)."""

from flask import Blueprint

bp = Blueprint("journey", __name__)
