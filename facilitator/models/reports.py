"""A frozen programme report (issue 20): the figures and the PDF exactly as they were when a lead
froze them. Immutable: nothing updates a snapshot, and it is never recomputed from live data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.users import User

NARRATIVE_MAX = 20000


class ProgrammeReport(Base):
    __tablename__ = "programme_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    date_from: Mapped[date]
    date_to: Mapped[date]
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    narrative: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    frozen_by: Mapped[User | None] = relationship()
