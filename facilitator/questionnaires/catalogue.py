"""The questionnaire templates: the defaults, copies, and edits that never change one in use.

The defaults are written on first use (as the assessment framework is), by the same code that
makes every later version. Editing a questionnaire no round has used changes it; editing one in
use makes the family's next version and retires the old one from new rounds, so every round keeps
the questions it was sent with.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from facilitator.errors import DomainError, NotFoundError
from facilitator.extensions import db
from facilitator.models import (
    QuestionKind,
    Questionnaire,
    QuestionnairePurpose,
    QuestionnaireQuestion,
    QuestionnaireRound,
    User,
)
from facilitator.questionnaires.template_data import DEFAULT_TEMPLATES, QuestionSpec

MAX_QUESTIONS = 20
TEXT_MAX = 300
TITLE_MAX = 200


@dataclass(frozen=True)
class QuestionnaireInput:
    title: str
    introduction: str
    questions: tuple[QuestionSpec, ...]  # a blank key: a new question


def ensure_defaults() -> None:
    """Write the default templates the first time anything asks for questionnaires."""
    if db.session.scalar(select(Questionnaire.id).limit(1)) is not None:
        return
    try:
        with db.session.begin_nested():
            for spec in DEFAULT_TEMPLATES:
                _add(spec.family, 1, spec.title, spec.purpose, spec.introduction, spec.questions, None)
    except IntegrityError:  # another request wrote them meanwhile
        pass


def _add(family: str, version: int, title: str, purpose: str, introduction: str,
         questions: tuple[QuestionSpec, ...], actor: User | None) -> Questionnaire:
    questionnaire = Questionnaire(
        family=family, version=version, title=title, purpose=purpose, introduction=introduction,
        created_by_id=actor.id if actor else None)
    questionnaire.questions = [QuestionnaireQuestion(position=n, key=q.key, text=q.text, kind=q.kind)
                               for n, q in enumerate(questions, start=1)]
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire


def offered(purpose: str | None = None) -> list[Questionnaire]:
    """The templates new rounds can use (the newest active version of each family)."""
    ensure_defaults()
    query = (select(Questionnaire).where(Questionnaire.is_active)
             .options(selectinload(Questionnaire.questions)).order_by(Questionnaire.id))
    if purpose is not None:
        query = query.where(Questionnaire.purpose == purpose)
    return list(db.session.scalars(query))


def every_version() -> list[Questionnaire]:
    ensure_defaults()
    return list(db.session.scalars(select(Questionnaire).options(selectinload(Questionnaire.questions))
                                   .order_by(Questionnaire.family, Questionnaire.version)))


def get(questionnaire_id: int) -> Questionnaire:
    questionnaire = db.session.get(Questionnaire, questionnaire_id)
    if questionnaire is None:
        raise NotFoundError("No such questionnaire.", {"questionnaire_id": "No such questionnaire."})
    return questionnaire


def pulse_questionnaire() -> Questionnaire:
    """The pulse new sessions ask: the newest active pulse template."""
    pulses = offered(QuestionnairePurpose.PULSE.value)
    if not pulses:
        raise NotFoundError("There is no pulse questionnaire.", {"questionnaire_id": "None is active."})
    return pulses[-1]


def in_use(questionnaire: Questionnaire) -> bool:
    return db.session.scalar(select(func.count(QuestionnaireRound.id)).where(
        QuestionnaireRound.questionnaire_id == questionnaire.id)) > 0


def used_ids() -> set[int]:
    """The questionnaires some round has used, in one statement (the admin's list)."""
    return set(db.session.scalars(select(QuestionnaireRound.questionnaire_id).distinct()))


def copy_questionnaire(source: Questionnaire, actor: User | None) -> Questionnaire:
    """A new template of its own family, version 1, with the same questions."""
    family = f"{_slug(source.title)[:40]}-{secrets.token_hex(3)}"
    return _add(family, 1, f"Copy of {source.title}"[:TITLE_MAX], source.purpose, source.introduction,
                tuple(QuestionSpec(q.key, q.text, q.kind) for q in source.questions), actor)


def edit_questionnaire(questionnaire: Questionnaire, data: QuestionnaireInput,
                       actor: User | None) -> Questionnaire:
    """The edited questionnaire: itself when no round used it, else the family's next version."""
    questions = _checked(questionnaire, data)
    if not in_use(questionnaire):
        questionnaire.title, questionnaire.introduction = data.title.strip(), data.introduction.strip()
        questionnaire.questions.clear()
        db.session.flush()  # the old rows go before the new ones take their keys
        questionnaire.questions = [QuestionnaireQuestion(position=n, key=q.key, text=q.text, kind=q.kind)
                                   for n, q in enumerate(questions, start=1)]
        db.session.flush()
        return questionnaire
    newest = db.session.scalar(select(func.max(Questionnaire.version)).where(
        Questionnaire.family == questionnaire.family)) or 0
    for old in db.session.scalars(select(Questionnaire).where(Questionnaire.family == questionnaire.family)):
        old.is_active = False
    return _add(questionnaire.family, newest + 1, data.title.strip(), questionnaire.purpose,
                data.introduction.strip(), questions, actor)


def questionnaire_problems(data: QuestionnaireInput) -> dict[str, str]:
    """Every problem of an edit at once, by field (``title``, ``questions``, ``question_<n>``)."""
    problems: dict[str, str] = {}
    if not data.title.strip():
        problems["title"] = "Give the questionnaire a title."
    elif len(data.title.strip()) > TITLE_MAX:
        problems["title"] = f"Keep the title to {TITLE_MAX} characters."
    for n, q in enumerate(data.questions, start=1):
        if len(q.text.strip()) > TEXT_MAX:
            problems[f"question_{n}"] = f"Question {n} is longer than {TEXT_MAX} characters."
        elif q.kind not in (QuestionKind.SCALE, QuestionKind.TEXT):
            problems[f"question_{n}"] = f"Question {n} must be a 1 to 5 scale or free text."
    kept = [q for q in data.questions if q.text.strip()]
    if not any(q.kind == QuestionKind.SCALE for q in kept):
        problems["questions"] = "Keep at least one question answered on the 1 to 5 scale."
    elif len(kept) > MAX_QUESTIONS:
        problems["questions"] = f"Keep to {MAX_QUESTIONS} questions at most."
    return problems


def _checked(questionnaire: Questionnaire, data: QuestionnaireInput) -> tuple[QuestionSpec, ...]:
    """The questions to keep, with keys: a question's own key stays (so pre and post still
    compare), a new one's is made from its words."""
    if problems := questionnaire_problems(data):
        raise DomainError("The questionnaire was not saved: please correct the fields shown.", problems)
    own = {q.key for q in questionnaire.questions}
    used: set[str] = set()
    result = []
    for q in (q for q in data.questions if q.text.strip()):
        key = q.key if q.key in own and q.key not in used else _new_key(q.text, used | own)
        used.add(key)
        result.append(QuestionSpec(key, q.text.strip(), q.kind))
    return tuple(result)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "question"


def _new_key(text: str, taken: set[str]) -> str:
    base = _slug(text)[:32]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key

