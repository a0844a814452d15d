"""The quarterly programme report (issue 20): its figures are the other areas' own reads, it is a
page, a real PDF and a CSV, a frozen snapshot never changes, the API, and no confidential text
reaches any of them (the canary)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from facilitator import transaction
from facilitator.admin import services as admin
from facilitator.attendance import report as reports
from facilitator.attendance import report_cache
from facilitator.attendance.filters import Filters
from facilitator.attendance.reasons import apology_reasons
from facilitator.conditions import agreements
from facilitator.extensions import db
from facilitator.indicators.programme import totals
from facilitator.indicators.services import save_return
from facilitator.journey.action_queries import progress_by_home
from facilitator.journey.frameworks import current_framework
from facilitator.models import (
    Assessment,
    AssessmentRating,
    HomeAction,
    IndicatorSource,
    MeetingSession,
    ProgrammeReport,
)
from facilitator.models.attendance import AttendanceEntry
from facilitator.models.engagement import Apology
from facilitator.models.questionnaires import QuestionnaireAnswer, QuestionnaireInvite, QuestionnaireResponse
from facilitator.questionnaires import answers, catalogue, rounds
from facilitator.reports.figures import figures
from facilitator.reports.filters import ReportFilters, parse
from facilitator.supervision import services as supervision
from tests.support.attendance import session_for
from tests.support.invites import invites_config
from tests.support.notes import WEB
from tests.support.pdf import pdf_text, squeezed

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
FIRST, LAST = date(2026, 6, 16), date(2026, 6, 30)
PERIOD = {"from": "2026-06-16", "to": "2026-06-30"}
LETTERS = {"P": "present", "A": "absent", "X": "excused"}
# Made-up words that must never leave a confidential record.
CANARY_NOTE = "zephyrquill"
CANARY_REFLECTION = "plumbobwhistle"
CANARY_ACTION = "snickerpetal"
# Free text a questionnaire answered: below the threshold, and above it (the report never has words).
CANARY_FEW = "quillowmarsh"
CANARY_MANY = "brackenfizz"
CANARIES = (CANARY_NOTE, CANARY_REFLECTION, CANARY_ACTION, CANARY_FEW, CANARY_MANY)


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config(FROZEN_NOW=NOW))
    with app.app_context():
        yield app


@pytest.fixture
def world(make):
    """Six weekly sessions, the latest yesterday. Slipping came to the first four and missed the two
    of the period without notice (engaged → at risk); Steady came to all six and apologised once."""
    facilitator = make.user("facilitator", name="Moira Facilitator")
    slipping = make.home("Slipping House", contacts=2, local_authority="fife")
    steady = make.home("Steady Lodge", contacts=3, local_authority="highland")
    group = make.group("Kingdom PSL", facilitators=[facilitator], homes=[slipping, steady])
    sessions = [session_for(group, starts_at=NOW - timedelta(days=1, weeks=5 - k), provider="link")
                for k in range(6)]
    for home, record in ((slipping, "PPPPAA"), (steady, "PPPPPX")):
        for session, letter in zip(sessions, record, strict=True):
            db.session.add(AttendanceEntry(session_id=session.id, home_id=home.id, comment="",
                                           status=LETTERS[letter], staff_count=3 if letter == "P" else None,
                                           source="apology" if letter == "X" else "manual"))
    db.session.add(Apology(session_id=sessions[5].id, home_id=steady.id, reason="staffing"))
    db.session.commit()
    return {"group": group, "sessions": sessions, "slipping": slipping, "steady": steady,
            "facilitator": facilitator}


def period_filters(**extra) -> ReportFilters:
    return ReportFilters(FIRST, LAST, **extra)


def test_reach_and_attendance_equal_the_underlying_reports(app, world):
    data = figures(period_filters())
    held = db.session.scalar(select(func.count()).select_from(MeetingSession).where(
        MeetingSession.starts_at >= datetime(2026, 6, 15, 23, 0, tzinfo=UTC)))
    assert data["reach"]["sessions_held"] == held == 2
    assert data["reach"]["homes"] == 2 and data["reach"]["contacts"] == 5
    staff = db.session.scalar(select(func.sum(AttendanceEntry.staff_count)).where(
        AttendanceEntry.session_id.in_([s.id for s in world["sessions"][4:]])))
    assert data["reach"]["staff_attending"] == staff == 3
    engagement = reports.engagement_report(Filters(date_from=FIRST, date_to=LAST), now=NOW, zone=LONDON)
    rates = [row.engagement.rate for row in engagement.rows]
    assert data["attendance"]["rate"] == round(sum(rates) / len(rates), 3)
    assert data["attendance"]["by_group"][0]["commitment"] == round(
        sum(r.engagement.commitment for r in engagement.rows) / 2, 3)
    months = apology_reasons(Filters(date_from=FIRST, date_to=LAST), zone=LONDON, now=NOW)
    assert data["apologies"]["by_reason"]["staffing"] == sum(m.counts.get("staffing", 0) for m in months) == 1
    assert [a["area"] for a in data["reach"]["by_area"]] == ["Fife", "Highland"]
    json.dumps(data)  # JSON-safe


def _round(home, number: int, started_on: date, rating: int) -> None:
    framework = current_framework()
    rated = AssessmentRating(domain_key=framework.domain_keys()[0], rating=rating)
    db.session.add(Assessment(home_id=home.id, framework_id=framework.id, round=number,
                              started_on=started_on, ratings=[rated]))


def test_journey_and_indicators_equal_the_underlying_queries(app, world):
    slipping, steady = world["slipping"], world["steady"]
    _round(slipping, 1, date(2026, 3, 1), 1)  # before the period: not compared
    _round(slipping, 2, date(2026, 6, 17), 2)
    _round(slipping, 3, date(2026, 6, 25), 4)
    _round(steady, 1, date(2026, 6, 18), 3)  # one round in the period: no change
    db.session.add_all([HomeAction(home_id=slipping.id, title="Plan a huddle", status="done"),
                        HomeAction(home_id=steady.id, title="Review care plans", due_on=date(2026, 6, 1),
                                   status="in_progress")])
    save_return(steady, date(2026, 6, 1), {"care_plans_reviewed": 10, "care_plans_naming_trauma": 4,
                                           "team_meetings": 3, "team_meetings_discussing_tip": 2,
                                           "team_leaders_trained_total": 1, "staff_trained": []},
                IndicatorSource.PAPER, world["facilitator"])
    db.session.commit()
    data = figures(period_filters())
    first_domain = data["journey"]["assessments"][0]
    assert (first_domain["homes_compared"], first_domain["mean_change"], first_domain["up"]) == (1, 2, 1)
    plans = progress_by_home(LAST, {slipping.id, steady.id})
    assert data["journey"]["actions"] == {"homes_with_plans": len(plans), "done": sum(p.done for p in plans),
                                          "open": sum(p.open for p in plans),
                                          "overdue": sum(p.overdue for p in plans)}
    assert data["journey"]["actions"]["overdue"] == 1 and data["journey"]["actions"]["done"] == 1
    [june] = totals(date(2026, 6, 1), LAST)
    assert data["indicators"] == [{"month": "2026-06", "homes": 1, "care_plans_reviewed": 10,
                                   "care_plans_naming_trauma": 4, "team_meetings": 3,
                                   "team_meetings_discussing_tip": 2, "plans_share": june.plans_share,
                                   "meetings_share": june.meetings_share,
                                   "trained_by_level": june.trained_by_level}]


def test_a_home_that_slipped_moves_from_engaged_to_at_risk(app, world):
    data = figures(period_filters())["engagement"]
    assert {"from": "engaged", "to": "at_risk", "homes": 1} in data["transitions"]
    assert {"from": "engaged", "to": "engaged", "homes": 1} in data["transitions"]
    assert data["start"]["engaged"] == 2 and data["end"]["at_risk"] == 1


def test_the_council_area_filter_keeps_only_its_homes(app, world):
    data = figures(period_filters(local_authority="highland"))
    assert data["reach"]["homes"] == 1 and data["reach"]["contacts"] == 3
    assert data["engagement"]["transitions"] == [{"from": "engaged", "to": "engaged", "homes": 1}]


def _selects(work) -> int:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    report_cache.parts().clear()  # every part computed, both times
    db.session.expire_all()  # and nothing already loaded
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])


def test_the_figures_take_the_same_statements_for_more_homes(app, world, make):
    figures(period_filters())  # the first use publishes the default framework
    before = _selects(lambda: figures(period_filters()))
    for n in range(4):
        home = make.home(f"Extra Home {n}", contacts=2, local_authority="fife")
        db.session.add(AttendanceEntry(session_id=world["sessions"][5].id, home_id=home.id, comment="",
                                       status="present", staff_count=2, source="manual"))
        admin.add_member(world["group"], home.id, date(2026, 1, 5))
    db.session.commit()
    assert figures(period_filters())["reach"]["homes"] == 6
    assert _selects(lambda: figures(period_filters())) == before


def test_filters_name_every_problem_at_once(app):
    chosen, problems = parse({"from": "16/06/2026", "local_authority": "atlantis",
                              "group_id": "99999999999"})
    assert chosen is None and set(problems) == {"from", "to", "local_authority", "group_id"}
    assert set(parse({"from": "0001-01-01", "to": "9999-12-31"})[1]) == {"from", "to"}
    backwards = parse({"from": "2026-06-30", "to": "2026-06-01"})[1]
    assert backwards == {"to": "The last day must not be before the first."}


def test_the_page_refuses_a_bad_date_with_422_naming_it(app, world, auth):
    auth.login("lead")
    response = auth.client.get("/reports/programme?from=2026-13-01&to=")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "is not a date" in page and "last day of the period" in page
    assert auth.client.get("/reports/programme.csv?to=2026-06-30").status_code == 422
    assert auth.client.get("/reports/programme").status_code == 200


def test_the_pdf_is_real_with_the_filters_on_the_cover_and_page_numbers(app, world, auth):
    auth.login("lead")
    response = auth.client.get(f"/reports/programme.pdf?from={PERIOD['from']}&to={PERIOD['to']}"
                               f"&group_id={world['group'].id}&local_authority=fife")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = squeezed(pdf_text(response.data))
    assert "From 2026-06-16" in text and "To 2026-06-30" in text
    assert "Group Kingdom PSL" in text and "Council area Fife" in text
    assert "Page 1 of" in text and "Reach" in text


def test_the_csv_has_the_figures(app, world, auth):
    auth.login("admin")
    response = auth.client.get("/reports/programme.csv?from=2026-06-16&to=2026-06-30")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith("\ufeff")
    rows = {(r["section"], r["figure"]): r["value"] for r in csv.DictReader(io.StringIO(body[1:]))}
    assert rows[("reach", "sessions_held")] == "2"
    assert rows[("engagement", "end / at_risk")] == "1"
    assert rows[("reach", "by_group / Kingdom PSL / staff_attending")] == "3"


def test_a_frozen_snapshot_never_changes_when_the_data_does(app, world, auth):
    auth.login("lead")
    page = auth.client.get("/reports/programme?from=2026-06-16&to=2026-06-30").get_data(as_text=True)
    response = auth.post("/reports/programme/freeze", {**PERIOD, "narrative": "A steady quarter."},
                         page="/reports/programme?from=2026-06-16&to=2026-06-30")
    assert response.status_code == 302 and "Freeze" in page
    report = db.session.scalar(select(ProgrammeReport))
    before, pdf_before = json.dumps(report.figures, sort_keys=True), report.pdf
    newcomer = session_for(world["group"], starts_at=NOW - timedelta(hours=3), provider="link")
    db.session.add(AttendanceEntry(session_id=newcomer.id, home_id=world["slipping"].id, comment="",
                                   status="present", staff_count=9, source="manual"))
    db.session.commit()
    assert figures(period_filters())["reach"]["sessions_held"] == 3
    db.session.expire_all()
    again = db.session.get(ProgrammeReport, report.id)
    assert json.dumps(again.figures, sort_keys=True) == before and again.pdf == pdf_before
    shown = auth.client.get(f"/reports/programme/snapshots/{report.id}")
    assert shown.status_code == 200 and "A steady quarter." in shown.get_data(as_text=True)
    assert auth.client.get(f"/reports/programme/snapshots/{report.id}.pdf").data == pdf_before
    listing = auth.client.get("/reports/programme/snapshots").get_data(as_text=True)
    assert f"PDF of snapshot {report.id}" in listing


def test_freezing_names_every_problem(app, world, auth):
    auth.login("lead")
    response = auth.post("/reports/programme/freeze", {"from": "nope", "to": ""}, page="/reports/programme")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "is not a date" in page and "last day of the period" in page


def test_the_api_freezes_and_reads_back(app, world, api):
    api.as_user("lead")
    response = api.post("/api/v1/programme-reports", json={**PERIOD, "narrative": "For the board."})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"id", "frozen_at", "figures", "pdf_url"}
    assert body["figures"]["reach"]["sessions_held"] == 2
    assert body["pdf_url"].endswith(f"/reports/programme/snapshots/{body['id']}.pdf")
    assert api.get(f"/api/v1/programme-reports/{body['id']}").get_json() == body
    refused = api.post("/api/v1/programme-reports", json={"from": "2026-02-30", "to": "2026-06-30"})
    assert refused.status_code == 422 and "from" in refused.get_json()["error"]["fields"]
    missing = api.post("/api/v1/programme-reports", json={"from": "2026-06-01"})
    assert missing.status_code == 422 and "to" in missing.get_json()["error"]["fields"]


@pytest.mark.parametrize("role", ["facilitator", "supervisor"])
def test_only_leads_and_admins_reach_the_api(app, world, api, role):
    api.as_user(role)
    assert api.post("/api/v1/programme-reports", json=PERIOD).status_code == 403
    assert api.get("/api/v1/programme-reports/1").status_code == 403


def _questionnaire_round(group, kind: str, sent_on: date, forms: list[dict]) -> int:
    chosen = catalogue.offered("pre_post")[0]
    round_ = rounds.create_round(group, rounds.RoundInput(chosen.id, kind, None), None)
    round_.send_on = sent_on
    invites = db.session.scalars(select(QuestionnaireInvite).where(QuestionnaireInvite.round_id == round_.id)
                                 .order_by(QuestionnaireInvite.id)).all()
    for invite, form in zip(invites, forms, strict=False):
        answers.answer_invite(invite, form)
    db.session.commit()
    return round_.id


def _mean(kind_round_id: int, key: str) -> float:
    """SQL's own average (PostgreSQL answers a Decimal)."""
    mean = select(func.avg(QuestionnaireAnswer.value)).join(QuestionnaireResponse).where(
        QuestionnaireResponse.round_id == kind_round_id, QuestionnaireAnswer.question_key == key)
    return float(db.session.scalar(mean))


def test_learning_is_the_questionnaires_change_with_small_numbers_suppressed(app, world):
    group = world["group"]
    pre = _questionnaire_round(group, "pre", FIRST, [{"feel_safe": "2", "how_it_shows": "3"}] * 2
                               + [{"feel_safe": "3"}] * 3)
    post = _questionnaire_round(group, "post", LAST, [{"feel_safe": "4"}] * 3 + [{"how_it_shows": "5"}] * 2)
    _questionnaire_round(group, "pre", FIRST - timedelta(days=1), [{"feel_safe": "1"}] * 5)  # before it
    learning = figures(period_filters())["learning"]
    assert learning["rounds"] == {"pre": 1, "post": 1, "pulse": 0}
    assert learning["responses"] == {"pre": 5, "post": 5, "pulse": 0}
    rows = {row["statement"]: row for row in learning["statements"]}
    assert rows["feel_safe"]["change"] == round(_mean(post, "feel_safe") - _mean(pre, "feel_safe"), 2) == 1.4
    assert rows["how_it_shows"]["suppressed"] and rows["how_it_shows"]["change"] is None  # 2 of each side
    assert rows["five_principles"]["pre_mean"] is None
    assert figures(period_filters(group_id=group.id + 1000))["learning"]["rounds"]["pre"] == 0


def test_no_confidential_text_reaches_the_report(app, world, auth):
    """The canary: a note and a supervision record's reflections and action, in none of the page,
    the PDF, the CSV, a snapshot's figures or its PDF."""
    author = world["facilitator"]
    supervision.create_note(author, world["sessions"][5].id, f"The {CANARY_NOTE} came up.", WEB,
                            world["slipping"].id)
    supervision.record_supervision(author, supervision.RecordInput(
        date(2026, 6, 20), 60, "one_to_one", external_supervisor="Outside Supervisor",
        reflections=f"Thinking about {CANARY_REFLECTION}.",
        actions=[supervision.ActionInput(f"Read {CANARY_ACTION}")]), WEB, date(2026, 6, 30))
    transaction.commit()
    few = {"feel_safe": "3", "anything_else": f"The {CANARY_FEW}"}
    _questionnaire_round(world["group"], "pre", FIRST, [few, few, {"feel_safe": "4"}])
    many = {"feel_safe": "4", "anything_else": f"A {CANARY_MANY}"}
    _questionnaire_round(world["group"], "post", LAST, [many] * 3)
    auth.login("lead")
    query = "?from=2026-06-16&to=2026-06-30"
    page = auth.client.get("/reports/programme" + query).get_data(as_text=True)
    assert "Moira Facilitator" in page  # the facilitation section is there, as counts
    assert "I feel confident helping a resident" in page  # and learning, as means
    pdf = pdf_text(auth.client.get("/reports/programme.pdf" + query).data)
    csv_body = auth.client.get("/reports/programme.csv" + query).get_data(as_text=True)
    auth.post("/reports/programme/freeze", PERIOD, page="/reports/programme" + query)
    snapshot = db.session.scalar(select(ProgrammeReport))
    assert snapshot.figures["facilitation"][0]["supervision_in_period"] == 1
    for text in (page, pdf, csv_body, json.dumps(snapshot.figures), pdf_text(snapshot.pdf)):
        for word in CANARIES:
            assert word not in text.lower()


def test_agreements_and_indicators_count_only_the_homes_the_filters_keep(app, world):
    agreements.record_agreed_on(world["slipping"], date(2026, 6, 1))
    save_return(world["steady"], date(2026, 6, 1), {
        "care_plans_reviewed": 7, "care_plans_naming_trauma": 2, "team_meetings": 2,
        "team_meetings_discussing_tip": 1, "team_leaders_trained_total": 0, "staff_trained": []},
        IndicatorSource.PAPER, world["facilitator"])
    db.session.commit()
    everyone = figures(period_filters())
    assert everyone["conditions"]["agreements"]["homes"] == 2
    assert everyone["conditions"]["agreements"]["covered"] == 1
    in_fife = figures(period_filters(local_authority="fife"))
    agreed = in_fife["conditions"]["agreements"]
    assert (agreed["homes"], agreed["covered"]) == (1, 1)
    assert in_fife["indicators"] == [], "Steady Lodge's return is in Highland"
    in_highland = figures(period_filters(local_authority="highland"))
    assert in_highland["conditions"]["agreements"]["covered"] == 0
    assert [row["care_plans_reviewed"] for row in in_highland["indicators"]] == [7]
