"""The home's monthly return of implementation indicators (issue 19): the rules, the API, the
home's link page, the facilitator's paper entry, the trend and CSV, and the reminder on the 1st.
Clock: Tuesday 10 March 2026, noon; the homes joined their group on 5 January 2026."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select, text

from facilitator.extensions import db
from facilitator.indicators.services import indicator_problems, save_return
from facilitator.invites import services as invite_services
from facilitator.invites.indicator_reminder import queue_indicator_reminders
from facilitator.invites.outbox import run_once
from facilitator.invites.tokens import mint_contact_token
from facilitator.models import IndicatorReminderSend, IndicatorReturn, IndicatorSource, OutboxMessage
from tests.support.factories import ApiClient, Factory, csrf_token
from tests.support.invites import invites_config, set_now

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
GOOD = {"care_plans_reviewed": 12, "care_plans_naming_trauma": 5, "team_meetings": 4,
        "team_meetings_discussing_tip": 3, "team_leaders_trained_total": 2,
        "staff_trained": [{"role": "care_staff", "ksf_level": "informed", "count": 6},
                          {"role": "team_leader", "ksf_level": "skilled", "count": 1}]}
COUNT = "Enter a whole number from 0 to 10,000"
NOT_YET = "That month has not started yet: choose this month or an earlier one"


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config(FROZEN_NOW=NOW))
    with app.app_context():
        yield app


@pytest.fixture
def setting(make: Factory):
    """Ashgrove and Birchwood in one group of a facilitator; Cedarbank in no group of theirs."""
    facilitator = make.user("facilitator")
    a, b, c = make.home("Ashgrove House"), make.home("Birchwood Lodge"), make.home("Cedarbank")
    make.group(facilitators=[facilitator], homes=[a, b], joined_on=date(2026, 1, 5))
    make.group(homes=[c], joined_on=date(2026, 1, 5))
    tokens = {home.name: mint_contact_token(home.contacts[0]) for home in (a, b)}
    db.session.commit()
    return facilitator, a, b, c, tokens


def _with(**changes):
    return {**GOOD, **changes}


@pytest.mark.parametrize(("data", "month", "expected"), [
    (GOOD, date(2026, 2, 1), {}),
    (_with(care_plans_reviewed=0, care_plans_naming_trauma=0, team_meetings=0,
           team_meetings_discussing_tip=0, team_leaders_trained_total=0, staff_trained=[]),
     date(2026, 2, 1), {}),
    (_with(care_plans_reviewed=10_000, care_plans_naming_trauma=10_000), date(2026, 2, 1), {}),
    (_with(care_plans_reviewed=-1), date(2026, 2, 1),
     {"care_plans_reviewed": COUNT}),
    (_with(team_meetings=10_001, team_meetings_discussing_tip=0), date(2026, 2, 1), {"team_meetings": COUNT}),
    (_with(care_plans_reviewed="twelve"), date(2026, 2, 1), {"care_plans_reviewed": COUNT}),
    (_with(team_leaders_trained_total=2.5), date(2026, 2, 1), {"team_leaders_trained_total": COUNT}),
    (_with(team_leaders_trained_total=True), date(2026, 2, 1), {"team_leaders_trained_total": COUNT}),
    ({k: v for k, v in GOOD.items() if k != "team_meetings"}, date(2026, 2, 1), {"team_meetings": COUNT}),
    (_with(care_plans_naming_trauma=13), date(2026, 2, 1),
     {"care_plans_naming_trauma": "This cannot be more than the care plans reviewed (12)"}),
    (_with(team_meetings_discussing_tip=5), date(2026, 2, 1),
     {"team_meetings_discussing_tip": "This cannot be more than the team meetings held (4)"}),
    (GOOD, date(2026, 4, 1), {"month": NOT_YET}),
    (GOOD, date(2026, 3, 1), {}),  # the current month may be sent on its last day
    (GOOD, None, {"month": "Enter a month as YYYY-MM"}),
    (_with(staff_trained=[{"role": "chef", "ksf_level": "informed", "count": 1}]), date(2026, 2, 1),
     {"staff_trained[0].role": "Choose one of: care_staff, senior_carer, nurse, team_leader, manager, "
                               "ancillary, other"}),
    (_with(staff_trained=[{"role": "nurse", "ksf_level": "expert", "count": 1}]), date(2026, 2, 1),
     {"staff_trained[0].ksf_level": "Choose one of: informed, skilled, enhanced, specialist"}),
    (_with(staff_trained=[{"role": "nurse", "ksf_level": "enhanced", "count": -3}]), date(2026, 2, 1),
     {"staff_trained.nurse.enhanced": COUNT}),
    (_with(staff_trained=[{"role": "nurse", "ksf_level": "enhanced", "count": 1}] * 2), date(2026, 2, 1),
     {"staff_trained[1]": "Give each role and level once"}),
    (_with(care_plans_reviewed=-1, team_meetings_discussing_tip=9, staff_trained="lots"), date(2027, 1, 1),
     {"month": NOT_YET, "care_plans_reviewed": COUNT,
      "team_meetings_discussing_tip": "This cannot be more than the team meetings held (4)",
      "staff_trained": "Give a list of roles, levels and counts"}),
])
def test_the_validation_table(data, month, expected):
    assert indicator_problems(data, month, TODAY) == expected


def test_the_api_puts_a_paper_month_and_reads_it_back(api: ApiClient, setting):
    facilitator, a, *_ = setting
    api.as_user(facilitator)
    put = api.put(f"/api/v1/homes/{a.id}/indicators/2026-02", GOOD)
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["source"] == "paper" and put.get_json()["month"] == "2026-02"
    again = api.put(f"/api/v1/homes/{a.id}/indicators/2026-02", _with(care_plans_reviewed=20))
    assert again.status_code == 200
    api.put(f"/api/v1/homes/{a.id}/indicators/2026-01", _with(staff_trained=[]))
    body = api.get(f"/api/v1/homes/{a.id}/indicators?from=2026-02&to=2026-02").get_json()
    (month,) = body["months"]
    assert month["care_plans_reviewed"] == 20, "the month's return was replaced, not added"
    assert {k: month[k] for k in ("care_plans_naming_trauma", "team_meetings", "team_meetings_discussing_tip",
                                  "team_leaders_trained_total")} == {
        "care_plans_naming_trauma": 5, "team_meetings": 4, "team_meetings_discussing_tip": 3,
        "team_leaders_trained_total": 2}
    assert sorted(month["staff_trained"], key=lambda s: s["role"]) == GOOD["staff_trained"]
    assert month["submitted_at"].startswith("2026-03-10T12:00")
    every = api.get(f"/api/v1/homes/{a.id}/indicators").get_json()["months"]
    assert [m["month"] for m in every] == ["2026-01", "2026-02"]
    assert db.session.scalar(select(func.count()).select_from(IndicatorReturn)) == 2
    row = db.session.scalar(select(IndicatorReturn).where(IndicatorReturn.month == date(2026, 2, 1)))
    assert row.submitted_by_user_id == facilitator.id and row.submitted_by_contact_id is None


def test_the_api_refuses_naming_the_field(api: ApiClient, setting):
    facilitator, a, *_ = setting
    api.as_user(facilitator)
    url = f"/api/v1/homes/{a.id}/indicators"
    part = api.put(f"{url}/2026-02", _with(care_plans_naming_trauma=99))
    assert part.status_code == 422 and "care_plans_naming_trauma" in part.get_json()["error"]["fields"]
    future = api.put(f"{url}/2026-04", GOOD)
    assert future.status_code == 422 and "month" in future.get_json()["error"]["fields"]
    malformed = api.put(f"{url}/2026-13", GOOD)
    assert malformed.status_code == 422 and "month" in malformed.get_json()["error"]["fields"]
    wrong_type = api.put(f"{url}/2026-02", _with(team_meetings=1.5))
    assert wrong_type.status_code == 422 and "team_meetings" in wrong_type.get_json()["error"]["fields"]
    bad_from = api.get(f"{url}?from=March")
    assert bad_from.status_code == 422 and "from" in bad_from.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(IndicatorReturn)) == 0


def test_who_may_read_and_write_a_homes_returns(api: ApiClient, make: Factory, setting):
    facilitator, a, _, c, _ = setting
    api.as_user("admin")
    assert api.put(f"/api/v1/homes/{c.id}/indicators/2026-02", GOOD).status_code == 200
    api.as_user(facilitator)
    assert api.put(f"/api/v1/homes/{c.id}/indicators/2026-02", GOOD).status_code == 403, "not their home"
    assert api.get(f"/api/v1/homes/{c.id}/indicators").status_code == 403
    api.as_user("lead")
    assert api.get(f"/api/v1/homes/{c.id}/indicators").get_json()["months"][0]["month"] == "2026-02"
    assert api.put(f"/api/v1/homes/{a.id}/indicators/2026-02", GOOD).status_code == 403, "leads read only"
    api.as_user("supervisor")
    assert api.get(f"/api/v1/homes/{a.id}/indicators").status_code == 403


def _link_post(client, token: str, data: dict, month: str | None = None):
    url = f"/h/{token}/indicators" + (f"?month={month}" if month else "")
    html = client.get(url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token(html)})


FORM = {"care_plans_reviewed": "8", "care_plans_naming_trauma": "3", "team_meetings": "5",
        "team_meetings_discussing_tip": "2", "team_leaders_trained_total": "4",
        "staff_trained.senior_carer.informed": "2", "staff_trained.nurse.enhanced": "1",
        "staff_trained.manager.skilled": ""}


def test_a_contact_sends_last_months_return_through_their_link(client, setting):
    _, a, *_, tokens = setting
    page = client.get(f"/h/{tokens[a.name]}/indicators")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "February 2026" in html
    assert "Counts only — never names of residents or staff" in html and 'inputmode="numeric"' in html
    sent = _link_post(client, tokens[a.name], FORM)
    assert sent.status_code == 303 and "month=2026-02" in sent.headers["Location"]
    row = db.session.scalar(select(IndicatorReturn).where(IndicatorReturn.home_id == a.id))
    assert (row.month, row.source) == (date(2026, 2, 1), "online")
    assert row.submitted_by_contact_id == a.contacts[0].id and row.submitted_by_user_id is None
    assert row.care_plans_naming_trauma == 3 and row.team_leaders_trained_total == 4
    assert {(s.role, s.ksf_level, s.count) for s in row.staff_trained} == {
        ("senior_carer", "informed", 2), ("nurse", "enhanced", 1)}
    shown = client.get(f"/h/{tokens[a.name]}/indicators?month=2026-02").get_data(as_text=True)
    assert 'value="8"' in shown, "the form shows what was sent"
    home_page = client.get(f"/h/{tokens[a.name]}").get_data(as_text=True)
    assert "Last month's return" in home_page and f'href="/h/{tokens[a.name]}/indicators"' in home_page


def test_the_link_page_shows_every_problem_at_once(client, setting):
    _, a, *_, tokens = setting
    refused = _link_post(client, tokens[a.name], {**FORM, "care_plans_reviewed": "-2",
                                                  "team_meetings_discussing_tip": "9",
                                                  "staff_trained.nurse.enhanced": "lots"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert html.count(COUNT) >= 4, "in the summary and beside each of the two boxes"
    assert "This cannot be more than the team meetings held (5)" in html
    assert 'value="lots"' in html, "what was typed stays"
    future = _link_post(client, tokens[a.name], FORM, month="2026-05")
    assert future.status_code == 422 and "has not started yet" in future.get_data(as_text=True)
    assert client.get(f"/h/{tokens[a.name]}/indicators?month=soon").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(IndicatorReturn)) == 0


def test_a_contact_of_one_home_can_only_send_for_that_home(client, setting):
    _, a, b, c, tokens = setting
    # The form of Birchwood's link, posted with a home id of another home: the link decides.
    sent = _link_post(client, tokens[b.name], {**FORM, "home_id": str(a.id), "home": str(c.id)})
    assert sent.status_code == 303
    homes = db.session.scalars(select(IndicatorReturn.home_id)).all()
    assert homes == [b.id]
    # A token is a home's: an unknown one reaches no home at all.
    assert client.post("/h/not-a-token-" + "x" * 30 + "/indicators", data=FORM).status_code in (400, 404)
    assert db.session.scalar(select(func.count()).select_from(IndicatorReturn)) == 1


def test_a_facilitator_types_in_a_paper_return(client, auth, setting):
    facilitator, a, _, c, _ = setting
    auth.login(facilitator)
    url = f"/homes/{a.id}/indicators/2026-01/edit"
    assert "Counts only — never names of residents or staff" in client.get(url).get_data(as_text=True)
    refused = auth.post(url, {**FORM, "care_plans_naming_trauma": "30"})
    assert refused.status_code == 422
    assert "cannot be more than the care plans reviewed (8)" in refused.get_data(as_text=True)
    saved = auth.post(url, FORM)
    assert saved.status_code == 302
    row = db.session.scalar(select(IndicatorReturn).where(IndicatorReturn.home_id == a.id))
    assert (row.source, row.submitted_by_user_id, row.month) == ("paper", facilitator.id, date(2026, 1, 1))
    page = client.get(f"/homes/{a.id}").get_data(as_text=True)
    assert "January 2026" in page and "3 of 8 (38%)" in page and "2 of 5 (40%)" in page
    assert client.get(f"/homes/{c.id}/indicators/2026-01/edit").status_code == 403


def _seed_returns(a, b, facilitator) -> None:
    for i, month in enumerate([date(2025, 3, 1), date(2025, 11, 1), date(2026, 1, 1), date(2026, 2, 1)]):
        cells = [("care_staff", "informed"), ("nurse", "informed"), ("manager", "specialist"),
                 ("other", "skilled")][: i + 1]
        staff = [{"role": role, "ksf_level": level, "count": i + n} for n, (role, level) in enumerate(cells)]
        data = _with(care_plans_reviewed=10 + i, care_plans_naming_trauma=i, staff_trained=staff)
        save_return(a, month, data, IndicatorSource.PAPER, facilitator)
    save_return(b, date(2026, 2, 1), _with(staff_trained=[{"role": "nurse", "ksf_level": "informed",
                                                          "count": 50}]), IndicatorSource.PAPER, facilitator)
    db.session.commit()


def test_the_trend_and_csv_equal_an_independent_sql_sum(client, auth, setting):
    facilitator, a, b, *_ = setting
    _seed_returns(a, b, facilitator)
    expected = {(month if isinstance(month, str) else month.isoformat())[:7] + ":" + level: total
                for month, level, total in db.session.execute(text(
                    "SELECT r.month, s.ksf_level, SUM(s.count) FROM indicator_returns r "
                    "JOIN indicator_staff_trained s ON s.return_id = r.id "
                    "WHERE r.home_id = :home GROUP BY r.month, s.ksf_level"), {"home": a.id})}
    plans = dict(db.session.execute(text(
        "SELECT month, care_plans_naming_trauma FROM indicator_returns WHERE home_id = :home"),
        {"home": a.id}).all())
    auth.login(facilitator)
    response = client.get(f"/homes/{a.id}/indicators.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["month"] for r in rows] == ["2025-03", "2025-11", "2026-01", "2026-02"]
    got = {f"{r['month']}:{level}": int(r[f"staff_trained_{level}"]) for r in rows
           for level in ("informed", "skilled", "enhanced", "specialist") if int(r[f"staff_trained_{level}"])}
    assert got == expected
    assert sorted(int(r["care_plans_naming_trauma"]) for r in rows) == sorted(plans.values())
    page = client.get(f"/homes/{a.id}").get_data(as_text=True)
    assert "March 2025" not in page, "the trend is the last twelve months"
    assert "November 2025" in page and "3 of 13 (23%)" in page  # February: 3 of 13 care plans


def test_the_reminder_goes_on_the_1st_once_to_each_active_contact(app, setting):
    _, a, b, c, _ = setting
    backend = app.extensions["mail_backend"]
    backend.sent.clear()
    a.contacts[1].is_active = False
    invite_services.set_reminders(b.contacts[1], wanted=False)
    db.session.commit()
    set_now(app, datetime(2026, 4, 1, 8, 0, tzinfo=UTC))
    first = run_once()
    assert first.indicator_reminders == 4, "Ashgrove's active contact, Birchwood's first and Cedarbank's two"
    mails = [message_from_bytes(raw, policy=policy.default) for _, raw in backend.sent]
    to = sorted(m["To"].addresses[0].addr_spec for m in mails)
    assert to == sorted([a.contacts[0].email, b.contacts[0].email, *(x.email for x in c.contacts)])
    mail = next(m for m in mails if m["To"].addresses[0].addr_spec == a.contacts[0].email)
    assert mail["Subject"] == "Ashgrove House: your two-minute return for March 2026"
    body = mail.get_body(("plain",)).get_content()
    assert "/indicators?month=2026-03" in body and "/h/" in body and "never names" in body
    assert "/reminders" in mail["List-Unsubscribe"]
    assert run_once().indicator_reminders == 0, "once a month, however often the pass runs"
    set_now(app, datetime(2026, 4, 2, 8, 0, tzinfo=UTC))
    assert run_once().indicator_reminders == 0, "not on the 2nd"
    assert len(backend.sent) == 4
    assert db.session.scalar(select(func.count()).select_from(IndicatorReminderSend)) == 4
    set_now(app, datetime(2026, 5, 1, 8, 0, tzinfo=UTC))
    assert run_once().indicator_reminders == 4, "next month again"


def test_a_reminder_is_not_sent_to_a_contact_who_stopped_reminders_after_it_was_queued(app, setting):
    _, a, *_ = setting
    set_now(app, datetime(2026, 4, 1, 0, 30, tzinfo=UTC))
    assert queue_indicator_reminders() > 0
    invite_services.set_reminders(a.contacts[0], wanted=False)
    db.session.commit()
    run_once()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.contact_id == a.contacts[0].id))
    assert message.status == "skipped"
    assert message.status == "skipped" and message.last_error == "The contact stopped reminders."


def test_the_csv_is_read_by_leads_and_the_homes_facilitators_only(client, auth, make: Factory, setting):
    facilitator, a, b, c, _ = setting
    _seed_returns(a, b, facilitator)
    auth.login("lead")
    assert client.get(f"/homes/{a.id}/indicators.csv").status_code == 200
    assert client.get(f"/homes/{a.id}/indicators/2026-01/edit").status_code == 403, "leads read only"
    auth.logout()
    auth.login(make.user("facilitator"))
    assert client.get(f"/homes/{a.id}/indicators.csv").status_code == 403
    assert "Implementation indicators" not in client.get(f"/homes/{a.id}").get_data(as_text=True)
