"""The leads' dashboard, the engagement API and the CSV export: figures checked against the
database counted independently in SQL on the demo data, filters, formula-safe CSV cells, the
facilitator's home page, and statement counts that do not grow with the number of homes."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from facilitator.admin import services as admin_services
from facilitator.attendance import register
from facilitator.auth.api_tokens import issue_api_token
from facilitator.csv_cells import safe_cell
from facilitator.demo import load_demo
from facilitator.extensions import db
from facilitator.models import CareHome, Group, MeetingSession, Membership, User
from tests.support.attendance import session_for
from tests.support.factories import Auth, Factory

DEMO_PASSWORD = "demo-password-2024"
ATTENDED = ("present", "late", "left_early")


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


def signed_in(app, make: Factory, user: User) -> Any:
    client = app.test_client()
    Auth(client, make).login(user, password=DEMO_PASSWORD if user.email.endswith("demo.facilitator.scot")
                             else "correct horse battery staple")
    return client


@pytest.fixture
def demo(app):
    load_demo(DEMO_PASSWORD)
    db.session.commit()
    users = {u.role: u for u in db.session.scalars(sa.select(User).order_by(User.id.desc()))}
    return users


def sql_counts(since: datetime | None = None) -> dict[tuple[int, int], dict[str, Any]]:
    """Expected and attended per (group, home), counted straight from the tables (of the sessions
    that started ``since``, if given)."""
    rows = db.session.execute(sa.text("""
        SELECT s.group_id, e.home_id,
               SUM(CASE WHEN e.status IN ('present', 'late', 'left_early') THEN 1 ELSE 0 END) AS attended,
               COUNT(*) AS expected,
               SUM(CASE WHEN e.status = 'excused' THEN 1 ELSE 0 END) AS apologies,
               MAX(CASE WHEN e.status IN ('present', 'late', 'left_early') THEN s.starts_at END) AS last
          FROM attendance_entries e JOIN meeting_sessions s ON s.id = e.session_id
         WHERE s.status <> 'cancelled' AND e.status IS NOT NULL AND s.starts_at >= :since
         GROUP BY s.group_id, e.home_id"""), {"since": (since or datetime(2000, 1, 1, tzinfo=UTC))
                                              .astimezone(UTC).replace(tzinfo=None)})
    return {(r.group_id, r.home_id): {"attended": r.attended, "expected": r.expected, "last": r.last,
                                      "apologies": r.apologies} for r in rows}


def test_the_dashboard_and_api_figures_equal_an_independent_count(app, make, demo):
    counted = sql_counts()
    assert len(counted) == 12 and sum(c["expected"] for c in counted.values()) > 0
    lead = demo["lead"]
    token = issue_api_token(lead)
    db.session.commit()
    api = app.test_client().get("/api/v1/engagement", headers={"Authorization": f"Bearer {token}"}).json
    assert len(api["homes"]) == 12
    for home in api["homes"]:
        expected = counted[(home["group_id"], home["home_id"])]
        assert (home["expected"], home["attended"]) == (expected["expected"], expected["attended"])
        assert home["rate"] == round(expected["attended"] / expected["expected"], 4)
        assert home["apologies"] == expected["apologies"]
        came_or_said = expected["attended"] + expected["apologies"]
        assert home["commitment"] == round(came_or_said / expected["expected"], 4)
        last = expected["last"]
        last_day = (last if isinstance(last, datetime) else datetime.fromisoformat(str(last)))
        assert home["last_attended"] == last_day.replace(tzinfo=UTC).astimezone(
            __import__("zoneinfo").ZoneInfo("Europe/London")).date().isoformat()
    assert {h["status"] for h in api["homes"]} >= {"engaged", "at_risk", "disengaged"}
    page = signed_in(app, make, lead).get("/reports/attendance").get_data(as_text=True)
    for (group_id, home_id), figures in counted.items():
        row = re.search(rf'<tr data-home-id="{home_id}" data-group-id="{group_id}">(.*?)</tr>', page, re.S)
        assert row, (group_id, home_id)
        shown = dict(re.findall(r'data-figure="(expected|attended)">(\d+)<', row.group(1)))
        assert (int(shown["expected"]), int(shown["attended"])) == (figures["expected"], figures["attended"])
    statuses = [h["status"] for h in api["homes"]]
    for status in ("engaged", "at_risk", "disengaged"):
        count = re.search(rf'data-status="{status}">(\d+)<', page)
        assert int(count.group(1)) == statuses.count(status)


def test_the_csv_has_one_row_per_home_per_session_matching_the_tables(app, make, demo):
    client = signed_in(app, make, demo["lead"])
    response = client.get("/reports/attendance.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="attendance-')
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    started = db.session.scalar(sa.select(sa.func.count()).select_from(MeetingSession)
                                .where(MeetingSession.starts_at <= datetime.now(UTC)))
    assert len(rows) == started * 4  # every demo group has four homes; sessions to come are not in it
    by_status = dict(db.session.execute(sa.text(
        "SELECT status, COUNT(*) FROM attendance_entries GROUP BY status")).all())
    assert {s: sum(r["status"] == s for r in rows) for s in by_status} == by_status
    assert all(r["engagement"] == "" or r["engagement_label"] for r in rows)


def test_the_csv_takes_a_leads_api_token(app, make, demo):
    lead, facilitator = demo["lead"], demo["facilitator"]
    tokens = {"lead": issue_api_token(lead), "facilitator": issue_api_token(facilitator)}
    db.session.commit()
    client = app.test_client()
    ok = client.get("/reports/attendance.csv", headers={"Authorization": f"Bearer {tokens['lead']}"})
    assert ok.status_code == 200 and ok.get_data().startswith(b"\xef\xbb\xbf")
    refused = client.get("/reports/attendance.csv",
                         headers={"Authorization": f"Bearer {tokens['facilitator']}"})
    assert refused.status_code == 403
    assert client.get("/reports/attendance.csv").status_code == 302  # not signed in: to the sign-in page
    bad = client.get("/reports/attendance.csv", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 302


def test_filters_narrow_the_dashboard_api_and_csv(app, make, demo):
    group = db.session.scalar(sa.select(Group).where(Group.name == "East and Fife PSL"))
    token = issue_api_token(demo["lead"])
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    homes = client.get(f"/api/v1/engagement?group_id={group.id}", headers=headers).json["homes"]
    assert {h["group_id"] for h in homes} == {group.id} and len(homes) == 4
    glasgow = client.get("/api/v1/engagement?region=glasgow", headers=headers).json["homes"]
    assert sorted(h["home_name"] for h in glasgow) == ["Ardenlea House", "Kelvin View"]
    today = datetime.now(UTC).date()
    since = today - timedelta(days=15)
    recent = client.get(f"/api/v1/engagement?from={since}", headers=headers).json["homes"]
    everything = client.get("/api/v1/engagement", headers=headers).json["homes"]
    counted = sql_counts(since=datetime.combine(since, datetime.min.time(), tzinfo=ZoneInfo("Europe/London")))
    assert {(h["group_id"], h["home_id"]): h["expected"] for h in recent if h["expected"]} == {
        key: c["expected"] for key, c in counted.items()}
    assert max(h["expected"] for h in recent) < max(h["expected"] for h in everything)
    csv_rows = client.get(f"/reports/attendance.csv?group_id={group.id}&region=Fife", headers=headers)
    rows = list(csv.DictReader(io.StringIO(csv_rows.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and {r["home_name"] for r in rows} == {"Fairhaven Nursing Home"}
    bad = client.get("/api/v1/engagement?from=2026-05-01&to=2026-04-01", headers=headers)
    assert bad.status_code == 422
    page = signed_in(app, make, demo["lead"]).get("/reports/attendance?to=1999-01-01&from=2000-01-01")
    assert page.status_code == 422 and "before the start date" in page.get_data(as_text=True)


def test_the_dashboard_shows_attention_first_with_contacts_and_a_readable_heatmap(app, make, demo):
    page = signed_in(app, make, demo["lead"]).get("/reports/attendance").get_data(as_text=True)
    attention = page.split('id="attention-h"', 1)[1].split('id="homes-h"', 1)[0]
    statuses = re.findall(r'class="tag eng-(\w+)"', attention)
    assert statuses and statuses == sorted(statuses, key=lambda s: s != "disengaged")  # disengaged first
    assert "mailto:" in attention and "Missed the last" in attention
    heatmap = page.split('id="heatmap-h"', 1)[1]
    assert heatmap.count('class="heatmap"') == 3
    for letter in ("P", "L", "E", "A", "X"):
        assert f">{letter}</text>" in heatmap
    assert " style=" not in page.split("<main", 1)[1]  # the CSP forbids style attributes
    assert 'class="trend-chart"' in page and 'class="sparkline"' in page


def test_the_printable_version(app, make, demo):
    client = signed_in(app, make, demo["lead"])
    page = client.get("/reports/attendance/print?region=Highland").get_data(as_text=True)
    assert "Attendance and engagement report" in page and "Highland" in page
    assert "Craigmhor Care Home" in page and "Ardenlea House" not in page


def test_a_facilitator_sees_registers_to_take_and_homes_to_contact(app, make, demo):
    facilitator = db.session.scalar(sa.select(User).where(User.email == "facilitator@demo.facilitator.scot"))
    page = signed_in(app, make, facilitator).get("/").get_data(as_text=True)
    assert "Homes to contact this week" in page
    contact = page.split("Homes to contact this week", 1)[1]
    assert "Disengaged" in contact and "mailto:" in contact
    registers = page.split("Registers not yet taken", 1)[1].split("Homes to contact", 1)[0]
    assert "Staff wellbeing after a hard month" in registers  # imported from Zoom two days ago
    assert "people to assign to homes" in registers  # the person the import could not place


def test_facilitators_see_only_their_groups_engagement(app, demo):
    facilitator = db.session.scalar(sa.select(User).where(User.email == "facilitator2@demo.facilitator.scot"))
    token = issue_api_token(facilitator)
    db.session.commit()
    homes = app.test_client().get("/api/v1/engagement", headers={"Authorization": f"Bearer {token}"}).json
    groups = {h["group_id"] for h in homes["homes"]}
    theirs = db.session.scalars(sa.select(Group.id).where(Group.name == "East and Fife PSL"))
    assert groups == set(theirs)


# CSV injection -------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "safe"), [
    ("=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
    ("+44 1234", "'+44 1234"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("Ardenlea House", "Ardenlea House"),
    ("a=b", "a=b"),
    ("", ""),
    (5, 5),
])
def test_cells_a_spreadsheet_would_run_are_made_safe(value, safe):
    assert safe_cell(value) == safe


def test_the_export_defuses_formulas_in_names_and_comments(app, make):
    lead = make.user("lead")
    facilitator = make.user("facilitator")
    home = admin_services.create_home("=cmd|' /C calc'!A0", "@region")
    group = make.group(name="-Group", facilitators=[facilitator], homes=[home])
    session = session_for(group, starts_at=datetime.now(UTC) - timedelta(days=1), provider="link",
                          title="+Session")
    register.save_register(session, [register.RowInput(home.id, "present", 2, 3, "=1+1 brought notes")],
                           expected_version=0, user=facilitator, now=datetime.now(UTC))
    db.session.commit()
    raw = signed_in(app, make, lead).get("/reports/attendance.csv").get_data(as_text=True).lstrip("\ufeff")
    [row] = list(csv.DictReader(io.StringIO(raw)))
    assert row["home_name"] == "'=cmd|' /C calc'!A0"
    assert (row["region"], row["group"], row["session_title"]) == ("'@region", "'-Group", "'+Session")
    assert row["comment"] == "'=1+1 brought notes"
    assert (row["status"], row["staff_count"], row["engagement"]) == ("present", "2", "3")
    assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


# Statement counts do not grow with the number of homes ----------------------------------------

@contextmanager
def counting() -> Any:
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def build(make: Factory, facilitator: User, homes: int, start: int) -> Group:
    made = [make.home(f"Home {start + n}", contacts=2) for n in range(homes)]
    group = make.group(facilitators=[facilitator], homes=made, joined_on=date(2025, 1, 1))
    now = datetime.now(UTC)
    for week in (3, 2, 1):
        session = session_for(group, starts_at=now - timedelta(weeks=week), provider="link")
        rows = [register.RowInput(h.id, "present" if (n + week) % 3 else "absent")
                for n, h in enumerate(made)]
        register.save_register(session, rows, expected_version=0, user=facilitator, now=now)
    db.session.commit()
    return group


def statement_counts(app, make: Factory, lead_client: Any, facilitator_client: Any, token: str,
                     group: Group) -> dict[str, int]:
    session_id = db.session.scalar(sa.text("SELECT MAX(id) FROM meeting_sessions"))
    urls = {"dashboard": (lead_client, "/reports/attendance"),
            "print": (lead_client, "/reports/attendance/print"),
            "csv": (lead_client, "/reports/attendance.csv"),
            "register": (facilitator_client, f"/sessions/{session_id}/register"),
            "home": (facilitator_client, "/")}
    counts = {}
    for name, (client, url) in urls.items():
        db.session.commit()
        with counting() as statements:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            response.get_data()
        counts[name] = len(statements)
    db.session.commit()
    with counting() as statements:
        headers = {"Authorization": f"Bearer {token}"}
        assert app.test_client().get("/api/v1/engagement", headers=headers).status_code == 200
        register = app.test_client().get(f"/api/v1/sessions/{session_id}/attendance", headers=headers)
        assert register.status_code == 200
    counts["api"] = len(statements)
    return counts


def test_statement_counts_do_not_grow_with_the_number_of_homes(app, make):
    facilitator, lead = make.user("facilitator"), make.user("lead")
    lead_client, facilitator_client = signed_in(app, make, lead), signed_in(app, make, facilitator)
    token = issue_api_token(lead)
    db.session.commit()
    # The token's first use stamps its "last used" (then at most hourly): not a per-home cost.
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/homes", headers=bearer).status_code == 200
    group = build(make, facilitator, 3, 0)
    few = statement_counts(app, make, lead_client, facilitator_client, token, group)
    more = build(make, facilitator, 9, 100)
    db.session.execute(sa.delete(Membership).where(Membership.group_id == group.id))
    db.session.commit()
    many = statement_counts(app, make, lead_client, facilitator_client, token, more)
    assert few == many
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CareHome)) == 12


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=9999-12-31", "from=0001-01-01&to=0001-01-02"])
def test_dates_past_the_calendar_are_a_clear_refusal_not_a_crash(app, make, query):
    lead = make.user("lead")
    token = issue_api_token(lead)
    db.session.commit()
    client = signed_in(app, make, lead)
    for url in ("/reports/attendance", "/reports/attendance/print", "/reports/attendance.csv"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 422, url
        assert "between 1 January 1900 and 31 December 2999" in response.get_data(as_text=True), url
    api = app.test_client().get(f"/api/v1/engagement?{query}", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 422
    assert set(api.json["error"]["fields"]) & {"from", "to"}
