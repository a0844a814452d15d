"""The whole story in one run of headless Chromium, through the screens people use.

A facilitator books a weekly series and watches its invitations go out; a care-home contact opens
the link from their email on the shared iPad and joins; the facilitator takes the register; a lead
filters the dashboard and downloads the CSV with that register in it; the facilitator writes a
confidential note that a co-facilitator cannot open. The outbox and sync workers run in-process
through their CLI commands between steps. Nothing leaves loopback: every request to another host
is stopped (the meeting provider's page is answered by the test) and listed, and the list must
stay empty. If any step fails, test-artifacts/ gets a screenshot of every step so far and of each
person's page as it was.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from facilitator.clock import local_today, zone
from facilitator.extensions import db
from facilitator.invites.tokens import find_series_token
from facilitator.models import JoinRecord, MeetingSession
from facilitator.models.supervision import AuditEvent
from tests.browser.conftest import IPAD, Artefacts, LiveServer, sign_in
from tests.support.factories import PASSWORD, Factory
from tests.support.invites import parse, set_now
from tests.support.notes import NOTE_TEXT, leaked

GROUP = "Fife Cohort 3"
TITLE = "Noticing trauma in daily care"
MEETING = "https://meet.example.org/fife-cohort-3"
COMMENT = "Talked through a care plan together"
MEETING_PAGE = "<!doctype html><html lang=en><title>Meeting</title><h1>In the meeting</h1></html>"


class Loopback:
    """Keeps a browser context on the live server; stands in for the meeting provider.

    Chromium follows a redirect without asking the route again, so a navigation to a join link
    is fetched here first: when the app answers with a redirect away from loopback (to the
    meeting), the redirect is recorded and the browser is shown the provider's page in its
    place. Any other request that is not for the live server is stopped and listed.
    """

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.redirects: list[tuple[int, str, dict[str, str]]] = []
        self.stopped: list[str] = []

    def guard(self, context: BrowserContext) -> None:
        context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.live.url + "/j/") and route.request.is_navigation_request():
            response = route.fetch(max_redirects=0)
            location = response.headers.get("location", "")
            if response.status in (301, 302, 303, 307, 308) and not location.startswith(self.live.url + "/"):
                self.redirects.append((response.status, location, response.headers))
                route.fulfill(status=200, content_type="text/html", body=MEETING_PAGE)
            else:
                route.fulfill(response=response)
        elif url.startswith(self.live.url + "/"):
            route.continue_()
        else:
            self.stopped.append(url)
            route.abort()


def seed(live: LiveServer) -> dict[str, Any]:
    make = Factory(live.app)
    people = {
        "facilitator": make.user("facilitator", name="Ailsa Fraser"),
        "co_facilitator": make.user("facilitator", name="Callum Reid"),
        "lead": make.user("lead", name="Iain MacLeod"),
    }
    rowan, seaview = make.home("Rowan Court", contacts=2), make.home("Seaview House", contacts=1)
    make.group(GROUP, facilitators=[people["facilitator"], people["co_facilitator"]], homes=[rowan, seaview],
               provider="link", joined_on=local_today() - timedelta(days=60))
    db.session.commit()
    return {"emails": {role: user.email for role, user in people.items()},
            "contact": rowan.contacts[0].email}


def run(live: LiveServer, *args: str) -> str:
    """A worker's CLI command, run here as cron would run it (with a fresh view of the database)."""
    db.session.rollback()
    result = live.app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def open_signed_in(artefacts: Artefacts, loopback: Loopback, label: str, email: str) -> Page:
    page = artefacts.open(label, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    loopback.guard(page.context)
    sign_in(page, loopback.live, email, PASSWORD)
    return page


def sessions_booked() -> list[MeetingSession]:
    db.session.rollback()
    return list(db.session.scalars(select(MeetingSession).where(MeetingSession.title == TITLE)
                                   .order_by(MeetingSession.starts_at)))


def test_book_invite_join_register_report_and_keep_the_note_private(make_live_server, artefacts, tmp_path):
    live = make_live_server(MAIL_BACKEND="memory")
    loopback = Loopback(live)
    world = seed(live)
    first_day = local_today() + timedelta(days=7)

    # 1. The facilitator books a weekly series of six for the group.
    facilitator = open_signed_in(artefacts, loopback, "facilitator", world["emails"]["facilitator"])
    facilitator.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    facilitator.get_by_role("link", name=GROUP).click()
    facilitator.get_by_role("link", name="Book a session").click()
    facilitator.get_by_label("Title").fill(TITLE)
    facilitator.get_by_label("Date").fill(first_day.isoformat())
    facilitator.get_by_label("Start time").fill("10:00")
    facilitator.get_by_label("Length (minutes)").fill("90")
    facilitator.get_by_label("Video provider").select_option("link")
    facilitator.get_by_label("Meeting link").fill(MEETING)
    facilitator.get_by_label("Repeat").select_option("week")
    facilitator.get_by_label("Number of sessions").fill("6")
    facilitator.get_by_role("button", name="Check the dates").click()
    expect(facilitator.locator(".preview").get_by_role("heading", name="6 sessions")).to_be_visible()
    artefacts.step(facilitator, "booking-preview")
    facilitator.get_by_role("button", name="Book", exact=True).click()
    expect(facilitator.locator(".flashes")).to_contain_text("Booked 6 sessions")
    expect(facilitator.locator("tr.session-row")).to_have_count(6)
    artefacts.step(facilitator, "booked")

    assert run(live, "sync").startswith("Sync: 1 synced")  # the booking left the sixth to the worker
    booked = sessions_booked()
    assert len(booked) == 6 and {s.sync_state for s in booked} == {"synced"}
    assert {s.join_url for s in booked} == {MEETING} and len({s.series_id for s in booked}) == 1
    first_id, starts_at, ends_at = booked[0].id, booked[0].starts_at, booked[0].ends_at
    assert starts_at.astimezone(zone()) == datetime.combine(first_day, time(10, 0), tzinfo=zone())

    # 2. The first session's invitations wait in the outbox, then go out when the worker runs.
    facilitator.locator("tr.session-row").first.get_by_role("link").click()
    expect(facilitator.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    summary = facilitator.locator(".invite-summary")
    expect(summary).to_contain_text("3 contacts invited")
    expect(summary).to_contain_text("3 waiting")
    summary.get_by_role("link", name="Who was sent what, and resend").click()
    expect(facilitator.get_by_role("heading", name="Invitations")).to_be_visible()
    invitations = facilitator.locator("table tbody tr")
    expect(invitations).to_have_count(3)
    expect(invitations.filter(has_text="Waiting")).to_have_count(3)
    assert "Sent" not in invitations.all_inner_texts()[0]

    # A series is one calendar entry: one invitation per contact for all six sessions (issue 15).
    assert run(live, "outbox", "send").startswith("Outbox: 3 sent")
    facilitator.reload()
    expect(invitations.filter(has_text="Sent")).to_have_count(3)
    expect(invitations.filter(has_text="Rowan Court")).to_have_count(2)
    artefacts.step(facilitator, "invitations-sent")

    # 3. On the day, a Rowan Court contact opens the link in their invitation on the shared iPad:
    # the series' link, which opens the session of the day.
    mail = [parse(raw) for _, raw in live.app.extensions["mail_backend"].sent]
    (join_link,) = {link for m in mail if m.to == world["contact"] for link in m.links(f"{live.url}/j/")}
    assert find_series_token(join_link.rsplit("/", 1)[1]) is not None
    set_now(live.app, starts_at - timedelta(minutes=40))  # before the join window opens

    ipad = artefacts.open("ipad", **IPAD)
    loopback.guard(ipad.context)
    ipad.goto(join_link)
    expect(ipad.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(ipad.get_by_text("Starts in 40 minutes")).to_be_visible()
    artefacts.step(ipad, "join-page")
    set_now(live.app, starts_at - timedelta(minutes=10))
    ipad.get_by_role("link", name="Join the session").tap()
    expect(ipad.get_by_role("heading", name="In the meeting")).to_be_visible()
    assert [(status, location) for status, location, _ in loopback.redirects] == [(303, MEETING)]
    assert loopback.redirects[0][2].get("referrer-policy") == "no-referrer", "the token stays with us"
    db.session.rollback()
    joins = db.session.scalars(select(JoinRecord).order_by(JoinRecord.id)).all()
    assert [(j.session_id, j.in_window, j.user_agent_family) for j in joins] == [
        (first_id, False, "Safari on iPad"), (first_id, True, "Safari on iPad")]

    # 4. After the session, the facilitator takes the register, with the join as evidence.
    set_now(live.app, ends_at + timedelta(minutes=15))
    facilitator.get_by_role("navigation", name="Main").get_by_role("link", name="Registers").click()
    row = facilitator.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Not taken")
    row.get_by_role("link").click()
    expect(facilitator.get_by_role("heading", name="Register", level=1)).to_be_visible()
    rowan = facilitator.get_by_role("group", name="Rowan Court")
    seaview = facilitator.get_by_role("group", name="Seaview House")
    expect(rowan.locator(".evidence")).to_contain_text("Opened the join link 1 time")
    rowan.get_by_label("Attendance").select_option(label="Present")
    rowan.get_by_label("Staff taking part").fill("4")
    rowan.get_by_label("Engagement").select_option("3")
    rowan.get_by_label("Manager or team leader there?").select_option("yes")
    rowan.get_by_label("Comment (not confidential)").fill(COMMENT)
    seaview.get_by_label("Attendance").select_option(label="Absent")
    artefacts.step(facilitator, "register-filled")
    facilitator.get_by_role("button", name="Save register").click()
    expect(facilitator.locator(".flashes")).to_contain_text("saved")
    expect(facilitator.locator(".register-state")).to_contain_text("by Ailsa Fraser")
    expect(rowan.get_by_label("Staff taking part")).to_have_value("4")
    artefacts.step(facilitator, "register-saved")

    # 5. A lead filters the dashboard to the group and downloads its CSV.
    lead = open_signed_in(artefacts, loopback, "lead", world["emails"]["lead"])
    lead.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(lead.get_by_role("heading", name="Attendance and engagement")).to_be_visible()
    lead.get_by_label("Group").select_option(label=GROUP)
    lead.get_by_role("button", name="Show").click()
    lead.wait_for_url("**/reports/attendance?group_id=*")
    homes = lead.locator("table.engagement tbody tr")
    expect(homes).to_have_count(2)
    expect(homes.filter(has_text="Rowan Court")).to_have_count(1)
    artefacts.step(lead, "dashboard-filtered")
    with lead.expect_download() as info:
        lead.get_by_role("link", name="Download CSV").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    exported = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert {row["group"] for row in exported} == {GROUP}
    saved = {row["home_name"]: row for row in exported if row["session_id"] == str(first_id)}
    assert set(saved) == {"Rowan Court", "Seaview House"}
    columns = ("status", "staff_count", "engagement", "manager_or_team_leader_present", "comment")
    assert [saved["Rowan Court"][c] for c in columns] == ["present", "4", "3", "yes", COMMENT]
    assert saved["Seaview House"]["status"] == "absent"

    # 6. The facilitator writes a confidential note; the co-facilitator cannot open it.
    facilitator.get_by_role("navigation", name="Main").get_by_role("link", name="Notes").click()
    facilitator.get_by_role("link", name="Write a note").click()
    facilitator.get_by_label("Session").select_option(str(first_id))
    facilitator.get_by_label("About one home (optional)").select_option(label="Rowan Court")
    facilitator.get_by_label("Note", exact=True).fill(NOTE_TEXT)
    facilitator.get_by_role("button", name="Save note").click()
    facilitator.wait_for_url(f"{live.url}/notes/*")
    expect(facilitator.get_by_text("Your note is saved and encrypted.")).to_be_visible()
    expect(facilitator.locator(".confidential")).to_have_text(NOTE_TEXT)
    note_url = facilitator.url
    artefacts.step(facilitator, "note-saved")

    colleague = open_signed_in(artefacts, loopback, "co-facilitator", world["emails"]["co_facilitator"])
    response = colleague.goto(note_url)
    assert response is not None and response.status == 403
    expect(colleague.get_by_role("heading", name="You do not have access to this page.")).to_be_visible()
    assert leaked(colleague.content()) == []
    colleague.get_by_role("navigation", name="Main").get_by_role("link", name="Notes").click()
    expect(colleague.get_by_text("There are no notes yet.")).to_be_visible()
    assert leaked(colleague.content()) == []
    assert leaked(target.read_bytes()) == [], "notes never reach the export"
    artefacts.step(colleague, "note-refused")

    db.session.rollback()
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert [(e.action, e.object_type) for e in denied] == [("read", "note")]
    assert loopback.stopped == [], "nothing left loopback"
