from __future__ import annotations

from typing import Any

from sparkcodes.kit.clock import utc_now
from sparkcodes.mail import service
from sparkcodes.worker.service import JobContext, handler


@handler("email.send")
def send(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send one outbox e-mail over SMTP; a failure is recorded and raised, so the runner retries.

    Without an SMTP host the message is kept unsent with the reason, and the job ends.
    """
    email_id = payload["email_id"]
    mail = ctx.settings.mail
    with ctx.db.unit_of_work() as session:
        outgoing = service.pending(session, email_id=email_id, mail=mail)
    if outgoing is None:
        return
    try:
        service.send(outgoing, mail=mail)
    except Exception as exc:
        with ctx.db.unit_of_work() as session:
            service.record_failure(session, email_id=email_id,
                                   error=f"{type(exc).__name__}: {exc}")
        raise
    with ctx.db.unit_of_work() as session:
        service.mark_sent(session, email_id=email_id, now=utc_now())
