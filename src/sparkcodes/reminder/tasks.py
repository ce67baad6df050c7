from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes.kit.clock import utc_now
from sparkcodes.reminder import service
from sparkcodes.worker import service as jobs
from sparkcodes.worker.service import SCHEDULES, JobContext, Schedule, gives_up, handler


@handler("reminder.sweep")
def sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Record the T−72 h, T−24 h and expiry reminders that are due (each exactly once) and queue
    their telling."""
    with ctx.db.unit_of_work() as session:
        service.sweep(session, settings=ctx.settings, now=utc_now())


@handler(service.TELL)
def tell(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send one recorded reminder to the brand and the creator, once."""
    with ctx.db.unit_of_work() as session:
        service.tell(session, authorization_id=payload["authorization_id"],
                     kind=payload["kind"], window_end=datetime.fromisoformat(payload["window_end"]),
                     now=utc_now())


@gives_up(service.TELL)
def give_up(ctx: JobContext, payload: dict[str, Any], why: str) -> None:
    """Its attempts are spent: the reminder reads failed, with why, not recorded-but-untold."""
    with ctx.db.unit_of_work() as session:
        service.give_up(session, authorization_id=payload["authorization_id"],
                        kind=payload["kind"],
                        window_end=datetime.fromisoformat(payload["window_end"]),
                        runs=ctx.job.attempts, why=why, now=utc_now())


def queue_retries(session: Session, ids: list[str] | None) -> list[str]:
    """Tell failed reminders again (those of ``ids``, or every one): each gets a tell job of its
    own attempts, queued in this transaction. The reminder ids queued."""
    retried = service.retry_failed(session, ids=ids)
    jobs.enqueue_many(session, service.TELL,
                      [(payload, dedupe_key) for _, payload, dedupe_key in retried],
                      max_attempts=service.TELL_MAX_ATTEMPTS)
    return [reminder_id for reminder_id, _, _ in retried]


SCHEDULES.append(Schedule("reminder.sweep", timedelta(minutes=1)))
