from __future__ import annotations

from typing import Any

from sparkcodes.kit import metrics
from sparkcodes.kit.clock import utc_now
from sparkcodes.webhook import rules, service
from sparkcodes.worker.service import JobContext, Retry, handler, is_last_run


@handler("webhook.deliver")
def deliver(ctx: JobContext, payload: dict[str, Any]) -> None:
    """POST one signed message to one endpoint; on failure, come back on the retry schedule.

    Two short transactions around the HTTP call, so no database lock is held while waiting on a
    receiver. A worker killed in between re-sends the same webhook-id: receivers de-duplicate.
    The job ends only once its delivery is settled: while another worker's attempt is in flight
    (a lease taken over) it comes back, since that worker's own retry or finish may be a stale
    one that changes nothing.
    """
    with ctx.db.unit_of_work() as session:
        attempt = service.prepare(session, settings=ctx.settings,
                                  delivery_id=payload["delivery_id"], now=utc_now())
    if isinstance(attempt, service.Later):
        _come_back(ctx, payload["delivery_id"], attempt)
        return
    if attempt is None:
        return
    status, error = service.post(
        attempt, timeout=ctx.settings.webhooks.timeout_seconds,
        allow_private_addresses=ctx.settings.webhooks.allow_private_addresses)
    with ctx.db.unit_of_work() as session:
        later = service.record_outcome(session, attempt=attempt, status=status, error=error,
                                       settings=ctx.settings, now=utc_now())
    metrics.count_webhook_delivery("delivered" if rules.is_success(status) else "failed")
    if later is not None:
        _come_back(ctx, attempt.delivery_id, later)


def _come_back(ctx: JobContext, delivery_id: str, later: service.Later) -> None:
    """Run the job again after ``later.wait``; on its last run (the worker would bury it) give
    the delivery up instead, so that it reads failed, with why, and not pending with no job."""
    if not is_last_run(ctx.job):
        raise Retry(later.wait, f"delivery {delivery_id}: {later.why}")
    runs = ctx.job.attempts
    with ctx.db.unit_of_work() as session:
        service.give_up(session, delivery_id=delivery_id, now=utc_now(),
                        why=f"Given up after {runs} run{'s' if runs != 1 else ''} of its "
                            f"delivery job (the last: {later.why}).")
