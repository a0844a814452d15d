"""Alembic environment, run through Flask-Migrate (``flask --app facilitator db upgrade``)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from facilitator.models.base import UTCDateTime, alembic_compare_type

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Write our UTC column type as a plain DateTime so migrations do not import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _configure_args():
    return {
        **current_app.extensions["migrate"].configure_args,
        "target_metadata": db.metadata,
        "render_item": render_item,
        "compare_type": alembic_compare_type,
        "render_as_batch": True,
    }


def run_migrations_offline():
    context.configure(url=str(db.engine.url), literal_binds=True, **_configure_args())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    args = _configure_args()
    args.setdefault("process_revision_directives", process_revision_directives)
    with db.engine.connect() as connection:
        context.configure(connection=connection, **args)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # DB_STATEMENT_TIMEOUT_MS is for requests and workers; a migration may rewrite a
                # big table. Waiting for locks stays limited (lock_timeout).
                connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
