"""Report queries that group the paid daily rollups by the object they belong to (ad, ad group,
campaign or ad account), with its TikTok id, paged and ordered in SQL; and the objects behind a
page of such rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Float, Label, SQLColumnExpression, cast, func, select
from sqlalchemy.orm import Session

from sparkcodes.models import METRICS, Ad, AdAccount, AdGroup, Campaign, EngagementDaily, Post
from sparkcodes.report import rules

GroupTable = type[Ad] | type[AdGroup] | type[Campaign] | type[AdAccount]
# The tables by_ids reads.
Row = TypeVar("Row", Ad, AdGroup, Campaign, AdAccount, Post)

# A report level -> the rollup column naming the object, and the object's table.
GROUPS: dict[str, tuple[SQLColumnExpression[str | None], GroupTable]] = {
    "ad": (EngagementDaily.ad_key, Ad),
    "ad_group": (EngagementDaily.ad_group_id, AdGroup),
    "campaign": (EngagementDaily.campaign_id, Campaign),
    "ad_account": (EngagementDaily.ad_account_id, AdAccount),
}
_LIFECYCLE: dict[str, type[Ad] | type[AdGroup] | type[Campaign]] = {
    "ad": Ad, "ad_group": AdGroup, "campaign": Campaign}


def _sum(name: str) -> ColumnElement[Any]:
    return func.sum(getattr(EngagementDaily, name))


def _ratio(numerator: ColumnElement[Any], denominator: ColumnElement[Any]) -> ColumnElement[Any]:
    """numerator / denominator, 0 where the denominator is 0 (as rules.metrics)."""
    return func.coalesce(cast(numerator, Float) / func.nullif(cast(denominator, Float), 0), 0.0)


def _engagements() -> ColumnElement[Any]:
    total = _sum(rules.ENGAGEMENTS[0])
    for name in rules.ENGAGEMENTS[1:]:
        total = total + _sum(name)
    return total


def order_expression(metric: str) -> ColumnElement[Any] | None:
    """The SQL value a summed row is ordered by for one of rules.metrics' names (or
    "engagements"); the same arithmetic as rules.metrics, before rounding. None if the name is
    not one."""
    if metric in rules.COUNTERS:
        return _sum(metric)
    expressions: dict[str, Callable[[], ColumnElement[Any]]] = {
        "engaged_view_15s": lambda: _sum("video_watched_15s"),
        "spend": lambda: _sum("spend_micros"),
        "engagements": _engagements,
        "cpm": lambda: _ratio(_sum("spend_micros"), _sum("impressions")),
        "cpc": lambda: _ratio(_sum("spend_micros"), _sum("clicks")),
        "ctr": lambda: _ratio(_sum("clicks"), _sum("impressions")),
        "completion_rate": lambda: _ratio(_sum("video_views_p100"), _sum("impressions")),
        "engagement_rate": lambda: _ratio(_engagements(), _sum("impressions")),
        "profile_visits_rate": lambda: _ratio(_sum("profile_visits"), _sum("impressions")),
    }
    expression = expressions.get(metric)
    return expression() if expression is not None else None


def _filters(*, ad_account_ids: list[str], start: date | None, end: date | None,
             ad_ids: list[str] | None, ad_group_ids: list[str] | None,
             campaign_ids: list[str] | None,
             deleted: dict[str, bool] | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [EngagementDaily.ad_account_id.in_(ad_account_ids),
                                        EngagementDaily.ad_key != ""]
    if start is not None:
        where.append(EngagementDaily.day >= start)
    if end is not None:
        where.append(EngagementDaily.day <= end)
    for column, ids in ((EngagementDaily.ad_key, ad_ids),
                        (EngagementDaily.ad_group_id, ad_group_ids),
                        (EngagementDaily.campaign_id, campaign_ids)):
        if ids is not None:
            where.append(column.in_(ids))
    for level, only_deleted in (deleted or {}).items():
        model = _LIFECYCLE[level]
        state = model.deleted_at.is_not(None) if only_deleted else model.deleted_at.is_(None)
        where.append(GROUPS[level][0].in_(
            select(model.id).where(model.ad_account_id.in_(ad_account_ids), state)))
    return where


def _summed() -> list[Label[Any]]:
    return [_sum(m).label(m) for m in (*METRICS, "spend_micros")]


def grouped_sums(session: Session, *, ad_account_ids: list[str], group: str | None,
                 by_day: bool, start: date | None, end: date | None,
                 ad_ids: list[str] | None = None, ad_group_ids: list[str] | None = None,
                 campaign_ids: list[str] | None = None, deleted: dict[str, bool] | None = None,
                 order: str | None = None, descending: bool = True, limit: int,
                 offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of paid rollups summed per object of ``group`` (with its ``key`` and
    ``tiktok_id``) and/or per ``day``, days inclusive (None: unbounded); only groups that have
    rows. Ordered by ``order`` (order_expression) then day and TikTok id; and how many groups
    there are in all. ``deleted`` keeps, per level, only deleted (True) or live (False)
    objects."""
    where = _filters(ad_account_ids=ad_account_ids, start=start, end=end, ad_ids=ad_ids,
                     ad_group_ids=ad_group_ids, campaign_ids=campaign_ids, deleted=deleted)
    keys: list[Label[Any]] = []
    ties: list[SQLColumnExpression[Any]] = []
    stmt = select().select_from(EngagementDaily)
    if by_day:
        keys.append(EngagementDaily.day.label("day"))
        ties.append(EngagementDaily.day)
    if group is not None:
        column, model = GROUPS[group]
        stmt = stmt.join(model, model.id == column)
        keys += [column.label("key"), model.tiktok_id.label("tiktok_id")]
        ties += [model.tiktok_id, column]
    stmt = stmt.add_columns(*keys, *_summed()).where(*where).group_by(*keys)
    ordering: list[ColumnElement[Any]] = []
    if order is not None:
        expression = order_expression(order)
        assert expression is not None, order  # service.integrated accepts ORDERABLE names only
        ordering.append(expression.desc() if descending else expression.asc())
    rows = [dict(row._mapping) for row in session.execute(
        stmt.order_by(*ordering, *ties).limit(limit).offset(offset))]
    if len(rows) < limit and (rows or offset == 0):
        return rows, offset + len(rows)  # the last page: no need to count
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return rows, total


def total_sums(session: Session, *, ad_account_ids: list[str], start: date | None,
               end: date | None, ad_ids: list[str] | None = None,
               ad_group_ids: list[str] | None = None, campaign_ids: list[str] | None = None,
               deleted: dict[str, bool] | None = None) -> dict[str, Any]:
    """The same rollups as grouped_sums, summed over every group at once."""
    where = _filters(ad_account_ids=ad_account_ids, start=start, end=end, ad_ids=ad_ids,
                     ad_group_ids=ad_group_ids, campaign_ids=campaign_ids, deleted=deleted)
    row = session.execute(select(*_summed()).where(*where)).one()
    return dict(row._mapping)


def by_ids(session: Session, model: type[Row], ids: Iterable[str | None]) -> dict[str, Row]:
    """Rows of one table by id, in one query."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}

