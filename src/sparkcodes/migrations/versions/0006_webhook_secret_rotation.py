"""Webhook endpoints: the previous signing secret keeps signing for an overlap window after a
rotation (previous_secret, previous_secret_expires_at)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:40:12.305118
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_secret', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('previous_secret_expires_at',
                                      sparkcodes.kit.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('previous_secret_expires_at')
        batch_op.drop_column('previous_secret')
