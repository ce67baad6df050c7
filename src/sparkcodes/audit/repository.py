from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparkcodes.models import AuditEvent


def add(session: Session, event: AuditEvent) -> None:
    session.add(event)


def for_target(session: Session, target_type: str, target_id: str, *, limit: int,
               offset: int) -> Sequence[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.target_type == target_type, AuditEvent.target_id == target_id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
        .limit(limit)
        .offset(offset)
    )
    return session.scalars(stmt).all()


def for_scope(session: Session, *, creator_id: str | None = None, business_id: str | None = None,
              limit: int, offset: int) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent)
    if creator_id is not None:
        stmt = stmt.where(AuditEvent.creator_id == creator_id)
    if business_id is not None:
        stmt = stmt.where(AuditEvent.business_id == business_id)
    stmt = stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id).limit(limit).offset(offset)
    return session.scalars(stmt).all()
