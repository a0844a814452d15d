"""The resource library (issue 19): public learning resources facilitators point homes to.

Topics are rows of ``resource_topics`` (indexed by topic), so filtering by a topic is an indexed
join rather than a search inside a text column."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.users import User


class Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Publisher(Labelled):
    NTTP = "nttp"
    NES = "nes"
    SCOTTISH_GOVERNMENT = "scottish_government"
    CARE_INSPECTORATE = "care_inspectorate"
    SSSC = "sssc"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"nttp": "NTTP", "nes": "NHS Education for Scotland", "sssc": "SSSC"}.get(
            self.value, super().label)


class ResourceFormat(Labelled):
    E_MODULE = "e_module"
    VIDEO = "video"
    ANIMATION = "animation"
    DOCUMENT = "document"
    PAPER_PACK = "paper_pack"
    PODCAST = "podcast"
    OTHER = "other"


class KsfLevel(Labelled):
    """The levels of the Knowledge and Skills Framework, from every worker to specialists."""

    INFORMED = "informed"
    SKILLED = "skilled"
    ENHANCED = "enhanced"
    SPECIALIST = "specialist"


class Resource(Base):
    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    publisher: Mapped[str] = mapped_column(String(30))
    url: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(20), index=True)
    ksf_level: Mapped[str] = mapped_column(String(20), index=True)
    minutes: Mapped[int | None]
    paper_friendly: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    last_checked_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now, onupdate=system_now)

    created_by: Mapped[User | None] = relationship()
    topic_rows: Mapped[list[ResourceTopic]] = relationship(
        cascade="all, delete-orphan", order_by="ResourceTopic.topic")

    @property
    def topics(self) -> list[str]:
        return sorted(row.topic for row in self.topic_rows)


class ResourceTopic(Base):
    """One tag of a resource, stored lower-cased with single spaces."""

    __tablename__ = "resource_topics"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
