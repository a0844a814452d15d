"""Helpers for the attendance, webhook, engagement and dashboard tests (no tests here)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import responses
from responses import matchers

from facilitator import providers as booking_providers
from facilitator.extensions import db
from facilitator.models import CareHome, Group, MeetingSession, User
from facilitator.models.attendance import AttendanceEntry
from integrations.providers.zoom import encode_meeting_ref
from tests.support.factories import csrf_token

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "providers"
MEETING_ID = "85746065432"
ZOOM_UUID = "/Wk3nJ+9QkuX//r1hT8yZg=="
START = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # the fixtures' meeting: 15:00–16:00 UTC
AFTER = "2026-03-10T17:00:00+00:00"
WEBHOOK_SECRET = "fixture-webhook-secret-token"
ZOOM_CONFIG = {"ZOOM_ACCOUNT_ID": "FixtureAccountId", "ZOOM_CLIENT_ID": "FixtureClientId",
               "ZOOM_CLIENT_SECRET": "fixture-secret", "ZOOM_HOST_USER": "scheduler-host@example.com"}
GRAPH_ORGANIZER = "5f1c2b7e-3d4a-4e8b-9c0d-1a2b3c4d5e6f"
GRAPH_TENANT = "00000000-0000-0000-0000-000000000000"
GRAPH_CONFIG = {"GRAPH_TENANT_ID": GRAPH_TENANT, "GRAPH_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
                "GRAPH_CLIENT_SECRET": "fixture-secret", "GRAPH_ORGANIZER": GRAPH_ORGANIZER}
ZOOM_TOKEN_URL = "https://zoom.us/oauth/token"
ZOOM_API = "https://api.zoom.us/v2"
INSTANCES_URL = f"{ZOOM_API}/past_meetings/{MEETING_ID}/instances"
GRAPH_TOKEN_URL = f"https://login.microsoftonline.com/{GRAPH_TENANT}/oauth2/v2.0/token"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def session_for(group: Group, starts_at: datetime = START, minutes: int = 60, provider: str = "zoom",
                meeting_id: str | None = MEETING_ID, title: str = "PSL session", status: str = "scheduled",
                ) -> MeetingSession:
    session = MeetingSession(group=group, title=title, starts_at=starts_at,
                             ends_at=starts_at + timedelta(minutes=minutes), timezone="Europe/London",
                             provider=provider,
                             provider_meeting_id=meeting_id if provider != "link" else None,
                             join_url="https://meet.example.org/psl", status=status, sync_state="synced",
                             sync_action="none")
    db.session.add(session)
    db.session.commit()
    return session


def no_waiting() -> None:
    """Provider retries in these tests do not sleep."""
    booking_providers.hub().sleep = lambda seconds: None


def zoom_token(mocked: responses.RequestsMock) -> None:
    mocked.post(ZOOM_TOKEN_URL, json=fixture("zoom_token.json"))


def participants_url(uuid: str = ZOOM_UUID, api: str = "past_meetings") -> str:
    """Participants of one instance: ``api`` "past_meetings", or "report/meetings" for reports."""
    return f"{ZOOM_API}/{api}/{encode_meeting_ref(uuid)}/participants"


PARTICIPANTS_URL = participants_url()


def zoom_instances(mocked: responses.RequestsMock, *instances: tuple[str, datetime]) -> None:
    """``GET /past_meetings/{id}/instances``: the meeting's ended instances (one, by default,
    started by the host two minutes before ``START``)."""
    listed = instances or ((ZOOM_UUID, START - timedelta(minutes=2)),)
    body = {"meetings": [{"uuid": uuid, "start_time": f"{started:%Y-%m-%dT%H:%M:%SZ}"}
                         for uuid, started in listed]}
    mocked.get(INSTANCES_URL, json=body)


def zoom_page(mocked: responses.RequestsMock, participants: list[dict[str, Any]], token: str | None,
              next_token: str | None, status: int = 200, url: str = PARTICIPANTS_URL) -> None:
    params = {"page_size": "300"}
    if token:
        params["next_page_token"] = token
    body: Any = {"page_size": 300, "participants": participants}
    if next_token is not None:
        body["next_page_token"] = next_token
    if status != 200:
        body = {"code": status, "message": "Internal error"}
    mocked.get(url, json=body, status=status, match=[matchers.query_param_matcher(params)])


def zoom_row(name: str, email: str, joined: str, left: str, user_key: str = "", user_id: str = "1") -> dict:
    return {"id": user_key, "name": name, "user_id": user_id, "registrant_id": "", "user_email": email,
            "join_time": f"2026-03-10T{joined}Z", "leave_time": f"2026-03-10T{left}Z", "duration": 0,
            "failover": False, "status": "in_meeting"}


def sign(body: bytes, timestamp: str, secret: str = WEBHOOK_SECRET) -> str:
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def entries(session: MeetingSession) -> dict[int, AttendanceEntry]:
    db.session.expire_all()
    rows = db.session.scalars(db.select(AttendanceEntry).where(AttendanceEntry.session_id == session.id))
    return {e.home_id: e for e in rows}


def form_data(html: str, changes: dict[str, str]) -> dict[str, str]:
    """The register form as the page filled it in, with ``changes``."""
    data = {name: value for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)}
    for name in re.findall(r'<select[^>]*name="([^"]+)"', html):
        block = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', block)
        data[name] = next((g for g in chosen.groups() if g is not None), "") if chosen else ""
    data.pop("target", None)
    data["csrf_token"] = csrf_token(html)
    data.update(changes)
    return data


def group_with_homes(make: Any, *names: str, facilitator: User | None = None,
                     joined_on: date = date(2026, 1, 5)) -> tuple[Group, list[CareHome]]:
    homes = [make.home(name) for name in names]
    group = make.group(facilitators=[facilitator] if facilitator else [], homes=homes, joined_on=joined_on)
    return group, homes
