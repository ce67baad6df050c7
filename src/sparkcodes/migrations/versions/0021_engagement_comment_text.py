"""R30: a comment event keeps the comment's text and its VADER compound score, so the
pre-promotion review can read the post's comment sentiment. Both nullable: events stored before,
and events of other types, have neither. A partial index finds a post's scored comments.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 20:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, no batch: SQLite can do both in place (3.35+).
    op.add_column('engagement_events', sa.Column('comment_text', sa.String(length=500), nullable=True))
    op.add_column('engagement_events', sa.Column('sentiment', sa.Float(), nullable=True))
    # Partial: only scored comments are indexed, so the hot insert path of other events pays
    # nothing for it.
    op.create_index('ix_engagement_events_post_scored', 'engagement_events', ['post_id'],
                    sqlite_where=sa.text('sentiment IS NOT NULL'),
                    postgresql_where=sa.text('sentiment IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_engagement_events_post_scored', table_name='engagement_events')
    op.drop_column('engagement_events', 'sentiment')
    op.drop_column('engagement_events', 'comment_text')
