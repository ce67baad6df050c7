from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from sparkcodes import errors
from sparkcodes.ad import repository as ad_repository
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.deps import SessionDep, UserDep
from sparkcodes.engagement import repository as engagement_repository
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Ad, AdGroup, Campaign, EngagementDaily
from sparkcodes.post import service as post_service
from sparkcodes.report import rules

router = APIRouter(prefix="/v1", tags=["reports"])

Level = Literal["ad", "ad_group", "campaign", "ad_account", "post"]
MAX_DAYS = 366


class ReportRow(BaseModel):
    stat_time_day: date | None = None
    source: Literal["paid", "organic", "all"] = "paid"
    metrics: dict[str, Any]


class ReportOut(BaseModel):
    level: str
    id: str
    start_date: date
    end_date: date
    granularity: str
    rows: list[ReportRow]
    total: dict[str, Any]
    paid: dict[str, Any] | None = None
    organic: dict[str, Any] | None = None


def _filters(session, user, level: str, obj_id: str) -> list:  # type: ignore[no-untyped-def]
    """The rollup filter for the object, once the user is known to be allowed to read it."""
    if level == "post":
        post_service.get_owned(session, user=user, post_id=obj_id)
        return [EngagementDaily.post_id == obj_id]
    if level == "ad_account":
        ad_account_service.access(session, user=user, ad_account_id=obj_id, action="read")
        return [EngagementDaily.ad_account_id == obj_id]
    model = {"ad": Ad, "ad_group": AdGroup, "campaign": Campaign}[level]
    obj = ad_repository.get(session, model, obj_id)
    noun = level.replace("_", " ")
    if obj is None:
        raise errors.NotFound(f"No such {noun}.")
    try:
        ad_account_service.access(session, user=user, ad_account_id=obj.ad_account_id,
                                  action="read")
    except errors.NotFound:
        raise errors.NotFound(f"No such {noun}.") from None
    column = {"ad": EngagementDaily.ad_key, "ad_group": EngagementDaily.ad_group_id,
              "campaign": EngagementDaily.campaign_id}[level]
    return [column == obj_id]


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
    end = end_date or utc_now().date()
    try:
        start = start_date or end - timedelta(days=6)
    except OverflowError:
        raise errors.InvalidInput("end_date is too early.", code="invalid_date_range") from None
    if start > end:
        raise errors.InvalidInput("start_date is after end_date.", code="invalid_date_range")
    if (end - start).days + 1 > MAX_DAYS:
        raise errors.InvalidInput(f"A report spans at most {MAX_DAYS} days.",
                                  code="invalid_date_range")
    filters = _filters(session, user, level, id)
    by_day = granularity == "day"
    out = ReportOut(level=level, id=id, start_date=start, end_date=end, granularity=granularity,
                    rows=[], total={})
    if level == "post":
        rows = engagement_repository.sums(session, filters=filters, start=start, end=end,
                                          by_day=by_day, group_by_source=True)
        for row in rows:
            if row.get("organic") is None:
                continue
            out.rows.append(ReportRow(stat_time_day=row.get("day"),
                                      source="organic" if row["organic"] else "paid",
                                      metrics=rules.metrics(row)))
        totals = engagement_repository.sums(session, filters=filters, start=start, end=end,
                                            by_day=False, group_by_source=True)
        split = {bool(r["organic"]): r for r in totals if r.get("organic") is not None}
        out.paid = rules.metrics(split.get(False, {}))
        out.organic = rules.metrics(split.get(True, {}))
        all_rows = engagement_repository.sums(session, filters=filters, start=start, end=end,
                                              by_day=False)
        out.total = rules.metrics(all_rows[0] if all_rows else {})
        return out
    rows = engagement_repository.sums(session, filters=[*filters, EngagementDaily.ad_key != ""],
                                      start=start, end=end, by_day=by_day)
    if by_day:
        out.rows = [ReportRow(stat_time_day=r["day"], metrics=rules.metrics(r)) for r in rows]
    total = engagement_repository.sums(session, filters=[*filters, EngagementDaily.ad_key != ""],
                                       start=start, end=end, by_day=False)
    out.total = rules.metrics(total[0] if total else {})
    if not by_day:
        out.rows = [ReportRow(metrics=out.total)]
    return out
