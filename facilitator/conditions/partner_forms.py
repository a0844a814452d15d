"""Forms of the partner directory, its CSV import and a home's partner contacts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from facilitator.conditions.areas import COUNCIL_AREAS
from facilitator.conditions.partners import ContactData, PartnerData
from facilitator.forms import choices, optional_row_id
from facilitator.models import Specialism
from facilitator.supervision.forms import MultiCheckboxField

AREA_CHOICES = choices(COUNCIL_AREAS.items())
SPECIALISM_CHOICES = choices((s.value, s.label) for s in Specialism)


class PartnerForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the organisation's name."), Length(max=200)])
    specialisms = MultiCheckboxField("Specialisms", choices=SPECIALISM_CHOICES, validate_choice=False)
    areas = MultiCheckboxField("Council areas covered", choices=AREA_CHOICES, validate_choice=False)
    referral_route = TextAreaField("How to refer, in words", validators=[Optional(), Length(max=5000)])
    website = StringField("Website (starting https://)", validators=[Optional(), Length(max=300)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    email = EmailField("Email", validators=[Optional(), Email("Enter a valid email address."),
                                            Length(max=254)])
    last_checked_on = DateField("Details last checked on", validators=[Optional()])

    def partner_data(self) -> PartnerData:
        return PartnerData(
            name=self.name.data or "", areas=list(self.areas.data or []),
            specialisms=list(self.specialisms.data or []), referral_route=self.referral_route.data or "",
            website=self.website.data or "", phone=self.phone.data or "", email=self.email.data or "",
            last_checked_on=self.last_checked_on.data)


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])


class PartnerContactForm(FlaskForm):
    partner_id = SelectField("Partner", coerce=optional_row_id, validate_choice=False,
                             validators=[InputRequired("Choose a partner from the directory.")])
    contacted_on = DateField("Date of the contact",
                             validators=[InputRequired("Enter the date of the contact.")])
    outcome = TextAreaField("Outcome", validators=[DataRequired("Say what came of the contact."),
                                                   Length(max=5000)])
    next_step = TextAreaField("Next step (optional)", validators=[Optional(), Length(max=5000)])

    def contact_data(self) -> ContactData:
        return ContactData(self.partner_id.data, self.contacted_on.data, self.outcome.data or "",
                           self.next_step.data or "")
