"""Issue 18 in the engagement report: pauses take sessions out of what a home is expected at, the
API's new fields, and the dashboard's commitment column and apology reasons by month."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from facilitator.attendance import report as reports
from facilitator.attendance import report_cache
from facilitator.auth.api_tokens import issue_api_token
from facilitator.extensions import db
from facilitator.models.attendance import AttendanceEntry, ReportVersion
from facilitator.models.engagement import Apology, HomePause
from tests.support.attendance import session_for
from tests.support.factories import Auth

LONDON = ZoneInfo("Europe/London")
LETTERS = {"P": "present", "A": "absent", "X": "excused"}


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def world(make):
    """Six weekly sessions, the latest yesterday. Apologies home: came twice, then two sessions with
    notice (an outbreak), then two without. Paused home: missed three inside an outbreak pause.
    Resting home: paused from yesterday until next week."""
    now = datetime.now(UTC).replace(microsecond=0)
    homes = {name: make.home(name, contacts=1) for name in ("Apologies", "Paused", "Resting")}
    group = make.group("North", homes=list(homes.values()))
    for membership in group.memberships:
        membership.joined_on = date(2020, 1, 1)
    db.session.commit()
    sessions = [session_for(group, starts_at=now - timedelta(days=1, weeks=5 - k), provider="link")
                for k in range(6)]
    days = [s.starts_at.astimezone(LONDON).date() for s in sessions]
    records = {"Apologies": "PPXXAA", "Paused": "PPAAAP", "Resting": "PPPPPA"}
    for name, record in records.items():
        for session, letter in zip(sessions, record, strict=True):
            db.session.add(AttendanceEntry(session_id=session.id, home_id=homes[name].id, comment="",
                                           status=LETTERS[letter],
                                           source="apology" if letter == "X" else "manual"))
    db.session.add_all([
        HomePause(home=homes["Paused"], starts_on=days[2], ends_on=days[4], reason="outbreak"),
        HomePause(home=homes["Resting"], starts_on=days[5], ends_on=days[5] + timedelta(days=7),
                  reason="inspection"),
        Apology(session_id=sessions[2].id, home_id=homes["Apologies"].id, reason="outbreak_or_illness"),
        Apology(session_id=sessions[3].id, home_id=homes["Apologies"].id, reason="outbreak_or_illness"),
        Apology(session_id=sessions[3].id, home_id=homes["Paused"].id, reason="staffing", withdrawn_at=now),
    ])
    db.session.commit()
    return {"homes": homes, "group": group, "sessions": sessions, "now": now}


def by_name(report: reports.Report) -> dict[str, reports.HomeRow]:
    return {row.home.name: row for row in report.rows}


def test_a_pause_takes_its_sessions_out_of_what_is_expected(app, world):
    rows = by_name(reports.engagement_report(reports.Filters(), now=world["now"], zone=LONDON))
    paused = rows["Paused"].engagement
    assert (paused.expected, paused.attended, paused.missed_without_notice_in_a_row) == (3, 3, 0)
    assert paused.status == "engaged"  # three misses in a row, but all inside the pause
    apologies = rows["Apologies"].engagement
    assert (apologies.expected, apologies.attended, apologies.apologies) == (6, 2, 2)
    assert apologies.status == "at_risk" and apologies.reason == "Missed the last 2 sessions without notice."
    resting = rows["Resting"].engagement
    assert resting.status == "paused" and resting.expected == 5  # the session inside the pause is not


def test_ending_a_pause_early_counts_its_sessions_again(app, world):
    pause = db.session.scalar(db.select(HomePause).where(HomePause.home_id == world["homes"]["Paused"].id))
    pause.ends_on = pause.starts_on
    db.session.commit()
    rows = by_name(reports.engagement_report(reports.Filters(), now=world["now"], zone=LONDON))
    assert rows["Paused"].engagement.expected == 5  # the two sessions after the new end are expected


def test_the_api_has_apologies_commitment_misses_without_notice_and_paused(app, make, world):
    token = issue_api_token(make.user("lead"))
    db.session.commit()
    homes = app.test_client().get("/api/v1/engagement", headers={"Authorization": f"Bearer {token}"}).json
    items = {h["home_name"]: h for h in homes["homes"]}
    assert {k: items["Apologies"][k] for k in ("expected", "attended", "apologies", "rate", "commitment",
                                                 "missed_without_notice_in_a_row", "missed_in_a_row",
                                                 "status", "paused")} == {
        "expected": 6, "attended": 2, "apologies": 2, "rate": 0.3333, "commitment": 0.6667,
        "missed_without_notice_in_a_row": 2, "missed_in_a_row": 4, "status": "at_risk", "paused": False}
    assert (items["Resting"]["status"], items["Resting"]["paused"]) == ("paused", True)
    assert (items["Paused"]["expected"], items["Paused"]["commitment"]) == (3, 1.0)


def test_the_dashboard_shows_commitment_and_apology_reasons_by_month(app, make, world):
    client = app.test_client()
    Auth(client, make).login(make.user("lead"))
    page = client.get("/reports/attendance").get_data(as_text=True)
    home = world["homes"]["Apologies"]
    group_id = world["group"].id
    row = re.search(rf'<tr data-home-id="{home.id}" data-group-id="{group_id}">(.*?)</tr>', page, re.S)
    figures = dict(re.findall(r'data-figure="(rate|commitment)">([^<]+)<', row.group(1)))
    assert figures == {"rate": "33%", "commitment": "67%"}
    assert ">Commitment</th>" in page
    reasons = page.split('id="reasons-h"', 1)[1].split("</table>", 1)[0]
    months = {s.starts_on.strftime("%Y-%m") for s in world["sessions"][2:4]}
    counted = {}
    for month, cells in re.findall(r'<tr data-month="([\d-]+)">(.*?)</tr>', reasons, re.S):
        counted[month] = {k: int(v) for k, v in re.findall(r'data-reason="(\w+)">(\d+)<', cells)}
    assert set(counted) == months  # the withdrawn apology is not counted
    assert sum(c["outbreak_or_illness"] for c in counted.values()) == 2
    assert sum(c["staffing"] for c in counted.values()) == 0
    assert sum(c["all"] for c in counted.values()) == 2
    assert "Outbreak or illness</th>" in reasons
    chart = reasons.split('class="reason-chart"', 1)[1].split("</svg>", 1)[0]
    segments = re.findall(r"<title>([^<]+): (\d+) outbreak or illness</title>", chart)
    assert sum(int(n) for _, n in segments) == 2, "the chart shows the same counts as the table"


def group_version(group_id: int) -> int:
    return db.session.scalar(db.select(ReportVersion.version).where(ReportVersion.group_id == group_id)) or 0


def test_a_new_pause_or_apology_is_never_hidden_by_the_report_cache(app, world):
    def report() -> dict[str, reports.HomeRow]:
        return by_name(reports.engagement_report(reports.Filters(), now=world["now"], zone=LONDON))

    assert report()["Apologies"].engagement.status == "at_risk"
    assert len(report_cache.parts()) == 1  # the group's part is cached
    today = world["now"].date()
    db.session.add(HomePause(home=world["homes"]["Apologies"], starts_on=today - timedelta(days=2),
                             ends_on=today + timedelta(days=3), reason="staffing"))
    db.session.commit()
    assert report()["Apologies"].engagement.status == "paused"
    group_id = world["group"].id
    before = group_version(group_id)
    db.session.add(Apology(session_id=world["sessions"][5].id, home_id=world["homes"]["Resting"].id))
    db.session.commit()
    assert group_version(group_id) == before + 1
    report_cache.groups_changed([group_id])  # for a change made without the ORM
    db.session.commit()
    assert group_version(group_id) == before + 2
