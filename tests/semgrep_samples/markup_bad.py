"""Markup() around data: every marked line must be flagged."""

# ruff: noqa: UP031, UP032 - the old string formatting is what the rule must catch

import markupsafe
from markupsafe import Markup


def render(name: str, note) -> None:
    Markup(name)  # expect: markup-on-non-literal
    markupsafe.Markup(f"<b>{name}</b>")  # expect: markup-on-non-literal
    Markup("<b>%s</b>" % name)  # expect: markup-on-non-literal
    Markup("<i>" + note.title + "</i>")  # expect: markup-on-non-literal
    Markup("<b>{}</b>".format(name))  # expect: markup-on-non-literal
