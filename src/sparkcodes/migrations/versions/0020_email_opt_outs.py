"""email_opt_outs: the alert kinds each user chose not to receive by e-mail (the in-app
notification still appears). No rows means every kind is e-mailed, as before.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 20:00:00
"""
import sqlalchemy as sa
from alembic import op

import sparkcodes.kit.types

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'email_opt_outs',
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('event_type', sa.String(length=60), nullable=False),
        sa.Column('created_at', sparkcodes.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_email_opt_outs_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'event_type', name=op.f('pk_email_opt_outs')),
    )


def downgrade() -> None:
    op.drop_table('email_opt_outs')
