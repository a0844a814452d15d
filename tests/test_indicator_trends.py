"""The monthly returns added up for a group and for the whole programme (issue 19): the page and
its CSV equal an independent SQL sum; a home counts for a group's month only while a member;
who may read which group. Clock: Tuesday 10 March 2026, noon."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from facilitator.extensions import db
from facilitator.indicators.services import save_return
from facilitator.models import IndicatorSource
from tests.support.factories import Factory
from tests.support.invites import invites_config

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
MONTHS = (date(2026, 1, 1), date(2026, 2, 1))


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config(FROZEN_NOW=NOW))
    with app.app_context():
        yield app


@pytest.fixture
def world(make: Factory):
    """Fife: Ashgrove, and Birchwood until 1 February; Lothian: Cedarbank. A return each month each."""
    fife_lead = make.user("facilitator")
    ashgrove, birchwood, cedarbank = make.home("Ashgrove"), make.home("Birchwood"), make.home("Cedarbank")
    fife = make.group("Fife PSL", facilitators=[fife_lead], homes=[ashgrove, birchwood],
                      joined_on=date(2025, 12, 1))
    lothian = make.group("Lothian PSL", homes=[cedarbank], joined_on=date(2025, 12, 1))
    birchwood_membership = next(m for m in fife.memberships if m.home_id == birchwood.id)
    birchwood_membership.left_on = date(2026, 2, 1)
    for n, home in enumerate((ashgrove, birchwood, cedarbank), start=1):
        for m, month in enumerate(MONTHS):
            staff = [{"role": "care_staff", "ksf_level": "informed", "count": n + m},
                     {"role": "nurse", "ksf_level": "enhanced", "count": n}]
            save_return(home, month, {"care_plans_reviewed": 10 * n, "care_plans_naming_trauma": n + m,
                                      "team_meetings": 4, "team_meetings_discussing_tip": m + 1,
                                      "team_leaders_trained_total": n, "staff_trained": staff},
                        IndicatorSource.PAPER, fife_lead)
    db.session.commit()
    return fife_lead, fife, lothian, (ashgrove, birchwood, cedarbank)


def _sql_sums(home_ids: dict[str, list[int]]) -> dict[tuple[str, str], int]:
    """(month, figure) → total over the homes of each month, straight from the tables."""
    sums: dict[tuple[str, str], int] = {}
    for month, ids in home_ids.items():
        params = {f"h{i}": home for i, home in enumerate(ids)}
        homes = ", ".join(f":h{i}" for i in range(len(ids)))
        where = f"r.home_id IN ({homes}) AND r.month = :month"
        params["month"] = date.fromisoformat(month + "-01")
        plans, meetings = db.session.execute(text(
            "SELECT SUM(care_plans_naming_trauma), SUM(team_meetings_discussing_tip) "
            f"FROM indicator_returns r WHERE {where}"), params).one()
        sums[(month, "care_plans_naming_trauma")] = plans
        sums[(month, "team_meetings_discussing_tip")] = meetings
        for level, total in db.session.execute(text(
                "SELECT s.ksf_level, SUM(s.count) FROM indicator_returns r JOIN indicator_staff_trained s "
                f"ON s.return_id = r.id WHERE {where} GROUP BY s.ksf_level"), params):
            sums[(month, f"staff_trained_{level}")] = total
    return sums


def _csv(client, query: str) -> list[dict[str, str]]:
    response = client.get(f"/reports/indicators.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))


def _as_sums(rows: list[dict[str, str]]) -> dict[tuple[str, str], int]:
    return {(row["month"], name): int(row[name]) for row in rows for name in row
            if name in ("care_plans_naming_trauma", "team_meetings_discussing_tip") or
            (name.startswith("staff_trained_") and int(row[name]))}


def test_the_programme_and_a_group_equal_an_independent_sql_sum(client, auth, world):
    _, fife, _, (ashgrove, birchwood, cedarbank) = world
    auth.login("lead")
    every = _csv(client, "from=2026-01&to=2026-03")
    assert [(r["month"], r["homes_reporting"]) for r in every] == [("2026-01", "3"), ("2026-02", "3")]
    everyone = [ashgrove.id, birchwood.id, cedarbank.id]
    assert _as_sums(every) == _sql_sums({"2026-01": everyone, "2026-02": everyone})

    group = _csv(client, f"group_id={fife.id}&from=2026-01&to=2026-02")
    assert [(r["month"], r["homes_reporting"]) for r in group] == [("2026-01", "2"), ("2026-02", "1")]
    assert _as_sums(group) == _sql_sums({"2026-01": [ashgrove.id, birchwood.id], "2026-02": [ashgrove.id]})
    assert group[1]["care_plans_naming_trauma_percent"] == "20"  # Ashgrove in February: 2 of 10

    page = client.get(f"/reports/indicators?group_id={fife.id}&from=2026-01&to=2026-02")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Implementation indicators: Fife PSL" in html
    assert "3 of 30 (10%)" in html and "2 of 10 (20%)" in html  # January: 1 + 2 of 10 + 20


def test_a_facilitator_reads_their_own_groups_only(client, auth, world):
    facilitator, fife, lothian, _ = world
    auth.login(facilitator)
    page = client.get("/reports/indicators").get_data(as_text=True)
    assert "Implementation indicators: Fife PSL" in page and "Every home" not in page
    assert client.get(f"/reports/indicators?group_id={lothian.id}").status_code == 403
    assert client.get(f"/reports/indicators.csv?group_id={lothian.id}").status_code == 403
    assert client.get("/reports/indicators?group_id=999999").status_code == 404
    assert client.get(f"/reports/indicators?group_id={10**30}").status_code == 404
    auth.login("supervisor")
    assert client.get("/reports/indicators").status_code == 403


def test_unreadable_months_are_refused_all_at_once(client, auth, world):
    auth.login("lead")
    response = client.get("/reports/indicators?from=2026-13&to=soon")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“2026-13” is not a month" in html and "“soon” is not a month" in html
    later_first = client.get("/reports/indicators?from=2026-03&to=2026-01")
    assert later_first.status_code == 422
    assert "The last month must not be before the first." in later_first.get_data(as_text=True)
    assert client.get("/reports/indicators.csv?from=nope").status_code == 422
