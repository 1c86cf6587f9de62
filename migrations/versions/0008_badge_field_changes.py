"""the change record (变更记录): one row per public field of a listed organisation that a sync saw change

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'field_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uscc', sa.String(length=18), nullable=False),
        sa.Column('sync_run_id', sa.Integer(), nullable=False),
        sa.Column('publication_version', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('field', sa.String(length=32), nullable=False),
        sa.Column('old_value', sa.Text(), nullable=True),
        sa.Column('new_value', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['sync_run_id'], ['sync_runs.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('field_changes', schema=None) as batch_op:
        batch_op.create_index('ix_field_changes_uscc_changed_at', ['uscc', 'changed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('field_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_field_changes_uscc_changed_at')
    op.drop_table('field_changes')
