"""Spark posts by the code they run on as the original's, through a partial index: almost every
Spark post has no original code, so the full index held a NULL for each of them, and SQLite's
statistics rated it useless; every look-up of a code's ads (a reminder's tell job) then scanned
spark_posts, a cost that grew with what is held rather than with what is asked.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 03:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

_WHERE = "original_authorization_id IS NOT NULL"


def upgrade() -> None:
    # Both index changes are plain CREATE / DROP INDEX: no table is rebuilt, no row moves.
    op.create_index('ix_spark_posts_original_authorization', 'spark_posts',
                    ['original_authorization_id'],
                    sqlite_where=sa.text(_WHERE), postgresql_where=sa.text(_WHERE))
    op.drop_index('ix_spark_posts_original_authorization_id', table_name='spark_posts')


def downgrade() -> None:
    op.create_index('ix_spark_posts_original_authorization_id', 'spark_posts',
                    ['original_authorization_id'])
    op.drop_index('ix_spark_posts_original_authorization', table_name='spark_posts')
