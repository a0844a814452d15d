"""A seeded world and URL-map helpers for the tests that visit every page (no tests here).

Used by the security-header, form-fuzz and schemathesis tests. Records are made through the real
services (``tests.support.factories``) where one exists; a meeting session is added as booking would add
it (without a provider) so the link pages have a real session to show.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from facilitator import models
from facilitator.auth.api_tokens import issue_api_token
from facilitator.conditions import agreements
from facilitator.conditions.areas import COUNCIL_AREAS
from facilitator.conditions.partners import PartnerData, save_partner
from facilitator.extensions import db
from facilitator.followups.opening import open_follow_up
from facilitator.invites.tokens import mint_contact_token, mint_join_token
from facilitator.models import CareHome, Contact, Group, LinkKind, MeetingSession, User
from tests.support.factories import Auth, Factory

ROLES = ("admin", "facilitator", "lead", "supervisor")
UNKNOWN_ID = 987654
UNKNOWN_TOKEN = "unknownTokenXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
# Path arguments named like this hold the id of that model (looked up by name, so a model added
# later is used once it exists; until then the argument gets an unknown id).
ID_MODELS = {
    "user_id": "User",
    "partner_id": "Partner",
    "home_id": "CareHome",
    "group_id": "Group",
    "contact_id": "Contact",
    "session_id": "MeetingSession",
    "message_id": "OutboxMessage",
    "note_id": "SessionNote",
    "record_id": "SupervisionRecord",
    "register_id": "AttendanceRegister",
    "entry_id": "AttendanceEntry",
    "participant_id": "AttendanceParticipant",
    "alias_id": "AttendanceAlias",
    "import_id": "AttendanceImport",
    "token_id": "ApiToken",
    "agreement_id": "Agreement",
    "follow_up_id": "FollowUp",
    "pause_id": "HomePause",
}


def world_config(**extra: Any) -> dict[str, Any]:
    """Settings for these tests: password-only sign-in, no rate limits, mail kept in memory."""
    return {"MFA_REQUIRED_ROLES": "", "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "memory", **extra}


@dataclass
class World:
    users: dict[str, User]
    homes: list[CareHome]
    group: Group
    session: MeetingSession
    contact_token: str
    join_token: str
    feed_token: str = ""
    api_tokens: dict[str, str] = field(default_factory=dict)

    @property
    def contact(self) -> Contact:
        return self.homes[0].contacts[0]


def build_world(make: Factory) -> World:
    """Users of every role (the facilitator supervised), two homes in a group, a session and links."""
    supervisor = make.user("supervisor")
    users = {
        "admin": make.user("admin"),
        "lead": make.user("lead"),
        "supervisor": supervisor,
        "facilitator": make.user("facilitator", supervisor_id=supervisor.id),
    }
    homes = [make.home("Ardenlea House", local_authority="glasgow_city"), make.home("Bellfield Court")]
    save_partner(PartnerData("Rape Crisis Scotland", list(COUNCIL_AREAS), ["sexual_violence"],
                             website="https://www.rapecrisisscotland.org.uk"))
    group = make.group("West of Scotland PSL", facilitators=[users["facilitator"]], homes=homes)
    start = (datetime.now(UTC) + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    session = MeetingSession(
        group=group, title="Peer Support and Learning", starts_at=start,
        ends_at=start + timedelta(minutes=90), timezone="Europe/London", provider="link",
        join_url="https://meet.example.org/j/123456789", sync_state="synced", sync_action="none")
    db.session.add(session)
    db.session.flush()
    contact = homes[0].contacts[0]
    world = World(users, homes, group, session, contact_token=mint_contact_token(contact),
                  join_token=mint_join_token(session, contact),
                  feed_token=mint_contact_token(contact, LinkKind.FEED))
    for role, user in users.items():
        world.api_tokens[role] = issue_api_token(user)
    agreements.create_agreement(homes[0], agreements.AgreementData(
        2, 1, 2, date.today(), sponsor_name="Morag Baird", sponsor_email="morag@board.example"), None)
    open_follow_up(group.id, homes[0].id, "at_risk", "Missed the last 2 sessions.", datetime.now(UTC))
    db.session.commit()
    return world


def signed_in(app: Flask, make: Factory, user: User) -> FlaskClient:
    client = app.test_client()
    Auth(client, make).login(user)
    return client


def first_id(model_name: str) -> int | None:
    model = getattr(models, model_name, None)
    if model is None:
        return None
    return db.session.scalar(select(model.id).order_by(model.id).limit(1))


def _value(rule: Rule, name: str, world: World, real: bool) -> Any:
    converter = rule._converters[name]
    kind = type(converter).__name__
    if kind == "IntegerConverter":
        if not real:
            return UNKNOWN_ID
        if name == "contact_id":
            return world.contact.id
        if name == "home_id":
            return world.homes[0].id
        model = ID_MODELS.get(name)
        return (first_id(model) if model else None) or UNKNOWN_ID
    if kind == "PathConverter":
        return "css/app.css" if real else "css/missing.css"
    if name == "token":
        if not real:
            return UNKNOWN_TOKEN
        if rule.rule.startswith("/j/"):
            return world.join_token
        return world.feed_token if rule.rule.startswith("/feeds/") else world.contact_token
    return "1" if real else "unknown"


def get_urls(app: Flask, world: World) -> Iterator[tuple[Rule, str]]:
    """Every GET rule of the URL map, once with real arguments and once with unknown ones."""
    seen: set[str] = set()
    with app.test_request_context():
        for rule, real in itertools.product(sorted(app.url_map.iter_rules(), key=lambda r: r.rule),
                                            (True, False)):
            if "GET" not in (rule.methods or ()) or (not real and not rule.arguments):
                continue
            values = {name: _value(rule, name, world, real) for name in rule.arguments}
            url = app.url_map.bind("localhost").build(rule.endpoint, values, method="GET")
            if url not in seen:
                seen.add(url)
                yield rule, url
