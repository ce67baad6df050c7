from __future__ import annotations

from typing import Any

from sparkcodes.kit import metrics
from sparkcodes.kit.clock import utc_now
from sparkcodes.webhook import rules, service
from sparkcodes.worker.service import JobContext, Retry, gives_up, handler


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
        raise Retry(attempt.wait, attempt.why)  # still owed: come back then
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
        raise Retry(later.wait, later.why)


@gives_up("webhook.deliver")
def give_up(ctx: JobContext, payload: dict[str, Any], why: str) -> None:
    """The job's runs are spent (kills and come-backs): the delivery reads failed, with why,
    not pending with no job to send it."""
    runs = ctx.job.attempts
    with ctx.db.unit_of_work() as session:
        service.give_up(session, delivery_id=payload["delivery_id"], now=utc_now(),
                        why=f"Given up after {runs} run{'s' if runs != 1 else ''} of its "
                            f"delivery job (the last: {why}).")
