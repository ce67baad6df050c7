from __future__ import annotations

from datetime import timedelta

from sparkcodes.kit.clock import utc_now
from sparkcodes.renewal import service
from sparkcodes.worker.service import SCHEDULES, Schedule, handler


@handler("renewal_request.expire_sweep")
def expire_sweep(ctx, payload) -> None:  # type: ignore[no-untyped-def]
    """Queue one notice per renewal request that lapsed unanswered (status itself is derived)."""
    with ctx.db.unit_of_work() as session:
        service.expire_sweep(session, now=utc_now())


@handler(service.NOTIFY_EXPIRED)
def notify_expired(ctx, payload) -> None:  # type: ignore[no-untyped-def]
    """Tell the brand its renewal request expired unanswered; once per request."""
    with ctx.db.unit_of_work() as session:
        service.notify_expired(session, request_id=payload["renewal_request_id"], now=utc_now())


SCHEDULES.append(Schedule("renewal_request.expire_sweep", timedelta(minutes=1)))
