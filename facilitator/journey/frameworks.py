"""Publishing framework versions and finding the one a new round is taken with."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from facilitator.errors import ConflictError
from facilitator.extensions import db
from facilitator.journey.framework_data import DEFAULT_FRAMEWORK, PRINCIPLES, SCALE, FrameworkSpec
from facilitator.models import Framework, FrameworkDomain


def publish_framework(spec: FrameworkSpec = DEFAULT_FRAMEWORK) -> Framework:
    """A new framework version as rows; a version already published is refused (a published
    version never changes: rounds taken with it keep its domains)."""
    if find_framework(spec.name, spec.version) is not None:
        raise ConflictError(f"Version {spec.version} of {spec.name!r} is already published.",
                            {"version": "Already published."})
    framework = Framework(name=spec.name, version=spec.version, scale=[list(s) for s in SCALE],
                          principles=list(PRINCIPLES))
    framework.domains = [
        FrameworkDomain(position=n, key=d.key, title=d.title, prompts=list(d.prompts),
                        key_question=d.key_question)
        for n, d in enumerate(spec.domains, start=1)]
    db.session.add(framework)
    db.session.flush()
    return framework


def find_framework(name: str, version: str) -> Framework | None:
    return db.session.scalar(select(Framework).where(Framework.name == name, Framework.version == version))


def all_frameworks() -> list[Framework]:
    """Every published version, oldest first (the default published first if there is none)."""
    current_framework()
    return list(db.session.scalars(
        select(Framework).options(selectinload(Framework.domains)).order_by(Framework.id)))


def current_framework() -> Framework:
    """The newest published version (a new round is taken with it). The default is published on
    first use rather than by the migration: a fresh database needs no extra step, and the rows
    are made by the same code as every later version."""
    newest = db.session.scalar(select(Framework).order_by(Framework.id.desc()).limit(1))
    if newest is not None:
        return newest
    try:
        with db.session.begin_nested():
            return publish_framework(DEFAULT_FRAMEWORK)
    except IntegrityError:  # another request published it meanwhile
        return db.session.scalars(select(Framework).order_by(Framework.id.desc()).limit(1)).one()
