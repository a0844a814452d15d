"""calendar_replies: each contact's latest calendar answer (iMIP REPLY) per session;
mailbox_messages: the organizer-mailbox messages a replies worker has claimed, so each is read once

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('partstat', sa.String(length=12), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('replied_at', sa.DateTime(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_calendar_replies_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_calendar_replies_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_replies')),
    sa.UniqueConstraint('session_id', 'contact_id', name=op.f('uq_calendar_replies_session_id'))
    )
    with op.batch_alter_table('calendar_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_replies_contact_id'), ['contact_id'], unique=False)

    op.create_table('mailbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox', sa.String(length=300), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.BigInteger(), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailbox_messages')),
    sa.UniqueConstraint('mailbox', 'uidvalidity', 'uid', name=op.f('uq_mailbox_messages_mailbox'))
    )


def downgrade():
    op.drop_table('mailbox_messages')
    with op.batch_alter_table('calendar_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_replies_contact_id'))
    op.drop_table('calendar_replies')
