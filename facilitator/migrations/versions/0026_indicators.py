"""indicator_returns, indicator_staff_trained, indicator_reminder_sends (issue 19): each home's
monthly return of implementation indicators, its staff trained by role and level, and the ledger
of the monthly reminder. New tables only: nothing existing changes.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicator_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('care_plans_reviewed', sa.Integer(), nullable=False),
    sa.Column('care_plans_naming_trauma', sa.Integer(), nullable=False),
    sa.Column('team_meetings', sa.Integer(), nullable=False),
    sa.Column('team_meetings_discussing_tip', sa.Integer(), nullable=False),
    sa.Column('team_leaders_trained_total', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_by_contact_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by_user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('care_plans_naming_trauma <= care_plans_reviewed', name=op.f('ck_indicator_returns_plans_part_of_whole')),
    sa.CheckConstraint('team_meetings_discussing_tip <= team_meetings', name=op.f('ck_indicator_returns_meetings_part_of_whole')),
    sa.ForeignKeyConstraint(['home_id'], ['care_homes.id'], name=op.f('fk_indicator_returns_home_id_care_homes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_contact_id'], ['contacts.id'], name=op.f('fk_indicator_returns_submitted_by_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitted_by_user_id'], ['users.id'], name=op.f('fk_indicator_returns_submitted_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_returns')),
    sa.UniqueConstraint('home_id', 'month', name=op.f('uq_indicator_returns_home_id'))
    )
    with op.batch_alter_table('indicator_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_returns_home_id'), ['home_id'], unique=False)

    op.create_table('indicator_staff_trained',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('ksf_level', sa.String(length=20), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['indicator_returns.id'], name=op.f('fk_indicator_staff_trained_return_id_indicator_returns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_staff_trained')),
    sa.UniqueConstraint('return_id', 'role', 'ksf_level', name=op.f('uq_indicator_staff_trained_return_id'))
    )
    with op.batch_alter_table('indicator_staff_trained', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_staff_trained_return_id'), ['return_id'], unique=False)

    op.create_table('indicator_reminder_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_indicator_reminder_sends_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'], name=op.f('fk_indicator_reminder_sends_outbox_message_id_outbox_messages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_reminder_sends')),
    sa.UniqueConstraint('contact_id', 'month', name=op.f('uq_indicator_reminder_sends_contact_id'))
    )
    with op.batch_alter_table('indicator_reminder_sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_reminder_sends_contact_id'), ['contact_id'], unique=False)


def downgrade():
    op.drop_table('indicator_reminder_sends')
    op.drop_table('indicator_staff_trained')
    op.drop_table('indicator_returns')
