"""account emails through the outbox (contact_id nullable for kind 'account'); merges the heads

Merges the invitations, attendance, notes and accounts branches (0003 to 0006) into one head.

Revision ID: 0007
Revises: 0003, 0004, 0005, 0006
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = ('0003', '0004', '0005', '0006')
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('contact_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            op.f('ck_outbox_messages_contact_unless_account'), "contact_id IS NOT NULL OR kind = 'account'")


def downgrade():
    # Account emails have no contact and no place in the older schema: those not yet sent are lost
    # (the user can ask again); the rest only held bookkeeping.
    op.execute("DELETE FROM outbox_messages WHERE contact_id IS NULL")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_contact_unless_account'), type_='check')
        batch_op.alter_column('contact_id', existing_type=sa.Integer(), nullable=False)
