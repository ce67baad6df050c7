"""Engagement events and rollups: idempotent inserts and atomic increments on both databases."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sparkcodes.models import METRICS, EngagementDaily, EngagementEvent, Post, new_id


def _insert(session: Session, model):  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect.name
    return (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model))


def insert_event(session: Session, values: dict[str, Any]) -> bool:
    """Insert unless (post_id, event_id) exists; True if this call stored it (a retry does not)."""
    stmt = _insert(session, EngagementEvent).values(id=new_id(), **values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["post_id", "event_id"])
    # RETURNING, not rowcount: psycopg reports -1 for ON CONFLICT DO NOTHING.
    return session.execute(stmt.returning(EngagementEvent.id)).first() is not None


def add_to_rollup(session: Session, *, key: dict[str, Any], deltas: dict[str, int]) -> None:
    """Add counts to one (post, source, day) row, creating it if needed; concurrent adds all count."""
    stmt = _insert(session, EngagementDaily).values(id=new_id(), **key, **deltas)
    stmt = stmt.on_conflict_do_update(
        index_elements=["post_id", "ad_key", "day"],
        set_={name: getattr(EngagementDaily, name) + stmt.excluded[name] for name in deltas},
    )
    session.execute(stmt)


def add_to_post(session: Session, post_id: str, deltas: dict[str, int]) -> None:
    """Counters on the post itself (views, likes, comments, shares) count paid and organic alike."""
    values = {name: getattr(Post, name) + n for name, n in deltas.items() if n}
    if values:
        session.execute(update(Post).where(Post.id == post_id).values(values)
                        .execution_options(synchronize_session=False))


def sums(session: Session, *, filters: list, start: date, end: date, by_day: bool,  # type: ignore[type-arg]
         group_by_source: bool = False) -> list[dict[str, Any]]:
    """Summed rollups between two days inclusive, optionally per day and per paid/organic."""
    cols = [func.sum(getattr(EngagementDaily, m)).label(m) for m in (*METRICS, "spend_micros")]
    keys = []
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
