"""Every home's action plan for leads (issue 16, the dashboard's rows moved to a page of their
own): a page of homes at a time, searched and sorted on the server, and the same rows as CSV.
The clock is frozen at Tuesday 25 February 2025."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from facilitator.extensions import db
from facilitator.journey.actions import ActionData, create_action
from facilitator.listing import PAGE_SIZE
from tests.support.invites import NOW, invites_config

TODAY = NOW.date()
PAST, FUTURE = date(2025, 2, 1), date(2025, 4, 1)


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        yield app


def action(home, **fields) -> None:
    create_action(home, ActionData(**{"title": "Name a trauma-informed champion", **fields}))


@pytest.fixture
def homes(make):
    """PAGE_SIZE + 1 homes with a plan (one of them overdue three times), and one without."""
    made = [make.home(f"Home {n:03}", region="Fife" if n % 2 else "Highland") for n in range(PAGE_SIZE + 1)]
    for n, home in enumerate(made):
        action(home, status="done" if n % 3 == 0 else "not_started", due_on=FUTURE)
    for _ in range(3):
        action(made[7], due_on=PAST)
    action(made[20], due_on=date(2025, 2, 20))
    make.home("No plan yet")
    db.session.commit()
    return made


def body_rows(page: str) -> list[str]:
    return [row.split("</a>")[0].rsplit(">", 1)[1] for row in page.split("<tbody>")[1].split("<tr>")[1:]]


def test_every_home_with_a_plan_a_page_at_a_time(client, auth, homes):
    auth.login("lead")
    first = client.get("/reports/actions").get_data(as_text=True)
    assert f"Showing 1–{PAGE_SIZE} of {PAGE_SIZE + 1} homes" in first
    assert body_rows(first) == [f"Home {n:03}" for n in range(PAGE_SIZE)]
    assert 'rel="next" href="/reports/actions?sort=name&amp;dir=asc&amp;page=2"' in first
    assert "No plan yet" not in first
    second = client.get("/reports/actions?page=2").get_data(as_text=True)
    assert body_rows(second) == [f"Home {PAGE_SIZE:03}"]


def test_the_page_searches_and_sorts_by_overdue_actions(client, auth, homes):
    auth.login("lead")
    late = client.get("/reports/actions?sort=overdue&dir=desc").get_data(as_text=True)
    assert body_rows(late)[:2] == ["Home 007", "Home 020"]
    row = late.split("<tbody>")[1].split("</tr>")[0]
    assert "<td>Fife</td><td>0</td><td>4</td>" in row and '"status-overdue">3</td>' in row
    assert "1 February 2025" in row
    found = client.get("/reports/actions?q=home 02").get_data(as_text=True)
    assert body_rows(found) == [f"Home {n:03}" for n in range(20, 30)]


def test_the_csv_has_every_home_with_a_plan_and_no_formula(client, auth, make, homes):
    odd = make.home("=HYPERLINK(1)", region="+Fife")
    action(odd, due_on=PAST)
    db.session.commit()
    auth.login("admin")
    response = client.get("/reports/actions.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="actions-2025-02-25.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == PAGE_SIZE + 2
    by_name = {r["home_name"]: r for r in rows}
    assert by_name["Home 007"] == {"home_id": str(homes[7].id), "home_name": "Home 007", "region": "Fife",
                                   "actions_done": "0", "actions_open": "4", "actions_overdue": "3",
                                   "oldest_overdue_due_on": "2025-02-01"}
    assert by_name["'=HYPERLINK(1)"]["region"] == "'+Fife"
    assert by_name["Home 000"]["actions_done"] == "1" and by_name["Home 000"]["oldest_overdue_due_on"] == ""


@pytest.mark.parametrize("url", ["/reports/actions", "/reports/actions.csv"])
def test_a_facilitator_is_refused_as_for_the_dashboard(client, auth, homes, url):
    auth.login("facilitator")
    assert client.get(url).status_code == 403
    auth.login("lead")
    assert client.get(url).status_code == 200
