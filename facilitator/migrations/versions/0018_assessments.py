"""assessments: versioned self-assessment frameworks (the default one published here), each home's
rounds, a rating and evidence per domain, who took part and the history of every change (issue 16)

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02 15:34:59.665867

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

from facilitator.journey.framework_data import PRINCIPLES, SCALE, TOOLKIT_2021


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('frameworks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('scale', sa.JSON(), nullable=False),
    sa.Column('principles', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frameworks')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_frameworks_name'))
    )
    op.create_table('assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('completed_on IS NULL OR completed_on >= started_on', name=op.f('ck_assessments_completed_after_started')),
    sa.ForeignKeyConstraint(['framework_id'], ['frameworks.id'], name=op.f('fk_assessments_framework_id_frameworks'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['home_id'], ['care_homes.id'], name=op.f('fk_assessments_home_id_care_homes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('home_id', 'round', name=op.f('uq_assessments_home_id'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_framework_id'), ['framework_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_home_id'), ['home_id'], unique=False)

    op.create_table('framework_domains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('prompts', sa.JSON(), nullable=False),
    sa.Column('key_question', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['framework_id'], ['frameworks.id'], name=op.f('fk_framework_domains_framework_id_frameworks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_framework_domains')),
    sa.UniqueConstraint('framework_id', 'key', name=op.f('uq_framework_domains_framework_id'))
    )
    with op.batch_alter_table('framework_domains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_framework_domains_framework_id'), ['framework_id'], unique=False)

    op.create_table('assessment_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('domain_key', sa.String(length=40), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_changes_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_assessment_changes_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assessment_changes_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_changes'))
    )
    with op.batch_alter_table('assessment_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_changes_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('assessment_participants',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_participants_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_assessment_participants_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assessment_id', 'contact_id', name=op.f('pk_assessment_participants'))
    )
    op.create_table('assessment_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('domain_key', sa.String(length=40), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by_user_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_contact_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 4)', name=op.f('ck_assessment_ratings_rating_range')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_ratings_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['changed_by_contact_id'], ['contacts.id'], name=op.f('fk_assessment_ratings_changed_by_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['changed_by_user_id'], ['users.id'], name=op.f('fk_assessment_ratings_changed_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_ratings')),
    sa.UniqueConstraint('assessment_id', 'domain_key', name=op.f('uq_assessment_ratings_assessment_id'))
    )
    with op.batch_alter_table('assessment_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_ratings_assessment_id'), ['assessment_id'], unique=False)

    _publish_default_framework()


def _publish_default_framework():
    """The toolkit's framework, as ``facilitator.journey.frameworks.publish_framework`` would."""
    frameworks = sa.table('frameworks', sa.column('id', sa.Integer), sa.column('name', sa.String),
                          sa.column('version', sa.String), sa.column('scale', sa.JSON),
                          sa.column('principles', sa.JSON), sa.column('published_at', sa.DateTime))
    domains = sa.table('framework_domains', sa.column('framework_id', sa.Integer),
                       sa.column('position', sa.Integer), sa.column('key', sa.String),
                       sa.column('title', sa.String), sa.column('prompts', sa.JSON),
                       sa.column('key_question', sa.String))
    bind = op.get_bind()
    framework_id = bind.execute(frameworks.insert().values(
        name=TOOLKIT_2021.name, version=TOOLKIT_2021.version, scale=[list(s) for s in SCALE],
        principles=list(PRINCIPLES), published_at=datetime.now(UTC).replace(tzinfo=None),
    ).returning(frameworks.c.id)).scalar_one()
    op.bulk_insert(domains, [
        {'framework_id': framework_id, 'position': n, 'key': d.key, 'title': d.title,
         'prompts': list(d.prompts), 'key_question': d.key_question}
        for n, d in enumerate(TOOLKIT_2021.domains, start=1)])


def downgrade():
    with op.batch_alter_table('assessment_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_ratings_assessment_id'))

    op.drop_table('assessment_ratings')
    op.drop_table('assessment_participants')
    with op.batch_alter_table('assessment_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_changes_assessment_id'))

    op.drop_table('assessment_changes')
    with op.batch_alter_table('framework_domains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_framework_domains_framework_id'))

    op.drop_table('framework_domains')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_home_id'))
        batch_op.drop_index(batch_op.f('ix_assessments_framework_id'))

    op.drop_table('assessments')
    op.drop_table('frameworks')
