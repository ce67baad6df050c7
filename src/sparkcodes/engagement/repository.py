"""Engagement events and rollups: idempotent inserts and atomic increments on both databases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypedDict

from sqlalchemy import ColumnElement, Label, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sparkcodes.kit.sql import among
from sparkcodes.models import METRICS, EngagementDaily, EngagementEvent, Post, SparkPost, new_id


class EventRow(TypedDict):
    """An engagement event as insert_events stores it (the id is added there)."""

    event_id: str
    post_id: str
    ad_id: str | None
    type: str
    occurred_at: datetime
    spend_micros: int
    comment_text: str | None
    sentiment: float | None


def _insert(session: Session, model: type[EngagementEvent] | type[EngagementDaily]
            ) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model))


def existing(session: Session, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (post_id, event_id) pairs are stored already."""
    if not keys:
        return set()
    posts = sorted({p for p, _ in keys})
    ids = sorted({e for _, e in keys})
    wanted = set(keys)
    rows = session.execute(select(EngagementEvent.post_id, EngagementEvent.event_id).where(
        EngagementEvent.post_id.in_(posts), EngagementEvent.event_id.in_(ids))).all()
    return {(r[0], r[1]) for r in rows} & wanted


def insert_events(session: Session, rows: Sequence[EventRow]) -> set[tuple[str, str]]:
    """Insert many events in one statement; returns the (post_id, event_id) pairs this statement
    stored (a pair a concurrent request stored first is skipped, not counted twice)."""
    if not rows:
        return set()
    stmt = (_insert(session, EngagementEvent)
            .on_conflict_do_nothing(index_elements=["post_id", "event_id"])
            .returning(EngagementEvent.post_id, EngagementEvent.event_id))
    result = session.execute(stmt, [{"id": new_id(), **r} for r in rows])
    return {(r[0], r[1]) for r in result}


_ROLLUP_COUNTS = (*METRICS, "spend_micros")


def add_to_rollups(session: Session, items: list[tuple[dict[str, Any], dict[str, int]]]) -> None:
    """Add counts to (post, source, day) rows, creating them as needed, in one statement executed
    for every row; concurrent additions all count (x = x + excluded.x)."""
    if not items:
        return
    stmt = _insert(session, EngagementDaily)
    stmt = stmt.on_conflict_do_update(
        index_elements=["post_id", "ad_key", "day"],
        set_={name: getattr(EngagementDaily, name) + stmt.excluded[name]
              for name in _ROLLUP_COUNTS},
    )
    rows = [{"id": new_id(), **key, **{name: deltas.get(name, 0) for name in _ROLLUP_COUNTS}}
            for key, deltas in items]
    session.execute(stmt, rows)


def add_to_post(session: Session, post_id: str, deltas: dict[str, int]) -> None:
    """Counters on the post itself (views, likes, comments, shares) count paid and organic alike."""
    values = {name: getattr(Post, name) + n for name, n in deltas.items() if n}
    if values:
        session.execute(update(Post).where(Post.id == post_id).values(values)
                        .execution_options(synchronize_session=False))


def sums(session: Session, *, filters: Sequence[ColumnElement[bool]], start: date, end: date,
         by_day: bool, group_by_source: bool = False) -> list[dict[str, Any]]:
    """Summed rollups between two days inclusive, optionally per day and per paid/organic."""
    cols = [func.sum(getattr(EngagementDaily, m)).label(m) for m in (*METRICS, "spend_micros")]
    keys: list[Label[Any]] = []
    if by_day:
        keys.append(EngagementDaily.day.label("day"))
    if group_by_source:
        keys.append((EngagementDaily.ad_key == "").label("organic"))
    stmt = (select(*keys, *cols)
            .where(*filters, EngagementDaily.day >= start, EngagementDaily.day <= end))
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    return [dict(row._mapping) for row in session.execute(stmt)]


def post_counters(session: Session, post_id: str) -> Post | None:
    return session.scalar(select(Post).where(Post.id == post_id))


CHUNK = 500  # ids per IN list: far below SQLite's and PostgreSQL's bound-parameter limits


def spend_by_ad_day(session: Session, ad_ids: Iterable[str],
                    days: Iterable[date]) -> dict[tuple[str, date], int]:
    """Spend (micros) per (ad, day in its account's time zone) from the daily rollups."""
    ids, wanted = sorted(set(ad_ids)), sorted(set(days))
    out: dict[tuple[str, date], int] = {}
    if not wanted:
        return out
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(EngagementDaily.ad_key, EngagementDaily.day,
                   func.sum(EngagementDaily.spend_micros))
            .where(among(session, EngagementDaily.ad_key, ids[start:start + CHUNK]),
                   EngagementDaily.day.in_(wanted))
            .group_by(EngagementDaily.ad_key, EngagementDaily.day)
        ).all()
        out.update({(r[0], r[1]): int(r[2] or 0) for r in rows})
    return out


def last_paid_days(session: Session, ad_ids: Iterable[str]) -> dict[str, date]:
    """The last day each ad had a paid impression counted (ads without one are left out)."""
    ids = sorted(set(ad_ids))
    out: dict[str, date] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(EngagementDaily.ad_key, func.max(EngagementDaily.day))
            .where(EngagementDaily.ad_key.in_(ids[start:start + CHUNK]),
                   EngagementDaily.impressions > 0)
            .group_by(EngagementDaily.ad_key)).all()
        out.update({r[0]: r[1] for r in rows if r[1] is not None})
    return out


# --- reports: paid vs organic ------------------------------------------------------------------

def _summed() -> list[Label[Any]]:
    return [func.sum(getattr(EngagementDaily, m)).label(m) for m in (*METRICS, "spend_micros")]


def organic_sums_of_spark_posts(session: Session, *, ad_account_id: str, start: date, end: date,
                                by_day: bool) -> list[dict[str, Any]]:
    """Organic rollups (UTC days) of the posts the ad account holds a bound Spark post for."""
    held = select(SparkPost.post_id).where(SparkPost.ad_account_id == ad_account_id,
                                           SparkPost.unbound_at.is_(None))
    return sums(session, filters=[EngagementDaily.ad_key == "", EngagementDaily.post_id.in_(held)],
                start=start, end=end, by_day=by_day)


def paid_sums_by_ad(session: Session, *, ad_account_id: str, start: date,
                    end: date) -> dict[str, dict[str, Any]]:
    """Summed paid rollups of each ad of the ad account between two days inclusive, by ad id."""
    stmt = (select(EngagementDaily.ad_key.label("ad_key"), *_summed())
            .where(EngagementDaily.ad_account_id == ad_account_id, EngagementDaily.ad_key != "",
                   EngagementDaily.day >= start, EngagementDaily.day <= end)
            .group_by(EngagementDaily.ad_key))
    return {row.ad_key: dict(row._mapping) for row in session.execute(stmt)}


def creator_sums(session: Session, *, creator_id: str, start: date, end: date, by_day: bool,
                 by_post: bool) -> list[dict[str, Any]]:
    """Summed rollups of all of a creator's posts, per paid/organic ("organic" key) and
    optionally per day and per post."""
    keys: list[Label[Any]] = []
    if by_day:
        keys.append(EngagementDaily.day.label("day"))
    if by_post:
        keys.append(EngagementDaily.post_id.label("post_id"))
    keys.append((EngagementDaily.ad_key == "").label("organic"))
    posts = select(Post.id).where(Post.creator_id == creator_id)
    stmt = (select(*keys, *_summed())
            .where(EngagementDaily.post_id.in_(posts), EngagementDaily.day >= start,
                   EngagementDaily.day <= end)
            .group_by(*keys).order_by(*keys))
    return [dict(row._mapping) for row in session.execute(stmt)]
