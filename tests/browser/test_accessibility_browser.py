"""axe-core on every main page, as the person who uses it, and keyboard use of the two big forms.

Each test seeds the demo (three groups, eight weeks of registers) plus a link-provider group with
an upcoming session and its invitations, a note, a supervision record and a contact's links; then
it opens one page as the right role and fails on any serious or critical axe violation. A page
that does not load as expected (a redirect to sign-in, an error) fails too, so a missed page
cannot pass by accident. On failure the conftest hook saves a screenshot of the page to
``test-artifacts/<test name>.png``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from facilitator import providers
from facilitator.absence import apologies, pauses
from facilitator.auth import services as auth_services
from facilitator.booking import services as booking
from facilitator.clock import local_today
from facilitator.conditions import agreements, links
from facilitator.demo import load_demo
from facilitator.extensions import db
from facilitator.followups.opening import open_follow_up
from facilitator.followups.services import ContactData, log_contact
from facilitator.invites import questionnaire_links
from facilitator.invites.tokens import mint_contact_token, mint_join_token, mint_series_token
from facilitator.journey import assessments as rounds
from facilitator.journey.actions import ActionData, create_action
from facilitator.models import (
    Assessment,
    CalendarReply,
    CareHome,
    Contact,
    Group,
    LinkKind,
    MeetingSession,
    Partner,
    QuestionnaireInvite,
    QuestionnaireRound,
    Series,
    User,
)
from facilitator.models.users import PasswordResetToken
from facilitator.plans import services as plans
from facilitator.replies.calendar_apology import sync_calendar_apology
from facilitator.supervision import services as notes
from tests.browser.conftest import LiveServer, serious_accessibility_problems, sign_in
from tests.support import snapshot
from tests.support.factories import PASSWORD, Factory
from tests.support.invites import add_session
from tests.support.notes import NOTE_TEXT, WEB, write_record

ACCOUNTS = {
    "admin": "admin@demo.facilitator.scot",
    "lead": "lead@demo.facilitator.scot",
    "supervisor": "supervisor@demo.facilitator.scot",
    "facilitator": "facilitator@demo.facilitator.scot",
    "facilitator2": "facilitator2@demo.facilitator.scot",
}
MEETING = "https://meet.example.org/fife-cohort-3"  # never fetched: no page here follows it


@dataclass
class World:
    """The ids and tokens the pages are reached with."""

    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> int | str:
        if name in self.ids:
            return self.ids[name]
        if name in self.tokens:
            return self.tokens[name]
        raise AttributeError(name)


_KEPT: dict = {}


def seeded(live: LiveServer) -> World:
    """:func:`seed`, once per process; later tests get its rows back (``tests/support/snapshot``)."""
    return snapshot.seeded_once(_KEPT, live.app, lambda: seed(live))


def seed(live: LiveServer) -> World:
    load_demo(PASSWORD)
    db.session.commit()
    users = {key: db.session.scalar(select(User).where(User.email == email))
             for key, email in ACCOUNTS.items()}
    author = users["facilitator"]
    west = db.session.scalar(select(Group).where(Group.name.startswith("West of Scotland")))
    taken = db.session.scalars(select(MeetingSession).where(MeetingSession.group_id == west.id)
                               .order_by(MeetingSession.starts_at.desc())).first()

    make = Factory(live.app)
    homes = [make.home("Rowan Court", contacts=2, local_authority="fife"),
             make.home("Seaview House", contacts=1)]
    fife = make.group("Fife Cohort 3", facilitators=[author], homes=homes, provider="link",
                      joined_on=local_today() - timedelta(days=90))
    soon = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
    upcoming = add_session(fife, title="Week 9: endings and goodbyes", starts_at=soon, join_url=MEETING)
    untaken = add_session(fife, title="Week 8: staff wellbeing", starts_at=soon - timedelta(days=8),
                          join_url=MEETING, book=False)
    # Calendar answers for the upcoming session: Rowan Court's two contacts declined, Seaview accepted.
    for person, answer in zip([*homes[0].contacts, *homes[1].contacts], ("DECLINED", "DECLINED", "ACCEPTED"),
                              strict=True):
        db.session.add(CalendarReply(session_id=upcoming.id, contact_id=person.id, partstat=answer))
    _apologies_and_a_pause(homes, upcoming, author)
    note = notes.create_note(author, taken.id, NOTE_TEXT, WEB, taken.group.memberships[0].home_id, True)
    record = write_record(author, local_today() - timedelta(days=7), shared=True,
                          supervisor=users["supervisor"])
    contact = homes[0].contacts[0]
    series, series_contact = _series(make, author, soon)
    # Rowan Court's action plan: one overdue (owned by the contact), one for the manager role, one done.
    late = create_action(homes[0], ActionData(
        title="Name a trauma-informed champion", domain_key="governance", owner_contact_id=contact.id,
        due_on=local_today() - timedelta(days=10)))
    create_action(homes[0], ActionData(
        title="Make a quiet room", domain_key="environment", owner_role="manager",
        due_on=local_today() + timedelta(days=30), protected_hours=4))
    create_action(homes[0], ActionData(title="Share the toolkit with night staff", status="done"))
    assessment = _rounds(homes[0])
    _plan_and_summary(author, upcoming, untaken)
    follow_up = open_follow_up(fife.id, homes[0].id, "at_risk", "Missed the last 2 sessions.",
                               datetime.now(UTC))
    log_contact(follow_up, ContactData("phone", contact.id, "Short of staff this month."), by=author)
    reset = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(token_hash=auth_services.token_hash(reset), user_id=author.id,
                                      expires_at=datetime.now(UTC) + timedelta(minutes=30)))
    sponsor = agreements.send_agreement(agreements.create_agreement(homes[0], agreements.AgreementData(
        3, 1.5, 2, local_today(), sponsor_name="Morag Baird", sponsor_email="morag@board.example"), author))
    sponsor_link = links.kept_link(sponsor)  # the link the email carries
    post = db.session.scalar(select(QuestionnaireRound).where(QuestionnaireRound.kind == "post"))
    pre = db.session.scalar(select(QuestionnaireRound).where(QuestionnaireRound.kind == "pre",
                                                             QuestionnaireRound.group_id == post.group_id))
    waiting = db.session.scalars(select(QuestionnaireInvite).where(
        QuestionnaireInvite.round_id == post.id, QuestionnaireInvite.responded.is_(False))).first()
    world = World(
        ids={"group": fife.id, "upcoming": upcoming.id, "untaken": untaken.id, "taken": taken.id,
             "note": note.id, "record": record.id, "author": author.id, "home": homes[0].id,
             "contact": contact.id, "series_session": series.sessions[0].id, "action": late.id,
             "partner": db.session.scalar(select(Partner.id).order_by(Partner.id)),
             "assessment": assessment.id, "follow_up": follow_up.id, "agreement_id": sponsor.id,
             "home2": homes[1].id, "demo_group": post.group_id, "pre_round": pre.id},
        tokens={"join": mint_join_token(upcoming, contact), "home_link": mint_contact_token(contact),
                "reset": reset, "series": str(series.series_id),
                "series_join": mint_series_token(db.session.get(Series, series.series_id), series_contact),
                "series_feed": mint_contact_token(series_contact, LinkKind.FEED), "agreement": sponsor_link,
                "questionnaire": questionnaire_links.kept_link(waiting)})
    world.tokens.update(_signed_in(live, users))
    db.session.commit()
    return world


def _signed_in(live: LiveServer, users: dict[str, User]) -> dict[str, str]:
    """A session cookie per role, made as signing in makes one (``test_sign_in_browser`` signs in
    through the form): each page is then opened already signed in."""
    serializer = live.app.session_interface.get_signing_serializer(live.app)
    return {f"cookie:{role}": serializer.dumps({"sid": auth_services.start_session(user, "127.0.0.1", "axe")})
            for role, user in users.items()}


def _plan_and_summary(author: User, upcoming: MeetingSession, past: MeetingSession) -> None:
    now = datetime.now(UTC)
    plans.save_plan(upcoming, plans.PlanData("Saying goodbye well", "1. Check-in\n2. Endings"), author, now)
    shared = plans.SummaryData("We shared what helps the team after a hard shift.")
    plans.save_summary(past, shared, author, now)


def _apologies_and_a_pause(homes: list[CareHome], upcoming: MeetingSession, author: User) -> None:
    """Rowan Court's calendar apology (both its contacts declined, as reading the replies makes
    it), Seaview House's apology by link, and Seaview paused over that session's day (issue 18)."""
    now = datetime.now(UTC)
    sync_calendar_apology(upcoming, homes[0].id, now)
    short_staffed = apologies.ApologyInput("staffing", "Two carers off")
    apologies.send_apology(upcoming, homes[1].contacts[0], short_staffed, now)
    day = upcoming.local_date
    outbreak = pauses.PauseInput(day - timedelta(days=1), day + timedelta(days=2), "outbreak")
    pauses.add_pause(homes[1].id, outbreak, author, now)


def _series(make: Factory, author: User, soon: datetime) -> tuple[booking.BookingResult, Contact]:
    """A weekly series of another group, invited as one calendar entry (issue 15)."""
    home = make.home("Craigmore Lodge", contacts=1)
    group = make.group("Fife Cohort 4", facilitators=[author], homes=[home], provider="link",
                       joined_on=local_today() - timedelta(days=90))
    # allow_clash: the demo's own sessions may fall at that hour, whatever the time the test runs.
    asked = booking.Booking("Series week: noticing", soon + timedelta(hours=3), 60, provider="link",
                            join_url=MEETING, every="week", count=3, allow_clash=True)
    result = booking.book_sessions(author, group, asked, providers.hub(), zone="Europe/London",
                                   now=datetime.now(UTC))
    return result, home.contacts[0]


def _rounds(home: CareHome) -> Assessment:
    """A finished round and an open one, with ratings that went up, down and stayed."""
    first = rounds.start_round(home, rounds.Actor(), started_on=local_today() - timedelta(days=200))
    rounds.change_round(first, rounds.RoundChanges(
        ratings={"governance": rounds.RatingInput(2, "A named lead"), "policy": rounds.RatingInput(3),
                 "finance": rounds.RatingInput(1)},
        set_completed=True, completed_on=local_today() - timedelta(days=190)), rounds.Actor())
    latest = rounds.start_round(home, rounds.Actor(), started_on=local_today() - timedelta(days=5))
    rounds.change_round(latest, rounds.RoundChanges(ratings={
        "governance": rounds.RatingInput(3), "policy": rounds.RatingInput(2),
        "finance": rounds.RatingInput(1)}), rounds.Actor())
    return latest


def _round_errors(page: Page) -> None:
    page.get_by_label("Started on (the date on the paper copy, or of the visit)").fill("")
    page.get_by_role("button", name="Save the round").click()
    expect(page.locator(".error-summary a")).to_have_count(1)


@dataclass(frozen=True)
class Visit:
    name: str
    role: str | None  # None: not signed in
    path: Callable[[World], str]
    heading: str  # the page's h1 starts with this, so a wrong page cannot pass
    ipad: bool = False
    status: int = 200
    then: Callable[[Page], None] | None = None  # brings the page into the state to check


def _wrong_password(page: Page) -> None:
    page.get_by_label("Email").fill(ACCOUNTS["lead"])
    page.get_by_label("Password").fill("not the right one at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".field-error")).to_be_visible()


def _ask_for_reset(page: Page) -> None:
    page.get_by_label("Email").fill(ACCOUNTS["lead"])
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def _preview_series(page: Page) -> None:
    page.get_by_label("Date").fill((local_today() + timedelta(days=14)).isoformat())
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Meeting link").fill(MEETING)
    page.get_by_label("Repeat").select_option("week")
    page.get_by_label("Number of sessions").fill("6")
    page.get_by_role("button", name="Check the dates").click()
    expect(page.locator(".preview").get_by_role("heading", name="6 sessions")).to_be_visible()


def _sees_calendar_replies(page: Page) -> None:
    expect(page.get_by_text("Declined in calendar")).to_be_visible()
    expect(page.get_by_text("Calendar replies: Accepted 1.")).to_be_visible()


def _reschedule_preview(page: Page) -> None:
    page.get_by_label("Date").fill((local_today() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Check the new time").click()
    expect(page.locator(".preview").get_by_role("heading", name="1 session moves")).to_be_visible()


def _booking_errors(page: Page) -> None:
    page.get_by_label("Title").fill("")
    page.get_by_label("Date").fill("")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".field-error").first).to_be_visible()


def _register_errors(page: Page) -> None:
    page.locator("input[name$='staff_count']").first.fill("-4")
    page.get_by_role("button", name="Save register").click()
    expect(page.locator(".field-error").first).to_be_visible()


def _supervision_errors(page: Page) -> None:
    page.get_by_label("Date of supervision").fill((local_today() + timedelta(days=3)).isoformat())
    page.get_by_label("Length in minutes").fill("2")
    page.get_by_label("Next supervision planned for (optional)").fill(local_today().isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-summary a")).to_have_count(3)


def _user_errors(page: Page) -> None:
    page.get_by_label("Email").fill(ACCOUNTS["lead"])
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-summary a")).to_have_count(2)


def _deactivate(page: Page) -> None:
    page.get_by_label("Active").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Before"))


def _group_errors(page: Page) -> None:
    page.get_by_label("Name").fill("")
    page.get_by_label("Default length (minutes)").fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-summary a")).to_have_count(2)


def _comment_errors(page: Page) -> None:
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".error-summary a")).to_have_count(1)


def _mark_all_present(page: Page) -> None:
    page.get_by_role("button", name="Mark all present").click()
    expect(page.get_by_role("status")).to_contain_text("Every home is marked present")


def _open_past_sessions(page: Page) -> None:
    page.get_by_text("Past sessions", exact=True).click()
    expect(page.get_by_role("link", name="Register of Week 8: staff wellbeing")).to_be_visible()


def _filter_dashboard(page: Page) -> None:
    page.get_by_label("Group").select_option(label="East and Fife PSL")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/reports/attendance?group_id=*")


def _save_empty(page: Page) -> None:
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-summary")).to_be_visible()


def _send_now(page: Page) -> None:
    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".flashes")).to_contain_text("Sent 3.")


def _action_errors(page: Page) -> None:
    page.get_by_label("What will the home do?").fill("")
    page.get_by_label("Due by (optional)").fill("2150-01-01")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-summary a")).to_have_count(2)


def _pause_errors(page: Page) -> None:
    page.get_by_label("To (the last day of the pause)").fill("2020-01-01")
    page.get_by_role("button", name="Pause Rowan Court").click()
    expect(page.locator(".error-summary a")).to_have_count(2)


def _agree_without_a_name(page: Page) -> None:
    page.get_by_label("Your full name").fill("   ")
    page.get_by_role("button", name="I agree").click()
    expect(page.locator(".error-summary a")).to_have_count(1)


def _log_nothing(page: Page) -> None:
    page.get_by_role("button", name="Log the contact").click()
    expect(page.locator(".error-summary")).to_contain_text("Say what came of the contact.")


def _return_errors(page: Page) -> None:
    page.get_by_label("Care plans reviewed last month").fill("-1")
    page.get_by_label("Care staff, Informed").fill("lots")
    page.locator("form button[type=submit]").click()
    expect(page.locator(".error-summary a")).to_have_count(6)  # the four left blank too


def _path(template: str) -> Callable[[World], str]:
    return lambda world: template.format(w=world)


PAGES = [
    # Not signed in: sign-in and password reset.
    Visit("sign-in", None, _path("/login"), "Sign in"),
    Visit("sign-in-error", None, _path("/login"), "Sign in", then=_wrong_password),
    Visit("forgot-password", None, _path("/password/forgot"), "Reset your password"),
    Visit("forgot-password-sent", None, _path("/password/forgot"), "Check your email", then=_ask_for_reset),
    Visit("reset-password", None, _path("/password/reset?token={w.reset}"), "Choose a new password"),
    Visit("reset-password-expired", None, _path("/password/reset?token=made-up"), "This link has expired",
          status=410),
    # A care-home contact on the shared iPad.
    Visit("contact-home", None, _path("/h/{w.home_link}"), "Rowan Court", ipad=True),
    Visit("contact-questionnaire", None, _path("/q/{w.questionnaire}"), "Confidence in trauma-informed",
          ipad=True),
    Visit("contact-session", None, _path("/h/{w.home_link}/sessions/{w.upcoming}"), "Week 9", ipad=True),
    Visit("contact-reminders", None, _path("/h/{w.home_link}/reminders"), "Reminder", ipad=True),
    Visit("contact-assessment", None, _path("/h/{w.home_link}/assessment"), "Rowan Court: self-assessment",
          ipad=True),
    Visit("contact-assessment-step", None, _path("/h/{w.home_link}/assessment/1"), "Governance", ipad=True),
    Visit("contact-indicators", None, _path("/h/{w.home_link}/indicators"), "Rowan Court:", ipad=True),
    Visit("contact-indicators-errors", None, _path("/h/{w.home_link}/indicators"), "Rowan Court:", ipad=True,
          then=_return_errors),
    Visit("join", None, _path("/j/{w.join}"), "Week 9", ipad=True),
    Visit("join-unknown-link", None, _path("/j/" + "x" * 43), "", ipad=True, status=404),
    Visit("join-series", None, _path("/j/{w.series_join}"), "Series week", ipad=True),
    Visit("feed-series", None, _path("/feeds/{w.series_feed}/series/{w.series}"), "Series week", ipad=True),
    # A home's senior sponsor, through their link.
    Visit("sponsor-agreement", None, _path("/a/{w.agreement}"), "Protected-time agreement", ipad=True),
    Visit("sponsor-agreement-error", None, _path("/a/{w.agreement}"), "Protected-time agreement", ipad=True,
          then=_agree_without_a_name),
    # A facilitator.
    Visit("facilitator-home", "facilitator", _path("/"), "Welcome"),
    Visit("groups", "facilitator", _path("/groups"), "Groups"),
    Visit("group", "facilitator", _path("/groups/{w.group}"), "Fife Cohort 3"),
    Visit("readiness-form", "facilitator", _path("/groups/{w.group}/members/{w.home2}/readiness"),
          "Readiness of Seaview House"),
    Visit("agreement-new", "facilitator", _path("/homes/{w.home}/agreements/new"),
          "Draft a protected-time agreement"),
    Visit("agreement-paper", "facilitator", _path("/agreements/{w.agreement_id}/paper"),
          "Record the signed letter"),
    Visit("group-questionnaires", "lead", _path("/groups/{w.demo_group}/questionnaires"), "Questionnaires"),
    Visit("questionnaire-results", "lead", _path("/questionnaire-rounds/{w.pre_round}"),
          "Confidence in trauma-informed"),
    Visit("questionnaire-templates", "admin", _path("/admin/questionnaires"), "Questionnaires"),
    Visit("group-progress", "facilitator", _path("/groups/{w.group}/progress"), "Progress of Fife Cohort 3"),
    Visit("indicators-paper", "facilitator", _path("/homes/{w.home}/indicators/2026-01/edit"),
          "Rowan Court: return for January 2026"),
    Visit("indicators-programme", "lead", _path("/reports/indicators"),
          "Implementation indicators: every home"),
    Visit("indicators-group-errors", "facilitator", _path("/reports/indicators?from=2026-13"),
          "Implementation indicators", status=422),
    Visit("programme-report", "lead", _path("/reports/programme?from=2026-01-01&to=2026-12-31"),
          "Programme report"),
    Visit("programme-report-errors", "lead", _path("/reports/programme?from=2026-13-01&to="),
          "Programme report", status=422),
    Visit("programme-report-snapshots", "lead", _path("/reports/programme/snapshots"),
          "Programme report snapshots"),
    Visit("home-assessments", "facilitator", _path("/homes/{w.home}/assessments"),
          "Rowan Court: self-assessment"),
    Visit("assessment-edit", "facilitator", _path("/assessments/{w.assessment}/edit"),
          "Rowan Court: round 2"),
    Visit("assessment-edit-errors", "facilitator", _path("/assessments/{w.assessment}/edit"),
          "Rowan Court: round 2", then=_round_errors),
    Visit("group-past-sessions", "facilitator", _path("/groups/{w.group}"), "Fife Cohort 3",
          then=_open_past_sessions),
    Visit("book", "facilitator", _path("/groups/{w.group}/sessions/new"), "Book a session"),
    Visit("book-series-preview", "facilitator", _path("/groups/{w.group}/sessions/new"), "Book a session",
          then=_preview_series),
    Visit("book-errors", "facilitator", _path("/groups/{w.group}/sessions/new"), "Book a session",
          then=_booking_errors),
    Visit("session", "facilitator", _path("/sessions/{w.upcoming}"), "Week 9"),
    Visit("session-sent-now", "facilitator", _path("/sessions/{w.upcoming}"), "Week 9", then=_send_now),
    Visit("series-session", "facilitator", _path("/sessions/{w.series_session}"), "Series week"),
    Visit("reschedule", "facilitator", _path("/sessions/{w.upcoming}/reschedule"), "Reschedule"),
    Visit("reschedule-preview", "facilitator", _path("/sessions/{w.upcoming}/reschedule"), "Reschedule",
          then=_reschedule_preview),
    Visit("cancel", "facilitator", _path("/sessions/{w.upcoming}/cancel"), "Cancel"),
    Visit("session-plan", "facilitator", _path("/sessions/{w.upcoming}/plan"), "Plan for Week 9"),
    Visit("session-summary", "facilitator", _path("/sessions/{w.untaken}/summary"), "Summary of Week 8"),
    Visit("session-summary-preview", "facilitator", _path("/sessions/{w.untaken}/summary/preview"),
          "Preview: summary of Week 8"),
    Visit("invitations", "facilitator", _path("/sessions/{w.upcoming}/invitations"), "Invitations"),
    Visit("registers", "facilitator", _path("/registers"), "Registers"),
    Visit("register", "facilitator", _path("/sessions/{w.taken}/register"), "Register"),
    Visit("register-not-taken", "facilitator", _path("/sessions/{w.untaken}/register"), "Register"),
    Visit("register-calendar-replies", "facilitator", _path("/sessions/{w.upcoming}/register"), "Register",
          then=_sees_calendar_replies),
    Visit("register-errors", "facilitator", _path("/sessions/{w.untaken}/register"), "Register",
          then=_register_errors),
    Visit("register-marked-all", "facilitator", _path("/sessions/{w.untaken}/register"), "Register",
          then=_mark_all_present),
    Visit("action-plan", "facilitator", _path("/homes/{w.home}/actions"), "Rowan Court: action plan"),
    Visit("action-from-gap", "facilitator", _path("/homes/{w.home}/actions/new?domain_key=workforce"),
          "Add an action"),
    Visit("action-errors", "facilitator", _path("/homes/{w.home}/actions/new"), "Add an action",
          then=_action_errors),
    Visit("action-edit", "facilitator", _path("/actions/{w.action}/edit"), "Edit an action"),
    Visit("follow-ups", "facilitator", _path("/follow-ups"), "Follow-ups"),
    Visit("follow-up", "facilitator", _path("/follow-ups/{w.follow_up}"), "Follow-up: Rowan Court"),
    Visit("follow-up-errors", "facilitator", _path("/follow-ups/{w.follow_up}"), "Follow-up: Rowan Court",
          then=_log_nothing),
    Visit("missed-you-preview", "facilitator", _path("/follow-ups/{w.follow_up}/missed-you"),
          "“We missed you” to Rowan Court"),
    Visit("notes", "facilitator", _path("/notes"), "Your confidential notes"),
    Visit("note-new", "facilitator", _path("/notes/new"), "Write a confidential note"),
    Visit("note", "facilitator", _path("/notes/{w.note}"), "Confidential note"),
    Visit("note-edit", "facilitator", _path("/notes/{w.note}/edit"), "Edit"),
    Visit("note-audit", "facilitator", _path("/notes/{w.note}/audit"), ""),
    Visit("supervision", "facilitator", _path("/supervision"), "Your supervision log"),
    Visit("calendar-week", "facilitator", _path("/calendar"), "Calendar"),
    Visit("calendar-month", "facilitator", _path("/calendar?view=month"), "Calendar"),
    Visit("calendar-month-ipad", "facilitator", _path("/calendar?view=month"), "Calendar", ipad=True),
    Visit("supervision-new", "facilitator", _path("/supervision/new"), "Record supervision"),
    Visit("supervision-new-errors", "facilitator", _path("/supervision/new"), "Record supervision",
          then=_supervision_errors),
    Visit("supervision-record", "facilitator", _path("/supervision/records/{w.record}"), "Supervision"),
    Visit("supervision-record-audit", "facilitator", _path("/supervision/records/{w.record}/audit"), ""),
    Visit("account", "facilitator", _path("/account"), "Your account"),
    Visit("change-password", "facilitator", _path("/account/password"), "Change"),
    Visit("two-factor-setup", "facilitator", _path("/account/two-factor"), ""),
    Visit("partners", "facilitator", _path("/partners"), "Partner organisations"),
    Visit("resources", "facilitator", _path("/resources"), "Resource library"),
    Visit("resources-filtered", "lead", _path("/resources?level=informed&format=animation&q=doors"),
          "Resource library"),
    Visit("resource-new", "facilitator", _path("/resources/new"), "Add a resource"),
    Visit("resource-new-errors", "facilitator", _path("/resources/new"), "Add a resource", then=_save_empty),
    Visit("resources-import", "facilitator", _path("/resources/import"), "Import resources"),
    Visit("partner-contact-new", "facilitator", _path("/homes/{w.home}/partner-contacts/new"),
          "Record a contact"),
    Visit("partner-contact-errors", "facilitator", _path("/homes/{w.home}/partner-contacts/new"),
          "Record a contact", then=_save_empty),
    Visit("pause-new", "facilitator", _path("/homes/{w.home}/pauses/new"), "Pause Rowan Court"),
    Visit("pause-errors", "facilitator", _path("/homes/{w.home}/pauses/new"), "Pause Rowan Court",
          then=_pause_errors),
    Visit("note-refused", "facilitator2", _path("/notes/{w.note}"), "You do not have access", status=403),
    # A supervisor.
    Visit("supervisor-home", "supervisor", _path("/"), "Welcome"),
    Visit("supervisor-supervision", "supervisor", _path("/supervision"), ""),
    Visit("supervisee-log", "supervisor", _path("/supervision/facilitators/{w.author}"), ""),
    Visit("supervisor-records-for-supervisee", "supervisor",
          _path("/supervision/facilitators/{w.author}/new"),
          "Record supervision with"),
    Visit("supervisor-shared-record", "supervisor", _path("/supervision/records/{w.record}"), "Supervision"),
    Visit("supervisor-comment-errors", "supervisor", _path("/supervision/records/{w.record}"), "Supervision",
          then=_comment_errors),
    Visit("supervisor-shared-note", "supervisor", _path("/notes/{w.note}"), "Confidential note"),
    # A lead.
    Visit("lead-home", "lead", _path("/"), "Welcome"),
    Visit("lead-progress", "lead", _path("/progress"), "Progress of every home"),
    Visit("lead-all-actions", "lead", _path("/reports/actions"), "All homes' actions"),
    Visit("dashboard", "lead", _path("/reports/attendance"), "Attendance and engagement"),
    Visit("dashboard-filtered", "lead", _path("/reports/attendance"), "Attendance and engagement",
          then=_filter_dashboard),
    Visit("dashboard-print", "lead", _path("/reports/attendance/print"), ""),
    Visit("supervision-cadence", "lead", _path("/supervision"), ""),
    Visit("lead-action-plan", "lead", _path("/homes/{w.home}/actions"), "Rowan Court: action plan"),
    Visit("partners-filtered", "lead",
          _path("/partners?local_authority=city_of_edinburgh&specialism=sexual_violence"),
          "Partner organisations"),
    Visit("lead-calendar", "lead", _path("/calendar?facilitator={w.author}"), "Calendar"),
    # An admin.
    Visit("admin-home", "admin", _path("/"), "Welcome"),
    Visit("users", "admin", _path("/users"), "Users"),
    Visit("user-new", "admin", _path("/users/new"), ""),
    Visit("user-new-errors", "admin", _path("/users/new"), "", then=_user_errors),
    Visit("user-edit", "admin", _path("/users/{w.author}"), ""),
    Visit("user-sign-ins", "admin", _path("/users/{w.author}/sign-ins"), ""),
    Visit("user-handover", "admin", _path("/users/{w.author}"), "Before", then=_deactivate),
    Visit("users-searched", "admin", _path("/users?q=demo&sort=last_sign_in&dir=desc"), "Users"),
    Visit("users-none-found", "admin", _path("/users?q=nobody"), "Users"),
    Visit("homes", "admin", _path("/homes"), "Care homes"),
    Visit("homes-searched", "admin", _path("/homes?q=o&sort=beds&dir=desc"), "Care homes"),
    Visit("home", "admin", _path("/homes/{w.home}"), "Rowan Court"),
    Visit("home-new", "admin", _path("/homes/new"), ""),
    Visit("contact-edit", "admin", _path("/homes/{w.home}/contacts/{w.contact}"), ""),
    Visit("contact-links", "admin", _path("/contacts/{w.contact}/links"), ""),
    Visit("admin-groups", "admin", _path("/groups"), "Groups"),
    Visit("group-new", "admin", _path("/groups/new"), ""),
    Visit("group-edit", "admin", _path("/groups/{w.group}/edit"), ""),
    Visit("group-edit-errors", "admin", _path("/groups/{w.group}/edit"), "", then=_group_errors),
    Visit("partner-new", "admin", _path("/partners/new"), "Add a partner"),
    Visit("partner-new-errors", "admin", _path("/partners/new"), "Add a partner", then=_save_empty),
    Visit("partner-edit", "admin", _path("/partners/{w.partner}/edit"), "Edit"),
    Visit("partners-import", "admin", _path("/partners/import"), "Import partners"),
    Visit("outbox", "admin", _path("/outbox"), "Outbox"),
    Visit("outbox-sent", "admin", _path("/outbox?show=sent"), "Outbox"),
    Visit("video-providers", "admin", _path("/video-providers"), ""),
    Visit("confidential-records", "admin", _path("/admin/confidential"), ""),
    Visit("audit-log", "admin", _path("/admin/audit"), ""),
    Visit("not-found", "admin", _path("/no-such-page"), "", status=404),
]


def open_as(page: Page, live: LiveServer, world: World, visit: Visit) -> None:
    if visit.role is not None:
        page.context.add_cookies([{"name": live.app.config["SESSION_COOKIE_NAME"],
                                   "value": world.tokens[f"cookie:{visit.role}"], "url": live.url}])
    response = page.goto(live.url + visit.path(world))
    assert response is not None and response.status == visit.status, (visit.path(world), response.status)
    if visit.then is not None:
        visit.then(page)
    h1 = page.get_by_role("heading", level=1)
    expect(h1).to_have_count(1)
    assert h1.inner_text().startswith(visit.heading), h1.inner_text()
    title = page.title().removesuffix(" – Facilitator")
    assert re.search("[A-Za-z]", title) and title != "Facilitator", f"a title naming the page: {title!r}"


@pytest.mark.parametrize("visit", PAGES, ids=[v.name for v in PAGES])
def test_the_page_has_no_serious_accessibility_problem(live_server, request, visit):
    world = seeded(live_server)
    page = request.getfixturevalue("ipad_page" if visit.ipad else "page")
    open_as(page, live_server, world, visit)
    assert serious_accessibility_problems(page) == []

    # Zoomed to 400% (or on a phone): 320 CSS pixels wide. Wide tables scroll in their own
    # focusable box; the page itself never scrolls sideways (WCAG 1.4.10).
    page.set_viewport_size({"width": 320, "height": 800})
    assert serious_accessibility_problems(page) == [], "at 320px wide"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "no sideways scrolling at 320px"


# Keyboard ------------------------------------------------------------------------------------

MARK_TAB_STOPS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
  const stops = [...document.querySelectorAll(selector)].filter(e =>
    e.tabIndex >= 0 && !e.matches(':disabled') && e.checkVisibility({visibilityProperty: true}));
  stops.forEach((e, i) => { e.dataset.tabStop = String(i); });
  return stops.map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' '
                        + (e.innerText || e.name || '').trim().slice(0, 40));
}"""

START_AT_THE_TOP = """() => {
  const anchor = document.createElement('span');
  anchor.tabIndex = -1;
  document.body.prepend(anchor);
  anchor.focus();
  anchor.remove();  // the next Tab starts from where it was: the first stop of the page
}"""

FOCUSED = r"""() => {
  const e = document.activeElement;
  if (!e || e === document.body || e.dataset.tabStop === undefined) { return null; }
  const style = getComputedStyle(e);
  let back = 'rgba(0, 0, 0, 0)';
  for (let a = e.parentElement; a; a = a.parentElement) {
    back = getComputedStyle(a).backgroundColor;
    if (!/rgba\(.*, 0\)$/.test(back) && back !== 'transparent') { break; }
  }
  const box = e.getBoundingClientRect();
  return {stop: Number(e.dataset.tabStop), outlineStyle: style.outlineStyle,
          outlineWidth: parseFloat(style.outlineWidth), outlineColor: style.outlineColor,
          boxShadow: style.boxShadow, background: back,
          inView: box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth};
}"""


def _rgb(text: str) -> tuple[float, float, float] | None:
    match = re.search(r"rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)", text)
    if match is None or (match.group(4) is not None and float(match.group(4)) == 0):
        return None
    return float(match.group(1)), float(match.group(2)), float(match.group(3))


def _contrast(one: tuple[float, float, float], two: tuple[float, float, float]) -> float:
    def luminance(rgb: tuple[float, float, float]) -> float:
        parts = [c / 255 for c in rgb]
        r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def focus_ring_contrast(focus: dict) -> float:
    """The best contrast of the focus indicator (outline or box-shadow ring) with what is around it."""
    background = _rgb(focus["background"]) or (255, 255, 255)
    rings = []
    if focus["outlineStyle"] not in ("none", "hidden") and focus["outlineWidth"] >= 2:
        rings.append(_rgb(focus["outlineColor"]))
    shadow = re.fullmatch(r"(rgba?\([^)]*\)) 0px 0px 0px ([\d.]+)px", focus["boxShadow"])
    if shadow and float(shadow.group(2)) >= 2:
        rings.append(_rgb(shadow.group(1)))
    return max((_contrast(ring, background) for ring in rings if ring is not None), default=0.0)


def tab_through(page: Page) -> list[str]:
    """Press Tab from the top of the page to its end; every stop must show its focus clearly.

    Returns the stops in the order focus reached them; fails unless that is the order of the
    page's focusable elements in the DOM, each reached once, none skipped.
    """
    expected = page.evaluate(MARK_TAB_STOPS)
    page.evaluate(START_AT_THE_TOP)
    reached: list[int] = []
    for _ in range(3 * len(expected) + 5):  # a date or time input takes a Tab per part
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUSED)
        if focus is None or (reached and focus["stop"] < reached[-1]):
            break  # past the last stop: back to the browser or round to the top
        if reached and focus["stop"] == reached[-1]:
            continue
        name = expected[focus["stop"]]
        assert focus["inView"], f"{name} is focused but off screen"
        ring = focus_ring_contrast(focus)
        assert ring >= 3, f"{name}: focus indicator contrast {ring:.2f}:1 is under 3:1 ({focus})"
        reached.append(focus["stop"])
    assert reached == list(range(len(expected))), [expected[i] for i in reached]
    return [expected[i] for i in reached]


def test_the_register_form_by_keyboard_alone(live_server, page):
    world = seeded(live_server)
    sign_in(page, live_server, ACCOUNTS["facilitator"], PASSWORD)
    page.goto(f"{live_server.url}/sessions/{world.untaken}/register")
    stops = tab_through(page)
    assert stops[0].startswith("a Skip to main content")
    controls = [s for s in stops if s.startswith(("select", "input"))]
    assert len(controls) == 2 * 5, controls  # two homes: attendance, staff, engagement, manager, comment
    assert stops.index("button Save register") > stops.index(controls[-1])

    # Fill in the first home and save, with the keyboard only, starting from the skip link.
    page.evaluate(START_AT_THE_TOP)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Skip to main content
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # Session details
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('fieldset.register-row').querySelector('legend')"
                         ".innerText") == "Rowan Court"
    page.keyboard.type("P")  # Attendance: Present
    page.keyboard.press("Tab")
    page.keyboard.type("3")  # Staff taking part
    page.keyboard.press("Tab")
    page.keyboard.type("3")  # Engagement: 3 – shared practice
    page.keyboard.press("Tab")
    page.keyboard.type("Y")  # Manager or team leader there? Yes
    page.keyboard.press("Tab")
    page.keyboard.type("Talked through a care plan")
    for _ in range(10):  # on through the second home to the button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.innerText") == "Save register":
            break
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text("saved")
    row = page.get_by_role("group", name="Rowan Court")
    assert [row.get_by_label(label).input_value() for label in (
        "Attendance", "Staff taking part", "Engagement", "Manager or team leader there?",
        "Comment (not confidential)")] == ["present", "3", "3", "yes", "Talked through a care plan"]


def test_the_booking_form_by_keyboard_alone(live_server, page):
    world = seeded(live_server)
    sign_in(page, live_server, ACCOUNTS["facilitator"], PASSWORD)
    page.goto(f"{live_server.url}/groups/{world.group}/sessions/new")
    before = tab_through(page)
    assert not any(s.startswith("input#repeat_count") for s in before), "hidden until the session repeats"
    assert [s.split(" ")[0] for s in before if s.startswith(("input", "select"))] == [
        "input#title", "input#date", "input#start_time", "input#duration_minutes", "select#provider",
        "input#join_url", "select#repeat_every", "input#preview", "input#book"]

    # Choosing a series by keyboard shows the number of sessions as the very next stop.
    page.get_by_label("Repeat").focus()
    page.keyboard.type("Every w")
    expect(page.get_by_label("Number of sessions")).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "repeat_count"
    after = [stop.split(" ")[0] for stop in tab_through(page)]
    assert after.index("input#repeat_count") == after.index("select#repeat_every") + 1
