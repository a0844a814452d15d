"""Literal markup, data escaped by Markup.format: nothing here may be flagged."""

from markupsafe import Markup, escape


def render(name: str) -> None:
    Markup("<br>")
    Markup("<b>{}</b>").format(name)
    Markup("<b>%s</b>") % name
    escape(name)
