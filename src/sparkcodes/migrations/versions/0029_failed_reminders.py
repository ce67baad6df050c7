"""Reminders given up: reminders.failed_at and last_error. A reminder whose tell job was buried
(its attempts spent, by a bug or an outage) stayed recorded but untold, and nothing said so; the
job now gives it up first, so it reads failed, with why, until an operator tells it again
(`sparkcodes reminders retry`). A partial index keeps the listing of failed ones to those few.

Reminders buried before this are not marked: their jobs name the window end as text, which does
not compare with the column alike on SQLite and PostgreSQL. A downgrade drops the columns: failed
reminders read as recorded and untold again, as before.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 00:00:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sparkcodes.kit.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
    op.create_index('ix_reminders_failed', 'reminders', ['failed_at'],
                    sqlite_where=sa.text("failed_at IS NOT NULL"),
                    postgresql_where=sa.text("failed_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_index('ix_reminders_failed', table_name='reminders')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_column('last_error')
        batch_op.drop_column('failed_at')
