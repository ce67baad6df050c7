"""Every query on contracts, including the conditional soft delete."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, func, select, update
from sqlalchemy.orm import Session

from sparkcodes.kit.sql import among
from sparkcodes.models import Contract, Creator, Post

CHUNK = 500  # ids per IN list: far below SQLite's and PostgreSQL's bound-parameter limits


def add(session: Session, contract: Contract) -> None:
    session.add(contract)
    session.flush()


def by_id(session: Session, contract_id: str) -> Contract | None:
    return session.get(Contract, contract_id)


def of_business(session: Session, business_id: str, *, creator_id: str | None,
                post_id: str | None, include_deleted: bool, limit: int,
                offset: int) -> tuple[list[tuple[Contract, Creator, Post | None]], int]:
    """A business's contracts, latest-ending first, with their creator and post; and the total."""
    where = [Contract.business_id == business_id]
    if creator_id is not None:
        where.append(Contract.creator_id == creator_id)
    if post_id is not None:
        where.append(Contract.post_id == post_id)
    if not include_deleted:
        where.append(Contract.deleted_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Contract).where(*where)) or 0
    rows = session.execute(
        select(Contract, Creator, Post)
        .join(Creator, Creator.id == Contract.creator_id)
        .outerjoin(Post, Post.id == Contract.post_id)
        .where(*where)
        .order_by(Contract.ends_at.desc(), Contract.id)
        .limit(limit).offset(offset)
    ).all()
    return [(c, cr, p) for c, cr, p in rows], total


def soft_delete(session: Session, *, contract_id: str, now: datetime) -> bool:
    """Delete once: the row count says whether this call did it."""
    # An UPDATE executes to a CursorResult, the Result that carries rowcount.
    result: CursorResult[Any] = cast("CursorResult[Any]", session.execute(
        update(Contract)
        .where(Contract.id == contract_id, Contract.deleted_at.is_(None))
        .values(deleted_at=now)
        .execution_options(synchronize_session=False)
    ))
    return result.rowcount == 1


def terms_for(session: Session, business_id: str, *, post_ids: Iterable[str],
              creator_ids: Iterable[str]) -> list[tuple[str, str, str | None, datetime]]:
    """(id, creator_id, post_id, ends_at) of the business's undeleted contracts that name one of
    these posts, or one of these creators and no post."""
    found: dict[str, tuple[str, str, str | None, datetime]] = {}
    for column, ids in ((Contract.post_id, sorted(set(post_ids))),
                        (Contract.creator_id, sorted(set(creator_ids)))):
        for start in range(0, len(ids), CHUNK):
            scope: ColumnElement[bool] = among(session, column, ids[start:start + CHUNK])
            if column is Contract.creator_id:
                scope = and_(Contract.post_id.is_(None), scope)
            rows = session.execute(
                select(Contract.id, Contract.creator_id, Contract.post_id, Contract.ends_at)
                .where(Contract.business_id == business_id, Contract.deleted_at.is_(None), scope)
            ).all()
            found.update({r[0]: (r[0], r[1], r[2], r[3]) for r in rows})
    return list(found.values())
