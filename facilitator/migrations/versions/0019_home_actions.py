"""home_actions: each home's action plan (issue 16);
action_digest_sends: the weekly overdue digest queued once per owner and week

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-02 15:34:50.022644

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('home_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('domain_key', sa.String(length=50), nullable=True),
    sa.Column('owner_contact_id', sa.Integer(), nullable=True),
    sa.Column('owner_role', sa.String(length=20), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('protected_hours', sa.Numeric(precision=6, scale=1, asdecimal=False), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_user_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_contact_id', sa.Integer(), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['home_id'], ['care_homes.id'], name=op.f('fk_home_actions_home_id_care_homes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_contact_id'], ['contacts.id'], name=op.f('fk_home_actions_owner_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_contact_id'], ['contacts.id'], name=op.f('fk_home_actions_updated_by_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_user_id'], ['users.id'], name=op.f('fk_home_actions_updated_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_home_actions'))
    )
    with op.batch_alter_table('home_actions', schema=None) as batch_op:
        batch_op.create_index('ix_home_actions_home_id_status', ['home_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_home_actions_owner_contact_id'), ['owner_contact_id'], unique=False)

    op.create_table('action_digest_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('week_of', sa.Date(), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_action_digest_sends_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'], name=op.f('fk_action_digest_sends_outbox_message_id_outbox_messages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_digest_sends')),
    sa.UniqueConstraint('contact_id', 'week_of', name=op.f('uq_action_digest_sends_contact_id'))
    )
    with op.batch_alter_table('action_digest_sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_digest_sends_contact_id'), ['contact_id'], unique=False)



def downgrade():
    with op.batch_alter_table('action_digest_sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_digest_sends_contact_id'))

    op.drop_table('action_digest_sends')
    with op.batch_alter_table('home_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_home_actions_owner_contact_id'))
        batch_op.drop_index('ix_home_actions_home_id_status')

    op.drop_table('home_actions')
