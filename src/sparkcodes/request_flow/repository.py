"""The queries every kind of request shares: its ladder as SQL, the conditional write that answers
it once and only while it is open, paging, and what the expiry sweep reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement, Exists, Select, exists, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from sparkcodes.kit.sql import rowcount
from sparkcodes.models import AuditEvent, Post
from sparkcodes.request_flow.rules import Step


class Request(Protocol):
    """What the shared steps read of a request row itself: its id."""

    @property
    def id(self) -> str: ...


M = TypeVar("M", bound=Request)  # the request's model
Ts = TypeVarTuple("Ts")  # its listing row: the request, then what it concerns


@dataclass(frozen=True)
class Table(Generic[M, *Ts]):
    """Where one kind of request keeps its ladder. It expires ``ttl`` after ``deadline`` (a
    column), so that ``expires_at`` may be stored or derived from ``created_at``."""

    model: type[M]
    id: InstrumentedAttribute[str]
    ad_account_id: InstrumentedAttribute[str]  # the ad account that sent it
    created_at: InstrumentedAttribute[datetime]
    agreed_at: InstrumentedAttribute[datetime | None]
    declined_at: InstrumentedAttribute[datetime | None]
    withdrawn_at: InstrumentedAttribute[datetime | None]
    deadline: InstrumentedAttribute[datetime]
    target_type: str  # of its audit rows
    expired_action: str  # the audit action that marks the brand told of its expiry
    listing: Callable[[], Select[*Ts]]  # the request with what it concerns
    ttl: timedelta = timedelta(0)


def unanswered(t: Table[M, *Ts]) -> tuple[ColumnElement[bool], ...]:
    """Neither answered by the creator nor withdrawn by the brand (expired or not)."""
    return (t.agreed_at.is_(None), t.declined_at.is_(None), t.withdrawn_at.is_(None))


def open_at(t: Table[M, *Ts], now: datetime) -> tuple[ColumnElement[bool], ...]:
    """rules.step_at(...) is PENDING: deadline + ttl > now, i.e. deadline > now - ttl."""
    return (*unanswered(t), t.deadline > now - t.ttl)


def step_filter(t: Table[M, *Ts], step: Step,
                now: datetime) -> tuple[ColumnElement[bool], ...]:
    """rules.step_at as SQL (the answers are exclusive, so one column decides)."""
    if step is Step.PENDING:
        return open_at(t, now)
    if step is Step.EXPIRED:
        return (*unanswered(t), t.deadline <= now - t.ttl)
    column = {Step.AGREED: t.agreed_at, Step.DECLINED: t.declined_at,
              Step.WITHDRAWN: t.withdrawn_at}[step]
    return (column.is_not(None),)


def add(session: Session, request: Request) -> None:
    session.add(request)
    session.flush()


def refresh(session: Session, request: Request) -> None:
    session.refresh(request)


def answer(session: Session, t: Table[M, *Ts], request_id: str, now: datetime,
           **values: object) -> bool:
    """Set the answer on a pending, unexpired request; False if it was answered, withdrawn or
    expired first (zero rows: someone else won)."""
    result = session.execute(
        update(t.model).where(t.id == request_id, *open_at(t, now))
        .values(**values).execution_options(synchronize_session=False))
    return rowcount(result) == 1


def one(session: Session, t: Table[M, *Ts], request_id: str) -> tuple[*Ts] | None:
    # A Row is a tuple of the listing's types (SQLAlchemy 2.1): no copy needed to type it.
    return session.execute(t.listing().where(t.id == request_id)
                           .execution_options(populate_existing=True)).first()


def _page(session: Session, t: Table[M, *Ts], stmt: Select[*Ts],
          step: Step | None, now: datetime, limit: int, offset: int) -> list[tuple[*Ts]]:
    if step is not None:
        stmt = stmt.where(*step_filter(t, step, now))
    stmt = stmt.order_by(t.created_at.desc(), t.id).limit(limit).offset(offset)
    return list(session.execute(stmt).all())


def of_creator(session: Session, t: Table[M, *Ts], creator_id: str, *, step: Step | None,
               now: datetime, limit: int, offset: int) -> list[tuple[*Ts]]:
    """Requests about this creator account's posts, newest first."""
    return _page(session, t, t.listing().where(Post.creator_id == creator_id), step, now, limit,
                 offset)


def of_ad_account(session: Session, t: Table[M, *Ts], ad_account_id: str, *,
                  step: Step | None, now: datetime, limit: int,
                  offset: int) -> list[tuple[*Ts]]:
    """Requests this ad account sent, newest first."""
    return _page(session, t, t.listing().where(t.ad_account_id == ad_account_id), step,
                 now, limit, offset)


def lock(session: Session, t: Table[M, *Ts], request_id: str) -> None:
    """Serialize the expiry notice of one request on PostgreSQL (SQLite writers are serial
    already), so two runs of its job cannot both find it unnoticed."""
    session.execute(select(t.id).where(t.id == request_id).with_for_update())


def _noticed(t: Table[M, *Ts], request_id: InstrumentedAttribute[str] | str) -> Exists:
    """The audit row written with the expiry notice marks the request as noticed."""
    return exists().where(AuditEvent.target_type == t.target_type,
                          AuditEvent.target_id == request_id,
                          AuditEvent.action == t.expired_action)


def expired_unnoticed(session: Session, t: Table[M, *Ts], *, now: datetime,
                      since: datetime, limit: int = 500) -> list[M]:
    """Unanswered requests that lapsed after ``since`` and whose brand was not told yet."""
    return list(session.scalars(
        select(t.model).where(*unanswered(t), t.deadline <= now - t.ttl,
                              t.deadline > since - t.ttl, ~_noticed(t, t.id))
        .order_by(t.deadline, t.id).limit(limit)))


def expiry_noticed(session: Session, t: Table[M, *Ts], request_id: str) -> bool:
    return session.scalar(select(_noticed(t, request_id))) or False
