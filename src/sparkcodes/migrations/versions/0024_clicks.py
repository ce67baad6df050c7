"""Clicks on an ad's call to action (TikTok's destination ``clicks``), so reports and the ad
pages show clicks, CTR and CPC: engagement_daily.clicks, zero for the days before it was kept.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 02:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, no batch: SQLite can do both in place (3.35+).
    op.add_column('engagement_daily', sa.Column('clicks', sa.BigInteger(), nullable=False,
                                                server_default=sa.text('0')))


def downgrade() -> None:
    op.drop_column('engagement_daily', 'clicks')
