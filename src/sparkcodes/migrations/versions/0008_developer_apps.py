"""Developer apps: apps (app_id, hashed secret, redirect URL), the grants users give them over
ad accounts (with a one-time, hashed auth_code), and api_tokens.developer_app_id/app_grant_id
for the tokens apps exchange those codes for

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:00:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'developer_apps',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('app_id', sa.BigInteger(), nullable=False),
        sa.Column('owner_id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('secret_hint', sa.String(length=8), nullable=False),
        sa.Column('redirect_url', sa.String(length=2000), nullable=False),
        _when('created_at', False),
        _when('secret_rotated_at', True),
        _when('deleted_at', True),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'],
                                name=op.f('fk_developer_apps_owner_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_developer_apps')),
        sa.UniqueConstraint('app_id', name=op.f('uq_developer_apps_app_id')),
    )
    with op.batch_alter_table('developer_apps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_developer_apps_owner_id'), ['owner_id'],
                              unique=False)

    op.create_table(
        'app_grants',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('developer_app_id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('auth_code_hash', sa.String(length=64), nullable=False),
        _when('auth_code_expires_at', False),
        _when('auth_code_used_at', True),
        _when('created_at', False),
        _when('revoked_at', True),
        sa.Column('revoked_by_id', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['developer_app_id'], ['developer_apps.id'],
                                name=op.f('fk_app_grants_developer_app_id_developer_apps')),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'],
                                name=op.f('fk_app_grants_revoked_by_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_app_grants_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_app_grants')),
        sa.UniqueConstraint('auth_code_hash', name=op.f('uq_app_grants_auth_code_hash')),
    )
    with op.batch_alter_table('app_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_grants_developer_app_id'), ['developer_app_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_app_grants_user_id'), ['user_id'], unique=False)

    op.create_table(
        'app_grant_ad_accounts',
        sa.Column('grant_id', sa.String(length=32), nullable=False),
        sa.Column('ad_account_id', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['ad_account_id'], ['ad_accounts.id'],
                                name=op.f('fk_app_grant_ad_accounts_ad_account_id_ad_accounts')),
        sa.ForeignKeyConstraint(['grant_id'], ['app_grants.id'],
                                name=op.f('fk_app_grant_ad_accounts_grant_id_app_grants')),
        sa.PrimaryKeyConstraint('grant_id', 'ad_account_id',
                                name=op.f('pk_app_grant_ad_accounts')),
    )
    with op.batch_alter_table('app_grant_ad_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_grant_ad_accounts_ad_account_id'),
                              ['ad_account_id'], unique=False)

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('developer_app_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('app_grant_id', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_tokens_developer_app_id'), ['developer_app_id'],
                              unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_api_tokens_app_grant_id'),
                                          ['app_grant_id'])
        batch_op.create_foreign_key(batch_op.f('fk_api_tokens_developer_app_id_developer_apps'),
                                    'developer_apps', ['developer_app_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_api_tokens_app_grant_id_app_grants'),
                                    'app_grants', ['app_grant_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_app_grant_id_app_grants'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_developer_app_id_developer_apps'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_api_tokens_app_grant_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_api_tokens_developer_app_id'))
        batch_op.drop_column('app_grant_id')
        batch_op.drop_column('developer_app_id')
    with op.batch_alter_table('app_grant_ad_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_grant_ad_accounts_ad_account_id'))
    op.drop_table('app_grant_ad_accounts')
    with op.batch_alter_table('app_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_grants_user_id'))
        batch_op.drop_index(batch_op.f('ix_app_grants_developer_app_id'))
    op.drop_table('app_grants')
    with op.batch_alter_table('developer_apps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_developer_apps_owner_id'))
    op.drop_table('developer_apps')
