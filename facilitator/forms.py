"""Form helpers shared by every area."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectChoice

from facilitator.errors import DomainError


def apply_domain_errors(form: FlaskForm, exc: DomainError) -> None:
    """Show a service's field errors next to the matching fields (others at the top)."""
    form.form_errors.append(exc.message)
    for name, message in exc.fields.items():
        field = getattr(form, name.split("[")[0].split(".")[0], None)
        if field is not None and hasattr(field, "errors"):
            if isinstance(field.errors, tuple):
                field.errors = list(field.errors)
            field.errors.append(message)


def blank_to_none(value: Any) -> Any:
    return None if value in ("", None) else value


def choices(pairs: Any) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]
