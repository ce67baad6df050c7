from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes.kit.clock import utc_now
from sparkcodes.mail import rules, service
from sparkcodes.worker import service as jobs
from sparkcodes.worker.service import SCHEDULES, JobContext, Retry, Schedule, gives_up, handler


@handler(service.SEND_JOB)
def send(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send one outbox e-mail over SMTP; a failure is recorded, and the job comes back on the
    retry schedule (mail.rules) until its attempts are spent, when the message is given up.

    Without an SMTP host the message is held (with the reason) and the job ends: the release
    below queues it again once a worker runs with SMTP.
    """
    email_id = payload["email_id"]
    mail = ctx.settings.mail
    with ctx.db.unit_of_work() as session:
        outgoing = service.pending(session, email_id=email_id, mail=mail, now=utc_now(),
                                   site=ctx.settings.public_url,
                                   secret_key=ctx.settings.secret_key)
    if outgoing is None:
        return
    try:
        service.send(outgoing, mail=mail)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        with ctx.db.unit_of_work() as session:
            service.record_failure(session, email_id=email_id, error=error)
        raise Retry(rules.wait_after(ctx.job.attempts), error) from exc
    with ctx.db.unit_of_work() as session:
        service.mark_sent(session, email_id=email_id, now=utc_now())


@gives_up(service.SEND_JOB)
def give_up(ctx: JobContext, payload: dict[str, Any], why: str) -> None:
    """Its attempts are spent: the message reads failed in the outbox, with why, not waiting."""
    with ctx.db.unit_of_work() as session:
        service.give_up(session, email_id=payload["email_id"], why=why, now=utc_now())


def _queue_sends(session: Session, requeued: list[tuple[str, str]]) -> list[str]:
    """A send job, with attempts of its own, for each (email id, dedupe key) made to wait
    again, queued in this transaction; the ids."""
    jobs.enqueue_many(session, service.SEND_JOB,
                      [({"email_id": email_id}, dedupe_key) for email_id, dedupe_key in requeued],
                      max_attempts=service.SEND_MAX_ATTEMPTS)
    return [email_id for email_id, _ in requeued]


def queue_retries(session: Session, ids: list[str] | None) -> list[str]:
    """Send failed messages again (those of ``ids``, or every one): each waits again, with a
    send job of its own attempts, queued in this transaction. The ids queued."""
    return _queue_sends(session, service.retry_failed(session, ids=ids))


def queue_held(session: Session) -> int:
    """Queue one send for each held message, in the transaction that releases it; how many."""
    return len(_queue_sends(session, service.release_held(session)))


@handler(service.RELEASE_JOB)
def release_held(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Mail held while SMTP was not configured goes out once it is: queue a send for each held
    message (each once, however many workers run this). A worker without SMTP leaves them held."""
    if not ctx.settings.mail.host:
        return
    with ctx.db.unit_of_work() as session:
        queue_held(session)


# Every minute, and when a worker starts: a worker started with SMTP sends what waited.
SCHEDULES.append(Schedule(service.RELEASE_JOB, timedelta(minutes=1), on_start=True))
