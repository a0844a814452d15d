"""api_tokens.expires_at: every API token has an end (API_TOKEN_DAYS after it was made)

Tokens made before this revision get 90 days from the upgrade, so no integration stops at once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:00:00.000000

"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

EXISTING_TOKEN_DAYS = 90


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
    tokens = sa.table('api_tokens', sa.column('expires_at', sa.DateTime))
    until = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=EXISTING_TOKEN_DAYS)
    op.execute(tokens.update().values(expires_at=until))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
