"""TikTok ids: every object the /open_api/v1.3 surface names (advertiser, campaign, ad group, ad,
identity, item) gets a stable 19-digit numeric id, unique per table

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:00:00
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TABLES = ('ad_accounts', 'campaigns', 'ad_groups', 'ads', 'creators', 'posts')
_MIN, _MAX = 10**18, 2**63 - 1


def _new_id() -> int:  # the same shape as models.base.new_tiktok_id, frozen here
    return _MIN + secrets.randbelow(_MAX - _MIN + 1)


def upgrade() -> None:
    conn = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('tiktok_id', sa.BigInteger(), nullable=True))
        rows = sa.table(table, sa.column('id', sa.String), sa.column('tiktok_id', sa.BigInteger))
        ids = [r[0] for r in conn.execute(sa.select(rows.c.id))]
        taken: set[int] = set()
        for row_id in ids:
            value = _new_id()
            while value in taken:
                value = _new_id()
            taken.add(value)
            conn.execute(rows.update().where(rows.c.id == row_id).values(tiktok_id=value))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('tiktok_id', existing_type=sa.BigInteger(), nullable=False)
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_tiktok_id'), ['tiktok_id'])


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_tiktok_id'), type_='unique')
            batch_op.drop_column('tiktok_id')
