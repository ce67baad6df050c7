"""TikTok connections: a business's links to TikTok's Business API (base URL, how linked, the
sealed access token and app secret, the app flow's one-time state, the check's outcome and the
broken state last alerted) and the advertisers each one reaches

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-20 09:00:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'tiktok_connections',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('business_id', sa.String(length=32), nullable=False),
        sa.Column('base_url', sa.String(length=2000), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('app_id', sa.String(length=40), nullable=True),
        sa.Column('app_secret_sealed', sa.Text(), nullable=True),
        sa.Column('access_token_sealed', sa.Text(), nullable=True),
        sa.Column('authorize_state_hash', sa.String(length=64), nullable=True),
        _when('authorize_expires_at', True),
        _when('authorized_at', True),
        _when('checked_at', True),
        sa.Column('check_summary', sa.String(length=500), nullable=True),
        sa.Column('last_error_code', sa.Integer(), nullable=True),
        sa.Column('last_error_message', sa.String(length=500), nullable=True),
        _when('throttled_until', True),
        _when('token_revoked_at', True),
        sa.Column('alerted_state', sa.String(length=30), nullable=True),
        _when('created_at', False),
        sa.Column('created_by_id', sa.String(length=32), nullable=False),
        _when('deleted_at', True),
        sa.Column('deleted_by_id', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['business_id'], ['businesses.id'],
                                name=op.f('fk_tiktok_connections_business_id_businesses')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_tiktok_connections_created_by_id_users')),
        sa.ForeignKeyConstraint(['deleted_by_id'], ['users.id'],
                                name=op.f('fk_tiktok_connections_deleted_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tiktok_connections')),
        sa.UniqueConstraint('authorize_state_hash',
                            name=op.f('uq_tiktok_connections_authorize_state_hash')),
    )
    with op.batch_alter_table('tiktok_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tiktok_connections_business_id'), ['business_id'],
                              unique=False)

    op.create_table(
        'tiktok_advertisers',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('connection_id', sa.String(length=32), nullable=False),
        sa.Column('advertiser_id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        _when('created_at', False),
        _when('gone_at', True),
        sa.ForeignKeyConstraint(['connection_id'], ['tiktok_connections.id'],
                                name=op.f('fk_tiktok_advertisers_connection_id_tiktok_connections')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tiktok_advertisers')),
        sa.UniqueConstraint('connection_id', 'advertiser_id',
                            name=op.f('uq_tiktok_advertisers_connection_id_advertiser_id')),
    )
    with op.batch_alter_table('tiktok_advertisers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tiktok_advertisers_connection_id'),
                              ['connection_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tiktok_advertisers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tiktok_advertisers_connection_id'))
    op.drop_table('tiktok_advertisers')
    with op.batch_alter_table('tiktok_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tiktok_connections_business_id'))
    op.drop_table('tiktok_connections')
