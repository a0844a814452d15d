"""Forms of the resource library and its CSV import."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from facilitator.csv_import import values
from facilitator.forms import choices
from facilitator.models import KsfLevel, Publisher, Resource, ResourceFormat
from facilitator.resources.services import ResourceData


def _choices(enum: Any, prompt: str) -> list[Any]:
    return choices([("", prompt)] + [(e.value, e.label) for e in enum])


class ResourceForm(FlaskForm):
    title = StringField("Title")
    publisher = SelectField("Publisher", choices=_choices(Publisher, "Choose a publisher"),
                            validate_choice=False)
    url = StringField("Address (starting https://)")
    format = SelectField("Format", choices=_choices(ResourceFormat, "Choose a format"), validate_choice=False)
    ksf_level = SelectField("Knowledge and Skills Framework level",
                            choices=_choices(KsfLevel, "Choose a level"), validate_choice=False)
    topics = StringField("Topics, separated by ;")
    minutes = IntegerField("Length in minutes (optional)", validators=[Optional()])
    paper_friendly = BooleanField("Works on paper (can be printed for staff without a screen)")
    description = TextAreaField("Short description, in our words")
    last_checked_on = DateField("Address last checked on (optional)", validators=[Optional()])

    def __init__(self, resource: Resource | None = None, **kwargs: Any) -> None:
        super().__init__(obj=resource, **kwargs)
        if resource is not None and not self.is_submitted():
            self.topics.data = "; ".join(resource.topics)

    def resource_data(self) -> ResourceData:
        return ResourceData(
            title=self.title.data or "", publisher=self.publisher.data or "", url=self.url.data or "",
            format=self.format.data or "", ksf_level=self.ksf_level.data or "",
            topics=values(self.topics.data or ""), minutes=self.minutes.data,
            paper_friendly=bool(self.paper_friendly.data), description=self.description.data or "",
            last_checked_on=self.last_checked_on.data)


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])
