"""agreements: protected-time agreements with a senior sponsor; agreement_reminders: the ledger of
reminders queued for them; membership_readiness: what a facilitator records of a home's readiness
in a group (visit, meeting the manager, champion). Every care_homes.protected_time_agreed_on becomes an accepted agreement
(source "recorded", reviewed 12 months on) and the column goes: the home reads it from there.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 16:00:00.000000

"""
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

RECORDED_TEXT = ("Protected time was agreed with the home's leadership on {day}. "
                 "(Recorded before agreements were kept in full: no sponsor or hours were noted.)")

agreements = sa.table(
    'agreements', sa.column('id', sa.Integer()), sa.column('home_id', sa.Integer()),
    sa.column('status', sa.String()), sa.column('source', sa.String()),
    sa.column('sponsor_name', sa.String()), sa.column('sponsor_email', sa.String()),
    sa.column('psl_hours_per_month', sa.Float()), sa.column('implementation_hours_per_month', sa.Float()),
    sa.column('task_hours_per_month', sa.Float()), sa.column('starts_on', sa.Date()),
    sa.column('review_on', sa.Date()), sa.column('text', sa.Text()), sa.column('agreed_on', sa.Date()),
    sa.column('accepted_by', sa.String()), sa.column('accepted_ip', sa.String()),
    sa.column('created_at', sa.DateTime()))


def _months_on(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def upgrade():
    op.create_table('agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('sponsor_contact_id', sa.Integer(), nullable=True),
    sa.Column('sponsor_name', sa.String(length=200), nullable=False),
    sa.Column('sponsor_email', sa.String(length=254), nullable=False),
    sa.Column('psl_hours_per_month', sa.Float(), nullable=False),
    sa.Column('implementation_hours_per_month', sa.Float(), nullable=False),
    sa.Column('task_hours_per_month', sa.Float(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('review_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('agreed_on', sa.Date(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_by', sa.String(length=200), nullable=False),
    sa.Column('accepted_ip', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('token_ciphertext', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('psl_hours_per_month >= 0 AND implementation_hours_per_month >= 0 AND task_hours_per_month >= 0', name=op.f('ck_agreements_hours_not_negative')),
    sa.CheckConstraint('review_on >= starts_on', name=op.f('ck_agreements_review_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_agreements_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['home_id'], ['care_homes.id'], name=op.f('fk_agreements_home_id_care_homes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sponsor_contact_id'], ['contacts.id'], name=op.f('fk_agreements_sponsor_contact_id_contacts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_agreements_token_hash'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_home_id'), ['home_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_sponsor_contact_id'), ['sponsor_contact_id'], unique=False)

    op.create_table('agreement_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_reminders_agreement_id_agreements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_reminders')),
    sa.UniqueConstraint('agreement_id', 'kind', name=op.f('uq_agreement_reminders_agreement_id'))
    )

    op.create_table('membership_readiness',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=True),
    sa.Column('visited_by', sa.String(length=200), nullable=False),
    sa.Column('met_manager_on', sa.Date(), nullable=True),
    sa.Column('champion_contact_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['champion_contact_id'], ['contacts.id'], name=op.f('fk_membership_readiness_champion_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_membership_readiness_membership_id_memberships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_readiness')),
    sa.UniqueConstraint('membership_id', name=op.f('uq_membership_readiness_membership_id'))
    )

    conn = op.get_bind()
    homes = conn.execute(sa.text(
        "SELECT id, protected_time_agreed_on, created_at FROM care_homes "
        "WHERE protected_time_agreed_on IS NOT NULL").columns(
            id=sa.Integer(), protected_time_agreed_on=sa.Date(), created_at=sa.DateTime())).all()
    rows = [_recorded(home_id, day, created) for home_id, day, created in homes]
    if rows:
        op.bulk_insert(agreements, rows)
    # Not a batch: on SQLite that copies care_homes and drops the original, and with foreign keys
    # on, the drop would delete every contact, membership... by cascade. SQLite 3.35+ and
    # PostgreSQL both drop a plain column in place.
    op.execute("ALTER TABLE care_homes DROP COLUMN protected_time_agreed_on")


def _recorded(home_id, day, created):
    return {'home_id': home_id, 'status': 'accepted', 'source': 'recorded', 'sponsor_name': '',
            'sponsor_email': '', 'psl_hours_per_month': 0, 'implementation_hours_per_month': 0,
            'task_hours_per_month': 0, 'starts_on': day, 'review_on': _months_on(day, 12),
            'text': RECORDED_TEXT.format(day=day.isoformat()), 'agreed_on': day, 'accepted_by': '',
            'accepted_ip': '', 'created_at': created}


def downgrade():
    op.add_column('care_homes', sa.Column('protected_time_agreed_on', sa.Date(), nullable=True))
    op.execute(
        "UPDATE care_homes SET protected_time_agreed_on = (SELECT MAX(agreed_on) FROM agreements "
        "WHERE agreements.home_id = care_homes.id AND agreements.status IN ('accepted', 'signed_on_paper'))")
    op.drop_table('membership_readiness')
    op.drop_table('agreement_reminders')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreements_sponsor_contact_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_home_id'))
    op.drop_table('agreements')
