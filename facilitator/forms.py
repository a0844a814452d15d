"""Form helpers shared by every area."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask import Flask, abort, current_app, flash, request
from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.widgets import CheckboxInput, RadioInput

from facilitator import transaction
from facilitator.errors import FIELDS_INVALID, BadInput, DomainError
from facilitator.extensions import csrf
from facilitator.models.base import can_be_row_id


def show_errors(form: FlaskForm, exc: DomainError, renames: Mapping[str, str] | None = None) -> None:
    """Show a refused change on its form: every problem at once, each next to its field.

    What the service had begun is rolled back first, so the page shows what is stored. A
    service names fields as the API does: ``title``, ``repeat.every`` (its first part is the
    form's field, unless ``renames`` maps it to another), ``[2].status`` (the third line of the
    form's ``rows``). The message goes on top, unless it only says what the fields beside it
    say (or that some are not valid): the summary lists those; a name with no field adds nothing more.
    """
    transaction.rollback()
    placed = add_field_errors(form, exc.fields, renames)
    if not placed or exc.message not in (FIELDS_INVALID, *exc.fields.values()):
        form.form_errors.append(exc.message)


def add_field_errors(form: FlaskForm, problems: Mapping[str, str],
                     renames: Mapping[str, str] | None = None) -> bool:
    """Put each problem beside its field (a field that already shows one keeps only its own);
    True when at least one problem found a field, so the summary lists it and needs no
    general message."""
    placed = False
    for name, message in problems.items():
        field = _field_named(form, (renames or {}).get(name, name))
        if field is not None and hasattr(field, "errors"):
            placed = True
            if message not in field.errors:
                field.errors = [*field.errors, message]
    return placed


def validate_all(form: FlaskForm, check: Callable[[], Mapping[str, str]],
                 renames: Mapping[str, str] | None = None) -> bool:
    """``validate_on_submit`` that also asks the service's rules, so a person sees every problem
    of the form at once rather than one per submit: the form's own checks (a date that is not a
    date, a number out of range) and the service's (a date in the future, an order of dates).

    ``check`` returns the service's problems by field name without changing anything; it is
    only called for a submitted form, and a field the form already refused keeps only the
    form's message. True when nothing is wrong.
    """
    if not form.is_submitted():
        return False
    valid = form.validate()
    if "csrf_token" not in form.errors:
        problems = {name: message for name, message in check().items()
                    if not getattr(_field_named(form, (renames or {}).get(name, name)), "errors", None)}
        if add_field_errors(form, problems, renames):
            valid = False
    return valid


def form_problems(form: FlaskForm) -> list[tuple[str | None, str]]:
    """Every error of a form, in the order of its fields, as ``(id to link to, message)`` for the
    summary at the top; the id is None for the form's own errors and its hidden fields."""
    found: list[tuple[str | None, str]] = [(None, e) for e in form.form_errors]
    for field in _leaf_fields(form):
        hidden = field.type in ("HiddenField", "CSRFTokenField")
        target = None if hidden else _target_id(field)
        found += [(target, e) for e in field.errors if isinstance(e, str)]
    return found


def _leaf_fields(form: Any) -> Iterator[Any]:
    for field in form:
        if field.type == "FieldList":
            for entry in field.entries:
                yield from _leaf_fields(entry.form) if entry.type == "FormField" else [entry]
        elif field.type == "FormField":
            yield from _leaf_fields(field.form)
        else:
            yield field


def _target_id(field: Any) -> str:
    """The element to move to: a list of checkboxes or radios has its first option's id."""
    if isinstance(getattr(field, "option_widget", None), CheckboxInput | RadioInput):
        return f"{field.id}-0"
    return str(field.id)


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
    if not can_be_row_id(number):
        raise ValueError(f"{value!r} is not a row id")
    return number


def optional_row_id(value: Any) -> int | None:
    """``row_id`` that takes a blank choice ("", "None") as no row."""
    return None if value in ("", None, "None") else row_id(value)


NUL_REFUSED = "Text may not contain the NUL character (U+0000)."
MAX_JSON_DEPTH = 32  # arrays and objects inside each other; ours nest three deep at most


def refuse_oversized_body() -> None:
    """``before_request``, before anything else: a body larger than ``MAX_BODY_BYTES`` is answered
    413 before a byte of it is read (Werkzeug also stops reading one that comes without a length)."""
    length = request.content_length
    if length is not None and length > current_app.config["MAX_CONTENT_LENGTH"]:
        abort(413)


def refuse_nul_characters() -> None:
    """``before_request``: refuse input holding a NUL character (U+0000) with a 400.

    PostgreSQL text cannot store NUL, so such a value failed deep in a service with a 500 (and
    SQLite kept it, so the two databases disagreed). No field of ours has a use for one; a person
    typing cannot enter one. Checked here: the path, query, form fields and User-Agent; a JSON
    body is checked by ``read_json``, only where a view asks for it.
    """
    parts: list[Any] = [request.path, request.headers.get("User-Agent", "")]
    parts += request.args.listvalues()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        parts += request.form.listvalues()
    flat = [v for part in parts for v in (part if isinstance(part, list) else [part])]
    if any(isinstance(v, str) and "\x00" in v for v in flat):
        abort(400, description=NUL_REFUSED)


def read_json(raw: bytes | str | None = None, **loads: Any) -> Any:
    """The request's body (or ``raw``) as JSON, for a view that asks for one; None when it is
    not JSON (``loads`` go to ``json.loads``). Refused (400, naming the body): nesting deeper
    than ``MAX_JSON_DEPTH``, a NUL character."""
    if raw is None:
        if not request.is_json:
            return None
        raw = request.get_data(cache=True)
    too_deep = f"The body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."
    try:
        data = json.loads(raw, **loads)
    except RecursionError:
        raise BadInput(too_deep, {"body": too_deep}) from None
    except ValueError:
        return None
    problem = _json_problem(data)
    if problem:
        raise BadInput(problem, {"body": problem})
    return data


def _json_problem(data: Any) -> str | None:
    """Depth and NUL characters, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"The body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."
            items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
            for key, item in items:
                if isinstance(key, str) and "\x00" in key:
                    return NUL_REFUSED
                stack.append((item, depth + 1))
        elif isinstance(value, str) and "\x00" in value:
            return NUL_REFUSED
    return None


def init_app(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_BODY_BYTES"])
    csrf.init_app(app)
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_oversized_body)
    app.before_request(refuse_nul_characters)
