from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Query

from sparkcodes.deps import SessionDep, UserDep
from sparkcodes.report import service
from sparkcodes.report.service import MAX_DAYS, Level, ReportOut, ReportRow

router = APIRouter(prefix="/v1", tags=["reports"])

__all__ = ["MAX_DAYS", "Level", "ReportOut", "ReportRow", "report", "router"]


@router.get("/reports", response_model=ReportOut)
def report(
    user: UserDep, session: SessionDep,
    level: Level = Query(description="What the id names"),
    id: str = Query(max_length=32),
    start_date: date | None = Query(None, description="First day (default: 6 days before end)"),
    end_date: date | None = Query(None, description="Last day, inclusive (default: today, UTC)"),
    granularity: Literal["day", "total"] = Query("day"),
) -> ReportOut:
    """Engagement and spend with TikTok's metric names, per day or in total, from rollups.

    Ad, ad group, campaign and ad account reports count paid engagement; a post report (for the
    post's creator) splits paid and organic. Days are in the ad account's time zone (organic
    engagement: UTC)."""
    return service.report(session, user=user, level=level, obj_id=id, start=start_date,
                          end=end_date, granularity=granularity)
