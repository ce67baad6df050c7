from __future__ import annotations

from typing import Any

from sparkcodes.kit import metrics
from sparkcodes.kit.clock import utc_now
from sparkcodes.webhook import rules, service
from sparkcodes.worker.service import JobContext, Retry, handler


@handler("webhook.deliver")
def deliver(ctx: JobContext, payload: dict[str, Any]) -> None:
    """POST one signed message to one endpoint; on failure, come back on the retry schedule.

    Two short transactions around the HTTP call, so no database lock is held while waiting on a
    receiver. A worker killed in between re-sends the same webhook-id: receivers de-duplicate.
    """
    with ctx.db.unit_of_work() as session:
        attempt = service.prepare(session, settings=ctx.settings,
                                  delivery_id=payload["delivery_id"], now=utc_now())
    if attempt is None:
        return
    status, error = service.post(
        attempt, timeout=ctx.settings.webhooks.timeout_seconds,
        allow_private_addresses=ctx.settings.webhooks.allow_private_addresses)
    with ctx.db.unit_of_work() as session:
        wait = service.record_outcome(session, attempt=attempt, status=status, error=error,
                                      settings=ctx.settings, now=utc_now())
    metrics.count_webhook_delivery("delivered" if rules.is_success(status) else "failed")
    if wait is not None:
        raise Retry(wait, f"delivery {attempt.delivery_id} failed ({error}); "
                          f"next attempt in {wait}")
