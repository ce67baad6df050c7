"""The capacity check reads a counter instead of counting: ad_accounts.active_spark_posts, the
ad account's live (not unbound) Spark posts, kept by the statements that bind and unbind them.
Backfilled from spark_posts.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, no batch: SQLite can do both in place (3.35+).
    op.add_column('ad_accounts', sa.Column('active_spark_posts', sa.Integer(), nullable=False,
                                           server_default=sa.text('0')))
    op.execute(sa.text(
        "UPDATE ad_accounts SET active_spark_posts = (SELECT count(*) FROM spark_posts s "
        "WHERE s.ad_account_id = ad_accounts.id AND s.unbound_at IS NULL)"))


def downgrade() -> None:
    op.drop_column('ad_accounts', 'active_spark_posts')
