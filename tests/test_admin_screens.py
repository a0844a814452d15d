"""The HTML screens for users, homes with their contacts, and groups with their memberships.

Every write is checked against what the database has committed, and every refused form is checked
for three things: the error is tied to its field (next to it, linked by ``aria-describedby``),
what was typed is still in the form, and nothing was written.
"""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import func, select

from facilitator.auth.passwords import verify_password
from facilitator.extensions import db
from facilitator.models import CareHome, Contact, Group, Membership, OutboxMessage, User, UserSession
from facilitator.models.supervision import AuditEvent
from tests.support.factories import PASSWORD, Auth, csrf_token

NEW_PASSWORD = "granite lantern orchard"


# Helpers ----------------------------------------------------------------------------------------

class Page(HTMLParser):
    """What a rendered form shows: values, selected options, field errors, input attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self.checked: dict[str, bool] = {}
        self.selected: dict[str, list[str]] = {}
        self.options: dict[str, list[str]] = {}
        self.errors: dict[str, list[str]] = {}
        self.attrs: dict[str, dict[str, str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._error: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a and tag in ("input", "select", "textarea"):
            self.attrs[a["id"]] = a
        if tag == "input" and a.get("type") == "checkbox":
            self.checked[a["name"]] = "checked" in a
        elif tag == "input" and "name" in a:
            self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self.selected[a["name"]] = []
            self.options[a["name"]] = []
        elif tag == "option" and self._select is not None:
            self.options[self._select].append(a.get("value", ""))
            if "selected" in a:
                self.selected[self._select].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""
        elif tag == "p" and "field-error" in a.get("class", ""):
            self._error = a["id"].removesuffix("-error")
            self.errors.setdefault(self._error, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "p":
            self._error = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data
        if self._error is not None:
            self.errors[self._error][-1] += data


def refused(response: Any, field: str, message: str) -> Page:
    """Assert the form came back (422) with ``message`` next to ``field``; return the page."""
    assert response.status_code == 422, response.get_data(as_text=True)[:2000]
    page = Page(response.get_data(as_text=True))
    assert any(message in e for e in page.errors.get(field, [])), page.errors
    control = page.attrs[field]
    assert control.get("aria-invalid") == "true"
    assert f"{field}-error" in control.get("aria-describedby", "").split()
    return page


def committed(stmt: Any) -> list[Any]:
    """Rows the database has committed (anything the session holds uncommitted is dropped)."""
    db.session.rollback()
    return list(db.session.scalars(stmt))


def count(model: type) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def admin(auth: Auth) -> User:
    return auth.login("admin")


# Users ------------------------------------------------------------------------------------------

def user_form(**overrides: Any) -> dict[str, Any]:
    data = {"name": "Shona Grant", "email": "Shona.Grant@Example.org", "role": "lead",
            "supervisor_id": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_creates_a_facilitator_with_a_supervisor(auth, admin, make, client):
    supervisor = make.user("supervisor")
    response = auth.post("/users/new", user_form(role="facilitator", supervisor_id=supervisor.id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/users")

    [user] = committed(select(User).where(User.email == "shona.grant@example.org"))
    assert (user.name, user.role, user.supervisor_id, user.is_active) == (
        "Shona Grant", "facilitator", supervisor.id, True)
    assert user.password_hash is None, "an admin never sets another person's password"
    listing = client.get("/users").get_data(as_text=True)
    assert "shona.grant@example.org" in listing and supervisor.name in listing
    [welcome] = committed(select(OutboxMessage).where(OutboxMessage.to_email == user.email))
    assert welcome.subject == "Your Facilitator account" and "/password/reset?token=" in welcome.body_text
    assert admin.name in welcome.body_text


def test_a_phone_number_is_saved_and_can_be_removed(auth, admin, make):
    assert auth.post("/users/new", user_form(phone=" 0131 496 0000 ")).status_code == 302
    [user] = committed(select(User).where(User.email == "shona.grant@example.org"))
    assert user.phone == "0131 496 0000"
    cleared = {"name": user.name, "email": user.email, "role": "lead", "supervisor_id": "", "is_active": "y",
               "phone": ""}
    assert auth.post(f"/users/{user.id}", cleared).status_code == 302
    [user] = committed(select(User).where(User.id == user.id))
    assert user.phone is None


def test_a_password_posted_with_the_user_form_is_never_set(auth, admin, make):
    user = make.user("lead")
    auth.post(f"/users/{user.id}", {"name": user.name, "email": user.email, "role": "lead",
                                    "supervisor_id": "", "is_active": "y", "password": NEW_PASSWORD})
    new = auth.post("/users/new", user_form(email="new@example.org", password=NEW_PASSWORD))
    assert new.status_code == 302
    for email in (user.email, "new@example.org"):
        [saved] = committed(select(User).where(User.email == email))
        assert saved.password_hash is None or not verify_password(saved.password_hash, NEW_PASSWORD)


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": "  "}, "name", "Enter a name."),
    ({"email": "not-an-email"}, "email", "Enter a valid email address."),
    ({"email": ""}, "email", "Enter an email address."),
    ({"role": "owner"}, "role", "Not a valid choice"),
    ({"phone": "call me maybe"}, "phone", "Enter a phone number"),
])
def test_new_user_with_a_bad_field_is_refused_next_to_the_field(auth, admin, overrides, field, message):
    users_before = count(User)
    response = auth.post("/users/new", user_form(**overrides))
    page = refused(response, field, message)
    if field != "email":
        assert page.values["email"] == "Shona.Grant@Example.org"
    if field != "name":
        assert page.values["name"] == "Shona Grant"
    assert count(User) == users_before


def test_new_user_with_a_taken_email_is_refused_whatever_the_case(auth, admin, make):
    make.user("lead", email="shona.grant@example.org")
    users_before = count(User)
    page = refused(auth.post("/users/new", user_form()), "email", "already exists")
    assert page.values["email"] == "Shona.Grant@Example.org"
    assert page.values["name"] == "Shona Grant"
    assert count(User) == users_before


@pytest.mark.parametrize(("role", "supervisor_role", "active", "message"), [
    ("lead", "supervisor", True, "Only facilitators have a supervisor."),
    ("facilitator", "lead", True, "not an active user with the supervisor role"),
    ("facilitator", "supervisor", False, "not an active user with the supervisor role"),
])
def test_supervisor_must_be_an_active_supervisor_of_a_facilitator(
        auth, admin, make, role, supervisor_role, active, message):
    chosen = make.user(supervisor_role)
    if not active:
        chosen.is_active = False
        db.session.commit()
    users_before = count(User)
    page = refused(auth.post("/users/new", user_form(role=role, supervisor_id=chosen.id)),
                   "supervisor_id", message)
    assert page.selected["role"] == [role]
    assert count(User) == users_before


def test_admin_edits_a_user_and_only_that_user_changes(auth, admin, make):
    supervisor = make.user("supervisor")
    user = make.user("facilitator", name="Euan Ross")
    other = make.user("facilitator", name="Isla Murray")
    response = auth.post(f"/users/{user.id}", {
        "name": "Euan Ross-Thomson", "email": user.email, "role": "facilitator",
        "supervisor_id": supervisor.id, "is_active": "y", "password": ""})
    assert response.status_code == 302

    [saved] = committed(select(User).where(User.id == user.id))
    assert (saved.name, saved.role, saved.supervisor_id, saved.is_active) == (
        "Euan Ross-Thomson", "facilitator", supervisor.id, True)
    assert verify_password(saved.password_hash, PASSWORD), "a blank password keeps the old one"
    [untouched] = committed(select(User).where(User.id == other.id))
    assert (untouched.name, untouched.supervisor_id) == ("Isla Murray", None)


def test_edit_form_shows_the_users_current_values(auth, admin, make):
    supervisor = make.user("supervisor")
    user = make.user("facilitator", supervisor_id=supervisor.id)
    page = Page(auth.client.get(f"/users/{user.id}").get_data(as_text=True))
    assert page.values["name"] == user.name
    assert page.selected["role"] == ["facilitator"]
    assert page.selected["supervisor_id"] == [str(supervisor.id)]
    assert page.checked["is_active"] is True


def test_deactivating_a_user_signs_them_out(auth, admin, make, app):
    user = make.user("lead")
    theirs = Auth(app.test_client(), make)
    theirs.login(user)
    assert theirs.client.get("/users").status_code == 200

    response = auth.post(f"/users/{user.id}", {
        "name": user.name, "email": user.email, "role": "lead", "supervisor_id": ""})
    assert response.status_code == 302
    [saved] = committed(select(User).where(User.id == user.id))
    assert saved.is_active is False
    assert committed(select(UserSession).where(UserSession.user_id == user.id)) == []
    assert theirs.client.get("/users").status_code == 302  # back to the sign-in page


def test_an_admin_sends_a_link_which_signs_the_user_out_and_lets_them_choose(auth, admin, make, app):
    user = make.user("lead")
    theirs = Auth(app.test_client(), make)
    theirs.login(user)
    response = auth.post(f"/users/{user.id}/password-link", {}, page=f"/users/{user.id}")
    assert response.status_code == 302
    assert committed(select(UserSession).where(UserSession.user_id == user.id)) == []
    [sent] = committed(select(OutboxMessage).where(OutboxMessage.to_email == user.email))
    link = re.search(r"/password/reset\?token=\S+", sent.body_text).group(0)
    assert admin.name in sent.body_text
    [event] = committed(select(AuditEvent).where(AuditEvent.action == "send_account_link"))
    assert (event.actor_id, event.object_id, event.detail) == (admin.id, user.id, "reset")

    chooser = app.test_client()
    assert chooser.get(link).status_code == 302
    form = chooser.get("/password/reset").get_data(as_text=True)
    chosen = chooser.post("/password/reset", data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD,
                                                   "csrf_token": csrf_token(form)})
    assert chosen.status_code == 302
    [saved] = committed(select(User).where(User.id == user.id))
    assert verify_password(saved.password_hash, NEW_PASSWORD)


@pytest.mark.parametrize("change", [{"role": "lead", "is_active": "y"}, {"role": "admin"}])
def test_admin_cannot_remove_their_own_admin_access(auth, admin, change):
    data = {"name": admin.name, "email": admin.email, "supervisor_id": "", **change}
    page = refused(auth.post(f"/users/{admin.id}", data), "role", "cannot remove your own admin access")
    assert page.values["name"] == admin.name
    [saved] = committed(select(User).where(User.id == admin.id))
    assert (saved.role, saved.is_active) == ("admin", True)


def test_editing_an_unknown_user_is_404(auth, admin):
    assert auth.client.get("/users/999999").status_code == 404


# Who may see and change what ---------------------------------------------------------------------

@pytest.mark.parametrize(("role", "url", "status"), [
    ("lead", "/users", 200),
    ("facilitator", "/users", 403),
    ("supervisor", "/users", 403),
    ("lead", "/users/new", 403),
    ("lead", "/homes", 200),
    ("facilitator", "/homes", 200),
    ("supervisor", "/homes", 403),
    ("facilitator", "/homes/new", 403),
    ("lead", "/groups", 200),
    ("facilitator", "/groups", 200),
    ("supervisor", "/groups", 403),
    ("lead", "/groups/new", 403),
])
def test_screen_access_by_role(auth, role, url, status):
    auth.login(role)
    assert auth.client.get(url).status_code == status


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/homes")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_readers_see_homes_and_groups_without_edit_controls(auth, make):
    home = make.home("Bellfield Court")
    group = make.group("East PSL", homes=[home])
    auth.login("facilitator")
    home_page = auth.client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert "Bellfield Court" in home_page and "East PSL" in home_page
    assert f"/homes/{home.id}/edit" not in home_page
    group_page = auth.client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "Bellfield Court" in group_page
    assert "Remove from group" not in group_page and "Add to group" not in group_page


@pytest.mark.parametrize(("url", "data"), [
    ("/users/new", user_form()),
    ("/homes/new", {"name": "Sneaky House"}),
    ("/groups/new", {"name": "Sneaky group", "provider": "zoom", "default_duration_minutes": "90"}),
])
def test_lead_cannot_write_through_the_screens(auth, url, data):
    auth.login("lead")
    counts = (count(User), count(CareHome), count(Group))
    assert auth.post(url, data, page="/").status_code == 403
    assert (count(User), count(CareHome), count(Group)) == counts


def test_lead_cannot_change_memberships(auth, make):
    home = make.home()
    group = make.group(homes=[home])
    other = make.home()
    auth.login("lead")
    add = auth.post(f"/groups/{group.id}/members", {"home_id": other.id, "joined_on": "2026-02-01"},
                    page="/")
    end = auth.post(f"/groups/{group.id}/members/{home.id}/end", {"left_on": "2026-02-01"}, page="/")
    assert (add.status_code, end.status_code) == (403, 403)
    [membership] = committed(select(Membership).where(Membership.group_id == group.id))
    assert (membership.home_id, membership.left_on) == (home.id, None)


# Homes ------------------------------------------------------------------------------------------

def home_form(**overrides: Any) -> dict[str, Any]:
    data = {"name": "  Ardenlea House ", "region": "Glasgow", "beds": "48",
            "protected_time_agreed_on": "2026-03-02", "notes": "Parking at the back."}
    data.update(overrides)
    return data


def test_admin_creates_a_home(auth, admin, client):
    response = auth.post("/homes/new", home_form())
    assert response.status_code == 302
    [home] = committed(select(CareHome))
    assert response.headers["Location"].endswith(f"/homes/{home.id}")
    assert (home.name, home.region, home.beds, home.protected_time_agreed_on, home.notes) == (
        "Ardenlea House", "Glasgow", 48, date(2026, 3, 2), "Parking at the back.")
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert "Agreed with leadership on 2 March 2026" in page


def test_home_without_beds_or_agreement_is_stored_as_unknown(auth, admin):
    response = auth.post("/homes/new", home_form(beds="", protected_time_agreed_on="", region=""))
    assert response.status_code == 302
    [home] = committed(select(CareHome))
    assert (home.beds, home.protected_time_agreed_on, home.region) == (None, None, "")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Enter the home's name."),
    ("beds", "-1", "Enter 0 to 10,000."),
    ("beds", "lots", "Not a valid integer value."),
    ("protected_time_agreed_on", "31/02/2026", "Not a valid date value."),
    ("region", "x" * 101, "Field cannot be longer than 100 characters."),
])
def test_new_home_with_a_bad_field_is_refused_next_to_the_field(auth, admin, field, value, message):
    page = refused(auth.post("/homes/new", home_form(**{field: value})), field, message)
    assert page.values[field] == value, "the value as typed is kept"
    assert page.values["notes"].strip() == "Parking at the back."
    if field != "name":
        assert page.values["name"].strip() == "Ardenlea House"
    assert count(CareHome) == 0


def test_admin_edits_a_home(auth, admin, make):
    home = make.home("Kelvin View", region="Glasgow", beds=64)
    response = auth.post(f"/homes/{home.id}/edit", home_form(name="Kelvin View", beds="",
                                                              protected_time_agreed_on="2026-05-01"))
    assert response.status_code == 302
    [saved] = committed(select(CareHome).where(CareHome.id == home.id))
    assert (saved.name, saved.beds, saved.protected_time_agreed_on, saved.region) == (
        "Kelvin View", None, date(2026, 5, 1), "Glasgow")
    assert len(saved.contacts) == 2, "editing the home leaves its contacts alone"


def test_home_edit_form_is_filled_in_and_a_bad_edit_changes_nothing(auth, admin, make):
    home = make.home("Kelvin View", beds=64)
    page = Page(auth.client.get(f"/homes/{home.id}/edit").get_data(as_text=True))
    assert (page.values["name"], page.values["beds"]) == ("Kelvin View", "64")

    page = refused(auth.post(f"/homes/{home.id}/edit", home_form(name="Renamed", beds="-5")),
                   "beds", "Enter 0 to 10,000.")
    assert page.values["name"] == "Renamed"
    [saved] = committed(select(CareHome).where(CareHome.id == home.id))
    assert (saved.name, saved.beds) == ("Kelvin View", 64)


def test_unknown_home_is_404(auth, admin):
    assert auth.client.get("/homes/999999").status_code == 404
    assert auth.client.get("/homes/999999/edit").status_code == 404


# Contacts ---------------------------------------------------------------------------------------

def contact_form(**overrides: Any) -> dict[str, Any]:
    data = {"name": "Kirsty Paterson", "email": "Kirsty.Paterson@Ardenlea.example",
            "role": "team_leader", "is_active": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_adds_a_contact_to_a_home(auth, admin, make, client):
    home = make.home(contacts=1)
    response = auth.post(f"/homes/{home.id}/contacts/new", contact_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/homes/{home.id}")
    [contact] = committed(select(Contact).where(Contact.email == "kirsty.paterson@ardenlea.example"))
    assert (contact.home_id, contact.name, contact.role, contact.is_active) == (
        home.id, "Kirsty Paterson", "team_leader", True)
    assert "kirsty.paterson@ardenlea.example" in client.get(f"/homes/{home.id}").get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Enter the contact's name."),
    ("email", "kirsty-at-ardenlea", "Enter a valid email address."),
    ("role", "chef", "Not a valid choice"),
])
def test_new_contact_with_a_bad_field_is_refused_next_to_the_field(auth, admin, make, field, value, message):
    home = make.home(contacts=1)
    page = refused(auth.post(f"/homes/{home.id}/contacts/new", contact_form(**{field: value})),
                   field, message)
    if field in ("name", "email"):
        assert page.values[field] == value
    if field != "email":
        assert page.values["email"] == "Kirsty.Paterson@Ardenlea.example"
    assert count(Contact) == 1


def test_a_home_cannot_have_two_contacts_with_one_email(auth, admin, make):
    home = make.home(contacts=1)
    taken = home.contacts[0].email
    page = refused(auth.post(f"/homes/{home.id}/contacts/new", contact_form(email=taken.upper())),
                   "email", "already has a contact with that email")
    assert page.values["email"] == taken.upper()
    assert page.values["name"] == "Kirsty Paterson"
    assert count(Contact) == 1


def test_the_same_person_can_be_a_contact_at_two_homes(auth, admin, make):
    first, second = make.home(contacts=1), make.home(contacts=0)
    email = first.contacts[0].email
    assert auth.post(f"/homes/{second.id}/contacts/new", contact_form(email=email)).status_code == 302
    assert len(committed(select(Contact).where(Contact.email == email))) == 2


def test_admin_edits_and_deactivates_a_contact(auth, admin, make):
    home = make.home(contacts=2)
    contact, other = home.contacts
    page = Page(auth.client.get(f"/homes/{home.id}/contacts/{contact.id}").get_data(as_text=True))
    assert (page.values["name"], page.values["email"], page.checked["is_active"]) == (
        contact.name, contact.email, True)

    response = auth.post(f"/homes/{home.id}/contacts/{contact.id}",
                         contact_form(email=contact.email, role="manager", is_active=None))
    assert response.status_code == 302
    [saved] = committed(select(Contact).where(Contact.id == contact.id))
    assert (saved.name, saved.role, saved.is_active, saved.email) == (
        "Kirsty Paterson", "manager", False, contact.email)
    [untouched] = committed(select(Contact).where(Contact.id == other.id))
    assert untouched.is_active is True


def test_editing_a_contact_to_another_contacts_email_is_refused(auth, admin, make):
    home = make.home(contacts=2)
    contact, other = home.contacts
    original = contact.email
    page = refused(auth.post(f"/homes/{home.id}/contacts/{contact.id}",
                             contact_form(email=other.email)), "email", "already has a contact")
    assert page.values["email"] == other.email
    [saved] = committed(select(Contact).where(Contact.id == contact.id))
    assert saved.email == original


def test_a_contact_is_only_reachable_through_its_own_home(auth, admin, make):
    home, other_home = make.home(contacts=1), make.home(contacts=1)
    contact = home.contacts[0]
    assert auth.client.get(f"/homes/{other_home.id}/contacts/{contact.id}").status_code == 404
    assert auth.client.get(f"/homes/{home.id}/contacts/999999").status_code == 404


# Groups -----------------------------------------------------------------------------------------

def group_form(**overrides: Any) -> dict[str, Any]:
    data = {"name": "Highlands PSL", "provider": "teams", "default_duration_minutes": "75"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_creates_a_group_with_facilitators(auth, admin, make):
    ailsa, callum = make.user("facilitator"), make.user("facilitator")
    response = auth.post("/groups/new", group_form(facilitator_ids=[ailsa.id, callum.id]))
    assert response.status_code == 302
    [group] = committed(select(Group))
    assert response.headers["Location"].endswith(f"/groups/{group.id}")
    assert (group.name, group.provider, group.default_duration_minutes) == ("Highlands PSL", "teams", 75)
    assert {u.id for u in group.facilitators} == {ailsa.id, callum.id}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Enter the group's name."),
    ("default_duration_minutes", "10", "Between 15 and 480 minutes."),
    ("default_duration_minutes", "481", "Between 15 and 480 minutes."),
    ("default_duration_minutes", "", "Enter a length in minutes."),
    ("provider", "skype", "Not a valid choice"),
])
def test_new_group_with_a_bad_field_is_refused_next_to_the_field(auth, admin, field, value, message):
    page = refused(auth.post("/groups/new", group_form(**{field: value})), field, message)
    if field != "provider":
        assert page.values[field] == value
    if field != "name":
        assert page.values["name"] == "Highlands PSL"
    assert count(Group) == 0


def test_group_names_are_unique(auth, admin, make):
    make.group("Highlands PSL")
    page = refused(auth.post("/groups/new", group_form()), "name", "A group with this name exists.")
    assert page.values["default_duration_minutes"] == "75"
    assert count(Group) == 1


def test_only_facilitators_can_facilitate_a_group(auth, admin, make):
    lead = make.user("lead")
    facilitator = make.user("facilitator")
    page = refused(auth.post("/groups/new", group_form(facilitator_ids=[facilitator.id, lead.id])),
                   "facilitator_ids", f"Not facilitators: {lead.id}")
    assert page.selected["facilitator_ids"] == [str(facilitator.id)]
    assert count(Group) == 0


def test_admin_edits_a_group(auth, admin, make):
    ailsa, callum = make.user("facilitator"), make.user("facilitator")
    group = make.group("West PSL", facilitators=[ailsa], provider="zoom")
    page = Page(auth.client.get(f"/groups/{group.id}/edit").get_data(as_text=True))
    assert page.selected["facilitator_ids"] == [str(ailsa.id)]

    response = auth.post(f"/groups/{group.id}/edit", group_form(name="West PSL (autumn)",
                                                                 facilitator_ids=[callum.id]))
    assert response.status_code == 302
    [saved] = committed(select(Group).where(Group.id == group.id))
    assert (saved.name, saved.provider, saved.default_duration_minutes) == ("West PSL (autumn)", "teams", 75)
    assert [u.id for u in saved.facilitators] == [callum.id]


def test_a_group_can_keep_its_name_but_not_take_another_groups(auth, admin, make):
    group = make.group("West PSL")
    make.group("East PSL")
    assert auth.post(f"/groups/{group.id}/edit", group_form(name="West PSL")).status_code == 302
    refused(auth.post(f"/groups/{group.id}/edit", group_form(name="East PSL")),
            "name", "A group with this name exists.")
    [saved] = committed(select(Group).where(Group.id == group.id))
    assert saved.name == "West PSL"


def test_unchoosing_every_facilitator_clears_them(auth, admin, make):
    group = make.group(facilitators=[make.user("facilitator")])
    assert auth.post(f"/groups/{group.id}/edit", group_form()).status_code == 302
    [saved] = committed(select(Group).where(Group.id == group.id))
    assert saved.facilitators == []


# Memberships ------------------------------------------------------------------------------------

def memberships(group: Group) -> list[tuple[int, date, date | None]]:
    rows = committed(select(Membership).where(Membership.group_id == group.id)
                     .order_by(Membership.joined_on, Membership.id))
    return [(m.home_id, m.joined_on, m.left_on) for m in rows]


def add(auth: Auth, group: Group, home_id: Any, joined_on: str) -> Any:
    return auth.post(f"/groups/{group.id}/members", {"home_id": home_id, "joined_on": joined_on},
                     page=f"/groups/{group.id}")


def end(auth: Auth, group: Group, home_id: int, left_on: str) -> Any:
    return auth.post(f"/groups/{group.id}/members/{home_id}/end", {"left_on": left_on},
                     page=f"/groups/{group.id}")


def test_admin_adds_a_home_to_a_group_from_a_date(auth, admin, make):
    group, home = make.group(), make.home("Dunvegan Lodge")
    response = add(auth, group, home.id, "2026-02-02")
    assert response.status_code == 302
    assert memberships(group) == [(home.id, date(2026, 2, 2), None)]
    page = auth.client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "Dunvegan Lodge" in page and "2 February 2026" in page and "Current member" in page


def test_current_members_are_not_offered_again(auth, admin, make):
    member, outsider = make.home("Member Home"), make.home("Outsider Home")
    group = make.group(homes=[member])
    page = Page(auth.client.get(f"/groups/{group.id}").get_data(as_text=True))
    assert page.options["home_id"] == ["", str(outsider.id)]


def test_a_home_cannot_be_added_twice(auth, admin, make):
    home = make.home()
    group = make.group(homes=[home], joined_on=date(2026, 1, 5))
    page = refused(add(auth, group, home.id, "2026-03-01"), "home_id", "Already a member")
    assert page.values["joined_on"] == "2026-03-01"
    assert memberships(group) == [(home.id, date(2026, 1, 5), None)]


@pytest.mark.parametrize(("home_id", "joined_on", "field", "message"), [
    ("", "2026-02-02", "home_id", "Choose a home."),
    ("{home}", "", "joined_on", "Enter the date the home joined."),
    ("{home}", "2 Feb", "joined_on", "Not a valid date value."),
    ("999999", "2026-02-02", "home_id", "No home has this id."),
])
def test_adding_a_member_with_a_bad_field_is_refused(auth, admin, make, home_id, joined_on, field, message):
    group, home = make.group(), make.home()
    page = refused(add(auth, group, home_id.format(home=home.id), joined_on), field, message)
    assert page.values["joined_on"] == joined_on
    assert memberships(group) == []


def test_ending_a_membership_keeps_it_as_history(auth, admin, make):
    home = make.home("Glenisla House")
    group = make.group(homes=[home], joined_on=date(2026, 1, 5))
    response = end(auth, group, home.id, "2026-04-30")
    assert response.status_code == 302
    assert memberships(group) == [(home.id, date(2026, 1, 5), date(2026, 4, 30))]
    assert count(CareHome) == 1
    page = auth.client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "30 April 2026" in page and "Remove from group" not in page
    home_page = auth.client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert "joined 5 January 2026, left 30 April 2026" in home_page


def test_a_home_can_rejoin_after_leaving_and_both_spells_are_kept(auth, admin, make):
    home = make.home()
    group = make.group(homes=[home], joined_on=date(2026, 1, 5))
    assert end(auth, group, home.id, "2026-02-27").status_code == 302
    page = Page(auth.client.get(f"/groups/{group.id}").get_data(as_text=True))
    assert str(home.id) in page.options["home_id"], "a home that left can be chosen again"

    assert add(auth, group, home.id, "2026-06-01").status_code == 302
    assert memberships(group) == [(home.id, date(2026, 1, 5), date(2026, 2, 27)),
                                  (home.id, date(2026, 6, 1), None)]


def test_a_home_cannot_rejoin_before_it_last_left(auth, admin, make):
    home = make.home()
    group = make.group(homes=[home], joined_on=date(2026, 1, 5))
    assert end(auth, group, home.id, "2026-02-27").status_code == 302
    page = refused(add(auth, group, home.id, "2026-02-01"), "joined_on", "Choose 2026-02-27 or later.")
    assert page.values["joined_on"] == "2026-02-01"
    assert memberships(group) == [(home.id, date(2026, 1, 5), date(2026, 2, 27))]


def _left_on_input(page: Page, group: Group, home_id: int) -> str:
    [membership_id] = [m.id for m in committed(select(Membership).where(
        Membership.group_id == group.id, Membership.home_id == home_id, Membership.left_on.is_(None)))]
    return f"left_on-{membership_id}"


@pytest.mark.parametrize(("left_on", "message"), [
    ("2026-01-04", "Choose 2026-01-05 or later."),
    ("", "Enter the date the home left."),
    ("soon", "Not a valid date value."),
])
def test_a_home_cannot_leave_before_it_joined_or_without_a_date(auth, admin, make, left_on, message):
    home, other = make.home(), make.home()
    group = make.group(homes=[home, other], joined_on=date(2026, 1, 5))
    response = end(auth, group, home.id, left_on)
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    field = _left_on_input(page, group, home.id)
    assert any(message in e for e in page.errors.get(field, [])), page.errors
    assert page.attrs[field]["value"] == left_on, "the date as typed is kept in that home's row"
    assert page.attrs[field].get("aria-describedby") == f"{field}-error"
    other_field = _left_on_input(page, group, other.id)
    assert other_field not in page.errors, "other rows are not marked"
    assert memberships(group) == [(home.id, date(2026, 1, 5), None), (other.id, date(2026, 1, 5), None)]


def test_ending_a_membership_that_is_not_current_is_refused(auth, admin, make):
    home = make.home()
    group = make.group(homes=[home], joined_on=date(2026, 1, 5))
    assert end(auth, group, home.id, "2026-02-01").status_code == 302
    response = end(auth, group, home.id, "2026-03-01")
    assert response.status_code == 422
    assert "not a current member" in response.get_data(as_text=True)
    assert memberships(group) == [(home.id, date(2026, 1, 5), date(2026, 2, 1))]


def test_unknown_group_is_404(auth, admin, make):
    home = make.home()
    assert auth.client.get("/groups/999999").status_code == 404
    assert auth.client.get("/groups/999999/edit").status_code == 404
    response = auth.post("/groups/999999/members", {"home_id": home.id, "joined_on": "2026-01-05"},
                         page="/")
    assert response.status_code == 404
    assert count(Membership) == 0


def test_every_staff_page_title_is_plain_text(auth, make):
    """A page's <title> holds words only: markup there shows as raw tags in the browser's tab."""
    home = make.home("Rowan Court", contacts=1)
    group = make.group("West PSL", homes=[home])
    auth.login("admin")
    for url in (f"/homes/{home.id}", f"/groups/{group.id}", "/homes", "/users", "/partners"):
        html = auth.client.get(url).get_data(as_text=True)
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert "<" not in title and title.strip().endswith("Facilitator"), (url, title)
