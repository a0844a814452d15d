"""resources (issue 19): the resource library and each resource's topics. New tables only:
nothing existing changes.

Revision ID: 0025
Revises: 0023 (0024 was never used)
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('publisher', sa.String(length=30), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('ksf_level', sa.String(length=20), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('paper_friendly', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('last_checked_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_resources_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources'))
    )
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_format'), ['format'], unique=False)
        batch_op.create_index(batch_op.f('ix_resources_ksf_level'), ['ksf_level'], unique=False)

    op.create_table('resource_topics',
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_resource_topics_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'topic', name=op.f('pk_resource_topics'))
    )
    with op.batch_alter_table('resource_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_topics_topic'), ['topic'], unique=False)


def downgrade():
    with op.batch_alter_table('resource_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_topics_topic'))
    op.drop_table('resource_topics')
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resources_ksf_level'))
        batch_op.drop_index(batch_op.f('ix_resources_format'))
    op.drop_table('resources')
