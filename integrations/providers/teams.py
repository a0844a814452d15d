"""Microsoft Teams meetings through Microsoft Graph with application permissions.

Creates use ``onlineMeetings/createOrGet`` keyed by our uid, so repeating a create returns the
same meeting instead of a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from integrations.http import (
    AuthError,
    JsonHttpClient,
    NotFound,
    ProviderError,
    ProviderUnavailable,
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

GRAPH_API_BASE = "https://graph.microsoft.com/v1.0"
GRAPH_LOGIN_BASE = "https://login.microsoftonline.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# Separates an overriding organizer from Graph's meeting id; not in Graph's base64 alphabet.
ID_SEPARATOR = "|"
# Graph's OpenAPI description promises "2XX" for an update: 200 with the meeting, or no body.
ANY_2XX = tuple(range(200, 300))


class AccessPolicyMissing(Rejected):
    """Graph refused because no Teams application access policy covers the organizer."""


@dataclass(frozen=True)
class TeamsSettings:
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    organizer: str  # the organizer's Entra object id (a UPN is rejected on this API)
    api_base: str = GRAPH_API_BASE
    login_base: str = GRAPH_LOGIN_BASE

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_base", self.api_base.rstrip("/"))
        object.__setattr__(self, "login_base", self.login_base.rstrip("/"))

    @property
    def token_url(self) -> str:
        return f"{self.login_base}/{quote(self.tenant_id, safe='')}/oauth2/v2.0/token"


class TeamsProvider(MeetingProvider):
    name = "teams"
    label = "Microsoft Teams"
    required_keys = ("GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET", "GRAPH_ORGANIZER")
    imports_attendance = True
    join_target = "Microsoft Teams"
    # test_meeting_url stays None: no public page of Microsoft's that opens a test meeting without
    # signing in could be confirmed (Teams' test call is inside the signed-in app). Its pre-join
    # screen checks the devices instead: nobody joins until they press "Join now".
    device_check_uses_meeting = True
    device_check_hint = ("Opens the next session's Teams screen, where you can check your camera, "
                         "microphone and sound. You won't join until you press Join now.")
    join_hint = ('Teams opens in its app if it is installed; otherwise choose "Continue on this '
                 'browser". If asked, allow the camera and microphone.')

    def __init__(
        self,
        settings: TeamsSettings,
        *,
        http: JsonHttpClient | None = None,
        token_store: TokenStore | None = None,
    ) -> None:
        self.settings = settings
        self.http = http or JsonHttpClient(service=self.label)
        self._oauth = OAuth2Session(
            settings.client_id,
            settings.client_secret,
            scope=GRAPH_SCOPE,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 (a method name)
        )
        key = token_key(
            "graph",
            settings.token_url,
            settings.tenant_id,
            settings.client_id,
            settings.client_secret,
        )
        store = token_store or MemoryTokenStore()
        token = CachedToken(store, key, self._fetch_token, clock=self.http.clock)
        self.api = BearerClient(self.http, token)

    def create(self, meeting: MeetingRequest) -> ProviderMeeting:
        """createOrGet is idempotent, so timeouts and 5xx are retried like any safe call."""
        organizer = meeting.host or self.settings.organizer
        url = f"{self._meetings_url(organizer)}/createOrGet"
        body = {"externalId": meeting.uid, **_times_and_subject(meeting)}
        data = self._json("POST", url, (200, 201), json=body, idempotent=True)
        return self._meeting_from(data, organizer)

    def update(self, meeting_id: str, meeting: MeetingRequest) -> None:
        """Graph needs start and end together whenever either changes."""
        url = self._meeting_url(meeting_id)
        self._call("PATCH", url, ANY_2XX, json=_times_and_subject(meeting))

    def delete(self, meeting_id: str) -> None:
        try:
            self._call("DELETE", self._meeting_url(meeting_id), (204,))
        except NotFound:
            return

    def past_instances(self, meeting_id: str) -> list[PastInstance]:
        """The attendance reports: Teams makes one each time the meeting ends."""
        with self._artifact_errors():
            return [PastInstance(str(report["id"]), parse_timestamp(report.get("meetingStartDateTime")))
                    for report in self._paged(self._reports_url(meeting_id)) if report.get("id")]

    def fetch_attendance(self, meeting_id: str, instance_uuid: str | None = None) -> list[Participant]:
        """Rows of every attendance report (one report per session), or of report
        ``instance_uuid`` only."""
        reports_url = self._reports_url(meeting_id)
        with self._artifact_errors():
            report_ids = [instance_uuid] if instance_uuid else self._report_ids(reports_url)
            return [
                _participant(record)
                for report_id in report_ids
                for record in self._paged(_records_url(reports_url, report_id))
            ]

    def find_existing(self, meeting: MeetingRequest) -> ProviderMeeting | None:
        """Always None: repeating ``create`` returns the meeting an earlier call made."""
        return None

    @contextmanager
    def _artifact_errors(self) -> Iterator[None]:
        """A 403 on attendance reports (other than the access policy) is the missing permission."""
        try:
            yield
        except AccessPolicyMissing:
            raise
        except Rejected as exc:
            if exc.status != 403:
                raise
            message = self._artifact_message()
            raise Rejected(message, status=403, code=exc.code, detail=exc.detail) from exc

    def _reports_url(self, meeting_id: str) -> str:
        return f"{self._meeting_url(meeting_id)}/attendanceReports"

    def _report_ids(self, reports_url: str) -> list[str]:
        return [str(report["id"]) for report in self._paged(reports_url) if report.get("id")]

    def _paged(self, url: str) -> Iterator[dict[str, Any]]:
        """Items of every page, following ``@odata.nextLink`` (a full URL) until absent."""
        next_url: str | None = url
        while next_url:
            page = self._json("GET", next_url)
            yield from page.get("value") or []
            next_url = page.get("@odata.nextLink")
            if next_url and not next_url.startswith(f"{self.settings.api_base}/"):
                # Never send our token to a host we did not configure.
                raise ProviderError("Microsoft Graph sent a next-page link to another address.")

    def _json(self, method: str, url: str, expected: tuple[int, ...] = (200,), **kw: Any) -> Any:
        return self.http.decode(self._call(method, url, expected, **kw))

    def _call(self, method: str, url: str, expected: tuple[int, ...], **kw: Any) -> requests.Response:
        try:
            return self.api.request(method, url, expected, **kw)
        except Rejected as exc:
            if exc.status == 403 and _is_access_policy_error(exc.detail):
                raise AccessPolicyMissing(
                    self._policy_message(), status=403, code=exc.code, detail=exc.detail
                ) from exc
            raise

    def _fetch_token(self) -> tuple[str, datetime]:
        """A client-credentials token; any failure becomes one of our errors."""
        try:
            token = self._oauth.fetch_token(
                self.settings.token_url,
                grant_type="client_credentials",
                timeout=self.http.timeout,
            )
        except OAuthError as exc:
            raise self._credentials_error(exc.description or exc.error, exc.error) from exc
        except requests.HTTPError as exc:  # a body that is not JSON, e.g. a gateway page
            status = exc.response.status_code if exc.response is not None else None
            if status is not None and status < 500:
                raise self._credentials_error(f"HTTP {status}", None) from exc
            raise ProviderUnavailable(
                "Microsoft sign-in is having problems. Please try again later.",
                status=status,
            ) from exc
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable("Microsoft sign-in could not be reached.") from exc
        if not token.get("access_token"):
            raise self._credentials_error("no access token in the answer", None)
        lifetime = timedelta(seconds=int(token.get("expires_in") or 3599))
        return str(token["access_token"]), self.http.clock() + lifetime

    def _credentials_error(self, detail: str | None, code: str | None) -> AuthError:
        message = (
            "Microsoft did not accept the app credentials. Check the tenant ID, client ID and "
            f"client secret of the app registration (Microsoft said: {detail})."
        )
        return AuthError(message, code=code, detail=detail)

    def _policy_message(self) -> str:
        settings = self.settings
        return (
            "Microsoft Teams does not let Facilitator manage meetings for the organizer yet. "
            "A Teams administrator needs to run, in Teams PowerShell: "
            f"New-CsApplicationAccessPolicy -Identity Facilitator -AppIds {settings.client_id} "
            "then Grant-CsApplicationAccessPolicy -PolicyName Facilitator "
            f"-Identity {settings.organizer} . Changes can take up to 30 minutes to apply."
        )

    def _artifact_message(self) -> str:
        return (
            "Microsoft Teams refused to share attendance reports. The app registration needs "
            "the application permission OnlineMeetingArtifact.Read.All (with admin consent), "
            "and the organizer must be covered by the Teams application access policy."
        )

    def _meetings_url(self, organizer: str) -> str:
        return f"{self.settings.api_base}/users/{quote(organizer, safe='')}/onlineMeetings"

    def _meeting_url(self, meeting_id: str) -> str:
        organizer, graph_id = self._split_id(meeting_id)
        return f"{self._meetings_url(organizer)}/{quote(graph_id, safe='')}"

    def _split_id(self, meeting_id: str) -> tuple[str, str]:
        """Our meeting id is Graph's, prefixed by the organizer when it is not the default."""
        organizer, sep, graph_id = meeting_id.rpartition(ID_SEPARATOR)
        return (organizer, graph_id) if sep else (self.settings.organizer, meeting_id)

    def _meeting_from(self, data: dict[str, Any], organizer: str) -> ProviderMeeting:
        join_url = data.get("joinWebUrl") or data.get("joinUrl")
        if not data.get("id") or not join_url:
            raise ProviderError("Microsoft Teams did not return the meeting id and join link.")
        meeting_id = str(data["id"])
        if organizer != self.settings.organizer:
            meeting_id = f"{organizer}{ID_SEPARATOR}{meeting_id}"
        join_settings = data.get("joinMeetingIdSettings") or {}
        return ProviderMeeting(
            meeting_id=meeting_id,
            join_url=str(join_url),
            passcode=join_settings.get("passcode") or None,
            dial_in=_dial_in(data.get("audioConferencing")),
        )


def _is_access_policy_error(detail: str | None) -> bool:
    text = (detail or "").lower()
    return "access policy" in text or ("not authorized to" in text and "on behalf of" in text)


def _records_url(reports_url: str, report_id: str) -> str:
    return f"{reports_url}/{quote(report_id, safe='')}/attendanceRecords"


def _graph_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _times_and_subject(meeting: MeetingRequest) -> dict[str, str]:
    end = meeting.start_utc + timedelta(minutes=meeting.duration_minutes)
    return {
        "subject": meeting.topic,
        "startDateTime": _graph_time(meeting.start_utc),
        "endDateTime": _graph_time(end),
    }


def _dial_in(audio: dict[str, Any] | None) -> str | None:
    if not audio:
        return None
    numbers = audio.get("tollNumbers") or []
    number = audio.get("tollNumber") or next(iter(numbers), None) or audio.get("tollFreeNumber")
    if not number:
        return None
    conference = audio.get("conferenceId")
    return f"{number} (conference ID {conference})" if conference else str(number)


def _participant(record: dict[str, Any]) -> Participant:
    identity = record.get("identity") or {}
    intervals = [
        AttendanceInterval(joined_at, parse_timestamp(item.get("leaveDateTime")))
        for item in record.get("attendanceIntervals") or []
        if (joined_at := parse_timestamp(item.get("joinDateTime")))
    ]
    return Participant(
        name=identity.get("displayName") or "",
        email=record.get("emailAddress") or None,
        provider_user_key=identity.get("id") or record.get("id") or None,
        intervals=intervals,
    )
