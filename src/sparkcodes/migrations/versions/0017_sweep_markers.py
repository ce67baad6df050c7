"""Sweeps that cost what is due: a marker of what each sweep already told, and a partial index on
the due instant of what it has not told yet. authorizations.reminded_end (the window end whose
expiry alert is recorded) with ix_authorizations_reminder_due; code_requests and
renewal_requests.expiry_noticed_at with ix_*_notice_due; ads.fallback_end (the window end whose
fallback was queued) with ix_spark_posts_live_window_end. Backfilled from the reminders and audit
rows that marked the same facts before, so nothing already told is told again.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 10:00:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_REMINDER_DUE = {
    'sqlite': "ad_account_id IS NOT NULL AND deleted_at IS NULL AND reminded_end IS NOT expires_at",
    'postgresql': "ad_account_id IS NOT NULL AND deleted_at IS NULL "
                  "AND reminded_end IS DISTINCT FROM expires_at",
}
# table, its deadline column, its "agreed" column, the audit action that marked it noticed
_REQUESTS = [('code_requests', 'expires_at', 'accepted_at', 'code_request',
              'code_request.expired'),
             ('renewal_requests', 'created_at', 'approved_at', 'renewal_request',
              'renewal_request.expired')]


def _when() -> sparkcodes.kit.types.UTCDateTime:
    return sparkcodes.kit.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN, no batch: a SQLite batch may rebuild a table, which drops the triggers
    # migration 0009 keeps on authorizations and spark_posts.
    op.add_column('authorizations', sa.Column('reminded_end', _when(), nullable=True))
    op.execute(sa.text(
        "UPDATE authorizations SET reminded_end = expires_at WHERE EXISTS (SELECT 1 FROM "
        "reminders r WHERE r.authorization_id = authorizations.id AND r.kind = 'expired' "
        "AND r.window_end = authorizations.expires_at)"))
    op.create_index('ix_authorizations_reminder_due', 'authorizations', ['expires_at'],
                    sqlite_where=sa.text(_REMINDER_DUE['sqlite']),
                    postgresql_where=sa.text(_REMINDER_DUE['postgresql']))

    for table, deadline, agreed, target_type, action in _REQUESTS:
        op.add_column(table, sa.Column('expiry_noticed_at', _when(), nullable=True))
        op.execute(sa.text(
            f"UPDATE {table} SET expiry_noticed_at = (SELECT min(e.occurred_at) FROM "
            f"audit_events e WHERE e.target_type = :t AND e.target_id = {table}.id "
            "AND e.action = :a)").bindparams(t=target_type, a=action))
        where = (f"{agreed} IS NULL AND declined_at IS NULL AND cancelled_at IS NULL "
                 "AND expiry_noticed_at IS NULL")
        op.create_index(f'ix_{table}_notice_due', table, [deadline],
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))

    # No backfill: the first pass marks the ads whose fallback job was queued already (the job's
    # dedupe key keeps it once), reading only ads whose window ends within the horizon.
    op.add_column('ads', sa.Column('fallback_end', _when(), nullable=True))
    op.create_index('ix_spark_posts_live_window_end', 'spark_posts', ['window_end_at'],
                    sqlite_where=sa.text("unbound_at IS NULL"),
                    postgresql_where=sa.text("unbound_at IS NULL"))


def downgrade() -> None:
    op.drop_index('ix_spark_posts_live_window_end', table_name='spark_posts')
    op.drop_column('ads', 'fallback_end')
    for table, *_ in reversed(_REQUESTS):
        op.drop_index(f'ix_{table}_notice_due', table_name=table)
        op.drop_column(table, 'expiry_noticed_at')
    op.drop_index('ix_authorizations_reminder_due', table_name='authorizations')
    op.drop_column('authorizations', 'reminded_end')
