"""event_organizers: the ORGANIZER each session's UID was first sent with, kept for its whole life

Sessions already sent get theirs the next time a copy is built (an email, the feed, a download).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_organizers',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('fixed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_event_organizers_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_event_organizers'))
    )


def downgrade():
    op.drop_table('event_organizers')
