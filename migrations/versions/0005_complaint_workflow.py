"""complaint workflow of issue 19: answer, transfer, extension, escalation and review columns; the e-mail outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 01:10:00.000000

The states of earlier rows keep their names (submitted, accepted, rejected,
investigating, concluded are states of the new workflow too). The answer
deadline takes the old conclusion deadline; a concluded complaint was
answered when it was concluded, by its assignee.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_NEW_COLUMNS = (
    ('answered_at', sa.DateTime()),
    ('transfer_unit', sa.String(length=200)),
    ('transfer_note', sa.Text()),
    ('extended_at', sa.DateTime()),
    ('extension_reason', sa.Text()),
    ('escalated_at', sa.DateTime()),
    ('review_request_until', sa.DateTime()),
    ('review_requested_at', sa.DateTime()),
    ('review_reason', sa.Text()),
    ('review_due_at', sa.DateTime()),
    ('review_result', sa.String(length=16)),
    ('review_decision', sa.Text()),
)


def upgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.alter_column('conclude_due_at', new_column_name='answer_due_at', existing_type=sa.DateTime())
        for name, type_ in _NEW_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.add_column(sa.Column('answered_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_complaints_answered_by_id_staff_users', 'staff_users', ['answered_by_id'], ['id'])
    op.create_table('complaint_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('recipient', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('complaint_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_notifications_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_notifications_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_notifications_sent_at'), ['sent_at'], unique=False)
    # Concluded complaints were answered when concluded, by their assignee.
    op.execute(
        "UPDATE complaints SET answered_at = concluded_at, answered_by_id = assignee_id "
        "WHERE state = 'concluded'"
    )


def downgrade():
    op.drop_table('complaint_notifications')
    # Complaints in states the old workflow lacks go back to the nearest old one.
    op.execute("UPDATE complaints SET state = 'investigating' WHERE state IN ('transferred', 'answered', 'reviewing')")
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint('fk_complaints_answered_by_id_staff_users', type_='foreignkey')
        batch_op.drop_column('answered_by_id')
        for name, _type in reversed(_NEW_COLUMNS):
            batch_op.drop_column(name)
        batch_op.alter_column('answer_due_at', new_column_name='conclude_due_at', existing_type=sa.DateTime())
