"""Self-assessment frameworks and each home's rounds (issue 16)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from flask import g
from pydantic import Field

from facilitator.access import MANAGERS, READERS, get_or_404
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output, RowId, present_fields
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.journey import assessments as rounds
from facilitator.journey.access import journey_home_or_404
from facilitator.journey.frameworks import all_frameworks
from facilitator.models import Assessment, Framework

JOURNEY_READERS = READERS  # admin, lead, facilitator (their homes only); supervisors none
JOURNEY_WRITERS = MANAGERS  # admin, facilitator (their homes only)
SOURCES = ["online", "paper", "visit"]


class ScaleOut(Output):
    value: int
    label: str


class DomainOut(Output):
    key: str
    title: str
    prompts: list[str]
    key_question: str | None = None


class FrameworkOut(Output):
    id: int
    name: str
    version: str
    scale: list[ScaleOut]
    domains: list[DomainOut]

    @classmethod
    def of(cls, f: Framework) -> FrameworkOut:
        return cls(id=f.id, name=f.name, version=f.version,
                   scale=[ScaleOut(value=v, label=label) for v, label in f.scale],
                   domains=[DomainOut(key=d.key, title=d.title, prompts=list(d.prompts),
                                      key_question=d.key_question) for d in f.domains])


class FrameworkList(Output):
    frameworks: list[FrameworkOut]


class RatingOut(Output):
    rating: int | None
    evidence: str


class AssessmentOut(Output):
    id: int
    home_id: int
    framework_id: int
    round: int
    started_on: date
    completed_on: date | None
    source: str
    ratings: dict[str, RatingOut]

    @classmethod
    def of(cls, a: Assessment) -> AssessmentOut:
        return cls(id=a.id, home_id=a.home_id, framework_id=a.framework_id, round=a.round,
                   started_on=a.started_on, completed_on=a.completed_on, source=a.source,
                   ratings={r.domain_key: RatingOut(rating=r.rating, evidence=r.evidence) for r in a.ratings})


class AssessmentList(Output):
    assessments: list[AssessmentOut]


class AssessmentCreate(Input):
    framework_id: RowId | None = None
    started_on: date | None = None


class RatingIn(Input):
    rating: int
    evidence: Annotated[str, Field(max_length=10_000)] | None = None


class AssessmentUpdate(Input):
    ratings: dict[str, RatingIn] | None = None
    source: Annotated[str, Field(json_schema_extra={"enum": SOURCES})] | None = None
    completed_on: date | None = None


@operation("/frameworks", "GET", roles=JOURNEY_READERS, summary="Self-assessment frameworks, every version",
           response=FrameworkList)
def list_frameworks() -> FrameworkList:
    return FrameworkList(frameworks=[FrameworkOut.of(f) for f in all_frameworks()])


@operation("/homes/<int:home_id>/assessments", "GET", roles=JOURNEY_READERS,
           summary="A home's self-assessment rounds", response=AssessmentList)
def list_assessments(home_id: int) -> AssessmentList:
    home = journey_home_or_404(home_id)
    return AssessmentList(assessments=[AssessmentOut.of(a) for a in rounds.rounds_of(home.id)])


@operation("/homes/<int:home_id>/assessments", "POST", roles=JOURNEY_WRITERS,
           summary="Start a home's next self-assessment round", body=AssessmentCreate,
           response=AssessmentOut, status=201)
def create_assessment(home_id: int, body: AssessmentCreate) -> AssessmentOut:
    home = journey_home_or_404(home_id, write=True)
    framework = None
    if body.framework_id is not None:
        framework = db.session.get(Framework, body.framework_id)
        if framework is None:
            raise DomainError("Some fields are not valid.", {"framework_id": "No such framework."})
    return AssessmentOut.of(rounds.start_round(home, rounds.Actor(user=g.user), body.started_on, framework))


def _assessment(assessment_id: int, write: bool = False) -> Assessment:
    assessment = get_or_404(Assessment, assessment_id)
    journey_home_or_404(assessment.home_id, write)
    return assessment


@operation("/assessments/<int:assessment_id>", "GET", roles=JOURNEY_READERS,
           summary="One self-assessment round", response=AssessmentOut)
def get_assessment(assessment_id: int) -> AssessmentOut:
    return AssessmentOut.of(_assessment(assessment_id))


@operation("/assessments/<int:assessment_id>", "PATCH", roles=JOURNEY_WRITERS,
           summary="Rate a round's domains, set its source, complete or reopen it",
           body=AssessmentUpdate, response=AssessmentOut)
def update_assessment(assessment_id: int, body: AssessmentUpdate) -> AssessmentOut:
    assessment = _assessment(assessment_id, write=True)
    fields = present_fields(body)
    if "source" in fields and fields["source"] is None:
        raise DomainError("Some fields are not valid.", {"source": "This field cannot be null."})
    changes = rounds.RoundChanges(
        ratings={k: rounds.RatingInput(v.rating, v.evidence) for k, v in (body.ratings or {}).items()},
        source=body.source, set_completed="completed_on" in fields, completed_on=body.completed_on)
    return AssessmentOut.of(rounds.change_round(assessment, changes, rounds.Actor(user=g.user)))
