from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from facilitator.forms import choices, optional_row_id
from facilitator.models.supervision import SupervisionFormat
from facilitator.supervision.comments import MAX_COMMENT
from facilitator.supervision.services import MAX_ACTION, MAX_TEXT, THEMES, ActionInput, RecordInput

ACTION_ROWS = 3


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NoteForm(FlaskForm):
    session_id = SelectField("Session", coerce=optional_row_id, validate_choice=False,
                             validators=[InputRequired("Choose the session this note is about.")])
    home_id = SelectField("About one home (optional)", coerce=optional_row_id, validate_choice=False)
    body = TextAreaField("Note", validators=[DataRequired("Write the note first."), Length(max=MAX_TEXT)])
    shared = BooleanField("Share this note with my supervisor")


class EditNoteForm(FlaskForm):
    home_id = SelectField("About one home (optional)", coerce=optional_row_id, validate_choice=False)
    body = TextAreaField("Note", validators=[DataRequired("Write the note first."), Length(max=MAX_TEXT)])
    shared = BooleanField("Share this note with my supervisor")


class CommentForm(FlaskForm):
    body = TextAreaField("Your comment", validators=[DataRequired("Write the comment first."),
                                                    Length(max=MAX_COMMENT)])


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""


class ActionForm(Form):
    text = StringField("Action", validators=[Optional(), Length(max=MAX_ACTION)])
    done = BooleanField("Done")


class SupervisionForm(FlaskForm):
    held_on = DateField("Date of supervision", validators=[InputRequired("Enter the date.")])
    supervisor_id = SelectField("Supervisor", coerce=optional_row_id, validate_choice=False)
    external_supervisor = StringField("External supervisor's name (if not listed above)",
                                      validators=[Optional(), Length(max=200)])
    minutes = IntegerField("Length in minutes", default=60,
                           validators=[InputRequired("Enter the length in minutes."),
                                       NumberRange(5, 600, "Between 5 and 600 minutes.")])
    format = SelectField("Format", choices=choices((f.value, f.label) for f in SupervisionFormat))
    themes = MultiCheckboxField("Themes", choices=choices((t, t) for t in THEMES), validate_choice=False)
    other_themes = StringField("Other themes (separate them with commas)",
                               validators=[Optional(), Length(max=600)])
    reflections = TextAreaField("Reflections", validators=[Optional(), Length(max=MAX_TEXT)])
    actions = FieldList(FormField(ActionForm), min_entries=ACTION_ROWS)
    next_on = DateField("Next supervision planned for (optional)", validators=[Optional()])
    shared = BooleanField("Share this record with my supervisor")

    def to_input(self) -> RecordInput:
        themes = list(self.themes.data or []) + (self.other_themes.data or "").split(",")
        actions = [ActionInput(a["text"].strip(), bool(a["done"]))
                   for a in self.actions.data if (a["text"] or "").strip()]
        return RecordInput(
            held_on=self.held_on.data, minutes=self.minutes.data, format=self.format.data,
            supervisor_id=self.supervisor_id.data,
            external_supervisor=self.external_supervisor.data or None,
            themes=themes, reflections=self.reflections.data or "", actions=actions,
            next_on=self.next_on.data, shared=bool(self.shared.data))

    def fill(self, record: Any, themes: list[str], reflections: str, actions: list[tuple[Any, str]]) -> None:
        """Put a record's current values (decrypted by the caller) into the form."""
        self.held_on.data, self.minutes.data = record.held_on, record.minutes
        self.format.data, self.supervisor_id.data = record.format, record.supervisor_id
        self.external_supervisor.data = record.external_supervisor or ""
        self.themes.data = [t for t in themes if t in THEMES]
        self.other_themes.data = ", ".join(t for t in themes if t not in THEMES)
        self.reflections.data = reflections
        self.next_on.data, self.shared.data = record.next_on, record.is_shared_with_supervisor
        while len(self.actions.entries):
            self.actions.pop_entry()
        for action, text in actions:
            self.actions.append_entry({"text": text, "done": action.is_done})
        for _ in range(ACTION_ROWS):
            self.actions.append_entry()
