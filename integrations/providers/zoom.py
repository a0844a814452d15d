"""Zoom meetings through a Server-to-Server OAuth app.

Zoom create has no idempotency key, so every meeting's agenda starts with a marker carrying our
uid; :meth:`ZoomProvider.find_existing` uses it to adopt a meeting an ambiguous create made.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from integrations.http import (
    AuthError,
    JsonHttpClient,
    NotFound,
    ProviderError,
    RateLimited,
    Rejected,
    parse_timestamp,
)
from integrations.providers.base import (
    AttendanceInterval,
    MeetingProvider,
    MeetingRequest,
    Participant,
    PastInstance,
    ProviderMeeting,
)
from integrations.tokens import BearerClient, CachedToken, MemoryTokenStore, TokenStore, token_key

ZOOM_API_BASE = "https://api.zoom.us/v2"
ZOOM_OAUTH_URL = "https://zoom.us/oauth/token"
SCHEDULED_MEETING = 2
AGENDA_LIMIT = 1900  # Zoom documents 2,000 characters; keep Cal.com's margin.
TOPIC_LIMIT = 200
LIST_AGENDA_LIMIT = 250  # the host's meeting list cuts each agenda to this many characters
PAGE_SIZE = 300  # the maximum Zoom allows
MEETING_NOT_FOUND = 3001
WAITING_ROOM = "in_waiting_room"  # a participant row's status while Zoom holds them back
# Create and update answer HTTP 300 for a validation error, or with this when the host's daily
# cap is reached (Zoom documents no separate code for it, so the text is all there is).
DAILY_CAP_300 = re.compile(r"maximum of \d+ meetings can be created/updated for a single user in one day",
                           re.IGNORECASE)


@dataclass(frozen=True)
class ZoomSettings:
    account_id: str
    client_id: str
    client_secret: str = field(repr=False)
    host_user: str  # Zoom user id or email that owns the meetings
    api_base: str = ZOOM_API_BASE
    oauth_url: str = ZOOM_OAUTH_URL
    waiting_room: bool = True
    join_before_host: bool = False

    def __post_init__(self) -> None:
        _check_host(self.host_user)
        object.__setattr__(self, "api_base", self.api_base.rstrip("/"))


def agenda_marker(uid: str) -> str:
    return f"[facilitator:{uid}]"


def agenda_with_marker(agenda: str, uid: str) -> str:
    """The marker, then the agenda shortened if needed to fit Zoom's limit. The marker comes
    first because the host's meeting list cuts agendas to ``LIST_AGENDA_LIMIT`` characters."""
    marker = agenda_marker(uid)
    room = AGENDA_LIMIT - len(marker) - 2
    text = agenda.strip()
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return f"{marker}\n\n{text}" if text else marker


def encode_meeting_ref(ref: str) -> str:
    """Path segment for a meeting id or instance UUID.

    Zoom requires UUIDs that start with "/" or contain "//" to be encoded twice.
    """
    once = quote(ref, safe="")
    return quote(once, safe="") if ref.startswith("/") or "//" in ref else once


class ZoomProvider(MeetingProvider):
    name = "zoom"
    label = "Zoom"
    required_keys = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "ZOOM_HOST_USER")
    imports_attendance = True
    # Zoom allows about 100 meeting creates and updates per host user per UTC day.
    daily_limit_key = "ZOOM_DAILY_LIMIT_PER_HOST"
    default_host_key = "ZOOM_HOST_USER"
    host_user_attribute = "zoom_host_user"
    join_target = "Zoom"
    test_meeting_url = "https://zoom.us/test"  # Zoom's own test meeting: sound, microphone, camera
    join_hint = ("Zoom opens in its app if it is installed, otherwise in the browser. If asked, allow "
                 "the camera and microphone.")

    def __init__(
        self,
        settings: ZoomSettings,
        *,
        http: JsonHttpClient | None = None,
        token_store: TokenStore | None = None,
    ) -> None:
        self.settings = settings
        self.http = http or JsonHttpClient(service=self.label)
        key = token_key(
            "zoom",
            settings.oauth_url,
            settings.account_id,
            settings.client_id,
            settings.client_secret,
        )
        store = token_store or MemoryTokenStore()
        token = CachedToken(store, key, self._fetch_token, clock=self.http.clock)
        self.api = BearerClient(self.http, token)

    def create(self, meeting: MeetingRequest) -> ProviderMeeting:
        url = f"{self._user_url(meeting)}/meetings"
        response = self._change("POST", url, (201,), json=self._body(meeting))
        return _meeting_from(self.http.decode(response))

    def update(self, meeting_id: str, meeting: MeetingRequest) -> None:
        self._change("PATCH", self._meeting_url(meeting_id), (204,), json=self._body(meeting))

    def delete(self, meeting_id: str) -> None:
        params = {"schedule_for_reminder": "false"}
        try:
            self.api.request("DELETE", self._meeting_url(meeting_id), (204,), params=params)
        except NotFound as exc:
            if exc.code != MEETING_NOT_FOUND:
                raise

    def past_instances(self, meeting_id: str) -> list[PastInstance]:
        """Every ended instance: a meeting ended and started again has one for each part."""
        url = f"{self.settings.api_base}/past_meetings/{encode_meeting_ref(str(meeting_id))}/instances"
        return [PastInstance(str(item["uuid"]), parse_timestamp(item.get("start_time")))
                for item in self.api.json("GET", url).get("meetings") or [] if item.get("uuid")]

    def fetch_attendance(self, meeting_id: str, instance_uuid: str | None = None) -> list[Participant]:
        """Participants of the latest ended instance, or of ``instance_uuid``.

        The past-meeting endpoint needs a plan that some accounts lack; when it refuses (a 4xx
        other than "not found"), the participant report, which has the same rows, is read instead.
        """
        ref = encode_meeting_ref(instance_uuid or str(meeting_id))
        base, params = self.settings.api_base, {"page_size": PAGE_SIZE}
        try:
            rows = list(self._pages(f"{base}/past_meetings/{ref}/participants", "participants", params))
        except Rejected:
            rows = list(self._pages(f"{base}/report/meetings/{ref}/participants", "participants", params))
        return [participant for row in rows if (participant := _participant(row))]

    def find_existing(self, meeting: MeetingRequest) -> ProviderMeeting | None:
        """The host's upcoming meeting carrying our uid marker, if an earlier create made one.

        List entries may lack the agenda; then topic and start narrow it down and the full
        meeting is fetched to check the marker.
        """
        url = f"{self._user_url(meeting)}/meetings"
        params = {"type": "upcoming", "page_size": PAGE_SIZE}
        for item in self._pages(url, "meetings", params):
            if _could_be(item, meeting):
                found = self._confirm(str(item["id"]), meeting.uid)
                if found:
                    return found
        return None

    def _confirm(self, meeting_id: str, uid: str) -> ProviderMeeting | None:
        try:
            data = self.api.json("GET", self._meeting_url(meeting_id))
        except NotFound:
            return None
        return _meeting_from(data) if agenda_marker(uid) in (data.get("agenda") or "") else None

    def _change(self, method: str, url: str, expected: tuple[int, ...], **kw: Any) -> requests.Response:
        """A create or update: both count against the host's daily cap, and both answer HTTP 300
        for a validation error or, in so many words, when that cap is reached."""
        try:
            return self.api.request(method, url, expected, **kw)
        except ProviderError as exc:
            if exc.status != 300:
                raise
            if DAILY_CAP_300.search(exc.detail or ""):
                raise RateLimited(f"Zoom allows no more meeting changes today for this host ({exc.detail}).",
                                  daily_limit=True, status=300, code=exc.code, detail=exc.detail) from exc
            raise Rejected(f"Zoom refused the request: {exc.detail}", status=300, code=exc.code,
                           detail=exc.detail) from exc

    def _body(self, meeting: MeetingRequest) -> dict[str, Any]:
        waiting_room = self.settings.waiting_room
        return {
            "topic": meeting.topic[:TOPIC_LIMIT],
            "type": SCHEDULED_MEETING,
            "start_time": _zoom_time(meeting.start_utc),
            "duration": int(meeting.duration_minutes),
            "timezone": meeting.timezone,
            "agenda": agenda_with_marker(meeting.agenda, meeting.uid),
            "settings": {
                "waiting_room": waiting_room,
                # The two conflict; the waiting room wins.
                "join_before_host": self.settings.join_before_host and not waiting_room,
            },
        }

    def _pages(self, url: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Rows of every page; the last page has an empty or absent ``next_page_token``."""
        params = dict(params)
        while True:
            page = self.api.json("GET", url, params=params)
            yield from page.get(key) or []
            next_token = page.get("next_page_token")
            if not next_token or next_token == params.get("next_page_token"):
                return
            params["next_page_token"] = next_token

    def _fetch_token(self) -> tuple[str, datetime]:
        """A new S2S token; credentials in Basic auth, parameters in the form body."""
        settings = self.settings
        form = {"grant_type": "account_credentials", "account_id": settings.account_id}
        auth = (settings.client_id, settings.client_secret)
        try:
            body = self.http.json("POST", settings.oauth_url, data=form, auth=auth, idempotent=True)
        except (AuthError, Rejected) as exc:
            raise _credentials_error(exc.detail, exc.status, exc.code) from exc
        if not body.get("access_token"):
            raise _credentials_error("no access token in the answer", None, None)
        lifetime = timedelta(seconds=int(body.get("expires_in") or 3599))
        return str(body["access_token"]), self.http.clock() + lifetime

    def _user_url(self, meeting: MeetingRequest) -> str:
        host = meeting.host or self.settings.host_user
        _check_host(host)
        return f"{self.settings.api_base}/users/{quote(host, safe='@')}"

    def _meeting_url(self, meeting_id: str) -> str:
        return f"{self.settings.api_base}/meetings/{quote(str(meeting_id), safe='')}"


def _check_host(host: str) -> None:
    """S2S tokens belong to the app owner, so "me" would not mean the configured host."""
    if not host or host.strip().lower() == "me":
        raise ValueError("Zoom needs the host's user id or email, not 'me'.")


def _credentials_error(detail: str | None, status: int | None, code: Any) -> AuthError:
    message = (
        "Zoom did not accept the app credentials. Check the account ID, client ID and "
        f"client secret of the Server-to-Server OAuth app (Zoom said: {detail})."
    )
    return AuthError(message, status=status, code=code, detail=detail)


def _zoom_time(moment: datetime) -> str:
    """UTC with a trailing Z: without the Z Zoom would read it as local time in ``timezone``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _could_be(item: dict[str, Any], meeting: MeetingRequest) -> bool:
    """Our marker is in the listed agenda; or the topic and start match and the list does not
    show the whole agenda (absent, or cut at ``LIST_AGENDA_LIMIT``), so the meeting must be
    fetched to tell."""
    agenda = item.get("agenda")
    if agenda_marker(meeting.uid) in (agenda or ""):
        return True
    if agenda is not None and len(agenda) < LIST_AGENDA_LIMIT:
        return False  # the whole agenda is shown, without our marker
    start = parse_timestamp(item.get("start_time"))
    same_start = start == meeting.start_utc.replace(microsecond=0)
    return same_start and item.get("topic") == meeting.topic[:TOPIC_LIMIT]


def _meeting_from(data: dict[str, Any]) -> ProviderMeeting:
    if not data.get("id") or not data.get("join_url"):
        raise ProviderError("Zoom's answer did not include the meeting id and join link.")
    return ProviderMeeting(
        meeting_id=str(data["id"]),
        join_url=str(data["join_url"]),
        passcode=data.get("password") or None,
        dial_in=_dial_in(data),
        host_url=data.get("start_url") or None,
    )


def _dial_in(data: dict[str, Any]) -> str | None:
    numbers = (data.get("settings") or {}).get("global_dial_in_numbers") or []
    number = next((n.get("number") for n in numbers if n.get("number")), None)
    if not number:
        return None
    passcode = data.get("pstn_password")
    suffix = f", passcode {passcode}" if passcode else ""
    return f"{number} (meeting ID {data['id']}{suffix})"


def _participant(row: dict[str, Any]) -> Participant | None:
    """One raw row (Zoom makes a new row per rejoin). Rows without a join time, and time in the
    waiting room (a row of its own, before the row from when the host admitted them), are not
    attendance."""
    joined_at = parse_timestamp(row.get("join_time"))
    if joined_at is None or row.get("status") == WAITING_ROOM:
        return None
    interval = AttendanceInterval(joined_at, parse_timestamp(row.get("leave_time")))
    return Participant(
        name=row.get("name") or "",
        email=row.get("user_email") or None,
        provider_user_key=row.get("id") or None,
        intervals=[interval],
    )
