"""The two jobs every kind of request runs alike: a sweep each minute that queues expiry notices,
and the job that sends one (status itself is derived: neither changes it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, TypeVarTuple

from sparkcodes.kit.clock import utc_now
from sparkcodes.request_flow.repository import Request
from sparkcodes.request_flow.service import Flow
from sparkcodes.worker.service import SCHEDULES, JobContext, Schedule, handler

M = TypeVar("M", bound=Request)
Ts = TypeVarTuple("Ts")


def schedule_expiry_notices(sweep_job: str, flow: Flow[M, *Ts], *,
                            sweep: Callable[..., int],
                            notify: Callable[..., bool]) -> None:
    """Register ``sweep_job`` (every minute) and ``flow.notify_job`` for one kind of request."""

    @handler(sweep_job)
    def expire_sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
        """Queue one notice per request that lapsed unanswered."""
        with ctx.db.unit_of_work() as session:
            sweep(session, now=utc_now())

    @handler(flow.notify_job)
    def notify_expired(ctx: JobContext, payload: dict[str, Any]) -> None:
        """Tell the brand its request expired unanswered; once per request."""
        with ctx.db.unit_of_work() as session:
            notify(session, request_id=payload[flow.payload_key], now=utc_now())

    SCHEDULES.append(Schedule(sweep_job, timedelta(minutes=1)))
