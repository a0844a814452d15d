"""A home says "We can't make it" through its link (issue 18): the register shows it excused by
the apology until it is withdrawn; no link reaches another home's session."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.invites.tokens import mint_contact_token
from facilitator.models import Apology, AttendanceEntry
from tests.support.factories import Factory, csrf_token
from tests.support.invites import add_session, set_now

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(app, make: Factory):
    set_now(app, NOW)
    a, b = make.home("Ashgrove House"), make.home("Birchwood Lodge")
    group = make.group(homes=[a], joined_on=date(2026, 1, 5))
    other = make.group(homes=[b], joined_on=date(2026, 1, 5))
    session = add_session(group, starts_at=NOW + timedelta(days=2))
    elsewhere = add_session(other, starts_at=NOW + timedelta(days=2))
    tokens = {home.name: mint_contact_token(home.contacts[0]) for home in (a, b)}
    db.session.commit()
    return a, b, session, elsewhere, tokens


def _post(client, url: str, data: dict | None = None):
    html = client.get(url.removesuffix("/withdraw")).get_data(as_text=True)
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(html)})


def _entry(session_id: int, home_id: int) -> AttendanceEntry | None:
    db.session.rollback()
    return db.session.scalar(select(AttendanceEntry).where(
        AttendanceEntry.session_id == session_id, AttendanceEntry.home_id == home_id))


def test_an_apology_excuses_the_home_until_it_is_withdrawn(client, world):
    a, _, session, _, tokens = world
    url = f"/h/{tokens[a.name]}/sessions/{session.id}/apology"
    assert "We can" in client.get(f"/h/{tokens[a.name]}").get_data(as_text=True)
    sent = _post(client, url, {"reason": "outbreak_or_illness", "note": "Outbreak on the ground floor"})
    assert sent.status_code == 303
    assert "sent apologies" in client.get(sent.headers["Location"]).get_data(as_text=True)
    entry = _entry(session.id, a.id)
    assert (entry.status, entry.source) == ("excused", "apology")
    apology = db.session.scalar(select(Apology).where(Apology.session_id == session.id))
    assert (apology.reason, apology.note, apology.contact_id) == (
        "outbreak_or_illness", "Outbreak on the ground floor", a.contacts[0].id)

    assert _post(client, f"{url}/withdraw").status_code == 303
    assert _entry(session.id, a.id) is None
    assert db.session.scalar(select(Apology.withdrawn_at).where(Apology.id == apology.id)) is not None


def test_an_unknown_reason_is_refused_and_nothing_is_saved(client, world):
    a, _, session, _, tokens = world
    answer = _post(client, f"/h/{tokens[a.name]}/sessions/{session.id}/apology", {"reason": "weather"})
    assert answer.status_code == 422
    assert _entry(session.id, a.id) is None


def test_a_home_cannot_apologise_for_a_session_of_a_group_it_is_not_in(client, world):
    a, b, session, elsewhere, tokens = world
    assert client.get(f"/h/{tokens[a.name]}/sessions/{elsewhere.id}/apology").status_code == 404
    assert client.get(f"/h/{tokens[b.name]}/sessions/{session.id}/apology").status_code == 404
    html = client.get(f"/h/{tokens[a.name]}/sessions/{session.id}/apology").get_data(as_text=True)
    answer = client.post(f"/h/{tokens[a.name]}/sessions/{elsewhere.id}/apology",
                         data={"csrf_token": csrf_token(html), "reason": "staffing"})
    assert answer.status_code == 404
    assert _entry(elsewhere.id, b.id) is None and _entry(elsewhere.id, a.id) is None


def test_an_apology_after_the_start_is_refused(app, client, world):
    a, _, session, _, tokens = world
    url = f"/h/{tokens[a.name]}/sessions/{session.id}/apology"
    html = client.get(url).get_data(as_text=True)
    set_now(app, session.starts_at + timedelta(minutes=1))
    answer = client.post(url, data={"csrf_token": csrf_token(html), "reason": "staffing"})
    assert answer.status_code == 422
    assert _entry(session.id, a.id) is None
