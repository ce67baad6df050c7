"""Creators who are not on sparkcodes (docs/connector.md, step 5): a roster entry keeps the
creator's e-mail, and creator_links holds the single-use, expiring links e-mailed to them for a
code or a renewal (only a keyed hash of each link's token).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 23:40:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, no batch: SQLite can do both in place (3.35+).
    op.add_column('roster_entries', sa.Column('email', sa.String(length=254), nullable=True))
    op.create_table(
        'creator_links',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('business_id', sa.String(length=32), nullable=False),
        sa.Column('roster_entry_id', sa.String(length=32), nullable=True),
        sa.Column('creator_id', sa.String(length=32), nullable=False),
        sa.Column('ad_account_id', sa.String(length=32), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('post_url', sa.String(length=300), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('fee_micros', sa.BigInteger(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('spark_post_id', sa.String(length=32), nullable=True),
        sa.Column('end_before', sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_by_id', sa.String(length=32), nullable=False),
        sa.Column('created_at', sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('answered_at', sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('result_spark_post_id', sa.String(length=32), nullable=True),
        sa.Column('end_after', sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('busy_until', sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_refusal', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['ad_account_id'], ['ad_accounts.id'],
                                name=op.f('fk_creator_links_ad_account_id_ad_accounts')),
        sa.ForeignKeyConstraint(['business_id'], ['businesses.id'],
                                name=op.f('fk_creator_links_business_id_businesses')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_creator_links_created_by_id_users')),
        sa.ForeignKeyConstraint(['creator_id'], ['creators.id'],
                                name=op.f('fk_creator_links_creator_id_creators')),
        sa.ForeignKeyConstraint(['result_spark_post_id'], ['spark_posts.id'],
                                name=op.f('fk_creator_links_result_spark_post_id_spark_posts')),
        sa.ForeignKeyConstraint(['roster_entry_id'], ['roster_entries.id'], ondelete='SET NULL',
                                name=op.f('fk_creator_links_roster_entry_id_roster_entries')),
        sa.ForeignKeyConstraint(['spark_post_id'], ['spark_posts.id'],
                                name=op.f('fk_creator_links_spark_post_id_spark_posts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_creator_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_creator_links_token_hash')),
    )
    for column in ('business_id', 'roster_entry_id', 'creator_id', 'ad_account_id',
                   'spark_post_id'):
        op.create_index(op.f(f'ix_creator_links_{column}'), 'creator_links', [column])


def downgrade() -> None:
    op.drop_table('creator_links')
    op.drop_column('roster_entries', 'email')
