"""Every query about TikTok connections and their advertisers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from sparkcodes.models import TikTokAdvertiser, TikTokConnection


def add(session: Session, *rows: object) -> None:
    session.add_all(rows)
    session.flush()


def connection_of_business(session: Session, connection_id: str,
                           business_id: str) -> TikTokConnection | None:
    """A live connection of the business; None for any other id (another's included)."""
    return session.scalar(select(TikTokConnection).where(
        TikTokConnection.id == connection_id, TikTokConnection.business_id == business_id,
        TikTokConnection.deleted_at.is_(None)))


def connections_of(session: Session, business_id: str) -> list[TikTokConnection]:
    return list(session.scalars(
        select(TikTokConnection)
        .where(TikTokConnection.business_id == business_id,
               TikTokConnection.deleted_at.is_(None))
        .order_by(TikTokConnection.created_at, TikTokConnection.id)))


def advertisers_of(session: Session, connection_ids: Iterable[str]
                   ) -> dict[str, list[TikTokAdvertiser]]:
    ids = list(connection_ids)
    out: dict[str, list[TikTokAdvertiser]] = {c: [] for c in ids}
    if not ids:
        return out
    for row in session.scalars(select(TikTokAdvertiser)
                               .where(TikTokAdvertiser.connection_id.in_(ids))
                               .order_by(TikTokAdvertiser.name, TikTokAdvertiser.advertiser_id)):
        out[row.connection_id].append(row)
    return out


def by_state_hash(session: Session, state_hash: str) -> TikTokConnection | None:
    return session.scalar(select(TikTokConnection)
                          .where(TikTokConnection.authorize_state_hash == state_hash))


def consume_state(session: Session, *, connection_id: str, state_hash: str, user_id: str,
                  now: datetime) -> TikTokConnection | None:
    """Use the app flow's state once: only its starter, before it expires, on a live connection
    not authorized yet. The connection, or None; one winner however many callbacks race."""
    return session.scalar(
        update(TikTokConnection)
        .where(TikTokConnection.id == connection_id,
               TikTokConnection.authorize_state_hash == state_hash,
               TikTokConnection.created_by_id == user_id,
               TikTokConnection.authorized_at.is_(None),
               TikTokConnection.authorize_expires_at > now,
               TikTokConnection.deleted_at.is_(None))
        .values(authorized_at=now)
        .returning(TikTokConnection)
        .execution_options(synchronize_session=False, populate_existing=True))


def live_linked_advertisers(session: Session, business_id: str, base_url: str
                            ) -> set[str]:
    """The advertiser ids the business's live, linked connections to ``base_url`` reach."""
    return set(session.scalars(
        select(TikTokAdvertiser.advertiser_id)
        .join(TikTokConnection, TikTokConnection.id == TikTokAdvertiser.connection_id)
        .where(TikTokConnection.business_id == business_id,
               TikTokConnection.base_url == base_url,
               TikTokConnection.deleted_at.is_(None),
               TikTokConnection.token_revoked_at.is_(None),
               TikTokConnection.access_token_sealed.is_not(None))))


def set_alerted(session: Session, *, connection_id: str, state: str) -> bool:
    """Record that ``state`` was alerted unless it already was: True when this call did it."""
    result = cast("CursorResult[Any]", session.execute(
        update(TikTokConnection)
        .where(TikTokConnection.id == connection_id,
               or_(TikTokConnection.alerted_state.is_(None),
                   TikTokConnection.alerted_state != state))
        .values(alerted_state=state)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1


def delete(session: Session, *, connection_id: str, user_id: str, now: datetime) -> bool:
    """Remove the connection and drop its secrets unless already removed: True when this call
    did it."""
    result = cast("CursorResult[Any]", session.execute(
        update(TikTokConnection)
        .where(TikTokConnection.id == connection_id, TikTokConnection.deleted_at.is_(None))
        .values(deleted_at=now, deleted_by_id=user_id, access_token_sealed=None,
                app_secret_sealed=None, authorize_state_hash=None)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1


def sealed_values(session: Session) -> list[tuple[str, str | None, str | None]]:
    """(id, sealed access token, sealed app secret) of every connection that holds one."""
    rows = session.execute(
        select(TikTokConnection.id, TikTokConnection.access_token_sealed,
               TikTokConnection.app_secret_sealed)
        .where(or_(TikTokConnection.access_token_sealed.is_not(None),
                   TikTokConnection.app_secret_sealed.is_not(None)))
        .order_by(TikTokConnection.id)).all()
    return [(r[0], r[1], r[2]) for r in rows]


def reseal(session: Session, *, connection_id: str, values: dict[str, Any]) -> None:
    session.execute(update(TikTokConnection).where(TikTokConnection.id == connection_id)
                    .values(**values).execution_options(synchronize_session=False))

