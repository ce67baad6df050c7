"""Every query on calendar feeds, and the codes (with their history) a feed shows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, case, func, select, update
from sqlalchemy.orm import Session

from sparkcodes.models import (
    AdAccount,
    AuditEvent,
    Authorization,
    Business,
    CalendarFeed,
    Creator,
    Post,
)

CHUNK = 500


def add(session: Session, feed: CalendarFeed) -> None:
    session.add(feed)
    session.flush()


def by_id(session: Session, feed_id: str) -> CalendarFeed | None:
    return session.get(CalendarFeed, feed_id)


def by_token_hash(session: Session, token_hash: str) -> CalendarFeed | None:
    return session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash))


def of_business(session: Session, business_id: str) -> list[CalendarFeed]:
    return list(session.scalars(
        select(CalendarFeed).where(CalendarFeed.business_id == business_id)
        .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id)))


def of_creator(session: Session, creator_id: str) -> list[CalendarFeed]:
    return list(session.scalars(
        select(CalendarFeed).where(CalendarFeed.creator_id == creator_id)
        .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id)))


def revoke(session: Session, *, feed_id: str, now: datetime) -> bool:
    """Revoke once: the row count says whether this call did it."""
    # An UPDATE executes to a CursorResult, the Result that carries rowcount.
    result: CursorResult[Any] = cast("CursorResult[Any]", session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.id == feed_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ))
    return result.rowcount == 1


def business_codes(session: Session, business_id: str, *, ends_after: datetime,
                   ends_before: datetime | None = None
                   ) -> list[tuple[Authorization, Post, Creator, AdAccount]]:
    """Undeleted codes bound to the business's ad accounts, ending after ``ends_after`` (and
    before ``ends_before``, when given)."""
    stmt = (
        select(Authorization, Post, Creator, AdAccount)
        .join(AdAccount, AdAccount.id == Authorization.ad_account_id)
        .join(Post, Post.id == Authorization.post_id)
        .join(Creator, Creator.id == Post.creator_id)
        .where(AdAccount.business_id == business_id, Authorization.deleted_at.is_(None),
               Authorization.expires_at > ends_after)
        .order_by(Authorization.expires_at, Authorization.id)
    )
    if ends_before is not None:
        stmt = stmt.where(Authorization.expires_at < ends_before)
    rows = session.execute(stmt).all()
    return [(a, p, c, acc) for a, p, c, acc in rows]


def creator_codes(session: Session, creator_id: str, *, ends_after: datetime,
                  ends_before: datetime | None = None
                  ) -> list[tuple[Authorization, Post, AdAccount | None, Business | None]]:
    """The creator's undeleted codes ending after ``ends_after`` (and before ``ends_before``,
    when given), with who they are bound to."""
    stmt = (
        select(Authorization, Post, AdAccount, Business)
        .join(Post, Post.id == Authorization.post_id)
        .outerjoin(AdAccount, AdAccount.id == Authorization.ad_account_id)
        .outerjoin(Business, Business.id == AdAccount.business_id)
        .where(Post.creator_id == creator_id, Authorization.deleted_at.is_(None),
               Authorization.expires_at > ends_after)
        .order_by(Authorization.expires_at, Authorization.id)
    )
    if ends_before is not None:
        stmt = stmt.where(Authorization.expires_at < ends_before)
    rows = session.execute(stmt).all()
    return [(a, p, acc, b) for a, p, acc, b in rows]


def history(session: Session, authorization_ids: Iterable[str]
            ) -> dict[str, tuple[datetime, int]]:
    """Per code, from the audit log: when it last changed, and how often it was extended."""
    ids = sorted(set(authorization_ids))
    out: dict[str, tuple[datetime, int]] = {}
    extended = func.sum(case((AuditEvent.action == "authorization.extended", 1), else_=0))
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(AuditEvent.target_id, func.max(AuditEvent.occurred_at), extended)
            .where(AuditEvent.target_type == "authorization",
                   AuditEvent.target_id.in_(ids[start:start + CHUNK]))
            .group_by(AuditEvent.target_id)
        ).all()
        out.update({r[0]: (r[1], int(r[2] or 0)) for r in rows})
    return out


def business_names(session: Session, ad_account_ids: Iterable[str]) -> dict[str, str]:
    """Business name per ad account id."""
    ids = sorted(set(ad_account_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(AdAccount.id, Business.name).join(Business, Business.id == AdAccount.business_id)
        .where(AdAccount.id.in_(ids))
    ).all()
    return {r[0]: r[1] for r in rows}
