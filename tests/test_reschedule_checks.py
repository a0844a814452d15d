"""Rescheduling runs booking's checks (issue 14, items 1–3 applied to a change of time): a clash
is refused until "Save anyway" (``allow_clash`` in the API), a date that has passed needs "Record a
past session" (``record_only``), and a Scottish bank holiday is warned about."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from facilitator import providers
from facilitator.booking import services
from facilitator.extensions import db
from facilitator.models import MeetingSession

NOW = "2026-03-02T09:00:00+00:00"
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
    return (make.group("Fife Cohort 3", facilitators=[fiona], homes=[make.home()], provider="link"),
            make.group("Tayside Cohort 1", facilitators=[fiona], homes=[make.home()], provider="link"))


def book(user, group, start: datetime, title: str = "PSL session", **changes) -> MeetingSession:
    booking = services.Booking(title, start, 90, provider="link", join_url=LINK, **changes)
    result = services.book_sessions(user, group, booking, providers.hub(), zone="Europe/London",
                                    now=datetime.fromisoformat(NOW))
    db.session.commit()
    return result.sessions[0]


def fresh(session: MeetingSession) -> MeetingSession:
    db.session.rollback()
    return db.session.get(MeetingSession, session.id)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def move_form(session: MeetingSession, **changes) -> dict[str, str]:
    values = {"title": session.title, "date": "2026-03-16", "start_time": "10:30", "duration_minutes": "90",
              "scope": "this", "version": str(session.version), "save": "Save"}
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


# The form -------------------------------------------------------------------------------------------

def test_a_reschedule_into_a_clash_lists_it_and_needs_save_anyway(auth, fiona, groups):
    book(fiona, groups[0], datetime(2026, 3, 16, 10, tzinfo=UTC), "Fife PSL")
    tayside = book(fiona, groups[1], datetime(2026, 3, 17, 10, tzinfo=UTC), "Tayside PSL")
    auth.login(fiona)

    refused = auth.post(f"/sessions/{tayside.id}/reschedule", move_form(tayside))

    assert refused.status_code == 409
    page = text(refused)
    assert ("Fiona Facilitator is already booked for “Fife PSL” (Fife Cohort 3) on Monday 16 March 2026, "
            "10:00–11:30 GMT.") in page
    assert "Tick “Save anyway” (allow_clash in the API)" in page
    assert '<input id="allow_clash" name="allow_clash" type="checkbox" value="y"> Save anyway' in page
    assert fresh(tayside).starts_at == datetime(2026, 3, 17, 10, tzinfo=UTC)

    saved = auth.post(f"/sessions/{tayside.id}/reschedule", move_form(tayside, allow_clash="y"))
    assert saved.status_code == 302
    assert fresh(tayside).starts_at == datetime(2026, 3, 16, 10, 30, tzinfo=UTC)


def test_a_session_moved_over_its_own_old_time_is_no_clash(auth, fiona, groups):
    session = book(fiona, groups[0], datetime(2026, 3, 16, 10, tzinfo=UTC))
    auth.login(fiona)
    assert auth.post(f"/sessions/{session.id}/reschedule", move_form(session)).status_code == 302


def test_checking_the_new_time_warns_of_a_bank_holiday_and_saving_says_it_again(auth, client, fiona, groups):
    session = book(fiona, groups[0], datetime(2026, 3, 16, 10, tzinfo=UTC))
    auth.login(fiona)

    checked = auth.post(f"/sessions/{session.id}/reschedule",
                        move_form(session, date="2026-05-04", save=None, preview="Check the new time"))

    assert checked.status_code == 200
    page = text(checked)
    assert "1 session moves" in page
    assert "Monday 4 May 2026 is a bank holiday in Scotland (May Day)." in page
    assert fresh(session).starts_at == datetime(2026, 3, 16, 10, tzinfo=UTC)  # only checked

    saved = auth.post(f"/sessions/{session.id}/reschedule", move_form(session, date="2026-05-04"))
    assert saved.status_code == 302
    shown = text(client.get(f"/sessions/{session.id}"))
    assert "Monday 4 May 2026 is a bank holiday in Scotland (May Day)." in shown


def test_a_reschedule_into_the_past_needs_record_a_past_session(auth, fiona, groups):
    session = book(fiona, groups[0], datetime(2026, 3, 16, 10, tzinfo=UTC))
    auth.login(fiona)

    refused = auth.post(f"/sessions/{session.id}/reschedule", move_form(session, date="2026-02-23"))

    assert refused.status_code == 422
    assert re.search(r'<p class="field-error" id="date-error">This date has passed\. To keep a record',
                     text(refused))
    recorded = auth.post(f"/sessions/{session.id}/reschedule",
                         move_form(session, date="2026-02-23", record_only="y"))
    assert recorded.status_code == 302
    assert fresh(session).starts_at == datetime(2026, 2, 23, 10, 30, tzinfo=UTC)


def test_moving_a_series_on_checks_every_later_session_for_clashes(auth, fiona, groups):
    series = services.Booking("Weekly", datetime(2026, 3, 9, 10, tzinfo=UTC), 90, provider="link",
                              join_url=LINK, every="week", count=3)
    first = services.book_sessions(fiona, groups[0], series, providers.hub(), zone="Europe/London",
                                   now=datetime.fromisoformat(NOW)).sessions[0]
    db.session.commit()
    book(fiona, groups[1], datetime(2026, 3, 24, 9, 30, tzinfo=UTC), "Tayside PSL")  # 09:30 GMT
    auth.login(fiona)

    refused = auth.post(f"/sessions/{first.id}/reschedule",
                        move_form(first, date="2026-03-10", start_time="10:00", scope="following"))

    assert refused.status_code == 409
    assert "already booked for “Tayside PSL” (Tayside Cohort 1) on Tuesday 24 March 2026" in text(refused)


# The API --------------------------------------------------------------------------------------------

def test_the_api_answers_409_naming_the_clash_unless_allow_clash(api, fiona, groups):
    book(fiona, groups[0], datetime(2026, 3, 16, 10, tzinfo=UTC), "Fife PSL")
    tayside = book(fiona, groups[1], datetime(2026, 3, 17, 10, tzinfo=UTC), "Tayside PSL")
    api.as_user(fiona)

    refused = api.patch(f"/api/v1/sessions/{tayside.id}", json={"starts_at": "2026-03-16T11:00:00Z"})

    assert refused.status_code == 409
    assert "already booked for “Fife PSL” (Fife Cohort 3)" in refused.json["error"]["fields"]["starts_at"]
    assert fresh(tayside).starts_at == datetime(2026, 3, 17, 10, tzinfo=UTC)
    allowed = api.patch(f"/api/v1/sessions/{tayside.id}",
                        json={"starts_at": "2026-03-16T11:00:00Z", "allow_clash": True})
    assert allowed.status_code == 200 and allowed.json["starts_at"] == "2026-03-16T11:00:00Z"


def test_the_api_needs_record_only_for_a_start_that_has_passed(api, fiona, groups):
    session = book(fiona, groups[0], datetime(2026, 3, 16, 10, tzinfo=UTC))
    api.as_user(fiona)

    refused = api.patch(f"/api/v1/sessions/{session.id}", json={"starts_at": "2026-02-23T10:00:00Z"})
    assert refused.status_code == 422
    assert "This date has passed" in refused.json["error"]["fields"]["starts_at"]
    future = api.patch(f"/api/v1/sessions/{session.id}", json={"starts_at": "2026-03-23T10:00:00Z",
                                                               "record_only": True})
    assert future.status_code == 422 and "record_only" in future.json["error"]["fields"]

    recorded = api.patch(f"/api/v1/sessions/{session.id}",
                         json={"starts_at": "2026-02-23T10:00:00Z", "record_only": True})
    assert recorded.status_code == 200 and recorded.json["starts_at"] == "2026-02-23T10:00:00Z"


def test_a_change_that_keeps_the_time_is_not_checked_for_clashes(api, fiona, groups):
    book(fiona, groups[0], datetime(2026, 3, 16, 10, tzinfo=UTC), "Fife PSL")
    clashing = book(fiona, groups[1], datetime(2026, 3, 16, 10, tzinfo=UTC), "Tayside PSL", allow_clash=True)
    api.as_user(fiona)
    renamed = api.patch(f"/api/v1/sessions/{clashing.id}", json={"title": "Tayside PSL, renamed"})
    assert renamed.status_code == 200
    longer = api.patch(f"/api/v1/sessions/{clashing.id}", json={"duration_minutes": 120})
    assert longer.status_code == 409  # a longer session is a new overlap, checked again
