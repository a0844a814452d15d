"""Addresses and headers that are not plain ASCII, through a real SMTP server (aiosmtpd).

An IDN domain travels as punycode (To header, envelope, ATTENDEE); a non-ASCII local part
travels over SMTPUTF8 when the server offers it, and otherwise fails at once, permanently.
Encoded words in the Subject and in display names read back exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from integrations.ical import Attendee, build_request
from integrations.mailer import MailError, MemoryBackend, build_mime
from tests.integrations.test_mailer import (  # noqa: F401 (smtp_server is a fixture)
    Collector,
    event,
    free_port,
    outgoing,
    received,
    smtp_backend,
    smtp_server,
)

IDN = "idn@dùn.example"
IDN_WIRE = "idn@xn--dn-oka.example"
UTF8_LOCAL = "mòrag.ünï@dùn.example"
UTF8_LOCAL_WIRE = "mòrag.ünï@xn--dn-oka.example"


def serve(*, smtputf8: bool) -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()


@pytest.fixture
def utf8_smtp_server() -> Iterator[tuple[Collector, int]]:
    """A server whose EHLO offers SMTPUTF8."""
    yield from serve(smtputf8=True)


@pytest.fixture
def ascii_smtp_server() -> Iterator[tuple[Collector, int]]:
    """A server whose EHLO does not offer SMTPUTF8 (aiosmtpd offers it unless told not to)."""
    yield from serve(smtputf8=False)


def read_utf8(raw: bytes) -> EmailMessage:
    return message_from_string(raw.decode("utf-8"), policy=policy.SMTPUTF8)  # type: ignore[return-value]


# ------------------------------------------------------------------------------ IDN domains


def test_an_idn_domain_is_sent_as_punycode_in_header_envelope_and_attendee(
        smtp_server: tuple[Collector, int]) -> None:  # noqa: F811
    collector, port = smtp_server
    calendar = build_request(event(), Attendee(IDN, "Idn"), now=event().start)
    smtp_backend(port).send(outgoing(calendar, to_email=IDN, to_name="Mòrag Dhùn"))

    envelope, raw, msg = received(collector)
    assert envelope.rcpt_tos == [IDN_WIRE]
    assert msg["To"].addresses[0].addr_spec == IDN_WIRE
    assert msg["To"].addresses[0].display_name == "Mòrag Dhùn"
    assert b"<" + IDN_WIRE.encode() + b">" in raw, "no encoded word inside the address"
    assert b"ATTENDEE" in calendar and b"mailto:" + IDN_WIRE.encode() in calendar.replace(b"\r\n ", b"")
    assert raw.isascii()


def test_an_idn_sender_is_sent_as_punycode(smtp_server: tuple[Collector, int]) -> None:  # noqa: F811
    collector, port = smtp_server
    smtp_backend(port).send(outgoing(None, from_addr="Sessions <noreply@dùn.example>"))
    envelope, _, msg = received(collector)
    assert envelope.mail_from == "noreply@xn--dn-oka.example"
    assert msg["From"].addresses[0].addr_spec == "noreply@xn--dn-oka.example"


# ------------------------------------------------------------------- non-ASCII local parts


def test_a_non_ascii_local_part_goes_over_smtputf8_when_offered(
        utf8_smtp_server: tuple[Collector, int]) -> None:
    collector, port = utf8_smtp_server
    smtp_backend(port).send(outgoing(None, to_email=UTF8_LOCAL, to_name="Mòrag"))

    envelope, raw, _ = received(collector)
    assert envelope.smtp_utf8 is True
    assert envelope.rcpt_tos == [UTF8_LOCAL_WIRE]
    msg = read_utf8(raw)
    assert msg["To"].addresses[0].addr_spec == UTF8_LOCAL_WIRE
    assert msg["To"].addresses[0].display_name == "Mòrag"


def test_a_non_ascii_local_part_fails_at_once_without_smtputf8(
        ascii_smtp_server: tuple[Collector, int]) -> None:
    collector, port = ascii_smtp_server
    with pytest.raises(MailError) as caught:
        smtp_backend(port).send(outgoing(None, to_email=UTF8_LOCAL))
    assert caught.value.transient is False
    assert UTF8_LOCAL in caught.value.message
    assert "SMTPUTF8" in caught.value.message
    assert collector.envelopes == []


def test_a_non_ascii_local_part_builds_for_the_file_and_memory_backends() -> None:
    backend = MemoryBackend()
    backend.send(outgoing(None, to_email=UTF8_LOCAL))
    (_, raw), = backend.sent
    assert read_utf8(raw)["To"].addresses[0].addr_spec == UTF8_LOCAL_WIRE


# ------------------------------------------------------------------------- header folding

TAILS = ["Dùn Èideann", "Dùn Èideann PSL", "Taigh Dhùn Èideann, Tuesday 4 March at 10:00",
         "🌿 Dùn 🌿 Èideann", "(Dùn) \"Èideann\" =?utf-8?q?x?="]
SUBJECTS = [f"Invitation: {'x' * n} {tail}" for n in range(0, 70, 3) for tail in TAILS]


def header_lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_folded_subject_reads_back_exactly(subject: str) -> None:
    raw = build_mime(outgoing(None, subject=subject))
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject
    lines = header_lines(raw)
    assert not any(b"?q??=" in line or b"?b??=" in line for line in lines), "no empty encoded word"
    assert all(len(line) <= 78 for line in lines)


@pytest.mark.parametrize("name", [s.removeprefix("Invitation: ").strip() for s in SUBJECTS])
def test_a_folded_display_name_reads_back_exactly(name: str) -> None:
    raw = build_mime(outgoing(None, to_name=name))
    (address,) = message_from_bytes(raw, policy=policy.default)["To"].addresses
    assert (address.display_name, address.addr_spec) == (name, "ann.manager@home.example")
    assert not any(b"?q??=" in line or b"?b??=" in line for line in header_lines(raw))


def test_an_ascii_subject_is_not_encoded() -> None:
    raw = build_mime(outgoing(None, subject="Invitation: Peer Support, Tuesday 4 March at 10:00"))
    assert b"Subject: Invitation: Peer Support, Tuesday 4 March at 10:00\r\n" in raw
