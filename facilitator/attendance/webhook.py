"""``POST /webhooks/zoom``: Zoom's live meeting events.

The signature is checked over the body bytes exactly as received (re-serialised JSON would not
match), in constant time, with the request's timestamp no more than a few minutes off. Only
then is the body parsed. The work done here is a few row writes: the import that follows
``meeting.ended`` is queued for the worker, so Zoom always has its answer well within 3 s.
Anything malformed is refused with a 4xx and nothing is stored; nothing here can answer 500
for bad input.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from facilitator import ratelimit
from facilitator.access import PUBLIC, allow
from facilitator.attendance import imports
from facilitator.attendance.blueprint import bp
from facilitator.clock import now_utc
from facilitator.errors import BadInput, DomainError, json_error
from facilitator.extensions import csrf, db
from facilitator.forms import read_json
from facilitator.models import MeetingSession, SessionStatus
from facilitator.models.attendance import LiveInterval, ZoomWebhookEvent
from integrations.http import parse_timestamp
from integrations.providers.zoom import ZoomProvider

MAX_BODY = 64 * 1024
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
JOINED, LEFT, ENDED = "meeting.participant_joined", "meeting.participant_left", "meeting.ended"
URL_VALIDATION = "endpoint.url_validation"
# A webhook belongs to the session of its meeting starting nearest to the event, within this.
SESSION_WINDOW = timedelta(hours=12)
MAX_EVENT_TS = 2**53


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@bp.route("/webhooks/zoom", methods=["POST"])
@allow(PUBLIC)
@csrf.exempt  # signed by Zoom instead (verify)
def zoom_webhook() -> Any:
    secret = str(current_app.config["ZOOM_WEBHOOK_SECRET"] or "")
    if not secret:
        return json_error(404, "Zoom webhooks are not set up here (ZOOM_WEBHOOK_SECRET is empty).")
    try:
        body = _read_body()
        verify(request.headers, body, secret, now_utc(),
               int(current_app.config["ZOOM_WEBHOOK_TOLERANCE_SECONDS"]))
        data = _parse(body)
    except Refused as exc:
        if exc.status == 401:  # only failed signatures count against the sender's rate limit
            ratelimit.count_failed_signature()
        return json_error(exc.status, exc.message)
    if data.get("event") == URL_VALIDATION:
        return _url_validation(data, secret)
    return jsonify({"status": handle_event(data, now_utc())})


def _read_body() -> bytes:
    if (request.content_length or 0) > MAX_BODY:
        raise Refused(413, "The body is too large.")
    # The bytes exactly as received (another hook may have read them already: they are cached).
    body = request.get_data(cache=True)
    if len(body) > MAX_BODY:
        raise Refused(413, "The body is too large.")
    return body


def signature(secret: str, timestamp: str, body: bytes) -> str:
    message = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(headers: Any, body: bytes, secret: str, now: datetime, tolerance: int) -> None:
    """Refuse (401) a missing or malformed signature or timestamp, one too far from ``now``,
    or a signature that does not match the body."""
    timestamp = headers.get("x-zm-request-timestamp", "")
    given = headers.get("x-zm-signature", "").strip().lower()
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Refused(401, "Missing or malformed x-zm-request-timestamp.")
    if abs(now.timestamp() - int(timestamp)) > tolerance:
        raise Refused(401, "The request timestamp is too far from the current time.")
    if not SIGNATURE.fullmatch(given):
        raise Refused(401, "Missing or malformed x-zm-signature.")
    if not hmac.compare_digest(signature(secret, timestamp, body), given):
        raise Refused(401, "The signature does not match.")


def _parse(body: bytes) -> dict[str, Any]:
    try:
        data = read_json(body.decode("utf-8"), parse_float=_finite, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise Refused(400, "The body is not JSON.") from None
    except BadInput as exc:
        raise Refused(400, exc.message) from None
    if data is None:
        raise Refused(400, "The body is not JSON.")
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise Refused(400, "The body has no event.")
    return data


def _finite(text: str) -> float:
    """JSON numbers only: 1e400 is infinity to Python, which no JSON column can store."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def _url_validation(data: dict[str, Any], secret: str) -> Any:
    token = (data.get("payload") or {}).get("plainToken") if isinstance(data.get("payload"), dict) else None
    if not isinstance(token, str) or not token or len(token) > 256:
        return json_error(400, "The validation request has no plainToken.")
    encrypted = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    return jsonify({"plainToken": token, "encryptedToken": encrypted})


# Recording events ----------------------------------------------------------------------------

def normalise_meeting_id(value: Any) -> str | None:
    """Zoom sends the meeting id as a string in webhooks and a number in the REST API."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
    else:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        return None
    return str(int(text))


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def _event_ts(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_EVENT_TS:
        return value
    return 0


def handle_event(data: dict[str, Any], now: datetime) -> str:
    """Record a participant joining or leaving, or queue the import when a meeting ends.
    Returns "recorded", "duplicate" or "ignored" (unknown events and meetings)."""
    event = data["event"]
    if event not in (JOINED, LEFT, ENDED):
        return "ignored"
    payload = data.get("payload") if isinstance(data.get("payload"), dict) else {}
    obj = payload.get("object") if isinstance(payload.get("object"), dict) else {}
    participant = obj.get("participant") if isinstance(obj.get("participant"), dict) else {}
    meeting_id = normalise_meeting_id(obj.get("id"))
    if meeting_id is None:
        return "ignored"
    when = (_when(participant.get("leave_time")) or _when(participant.get("join_time"))
            or _when(obj.get("end_time")) or _when(obj.get("start_time"))
            or (datetime.fromtimestamp(_event_ts(data.get("event_ts")) / 1000, UTC)
                if _event_ts(data.get("event_ts")) else now))
    session = find_session(meeting_id, when)
    if session is None:
        return "ignored"
    key = dedupe_key(event, _event_ts(data.get("event_ts")), meeting_id, obj, participant)
    if db.session.scalar(select(ZoomWebhookEvent.id).where(ZoomWebhookEvent.dedupe_key == key)):
        return "duplicate"
    try:
        with db.session.begin_nested():
            db.session.add(ZoomWebhookEvent(
                dedupe_key=key, event=event, event_ts=_event_ts(data.get("event_ts")), meeting_id=meeting_id,
                session_id=session.id, payload=data, received_at=now))
    except IntegrityError:
        return "duplicate"  # the same delivery, arriving twice at once
    if event == ENDED:
        _queue_import(session, obj, now)
    else:
        _record_interval(session, event, participant, when)
    return "recorded"


def find_session(meeting_id: str, when: datetime) -> MeetingSession | None:
    """The meeting's session starting nearest to ``when`` (a recurring Zoom meeting may serve
    several sessions), if one starts within ``SESSION_WINDOW``."""
    sessions = db.session.scalars(select(MeetingSession).where(
        MeetingSession.provider == ZoomProvider.name, MeetingSession.provider_meeting_id == meeting_id,
        MeetingSession.status != SessionStatus.CANCELLED,
        MeetingSession.starts_at >= when - SESSION_WINDOW, MeetingSession.starts_at <= when + SESSION_WINDOW))
    return min(sessions, key=lambda s: abs((s.starts_at - when).total_seconds()), default=None)


def dedupe_key(event: str, event_ts: int, meeting_id: str, obj: dict[str, Any],
               participant: dict[str, Any]) -> str:
    """The same event (event, event_ts, meeting and participant ids) gives the same key."""
    parts = [event, event_ts, meeting_id, _text(obj.get("uuid"), 200)]
    parts += [_text(participant.get(k), 200) for k in ("user_id", "participant_uuid", "id")]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _participant_key(participant: dict[str, Any]) -> str:
    for name in ("participant_uuid", "user_id", "id", "email", "user_name"):
        value = participant.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if _text(value, 200):
            return _text(value, 200)
    return "unknown"


def _record_interval(session: MeetingSession, event: str, participant: dict[str, Any],
                     when: datetime) -> None:
    key = _participant_key(participant)
    joined_at = _when(participant.get("join_time")) or when
    person = {"provider_user_key": _text(participant.get("id"), 200)
              or _text(participant.get("participant_user_id"), 200) or None,
              "name": _text(participant.get("user_name"), 200),
              "email": _text(participant.get("email"), 254) or None}
    if event == JOINED:
        db.session.add(LiveInterval(session_id=session.id, participant_key=key, joined_at=joined_at,
                                    **person))
        return
    left_at = _when(participant.get("leave_time")) or when
    interval = db.session.scalar(select(LiveInterval).where(
        LiveInterval.session_id == session.id, LiveInterval.participant_key == key,
        LiveInterval.left_at.is_(None)).order_by(LiveInterval.joined_at.desc()).limit(1))
    if interval is None:  # the join was missed: keep what the leave tells us
        interval = LiveInterval(session_id=session.id, participant_key=key, joined_at=min(joined_at, left_at),
                                **person)
        db.session.add(interval)
    interval.left_at = max(left_at, interval.joined_at)


def _queue_import(session: MeetingSession, obj: dict[str, Any], now: datetime) -> None:
    # DomainError: e.g. the meeting ended before the session's start: nothing to import for it.
    with contextlib.suppress(DomainError):
        imports.queue_import(session, now=now, due_at=now, instance_uuid=_text(obj.get("uuid"), 100) or None)
