"""Engagement ratings on the dashboard and in the engagement API: each home's average over the
period and its trend (the later half of its rated sessions against the earlier half), kept
correct by the report cache when a rating changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from facilitator.attendance.engagement import rating_trend
from facilitator.auth.api_tokens import issue_api_token
from facilitator.extensions import db
from facilitator.models.attendance import AttendanceEntry
from tests.support.attendance import AFTER, START, group_with_homes, session_for
from tests.support.factories import Auth


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW=AFTER)
    with app.app_context():
        yield app


@pytest.fixture
def rated(app, make) -> dict[str, Any]:
    """Ardenlea rated 2, 3, 3, 4 over four weekly sessions; Bellfield came but was never rated."""
    group, homes = group_with_homes(make, "Ardenlea House", "Bellfield Court")
    sessions = [session_for(group, starts_at=START - timedelta(weeks=3 - i)) for i in range(4)]
    for session, score in zip(sessions, (2, 3, 3, 4), strict=True):
        db.session.add(AttendanceEntry(session_id=session.id, home_id=homes[0].id, status="present",
                                       engagement=score, comment=""))
        db.session.add(AttendanceEntry(session_id=session.id, home_id=homes[1].id, status="present",
                                       comment=""))
    db.session.commit()
    return {"group": group, "homes": homes, "sessions": sessions}


def rating_cell(page: str, home_id: int) -> str:
    row = page.split(f'<tr data-home-id="{home_id}" data-group-id=', 1)[1].split("</tr>", 1)[0]
    return row.split('data-figure="rating">', 1)[1].split("</td>", 1)[0]


@pytest.mark.parametrize(("ratings", "average", "direction", "words"), [
    ((2, 3, 3, 4), 3.0, "up", "up from 2.5"),
    ((4, 4, 1), 3.0, "down", "down from 4.0"),  # the middle one of an odd number is left out
    ((3, 3), 3.0, "steady", "steady"),
    ((2,), 2.0, None, ""),
])
def test_the_average_and_trend_of_a_homes_ratings(ratings, average, direction, words):
    trend = rating_trend(ratings)
    assert (trend.average, trend.direction, trend.words) == (average, direction, words)


def test_no_ratings_no_trend():
    assert rating_trend(()) is None


def test_the_dashboard_shows_each_homes_average_rating_and_its_trend(app, make, rated):
    client = app.test_client()
    Auth(client, make).login(make.user("lead"))
    page = client.get("/reports/attendance").get_data(as_text=True)
    ardenlea, bellfield = rated["homes"]
    cell = rating_cell(page, ardenlea.id)
    assert cell.startswith("3.0") and "out of 4" in cell and "up from 2.5" in cell
    assert rating_cell(page, bellfield.id) == "Not rated"


def test_a_changed_rating_shows_at_once_despite_the_report_cache(app, make, rated):
    client = app.test_client()
    Auth(client, make).login(make.user("lead"))
    ardenlea = rated["homes"][0]
    assert "up from 2.5" in rating_cell(client.get("/reports/attendance").get_data(as_text=True), ardenlea.id)
    latest = db.session.scalar(db.select(AttendanceEntry).where(
        AttendanceEntry.session_id == rated["sessions"][-1].id, AttendanceEntry.home_id == ardenlea.id))
    latest.engagement = 1
    db.session.commit()
    cell = rating_cell(client.get("/reports/attendance").get_data(as_text=True), ardenlea.id)
    assert cell.startswith("2.2") and "down from 2.5" in cell


def test_the_engagement_api_gives_the_ratings_average_and_trend(app, make, rated):
    token = issue_api_token(make.user("lead"))
    db.session.commit()
    homes = app.test_client().get("/api/v1/engagement",
                                  headers={"Authorization": f"Bearer {token}"}).json["homes"]
    by_id = {h["home_id"]: h for h in homes}
    ardenlea, bellfield = (by_id[h.id] for h in rated["homes"])
    assert (ardenlea["rating_count"], ardenlea["rating_average"], ardenlea["rating_trend"],
            ardenlea["rating_earlier"]) == (4, 3.0, "up", 2.5)
    unrated = (bellfield["rating_count"], bellfield["rating_average"], bellfield["rating_trend"])
    assert unrated == (0, None, None)
    assert {"expected", "attended", "rate", "status"} <= set(ardenlea)  # nothing renamed
