"""partners: the directory of partner organisations with the council areas they cover and their
specialisms; partner_contacts: a home's contacts with them; care_homes.local_authority (issue 17)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 15:35:55.683217

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('referral_route', sa.Text(), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('last_checked_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('name_key', name=op.f('uq_partners_name_key'))
    )
    op.create_table('partner_areas',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_areas_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', 'area', name=op.f('pk_partner_areas'))
    )
    with op.batch_alter_table('partner_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_areas_area'), ['area'], unique=False)

    op.create_table('partner_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('contacted_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('next_step', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['home_id'], ['care_homes.id'], name=op.f('fk_partner_contacts_home_id_care_homes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_contacts_partner_id_partners'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_partner_contacts_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_contacts'))
    )
    with op.batch_alter_table('partner_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_contacts_home_id'), ['home_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_contacts_partner_id'), ['partner_id'], unique=False)

    op.create_table('partner_specialisms',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('specialism', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_specialisms_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', 'specialism', name=op.f('pk_partner_specialisms'))
    )
    with op.batch_alter_table('partner_specialisms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_specialisms_specialism'), ['specialism'], unique=False)

    with op.batch_alter_table('care_homes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_authority', sa.String(length=40), nullable=True))



def downgrade():
    # Not a batch: on SQLite that copies care_homes and drops the original, and with foreign keys
    # on, dropping it deletes every home's contacts and memberships (ON DELETE CASCADE).
    op.drop_column('care_homes', 'local_authority')

    with op.batch_alter_table('partner_specialisms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_specialisms_specialism'))

    op.drop_table('partner_specialisms')
    with op.batch_alter_table('partner_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_contacts_partner_id'))
        batch_op.drop_index(batch_op.f('ix_partner_contacts_home_id'))

    op.drop_table('partner_contacts')
    with op.batch_alter_table('partner_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_areas_area'))

    op.drop_table('partner_areas')
    op.drop_table('partners')
