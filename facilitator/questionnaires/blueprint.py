"""The questionnaires area's one blueprint: a group's rounds and results, and the admin's templates."""

from flask import Blueprint

bp = Blueprint("questionnaires", __name__)
