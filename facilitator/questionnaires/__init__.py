"""Questionnaires (issue 20): pre/post questionnaires sent to a group's contacts, the pulse after
each session, and their anonymous results with small numbers suppressed.

``catalogue`` holds the templates, ``rounds`` a round's rules, ``answers`` the anonymous answers
and the pulse, ``results`` the aggregates; ``views`` and ``admin_views`` are the staff screens and
``facilitator.api.questionnaires`` the API. Below them, in ``facilitator.invites`` (which the
outbox's pass and its emails use): ``questionnaire_sends`` sends rounds and the one reminder, and
``questionnaire_links`` keeps the contacts' links (``/q/<token>``, answered in
``facilitator.join.questionnaire``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.questionnaires import admin_views, views  # noqa: F401 - their routes are on bp
    from facilitator.questionnaires.blueprint import bp

    app.register_blueprint(bp)
