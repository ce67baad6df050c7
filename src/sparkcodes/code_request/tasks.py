from __future__ import annotations

from datetime import timedelta

from sparkcodes.code_request import service
from sparkcodes.kit.clock import utc_now
from sparkcodes.worker.service import SCHEDULES, Schedule, handler


@handler("code_request.expire_sweep")
def expire_sweep(ctx, payload) -> None:  # type: ignore[no-untyped-def]
    """Queue one notice per code request that lapsed unanswered (status itself is derived)."""
    with ctx.db.unit_of_work() as session:
        service.expire_sweep(session, now=utc_now())


@handler(service.NOTIFY_EXPIRED)
def notify_expired(ctx, payload) -> None:  # type: ignore[no-untyped-def]
    """Tell the brand its code request expired; once per request."""
    with ctx.db.unit_of_work() as session:
        service.notify_expired(session, request_id=payload["code_request_id"], now=utc_now())


SCHEDULES.append(Schedule("code_request.expire_sweep", timedelta(minutes=1)))
