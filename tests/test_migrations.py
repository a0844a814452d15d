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
