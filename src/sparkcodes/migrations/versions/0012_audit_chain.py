"""The audit chain: a link per audit row (its keyed hash over the row and the previous link's
hash), the chain head, the breaks already alerted, the existing rows chained in their current order, and triggers that
refuse UPDATE, DELETE and TRUNCATE of audit rows and links (docs/security.md)

Existing rows are chained under the secret key the upgrade is given (``sparkcodes db upgrade``
passes the configured one), oldest first (occurred_at, then id). On SQLite the triggers live in
the schema: a later batch-mode migration that rebuilds audit_events or audit_links must create
them again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 01:30:00
"""
import sqlalchemy as sa
from alembic import context, op

import sparkcodes.kit.types
from sparkcodes.kit import chain

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

GUARDED = ('audit_events', 'audit_links')
PG_FUNCTION = 'sparkcodes_append_only'


def _secret_key() -> str:
    key = context.config.attributes.get('secret_key')
    if key:
        return str(key)
    from sparkcodes.config import get_settings

    return get_settings().secret_key


def _chain_existing() -> None:
    events = sa.table(
        'audit_events',
        sa.column('id', sa.String(32)),
        sa.column('occurred_at', sparkcodes.kit.types.UTCDateTime(timezone=True)),
        sa.column('actor_id', sa.String(32)),
        sa.column('action', sa.String(60)),
        sa.column('target_type', sa.String(30)),
        sa.column('target_id', sa.String(32)),
        sa.column('creator_id', sa.String(32)),
        sa.column('business_id', sa.String(32)),
        sa.column('details', sa.JSON()),
        sa.column('request_id', sa.String(64)),
    )
    links = sa.table('audit_links', sa.column('seq', sa.BigInteger()),
                     sa.column('event_id', sa.String(32)), sa.column('prev_hash', sa.String(64)),
                     sa.column('hash', sa.String(64)), sa.column('key_id', sa.String(16)),
                     sa.column('business_id', sa.String(32)))
    head = sa.table('audit_chain', sa.column('id', sa.Integer()), sa.column('seq', sa.BigInteger()),
                    sa.column('hash', sa.String(64)))
    conn = op.get_bind()
    rows = conn.execute(sa.select(*[events.c[name] for name in chain.FIELDS])
                        .order_by(events.c.occurred_at, events.c.id)).mappings().all()
    prev, seq = chain.GENESIS, 0
    if rows:
        key = chain.derive(_secret_key())
        batch = []
        for row in rows:
            seq += 1
            digest = key.digest({name: row[name] for name in chain.FIELDS}, prev)
            batch.append({'seq': seq, 'event_id': row['id'], 'prev_hash': prev, 'hash': digest,
                          'key_id': key.key_id, 'business_id': row['business_id']})
            prev = digest
            if len(batch) == 1000:
                conn.execute(links.insert(), batch)
                batch = []
        if batch:
            conn.execute(links.insert(), batch)
    conn.execute(head.insert().values(id=1, seq=seq, hash=prev))


def _guard() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege',
                          HINT = 'audit rows are sealed in a hash chain (docs/security.md)';
            END $$""")
        for table in GUARDED:
            op.execute(f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
                       f'FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()')
            op.execute(f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} '
                       f'FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()')
        return
    for table in GUARDED:
        for verb in ('UPDATE', 'DELETE'):
            op.execute(f'CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} '
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END")


def _unguard() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in GUARDED:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON {table}')
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}')
        op.execute(f'DROP FUNCTION IF EXISTS {PG_FUNCTION}()')
        return
    for table in GUARDED:
        for verb in ('update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_{verb}')


def upgrade() -> None:
    op.create_table(
        'audit_links',
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('event_id', sa.String(length=32), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('business_id', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'],
                                name=op.f('fk_audit_links_event_id_audit_events')),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_links')),
        sa.UniqueConstraint('event_id', name=op.f('uq_audit_links_event_id')),
        sa.UniqueConstraint('hash', name=op.f('uq_audit_links_hash')),
    )
    op.create_table(
        'audit_chain',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain')),
    )
    op.create_table(
        'audit_alerts',
        sa.Column('break_key', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('message', sa.String(length=1000), nullable=False),
        sa.Column('detected_at', sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('break_key', name=op.f('pk_audit_alerts')),
    )
    _chain_existing()
    _guard()


def downgrade() -> None:
    _unguard()
    op.drop_table('audit_alerts')
    op.drop_table('audit_chain')
    op.drop_table('audit_links')
