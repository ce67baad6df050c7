"""Brute-force limits counted in the database when Redis is not configured
(rate_limit_counters); tokens say whether they are a page session, and when one was last used
(the idle expiry)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 02:00:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rate_limit_counters',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('resets_at', sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters')),
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='api',
                                      nullable=False))
        batch_op.add_column(sa.Column('last_used_at',
                                      sparkcodes.kit.types.UTCDateTime(timezone=True),
                                      nullable=True))
    # Page sessions were the tokens the log-in page issued under this name.
    op.execute("UPDATE api_tokens SET kind = 'session' WHERE name = 'web session' "
               "AND developer_app_id IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('kind')
    op.drop_table('rate_limit_counters')
