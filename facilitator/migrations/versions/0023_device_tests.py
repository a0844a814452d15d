"""device_tests (issue 17): each time a home pressed "Test this iPad" on its page, with the
browser and device it used. A new table only: nothing existing changes.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('device_tests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('provider', sa.String(length=10), nullable=False),
    sa.Column('browser_family', sa.String(length=30), nullable=False),
    sa.Column('device', sa.String(length=30), nullable=False),
    sa.Column('tested_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_device_tests_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['home_id'], ['care_homes.id'], name=op.f('fk_device_tests_home_id_care_homes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_tests'))
    )
    with op.batch_alter_table('device_tests', schema=None) as batch_op:
        batch_op.create_index('ix_device_tests_home_id_tested_at', ['home_id', 'tested_at'], unique=False)


def downgrade():
    op.drop_table('device_tests')
