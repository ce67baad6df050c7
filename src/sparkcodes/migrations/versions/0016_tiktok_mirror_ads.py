"""The TikTok mirror, step 3 (docs/connector.md): ``source``, ``external_id`` and
``connection_id`` on campaigns, ad_groups and ads, unique on (source, connection_id,
external_id) as in 0011; a mirrored campaign, ad group or ad has no creator in sparkcodes, so
``created_by_id`` becomes nullable

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# Parents first on the way up; children first on the way down.
MIRRORED = ('campaigns', 'ad_groups', 'ads')


def upgrade() -> None:
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
            batch_op.alter_column('created_by_id', existing_type=sa.String(length=32),
                                  nullable=True)


def downgrade() -> None:
    # Mirrored rows cannot live in the native-only schema: their engagement rollups and the
    # rows themselves go first, children before parents.
    op.execute("DELETE FROM engagement_daily WHERE ad_key IN "
               "(SELECT id FROM ads WHERE source <> 'native')")
    for table in reversed(MIRRORED):
        op.execute(f"DELETE FROM {table} WHERE source <> 'native'")
    for table in reversed(MIRRORED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('created_by_id', existing_type=sa.String(length=32),
                                  nullable=False)
            batch_op.drop_index(f'uq_{table}_source_connection_id_external_id')
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_connection_id_tiktok_connections'),
                                     type_='foreignkey')
            batch_op.drop_column('connection_id')
            batch_op.drop_column('external_id')
            batch_op.drop_column('source')
