"""Mail given up: email_messages.failed_at. A message whose send job was buried (its attempts
spent) stayed in the outbox as "waiting", with nothing left to send it; the job now gives it up
first, so it reads failed, with why, until an operator sends it again (`sparkcodes mail retry`).

Messages already in that state (unsent, not held, a buried send job and none still queued) are
marked failed here, at the time their job was buried, saying so. A downgrade drops the column:
those messages read as waiting again.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 21:00:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

# A send job of the message: queued when it was written, or again when it was released (held).
_ITS_SEND_JOBS = ("SELECT {what} FROM jobs WHERE jobs.name = 'email.send' AND {when} AND "
                  "(jobs.dedupe_key = 'email.send:' || email_messages.id OR "
                  "jobs.dedupe_key LIKE 'email.send:' || email_messages.id || ':%')")


def upgrade() -> None:
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sparkcodes.kit.types.UTCDateTime(timezone=True),
                                      nullable=True))
    dead = "jobs.dead_at IS NOT NULL"
    queued = "jobs.finished_at IS NULL AND jobs.dead_at IS NULL"
    op.execute(
        "UPDATE email_messages SET "
        f"failed_at = ({_ITS_SEND_JOBS.format(what='max(jobs.dead_at)', when=dead)}), "
        "last_error = 'Given up after ' || attempts || "
        "CASE WHEN attempts = 1 THEN ' attempt' ELSE ' attempts' END || ' (the last: ' || "
        "coalesce(last_error, 'no error recorded') || ').' "
        "WHERE sent_at IS NULL AND held_at IS NULL "
        f"AND EXISTS ({_ITS_SEND_JOBS.format(what='1', when=dead)}) "
        f"AND NOT EXISTS ({_ITS_SEND_JOBS.format(what='1', when=queued)})")


def downgrade() -> None:
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.drop_column('failed_at')
