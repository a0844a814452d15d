"""Issue 14, item 6: the facilitator's calendar, a week or a month of their sessions in every group
they facilitate, with clashes marked in words and each session linking to its page."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from bench.pages import StatementCounter
from facilitator import providers
from facilitator.booking import services
from facilitator.extensions import db

NOW = "2026-03-02T09:00:00+00:00"  # a Monday
LINK = "https://meet.example.org/psl-group"


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW=NOW)
    with app.app_context():
        yield app


@pytest.fixture
def fiona(make):
    return make.user("facilitator", name="Fiona Facilitator")


@pytest.fixture
def groups(make, fiona):
    return (make.group("Fife Cohort 3", facilitators=[fiona], provider="link"),
            make.group("Tayside Cohort 1", facilitators=[fiona], provider="link"))


def book(user, group, start: datetime, title: str, minutes: int = 90, **changes):
    booking = services.Booking(title, start, minutes, provider="link", join_url=LINK, allow_clash=True,
                               **changes)
    result = services.book_sessions(user, group, booking, providers.hub(), zone="Europe/London",
                                    now=datetime.fromisoformat(NOW))
    db.session.commit()
    return result.sessions[0]


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def entries(page: str) -> list[str]:
    """Each session on the page: its entry's text, tags removed."""
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip()
            for item in re.findall(r'<li class="cal-entry[^"]*">(.*?)</li>', page)]


def test_the_week_shows_my_sessions_in_every_group_linked_with_today_marked(auth, client, make, fiona,
                                                                            groups):
    tuesday = book(fiona, groups[0], datetime(2026, 3, 3, 10, tzinfo=UTC), "Fife PSL")
    book(fiona, groups[1], datetime(2026, 3, 5, 14, tzinfo=UTC), "Tayside PSL")
    book(fiona, groups[1], datetime(2026, 3, 9, 14, tzinfo=UTC), "Next week's PSL")
    other = make.user("facilitator")
    book(other, make.group(facilitators=[other]), datetime(2026, 3, 4, 10, tzinfo=UTC), "Someone else's")
    auth.login(fiona)

    page = text(client.get("/calendar"))

    assert "Week of Monday 2 March 2026" in page
    assert entries(page) == ["10:00–11:30 GMT Fife PSL Fife Cohort 3",
                             "14:00–15:30 GMT Tayside PSL Tayside Cohort 1"]
    assert f'href="/sessions/{tuesday.id}"' in page
    assert re.search(r'<tr class="is-today" aria-current="date"> <th scope="row">Monday 2 March '
                     r'<strong class="tag tag-today">Today</strong>', page)
    assert '<a href="/calendar">Calendar</a>' in page  # in the nav
    assert 'href="/calendar?view=week&amp;date=2026-03-09" rel="next">Next week →' in page
    assert 'href="/calendar?view=week&amp;date=2026-02-23" rel="prev">← Previous week' in page
    later = text(client.get("/calendar?view=week&date=2026-03-09"))
    assert entries(later) == ["14:00–15:30 GMT Next week's PSL Tayside Cohort 1"]
    assert "aria-current=\"date\"" not in later


def test_the_week_the_clocks_go_forward_runs_from_local_midnight_to_local_midnight(auth, client, fiona,
                                                                                   groups):
    book(fiona, groups[0], datetime(2026, 3, 23, 0, 0, tzinfo=UTC), "Monday midnight", minutes=30)
    book(fiona, groups[0], datetime(2026, 3, 29, 22, 30, tzinfo=UTC), "Sunday late", minutes=30)
    book(fiona, groups[0], datetime(2026, 3, 29, 23, 0, tzinfo=UTC), "Monday 00:00 BST", minutes=30)
    auth.login(fiona)

    week = entries(text(client.get("/calendar?date=2026-03-25")))
    assert week == ["00:00–00:30 GMT Monday midnight Fife Cohort 3",
                    "23:30–00:00 BST Sunday late Fife Cohort 3"]
    following = entries(text(client.get("/calendar?date=2026-03-30")))
    assert following == ["00:00–00:30 BST Monday 00:00 BST Fife Cohort 3"]


def test_the_month_shows_whole_weeks_and_moves_by_month(auth, client, fiona, groups):
    for day, title in ((21, "Before the grid"), (22, "First of the grid"), (58, "End of March"),
                       (63, "Sunday 5 April"), (64, "After the grid")):
        start = datetime(2026, 2, 1, 10, tzinfo=UTC) + timedelta(days=day)
        book(fiona, groups[0], start, title, record_only=start < datetime.fromisoformat(NOW))
    auth.login(fiona)

    page = text(client.get("/calendar?view=month&date=2026-03-15"))

    assert "<h2 id=\"calendar-heading\">March 2026</h2>" in page
    assert [e.split(" ", 1)[1] for e in entries(page)] == [
        "First of the grid Fife Cohort 3", "End of March Fife Cohort 3", "Sunday 5 April Fife Cohort 3"]
    assert page.count('class=" is-other-month"') == 11  # 23 to 28 February, 1 to 5 April
    assert 'date=2026-02-15" rel="prev">← Previous month' in page
    assert 'date=2026-04-15" rel="next">Next month →' in page
    assert 'aria-current="page">Month view' in page
    assert "Today" in page


def test_clashes_are_marked_in_words_and_cancelled_sessions_are_no_clash(auth, client, fiona, groups):
    book(fiona, groups[0], datetime(2026, 3, 4, 10, tzinfo=UTC), "Fife PSL")
    book(fiona, groups[1], datetime(2026, 3, 4, 11, tzinfo=UTC), "Tayside PSL")
    cancelled = book(fiona, groups[1], datetime(2026, 3, 5, 10, tzinfo=UTC), "Dropped")
    book(fiona, groups[0], datetime(2026, 3, 5, 10, tzinfo=UTC), "Kept")
    services.cancel_sessions(fiona, cancelled, now=datetime.fromisoformat(NOW))
    book(fiona, groups[0], datetime(2026, 3, 8, 23, tzinfo=UTC), "Sunday night")
    book(fiona, groups[1], datetime(2026, 3, 9, 0, tzinfo=UTC), "Monday, next week")
    db.session.commit()
    auth.login(fiona)

    page = text(client.get("/calendar"))

    assert entries(page) == [
        "10:00–11:30 GMT Fife PSL Fife Cohort 3 Clash Overlaps “Tayside PSL” (Tayside Cohort 1, "
        "4 March 11:00)",
        "11:00–12:30 GMT Tayside PSL Tayside Cohort 1 Clash Overlaps “Fife PSL” (Fife Cohort 3, "
        "4 March 10:00)",
        "10:00–11:30 GMT Dropped Tayside Cohort 1 Cancelled",
        "10:00–11:30 GMT Kept Fife Cohort 3",
        "23:00–00:30 GMT Sunday night Fife Cohort 3 Clash Overlaps “Monday, next week” (Tayside Cohort 1, "
        "9 March 00:00)"]
    assert "3 sessions marked “Clash”" in page


def test_leads_and_admins_choose_whose_calendar_and_facilitators_see_only_their_own(auth, client, make,
                                                                                     fiona, groups):
    book(fiona, groups[0], datetime(2026, 3, 3, 10, tzinfo=UTC), "Fife PSL")
    other = make.user("facilitator", name="Owen Other")
    lead = make.user("lead")
    auth.login(other)
    assert entries(text(client.get("/calendar"))) == []
    assert client.get(f"/calendar?facilitator={fiona.id}").status_code == 403
    assert client.get(f"/calendar?facilitator={other.id}").status_code == 200

    auth.logout()
    auth.login(lead)
    chooser = text(client.get("/calendar"))
    assert "Choose a facilitator to see their sessions." in chooser and entries(chooser) == []
    assert f'<option value="{fiona.id}">Fiona Facilitator</option>' in chooser
    chosen = text(client.get(f"/calendar?facilitator={fiona.id}&view=week&date=2026-03-04"))
    assert entries(chosen) == ["10:00–11:30 GMT Fife PSL Fife Cohort 3"]
    assert f'date=2026-03-11&amp;facilitator={fiona.id}" rel="next"' in chosen
    assert client.get(f"/calendar?facilitator={lead.id}").status_code == 404
    assert client.get("/calendar?facilitator=x").status_code == 404


@pytest.mark.parametrize("query", ["view=year", "date=2026-02-30", "date=tomorrow", "date=0001-01-01"])
def test_a_view_or_date_that_cannot_be_shown_is_a_400(auth, client, fiona, query):
    auth.login(fiona)
    assert client.get(f"/calendar?{query}").status_code == 400


def test_the_calendar_sends_as_many_statements_for_many_sessions_as_for_few(auth, client, make, fiona,
                                                                            groups):
    auth.login(fiona)
    counter = StatementCounter()
    try:
        def count() -> int:
            with counter.counting():
                assert client.get("/calendar?view=month&date=2026-03-15").status_code == 200
            return counter.count

        book(fiona, groups[0], datetime(2026, 3, 3, 10, tzinfo=UTC), "One")
        few = count()
        for n in range(3):
            other = make.user("facilitator")
            group = make.group(facilitators=[fiona, other])
            for day in range(6):
                book(fiona, group, datetime(2026, 3, 4 + 3 * day, 9 + n, tzinfo=UTC), f"Many {n}-{day}")
        many = count()
    finally:
        counter.close()
    assert few == many <= 8
