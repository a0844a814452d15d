"""Issue 16's paper: a home's tailored assessment pack, a completed round and its action plan as
real PDF files (``facilitator/paper.py``), for staff here and for the home through its link
(``facilitator/join/paper_links.py``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.packs import views

    app.register_blueprint(views.bp)
