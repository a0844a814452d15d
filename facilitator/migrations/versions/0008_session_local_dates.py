"""meeting_sessions.starts_on (the local calendar date of the start), an index for memberships by
group and home (the engagement report filters attendance by membership dates in SQL) and
report_versions (the counters cached reports are keyed on)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 12:00:00.000000

"""
from datetime import UTC
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starts_on', sa.Date(), nullable=True))
    sessions = sa.table('meeting_sessions', sa.column('id', sa.Integer), sa.column('starts_at', sa.DateTime),
                        sa.column('timezone', sa.String), sa.column('starts_on', sa.Date))
    connection = op.get_bind()
    rows = connection.execute(sa.select(sessions.c.id, sessions.c.starts_at, sessions.c.timezone)).all()
    if rows:
        connection.execute(
            sessions.update().where(sessions.c.id == sa.bindparam('session_id'))
            .values(starts_on=sa.bindparam('local_day')),
            [{'session_id': row.id,
              'local_day': row.starts_at.replace(tzinfo=UTC).astimezone(ZoneInfo(row.timezone)).date()}
             for row in rows])
    with op.batch_alter_table('meeting_sessions', schema=None) as batch_op:
        batch_op.alter_column('starts_on', existing_type=sa.Date(), nullable=False)
    op.create_index('ix_memberships_group_id_home_id', 'memberships', ['group_id', 'home_id'])
    op.create_table('report_versions',
    sa.Column('group_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_report_versions'))
    )


def downgrade():
    op.drop_table('report_versions')
    op.drop_index('ix_memberships_group_id_home_id', table_name='memberships')
    with op.batch_alter_table('meeting_sessions', schema=None) as batch_op:
        batch_op.drop_column('starts_on')
