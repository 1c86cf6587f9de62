"""score arithmetic: dimension base points, item severity, and the reconciliation of each sync run

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rule_set_dimensions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_points', sa.Numeric(precision=6, scale=2), nullable=True))
    with op.batch_alter_table('rule_set_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('severity', sa.String(length=16), nullable=True))
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unreconciled', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('reconciliation', sa.JSON(), nullable=True))
    # Rule sets copied before this revision lack the new columns: make the next sync copy them again.
    op.execute("UPDATE rule_sets SET source_updated_at = '1970-01-01 00:00:00'")


def downgrade():
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_column('reconciliation')
        batch_op.drop_column('unreconciled')
    with op.batch_alter_table('rule_set_items', schema=None) as batch_op:
        batch_op.drop_column('severity')
    with op.batch_alter_table('rule_set_dimensions', schema=None) as batch_op:
        batch_op.drop_column('base_points')
