"""Declarative base, the constraint naming convention and the UTC datetime column type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Row ids are PostgreSQL ``integer`` columns: a bigger number names no row, and handing it to the
# database fails ("integer out of range"; SQLite: "int too large") with a 500 instead of a 404.
MAX_ROW_ID = 2**31 - 1


def can_be_row_id(number: int) -> bool:
    return 0 < number <= MAX_ROW_ID

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every database and hands back aware UTC datetimes.

    SQLite has no time zones and PostgreSQL's ``timestamptz`` converts to the session zone;
    one representation everywhere keeps comparisons and tests identical on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def alembic_compare_type(context: Any, inspected_column: Any, metadata_column: Any,
                         inspected_type: Any, metadata_type: Any) -> bool | None:
    """Tell Alembic that our UTC column is a plain DateTime in the database."""
    if isinstance(metadata_type, UTCDateTime):
        return not isinstance(inspected_type, DateTime)
    return None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
