"""The demo's questionnaires (issue 20): each group's pre round eight weeks ago, answered by most
of its contacts; the first group's post round this week, half answered, so the before-and-after
change, the results with a suppressed question, and a contact's unanswered link all have
something to show; and the pulse after each group's latest session."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from facilitator.clock import now_utc
from facilitator.extensions import db
from facilitator.models import Group, MeetingSession, QuestionnaireInvite, QuestionnaireRound
from facilitator.questionnaires import answers, catalogue, rounds

PRE_WEEKS = 8
# Statement keys answered, and how the answers move from pre to post (a 1 to 5 scale).
MOVES = {"what_trauma_is": (2, 4), "how_it_shows": (2, 3), "feel_safe": (3, 4), "own_wellbeing": (3, 3)}
TRY = ("Slow down at mealtimes", "Ask before helping", "A quiet corner for the lounge",
       "Check in after shifts")


def load_questionnaires(groups: list[Group]) -> None:
    """Rounds, answers and pulses for the demo's groups (flushes)."""
    for place, group in enumerate(groups):
        pre = _round(group, "pre", weeks_ago=PRE_WEEKS)
        _answer(pre, side=0, share=0.8)
        if place == 0:
            _answer(_round(group, "post", weeks_ago=0), side=1, share=0.5)
        _pulse(group, place)


def _round(group: Group, kind: str, weeks_ago: int) -> QuestionnaireRound:
    questionnaire = catalogue.offered("pre_post")[0]
    data = rounds.RoundInput(questionnaire.id, kind, None)
    round_ = rounds.create_round(group, data, group.facilitators[0])
    if weeks_ago:
        back = timedelta(weeks=weeks_ago)
        round_.send_on -= back
        round_.sent_at = (round_.sent_at or now_utc()) - back
        for invite in _invites(round_):
            invite.sent_at = round_.sent_at
    db.session.flush()
    return round_


def _invites(round_: QuestionnaireRound) -> list[QuestionnaireInvite]:
    return list(db.session.scalars(select(QuestionnaireInvite).where(
        QuestionnaireInvite.round_id == round_.id).order_by(QuestionnaireInvite.id)))


def _answer(round_: QuestionnaireRound, side: int, share: float) -> None:
    invites = _invites(round_)
    for n, invite in enumerate(invites[:max(3, int(len(invites) * share))]):
        form = {key: str(max(1, min(5, moves[side] + (n % 3) - 1))) for key, moves in MOVES.items()}
        answers.answer_invite(invite, form)


def _pulse(group: Group, place: int) -> None:
    """Answers to the pulse after the group's latest session, if it ended in the last two days."""
    latest = db.session.scalar(select(MeetingSession).where(
        MeetingSession.group_id == group.id, MeetingSession.ends_at <= now_utc())
        .order_by(MeetingSession.ends_at.desc()).limit(1))
    if latest is None or not answers.pulse_window(latest, now_utc()):
        return
    home = group.memberships[0].home
    for n, contact in enumerate(home.contacts[:3]):
        answers.answer_pulse(latest, contact, {"useful": str(5 - (n + place) % 2),
                                               "will_try": TRY[(n + place) % len(TRY)]}, now_utc())
