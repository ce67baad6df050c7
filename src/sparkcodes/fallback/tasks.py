from __future__ import annotations

from datetime import timedelta
from typing import Any

from sparkcodes.connector.actions import TikTokActions
from sparkcodes.fallback import service
from sparkcodes.kit.clock import utc_now
from sparkcodes.worker.service import SCHEDULES, JobContext, Schedule, handler


@handler("fallback.sweep")
def sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Queue the fallback of every delivering ad whose code is about to lapse (R27)."""
    with ctx.db.unit_of_work() as session:
        service.sweep(session, settings=ctx.settings, now=utc_now())


@handler(service.APPLY)
def apply(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Notify, pause or swap one ad for one window end, if still due; once. A mirrored ad is
    paused (its backup enabled) on TikTok, then its advertiser synced."""
    with ctx.db.unit_of_work() as session:
        service.apply(session, settings=ctx.settings, ad_id=payload["ad_id"],
                      window_end=payload["window_end"], now=utc_now(),
                      actions=TikTokActions(ctx.db))


SCHEDULES.append(Schedule("fallback.sweep", timedelta(minutes=1)))
