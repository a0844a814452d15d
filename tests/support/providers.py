"""Zoom and Microsoft Graph as `responses` callbacks that keep state, with payloads shaped like the
recorded fixtures, plus helpers the booking and sync tests share.

Each fake registers only the endpoints a test says it expects (``serve``), under a
``RequestsMock(assert_all_requests_are_fired=True)``: an endpoint that was expected but never
called fails the test, and anything not registered cannot reach the network.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import responses

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "providers"

ZOOM_API = "https://zoom.test/v2"
ZOOM_OAUTH = "https://zoom.test/oauth/token"
ZOOM_HOST = "scheduler-host@example.com"
GRAPH_API = "https://graph.test/v1.0"
GRAPH_LOGIN = "https://login.graph.test"
TENANT = "00000000-0000-0000-0000-000000000000"
ORGANIZER = "5f1c2b7e-3d4a-4e8b-9c0d-1a2b3c4d5e6f"
ZOOM_FIRST_ID = 85746065432  # 11 digits: more than 32 bits

ZOOM_CONFIG = {
    "ZOOM_ACCOUNT_ID": "FixtureAccountId",
    "ZOOM_CLIENT_ID": "FixtureClientId",
    "ZOOM_CLIENT_SECRET": "fixture-secret",
    "ZOOM_HOST_USER": ZOOM_HOST,
    "ZOOM_API_BASE": ZOOM_API,
    "ZOOM_OAUTH_URL": ZOOM_OAUTH,
}
TEAMS_CONFIG = {
    "GRAPH_TENANT_ID": TENANT,
    "GRAPH_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
    "GRAPH_CLIENT_SECRET": "fixture-graph-secret",
    "GRAPH_ORGANIZER": ORGANIZER,
    "GRAPH_API_BASE": GRAPH_API,
    "GRAPH_LOGIN_BASE": GRAPH_LOGIN,
}
PROVIDER_CONFIG = {**ZOOM_CONFIG, **TEAMS_CONFIG}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def soon(days: int = 7, hour: int = 10) -> datetime:
    """A day ahead of the real clock at a round hour, UTC (provider tests use real time)."""
    day = datetime.now(UTC).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Sleeps:
    """Stands in for time.sleep: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass
class Failure:
    """What the provider does instead of (or after) answering normally."""

    kind: str  # "status", "timeout_after" (acted, then no answer), "timeout_before" (never arrived)
    status: int = 0
    body: Any = None
    headers: dict[str, str] | None = None

    def response(self) -> tuple[int, dict[str, str], str]:
        return self.status, dict(self.headers or {}), json.dumps(self.body or {})


def status(code: int, body: Any = None, headers: dict[str, str] | None = None) -> Failure:
    return Failure("status", code, body, headers)


def timeout_after() -> Failure:
    return Failure("timeout_after")


def timeout_before() -> Failure:
    return Failure("timeout_before")


class _Fake:
    def __init__(self, mocked: responses.RequestsMock) -> None:
        self.mocked = mocked
        self.failures: dict[str, list[Failure]] = defaultdict(list)
        self.calls: list[tuple[str, requests.PreparedRequest]] = []
        self.lock = threading.RLock()  # two sync workers may call at once

    def fail(self, kind: str, *failures: Failure) -> None:
        """The next calls of ``kind`` fail like this, one failure per call, in order."""
        self.failures[kind].extend(failures)

    def count(self, kind: str) -> int:
        return sum(1 for k, _ in self.calls if k == kind)

    def requests(self, kind: str) -> list[requests.PreparedRequest]:
        return [r for k, r in self.calls if k == kind]

    def _begin(self, kind: str, request: requests.PreparedRequest) -> Failure | None:
        with self.lock:
            self.calls.append((kind, request))
            failure = self.failures[kind].pop(0) if self.failures[kind] else None
        if failure is not None and failure.kind == "timeout_before":
            raise requests.ConnectTimeout("connect timed out (test)")
        return failure

    @staticmethod
    def _finish(failure: Failure | None, answer: tuple[int, dict[str, str], str]) -> Any:
        if failure is None:
            return answer
        if failure.kind == "timeout_after":
            return requests.ReadTimeout("read timed out after the provider acted (test)")
        return failure.response()


class FakeZoom(_Fake):
    """Zoom's token endpoint and meetings API for one account."""

    def __init__(self, mocked: responses.RequestsMock) -> None:
        super().__init__(mocked)
        self.meetings: dict[str, dict[str, Any]] = {}
        self.next_id = ZOOM_FIRST_ID
        self.tokens_issued: list[str] = []
        self.participants: list[dict[str, Any]] = []  # what every past instance's list shows

    def serve(self, *kinds: str) -> FakeZoom:
        routes = {
            "token": ("POST", ZOOM_OAUTH, self._token),
            "create": ("POST", re.compile(rf"{re.escape(ZOOM_API)}/users/[^/?]+/meetings$"), self._create),
            "list": ("GET", re.compile(rf"{re.escape(ZOOM_API)}/users/[^/?]+/meetings\?.*"), self._list),
            "get": ("GET", re.compile(rf"{re.escape(ZOOM_API)}/meetings/\d+$"), self._get),
            "update": ("PATCH", re.compile(rf"{re.escape(ZOOM_API)}/meetings/\d+$"), self._update),
            "delete": ("DELETE", re.compile(rf"{re.escape(ZOOM_API)}/meetings/\d+(\?.*)?$"), self._delete),
            "instances": ("GET", re.compile(rf"{re.escape(ZOOM_API)}/past_meetings/\d+/instances$"),
                          self._instances),
            "participants": ("GET", re.compile(rf"{re.escape(ZOOM_API)}/past_meetings/[^/]+/participants\?"),
                             self._participants),
        }
        for kind in kinds:
            method, url, callback = routes[kind]
            self.mocked.add_callback(method, url, callback=callback)
        return self

    def _token(self, request: requests.PreparedRequest) -> Any:
        failure = self._begin("token", request)
        body = fixture("zoom_token.json")
        body["access_token"] = f"zoom-token-{len(self.tokens_issued) + 1}"
        self.tokens_issued.append(body["access_token"])
        return self._finish(failure, (200, {}, json.dumps(body)))

    def _create(self, request: requests.PreparedRequest) -> Any:
        failure = self._begin("create", request)
        if failure is not None and failure.kind == "status":
            return failure.response()
        sent = json.loads(request.body)
        meeting = copy.deepcopy(fixture("zoom_create_meeting_response.json"))
        with self.lock:
            meeting_id = self.next_id
            self.next_id += 1
        host = unquote(urlsplit(request.url).path.split("/")[-2])
        meeting.update(id=meeting_id, topic=sent["topic"], start_time=sent["start_time"],
                       duration=sent["duration"], timezone=sent["timezone"], agenda=sent["agenda"],
                       host_email=host, join_url=f"https://zoom.us/j/{meeting_id}?pwd=Fixture{meeting_id}.1",
                       start_url=f"https://zoom.us/s/{meeting_id}?zak=fixture-zak-not-real")
        meeting["settings"].update(sent.get("settings", {}))
        self.meetings[str(meeting_id)] = meeting
        return self._finish(failure, (201, {}, json.dumps(meeting)))

    def _list(self, request: requests.PreparedRequest) -> Any:
        failure = self._begin("list", request)
        query = parse_qs(urlsplit(request.url).query)
        assert query.get("type") == ["upcoming"], query
        # As Zoom documents it: "The length of agenda gets truncated to 250 characters when you
        # list all meetings for a user."
        items = [{**{key: m[key] for key in ("uuid", "id", "host_id", "topic", "type", "start_time",
                                             "duration", "timezone", "created_at", "join_url")},
                  "agenda": m["agenda"][:250]}
                 for m in self.meetings.values()]
        body = {"page_size": 300, "total_records": len(items), "next_page_token": "", "meetings": items}
        return self._finish(failure, (200, {}, json.dumps(body)))

    def _get(self, request: requests.PreparedRequest) -> Any:
        failure = self._begin("get", request)
        meeting = self.meetings.get(self._id(request))
        if meeting is None:
            return self._finish(failure, (404, {}, json.dumps(fixture("zoom_meeting_not_found.json"))))
        return self._finish(failure, (200, {}, json.dumps(meeting)))

    def _update(self, request: requests.PreparedRequest) -> Any:
        failure = self._begin("update", request)
        if failure is not None and failure.kind == "status":
            return failure.response()
        meeting = self.meetings.get(self._id(request))
        if meeting is None:
            return self._finish(failure, (404, {}, json.dumps(fixture("zoom_meeting_not_found.json"))))
        sent = json.loads(request.body)
        meeting.update({k: sent[k] for k in ("topic", "start_time", "duration", "agenda") if k in sent})
        return self._finish(failure, (204, {}, ""))

    def _delete(self, request: requests.PreparedRequest) -> Any:
        failure = self._begin("delete", request)
        if failure is not None and failure.kind == "status":
            return failure.response()
        if self.meetings.pop(self._id(request), None) is None:
            return self._finish(failure, (404, {}, json.dumps(fixture("zoom_meeting_not_found.json"))))
        return self._finish(failure, (204, {}, ""))

    def _instances(self, request: requests.PreparedRequest) -> Any:
        """Each meeting was held once, at its scheduled start."""
        failure = self._begin("instances", request)
        meeting = self.meetings.get(urlsplit(request.url).path.split("/")[-2])
        if meeting is None:
            return self._finish(failure, (404, {}, json.dumps(fixture("zoom_meeting_not_found.json"))))
        body = {"meetings": [{"uuid": meeting["uuid"], "start_time": meeting["start_time"]}]}
        return self._finish(failure, (200, {}, json.dumps(body)))

    def _participants(self, request: requests.PreparedRequest) -> Any:
        failure = self._begin("participants", request)
        body = {"page_size": 300, "total_records": len(self.participants), "next_page_token": "",
                "participants": self.participants}
        return self._finish(failure, (200, {}, json.dumps(body)))

    @staticmethod
    def _id(request: requests.PreparedRequest) -> str:
        return urlsplit(request.url).path.rsplit("/", 1)[-1]


class FakeGraph(_Fake):
    """Microsoft's token endpoint and Graph's onlineMeetings for one organizer."""

    def __init__(self, mocked: responses.RequestsMock) -> None:
        super().__init__(mocked)
        self.meetings: dict[str, dict[str, Any]] = {}  # by Graph id
        self.by_external_id: dict[str, str] = {}

    def serve(self, *kinds: str) -> FakeGraph:
        meetings = rf"{re.escape(GRAPH_API)}/users/{ORGANIZER}/onlineMeetings"
        routes = {
            "token": ("POST", f"{GRAPH_LOGIN}/{TENANT}/oauth2/v2.0/token", self._token),
            "create": ("POST", f"{GRAPH_API}/users/{ORGANIZER}/onlineMeetings/createOrGet", self._create),
            "update": ("PATCH", re.compile(rf"{meetings}/(?!createOrGet)[^/?]+$"), self._update),
            "delete": ("DELETE", re.compile(rf"{meetings}/(?!createOrGet)[^/?]+$"), self._delete),
        }
        for kind in kinds:
            method, url, callback = routes[kind]
            self.mocked.add_callback(method, url, callback=callback)
        return self

    def _token(self, request: requests.PreparedRequest) -> Any:
        failure = self._begin("token", request)
        return self._finish(failure, (200, {}, json.dumps(fixture("graph_token.json"))))

    def _create(self, request: requests.PreparedRequest) -> Any:
        failure = self._begin("create", request)
        if failure is not None and failure.kind == "status":
            return failure.response()
        sent = json.loads(request.body)
        existing = self.by_external_id.get(sent["externalId"])
        if existing is not None:
            return self._finish(failure, (200, {}, json.dumps(self.meetings[existing])))
        meeting = copy.deepcopy(fixture("graph_online_meeting.json"))
        graph_id = f"{meeting['id']}{len(self.meetings) + 1:04d}"
        meeting.update(id=graph_id, externalId=sent["externalId"], subject=sent["subject"],
                       startDateTime=sent["startDateTime"], endDateTime=sent["endDateTime"])
        self.meetings[graph_id] = meeting
        self.by_external_id[sent["externalId"]] = graph_id
        return self._finish(failure, (201, {}, json.dumps(meeting)))

    def _update(self, request: requests.PreparedRequest) -> Any:
        failure = self._begin("update", request)
        if failure is not None and failure.kind == "status":
            return failure.response()
        meeting = self.meetings.get(self._id(request))
        if meeting is None:
            return self._finish(failure, (404, {}, json.dumps({"error": {"code": "NotFound",
                                                                        "message": "Not found"}})))
        meeting.update(json.loads(request.body))
        return self._finish(failure, (200, {}, json.dumps(meeting)))

    def _delete(self, request: requests.PreparedRequest) -> Any:
        failure = self._begin("delete", request)
        if failure is not None and failure.kind == "status":
            return failure.response()
        meeting = self.meetings.pop(self._id(request), None)
        if meeting is not None:
            self.by_external_id.pop(meeting["externalId"], None)
        return self._finish(failure, (204, {}, ""))

    @staticmethod
    def _id(request: requests.PreparedRequest) -> str:
        return unquote(urlsplit(request.url).path.rsplit("/", 1)[-1])
