"""The TikTok mirror (docs/connector.md, step 2): ``source``, ``external_id`` and
``connection_id`` on ad_accounts, creators, posts, authorizations and spark_posts, unique on
(source, connection_id, external_id); what a mirrored row has no value for becomes nullable
(a creator's owner, a code's hash and issuer, a Spark post's binder); a creator's handle is unique
among native creators only; and ``tiktok_sync_runs``, each sync's checkpointed progress

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-22 09:00:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

MIRRORED = ('ad_accounts', 'creators', 'posts', 'authorizations', 'spark_posts')
NATIVE = "source = 'native'"

# Migration 0009's triggers, frozen here: on SQLite a batch that rebuilds spark_posts or
# authorizations drops the triggers on them, so they are created again after the batches.
_WINDOW_END = """(SELECT CASE WHEN e.o IS NULL OR e.c <= e.o THEN e.c ELSE e.o END FROM (SELECT
    (SELECT a.expires_at FROM authorizations a WHERE a.id = {row}.authorization_id) AS c,
    (SELECT a.expires_at FROM authorizations a WHERE a.id = {row}.original_authorization_id) AS o
  ) e)"""
_BUSINESS = "(SELECT b.business_id FROM ad_accounts b WHERE b.id = {row}.ad_account_id)"
_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER trg_spark_posts_derived_insert AFTER INSERT ON spark_posts
    BEGIN
      UPDATE spark_posts SET business_id = {_BUSINESS.format(row='spark_posts')},
        window_end_at = {_WINDOW_END.format(row='spark_posts')}
      WHERE id = NEW.id;
    END""",
    f"""CREATE TRIGGER trg_spark_posts_derived_update
    AFTER UPDATE OF ad_account_id, authorization_id, original_authorization_id ON spark_posts
    BEGIN
      UPDATE spark_posts SET business_id = {_BUSINESS.format(row='spark_posts')},
        window_end_at = {_WINDOW_END.format(row='spark_posts')}
      WHERE id = NEW.id;
    END""",
    f"""CREATE TRIGGER trg_authorizations_window AFTER UPDATE OF expires_at ON authorizations
    BEGIN
      UPDATE spark_posts SET window_end_at = {_WINDOW_END.format(row='spark_posts')}
      WHERE authorization_id = NEW.id OR original_authorization_id = NEW.id;
    END""",
]
_SQLITE_DROP = ["DROP TRIGGER IF EXISTS trg_authorizations_window",
                "DROP TRIGGER IF EXISTS trg_spark_posts_derived_update",
                "DROP TRIGGER IF EXISTS trg_spark_posts_derived_insert"]


def _when(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=nullable)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def upgrade() -> None:
    if _sqlite():
        for statement in _SQLITE_DROP:
            op.execute(statement)
    for table in MIRRORED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('source', sa.String(length=10), nullable=False,
                                          server_default='native'))
            batch_op.add_column(sa.Column('external_id', sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column('connection_id', sa.String(length=32), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_connection_id_tiktok_connections'),
                'tiktok_connections', ['connection_id'], ['id'])
            batch_op.create_index(f'uq_{table}_source_connection_id_external_id',
                                  ['source', 'connection_id', 'external_id'], unique=True)
            if table == 'creators':
                batch_op.alter_column('owner_id', existing_type=sa.String(length=32),
                                      nullable=True)
                batch_op.drop_constraint('uq_creators_handle_key', type_='unique')
            if table == 'authorizations':
                batch_op.alter_column('code_hash', existing_type=sa.String(length=64),
                                      nullable=True)
                batch_op.alter_column('created_by_id', existing_type=sa.String(length=32),
                                      nullable=True)
            if table == 'spark_posts':
                batch_op.alter_column('bound_by_id', existing_type=sa.String(length=32),
                                      nullable=True)
    with op.batch_alter_table('creators', schema=None) as batch_op:
        batch_op.create_index('uq_creators_handle_key', ['handle_key'], unique=True,
                              sqlite_where=sa.text(NATIVE), postgresql_where=sa.text(NATIVE))
    if _sqlite():
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)

    op.create_table(
        'tiktok_sync_runs',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('connection_id', sa.String(length=32), nullable=False),
        sa.Column('advertiser_id', sa.String(length=32), nullable=False),
        sa.Column('trigger', sa.String(length=20), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('cursor', sa.JSON(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('calls', sa.Integer(), nullable=False),
        sa.Column('holder', sa.String(length=200), nullable=True),
        _when('held_until', True),
        _when('started_at', False),
        _when('finished_at', True),
        sa.Column('error_code', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['connection_id'], ['tiktok_connections.id'],
                                name=op.f('fk_tiktok_sync_runs_connection_id_tiktok_connections')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tiktok_sync_runs')),
    )
    with op.batch_alter_table('tiktok_sync_runs', schema=None) as batch_op:
        batch_op.create_index('ix_tiktok_sync_runs_connection_id_advertiser_id_started_at',
                              ['connection_id', 'advertiser_id', 'started_at'], unique=False)
        batch_op.create_index('uq_tiktok_sync_runs_open', ['connection_id', 'advertiser_id'],
                              unique=True, sqlite_where=sa.text('finished_at IS NULL'),
                              postgresql_where=sa.text('finished_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('tiktok_sync_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_tiktok_sync_runs_open', sqlite_where=sa.text('finished_at IS NULL'),
                            postgresql_where=sa.text('finished_at IS NULL'))
        batch_op.drop_index('ix_tiktok_sync_runs_connection_id_advertiser_id_started_at')
    op.drop_table('tiktok_sync_runs')
    # Mirrored rows cannot live in the native-only schema: they go first, children before
    # parents.
    for table in reversed(MIRRORED):
        op.execute(f"DELETE FROM {table} WHERE source <> 'native'")
    if _sqlite():
        for statement in _SQLITE_DROP:
            op.execute(statement)
    with op.batch_alter_table('creators', schema=None) as batch_op:
        batch_op.drop_index('uq_creators_handle_key', sqlite_where=sa.text(NATIVE),
                            postgresql_where=sa.text(NATIVE))
    for table in reversed(MIRRORED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == 'creators':
                batch_op.create_unique_constraint('uq_creators_handle_key', ['handle_key'])
                batch_op.alter_column('owner_id', existing_type=sa.String(length=32),
                                      nullable=False)
            if table == 'authorizations':
                batch_op.alter_column('code_hash', existing_type=sa.String(length=64),
                                      nullable=False)
                batch_op.alter_column('created_by_id', existing_type=sa.String(length=32),
                                      nullable=False)
            if table == 'spark_posts':
                batch_op.alter_column('bound_by_id', existing_type=sa.String(length=32),
                                      nullable=False)
            batch_op.drop_index(f'uq_{table}_source_connection_id_external_id')
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_connection_id_tiktok_connections'),
                                     type_='foreignkey')
            batch_op.drop_column('connection_id')
            batch_op.drop_column('external_id')
            batch_op.drop_column('source')
    if _sqlite():
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
