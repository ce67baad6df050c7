"""The queries every kind of request shares: its ladder as SQL, the conditional write that answers
it once and only while it is open, paging, and what the expiry sweep reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from sparkcodes.kit.sql import among, rowcount
from sparkcodes.models import Post
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
    noticed_at: InstrumentedAttribute[datetime | None]  # the brand was told it lapsed (marker)
    target_type: str  # of its audit rows
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


def of_ad_accounts(session: Session, t: Table[M, *Ts], ad_account_ids: Sequence[str], *,
                   step: Step | None, now: datetime, limit: int, offset: int,
                   where: Sequence[ColumnElement[bool]] = ()) -> list[tuple[*Ts]]:
    """Requests any of these ad accounts sent (and meeting ``where``, conditions on the kind's
    listing), newest first: one statement for all the accounts of a business, however many it
    has."""
    return _page(session, t, t.listing().where(among(session, t.ad_account_id, ad_account_ids),
                                               *where), step, now, limit, offset)


def notice_where(*, agreed_at: SQLColumnExpression[datetime | None],
                 declined_at: SQLColumnExpression[datetime | None],
                 withdrawn_at: SQLColumnExpression[datetime | None],
                 noticed_at: SQLColumnExpression[datetime | None],
                 deadline: SQLColumnExpression[datetime], ttl: timedelta,
                 now: datetime) -> tuple[ColumnElement[bool], ...]:
    """rules.awaits_notice as SQL: unanswered, not noticed, lapsed (however long ago). On a
    request table, the first four terms are the WHERE of its ix_*_notice_due index."""
    return (agreed_at.is_(None), declined_at.is_(None), withdrawn_at.is_(None),
            noticed_at.is_(None), deadline <= now - ttl)


def awaiting_notice(t: Table[M, *Ts], now: datetime) -> tuple[ColumnElement[bool], ...]:
    return notice_where(agreed_at=t.agreed_at, declined_at=t.declined_at,
                        withdrawn_at=t.withdrawn_at, noticed_at=t.noticed_at,
                        deadline=t.deadline, ttl=t.ttl, now=now)


def expired_unnoticed(session: Session, t: Table[M, *Ts], *, now: datetime) -> list[str]:
    """The ids of unanswered requests that lapsed, however long ago, and whose brand was not told
    yet, earliest first. It reads the partial index of those only: a pass costs what is due."""
    return list(session.scalars(
        select(t.id).where(*awaiting_notice(t, now)).order_by(t.deadline, t.id)))


def mark_noticed(session: Session, t: Table[M, *Ts], request_id: str, now: datetime) -> bool:
    """Mark the request noticed if it still awaits its notice; False if it was answered meanwhile
    or another run marked it first (zero rows: on PostgreSQL a concurrent run waits for the row
    and then finds it marked), so the brand is told once."""
    result = session.execute(
        update(t.model).where(t.id == request_id, *awaiting_notice(t, now))
        .values({t.noticed_at: now}).execution_options(synchronize_session=False))
    return rowcount(result) == 1
