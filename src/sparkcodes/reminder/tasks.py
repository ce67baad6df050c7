from __future__ import annotations

from datetime import timedelta
from typing import Any

from sparkcodes.kit.clock import utc_now
from sparkcodes.reminder import service
from sparkcodes.worker.service import SCHEDULES, JobContext, Schedule, handler


@handler("reminder.sweep")
def sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send the T−72 h, T−24 h and expiry reminders that are due (each exactly once)."""
    with ctx.db.unit_of_work() as session:
        service.sweep(session, settings=ctx.settings, now=utc_now())


SCHEDULES.append(Schedule("reminder.sweep", timedelta(minutes=1)))
