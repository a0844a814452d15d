"""Calendar replies (iMIP REPLY) read from the organizer mailbox, and which messages were read.

``calendar_replies`` keeps one answer per contact and session: the latest one, by the reply's
SEQUENCE and then its DTSTAMP (see ``facilitator.replies.record``). ``mailbox_messages`` is the
claim ledger: a worker inserts (mailbox, UIDVALIDITY, UID) before it reads a message, so two
workers never read the same one; a claim whose worker died runs out (``lease_until``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime


class PartStat(enum.StrEnum):
    """The answers a REPLY can carry that we keep (NEEDS-ACTION, DELEGATED... are ignored)."""

    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    TENTATIVE = "TENTATIVE"

    @property
    def label(self) -> str:
        return {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Maybe"}[self.value]


class CalendarReply(Base):
    """A contact's latest answer for one session, from their calendar client."""

    __tablename__ = "calendar_replies"
    __table_args__ = (UniqueConstraint("session_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    partstat: Mapped[str] = mapped_column(String(12))
    sequence: Mapped[int] = mapped_column(default=0)  # the SEQUENCE the reply carried
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its DTSTAMP
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)


class MailboxMessage(Base):
    """One message of the organizer mailbox, claimed by the worker that reads it."""

    __tablename__ = "mailbox_messages"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(300))  # user@host:port/folder
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    claimed_by: Mapped[str] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))  # set when the message is done
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
