"""POST /webhooks/zoom: the signature over the raw body, stale and replayed deliveries, live
participants, meeting.ended queueing the import, and no 500 whatever arrives."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest

from facilitator.attendance import worker
from facilitator.extensions import db
from facilitator.models.attendance import AttendanceImport, LiveInterval, ZoomWebhookEvent
from tests.support.attendance import (
    MEETING_ID,
    START,
    WEBHOOK_SECRET,
    ZOOM_UUID,
    entries,
    fixture_bytes,
    session_for,
    sign,
)

JOINED = fixture_bytes("zoom_webhook_participant_joined.json")
JOINED_TS = "1773154951"  # providers.md §6 test vector
JOINED_SIGNATURE = "v0=68c1cb21c045f791ab9e0b35b706cb13d89922840d5169491a7c82bb37776b8e"
VALIDATION = fixture_bytes("zoom_webhook_url_validation.json")
VALIDATION_TS = "1773154800"
VALIDATION_SIGNATURE = "v0=717d359c16b59446cab530374cfc4b41209611fc3b1a57329b37de62acfc11ab"
ENCRYPTED_TOKEN = "51d23ff316792510cdd1c49a58634dc9789dc91cddd3a6c2df67e50e2c168461"
NOW = "2026-03-10T15:02:40+00:00"


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW=NOW, ZOOM_WEBHOOK_SECRET=WEBHOOK_SECRET, RATELIMIT_ENABLED=False)
    with app.app_context():
        yield app


@pytest.fixture
def session(app, make):
    home = make.home("Ardenlea House")
    group = make.group(homes=[home])
    return session_for(group)


def deliver(app, body: bytes, timestamp: str = JOINED_TS, signature: str | None = None,
            headers: dict[str, str] | None = None) -> Any:
    db.session.commit()
    sent = {"x-zm-request-timestamp": timestamp,
            "x-zm-signature": signature if signature is not None else sign(body, timestamp),
            "Content-Type": "application/json", **(headers or {})}
    return app.test_client().post("/webhooks/zoom", data=body, headers=sent)


def stored() -> tuple[int, int]:
    db.session.expire_all()
    events = db.session.scalar(db.select(db.func.count()).select_from(ZoomWebhookEvent))
    intervals = db.session.scalar(db.select(db.func.count()).select_from(LiveInterval))
    return events, intervals


def event(name: str, participant: dict[str, Any] | None = None, event_ts: int = 1773154951123,
          meeting_id: Any = MEETING_ID, **object_fields: Any) -> bytes:
    obj: dict[str, Any] = {"id": meeting_id, "uuid": ZOOM_UUID, "start_time": "2026-03-10T14:58:02Z",
                           **object_fields}
    if participant is not None:
        obj["participant"] = participant
    return json.dumps({"event": name, "event_ts": event_ts,
                       "payload": {"account_id": "FixtureAccountId", "object": obj}}).encode()


def test_the_documented_signature_is_accepted_and_the_join_recorded(app, session):
    assert sign(JOINED, JOINED_TS) == JOINED_SIGNATURE
    started = time.monotonic()
    response = deliver(app, JOINED, signature=JOINED_SIGNATURE)
    assert time.monotonic() - started < 3
    assert response.status_code == 200 and response.json == {"status": "recorded"}
    assert stored() == (1, 1)
    interval = db.session.scalar(db.select(LiveInterval))
    assert (interval.session_id, interval.name, interval.email) == (session.id, "Dana Attendee",
                                                                    "dana.attendee@example.org")
    assert interval.left_at is None


def test_a_replayed_body_is_stored_once(app, session):
    assert deliver(app, JOINED, signature=JOINED_SIGNATURE).status_code == 200
    # Zoom's retry: the same body, a new timestamp and signature.
    retry = deliver(app, JOINED, timestamp=str(int(JOINED_TS) + 60))
    assert retry.status_code == 200 and retry.json == {"status": "duplicate"}
    assert stored() == (1, 1)


@pytest.mark.parametrize(("timestamp", "signature"), [
    (JOINED_TS, "v0=" + "0" * 64),  # wrong
    (JOINED_TS, JOINED_SIGNATURE.upper().replace("V0=", "v1=")),  # another scheme
    (JOINED_TS, ""),  # missing
    (JOINED_TS, "v0=68c1cb21"),  # truncated
    (JOINED_TS, JOINED_SIGNATURE + "00"),
    ("", JOINED_SIGNATURE),  # no timestamp
    ("1773154951.0", JOINED_SIGNATURE),
    ("-1773154951", JOINED_SIGNATURE),
    ("1773154951123", JOINED_SIGNATURE),  # milliseconds: 50,000 years off
    ("１７７３１５４９５１", JOINED_SIGNATURE),  # full-width digits
    (str(int(JOINED_TS) + 1), JOINED_SIGNATURE),  # signed over another timestamp
])
def test_a_bad_signature_or_timestamp_is_401_and_nothing_is_stored(app, session, timestamp, signature):
    response = deliver(app, JOINED, timestamp=timestamp, signature=signature)
    assert response.status_code == 401
    assert response.is_json and response.json["error"]["message"]
    assert stored() == (0, 0)


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_a_stale_or_future_timestamp_is_401_even_when_signed(app, session, offset):
    timestamp = str(int(JOINED_TS) + 9 + offset)  # NOW is 9 s after the fixture's timestamp
    response = deliver(app, JOINED, timestamp=timestamp)
    assert response.status_code == 401 and "too far" in response.json["error"]["message"]
    assert stored() == (0, 0)


def test_the_raw_bytes_are_signed_not_re_serialised_json(app, session):
    reserialised = json.dumps(json.loads(JOINED)).encode()  # Python adds spaces
    assert reserialised != JOINED
    assert deliver(app, reserialised, signature=JOINED_SIGNATURE).status_code == 401
    assert stored() == (0, 0)


def test_url_validation_answers_the_challenge(make_app):
    app = make_app(FROZEN_NOW="2026-03-10T15:00:05+00:00", ZOOM_WEBHOOK_SECRET=WEBHOOK_SECRET)
    with app.app_context():
        response = deliver(app, VALIDATION, timestamp=VALIDATION_TS, signature=VALIDATION_SIGNATURE)
        assert response.status_code == 200
        assert response.json == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": ENCRYPTED_TOKEN}


def test_joined_then_left_then_ended_queues_the_import(app, session):
    participant = {"user_id": "16779264", "user_name": "Ardenlea House iPad", "id": "Yb6H",
                   "participant_uuid": "9F2C", "email": "dana.attendee@example.org",
                   "join_time": "2026-03-10T15:02:31Z"}
    assert deliver(app, event("meeting.participant_joined", participant)).json["status"] == "recorded"
    left = {**participant, "leave_time": "2026-03-10T15:40:00Z", "leave_reason": "left the meeting"}
    body = event("meeting.participant_left", left, event_ts=1773157200000, meeting_id=int(MEETING_ID))
    assert deliver(app, body).json["status"] == "recorded"  # the id as a number: the same meeting
    interval = db.session.scalar(db.select(LiveInterval))
    assert interval.left_at == START + timedelta(minutes=40)
    ended = event("meeting.ended", event_ts=1773158400000, end_time="2026-03-10T16:00:00Z")
    assert deliver(app, ended).json["status"] == "recorded"
    job = db.session.scalar(db.select(AttendanceImport))
    assert (job.session_id, job.state, job.instance_uuid) == (session.id, "queued", ZOOM_UUID)
    assert stored() == (3, 1)
    # Zoom is not connected here: the worker builds the register from what the webhooks saw.
    report = worker.import_due(now=START + timedelta(hours=2))
    assert report.done == 1
    [entry] = entries(session).values()
    assert (entry.status, entry.minutes_attended, entry.source) == ("present", 37, "zoom")


def test_a_leave_without_its_join_is_kept(app, session):
    left = {"user_id": "77", "user_name": "Kelvin iPad", "join_time": "2026-03-10T15:10:00Z",
            "leave_time": "2026-03-10T15:30:00Z"}
    assert deliver(app, event("meeting.participant_left", left)).json["status"] == "recorded"
    interval = db.session.scalar(db.select(LiveInterval))
    assert interval.joined_at == START + timedelta(minutes=10)
    assert interval.left_at == START + timedelta(minutes=30)


@pytest.mark.parametrize("body", [
    event("meeting.participant_joined", {"user_id": "1"}, meeting_id="99999999999"),  # not our meeting
    event("meeting.participant_joined", {"user_id": "1"}, meeting_id="not-a-number"),
    event("meeting.participant_joined", {"user_id": "1"}, meeting_id=None),
    event("meeting.started"),  # an event we do not use
    event("recording.completed"),
    # Our meeting id, but long after this session (a recurring meeting's other day).
    event("meeting.participant_joined", {"user_id": "1", "join_time": "2026-04-10T15:00:00Z"}),
])
def test_unknown_meetings_and_events_are_acknowledged_and_ignored(app, session, body):
    response = deliver(app, body)
    assert response.status_code == 200 and response.json == {"status": "ignored"}
    assert stored() == (0, 0)


@pytest.mark.parametrize(("body", "status"), [
    (b"", 400),
    (b"not json", 400),
    (b"\xff\xfe", 400),
    (b"[]", 400),
    (b'{"event": 5}', 400),
    (b'{"payload": {}}', 400),
    (b'{"event": "endpoint.url_validation"}', 400),
    (b'{"event": "endpoint.url_validation", "payload": {"plainToken": 5}}', 400),
    (b'{"event": "endpoint.url_validation", "payload": []}', 400),
    (b'{"event": "meeting.participant_joined"}', 200),
    (b'{"event": "meeting.participant_joined", "payload": []}', 200),
    (b'{"event": "meeting.participant_joined", "payload": {"object": {"id": {"x": 1}}}}', 200),
    (b'{"event": "meeting.participant_joined", "payload": {"object": {"id": true}}}', 200),
    (b'{"event": "meeting.ended", "payload": {"object": {"id": 85746065432, "participant": []}}}', 200),
    (b'{"event": "meeting.participant_joined", "event_ts": 1e400, "payload": {}}', 400),  # infinity
    (b'{"event": "meeting.participant_joined", "event_ts": NaN, "payload": {}}', 400),
    (b'{"event": "meeting.participant_joined", "event_ts": 1.5, "payload": {"object": {"id": "85746065432",'
     b' "participant": {"user_id": [1], "user_name": {"a": 1}, "join_time": "yesterday"}}}}', 200),
    (b'{"event": "meeting.participant_joined", "event_ts": 99999999999999999999999, "payload": {"object": '
     b'{"id": "85746065432", "uuid": 7, "participant": {"user_id": "' + b"9" * 500 + b'", "email": "'
     + b"e" * 400 + b'", "join_time": "2026-03-10T15:05:00Z"}}}}', 200),
])
def test_malformed_but_signed_bodies_never_answer_500(app, session, body, status):
    response = deliver(app, body)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json


def test_without_a_secret_the_webhook_is_off(make_app):
    app = make_app(FROZEN_NOW=NOW)
    with app.app_context():
        assert deliver(app, JOINED, signature=JOINED_SIGNATURE).status_code == 404


def test_a_body_too_large_is_refused(app, session):
    body = b'{"event": "x", "pad": "' + b"a" * 70_000 + b'"}'
    assert deliver(app, body).status_code == 413
    assert stored() == (0, 0)


def test_the_webhook_needs_no_csrf_token_or_sign_in(make_app):
    app = make_app(FROZEN_NOW=NOW, ZOOM_WEBHOOK_SECRET=WEBHOOK_SECRET, WTF_CSRF_ENABLED=True)
    with app.app_context():
        response = deliver(app, JOINED, signature=JOINED_SIGNATURE)
        assert response.status_code == 200 and response.json == {"status": "ignored"}
