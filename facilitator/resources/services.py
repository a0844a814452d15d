"""Writes of the resource library. Flush, never commit.

``resource_problems`` is the one statement of what a resource's details must be: the form, the
API and the CSV import all ask it, so the three can never accept different things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from facilitator.clock import local_today
from facilitator.errors import FIELDS_INVALID, DomainError
from facilitator.extensions import db
from facilitator.models import KsfLevel, Publisher, Resource, ResourceFormat, ResourceTopic, User
from facilitator.resources.queries import topic_key

MAX_TITLE = 200
MAX_URL = 500
MAX_DESCRIPTION = 1000
MAX_TOPIC = 40
MAX_TOPICS = 10
MAX_MINUTES = 600
PUBLISHERS = [p.value for p in Publisher]
FORMATS = [f.value for f in ResourceFormat]
LEVELS = [level.value for level in KsfLevel]


@dataclass
class ResourceData:
    title: str
    publisher: str
    url: str
    format: str
    ksf_level: str
    topics: list[str] = field(default_factory=list)
    minutes: int | None = None
    paper_friendly: bool = False
    description: str = ""
    last_checked_on: date | None = None


def url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme != "https" or not parts.hostname or " " in url:
        return f"Enter the resource's address starting https:// (up to {MAX_URL} characters)."
    return None


def _choice_problem(value: str, allowed: list[str]) -> str | None:
    return None if value in allowed else f"Choose one of: {', '.join(allowed)}."


def _title_problem(title: str) -> str | None:
    if not title.strip():
        return "Enter the resource's title."
    return f"Up to {MAX_TITLE} characters." if len(title.strip()) > MAX_TITLE else None


def _topics_problem(topics: list[str]) -> str | None:
    keys = {topic_key(t) for t in topics if t.strip()}
    if len(keys) > MAX_TOPICS:
        return f"Up to {MAX_TOPICS} topics."
    long = [t for t in keys if len(t) > MAX_TOPIC]
    return f"Each topic up to {MAX_TOPIC} characters." if long else None


def _minutes_problem(minutes: int | None) -> str | None:
    if minutes is None or 1 <= minutes <= MAX_MINUTES:
        return None
    return f"Enter the length in minutes, from 1 to {MAX_MINUTES}."


def resource_problems(data: ResourceData) -> dict[str, str]:
    """Every problem of a resource's details at once, by field; nothing is changed."""
    found = {
        "title": _title_problem(data.title),
        "publisher": _choice_problem(data.publisher, PUBLISHERS),
        "url": url_problem(data.url.strip()),
        "format": _choice_problem(data.format, FORMATS),
        "ksf_level": _choice_problem(data.ksf_level, LEVELS),
        "topics": _topics_problem(data.topics),
        "minutes": _minutes_problem(data.minutes),
        "description": f"Up to {MAX_DESCRIPTION} characters."
        if len(data.description.strip()) > MAX_DESCRIPTION else None,
        "last_checked_on": "The date cannot be in the future."
        if data.last_checked_on and data.last_checked_on > local_today() else None,
    }
    return {name: message for name, message in found.items() if message}


def save_resource(data: ResourceData, resource: Resource | None = None,
                  user: User | None = None) -> Resource:
    """Create a resource (``resource`` None, by ``user``) or change one; every problem at once."""
    problems = resource_problems(data)
    if problems:
        raise DomainError(FIELDS_INVALID, problems)
    if resource is None:
        resource = Resource(created_by_id=user.id if user else None)
        db.session.add(resource)
    resource.title, resource.url = " ".join(data.title.split()), data.url.strip()
    resource.publisher, resource.format, resource.ksf_level = data.publisher, data.format, data.ksf_level
    resource.minutes, resource.paper_friendly = data.minutes, data.paper_friendly
    resource.description, resource.last_checked_on = data.description.strip(), data.last_checked_on
    _set_topics(resource, {topic_key(t) for t in data.topics if t.strip()})
    db.session.flush()
    return resource


def data_of(resource: Resource) -> ResourceData:
    """A stored resource's details, the start of a partial change."""
    return ResourceData(
        title=resource.title, publisher=resource.publisher, url=resource.url, format=resource.format,
        ksf_level=resource.ksf_level, topics=resource.topics, minutes=resource.minutes,
        paper_friendly=resource.paper_friendly, description=resource.description,
        last_checked_on=resource.last_checked_on)


def _set_topics(resource: Resource, keys: set[str]) -> None:
    """Keep the rows that stay, drop the others, add the new: no row is replaced by its twin."""
    resource.topic_rows = [r for r in resource.topic_rows if r.topic in keys]
    have = {r.topic for r in resource.topic_rows}
    resource.topic_rows += [ResourceTopic(topic=k) for k in sorted(keys - have)]
