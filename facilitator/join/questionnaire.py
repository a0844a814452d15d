"""Questionnaires through links, no sign-in (issue 20).

``/q/<token>``: a contact's pre or post questionnaire, answered once. The link opens only its
own invite; once answered its page says so and nothing can be changed through it (nor through
any other contact's link: answers hold no link to anyone, so there is nothing to reach).

The pulse after a session, on the join page (``/j/<token>/pulse``) and the home page
(``/h/<token>/sessions/<id>/pulse``): a rating and an optional line, two taps, for
``QUESTIONNAIRE_PULSE_HOURS`` after the session ends, once per contact and session.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for

from facilitator.access import PUBLIC, allow
from facilitator.clock import now_utc
from facilitator.errors import ConflictError, DomainError
from facilitator.invites import questionnaire_links as links
from facilitator.join.views import _home_session, _invited_row, _series_link, bp
from facilitator.models import Contact, MeetingSession, QuestionnaireInvite
from facilitator.questionnaires import answers
from facilitator.questionnaires.template_data import scale_labels


def _invite(token: str) -> QuestionnaireInvite:
    invite = links.find_invite(token)
    if invite is None:
        abort(404)
    return invite


def _questionnaire_page(invite: QuestionnaireInvite, token: str, status: int = 200, *,
                        problems: dict[str, str] | None = None, message: str | None = None) -> Any:
    questionnaire = invite.round.questionnaire
    contact = invite.contact
    return render_template(
        "join/questionnaire.html", token=token, questionnaire=questionnaire, home=contact.home,
        labels=scale_labels(questionnaire.purpose), answered=invite.responded, problems=problems or {},
        message=message, values=request.form if request.method == "POST" else {}), status


@bp.route("/q/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def questionnaire(token: str) -> Any:
    invite = _invite(token)
    if request.method == "GET":
        return _questionnaire_page(invite, token)
    try:
        answers.answer_invite(invite, request.form)
    except ConflictError as exc:
        return _questionnaire_page(invite, token, 409, message=exc.message)
    except DomainError as exc:
        return _questionnaire_page(invite, token, 422, problems=exc.fields, message=exc.message)
    return redirect(url_for("join.questionnaire", token=token), code=303)


# ------------------------------------------------------------------------------- the pulse


def _pulse_page(session: MeetingSession, contact: Contact, action: str, back: str, status: int = 200, *,
                problems: dict[str, str] | None = None, message: str | None = None) -> Any:
    offer = answers.pulse_offer(session, contact, now_utc())
    return render_template("join/pulse.html", session=session, offer=offer, action=action, back=back,
                           problems=problems or {}, message=message,
                           values=request.form if request.method == "POST" else {}), status


def _answer_pulse(session: MeetingSession, contact: Contact, action: str, back: str, done: str) -> Any:
    if request.method == "GET":
        return _pulse_page(session, contact, action, back)
    try:
        answers.answer_pulse(session, contact, request.form, now_utc())
    except ConflictError as exc:
        return _pulse_page(session, contact, action, back, 409, message=exc.message)
    except DomainError as exc:
        return _pulse_page(session, contact, action, back, 422, problems=exc.fields, message=exc.message)
    return redirect(done, code=303)


@bp.route("/j/<token>/pulse", methods=["GET", "POST"])
@allow(PUBLIC)
def join_pulse(token: str) -> Any:
    if (link := _series_link(token)) is not None:
        contact, session = link[0].contact, link[1]
    else:
        row = _invited_row(token)
        contact, session = row.contact, row.session
    here = f"/j/{token}"
    return _answer_pulse(session, contact, f"{here}/pulse", here, f"{here}?pulse=sent")


@bp.route("/h/<token>/sessions/<int:session_id>/pulse", methods=["GET", "POST"])
@allow(PUBLIC)
def home_pulse(token: str, session_id: int) -> Any:
    row, session = _home_session(token, session_id)
    here = url_for("join.home", token=token)
    return _answer_pulse(session, row.contact, f"/h/{token}/sessions/{session.id}/pulse", here,
                         f"{here}?done=pulse")
