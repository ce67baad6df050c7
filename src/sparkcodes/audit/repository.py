from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Row, Table, TextClause, bindparam, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sparkcodes.kit import chain
from sparkcodes.kit.sql import compiled_once
from sparkcodes.models import AuditAlert, AuditChainHead, AuditEvent, AuditLink


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


# --- the chain ----------------------------------------------------------------------------------

HEAD_ID = 1
# The appender's statements are plain table statements (no ORM bookkeeping): they run in every
# transaction that writes an audit row.
_EVENTS = cast(Table, AuditEvent.__table__)
_LINKS = cast(Table, AuditLink.__table__)
_HEAD = cast(Table, AuditChainHead.__table__)


def _event_columns() -> list[Any]:
    return [_EVENTS.c[name] for name in chain.FIELDS]


# Every audited write advances the head, then names its new last link: built once.
_ADVANCE = (_HEAD.update().where(_HEAD.c.id == HEAD_ID)
            .values(seq=_HEAD.c.seq + bindparam("count", type_=_HEAD.c.seq.type))
            .returning(_HEAD.c.seq, _HEAD.c.hash))
# The seq guard: only the transaction that moved the head to head_seq names its hash.
_NAME_LAST = (_HEAD.update()
              .where(_HEAD.c.id == HEAD_ID,
                     _HEAD.c.seq == bindparam("head_seq", type_=_HEAD.c.seq.type))
              .values(hash=bindparam("head_hash", type_=_HEAD.c.hash.type))
              .returning(_HEAD.c.id))
APPEND_AT_ONCE = 64  # links one PostgreSQL statement inserts; more (bulk imports) take two
_LINK_COLUMNS = ("seq", "event_id", "prev_hash", "hash", "key_id", "business_id")


def advance_head(session: Session, count: int) -> tuple[int, str]:
    """Take the chain head's lock and reserve ``count`` positions: (last seq, hash before them).

    The UPDATE comes first, so it is what takes the lock: on PostgreSQL a second appender waits
    for the row and then sees the first one's committed head; on SQLite it takes the database's
    write lock (a deferred transaction whose snapshot is stale fails instead of forking).
    """
    row = session.execute(_ADVANCE, {"count": count}).first()
    if row is None:  # a database emptied by hand (the test harness): start the chain again
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(_HEAD).values(id=HEAD_ID, seq=0, hash=chain.GENESIS)
                        .on_conflict_do_nothing(index_elements=["id"]))
        row = session.execute(_ADVANCE, {"count": count}).one()
    return int(row.seq), str(row.hash)


def append_links(session: Session, links: list[dict[str, Any]], *, seq: int, hash_: str) -> None:
    """Insert the links and name the new last one (``seq``, ``hash_``) in the head; the seq
    guard proves this transaction still holds the head. On PostgreSQL one statement, the insert
    a CTE of the head's UPDATE (one round trip fewer in every audited write); on SQLite, which
    has no writing CTEs, two."""
    if session.get_bind().dialect.name == "postgresql" and len(links) <= APPEND_AT_ONCE:
        values = {"head_seq": seq, "head_hash": hash_}
        for i, link in enumerate(links):
            values.update({f"{name}_{i}": link[name] for name in _LINK_COLUMNS})
        named = session.execute(_append_statement(len(links)), values).first()
    else:
        session.execute(_LINKS.insert(), links)
        named = session.execute(_NAME_LAST, {"head_seq": seq, "head_hash": hash_}).first()
    if named is None:
        raise RuntimeError("the audit chain head moved while this transaction held it")


@lru_cache(maxsize=APPEND_AT_ONCE)
def _append_statement(count: int) -> TextClause:
    """``WITH links AS (INSERT INTO audit_links VALUES …) UPDATE audit_chain SET hash … WHERE
    seq = :head_seq RETURNING id`` for ``count`` links, compiled once (a multi-row VALUES is
    not cached by SQLAlchemy). PostgreSQL runs a writing CTE whether or not it is read."""
    types = {name: _LINKS.c[name].type for name in _LINK_COLUMNS}
    rows = [{name: bindparam(f"{name}_{i}", type_=types[name]) for name in _LINK_COLUMNS}
            for i in range(count)]
    links = postgresql.insert(_LINKS).values(rows).returning(_LINKS.c.seq).cte("new_links")
    return compiled_once(_NAME_LAST.add_cte(links), "postgresql", {
        "head_seq": _HEAD.c.seq.type, "head_hash": _HEAD.c.hash.type,
        **{f"{name}_{i}": types[name] for i in range(count) for name in _LINK_COLUMNS}})


def head(session: Session) -> AuditChainHead | None:
    return session.scalars(select(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                           .execution_options(populate_existing=True)).first()


def walk(session: Session, *, after_seq: int, upto_seq: int,
         limit: int) -> Sequence[Row[Any]]:
    """Links after ``after_seq`` (up to ``upto_seq``) in order, each with its audit row's columns
    (None where the row is gone)."""
    stmt = (select(AuditLink.seq, AuditLink.event_id.label("link_event_id"),
                   AuditLink.prev_hash, AuditLink.hash, AuditLink.key_id,
                   AuditLink.business_id.label("link_business_id"),
                   AuditEvent.id.label("present"), *_event_columns()[1:])
            .outerjoin(AuditEvent, AuditEvent.id == AuditLink.event_id)
            .where(AuditLink.seq > after_seq, AuditLink.seq <= upto_seq)
            .order_by(AuditLink.seq).limit(limit))
    return session.execute(stmt).all()


def link_at(session: Session, seq: int) -> AuditLink | None:
    return session.scalars(select(AuditLink).where(AuditLink.seq == seq)).first()


def link_with_hash(session: Session, hash_: str) -> AuditLink | None:
    return session.scalars(select(AuditLink).where(AuditLink.hash == hash_)).first()


def first_link_after(session: Session, seq: int) -> AuditLink | None:
    return session.scalars(select(AuditLink).where(AuditLink.seq > seq)
                           .order_by(AuditLink.seq).limit(1)).first()


def unlinked_event(session: Session) -> AuditEvent | None:
    """An audit row outside the chain (every committed row has a link)."""
    return session.scalars(
        select(AuditEvent).outerjoin(AuditLink, AuditLink.event_id == AuditEvent.id)
        .where(AuditLink.seq.is_(None)).order_by(AuditEvent.occurred_at, AuditEvent.id)
        .limit(1)).first()


def event_business(session: Session, event_id: str) -> str | None:
    return session.scalar(select(AuditEvent.business_id).where(AuditEvent.id == event_id))


def snapshot(session: Session) -> None:
    """Read the rest of this (fresh) transaction from one snapshot: on PostgreSQL, REPEATABLE
    READ; a SQLite transaction reads from one snapshot already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


def claim_alert(session: Session, *, key: str, kind: str, message: str, now: datetime) -> bool:
    """Record that this break is being told; False if someone told it already."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(AuditAlert).values(break_key=key, kind=kind, message=message[:1000],
                                      detected_at=now)
            .on_conflict_do_nothing(index_elements=["break_key"]).returning(AuditAlert.break_key))
    return session.execute(stmt).first() is not None
