"""Reads of the resource library."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from facilitator.extensions import db
from facilitator.models import Resource, ResourceTopic


def topic_key(topic: str) -> str:
    """A topic as stored and searched: lower case, single spaces."""
    return " ".join(topic.split()).lower()


def search(level: str | None = None, topic: str | None = None, format: str | None = None,
           q: str | None = None) -> list[Resource]:
    """Resources by title; each given filter narrows. ``topic`` is one tag (an indexed lookup in
    ``resource_topics``); ``q`` matches the title or description, case aside."""
    query = select(Resource).order_by(func.lower(Resource.title), Resource.id)
    if level:
        query = query.where(Resource.ksf_level == level)
    if format:
        query = query.where(Resource.format == format)
    if topic and topic_key(topic):
        query = query.where(Resource.id.in_(
            select(ResourceTopic.resource_id).where(ResourceTopic.topic == topic_key(topic))))
    if q and q.strip():
        pattern = f"%{_escaped(q.strip().lower())}%"
        query = query.where(or_(func.lower(Resource.title).like(pattern, escape="\\"),
                                func.lower(Resource.description).like(pattern, escape="\\")))
    return list(db.session.scalars(query))


def all_topics() -> list[str]:
    return list(db.session.scalars(select(ResourceTopic.topic).distinct().order_by(ResourceTopic.topic)))


def at_url(url: str) -> list[Resource]:
    """The resources at an address (an import updates the one it finds; several are ambiguous)."""
    return list(db.session.scalars(select(Resource).where(Resource.url == url.strip()).order_by(Resource.id)))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
