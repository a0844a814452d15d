"""questionnaires (issue 20): templates and their questions, rounds, the completion ledger
(questionnaire_invites) and the anonymous answers (questionnaire_responses and _answers: no
contact, no time). New tables only.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 16:42:05.563298

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questionnaires',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('introduction', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_questionnaires_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaires')),
    sa.UniqueConstraint('family', 'version', name=op.f('uq_questionnaires_family'))
    )
    op.create_table('questionnaire_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_questionnaire_questions_questionnaire_id_questionnaires'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_questions')),
    sa.UniqueConstraint('questionnaire_id', 'key', name=op.f('uq_questionnaire_questions_questionnaire_id'))
    )
    with op.batch_alter_table('questionnaire_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_questions_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('questionnaire_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('send_on', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_questionnaire_rounds_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_questionnaire_rounds_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_questionnaire_rounds_questionnaire_id_questionnaires'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_sessions.id'], name=op.f('fk_questionnaire_rounds_session_id_meeting_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_rounds')),
    sa.UniqueConstraint('session_id', name=op.f('uq_questionnaire_rounds_session_id'))
    )
    with op.batch_alter_table('questionnaire_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_rounds_group_id'), ['group_id'], unique=False)

    op.create_table('questionnaire_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('token_ciphertext', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('responded', sa.Boolean(), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('reminder_message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_questionnaire_invites_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'], name=op.f('fk_questionnaire_invites_outbox_message_id_outbox_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reminder_message_id'], ['outbox_messages.id'], name=op.f('fk_questionnaire_invites_reminder_message_id_outbox_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['questionnaire_rounds.id'], name=op.f('fk_questionnaire_invites_round_id_questionnaire_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_invites')),
    sa.UniqueConstraint('round_id', 'contact_id', name=op.f('uq_questionnaire_invites_round_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_questionnaire_invites_token_hash'))
    )
    with op.batch_alter_table('questionnaire_invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_invites_contact_id'), ['contact_id'], unique=False)

    op.create_table('questionnaire_responses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['questionnaire_rounds.id'], name=op.f('fk_questionnaire_responses_round_id_questionnaire_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_responses'))
    )
    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_responses_round_id'), ['round_id'], unique=False)

    op.create_table('questionnaire_answers',
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('question_key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['response_id'], ['questionnaire_responses.id'], name=op.f('fk_questionnaire_answers_response_id_questionnaire_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_key', name=op.f('pk_questionnaire_answers'))
    )


def downgrade():
    op.drop_table('questionnaire_answers')
    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_responses_round_id'))

    op.drop_table('questionnaire_responses')
    with op.batch_alter_table('questionnaire_invites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_invites_contact_id'))

    op.drop_table('questionnaire_invites')
    with op.batch_alter_table('questionnaire_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_rounds_group_id'))

    op.drop_table('questionnaire_rounds')
    with op.batch_alter_table('questionnaire_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_questions_questionnaire_id'))

    op.drop_table('questionnaire_questions')
    op.drop_table('questionnaires')
