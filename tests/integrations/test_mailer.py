"""iMIP email through a real SMTP server on loopback (aiosmtpd), plus the file backend."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from integrations.ical import Attendee, EventData, build_cancel, build_request
from integrations.icslint import lint
from integrations.mailer import (
    FileBackend,
    MailError,
    MemoryBackend,
    OutgoingEmail,
    SmtpBackend,
    build_backend,
    build_mime,
)
from tests.support.calendar_witness import saw_mail

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TO = Attendee("ann.manager@home.example", "Ann Gàidhlig, Manager")
FROM = "Facilitator <noreply@facilitator.example>"
MESSAGE_ID = "<invite.42.3f9a@facilitator.example>"
REFUSE_PERMANENT = "gone@home.example"
REFUSE_TRANSIENT = "busy@home.example"


def event(sequence: int = 0, status: str = "CONFIRMED") -> EventData:
    return EventData(
        uid="uid-42@facilitator.example",
        sequence=sequence,
        start=datetime(2026, 3, 29, 9, 0, tzinfo=UTC),
        end=datetime(2026, 3, 29, 10, 0, tzinfo=UTC),
        summary="Taigh-cùraim Ghlaschu 🌿",
        description="See you there",
        location_url="https://facilitator.example/j/tok",
        organizer_email="sessions@facilitator.example",
        organizer_name="Facilitator Sessions",
        status=status,
    )


def outgoing(calendar: bytes | None = None, **overrides: Any) -> OutgoingEmail:
    values: dict[str, Any] = {
        "to_email": TO.email,
        "to_name": TO.name,
        "subject": "Invitation: Taigh-cùraim Ghlaschu 🌿",
        "text": "Hello Ann,\nyou are invited.\n",
        "html": "<p>Hello Ann,</p><p>you are invited.</p>",
        "message_id": MESSAGE_ID,
        "from_addr": FROM,
        "reply_to": "sessions@facilitator.example",
        "calendar": calendar,
        "calendar_method": None,
        "headers": {"List-Unsubscribe": "<https://facilitator.example/u/abc>"},
        "date": NOW,
    }
    values.update(overrides)
    return OutgoingEmail(**values)


# -------------------------------------------------------------- SMTP server


@dataclass
class Collector:
    envelopes: list[Any] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address == REFUSE_PERMANENT:
            return "550 5.1.1 No such user"
        if address == REFUSE_TRANSIENT:
            return "450 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        saw_mail(envelope.original_content or envelope.content, "SMTP")
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()


def smtp_backend(port: int, **overrides: Any) -> SmtpBackend:
    values: dict[str, Any] = {"host": "127.0.0.1", "port": port, "starttls": False, "timeout": 5}
    values.update(overrides)
    return SmtpBackend(**values)


def received(collector: Collector) -> tuple[Any, bytes, EmailMessage]:
    (envelope,) = collector.envelopes
    raw: bytes = envelope.original_content or envelope.content
    return envelope, raw, message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def assert_imip(msg: EmailMessage, calendar: bytes, method: str) -> None:
    """multipart/mixed > alternative(plain, html, calendar) + invite.ics attachment."""
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, cal_part = alternative.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert cal_part.get_content_type() == "text/calendar"
    assert cal_part.get_param("method") == method
    assert cal_part.get_param("charset").upper() == "UTF-8"

    body = cal_part.get_payload(decode=True)
    assert body == calendar  # byte for byte: CRLF preserved
    assert b"\r\n" in body and body.replace(b"\r\n", b"").count(b"\n") == 0
    body_method = next(
        line.split(":", 1)[1] for line in body.decode().split("\r\n") if line.startswith("METHOD:")
    )
    assert body_method == cal_part.get_param("method")
    assert lint(body, expected_method=cal_part.get_param("method")) == []

    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == calendar


def test_request_email_through_real_smtp(smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    calendar = build_request(event(), TO, now=NOW)
    smtp_backend(port).send(outgoing(calendar, calendar_method="REQUEST"))

    envelope, raw, msg = received(collector)
    assert envelope.mail_from == "noreply@facilitator.example"
    assert envelope.rcpt_tos == [TO.email]
    assert_imip(msg, calendar, "REQUEST")
    assert msg["Message-ID"] == MESSAGE_ID
    assert msg["To"].addresses[0].addr_spec == TO.email
    assert msg["To"].addresses[0].display_name == TO.name
    assert msg["From"].addresses[0].addr_spec == "noreply@facilitator.example"
    assert msg["Reply-To"] == "sessions@facilitator.example"
    assert msg["Subject"] == "Invitation: Taigh-cùraim Ghlaschu 🌿"
    assert msg["List-Unsubscribe"] == "<https://facilitator.example/u/abc>"
    assert msg["MIME-Version"] == "1.0"
    plain = msg.get_body(("plain",)).get_content()
    assert plain.replace("\r\n", "\n") == "Hello Ann,\nyou are invited.\n"
    assert "you are invited" in msg.get_body(("html",)).get_content()
    assert raw.replace(b"\r\n", b"").count(b"\n") == 0, "message kept CRLF line ends"


def test_cancel_email_carries_method_cancel(smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    calendar = build_cancel(event(1, "CANCELLED"), TO, now=NOW)
    smtp_backend(port).send(outgoing(calendar, message_id="<cancel.42@facilitator.example>"))

    _, _, msg = received(collector)
    assert_imip(msg, calendar, "CANCEL")
    assert msg["Message-ID"] == "<cancel.42@facilitator.example>"


def test_plain_email_without_calendar(smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    smtp_backend(port).send(outgoing(None, message_id="digest.7@facilitator.example"))

    _, _, msg = received(collector)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Message-ID"] == "<digest.7@facilitator.example>"


def test_header_injection_is_flattened(smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    hostile = "Session\r\nBcc: victim@attacker.example"
    email = outgoing(None, subject=hostile, to_name=hostile, from_addr=FROM + "\r\nBcc: x@y.z")
    smtp_backend(port).send(email)

    envelope, raw, msg = received(collector)
    assert envelope.rcpt_tos == [TO.email]
    assert msg["Bcc"] is None
    assert b"\r\nBcc:" not in raw
    assert msg["Subject"] == "Session Bcc: victim@attacker.example"


# ---------------------------------------------------------------- failures


def test_smtp_down_is_transient() -> None:
    backend = smtp_backend(free_port(), timeout=2)
    with pytest.raises(MailError) as caught:
        backend.send(outgoing(build_request(event(), TO, now=NOW)))
    assert caught.value.transient is True
    assert "cannot reach SMTP server" in str(caught.value)


def test_silent_server_times_out_as_transient() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the TCP handshake, never sends a greeting
        backend = smtp_backend(listener.getsockname()[1], timeout=0.5)
        with pytest.raises(MailError) as caught:
            backend.send(outgoing(None))
    assert caught.value.transient is True


def test_permanent_recipient_refusal(smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    with pytest.raises(MailError) as caught:
        smtp_backend(port).send(outgoing(None, to_email=REFUSE_PERMANENT))
    assert caught.value.transient is False
    assert caught.value.code == 550
    assert collector.envelopes == []


def test_transient_recipient_refusal(smtp_server: tuple[Collector, int]) -> None:
    _, port = smtp_server
    with pytest.raises(MailError) as caught:
        smtp_backend(port).send(outgoing(None, to_email=REFUSE_TRANSIENT))
    assert caught.value.transient is True
    assert caught.value.code == 450


def test_starttls_unsupported_keeps_message_pending(smtp_server: tuple[Collector, int]) -> None:
    _, port = smtp_server
    with pytest.raises(MailError) as caught:
        smtp_backend(port, starttls=True).send(outgoing(None))
    assert caught.value.transient is True


def test_implicit_tls_against_plain_server_is_transient(smtp_server: tuple[Collector, int]) -> None:
    _, port = smtp_server
    with pytest.raises(MailError) as caught:
        smtp_backend(port, ssl=True, timeout=2).send(outgoing(None))
    assert caught.value.transient is True


def test_method_mismatch_is_refused() -> None:
    calendar = build_request(event(), TO, now=NOW)
    with pytest.raises(ValueError, match="body METHOD"):
        build_mime(outgoing(calendar, calendar_method="CANCEL"))
    with pytest.raises(MailError) as caught:
        MemoryBackend().send(outgoing(calendar, calendar_method="CANCEL"))
    assert caught.value.transient is False


def test_calendar_must_have_one_method() -> None:
    calendar = build_request(event(), TO, now=NOW).replace(b"METHOD:REQUEST\r\n", b"")
    with pytest.raises(ValueError, match="exactly one METHOD"):
        build_mime(outgoing(calendar))


def test_bad_message_id_and_header_name_are_refused() -> None:
    with pytest.raises(ValueError, match="Message-ID"):
        build_mime(outgoing(None, message_id="no at sign"))
    with pytest.raises(ValueError, match="header name"):
        build_mime(outgoing(None, headers={"X-Bad\r\nBcc": "x"}))


# ------------------------------------------------------------- file backend


def test_file_backend_writes_eml_atomically(tmp_path: Path) -> None:
    calendar = build_request(event(), TO, now=NOW)
    email = outgoing(calendar)
    backend = FileBackend(tmp_path / "outbox")
    backend.send(email)
    backend.send(email)  # a resend after a crash overwrites, never duplicates

    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == ["invite.42.3f9a@facilitator.example.eml"]
    data = files[0].read_bytes()
    assert data == build_mime(email)
    msg = message_from_bytes(data, policy=policy.default)
    assert_imip(msg, calendar, "REQUEST")  # type: ignore[arg-type]


def test_file_backend_sanitises_message_id(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path)
    path = backend.path_for("<../../etc/passwd@x>")
    assert path.parent == tmp_path
    assert "/" not in path.name and not path.name.startswith(".")
    assert path != backend.path_for("<.._.._etc_passwd@x>")


def test_file_backend_unwritable_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(MailError) as caught:
        FileBackend(blocker / "outbox").send(outgoing(None))
    assert caught.value.transient is True


def test_memory_backend_keeps_bytes() -> None:
    backend = MemoryBackend()
    email = outgoing(None)
    backend.send(email)
    assert backend.sent == [(email, build_mime(email))]


# ------------------------------------------------------------------ config


def test_build_backend_defaults_to_file(tmp_path: Path) -> None:
    backend = build_backend({"MAIL_OUTBOX_DIR": str(tmp_path)})
    assert isinstance(backend, FileBackend)
    assert Path(backend.directory) == tmp_path


def test_build_backend_smtp() -> None:
    backend = build_backend(
        {
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "smtp.example.org",
            "SMTP_USERNAME": "user",
            "SMTP_PASSWORD": "secret",
            "SMTP_TIMEOUT": "12",
        }
    )
    assert isinstance(backend, SmtpBackend)
    assert (backend.port, backend.starttls, backend.ssl, backend.timeout) == (587, True, False, 12)
    assert "secret" not in repr(backend)

    implicit = build_backend({"MAIL_BACKEND": "SMTP", "SMTP_HOST": "h", "SMTP_SSL": "true"})
    assert isinstance(implicit, SmtpBackend)
    assert (implicit.port, implicit.ssl, implicit.starttls) == (465, True, False)

    relay = build_backend({"MAIL_BACKEND": "smtp", "SMTP_HOST": "h", "SMTP_STARTTLS": "false"})
    assert isinstance(relay, SmtpBackend)
    assert (relay.port, relay.starttls) == (25, False)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"MAIL_BACKEND": "smtp"}, "SMTP_HOST"),
        (
            {"MAIL_BACKEND": "smtp", "SMTP_HOST": "h", "SMTP_SSL": "1", "SMTP_STARTTLS": "1"},
            "not both",
        ),
        (
            {"MAIL_BACKEND": "smtp", "SMTP_HOST": "h", "SMTP_STARTTLS": "0", "SMTP_USERNAME": "u"},
            "without TLS",
        ),
        ({"MAIL_BACKEND": "carrier-pigeon"}, "unknown MAIL_BACKEND"),
    ],
)
def test_build_backend_rejects_bad_config(config: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_backend(config)


def test_resend_keeps_message_id(smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    email = outgoing(None)
    backend = smtp_backend(port)
    backend.send(email)
    backend.send(replace(email, date=datetime(2026, 3, 1, 13, 0, tzinfo=UTC)))
    ids = [message_from_bytes(e.content, policy=policy.default)["Message-ID"] for e in collector.envelopes]
    assert ids == [MESSAGE_ID, MESSAGE_ID]
