from __future__ import annotations

from datetime import timedelta

from sparkcodes.fallback import service
from sparkcodes.kit.clock import utc_now
from sparkcodes.worker.service import SCHEDULES, Schedule, handler


@handler("fallback.sweep")
def sweep(ctx, payload) -> None:  # type: ignore[no-untyped-def]
    """Queue the fallback of every delivering ad whose code is about to lapse (R27)."""
    with ctx.db.unit_of_work() as session:
        service.sweep(session, settings=ctx.settings, now=utc_now())


@handler(service.APPLY)
def apply(ctx, payload) -> None:  # type: ignore[no-untyped-def]
    """Notify, pause or swap one ad for one window end, if still due; once."""
    with ctx.db.unit_of_work() as session:
        service.apply(session, settings=ctx.settings, ad_id=payload["ad_id"],
                      window_end=payload["window_end"], now=utc_now())


SCHEDULES.append(Schedule("fallback.sweep", timedelta(minutes=1)))
