"""session_plans and session_summaries (issue 19): a session's plan (theme, agenda) and the summary
sent once to every home of the group, never the confidential note. New tables only.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('session_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=200), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_session_plans_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_session_plans_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_plans')),
    sa.UniqueConstraint('session_id', name=op.f('uq_session_plans_session_id'))
    )
    op.create_table('session_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('queued', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_session_summaries_sent_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_session_summaries_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_session_summaries_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_summaries')),
    sa.UniqueConstraint('session_id', name=op.f('uq_session_summaries_session_id'))
    )

    op.create_table('plan_resources',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['session_plans.id'], name=op.f('fk_plan_resources_plan_id_session_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_plan_resources_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', 'resource_id', name=op.f('pk_plan_resources'))
    )
    op.create_table('summary_resources',
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_summary_resources_resource_id_resources'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['summary_id'], ['session_summaries.id'], name=op.f('fk_summary_resources_summary_id_session_summaries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('summary_id', 'resource_id', name=op.f('pk_summary_resources'))
    )


def downgrade():
    op.drop_table('summary_resources')
    op.drop_table('plan_resources')
    op.drop_table('session_summaries')
    op.drop_table('session_plans')
