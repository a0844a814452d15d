"""contact_tokens.kind and ciphertext: one home-page link and one feed link per contact, kept
encrypted so every email can carry the same one; at most one live link per contact and kind

Existing links were minted one per email and served as both page and feed link. Each contact's
newest unrevoked one is kept as kind 'legacy' (it goes on working for the page and the feed, so a
calendar subscribed with it does not stop); the others are revoked. Only their hashes were kept,
so the next email brings the contact's new home-page and feed links.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09 09:00:00.000000

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

LIVE = sa.text('revoked_at IS NULL')


def upgrade():
    tokens = sa.table('contact_tokens', sa.column('id', sa.Integer), sa.column('contact_id', sa.Integer),
                      sa.column('revoked_at', sa.DateTime))
    newest = sa.select(sa.func.max(tokens.c.id)).where(tokens.c.revoked_at.is_(None)).group_by(
        tokens.c.contact_id)
    now = datetime.now(UTC).replace(tzinfo=None)
    op.execute(tokens.update().where(tokens.c.revoked_at.is_(None), tokens.c.id.not_in(newest))
               .values(revoked_at=now))
    with op.batch_alter_table('contact_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='legacy'))
        batch_op.add_column(sa.Column('ciphertext', sa.Text(), nullable=True))
    with op.batch_alter_table('contact_tokens', schema=None) as batch_op:
        batch_op.alter_column('kind', server_default=None)
        batch_op.create_index('uq_contact_tokens_live', ['contact_id', 'kind'], unique=True,
                              sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade():
    # Before 0012 every link served the page and the feed: each live link does both again.
    with op.batch_alter_table('contact_tokens', schema=None) as batch_op:
        batch_op.drop_index('uq_contact_tokens_live')
        batch_op.drop_column('ciphertext')
        batch_op.drop_column('kind')
