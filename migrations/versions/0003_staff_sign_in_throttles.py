"""staff sign-in delays per account name and address, instead of the account lockout

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-14 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_sign_in_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account', 'address', name='uq_staff_sign_in_throttles_account_address')
    )
    with op.batch_alter_table('staff_sign_in_throttles', schema=None) as batch_op:
        batch_op.create_index('ix_staff_sign_in_throttles_last_attempt_at', ['last_attempt_at'], unique=False)

    # The account lockout is gone: an account is never locked, whoever types its name.
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))

    with op.batch_alter_table('staff_sign_in_throttles', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_sign_in_throttles_last_attempt_at')

    op.drop_table('staff_sign_in_throttles')
