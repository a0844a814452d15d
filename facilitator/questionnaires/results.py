"""Results: counts per answer, with small numbers suppressed (``QUESTIONNAIRE_MIN_CELL``).

A question answered by fewer than ``QUESTIONNAIRE_MIN_CELL`` people shows no counts and no mean,
only "fewer than 3 responses"; its free text is shown only from that many answers, sorted (never
in the order given, which could say who wrote what). The pre/post change compares statements by
key, and is suppressed when either side is. A few queries per round, whatever its size.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from facilitator.csv_cells import BOM, safe_cell
from facilitator.extensions import db
from facilitator.models import (
    QuestionKind,
    QuestionnaireAnswer,
    QuestionnaireInvite,
    QuestionnaireQuestion,
    QuestionnaireResponse,
    QuestionnaireRound,
    RoundKind,
)
from facilitator.models.questionnaires import SCALE_VALUES


def min_cell() -> int:
    return int(current_app.config["QUESTIONNAIRE_MIN_CELL"])


def suppressed_words() -> str:
    return f"fewer than {min_cell()} responses"


def scale_counts(round_ids: Iterable[int]) -> dict[str, dict[int, int]]:
    """Question key → answer → how many, over the rounds."""
    ids = list(round_ids)
    counts: dict[str, dict[int, int]] = defaultdict(dict)
    if not ids:
        return counts
    rows = db.session.execute(
        select(QuestionnaireAnswer.question_key, QuestionnaireAnswer.value, func.count())
        .join(QuestionnaireResponse).where(QuestionnaireResponse.round_id.in_(ids),
                                           QuestionnaireAnswer.value.is_not(None))
        .group_by(QuestionnaireAnswer.question_key, QuestionnaireAnswer.value))
    for key, value, n in rows:
        counts[key][int(value)] = int(n)
    return counts


def _text_counts(round_id: int) -> dict[str, int]:
    return dict(db.session.execute(
        select(QuestionnaireAnswer.question_key, func.count()).join(QuestionnaireResponse)
        .where(QuestionnaireResponse.round_id == round_id, QuestionnaireAnswer.text.is_not(None))
        .group_by(QuestionnaireAnswer.question_key)).all())


def _texts(round_id: int, key: str) -> list[str]:
    return sorted(db.session.scalars(
        select(QuestionnaireAnswer.text).join(QuestionnaireResponse)
        .where(QuestionnaireResponse.round_id == round_id, QuestionnaireAnswer.question_key == key,
               QuestionnaireAnswer.text.is_not(None))), key=str.casefold)


def scale_figures(counts: dict[int, int]) -> dict[str, Any]:
    """``counts``/``mean``/``suppressed`` for one question, suppressed under the minimum."""
    total = sum(counts.values())
    if total < min_cell():
        return {"answered": None, "counts": None, "mean": None, "suppressed": True}
    mean = sum(value * n for value, n in counts.items()) / total
    return {"answered": total, "counts": {str(v): counts.get(v, 0) for v in SCALE_VALUES},
            "mean": round(mean, 2), "suppressed": False}


def response_count(round_ids: Iterable[int]) -> int:
    ids = list(round_ids)
    return db.session.scalar(select(func.count(QuestionnaireResponse.id))
                             .where(QuestionnaireResponse.round_id.in_(ids))) if ids else 0


def invited_count(round_: QuestionnaireRound) -> int:
    """Pre and post: the contacts invited. A pulse invites nobody: those who answered."""
    if round_.kind == RoundKind.PULSE:
        return response_count([round_.id])
    return db.session.scalar(select(func.count(QuestionnaireInvite.id))
                             .where(QuestionnaireInvite.round_id == round_.id))


def counts_by_round(rounds: list[QuestionnaireRound]) -> dict[int, tuple[int, int]]:
    """Round id → (responses, invited) for many rounds in two statements (the group's page)."""
    ids = [r.id for r in rounds]
    if not ids:
        return {}
    responses = dict(db.session.execute(select(QuestionnaireResponse.round_id, func.count()).where(
        QuestionnaireResponse.round_id.in_(ids)).group_by(QuestionnaireResponse.round_id)).all())
    invited = dict(db.session.execute(select(QuestionnaireInvite.round_id, func.count()).where(
        QuestionnaireInvite.round_id.in_(ids)).group_by(QuestionnaireInvite.round_id)).all())
    return {r.id: (responses.get(r.id, 0), responses.get(r.id, 0) if r.kind == RoundKind.PULSE
                   else invited.get(r.id, 0)) for r in rounds}


def round_results(round_: QuestionnaireRound) -> dict[str, Any]:
    """The API's results of one round; text questions carry their answers from the minimum."""
    scale, texts = scale_counts([round_.id]), _text_counts(round_.id)
    questions = []
    for question in round_.questionnaire.questions:
        item: dict[str, Any] = {"key": question.key, "text": question.text, "kind": question.kind}
        if question.kind == QuestionKind.TEXT:
            n = texts.get(question.key, 0)
            shown = n >= min_cell()
            item |= {"answered": n if shown else None, "counts": None, "mean": None, "suppressed": not shown,
                     "answers": _texts(round_.id, question.key) if shown else None}
        else:
            item |= scale_figures(scale.get(question.key, {}))
        questions.append(item)
    return {"round_id": round_.id, "kind": round_.kind, "questionnaire_id": round_.questionnaire_id,
            "responses": response_count([round_.id]), "invited": invited_count(round_),
            "min_cell": min_cell(), "questions": questions}


def change(pre_ids: list[int], post_ids: list[int],
           questions: Iterable[QuestionnaireQuestion]) -> list[dict[str, Any]]:
    """Per statement: the mean before and after, and the change, each side suppressed under the
    minimum (the change with it)."""
    pre, post = scale_counts(pre_ids), scale_counts(post_ids)
    rows = []
    for question in questions:
        if question.kind != QuestionKind.SCALE:
            continue
        before, after = scale_figures(pre.get(question.key, {})), scale_figures(post.get(question.key, {}))
        hidden = before["suppressed"] or after["suppressed"]
        rows.append({"key": question.key, "text": question.text, "pre_mean": before["mean"],
                     "post_mean": after["mean"], "pre_answered": before["answered"],
                     "post_answered": after["answered"], "suppressed": hidden,
                     "change": None if hidden else round(after["mean"] - before["mean"], 2)})
    return rows


def group_change(group_id: int) -> dict[str, Any] | None:
    """The group's latest post round against its latest pre round of the same questionnaire family."""
    rounds = list(db.session.scalars(select(QuestionnaireRound).where(
        QuestionnaireRound.group_id == group_id, QuestionnaireRound.sent_at.is_not(None),
        QuestionnaireRound.kind.in_((RoundKind.PRE.value, RoundKind.POST.value)))
        .order_by(QuestionnaireRound.send_on.desc(), QuestionnaireRound.id.desc())))
    post = next((r for r in rounds if r.kind == RoundKind.POST), None)
    pre = post and next((r for r in rounds if r.kind == RoundKind.PRE
                         and r.questionnaire.family == post.questionnaire.family), None)
    if post is None or pre is None:
        return None
    return {"pre_round_id": pre.id, "post_round_id": post.id,
            "statements": change([pre.id], [post.id], post.questionnaire.questions)}


def results_csv(results: dict[str, Any]) -> str:
    """The aggregates only: one row per question, no answer given by anyone in words."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["question", "text", "answered", *SCALE_VALUES, "mean", "shown"])
    for q in results["questions"]:
        counts = q["counts"] or {}
        writer.writerow([safe_cell(q["key"]), safe_cell(q["text"]),
                         q["answered"] if not q["suppressed"] else suppressed_words(),
                         *[counts.get(str(v), "") for v in SCALE_VALUES],
                         "" if q["mean"] is None else q["mean"], "no" if q["suppressed"] else "yes"])
    return BOM + out.getvalue()
