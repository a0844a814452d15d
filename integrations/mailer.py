"""Outgoing email: iMIP MIME building (RFC 6047) and delivery backends.

``build_mime`` lays a message out the way Google and Thunderbird send invites::

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain
    │   ├── text/html
    │   └── text/calendar; method=REQUEST; charset=UTF-8
    └── invite.ics (application/ics, attachment)

Messages are serialised with ``policy.SMTP`` and the calendar is attached as bytes
(base64), so its CRLF line ends survive. Backends raise :class:`MailError`;
``transient`` tells the outbox whether to keep the message pending and retry.

Non-ASCII text headers are encoded and folded by :mod:`integrations.mailheaders` (the policy's
own folder loses spaces between encoded words). IDN domains go out as punycode; a non-ASCII
local part goes with SMTPUTF8 (``policy.SMTPUTF8``), or fails at once if the server lacks it.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import MIMEPart
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol

from integrations.addresses import needs_smtputf8, wire_address
from integrations.mailheaders import encode_value, mailbox_value

__all__ = [
    "FileBackend",
    "MailBackend",
    "MailError",
    "MemoryBackend",
    "OutgoingEmail",
    "SmtpBackend",
    "build_backend",
    "build_mime",
    "calendar_method_of",
    "normalise_message_id",
]

DEFAULT_OUTBOX_DIR = "instance/outbox"
DEFAULT_TIMEOUT = 30.0
_TRUE = frozenset({"1", "true", "yes", "on"})
_LINE_BREAKS = re.compile("[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_METHOD_LINE = re.compile(rb"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE | re.IGNORECASE)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._@+-]")
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
# Headers stored pre-folded (set_raw) are written as they are, never refolded by the policy.
ASCII_POLICY = policy.SMTP.clone(refold_source="none")
UTF8_POLICY = policy.SMTPUTF8.clone(refold_source="none")


class MailError(Exception):
    """Delivery failed. ``transient``: retrying later may succeed with the same message.

    Connection failures, timeouts, TLS/auth problems and 4xx replies are transient (the
    server or our configuration needs fixing, the message is fine). A 5xx refusal of
    the sender, recipient or data, or a message that cannot be built, is permanent.
    """

    def __init__(self, message: str, transient: bool, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.code = code


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """One message to one recipient. ``message_id`` is stable across resends."""

    to_email: str
    to_name: str
    subject: str
    text: str
    html: str
    message_id: str
    from_addr: str
    reply_to: str | None = None
    calendar: bytes | None = None
    calendar_method: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    date: datetime | None = None


class MailBackend(Protocol):
    def send(self, email: OutgoingEmail) -> None: ...


# ------------------------------------------------------------------------- MIME


def _one_line(value: str) -> str:
    return _LINE_BREAKS.sub(" ", value).strip()


def normalise_message_id(message_id: str) -> str:
    """Return ``<id>``; reject whitespace so the header cannot be split."""
    core = message_id.strip().removeprefix("<").removesuffix(">")
    if not core or "@" not in core or re.search(r"[\s<>]", core):
        raise ValueError(f"invalid Message-ID: {message_id!r}")
    return f"<{core}>"


def calendar_method_of(calendar: bytes) -> str:
    """The METHOD of a serialised VCALENDAR (exactly one must be present)."""
    methods = _METHOD_LINE.findall(calendar)
    if len(methods) != 1:
        raise ValueError(f"calendar must carry exactly one METHOD line, found {len(methods)}")
    return methods[0].decode("ascii").upper()


def _checked_method(email: OutgoingEmail) -> str | None:
    if email.calendar is None:
        if email.calendar_method:
            raise ValueError("calendar_method given without a calendar")
        return None
    method = calendar_method_of(email.calendar)
    if email.calendar_method and email.calendar_method.upper() != method:
        raise ValueError(f"calendar_method {email.calendar_method!r} != body METHOD {method!r}")
    return method


def needs_utf8(email: OutgoingEmail) -> bool:
    """Must this message travel with SMTPUTF8 (a non-ASCII local part in To or From)?"""
    return needs_smtputf8(email.to_email) or needs_smtputf8(envelope_sender(email.from_addr))


def _set_text(msg: MIMEPart, name: str, value: str) -> None:
    text = _one_line(value)
    if text.isascii() and "=?" not in text:
        msg[name] = text  # the policy folds plain ASCII at spaces, which reads back exactly
    else:
        msg.set_raw(name, encode_value(name, text, utf8=bool(msg.policy.utf8)))


def _set_address(msg: MIMEPart, name: str, display_name: str, addr_spec: str) -> None:
    msg.set_raw(name, mailbox_value(name, _one_line(display_name), addr_spec, utf8=bool(msg.policy.utf8)))


def _headers(msg: MIMEPart, email: OutgoingEmail) -> None:
    _set_address(msg, "From", *_mailbox(email.from_addr))
    _set_address(msg, "To", email.to_name, email.to_email.strip())
    _set_text(msg, "Subject", email.subject)
    msg["Date"] = format_datetime(email.date or datetime.now(UTC))
    msg["Message-ID"] = normalise_message_id(email.message_id)
    if email.reply_to:
        _set_address(msg, "Reply-To", *_mailbox(email.reply_to))
    for name, value in email.headers.items():
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"invalid header name: {name!r}")
        _set_text(msg, name, value)


def build_mime(email: OutgoingEmail) -> bytes:
    """Serialise ``email`` as RFC 5322 bytes with CRLF line ends.

    Built on ``MIMEPart`` so sub-parts do not each get a ``MIME-Version`` header
    (what ``EmailMessage.add_alternative`` would add); only the top level has one.
    """
    method = _checked_method(email)
    chosen: EmailPolicy = UTF8_POLICY if needs_utf8(email) else ASCII_POLICY
    msg = MIMEPart(policy=chosen)
    _headers(msg, email)
    msg["MIME-Version"] = "1.0"
    msg.set_content(email.text, subtype="plain", cte="quoted-printable")
    msg.add_alternative(email.html, subtype="html", cte="quoted-printable")
    if email.calendar is not None and method is not None:
        msg.add_alternative(
            email.calendar,
            maintype="text",
            subtype="calendar",
            params={"method": method, "charset": "UTF-8"},
        )
        # add_attachment turns multipart/alternative into the first child of mixed.
        msg.add_attachment(email.calendar, maintype="application", subtype="ics", filename="invite.ics")
    _stable_boundaries(msg, email.message_id)
    return msg.as_bytes()


def _stable_boundaries(msg: MIMEPart, seed: str) -> None:
    """Derive boundaries from the Message-ID so a rebuilt message is byte-identical.

    ``=_`` cannot occur in quoted-printable or base64 bodies, which every leaf uses.
    """
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]
    for index, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_{index}_{digest}")


def _mailbox(value: str) -> tuple[str, str]:
    """Parse ``Name <addr>`` or ``addr`` into (name, addr), so nothing else rides along."""
    name, address = parseaddr(_one_line(value))
    if "@" not in address:
        raise ValueError(f"invalid address: {value!r}")
    return name, address


def envelope_sender(from_addr: str) -> str:
    """The sender as the envelope carries it (domain as punycode)."""
    return wire_address(_mailbox(from_addr)[1])


# ---------------------------------------------------------------------- backends


def _refusal(code: int, detail: str) -> MailError:
    return MailError(f"SMTP {code}: {detail}", transient=not 500 <= code < 600, code=code)


def _classify(exc: Exception) -> MailError:
    """Map an smtplib/socket failure to a MailError (never includes credentials).

    Only a 5xx refusal of this message (MAIL FROM, RCPT TO, DATA) is permanent; a
    failing greeting, HELO, STARTTLS or login is the server's or our configuration's
    problem, so the message stays pending.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code}" for rcpt, (code, _) in exc.recipients.items())
        error = _refusal(max(codes, default=451), f"recipient refused ({detail})")
        error.transient = not codes or any(code < 500 for code in codes)
        return error
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        detail = exc.smtp_error.decode("utf-8", "replace") if exc.smtp_error else ""
        return _refusal(exc.smtp_code, f"{type(exc).__name__}: {detail}")
    if isinstance(exc, smtplib.SMTPResponseException):
        name = type(exc).__name__
        return MailError(f"SMTP {exc.smtp_code} ({name})", transient=True, code=exc.smtp_code)
    if isinstance(exc, smtplib.SMTPException):
        return MailError(f"SMTP failure: {type(exc).__name__}: {exc}", transient=True)
    if isinstance(exc, TimeoutError):
        return MailError("SMTP server timed out", transient=True)
    if isinstance(exc, ssl.SSLError):
        return MailError(f"TLS failure talking to SMTP server: {exc}", transient=True)
    return MailError(f"cannot reach SMTP server: {type(exc).__name__}: {exc}", transient=True)


@dataclass(slots=True)
class SmtpBackend:
    """Deliver over SMTP. ``ssl`` = implicit TLS (465); ``starttls`` = upgrade (587)."""

    host: str
    port: int = 587
    starttls: bool = True
    ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        if self.starttls and self.ssl:
            raise ValueError("choose SMTP_STARTTLS or SMTP_SSL, not both")
        plaintext = not (self.starttls or self.ssl)
        if self.username and plaintext and self.host not in _LOOPBACK:
            raise ValueError("refusing to send SMTP credentials without TLS")

    def send(self, email: OutgoingEmail) -> None:
        try:
            data = build_mime(email)
            sender, recipient = envelope_sender(email.from_addr), wire_address(email.to_email)
            utf8 = needs_utf8(email)
        except ValueError as exc:
            raise MailError(f"cannot build message: {exc}", transient=False) from exc
        try:
            with self._connect() as smtp:
                if utf8:
                    self._require_smtputf8(smtp, email)
                smtp.sendmail(sender, [recipient], data, mail_options=["SMTPUTF8"] if utf8 else [])
        except (smtplib.SMTPException, OSError) as exc:
            raise _classify(exc) from exc
        except UnicodeError as exc:  # an address smtplib cannot write: retrying cannot help
            raise MailError(f"cannot send to {email.to_email}: {exc}", transient=False) from exc

    def _require_smtputf8(self, smtp: smtplib.SMTP, email: OutgoingEmail) -> None:
        smtp.ehlo_or_helo_if_needed()
        if not smtp.has_extn("smtputf8"):
            raise MailError(
                f"{email.to_email.strip()} has non-ASCII characters before the @, which can only be "
                f"sent with SMTPUTF8, and the mail server {self.host} does not offer it. Give this "
                "contact an address without them, or use a mail server that supports SMTPUTF8.",
                transient=False)

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


@dataclass(slots=True)
class FileBackend:
    """Write each message to ``<directory>/<safe message id>.eml`` (the default)."""

    directory: Path | str

    def path_for(self, message_id: str) -> Path:
        """Same id, same file: a resend after a crash overwrites, never duplicates."""
        core = normalise_message_id(message_id)[1:-1]
        safe = _SAFE_NAME.sub("_", core).lstrip(".")[:150]
        if safe != core:
            safe += "-" + hashlib.sha256(core.encode()).hexdigest()[:12]
        return Path(self.directory) / f"{safe}.eml"

    def send(self, email: OutgoingEmail) -> None:
        try:
            data = build_mime(email)
            path = self.path_for(email.message_id)
        except ValueError as exc:
            raise MailError(f"cannot build message: {exc}", transient=False) from exc
        try:
            _write_atomically(path, data)
        except OSError as exc:
            raise MailError(f"cannot write {path}: {exc}", transient=True) from exc


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".eml")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(slots=True)
class MemoryBackend:
    """Keep messages in memory (for app tests); ``sent`` holds (email, bytes)."""

    sent: list[tuple[OutgoingEmail, bytes]] = field(default_factory=list)

    def send(self, email: OutgoingEmail) -> None:
        try:
            self.sent.append((email, build_mime(email)))
        except ValueError as exc:
            raise MailError(f"cannot build message: {exc}", transient=False) from exc


# ------------------------------------------------------------------------ config


def _flag(config: Mapping[str, Any], key: str, *, default: bool) -> bool:
    value = config.get(key, default)
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def _smtp_backend(config: Mapping[str, Any]) -> SmtpBackend:
    host = config.get("SMTP_HOST")
    if not host:
        raise ValueError("MAIL_BACKEND=smtp needs SMTP_HOST")
    use_ssl = _flag(config, "SMTP_SSL", default=False)
    starttls = _flag(config, "SMTP_STARTTLS", default=not use_ssl)
    default_port = 465 if use_ssl else 587 if starttls else 25
    return SmtpBackend(
        host=str(host),
        port=int(config.get("SMTP_PORT") or default_port),
        starttls=starttls,
        ssl=use_ssl,
        username=config.get("SMTP_USERNAME") or None,
        password=config.get("SMTP_PASSWORD") or None,
        timeout=float(config.get("SMTP_TIMEOUT") or DEFAULT_TIMEOUT),
    )


def build_backend(config: Mapping[str, Any]) -> MailBackend:
    """Choose the backend from ``MAIL_BACKEND``: ``file`` (default), ``smtp``, ``memory``.

    For ``smtp``, STARTTLS is on unless ``SMTP_SSL`` is set or ``SMTP_STARTTLS`` is
    explicitly false (a local relay); the port defaults to 465, 587 or 25 to match.
    """
    kind = str(config.get("MAIL_BACKEND") or "file").strip().lower()
    if kind == "file":
        return FileBackend(Path(config.get("MAIL_OUTBOX_DIR") or DEFAULT_OUTBOX_DIR))
    if kind == "smtp":
        return _smtp_backend(config)
    if kind == "memory":
        return MemoryBackend()
    raise ValueError(f"unknown MAIL_BACKEND {kind!r} (file, smtp or memory)")
