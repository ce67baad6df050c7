"""Queries for creator transparency: paid engagement from the rollups, and misuse reports."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sparkcodes.models import EngagementDaily, MisuseReport
from sparkcodes.transparency.rules import PAID_METRICS


def paid_totals(session: Session, *, post_id: str,
                ad_ids: list[str] | None) -> dict[str, int | None]:
    """Paid engagement on the post, all time: by the given ads, or by every ad when None."""
    if ad_ids is not None and not ad_ids:
        return {}
    cols = [func.sum(getattr(EngagementDaily, m)).label(m) for m in PAID_METRICS]
    stmt = select(*cols).where(EngagementDaily.post_id == post_id, EngagementDaily.ad_key != "")
    if ad_ids is not None:
        stmt = stmt.where(EngagementDaily.ad_key.in_(ad_ids))
    row = session.execute(stmt).one()
    return dict(row._mapping)


def add_report(session: Session, report: MisuseReport) -> None:
    session.add(report)
    session.flush()


def reports_of(session: Session, authorization_id: str) -> list[MisuseReport]:
    return list(session.scalars(select(MisuseReport)
                                .where(MisuseReport.authorization_id == authorization_id)
                                .order_by(MisuseReport.created_at, MisuseReport.id)))
