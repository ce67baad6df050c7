"""Every amount shown for an ad account is in its currency (TikTok's advertiser ``currency``):
ad_accounts.currency, ISO 4217, USD for accounts made before it was kept.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 23:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, no batch: SQLite can do both in place (3.35+).
    op.add_column('ad_accounts', sa.Column('currency', sa.String(length=3), nullable=False,
                                           server_default=sa.text("'USD'")))


def downgrade() -> None:
    op.drop_column('ad_accounts', 'currency')
