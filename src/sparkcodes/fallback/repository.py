"""Every query on fallback policies, and the look-ups of the fallback sweep."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    SQLColumnExpression,
    Table,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sparkcodes.kit.sql import among
from sparkcodes.models import Ad, AuditEvent, FallbackPolicy, SparkPost, new_id

APPLIED_ACTION = "ad.fallback_applied"


def get(session: Session, ad_group_id: str) -> FallbackPolicy | None:
    return session.scalar(select(FallbackPolicy).where(FallbackPolicy.ad_group_id == ad_group_id)
                          .execution_options(populate_existing=True))


def of_groups(session: Session, ad_group_ids: set[str]) -> dict[str, FallbackPolicy]:
    if not ad_group_ids:
        return {}
    rows = session.scalars(select(FallbackPolicy)
                           .where(among(session, FallbackPolicy.ad_group_id, ad_group_ids)))
    return {p.ad_group_id: p for p in rows}


def upsert(session: Session, *, ad_group_id: str, action: str, hours_before: int,
           backup_ad_id: str | None, user_id: str, now: datetime) -> None:
    """One policy per ad group (unique key): a second writer updates instead of inserting."""
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    values = {"action": action, "hours_before": hours_before, "backup_ad_id": backup_ad_id,
              "updated_by_id": user_id, "updated_at": now}
    stmt = insert(FallbackPolicy).values(id=new_id(), ad_group_id=ad_group_id, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["ad_group_id"], set_=values))


def max_hours(session: Session) -> int | None:
    return session.scalar(select(func.max(FallbackPolicy.hours_before)))


def awaiting(*, window_end: SQLColumnExpression[datetime | None],
             queued_end: SQLColumnExpression[datetime | None], now: datetime,
             horizon: datetime) -> list[ColumnElement[bool]]:
    """rules.awaiting as SQL, given ``horizon`` = now + the largest hours_before."""
    return [window_end > now, window_end <= horizon, queued_end.is_distinct_from(window_end)]


def candidates(session: Session, *, now: datetime, horizon: datetime) -> list[Ad]:
    """Enabled code-bound ads on a live Spark post whose window (the earlier end of its code and
    original-post code, kept on spark_posts) ends by the horizon, not queued for that end yet.
    It reads ix_spark_posts_live_window_end by end: a pass costs the ads ending soon."""
    return list(session.scalars(
        select(Ad).join(SparkPost, SparkPost.id == Ad.spark_post_id)
        .where(SparkPost.unbound_at.is_(None), Ad.deleted_at.is_(None), Ad.disabled_at.is_(None),
               Ad.identity_type == "AUTH_CODE",
               *awaiting(window_end=SparkPost.window_end_at, queued_end=Ad.fallback_end,
                         now=now, horizon=horizon))
        .order_by(Ad.id)))


def mark_queued(session: Session, queued: dict[str, datetime]) -> None:
    """Mark each ad's fallback queued for its window end: later passes no longer read it.

    One statement compiled once whatever the number of ads: on PostgreSQL an UPDATE from the
    ids and ends as two arrays (unnest), elsewhere an UPDATE run once per ad (executemany). A
    CASE built into the statement cost two bound parameters per ad to compile and, on
    PostgreSQL, to parse again in the driver on every pass."""
    if not queued:
        return
    table = cast(Table, Ad.__table__)
    end_type = table.c.fallback_end.type
    if session.get_bind().dialect.name == "postgresql":
        marks = func.unnest(bindparam("ad_ids", list(queued), type_=ARRAY(table.c.id.type)),
                            bindparam("queued_ends", list(queued.values()),
                                      type_=ARRAY(end_type))
                            ).table_valued("ad_id", "queued_end").render_derived("marks")
        session.execute(update(table).where(table.c.id == marks.c.ad_id)
                        .values(fallback_end=marks.c.queued_end))
        return
    stmt = (update(table).where(table.c.id == bindparam("ad_id"))
            .values(fallback_end=bindparam("queued_end", type_=end_type)))
    session.execute(stmt, [{"ad_id": ad_id, "queued_end": end} for ad_id, end in queued.items()])


def codes_of_ads(session: Session, ad_ids: list[str]) -> dict[str, set[str]]:
    """The codes each ad runs on (its Spark post's code and original-post code)."""
    if not ad_ids:
        return {}
    rows = session.execute(
        select(Ad.id, SparkPost.authorization_id, SparkPost.original_authorization_id)
        .join(SparkPost, SparkPost.id == Ad.spark_post_id).where(Ad.id.in_(ad_ids))).all()
    out: dict[str, set[str]] = {ad_id: set() for ad_id in ad_ids}
    for ad_id, code, original in rows:
        out[ad_id] |= {c for c in (code, original) if c}
    return out


def applied_windows(session: Session, ad_id: str) -> set[str]:
    """The window ends (ISO 8601) for which a fallback was already applied to this ad."""
    rows = session.scalars(select(AuditEvent.details).where(
        AuditEvent.target_type == "ad", AuditEvent.target_id == ad_id,
        AuditEvent.action == APPLIED_ACTION))
    return {str((d or {}).get("after", {}).get("window_end")) for d in rows}
