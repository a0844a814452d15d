"""Self-assessment: versioned frameworks, each home's rounds, a rating per domain and its history.

A framework version is published once and never edited: a round keeps the version it was taken
with, so a new version (an admin publishes one) never changes an old round's domains.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime


class RatingSource(enum.StrEnum):
    """Where a rating came from: the home through its link, a paper copy typed in, a visit."""

    ONLINE = "online"
    PAPER = "paper"
    VISIT = "visit"


class Framework(Base):
    __tablename__ = "frameworks"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(40))
    scale: Mapped[list[Any]] = mapped_column(JSON)  # [[value, label], ...], lowest first
    principles: Mapped[list[Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    domains: Mapped[list[FrameworkDomain]] = relationship(
        back_populates="framework", order_by="FrameworkDomain.position", cascade="all, delete-orphan"
    )

    def domain_keys(self) -> list[str]:
        return [d.key for d in self.domains]

    def scale_label(self, value: int | None) -> str:
        return next((label for v, label in self.scale if v == value), "Not rated")


class FrameworkDomain(Base):
    __tablename__ = "framework_domains"
    __table_args__ = (UniqueConstraint("framework_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    prompts: Mapped[list[Any]] = mapped_column(JSON)
    key_question: Mapped[str | None] = mapped_column(String(200))

    framework: Mapped[Framework] = relationship(back_populates="domains")


class Assessment(Base):
    """One round of a home's self-assessment."""

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("home_id", "round"),
        CheckConstraint("completed_on IS NULL OR completed_on >= started_on", name="completed_after_started"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"), index=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="RESTRICT"), index=True)
    round: Mapped[int]
    started_on: Mapped[date]
    completed_on: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(10), default=RatingSource.ONLINE.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    framework: Mapped[Framework] = relationship()
    ratings: Mapped[list[AssessmentRating]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )
    participants: Mapped[list[AssessmentParticipant]] = relationship(cascade="all, delete-orphan")

    def rating_for(self, key: str) -> AssessmentRating | None:
        return next((r for r in self.ratings if r.domain_key == key), None)


class AssessmentParticipant(Base):
    """A contact who took part in a round (noted when they save through their link)."""

    __tablename__ = "assessment_participants"

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)


class AssessmentRating(Base):
    """A round's current rating and evidence for one domain; every change is also an
    :class:`AssessmentChange`."""

    __tablename__ = "assessment_ratings"
    __table_args__ = (
        UniqueConstraint("assessment_id", "domain_key"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 4)", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    domain_key: Mapped[str] = mapped_column(String(40))
    rating: Mapped[int | None]
    evidence: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10), default=RatingSource.ONLINE.value)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))

    assessment: Mapped[Assessment] = relationship(back_populates="ratings")


class AssessmentChange(Base):
    """History: who (a contact or a user) changed what in a round, and when. ``kind`` is
    ``rating`` (with the domain's new rating and evidence), ``started``, ``completed``,
    ``reopened`` or ``source``."""

    __tablename__ = "assessment_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    domain_key: Mapped[str | None] = mapped_column(String(40))
    rating: Mapped[int | None]
    evidence: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
