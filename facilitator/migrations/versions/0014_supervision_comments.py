"""supervision_comments: comments on a shared supervision record, sealed like the record;
supervision_records.recorded_by_id: the supervisor who wrote a record for their supervisee

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supervision_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_supervision_comments_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['supervision_records.id'], name=op.f('fk_supervision_comments_record_id_supervision_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_comments'))
    )
    with op.batch_alter_table('supervision_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_comments_key_id'), ['key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_comments_record_id'), ['record_id'], unique=False)
    with op.batch_alter_table('supervision_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_supervision_records_recorded_by_id_users'), 'users',
                                    ['recorded_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('supervision_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_supervision_records_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('recorded_by_id')
    with op.batch_alter_table('supervision_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_comments_record_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_comments_key_id'))
    op.drop_table('supervision_comments')
