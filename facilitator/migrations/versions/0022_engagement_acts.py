"""apologies, home_pauses, follow_ups, follow_up_contacts (issue 18): a home's apologies in advance,
its pauses, and the follow-ups opened when a home slips. New tables only: nothing existing changes.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 18:41:45.076730

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('snooze_until', sa.Date(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(), nullable=True),
    sa.Column('missed_you_sent_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('outcome_note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_follow_ups_closed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_follow_ups_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['home_id'], ['care_homes.id'], name=op.f('fk_follow_ups_home_id_care_homes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_group_id_state', ['group_id', 'state'], unique=False)
        batch_op.create_index('uq_follow_ups_one_open', ['home_id', 'group_id'], unique=True, sqlite_where=sa.text("state != 'closed'"), postgresql_where=sa.text("state != 'closed'"))

    op.create_table('home_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_early_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_home_pauses_ends_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_home_pauses_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['home_id'], ['care_homes.id'], name=op.f('fk_home_pauses_home_id_care_homes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_home_pauses'))
    )
    with op.batch_alter_table('home_pauses', schema=None) as batch_op:
        batch_op.create_index('ix_home_pauses_home_id', ['home_id'], unique=False)

    op.create_table('apologies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('digested_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_apologies_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['home_id'], ['care_homes.id'], name=op.f('fk_apologies_home_id_care_homes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_apologies_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apologies')),
    sa.UniqueConstraint('session_id', 'home_id', 'contact_id', name=op.f('uq_apologies_session_id'))
    )
    with op.batch_alter_table('apologies', schema=None) as batch_op:
        batch_op.create_index('ix_apologies_digested_at', ['digested_at'], unique=False)
        batch_op.create_index('ix_apologies_home_id', ['home_id'], unique=False)

    op.create_table('follow_up_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('follow_up_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=1000), nullable=False),
    sa.Column('next_step', sa.String(length=500), nullable=False),
    sa.Column('next_on', sa.Date(), nullable=True),
    sa.Column('logged_by_id', sa.Integer(), nullable=True),
    sa.Column('logged_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_follow_up_contacts_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id'], name=op.f('fk_follow_up_contacts_follow_up_id_follow_ups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['logged_by_id'], ['users.id'], name=op.f('fk_follow_up_contacts_logged_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_contacts'))
    )
    with op.batch_alter_table('follow_up_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_contacts_follow_up_id'), ['follow_up_id'], unique=False)



def downgrade():
    for table in ('follow_up_contacts', 'apologies', 'home_pauses', 'follow_ups'):
        op.drop_table(table)
