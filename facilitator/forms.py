"""Form helpers shared by every area."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, abort, flash, request
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from facilitator import transaction
from facilitator.errors import DomainError
from facilitator.extensions import csrf
from facilitator.models.base import MAX_ROW_ID


def show_errors(form: FlaskForm, exc: DomainError, renames: Mapping[str, str] | None = None) -> None:
    """Show a refused change on its form: every problem at once, each next to its field.

    What the service had begun is rolled back first, so the page shows what is stored. A
    service names fields as the API does: ``title``, ``repeat.every`` (its first part is the
    form's field, unless ``renames`` maps it to another), ``[2].status`` (the third line of the
    form's ``rows``). The message goes on top; a name with no field on the form adds nothing more.
    """
    transaction.rollback()
    form.form_errors.append(exc.message)
    for name, message in exc.fields.items():
        field = _field_named(form, (renames or {}).get(name, name))
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]


def _field_named(form: FlaskForm, name: str) -> Any:
    if name.startswith("["):
        index, _, rest = name[1:].partition("].")
        rows = getattr(form, "rows", None)
        if rows is None or not index.isdigit() or int(index) >= len(rows.entries):
            return None
        return getattr(rows.entries[int(index)].form, rest, None)
    return getattr(form, name.split("[")[0].split(".")[0], None)


def flash_refusal(exc: DomainError) -> None:
    """A refused change on a page that redirects: nothing of it is kept, and the message shows."""
    transaction.rollback()
    flash(exc.message, "error")


def blank_to_none(value: Any) -> Any:
    return None if value in ("", None) else value


def choices(pairs: Any) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def row_id(value: Any) -> int:
    """``coerce`` for a select of rows: a ValueError (WTForms: "not a valid choice") unless an id."""
    number = int(value)
    if not 1 <= number <= MAX_ROW_ID:
        raise ValueError(f"{value!r} is not a row id")
    return number


def optional_row_id(value: Any) -> int | None:
    """``row_id`` that takes a blank choice ("", "None") as no row."""
    return None if value in ("", None, "None") else row_id(value)


def _has_nul(values: Iterable[Any]) -> bool:
    for value in values:
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict) and _has_nul(value.values()):
            return True
        if isinstance(value, list) and _has_nul(value):
            return True
    return False


def refuse_nul_characters() -> None:
    """``before_request``: refuse input holding a NUL character (U+0000) with a 400.

    PostgreSQL text cannot store NUL, so such a value failed deep in a service with a 500 (and
    SQLite kept it, so the two databases disagreed). No field of ours has a use for one; a person
    typing cannot enter one. Checked: the path, query, form fields, JSON body and User-Agent.
    """
    parts: list[Any] = [request.path, request.headers.get("User-Agent", "")]
    parts += request.args.listvalues()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        parts += request.form.listvalues()
    elif request.is_json:
        parts.append(request.get_json(silent=True))
    flat = [v for part in parts for v in (part if isinstance(part, list) else [part])]
    if _has_nul(flat):
        abort(400, description="Text may not contain the NUL character (U+0000).")


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(refuse_nul_characters)
