"""Give each webhook delivery still owed a job again. Until now a delivery job could end while
its delivery was still open: a worker whose lease had run out kept delivering while another took
the job over, and the one holding the job finished it when its own step lost to the other. The
other's retry then changed nothing, and a failed or cut-off attempt left the delivery pending
with no job to send it (webhook.tasks.deliver now keeps the job until the delivery is settled).

Each such job is reopened and due at once: its next run makes the attempt (or, for a job already
past its runs, gives the delivery up as failed, saying why). Nothing else changes, and a
downgrade leaves the repaired jobs as they are.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 19:00:00
"""
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE jobs SET finished_at = NULL, dead_at = NULL, locked_by = NULL, "
        "locked_until = NULL "
        "WHERE name = 'webhook.deliver' "
        "AND (finished_at IS NOT NULL OR dead_at IS NOT NULL) "
        "AND dedupe_key IN (SELECT 'webhook.deliver:' || id FROM webhook_deliveries "
        "WHERE delivered_at IS NULL AND failed_at IS NULL)")


def downgrade() -> None:
    pass  # a data repair: the jobs it reopened stay as they are
