"""Every route × every role: who gets in and who is refused. A new route must be added here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from facilitator import providers as booking_providers
from facilitator.access import ADMIN, LEAD_OR_ADMIN, PUBLIC, READERS, STAFF, allowed_roles
from facilitator.auth.api_tokens import issue_api_token
from facilitator.booking import services as booking_services
from facilitator.extensions import db
from facilitator.journey.actions import ActionData, create_action
from facilitator.models import Group, User
from tests.support.factories import Auth, Factory
from tests.support.invites import UNKNOWN_TOKEN, first_outbox_message_id

P = frozenset({PUBLIC})
FACILITATOR_ONLY = frozenset({"facilitator"})
NOTE_READERS = frozenset({"facilitator", "supervisor"})
LOG_VIEWERS = frozenset({"supervisor", "lead", "admin"})
MISSING_ROW = 2**31 - 1
BOOKERS = frozenset({"admin", "facilitator"})  # facilitators only for groups they facilitate

EXPECTED: dict[str, frozenset[str]] = {
    "auth.login": P,
    "auth.logout": STAFF,
    "auth.two_factor": P,
    "auth.sso_start": P,
    "auth.sso_callback": P,
    "auth.forgot": P,
    "auth.reset_password": P,
    "auth.account": STAFF,
    "auth.change_password": STAFF,
    "auth.two_factor_setup": STAFF,
    "auth.recovery_codes": STAFF,
    "auth.two_factor_off": STAFF,
    "auth.sign_out_everywhere": STAFF,
    "auth.revoke_api_token": STAFF,
    "admin.user_sign_ins": ADMIN,
    "admin.reset_user_two_factor": ADMIN,
    "admin.send_password_link": ADMIN,
    "home.index": STAFF,
    "home.healthz": P,
    "home.favicon": P,
    "home.favicon_svg": P,
    "api.openapi": P,
    "admin.users": LEAD_OR_ADMIN,
    "admin.edit_user": ADMIN,
    "admin.homes": READERS,
    "admin.home": READERS,
    "admin.edit_home": ADMIN,
    "admin.edit_contact": ADMIN,
    "admin.groups": READERS,
    "admin.group": READERS,
    "admin.edit_group": ADMIN,
    "admin.add_member": ADMIN,
    "admin.end_membership": ADMIN,
    "api.list_users": LEAD_OR_ADMIN,
    "api.create_user": ADMIN,
    "api.send_password_link": ADMIN,
    "api.get_user": LEAD_OR_ADMIN,
    "api.update_user": ADMIN,
    "api.list_homes": READERS,
    "api.create_home": ADMIN,
    "api.get_home": READERS,
    "api.update_home": ADMIN,
    "api.list_groups": READERS,
    "api.create_group": ADMIN,
    "api.get_group": READERS,
    "api.update_group": ADMIN,
    "api.add_member": ADMIN,
    "api.remove_member": ADMIN,
    "booking.book": BOOKERS,
    "booking.session_page": READERS,
    "booking.reschedule": BOOKERS,
    "booking.cancel": BOOKERS,
    "booking.retry": BOOKERS,
    "booking.video_providers": ADMIN,
    "booking.calendar_page": READERS,  # a facilitator's own; leads and admins choose whose
    "api.create_session": BOOKERS,
    "api.list_sessions": READERS,
    "api.get_session": READERS,
    "api.get_series": READERS,
    "api.update_session": BOOKERS,
    "api.cancel_session": BOOKERS,
    "api.list_invitations": READERS,
    "api.send_invitations": BOOKERS,
    "invites.session_invitations": READERS,
    "invites.resend": BOOKERS,
    "invites.send_now": BOOKERS,
    "invites.session_calendar": READERS,
    "invites.outbox": ADMIN,
    "invites.retry": ADMIN,
    "invites.retry_failed": ADMIN,
    "invites.contact_links": ADMIN,
    "invites.revoke_links": ADMIN,
    "invites.send_home_link": ADMIN,
    "invites.rotate_link": ADMIN,
    "join.join": P,
    "join.join_next": P,
    "join.join_calendar": P,
    "join.join_next_calendar": P,
    "join.home": P,
    "join.home_join": P,
    "join.home_calendar": P,
    "join.reminders": P,
    "join.feed": P,
    "join.feed_join": P,
    "join.feed_calendar": P,
    "join.feed_series_join": P,
    "join.home_device_test": P,
    "conditions.sponsor": P,
    "api.group_readiness": READERS,
    "api.update_readiness": BOOKERS,  # facilitators only for groups they facilitate
    "conditions.agreement_letter": READERS,  # facilitators: their groups' homes (tests/test_agreements)
    "api.list_agreements": READERS,
    "api.create_agreement": BOOKERS,  # facilitators only for homes of groups they facilitate
    "api.send_agreement": BOOKERS,
    "api.record_paper": BOOKERS,
    # The staff screens of agreements and readiness: as the API, object-level in
    # tests/test_conditions_screens.py.
    "conditions.new_agreement": BOOKERS,
    "conditions.send_agreement": BOOKERS,
    "conditions.record_paper": BOOKERS,
    "conditions.edit_readiness": BOOKERS,
    "join.home_assessment_pack": P,
    "join.home_action_plan": P,
    "join.home_assessment_pdf": P,
    # Printed documents of a home (issue 16): facilitators of the home's groups only, object-level
    # (tests/test_packs.py); supervisors none.
    "packs.assessment_pack": READERS,
    "packs.assessment_pdf": READERS,
    "packs.action_plan": READERS,
    # Confidential notes and supervision. Routes on one note or record admit every signed-in role so
    # that a refused attempt is audited; the object-level rules (author, supervisor if shared) are
    # covered by tests/test_notes_access.py. Here note_id and record_id name no row: 404 for all.
    "supervision.notes": NOTE_READERS,
    "supervision.new_note": FACILITATOR_ONLY,
    "supervision.note": STAFF,
    "supervision.edit_note": STAFF,
    "supervision.delete_note": STAFF,
    "supervision.note_audit": STAFF,
    "supervision.index": STAFF,
    "supervision.new_record": FACILITATOR_ONLY,
    "supervision.record": STAFF,
    "supervision.edit_record": STAFF,
    "supervision.delete_record": STAFF,
    "supervision.record_audit": STAFF,
    "supervision.comment_record": STAFF,
    "supervision.new_record_for": frozenset({"supervisor"}),  # their own supervisees only: 404 else
    "supervision.facilitator_log": LOG_VIEWERS,
    "supervision.confidential": ADMIN,
    "supervision.purge": ADMIN,
    "supervision.audit_log": ADMIN,
    "api.create_note": FACILITATOR_ONLY,
    "api.list_notes": NOTE_READERS,
    "api.get_note": STAFF,
    "api.update_note": STAFF,
    "api.delete_note": STAFF,
    "api.get_note_audit": STAFF,
    "api.record_supervision": FACILITATOR_ONLY,
    "api.list_supervision": STAFF,
    "api.list_supervision_comments": STAFF,
    "api.add_supervision_comment": STAFF,
    # Attendance: facilitators take the registers of their own groups only (object-level check,
    # tests/test_attendance_register.py); leads read every register and own the reports.
    "attendance.registers": READERS,
    "attendance.register": READERS,
    "attendance.save_register": BOOKERS,
    "attendance.import_register": BOOKERS,
    "attendance.accept_import": BOOKERS,
    "attendance.assign_person": BOOKERS,
    "attendance.dashboard": LEAD_OR_ADMIN,
    "attendance.printable": LEAD_OR_ADMIN,
    "attendance.attendance_csv": LEAD_OR_ADMIN,
    "attendance.zoom_webhook": P,
    # Self-assessment (issue 16): facilitators only for homes of their groups (now or before),
    # object-level (tests/test_assessments_api.py); leads read; assessment_id names no row here.
    "join.assessment": P,
    # Implementation indicators (issue 19): facilitators write only homes of groups they facilitate
    # (managed_home), leads read (can_read_home); object-level in tests/test_indicators.py.
    "join.indicators": P,
    "api.list_indicators": READERS,
    "api.put_indicators": BOOKERS,
    "indicators.edit_return": BOOKERS,
    "indicators.indicators_csv": READERS,
    "indicators.programme_page": READERS,  # a facilitator: their groups (tests/test_indicator_trends.py)
    "indicators.programme_csv": READERS,
    # The programme report (issue 20): leads and admins only; snapshot ids name no row here.
    "reports.programme_page": LEAD_OR_ADMIN,
    "reports.programme_pdf": LEAD_OR_ADMIN,
    "reports.programme_csv": LEAD_OR_ADMIN,
    "reports.freeze": LEAD_OR_ADMIN,
    "reports.snapshot_list": LEAD_OR_ADMIN,
    "reports.snapshot": LEAD_OR_ADMIN,
    "reports.snapshot_pdf": LEAD_OR_ADMIN,
    "api.create_programme_report": LEAD_OR_ADMIN,
    "api.get_programme_report": LEAD_OR_ADMIN,
    "join.assessment_start": P,
    "api.get_plan": READERS,  # the session's own visibility: another group's facilitator 404
    "api.get_summary": READERS,
    "join.questionnaire": P,
    "join.join_pulse": P,
    "join.home_pulse": P,
    # Questionnaires (issue 20): a group's rounds are read by whoever sees the group and sent by
    # its facilitators and admins; object-level in tests/test_questionnaires.py.
    "questionnaires.group_questionnaires": READERS,
    "questionnaires.send_round": BOOKERS,
    "questionnaires.round_results": READERS,
    "questionnaires.round_results_csv": READERS,
    "questionnaires.templates": ADMIN,
    "questionnaires.copy_template": ADMIN,
    "questionnaires.edit_template": ADMIN,
    "api.list_questionnaires": READERS,
    "api.create_questionnaire_round": BOOKERS,
    "api.questionnaire_round_results": READERS,
    "join.assessment_step": P,
    "join.assessment_finish": P,
    "journey.home_assessments": READERS,
    "journey.start_paper_round": BOOKERS,
    "journey.edit_assessment": BOOKERS,
    "journey.group_progress": READERS,
    "journey.all_progress": LEAD_OR_ADMIN,
    "journey.all_actions": LEAD_OR_ADMIN,  # every home's action plan, as the dashboard
    "journey.all_actions_csv": LEAD_OR_ADMIN,
    "api.list_frameworks": READERS,
    "api.list_assessments": READERS,
    "api.create_assessment": BOOKERS,
    "api.get_assessment": READERS,
    "api.update_assessment": BOOKERS,  # signed by Zoom; without ZOOM_WEBHOOK_SECRET it answers 404
    "api.get_attendance": READERS,
    "api.session_apologies": READERS,
    "api.put_attendance": BOOKERS,
    "api.import_attendance": BOOKERS,
    "api.engagement": READERS,
    # Action plans (issue 16): leads read every home's; admins and the facilitators of a group the
    # home belongs to, now or before, write (another facilitator: 404, tests/test_action_plan.py).
    "journey.home_actions": READERS,
    "journey.new_action": BOOKERS,
    "journey.edit_action": BOOKERS,
    "journey.set_action_status": BOOKERS,
    "join.home_action_done": P,
    "join.home_apology": P,
    "join.home_apology_withdraw": P,
    "api.list_actions": READERS,
    "api.create_action": BOOKERS,
    "api.update_action": BOOKERS,
    # Partner organisations (issue 17): admins write the directory; admins and the facilitators of a
    # home's groups record its partner contacts (object-level: tests/test_partners.py).
    "conditions.directory": READERS,
    "conditions.edit_partner": ADMIN,
    "conditions.import_partners": ADMIN,
    "conditions.new_partner_contact": BOOKERS,
    "api.list_partners": READERS,
    "api.create_partner": ADMIN,
    "api.update_partner": ADMIN,
    "api.import_partners": ADMIN,
    "api.list_partner_contacts": READERS,
    "api.create_partner_contact": BOOKERS,
    # The resource library (issue 19): facilitators and admins write, leads read.
    "resources.library": READERS,
    "resources.edit_resource": BOOKERS,
    "resources.import_resources": BOOKERS,
    "api.list_resources": READERS,
    "api.create_resource": BOOKERS,
    "api.update_resource": BOOKERS,
    # Follow-ups (issue 18): the group's facilitators and admins act, leads read (object-level:
    # tests/test_followups.py).
    "followups.follow_ups": READERS,
    "followups.follow_up": READERS,
    "followups.log_contact": BOOKERS,
    "followups.snooze": BOOKERS,
    "followups.close": BOOKERS,
    "followups.missed_you_preview": BOOKERS,
    "followups.send_missed_you": BOOKERS,
    "api.list_follow_ups": READERS,
    "api.log_follow_up_contact": BOOKERS,
    "api.update_follow_up": BOOKERS,
    # A home's pauses (issue 18): facilitators of the home's groups only, object-level
    # (tests/test_pauses.py); leads read.
    "api.list_pauses": READERS,
    "api.create_pause": BOOKERS,
    "api.end_pause": BOOKERS,
    "attendance.new_pause": BOOKERS,
    "attendance.end_pause": BOOKERS,
    "api.send_missed_you": BOOKERS,
    # Session plans and summaries (issue 19): the group's facilitators and admins (object-level:
    # tests/test_plans_summaries.py).
    "plans.plan": BOOKERS,
    "plans.summary": BOOKERS,
    "plans.summary_preview": BOOKERS,
    "plans.summary_send": BOOKERS,
    "api.put_plan": BOOKERS,
    "api.put_summary": BOOKERS,
    "api.send_summary": BOOKERS,
}

ROLES = ["anonymous", "admin", "lead", "facilitator", "supervisor"]


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every route but static files; sign-out last."""
    found = [
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    return sorted(found, key=lambda r: (r[0] == "auth.logout", r))


def test_every_route_has_an_expected_entry_and_declares_it(app):
    endpoints = {endpoint for endpoint, _, _ in routes(app)}
    missing = endpoints - EXPECTED.keys()
    assert not missing, f"routes without an entry in the role matrix: {sorted(missing)}"
    assert not EXPECTED.keys() - endpoints, "matrix lists routes that no longer exist"
    for endpoint in endpoints:
        assert allowed_roles(app, endpoint) == EXPECTED[endpoint], endpoint


@pytest.mark.fresh_app
def test_a_view_without_declared_roles_is_refused(make_app):
    app = make_app()
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert app.test_client().get("/forgotten").status_code == 403


def _fill(rule: str, ids: dict[str, int]) -> str:
    url = rule
    for name, value in ids.items():
        url = url.replace(f"<int:{name}>", str(value))
    url = url.replace("<month>", "2026-01")  # a month of a home's return
    url = url.replace("<token>", UNKNOWN_TOKEN)  # token pages answer an unknown token with a 404
    url = url.replace("<series_id>", str(uuid.UUID(int=0)))  # no such series: the roles still answer first
    assert "<" not in url, f"no test id for {rule}"
    return url


def _seed(make: Factory) -> dict[str, int]:
    facilitator = make.user("facilitator")
    home = make.home()
    group = make.group(facilitators=[facilitator], homes=[home])
    action = create_action(home, ActionData(title="Seeded action"))
    db.session.commit()
    return {"user_id": facilitator.id, "home_id": home.id, "contact_id": home.contacts[0].id,
            "group_id": group.id, "action_id": action.id}


def _seed_session(make: Factory, ids: dict[str, int]) -> int:
    """A session of the seeded group; the signed-in facilitator is made one of its facilitators."""
    group, user = db.session.get(Group, ids["group_id"]), db.session.get(User, ids["user_id"])
    booking = booking_services.Booking("Seeded session", datetime.now(UTC) + timedelta(days=7), 60,
                                       provider="link", join_url="https://meet.example.org/psl")
    result = booking_services.book_sessions(user, group, booking, booking_providers.hub(),
                                            zone="Europe/London", now=datetime.now(UTC))
    db.session.commit()
    return result.sessions[0].id


def _facilitate_seeded_group(user: User, ids: dict[str, int]) -> None:
    if user.role == "facilitator":
        group = db.session.get(Group, ids["group_id"])
        group.facilitators.append(user)
        db.session.commit()


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(role, make_app):
    # Every route once from one address: more API answers than the failed-look-up limit allows
    # (tests/test_ratelimit.py checks the limits).
    app = make_app(WTF_CSRF_ENABLED=False, RATELIMIT_TOKEN_UNKNOWN="10000 per 10 minutes",
                   RATELIMIT_TOKEN_SLOW="10000 per 10 minutes",
                   RATELIMIT_API="10000 per minute")
    with app.app_context():
        make = Factory(app)
        ids = _seed(make)
        ids["session_id"] = _seed_session(make, ids)
        ids["message_id"] = first_outbox_message_id()  # booking the session queued its invites
        ids["note_id"] = ids["record_id"] = MISSING_ROW  # see the comment on the supervision entries
        ids["step"] = 1
        ids["token_id"] = MISSING_ROW  # revoking a token that is not theirs changes nothing
        ids["partner_id"] = MISSING_ROW  # 404 for everyone who may change the directory
        ids["resource_id"] = MISSING_ROW  # 404 for everyone who may change the library
        ids["agreement_id"] = MISSING_ROW  # an agreement of the seeded home is tested in test_agreements
        ids["assessment_id"] = MISSING_ROW  # a round that does not exist: 404 for those let in
        ids["follow_up_id"] = MISSING_ROW  # 404 for those let in (tests/test_followups.py: real ones)
        ids["pause_id"] = MISSING_ROW  # 404 for those let in (tests/test_pauses.py: real ones)
        ids["report_id"] = MISSING_ROW  # 404 for those let in (tests/test_programme_report.py: real ones)
        ids["round_id"] = ids["questionnaire_id"] = MISSING_ROW  # tests/test_questionnaires.py: real ones
        client = app.test_client()
        auth = Auth(client, make)
        user_role = None if role == "anonymous" else role
        headers = {}
        if user_role:
            user = auth.login(user_role)
            _facilitate_seeded_group(user, ids)
            headers = {"Authorization": f"Bearer {issue_api_token(user)}"}
            db.session.commit()
        for endpoint, rule, method in routes(app):
            url = _fill(rule, ids)
            kwargs = {}
            if url.startswith("/api/"):
                kwargs["headers"] = headers
                if method in ("POST", "PATCH", "PUT"):
                    kwargs["json"] = {}
            response = client.open(url, method=method, **kwargs)
            allowed = EXPECTED[endpoint]
            where = f"{role} {method} {url} → {response.status_code}"
            if PUBLIC in allowed or user_role in allowed:
                assert response.status_code not in (401, 403), where
                assert "/login?next" not in response.headers.get("Location", ""), where
            elif user_role is None and url.startswith("/api/"):
                assert response.status_code == 401, where
                assert response.is_json, where
            elif user_role is None:
                assert response.status_code == 302, where
                assert response.headers["Location"].startswith("/login"), where
            else:
                assert response.status_code == 403, where
