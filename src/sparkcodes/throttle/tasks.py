"""Housekeeping of the limiter's database store: ended windows are deleted every hour."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sparkcodes.throttle.service import Limiter
from sparkcodes.worker.service import SCHEDULES, JobContext, Schedule, handler

log = logging.getLogger("sparkcodes.throttle")

SWEEP = "throttle.sweep"


@handler(SWEEP)
def sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Delete ended windows (an ended window counts as zero already: this only frees space)."""
    limiter = Limiter(ctx.settings)
    try:
        deleted = limiter.sweep()
    finally:
        limiter.close()
    if deleted:
        log.info("limiter store: %d ended windows deleted", deleted)


SCHEDULES.append(Schedule(SWEEP, timedelta(hours=1)))
