"""series: a series booked as one calendar entry (one UID, an RRULE, per-occurrence exceptions);
series_tokens: a contact's personal link to a series; meeting_sessions.series_slot_at: the start
the rule gave each occurrence (its RECURRENCE-ID); outbox_messages.series_id: a series invitation

Nothing is backfilled: a series booked before this has no ``series`` row, so its sessions keep
their per-session invitations and nothing already sent is sent again.

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-02 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('series',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('ical_uid', sa.String(length=100), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=10), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('until', sa.DateTime(), nullable=True),
    sa.Column('monthly_by', sa.String(length=10), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('first_starts_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_series_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series')),
    sa.UniqueConstraint('ical_uid', name=op.f('uq_series_ical_uid'))
    )
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_group_id'), ['group_id'], unique=False)

    op.create_table('series_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('series_id', sa.String(length=36), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_series_tokens_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_series_tokens_series_id_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_series_tokens_token_hash'))
    )
    with op.batch_alter_table('series_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_tokens_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_series_tokens_series_id'), ['series_id'], unique=False)

    with op.batch_alter_table('meeting_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_slot_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_series_id_series'), 'series', ['series_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_series_id_series'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_series_id'))
        batch_op.drop_column('series_id')

    # Not a batch: on SQLite that copies meeting_sessions and drops the original, and with foreign
    # keys on, dropping it deletes every session's deliveries, registers and messages (CASCADE).
    op.drop_column('meeting_sessions', 'series_slot_at')

    with op.batch_alter_table('series_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_series_tokens_series_id'))
        batch_op.drop_index(batch_op.f('ix_series_tokens_contact_id'))

    op.drop_table('series_tokens')
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_series_group_id'))

    op.drop_table('series')
