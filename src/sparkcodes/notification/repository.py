from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sparkcodes.engagement import repository as engagement_repository
from sparkcodes.models import (
    Ad,
    AdAccount,
    BusinessMember,
    Creator,
    EmailOptOut,
    Notification,
    Post,
    SparkPost,
    User,
    WebhookEndpoint,
)


def add_all(session: Session, rows: list[object]) -> None:
    session.add_all(rows)
    session.flush()


def business_members(session: Session, business_ids: set[str],
                     roles: set[str] | None = None) -> list[tuple[str, User]]:
    if not business_ids:
        return []
    stmt = (select(BusinessMember.business_id, User)
            .join(User, User.id == BusinessMember.user_id)
            .where(BusinessMember.business_id.in_(business_ids)))
    if roles is not None:
        stmt = stmt.where(BusinessMember.role.in_(roles))
    rows = session.execute(stmt).all()
    return [(b, u) for b, u in rows]


def creator_owner(session: Session, creator_id: str) -> User | None:
    return session.scalar(select(User).join(Creator, Creator.owner_id == User.id)
                          .where(Creator.id == creator_id))


def live_endpoints(session: Session, business_ids: set[str]) -> list[WebhookEndpoint]:
    if not business_ids:
        return []
    return list(session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.business_id.in_(business_ids), WebhookEndpoint.disabled_at.is_(None),
        WebhookEndpoint.deleted_at.is_(None))))


def of_user(session: Session, user_id: str, *, unread_only: bool, limit: int,
            offset: int) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id)
                                .limit(limit).offset(offset)))


def unread_count(session: Session, user_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, *, user_id: str, ids: list[str] | None, now: datetime) -> int:
    stmt = update(Notification).where(Notification.user_id == user_id,
                                      Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    # An UPDATE executes to a CursorResult, the Result that carries rowcount.
    result: CursorResult[Any] = cast("CursorResult[Any]", session.execute(
        stmt.values(read_at=now).execution_options(synchronize_session=False)))
    return result.rowcount or 0


def businesses_holding(session: Session, post_ids: list[str]) -> set[str]:
    """Businesses with a live Spark post of one of these posts (or of a duet or stitch of one)."""
    if not post_ids:
        return set()
    derived = select(Post.id).where(Post.original_post_id.in_(post_ids))
    rows = session.execute(
        select(AdAccount.business_id).join(SparkPost, SparkPost.ad_account_id == AdAccount.id)
        .where(SparkPost.unbound_at.is_(None),
               SparkPost.post_id.in_(post_ids) | SparkPost.post_id.in_(derived))
        .distinct()).all()
    return {r[0] for r in rows}


def spend_yesterday(session: Session, ad_ids: list[str], now: datetime) -> dict[str, int]:
    """Each ad's spend (micros) on the day before ``now`` in its ad account's time zone."""
    if not ad_ids:
        return {}
    rows = session.execute(select(Ad.id, AdAccount.timezone)
                           .join(AdAccount, AdAccount.id == Ad.ad_account_id)
                           .where(Ad.id.in_(ad_ids))).all()
    days = {ad_id: (now.astimezone(ZoneInfo(tz)) - timedelta(days=1)).date()
            for ad_id, tz in rows}
    spend = engagement_repository.spend_by_ad_day(session, days, set(days.values()))
    return {ad_id: spend.get((ad_id, day), 0) for ad_id, day in days.items()}


def opted_out(session: Session, *, user_ids: set[str], event_type: str) -> set[str]:
    """Of these users, those who chose not to get this kind by e-mail."""
    if not user_ids:
        return set()
    return set(session.scalars(select(EmailOptOut.user_id).where(
        EmailOptOut.user_id.in_(user_ids), EmailOptOut.event_type == event_type)))


def opted_out_kinds(session: Session, user_id: str) -> set[str]:
    return set(session.scalars(select(EmailOptOut.event_type)
                               .where(EmailOptOut.user_id == user_id)))


def replace_opt_outs(session: Session, *, user_id: str, kinds: set[str], now: datetime) -> None:
    """The user's opt-outs become exactly ``kinds``: those no longer chosen are removed, new ones
    added; the rows kept keep their date."""
    session.execute(delete(EmailOptOut).where(EmailOptOut.user_id == user_id,
                                              EmailOptOut.event_type.not_in(kinds))
                    .execution_options(synchronize_session=False))
    if not kinds:
        return
    # A save racing this one may add the same rows: theirs stand, nothing fails.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(EmailOptOut).values(
        [{"user_id": user_id, "event_type": k, "created_at": now} for k in sorted(kinds)])
        .on_conflict_do_nothing(index_elements=["user_id", "event_type"]))
