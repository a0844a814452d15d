"""The sign-in area's one blueprint: signing in and out, the account pages, password reset and
single sign-on (``views``, ``account_views``, ``reset_views``, ``sso_views``)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
