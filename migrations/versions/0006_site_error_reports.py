"""site error reports (我为政府网站找错)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('site_error_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page', sa.String(length=500), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact_token', sa.LargeBinary(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('handling_note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['handled_by_id'], ['staff_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('site_error_reports', schema=None) as batch_op:
        batch_op.create_index('ix_site_error_reports_status_created_at', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('site_error_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_site_error_reports_status_created_at')
    op.drop_table('site_error_reports')
