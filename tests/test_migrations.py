"""Migrations build the schema from nothing, and the models match them exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from facilitator import create_app
from facilitator.extensions import db
from facilitator.models.base import alembic_compare_type
from tests.conftest import base_config
from tests.support import dbsetup


def _differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": alembic_compare_type})
        return compare_metadata(context, db.metadata)


def test_upgrade_an_empty_database_to_head_then_models_match(tmp_path):
    with dbsetup.database(tmp_path, "migrations") as database:
        app = create_app(base_config(database), instance_path=str(tmp_path / "inst"))
        with app.app_context():
            upgrade(revision="heads")
            assert _differences() == []
            downgrade(revision="base")
            upgrade(revision="heads")
            assert _differences() == []
            db.engine.dispose()


def test_an_empty_database_differs_from_the_models(tmp_path):
    """The comparison can fail: with no migrations applied it finds every table missing."""
    with dbsetup.database(tmp_path, "empty") as database:
        app = create_app(base_config(database), instance_path=str(tmp_path / "inst"))
        with app.app_context():
            missing = {diff[1].name for diff in _differences() if diff[0] == "add_table"}
            assert {"users", "care_homes", "groups", "memberships"} <= missing
            db.engine.dispose()


def test_0012_keeps_each_contacts_newest_live_link_and_revokes_the_rest(tmp_path):
    """Links minted one per email: the newest live one per contact stays (as a page-and-feed
    'legacy' link, since it may be the one a calendar subscribed with); the others are revoked.
    (Ids from 101: on PostgreSQL explicit ids do not move the sequence the app's inserts use.)"""
    import hashlib
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from facilitator.invites.tokens import find_contact_token, rotate_contact_token
    from facilitator.models import Contact, LinkKind

    day = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(days=30)
    raw = {n: f"legacy-link-number-{n}-" + "x" * 30 for n in range(1, 6)}
    with dbsetup.database(tmp_path, "links") as database:
        app = create_app(base_config(database), instance_path=str(tmp_path / "inst"))
        with app.app_context():
            upgrade(revision="0011")
            with db.engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO care_homes (id, name, region, notes, created_at) "
                                     "VALUES (1, 'Ardenlea', 'West', '', :at)"), {"at": day})
                for cid in (1, 2):
                    conn.execute(sa.text(
                        "INSERT INTO contacts (id, home_id, name, email, role, is_active, created_at) "
                        "VALUES (:id, 1, 'C', :email, 'manager', :yes, :at)"),
                        {"id": cid, "email": f"c{cid}@example.org", "yes": True, "at": day})
                rows = [(1, 1, None), (2, 1, None), (3, 1, day), (4, 2, None), (5, 2, None)]
                for tid, cid, revoked in rows:
                    conn.execute(sa.text(
                        "INSERT INTO contact_tokens (id, token_hash, contact_id, created_at, revoked_at) "
                        "VALUES (:id, :hash, :cid, :at, :revoked)"),
                        {"id": 100 + tid, "hash": hashlib.sha256(raw[tid].encode()).hexdigest(), "cid": cid,
                         "at": day + timedelta(hours=tid), "revoked": revoked})
            upgrade(revision="heads")
            with db.engine.connect() as conn:
                after = {r.id: r for r in conn.execute(sa.text(
                    "SELECT id, kind, revoked_at, ciphertext FROM contact_tokens"))}
            assert {i - 100 for i, r in after.items() if r.revoked_at is None} == {2, 5}
            assert {r.kind for r in after.values()} == {"legacy"}
            assert str(after[103].revoked_at)[:19] == str(day), "an already revoked link keeps its date"
            for use in (LinkKind.HOME, LinkKind.FEED):
                assert find_contact_token(raw[2], use) is not None, "the kept link does both, as before"
                assert find_contact_token(raw[1], use) is None
            rotate_contact_token(db.session.get(Contact, 1), LinkKind.FEED)
            db.session.commit()
            assert find_contact_token(raw[2], LinkKind.HOME) is None, "a rotation switches it off"
            assert find_contact_token(raw[5], LinkKind.FEED) is not None
            db.session.remove()
            db.engine.dispose()


def test_0021_makes_every_protected_time_date_an_accepted_recorded_agreement(tmp_path):
    """Nothing lost: each home's old date is its accepted agreement's (source "recorded"), the
    home still answers it, and going back down puts every date back in the column."""
    from datetime import date, datetime

    import sqlalchemy as sa

    from facilitator.models import Agreement, CareHome

    days = {1: date(2024, 2, 29), 2: None, 3: date(2025, 12, 31), 4: date(2019, 6, 1)}
    with dbsetup.database(tmp_path, "agreements") as database:
        app = create_app(base_config(database), instance_path=str(tmp_path / "inst"))
        with app.app_context():
            upgrade(revision="0016")
            with db.engine.begin() as conn:
                for home_id, day in days.items():
                    conn.execute(sa.text(
                        "INSERT INTO care_homes (id, name, region, notes, created_at, "
                        "protected_time_agreed_on) VALUES (:id, :name, '', '', :at, :day)"),
                        {"id": 100 + home_id, "name": f"Home {home_id}", "at": datetime(2024, 1, 1),
                         "day": day})
                    conn.execute(sa.text(
                        "INSERT INTO contacts (id, home_id, name, email, role, is_active, created_at) "
                        "VALUES (:id, :id, 'C', :email, 'manager', :yes, :at)"),
                        {"id": 100 + home_id, "email": f"c{home_id}@example.org", "yes": True,
                         "at": datetime(2024, 1, 1)})
            upgrade(revision="heads")
            homes = db.session.scalars(sa.select(CareHome)).all()
            assert {h.id - 100: h.protected_time_agreed_on for h in homes} == days
            rows = {a.home_id - 100: a for a in db.session.scalars(sa.select(Agreement))}
            assert set(rows) == {1, 3, 4}
            assert {(a.status, a.source) for a in rows.values()} == {("accepted", "recorded")}
            assert (rows[1].starts_on, rows[1].review_on, rows[1].agreed_on) == (
                date(2024, 2, 29), date(2025, 2, 28), date(2024, 2, 29))
            assert [len(h.contacts) for h in homes] == [1] * 4, "contacts kept"
            db.session.remove()
            downgrade(revision="0016")
            with db.engine.connect() as conn:
                back = dict(conn.execute(sa.text(
                    "SELECT id - 100, protected_time_agreed_on FROM care_homes")).all())
                kept = conn.execute(sa.text("SELECT COUNT(*) FROM contacts")).scalar()
            assert {k: (date.fromisoformat(str(v)) if v else None) for k, v in back.items()} == days
            assert kept == 4
            db.engine.dispose()


def test_0023_adds_device_tests_and_going_down_drops_only_it(tmp_path):
    import sqlalchemy as sa

    with dbsetup.database(tmp_path, "device_tests") as database:
        app = create_app(base_config(database), instance_path=str(tmp_path / "inst"))
        with app.app_context():
            upgrade(revision="0022")
            assert "device_tests" not in sa.inspect(db.engine).get_table_names()
            upgrade(revision="0023")
            with db.engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO care_homes (id, name, region, local_authority, notes, "
                                     "created_at) VALUES (1, 'Home', '', NULL, '', '2026-01-01')"))
                conn.execute(sa.text("INSERT INTO device_tests (home_id, provider, browser_family, device, "
                                     "tested_at) VALUES (1, 'zoom', 'Safari', 'iPad', :at)"),
                             {"at": "2026-03-10 12:00:00"})
                assert conn.execute(sa.text("SELECT COUNT(*) FROM device_tests")).scalar() == 1
            downgrade(revision="0022")
            tables = sa.inspect(db.engine).get_table_names()
            assert "device_tests" not in tables and "care_homes" in tables
            with db.engine.connect() as conn:
                assert conn.execute(sa.text("SELECT COUNT(*) FROM care_homes")).scalar() == 1
            db.engine.dispose()
