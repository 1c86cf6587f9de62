"""following organisations by e-mail: sign-ups, subscribers, subscriptions and their outbox

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('follow_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_requests_created_at'), ['created_at'], unique=False)

    op.create_table('follow_subscribers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('digest_cursor', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email'),
    sqlite_autoincrement=True
    )
    op.create_table('follow_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('since_change_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['follow_subscribers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscriber_id', 'uscc', name='uq_follow_subscriptions_subscriber_uscc')
    )
    with op.batch_alter_table('follow_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_subscriptions_subscriber_id'), ['subscriber_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_subscriptions_uscc'), ['uscc'], unique=False)

    op.create_table('follow_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['subscriber_id'], ['follow_subscribers.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['follow_subscriptions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('follow_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_messages_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_messages_sent_at'), ['sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_messages_subscriber_id'), ['subscriber_id'], unique=False)


def downgrade():
    with op.batch_alter_table('follow_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_messages_subscriber_id'))
        batch_op.drop_index(batch_op.f('ix_follow_messages_sent_at'))
        batch_op.drop_index(batch_op.f('ix_follow_messages_next_attempt_at'))
    op.drop_table('follow_messages')
    with op.batch_alter_table('follow_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_subscriptions_uscc'))
        batch_op.drop_index(batch_op.f('ix_follow_subscriptions_subscriber_id'))
    op.drop_table('follow_subscriptions')
    op.drop_table('follow_subscribers')
    with op.batch_alter_table('follow_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_requests_created_at'))
    op.drop_table('follow_requests')
