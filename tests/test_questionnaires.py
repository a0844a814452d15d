"""Questionnaires (issue 20): templates, rounds sent through the outbox with one reminder, answers
through the contacts' links, anonymity, suppression of small numbers, and the API.
Clock: Tuesday 10 March 2026, noon; the homes joined their group on 5 January 2026."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select

from facilitator.extensions import db
from facilitator.invites import questionnaire_sends
from facilitator.invites.questionnaire_links import find_invite
from facilitator.invites.tokens import mint_contact_token, mint_join_token
from facilitator.models import (
    OutboxMessage,
    QuestionnaireAnswer,
    QuestionnaireInvite,
    QuestionnaireResponse,
    QuestionnaireRound,
    ReminderOptOut,
)
from facilitator.questionnaires import answers, catalogue, results, rounds
from tests.support.factories import Factory, csrf_token
from tests.support.invites import add_session, deliver, invites_config, set_now

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
Q_LINK = "http://psl.example.org/q/"


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config(FROZEN_NOW=NOW))
    with app.app_context():
        yield app


@pytest.fixture
def setting(make: Factory):
    """Ashgrove (3 contacts) and Birchwood (2) in a facilitator's group; Cedarbank in another."""
    facilitator = make.user("facilitator")
    a, b, c = make.home("Ashgrove House", contacts=3), make.home("Birchwood Lodge"), make.home("Cedarbank")
    group = make.group(facilitators=[facilitator], homes=[a, b])
    make.group(homes=[c])
    db.session.commit()
    return facilitator, group, a, b, c


def pre_post():
    return catalogue.offered("pre_post")[0]


def send(group, kind="pre", send_on=None, questionnaire=None):
    data = rounds.RoundInput((questionnaire or pre_post()).id, kind, send_on)
    round_ = rounds.create_round(group, data, None)
    db.session.commit()
    return round_


def answer_all(round_, forms):
    """Answer through the first len(forms) invites of the round, one form each."""
    invites = db.session.scalars(select(QuestionnaireInvite).where(QuestionnaireInvite.round_id == round_.id)
                                 .order_by(QuestionnaireInvite.id)).all()
    for invite, form in zip(invites, forms, strict=False):
        answers.answer_invite(invite, form)
    db.session.commit()


def test_the_defaults_are_a_pre_post_of_8_to_10_statements_and_a_two_question_pulse(app, api):
    api.as_user("facilitator")
    body = api.get("/api/v1/questionnaires").get_json()
    by_purpose = {q["purpose"]: q for q in body["questionnaires"]}
    statements = [q for q in by_purpose["pre_post"]["questions"] if q["kind"] == "scale"]
    assert 8 <= len(statements) <= 10
    assert [q["kind"] for q in by_purpose["pre_post"]["questions"]].count("text") == 1
    pulse = by_purpose["pulse"]["questions"]
    assert [(q["text"], q["kind"]) for q in pulse] == [("How useful was today?", "scale"),
                                                       ("One thing you'll try", "text")]


def test_a_round_invites_every_active_contact_of_the_group_with_a_link_each(app, setting, api):
    facilitator, group, a, b, c = setting
    a.contacts[2].is_active = False
    db.session.commit()
    api.as_user(facilitator)
    created = api.post(f"/api/v1/groups/{group.id}/questionnaire-rounds",
                       json={"questionnaire_id": pre_post().id, "kind": "pre"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["invited"] == 4 and created.get_json()["kind"] == "pre"
    _, sent = deliver(app)
    mine = [s for s in sent if s.links(Q_LINK)]
    assert sorted(s.to for s in mine) == sorted(c.email for h in (a, b) for c in h.contacts if c.is_active)
    assert len({s.links(Q_LINK)[0] for s in mine}) == 4, "a personal link each"
    assert "anonymous" in mine[0].text
    stored = db.session.scalars(select(QuestionnaireInvite.token_hash)).all()
    assert all(len(h) == 64 for h in stored)
    assert not any(s.links(Q_LINK)[0].rsplit("/", 1)[1] in stored for s in mine), "stored hashed"


@pytest.mark.parametrize(("body", "field"), [
    ({"questionnaire_id": 1, "kind": "middle"}, "kind"),
    ({"questionnaire_id": 999, "kind": "pre"}, "questionnaire_id"),
    ({"questionnaire_id": 1, "kind": "pre", "send_on": "2026-03-09"}, "send_on"),
    ({"questionnaire_id": 1, "kind": "pre", "send_on": "next tuesday"}, "send_on"),
    ({"kind": "pre"}, "questionnaire_id"),
    ({"questionnaire_id": 2**31 - 1, "kind": "pre"}, "questionnaire_id"),
])
def test_a_bad_round_is_refused_naming_the_field(app, setting, api, body, field):
    facilitator, group, *_ = setting
    catalogue.ensure_defaults()
    db.session.commit()
    api.as_user(facilitator)
    refused = api.post(f"/api/v1/groups/{group.id}/questionnaire-rounds", json=body)
    assert refused.status_code == 422
    assert field in refused.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count(QuestionnaireRound.id))) == 0


def test_the_pulse_template_cannot_be_sent_as_a_round(app, setting):
    _, group, *_ = setting
    with pytest.raises(Exception, match="not sent") as refused:
        rounds.create_round(group, rounds.RoundInput(catalogue.pulse_questionnaire().id, "pre", None), None)
    assert "questionnaire_id" in refused.value.fields


def test_only_the_groups_facilitators_and_admins_send_and_others_do_not_see_it(app, setting, api):
    _, group, *_ = setting
    body = {"questionnaire_id": pre_post().id, "kind": "pre"}
    api.as_user("facilitator")
    assert api.post(f"/api/v1/groups/{group.id}/questionnaire-rounds", json=body).status_code == 404
    api.as_user("lead")
    assert api.post(f"/api/v1/groups/{group.id}/questionnaire-rounds", json=body).status_code == 403
    api.as_user("admin")
    assert api.post(f"/api/v1/groups/{group.id}/questionnaire-rounds", json=body).status_code == 201
    round_id = db.session.scalar(select(QuestionnaireRound.id))
    api.as_user("facilitator")
    assert api.get(f"/api/v1/questionnaire-rounds/{round_id}/results").status_code == 404
    api.as_user("lead")
    assert api.get(f"/api/v1/questionnaire-rounds/{round_id}/results").status_code == 200


def test_a_round_for_a_later_day_is_sent_by_the_pass_on_that_day(app, setting):
    _, group, *_ = setting
    round_ = send(group, send_on=date(2026, 3, 12))
    assert round_.sent_at is None and deliver(app)[0].questionnaires == 0
    set_now(app, NOW + timedelta(days=2))
    report, sent = deliver(app)
    assert report.questionnaires == 5 and len([s for s in sent if s.links(Q_LINK)]) == 5
    assert deliver(app)[0].questionnaires == 0, "sent once"


def _token_of(sent, email):
    return next(s for s in sent if s.to == email).links(Q_LINK)[0].rsplit("/", 1)[1]


def test_a_contact_answers_once_through_their_link_and_nothing_ties_the_answer_to_them(app, setting, client,
                                                                                        caplog):
    _, group, a, *_ = setting
    send(group)
    _, sent = deliver(app)
    contact = a.contacts[0]
    token = _token_of(sent, contact.email)
    page = client.get(f"/q/{token}")
    assert page.status_code == 200 and "I can recognise how past trauma" in page.get_data(as_text=True)
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), "what_trauma_is": "4", "how_it_shows": "5",
            "anything_else": "More on sleep"}
    with caplog.at_level(logging.DEBUG):
        answered = client.post(f"/q/{token}", data=form)
    assert answered.status_code == 303
    assert "your answers are in" in client.get(f"/q/{token}").get_data(as_text=True)
    again = client.post(f"/q/{token}", data={**form, "what_trauma_is": "1"})
    assert again.status_code == 409
    assert db.session.scalar(select(func.count(QuestionnaireResponse.id))) == 1
    stored = {a.question_key: (a.value, a.text) for a in db.session.scalars(select(QuestionnaireAnswer))}
    assert stored == {"what_trauma_is": (4, None), "how_it_shows": (5, None),
                      "anything_else": (None, "More on sleep")}
    invite = db.session.scalar(
        select(QuestionnaireInvite).where(QuestionnaireInvite.contact_id == contact.id))
    assert invite.responded and invite.token_ciphertext is None
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert token not in logged and contact.email not in logged and contact.name not in logged
    other = _token_of(sent, a.contacts[1].email)
    assert find_invite(other).contact_id == a.contacts[1].id and not find_invite(other).responded
    theirs = client.get(f"/q/{other}").get_data(as_text=True)
    answered = client.post(f"/q/{other}", data={"csrf_token": csrf_token(theirs), "what_trauma_is": "1"})
    assert answered.status_code == 303
    values = sorted(v for v in db.session.scalars(
        select(QuestionnaireAnswer.value).where(QuestionnaireAnswer.question_key == "what_trauma_is")))
    assert values == [1, 4], "another contact's link adds its own answer and changes no one else's"


def test_no_column_links_an_answer_to_a_contact_an_invite_or_a_time(app):
    tables = inspect(db.engine)
    for table in ("questionnaire_responses", "questionnaire_answers"):
        columns = {c["name"] for c in tables.get_columns(table)}
        assert not columns & {"contact_id", "invite_id", "created_at", "submitted_at", "answered_at"}
        targets = {fk["referred_table"] for fk in tables.get_foreign_keys(table)}
        assert targets <= {"questionnaire_rounds", "questionnaire_responses"}
    invite_columns = {c["name"] for c in tables.get_columns("questionnaire_invites")}
    assert not invite_columns & {"response_id", "answered_at", "completed_at"}


def test_response_keys_are_random_so_their_order_says_nothing(app, setting):
    _, group, *_ = setting
    round_ = send(group)
    answer_all(round_, [{"what_trauma_is": "3"}] * 5)
    keys = db.session.scalars(select(QuestionnaireResponse.id)).all()
    assert len(set(keys)) == 5 and all(len(k) == 32 for k in keys)
    assert not all(k.isdigit() for k in keys)


def test_a_form_with_no_answer_or_a_bad_one_names_every_problem(app, setting):
    _, group, *_ = setting
    send(group)
    invite = db.session.scalars(select(QuestionnaireInvite)).first()
    with pytest.raises(Exception) as empty:
        answers.answer_invite(invite, {})
    assert list(empty.value.fields) == ["what_trauma_is"]
    with pytest.raises(Exception) as bad:
        answers.answer_invite(invite, {"what_trauma_is": "6", "how_it_shows": "x",
                                       "anything_else": "y" * 2001})
    assert set(bad.value.fields) == {"what_trauma_is", "how_it_shows", "anything_else"}
    assert not invite.responded


def test_non_responders_are_reminded_once_after_seven_days_with_the_same_link(app, setting):
    _, group, a, b, _ = setting
    round_ = send(group)
    _, sent = deliver(app)
    first_links = {s.to: s.links(Q_LINK)[0] for s in sent}
    answer_all(round_, [{"what_trauma_is": "4"}])  # the first invite: a's first contact
    db.session.add(ReminderOptOut(contact_id=b.contacts[0].id))
    db.session.commit()
    set_now(app, NOW + timedelta(days=6, hours=23))
    assert deliver(app)[0].questionnaires == 0, "not before seven days"
    set_now(app, NOW + timedelta(days=7))
    report, reminded = deliver(app)
    expected = {a.contacts[1].email, a.contacts[2].email, b.contacts[1].email}
    assert report.questionnaires == 3 and {s.to for s in reminded} == expected
    assert all(s.links(Q_LINK)[0] == first_links[s.to] for s in reminded)
    assert all(s.msg["Subject"].strip().startswith("Reminder:") for s in reminded)
    set_now(app, NOW + timedelta(days=9))
    assert deliver(app)[0].questionnaires == 0, "once"


def test_a_reminder_queued_for_someone_who_then_answers_is_not_sent(app, setting):
    _, group, *_ = setting
    round_ = send(group)
    deliver(app)
    set_now(app, NOW + timedelta(days=8))
    assert questionnaire_sends.queue_questionnaire_reminders() == 5
    db.session.commit()
    answer_all(round_, [{"what_trauma_is": "2"}] * 5)
    report, sent = deliver(app)
    assert report.skipped == 5 and sent == []
    skipped = select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "skipped")
    assert db.session.scalar(skipped) == 5


@pytest.mark.parametrize(("given", "shown"), [(0, False), (1, False), (2, False), (3, True), (5, True)])
def test_a_question_fewer_than_three_answered_is_suppressed(app, setting, given, shown):
    _, group, *_ = setting
    round_ = send(group)
    values = (5, 4, 4, 2, 1)[:given]
    answer_all(round_, [{"what_trauma_is": str(v), "anything_else": f"idea {v}"} for v in values])
    found = results.round_results(round_)
    question = next(q for q in found["questions"] if q["key"] == "what_trauma_is")
    text = next(q for q in found["questions"] if q["key"] == "anything_else")
    assert found["responses"] == given and found["invited"] == 5
    assert question["suppressed"] is not shown and text["suppressed"] is not shown
    if shown:
        assert question["counts"] == {str(v): values.count(v) for v in range(1, 6)}
        assert question["mean"] == round(sum(values) / given, 2)
        assert text["answers"] == sorted(f"idea {v}" for v in values)
    else:
        assert question["counts"] is None and question["mean"] is None and question["answered"] is None
        assert text["answers"] is None


def test_the_minimum_cell_is_a_setting(app, setting):
    _, group, *_ = setting
    app.config["QUESTIONNAIRE_MIN_CELL"] = 5
    round_ = send(group)
    answer_all(round_, [{"what_trauma_is": "3"}] * 4)
    assert results.round_results(round_)["questions"][0]["suppressed"]


def test_results_api_equal_an_independent_count(app, setting, api):
    facilitator, group, *_ = setting
    round_ = send(group)
    answer_all(round_, [{"what_trauma_is": v, "how_it_shows": "3"} for v in ("1", "5", "5", "4", "5")])
    api.as_user(facilitator)
    body = api.get(f"/api/v1/questionnaire-rounds/{round_.id}/results").get_json()
    counted = dict(db.session.execute(
        select(QuestionnaireAnswer.value, func.count())
        .where(QuestionnaireAnswer.question_key == "what_trauma_is")
        .group_by(QuestionnaireAnswer.value)).all())
    first = body["questions"][0]
    assert first["key"] == "what_trauma_is" and first["suppressed"] is False
    assert first["counts"] == {str(v): counted.get(v, 0) for v in range(1, 6)}
    assert body["responses"] == 5 and body["invited"] == 5
    assert set(first) >= {"key", "text", "counts", "mean", "suppressed"}
    untouched = next(q for q in body["questions"] if q["key"] == "five_principles")
    assert untouched["counts"] is None and untouched["suppressed"] is True


def test_pre_and_post_compare_statement_by_statement(app, setting, auth):
    facilitator, group, *_ = setting
    pre = send(group, "pre")
    answer_all(pre, [{"what_trauma_is": "2", "how_it_shows": "3"}] * 4)
    post = send(group, "post")
    answer_all(post, [{"what_trauma_is": "4", "how_it_shows": "4"}] * 3 + [{"how_it_shows": "5"}])
    change = results.group_change(group.id)
    by_key = {s["key"]: s for s in change["statements"]}
    assert by_key["what_trauma_is"]["change"] == 2.0 and by_key["what_trauma_is"]["pre_mean"] == 2.0
    assert by_key["how_it_shows"]["change"] == round(17 / 4 - 3, 2)
    assert by_key["five_principles"]["suppressed"] and by_key["five_principles"]["change"] is None
    auth.login(facilitator)
    page = auth.client.get(f"/groups/{group.id}/questionnaires").get_data(as_text=True)
    assert "+2.0" in page and "fewer than 3 responses" in page


def test_the_csv_holds_the_aggregates_and_never_the_words(app, setting, auth):
    facilitator, group, *_ = setting
    round_ = send(group)
    answer_all(round_, [{"what_trauma_is": "4", "anything_else": "Mention the garden"}] * 3)
    auth.login(facilitator)
    body = auth.client.get(f"/questionnaire-rounds/{round_.id}.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["question", "text", "answered"]
    first = next(r for r in rows if r[0] == "what_trauma_is")
    assert first[2] == "3" and first[3:8] == ["0", "0", "0", "3", "0"]
    assert next(r for r in rows if r[0] == "five_principles")[2] == "fewer than 3 responses"
    assert "garden" not in body
    page = auth.client.get(f"/questionnaire-rounds/{round_.id}").get_data(as_text=True)
    assert "Mention the garden" in page, "the page shows free text from three answers"


def test_the_staff_form_sends_a_round_and_names_every_problem(app, setting, auth):
    facilitator, group, *_ = setting
    auth.login(facilitator)
    page = f"/groups/{group.id}/questionnaires"
    refused = auth.post(f"/groups/{group.id}/questionnaire-rounds",
                        {"questionnaire_id": "x", "kind": "", "send_on": "2026-01-01"}, page=page)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Choose one of the questionnaires offered" in text and "(at the start) or" in text
    assert "Choose today or a later day" in text
    sent = auth.post(f"/groups/{group.id}/questionnaire-rounds",
                     {"questionnaire_id": str(pre_post().id), "kind": "pre", "send_on": ""}, page=page)
    assert sent.status_code == 303
    assert "sent to 5 contacts" in auth.client.get(page).get_data(as_text=True)


def test_editing_a_questionnaire_in_use_makes_a_new_version_and_the_round_keeps_its_own(app, setting, auth):
    _, group, *_ = setting
    original = pre_post()
    round_ = send(group)
    auth.login("admin")
    edit = f"/admin/questionnaires/{original.id}/edit"
    form = {"title": "Confidence, second edition", "introduction": "",
            "question_1_key": "what_trauma_is", "question_1_text": "I know what trauma is.",
            "question_1_kind": "scale", "question_2_key": "", "question_2_text": "A new statement.",
            "question_2_kind": "scale"}
    assert auth.post(edit, form, page=edit).status_code == 303
    db.session.expire_all()
    newest = catalogue.offered("pre_post")
    assert [q.version for q in newest] == [2] and newest[0].family == original.family
    assert [q.key for q in newest[0].questions] == ["what_trauma_is", "a_new_statement"]
    assert db.session.get(QuestionnaireRound, round_.id).questionnaire.version == 1
    assert len(db.session.get(QuestionnaireRound, round_.id).questionnaire.questions) == 10


def test_editing_names_every_problem_and_an_unused_copy_changes_in_place(app, auth):
    auth.login("admin")
    copy_page = "/admin/questionnaires"
    source = pre_post()
    copied = auth.post(f"/admin/questionnaires/{source.id}/copy", {}, page=copy_page)
    copy_id = int(copied.headers["Location"].split("/")[-2])
    edit = f"/admin/questionnaires/{copy_id}/edit"
    refused = auth.post(edit, {"title": "", "question_1_text": "Only words", "question_1_kind": "text"},
                        page=edit)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Give the questionnaire a title" in body and "Keep at least one question answered" in body
    saved = auth.post(edit, {"title": "Our own", "question_1_text": "We feel safe",
                             "question_1_kind": "scale"}, page=edit)
    assert saved.status_code == 303
    again = auth.post(edit, {"title": "Our own", "question_1_key": "we_feel_safe",
                             "question_1_text": "We feel safe", "question_1_kind": "scale"}, page=edit)
    assert again.status_code == 303, "saving the same keys again in place"
    db.session.expire_all()
    copy = catalogue.get(copy_id)
    assert copy.version == 1 and copy.title == "Our own"
    assert [q.text for q in copy.questions] == ["We feel safe"]


# --------------------------------------------------------------------------------- the pulse


def _ended_session(group, hours_ago=1):
    start = NOW - timedelta(hours=hours_ago, minutes=90)
    return add_session(group, title="Week 4: calm spaces", starts_at=start)


def test_the_pulse_shows_on_the_home_page_for_48_hours_and_is_answered_once(app, setting, client):
    _, group, a, *_ = setting
    session = _ended_session(group)
    token = mint_contact_token(a.contacts[0])
    db.session.commit()
    page = client.get(f"/h/{token}").get_data(as_text=True)
    assert "How useful was today?" in page and "Week 4: calm spaces" in page
    post = f"/h/{token}/sessions/{session.id}/pulse"
    sent = client.post(post, data={"csrf_token": csrf_token(page), "useful": "5",
                                   "will_try": "Slow down at lunch"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("?done=pulse")
    after = client.get(f"/h/{token}?done=pulse").get_data(as_text=True)
    assert "How useful was today?" not in after and "your answers are in" in after
    assert client.post(post, data={"csrf_token": csrf_token(page), "useful": "1"}).status_code == 409
    round_ = db.session.scalar(select(QuestionnaireRound).where(QuestionnaireRound.session_id == session.id))
    assert round_.kind == "pulse" and results.response_count([round_.id]) == 1
    other = mint_contact_token(a.contacts[1])
    db.session.commit()
    assert "How useful was today?" in client.get(f"/h/{other}").get_data(as_text=True), "each contact once"
    set_now(app, NOW + timedelta(hours=46, minutes=59))  # the session ended an hour before NOW
    assert "How useful was today?" in client.get(f"/h/{other}").get_data(as_text=True)
    set_now(app, NOW + timedelta(hours=47))
    assert "How useful was today?" not in client.get(f"/h/{other}").get_data(as_text=True)
    closed = client.post(f"/h/{other}/sessions/{session.id}/pulse",
                         data={"csrf_token": csrf_token(page), "useful": "4"})
    assert closed.status_code == 422


def test_the_pulse_is_not_asked_before_the_session_ends_nor_of_another_homes_session(app, setting, client):
    _, group, a, _, c = setting
    running = add_session(group, title="Running now", starts_at=NOW - timedelta(minutes=30))
    token = mint_contact_token(a.contacts[0])
    stranger = mint_contact_token(c.contacts[0])
    db.session.commit()
    assert "How useful was today?" not in client.get(f"/h/{token}").get_data(as_text=True)
    page = client.get(f"/h/{token}/sessions/{running.id}/pulse").get_data(as_text=True)
    assert "closed" in page
    assert client.get(f"/h/{stranger}/sessions/{running.id}/pulse").status_code == 404


def test_the_pulse_on_the_join_page_after_the_session(app, setting, client):
    _, group, a, *_ = setting
    session = add_session(group, title="Week 5: endings", starts_at=NOW + timedelta(days=1))  # invited
    token = mint_join_token(session, a.contacts[0])
    db.session.commit()
    assert "How useful was today?" not in client.get(f"/j/{token}").get_data(as_text=True)
    set_now(app, session.ends_at + timedelta(hours=2))
    page = client.get(f"/j/{token}").get_data(as_text=True)
    assert "This session has ended" in page and "How useful was today?" in page
    sent = client.post(f"/j/{token}/pulse", data={"csrf_token": csrf_token(page), "useful": "4"})
    assert sent.status_code == 303
    assert "your answers are in" in client.get(sent.headers["Location"]).get_data(as_text=True)
    missing = client.post(f"/j/{token}/pulse", data={"csrf_token": csrf_token(page)})
    assert missing.status_code in (409, 422)
