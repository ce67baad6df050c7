"""Held mail and counted webhook attempts: email_messages.held_at (written while SMTP was not
configured, sent once it is; rows kept with the old reason are marked held), and on
webhook_deliveries the attempt in flight (attempt_started_at) and how many attempts got no
answer because the worker stopped mid-request (interrupted_attempts)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 09:00:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# What mail.service wrote on a message kept without SMTP before held_at existed: those messages'
# jobs had finished, so nothing would have sent them. Marking them held lets the release send them.
_OLD_KEPT = 'SMTP not configured; kept in the outbox'
_HELD = 'Held: SMTP is not configured; sent once it is'


def upgrade() -> None:
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_at', sparkcodes.kit.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_email_messages_held_at'), ['held_at'], unique=False)
    op.execute(sa.text(
        "UPDATE email_messages SET held_at = created_at, last_error = :held "
        "WHERE sent_at IS NULL AND last_error = :kept").bindparams(held=_HELD, kept=_OLD_KEPT))
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt_started_at',
                                      sparkcodes.kit.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('interrupted_attempts', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_column('interrupted_attempts')
        batch_op.drop_column('attempt_started_at')
    op.execute(sa.text(
        "UPDATE email_messages SET last_error = :kept WHERE sent_at IS NULL AND held_at IS NOT "
        "NULL").bindparams(kept=_OLD_KEPT))
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_messages_held_at'))
        batch_op.drop_column('held_at')
