"""invitations: outbox, deliveries, tokens, joins, reminders

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('to_email', sa.String(length=254), nullable=False),
    sa.Column('to_name', sa.String(length=200), nullable=False),
    sa.Column('reminder_starts_at', sa.DateTime(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('body_text', sa.Text(), nullable=True),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('calendar', sa.LargeBinary(), nullable=True),
    sa.Column('calendar_method', sa.String(length=10), nullable=True),
    sa.Column('headers_json', sa.Text(), nullable=True),
    sa.Column('from_addr', sa.String(length=300), nullable=True),
    sa.Column('reply_to', sa.String(length=300), nullable=True),
    sa.Column('rendered_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('locked_by', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_outbox_messages_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_outbox_messages_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_messages_message_id'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_outbox_messages_session_id_contact_id', ['session_id', 'contact_id'], unique=False)
        batch_op.create_index('ix_outbox_messages_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    op.create_table('invite_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('invited_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_invite_deliveries_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_invite_deliveries_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invite_deliveries')),
    sa.UniqueConstraint('session_id', 'contact_id', name=op.f('uq_invite_deliveries_session_id'))
    )
    with op.batch_alter_table('invite_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invite_deliveries_contact_id'), ['contact_id'], unique=False)

    op.create_table('invitation_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_invitation_tokens_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_invitation_tokens_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_tokens_token_hash'))
    )
    with op.batch_alter_table('invitation_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_tokens_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_tokens_session_id'), ['session_id'], unique=False)

    op.create_table('contact_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_tokens_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_contact_tokens_token_hash'))
    )
    with op.batch_alter_table('contact_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_tokens_contact_id'), ['contact_id'], unique=False)

    op.create_table('join_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.Column('user_agent_family', sa.String(length=60), nullable=False),
    sa.Column('in_window', sa.Boolean(), nullable=False),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_join_records_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['home_id'], ['care_homes.id'], name=op.f('fk_join_records_home_id_care_homes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_join_records_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_records'))
    )
    with op.batch_alter_table('join_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_records_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_join_records_home_id'), ['home_id'], unique=False)
        batch_op.create_index('ix_join_records_session_id_home_id', ['session_id', 'home_id'], unique=False)

    op.create_table('reminder_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('offset_minutes', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_reminder_sends_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'], name=op.f('fk_reminder_sends_outbox_message_id_outbox_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_reminder_sends_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_sends')),
    sa.UniqueConstraint('session_id', 'contact_id', 'offset_minutes', name=op.f('uq_reminder_sends_session_id'))
    )
    with op.batch_alter_table('reminder_sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_sends_contact_id'), ['contact_id'], unique=False)

    op.create_table('reminder_optouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_reminder_optouts_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_optouts')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_reminder_optouts_contact_id'))
    )


def downgrade():
    op.drop_table('reminder_optouts')
    with op.batch_alter_table('reminder_sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_sends_contact_id'))
    op.drop_table('reminder_sends')
    with op.batch_alter_table('join_records', schema=None) as batch_op:
        batch_op.drop_index('ix_join_records_session_id_home_id')
        batch_op.drop_index(batch_op.f('ix_join_records_home_id'))
        batch_op.drop_index(batch_op.f('ix_join_records_contact_id'))
    op.drop_table('join_records')
    with op.batch_alter_table('contact_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_tokens_contact_id'))
    op.drop_table('contact_tokens')
    with op.batch_alter_table('invitation_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_tokens_session_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_tokens_contact_id'))
    op.drop_table('invitation_tokens')
    with op.batch_alter_table('invite_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invite_deliveries_contact_id'))
    op.drop_table('invite_deliveries')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_next_attempt_at')
        batch_op.drop_index('ix_outbox_messages_session_id_contact_id')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_contact_id'))
    op.drop_table('outbox_messages')
