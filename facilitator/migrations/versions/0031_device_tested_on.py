"""membership_readiness.device_tested_on (issue 17): a device test the facilitator recorded, for
homes whose groups use pasted links (no test meeting to open from the home's page). One nullable
column; added and dropped in place (no table copy).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 17:42:53.533611

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('membership_readiness', sa.Column('device_tested_on', sa.Date(), nullable=True))


def downgrade():
    op.drop_column('membership_readiness', 'device_tested_on')
