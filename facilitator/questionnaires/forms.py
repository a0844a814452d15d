"""The staff forms: sending a round, and editing a template (its rows read from the request)."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from facilitator.forms import choices
from facilitator.models import Questionnaire
from facilitator.questionnaires.catalogue import QuestionnaireInput
from facilitator.questionnaires.rounds import RoundInput
from facilitator.questionnaires.template_data import QuestionSpec

BLANK_ROWS = 3


class ServiceCheckedRadio(RadioField):
    """Radio buttons whose value the service checks (its message says what to choose)."""

    def pre_validate(self, form: object) -> None:
        pass


class RoundForm(FlaskForm):
    questionnaire_id = SelectField("Questionnaire", validate_choice=False)
    kind = ServiceCheckedRadio("When in the programme",
                               choices=choices([("pre", "Pre: at the start"), ("post", "Post: at the end")]))
    send_on = DateField("Send on (optional: today if left blank)", validators=[Optional()])

    def offer(self, questionnaires: list[Questionnaire]) -> RoundForm:
        self.questionnaire_id.choices = choices((str(q.id), f"{q.title} (version {q.version})")
                                                for q in questionnaires)
        return self

    def data_typed(self) -> RoundInput:
        raw = self.questionnaire_id.data or ""
        return RoundInput(int(raw) if str(raw).isdigit() else None, self.kind.data, self.send_on.data)


class TemplateForm(FlaskForm):
    title = StringField("Title")
    introduction = TextAreaField("Introduction (shown above the questions)")


def question_rows(questionnaire: Questionnaire, form: Mapping[str, str] | None) -> list[QuestionSpec]:
    """The edit page's rows: as posted, else the questionnaire's questions and a few blank ones."""
    if form is None:
        rows = [QuestionSpec(q.key, q.text, q.kind) for q in questionnaire.questions]
        return rows + [QuestionSpec("", "")] * BLANK_ROWS
    count = len([k for k in form if k.startswith("question_") and k.endswith("_text")])
    return [QuestionSpec(form.get(f"question_{n}_key", ""), form.get(f"question_{n}_text", ""),
                         form.get(f"question_{n}_kind", "scale")) for n in range(1, count + 1)]


def template_input(form: TemplateForm, rows: list[QuestionSpec]) -> QuestionnaireInput:
    return QuestionnaireInput(form.title.data or "", form.introduction.data or "", tuple(rows))
