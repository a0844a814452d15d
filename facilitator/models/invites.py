"""Invitations: the email outbox, who was sent what, personal links, joins and reminders.

Tokens (join links and personal links) are stored as their SHA-256. A join link is minted per
email; a contact has one home-page link and one feed link, re-used by every email, so those two
are also kept encrypted (keyed from ``SECRET_KEY``) to be sent again; see
``facilitator.invites.tokens``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.homes import CareHome, Contact
from facilitator.models.meetings import MeetingSession
from facilitator.models.series import Series


class MessageKind(enum.StrEnum):
    REQUEST = "request"  # an invite or an update (iMIP METHOD:REQUEST)
    CANCEL = "cancel"  # iMIP METHOD:CANCEL
    REMINDER = "reminder"  # a plain email before the session
    HOME_LINK = "home_link"  # a plain email with the contact's home-page and feed links
    ACTIONS = "actions"  # the weekly digest of a contact's overdue actions (issue 16)
    MISSED_YOU = "missed_you"  # a follow-up's "We missed you", with the group's next session (issue 18)
    SUMMARY = "summary"  # a session's summary, to every home of the group (issue 19)
    INDICATORS = "indicators"  # the 1st of the month's ask for last month's return (issue 19)
    QUESTIONNAIRE = "questions"  # a contact's personal link to a pre or post questionnaire (issue 20)
    # An email written in full by its caller (account emails, such as a password reset), to a
    # user rather than a contact: no contact, no session, no calendar.
    ACCOUNT = "account"

    @property
    def is_calendar(self) -> bool:
        return self in (MessageKind.REQUEST, MessageKind.CANCEL)


CALENDAR_KINDS = (MessageKind.REQUEST.value, MessageKind.CANCEL.value)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # superseded by a newer message, or no longer applies


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing had reached them, so nothing needed cancelling


class Method(enum.StrEnum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


class OutboxMessage(Base):
    """One email to one address, written in the transaction of the change that causes it.

    The worker renders the content on its first attempt and keeps it, so every retry (and the
    resend after a crash between sending and recording it) is byte-identical, with the same
    ``Message-ID``. Bodies hold fresh tokens, so they are cleared once the message is sent.

    Every message is for a contact except an account email (``kind`` ``account``), which goes to a
    user and is written with its content already filled in.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_messages_session_id_contact_id", "session_id", "contact_id"),
        CheckConstraint("contact_id IS NOT NULL OR kind = 'account'", name="contact_unless_account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING.value)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"))
    # A series invitation (one calendar entry for the whole series); with a session_id as well,
    # the CANCEL of that one occurrence.
    series_id: Mapped[str | None] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    # For a reminder: the start time it reminds of (a session that moved makes it void).
    reminder_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Filled in when rendered.
    subject: Mapped[str] = mapped_column(String(300), default="")
    sequence: Mapped[int | None]
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    calendar: Mapped[bytes | None] = mapped_column(LargeBinary)
    calendar_method: Mapped[str | None] = mapped_column(String(10))
    headers_json: Mapped[str | None] = mapped_column(Text)
    from_addr: Mapped[str | None] = mapped_column(String(300))
    reply_to: Mapped[str | None] = mapped_column(String(300))
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Delivery bookkeeping.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    session: Mapped[MeetingSession | None] = relationship()
    series: Mapped[Series | None] = relationship()
    contact: Mapped[Contact | None] = relationship()


class InviteDelivery(Base):
    """Per session and contact: invited or cancelled, and what reached them (for the facilitator)."""

    __tablename__ = "invite_deliveries"
    __table_args__ = (UniqueConstraint("session_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    # REQUEST: invited (the latest calendar message queued for them is an invite or update).
    method: Mapped[str] = mapped_column(String(10))
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.PENDING.value)
    sequence: Mapped[int | None]  # the SEQUENCE last sent to them
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    session: Mapped[MeetingSession] = relationship()
    contact: Mapped[Contact] = relationship()

    @property
    def is_invited(self) -> bool:
        return self.method == Method.REQUEST


class InvitationToken(Base):
    """A join link (``/j/<token>``) for one contact and one session; only the hash is kept."""

    __tablename__ = "invitation_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[MeetingSession] = relationship()
    contact: Mapped[Contact] = relationship()


class LinkKind(enum.StrEnum):
    HOME = "home"  # /h/<token>: the contact's page and reminder settings; expires
    FEED = "feed"  # /feeds/<token>.ics and its sessions; lasts until rotated
    # A link minted before 0012, when one link served both: it keeps doing both (its page part
    # expiring like a home link) until either link of the contact is rotated. It cannot be sent
    # again (only its hash was kept), so emails carry the new links.
    LEGACY = "legacy"


class ContactToken(Base):
    """A contact's personal link of one kind; at most one live (not revoked) per contact and kind.

    ``ciphertext`` holds the token encrypted so that emails can carry it again; it is cleared when
    the link is revoked. Its hash is the lookup key, as for every link.
    """

    __tablename__ = "contact_tokens"
    __table_args__ = (
        Index("uq_contact_tokens_live", "contact_id", "kind", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=LinkKind.HOME.value)
    ciphertext: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship()


class JoinRecord(Base):
    """Someone opened a join link (not a HEAD request, not a known link scanner)."""

    __tablename__ = "join_records"
    __table_args__ = (Index("ix_join_records_session_id_home_id", "session_id", "home_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"))
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    user_agent_family: Mapped[str] = mapped_column(String(60), default="")
    # True when the link forwarded to the meeting (from the join window until the end).
    in_window: Mapped[bool] = mapped_column(default=False)
    via: Mapped[str] = mapped_column(String(10), default="email")

    session: Mapped[MeetingSession] = relationship()
    home: Mapped[CareHome] = relationship()
    contact: Mapped[Contact] = relationship()


class ReminderSend(Base):
    """A reminder queued for one contact, session and offset: at most one each, ever."""

    __tablename__ = "reminder_sends"
    __table_args__ = (UniqueConstraint("session_id", "contact_id", "offset_minutes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    offset_minutes: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Null when it was not worth sending (a nearer reminder was due too, or the invite was late).
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)


class ReminderOptOut(Base):
    """A contact asked for no more reminders (invites, updates and cancellations still go)."""

    __tablename__ = "reminder_optouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)


class EventOrganizer(Base):
    """The ORGANIZER a session's UID was first sent with (by email, feed or download).

    Every later copy of the event carries it, whoever facilitates the group by then: a client
    given another ORGANIZER for a UID it knows treats the update as someone else's event.
    """

    __tablename__ = "event_organizers"

    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"),
                                            primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    fixed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
