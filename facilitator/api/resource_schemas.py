"""Request and response models of the resource library's API (issue 19)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from facilitator.api.schemas import Input, Output
from facilitator.models import Resource
from facilitator.resources.services import FORMATS, LEVELS, MAX_TOPIC, MAX_TOPICS, PUBLISHERS


def _enum(values: list[str], nullable: bool = False) -> Any:
    return Field(json_schema_extra={"enum": [*values, None] if nullable else values})


def _one_of(values: list[str]) -> Any:
    def check(value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value not in values:
            raise ValueError(f"Choose one of: {', '.join(values)}.")
        return value
    return AfterValidator(check)


Topic = Annotated[str, Field(max_length=200)]
TOPICS_NOTE = f"Up to {MAX_TOPICS} distinct tags, each up to {MAX_TOPIC} characters (stored lower case)"


class ResourceQuery(Input):
    level: Annotated[str | None, _one_of(LEVELS), _enum(LEVELS, nullable=True)] = None
    topic: str | None = Field(default=None, max_length=40)
    format: Annotated[str | None, _one_of(FORMATS), _enum(FORMATS, nullable=True)] = None
    q: str | None = Field(default=None, max_length=200, description="Words in the title or description")


class ResourceCreate(Input):
    title: str = Field(max_length=1000)
    publisher: Annotated[str, _enum(PUBLISHERS)]
    url: str = Field(max_length=1000, description="https:// only")
    format: Annotated[str, _enum(FORMATS)]
    ksf_level: Annotated[str, _enum(LEVELS)]
    topics: list[Topic] = Field(default_factory=list, max_length=50, description=TOPICS_NOTE)
    minutes: int | None = None
    paper_friendly: bool = False
    description: str = Field(default="", max_length=5000)
    last_checked_on: date | None = None


class ResourceUpdate(Input):
    title: str | None = Field(default=None, max_length=1000)
    publisher: Annotated[str | None, _enum(PUBLISHERS)] = None
    url: str | None = Field(default=None, max_length=1000)
    format: Annotated[str | None, _enum(FORMATS)] = None
    ksf_level: Annotated[str | None, _enum(LEVELS)] = None
    topics: list[Topic] | None = Field(default=None, max_length=50, description=TOPICS_NOTE)
    minutes: int | None = None
    paper_friendly: bool | None = None
    description: str | None = Field(default=None, max_length=5000)
    last_checked_on: date | None = None


class ResourceOut(Output):
    id: int
    title: str
    publisher: str
    url: str
    format: str
    ksf_level: str
    topics: list[str]
    minutes: int | None
    paper_friendly: bool
    description: str
    last_checked_on: date | None

    @classmethod
    def of(cls, r: Resource) -> ResourceOut:
        return cls(id=r.id, title=r.title, publisher=r.publisher, url=r.url, format=r.format,
                   ksf_level=r.ksf_level, topics=r.topics, minutes=r.minutes, paper_friendly=r.paper_friendly,
                   description=r.description, last_checked_on=r.last_checked_on)


class ResourceList(Output):
    resources: list[ResourceOut]
