"""a credit report is reused on the day it was issued only: minus items leave it when their display window ends

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('issued_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issued_on', sa.Date(), nullable=True))
    op.execute("UPDATE issued_reports SET issued_on = CAST(issued_at AS DATE)")
    with op.batch_alter_table('issued_reports', schema=None) as batch_op:
        batch_op.alter_column('issued_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint('uq_issued_reports_publication', type_='unique')
        batch_op.create_unique_constraint(
            'uq_issued_reports_publication_day', ['uscc', 'publication_version', 'language', 'issued_on']
        )


def downgrade():
    with op.batch_alter_table('issued_reports', schema=None) as batch_op:
        batch_op.drop_constraint('uq_issued_reports_publication_day', type_='unique')
        batch_op.create_unique_constraint('uq_issued_reports_publication', ['uscc', 'publication_version', 'language'])
        batch_op.drop_column('issued_on')
