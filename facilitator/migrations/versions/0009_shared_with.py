"""session_notes.shared_with_id and supervision_records.shared_with_id: the supervisor a note or
record was shared with, fixed when it was shared (a later change of supervisor shares nothing)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TABLES = {'session_notes': 'author_id', 'supervision_records': 'facilitator_id'}


def upgrade():
    for table, owner in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('shared_with_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(f'fk_{table}_shared_with_id_users', 'users', ['shared_with_id'], ['id'],
                                        ondelete='SET NULL')
        # What was shared before is shared with whoever is the author's supervisor now.
        rows = sa.table(table, sa.column('shared_with_id', sa.Integer), sa.column(owner, sa.Integer),
                        sa.column('is_shared_with_supervisor', sa.Boolean))
        users = sa.table('users', sa.column('id', sa.Integer), sa.column('supervisor_id', sa.Integer))
        supervisor = sa.select(users.c.supervisor_id).where(users.c.id == rows.c[owner]).scalar_subquery()
        op.execute(rows.update().where(rows.c.is_shared_with_supervisor == sa.true())
                   .values(shared_with_id=supervisor))

def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_shared_with_id_users', type_='foreignkey')
            batch_op.drop_column('shared_with_id')
