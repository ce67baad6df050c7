"""Every query about TikTok connections and their advertisers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparkcodes.ad_account import repository as ad_account_repository
from sparkcodes.models import (
    TIKTOK,
    Ad,
    AdAccount,
    AdGroup,
    Authorization,
    Campaign,
    Creator,
    EngagementDaily,
    Post,
    SparkPost,
    TikTokAdvertiser,
    TikTokConnection,
    TikTokSyncRun,
)


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


def revoked_connection_for(session: Session, business_id: str, base_url: str,
                           advertiser_ids: list[str]) -> TikTokConnection | None:
    """The business's live token connection to ``base_url`` whose token was revoked and which
    holds one of these advertisers (the newest): the one a new token reconnects in place."""
    return session.scalars(
        select(TikTokConnection)
        .join(TikTokAdvertiser, TikTokAdvertiser.connection_id == TikTokConnection.id)
        .where(TikTokConnection.business_id == business_id,
               TikTokConnection.base_url == base_url,
               TikTokConnection.method == "token",
               TikTokConnection.deleted_at.is_(None),
               TikTokConnection.token_revoked_at.is_not(None),
               TikTokAdvertiser.advertiser_id.in_(advertiser_ids))
        .order_by(TikTokConnection.created_at.desc()).limit(1)).first()


def reconnect(session: Session, *, connection_id: str, sealed: str, summary: str,
              now: datetime) -> bool:
    """A new token for a connection whose token was revoked: one conditional write, True when
    this call made it (False: reconnected or removed meanwhile)."""
    result = cast("CursorResult[Any]", session.execute(
        update(TikTokConnection)
        .where(TikTokConnection.id == connection_id, TikTokConnection.deleted_at.is_(None),
               TikTokConnection.token_revoked_at.is_not(None))
        .values(access_token_sealed=sealed, token_revoked_at=None, authorized_at=now,
                checked_at=now, check_summary=summary, last_error_code=None,
                last_error_message=None, throttled_until=None, alerted_state=None)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1


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



# --- sync runs ----------------------------------------------------------------------------------

def connection(session: Session, connection_id: str) -> TikTokConnection | None:
    return session.get(TikTokConnection, connection_id)


def advertiser(session: Session, connection_id: str,
               advertiser_id: str) -> TikTokAdvertiser | None:
    return session.scalar(select(TikTokAdvertiser).where(
        TikTokAdvertiser.connection_id == connection_id,
        TikTokAdvertiser.advertiser_id == advertiser_id))


def open_run(session: Session, connection_id: str, advertiser_id: str) -> TikTokSyncRun | None:
    return session.scalar(select(TikTokSyncRun).where(
        TikTokSyncRun.connection_id == connection_id,
        TikTokSyncRun.advertiser_id == advertiser_id, TikTokSyncRun.finished_at.is_(None)))


def take_run(session: Session, *, run_id: str, holder: str, now: datetime,
             until: datetime) -> TikTokSyncRun | None:
    """Hold an open run unless another holder's hold is still live: the run, or None. One winner
    however many workers race for it."""
    return session.scalar(
        update(TikTokSyncRun)
        .where(TikTokSyncRun.id == run_id, TikTokSyncRun.finished_at.is_(None),
               or_(TikTokSyncRun.holder.is_(None), TikTokSyncRun.holder == holder,
                   TikTokSyncRun.held_until.is_(None), TikTokSyncRun.held_until < now))
        .values(holder=holder, held_until=until)
        .returning(TikTokSyncRun)
        .execution_options(synchronize_session=False, populate_existing=True))


def insert_run(session: Session, run: TikTokSyncRun) -> bool:
    """A new open run; False when another is already open (the partial unique index)."""
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        return False
    return True


def save_run(session: Session, *, run_id: str, holder: str, values: dict[str, Any]) -> bool:
    """Checkpoint a run this holder still holds: False when the hold was lost (it expired and
    another worker took the run over), so the caller's transaction must not commit."""
    result = cast("CursorResult[Any]", session.execute(
        update(TikTokSyncRun)
        .where(TikTokSyncRun.id == run_id, TikTokSyncRun.holder == holder,
               TikTokSyncRun.finished_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1


def last_runs(session: Session, connection_ids: Iterable[str]
              ) -> dict[tuple[str, str], TikTokSyncRun]:
    """The latest run of each (connection, advertiser)."""
    ids = list(connection_ids)
    if not ids:
        return {}
    out: dict[tuple[str, str], TikTokSyncRun] = {}
    for run in session.scalars(select(TikTokSyncRun)
                               .where(TikTokSyncRun.connection_id.in_(ids))
                               .order_by(TikTokSyncRun.started_at, TikTokSyncRun.id)):
        out[(run.connection_id, run.advertiser_id)] = run
    return out


def syncable(session: Session) -> list[tuple[TikTokConnection, TikTokAdvertiser]]:
    """Every advertiser a live, authorized connection still reaches."""
    rows = session.execute(
        select(TikTokConnection, TikTokAdvertiser)
        .join(TikTokAdvertiser, TikTokAdvertiser.connection_id == TikTokConnection.id)
        .where(TikTokConnection.deleted_at.is_(None),
               TikTokConnection.token_revoked_at.is_(None),
               TikTokConnection.access_token_sealed.is_not(None),
               TikTokAdvertiser.gone_at.is_(None))
        .order_by(TikTokConnection.id, TikTokAdvertiser.advertiser_id)).all()
    return [(r[0], r[1]) for r in rows]


def checkable(session: Session) -> list[TikTokConnection]:
    return list(session.scalars(select(TikTokConnection).where(
        TikTokConnection.deleted_at.is_(None), TikTokConnection.token_revoked_at.is_(None),
        TikTokConnection.access_token_sealed.is_not(None)).order_by(TikTokConnection.id)))


# --- mirrored rows ------------------------------------------------------------------------------

M = TypeVar("M", AdAccount, Creator, Post, Authorization, SparkPost, Campaign, AdGroup, Ad)


def mirrored(session: Session, model: type[M], *, connection_id: str,
             external_ids: Iterable[str]) -> dict[str, M]:
    """The rows mirrored through the connection, by external id."""
    ids = list(external_ids)
    if not ids:
        return {}
    rows = session.scalars(select(model).where(
        model.source == TIKTOK, model.connection_id == connection_id,
        model.external_id.in_(ids)))
    return {str(r.external_id): r for r in rows}


def add_mirrored(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def live_mirrored_spark_posts(session: Session, *, connection_id: str,
                              ad_account_id: str) -> list[SparkPost]:
    return list(session.scalars(select(SparkPost).where(
        SparkPost.source == TIKTOK, SparkPost.connection_id == connection_id,
        SparkPost.ad_account_id == ad_account_id, SparkPost.unbound_at.is_(None))))


def unbind_mirrored(session: Session, *, spark_post_ids: list[str], now: datetime) -> int:
    """Mirrored Spark posts TikTok no longer lists (or whose connection was removed)."""
    if not spark_post_ids:
        return 0
    accounts = list(session.scalars(
        update(SparkPost)
        .where(SparkPost.id.in_(spark_post_ids), SparkPost.source == TIKTOK,
               SparkPost.unbound_at.is_(None))
        .values(unbound_at=now)
        .returning(SparkPost.ad_account_id)
        .execution_options(synchronize_session=False)))
    for ad_account_id in sorted(set(accounts)):  # the ad accounts' live Spark post counters
        ad_account_repository.free_places(session, ad_account_id, accounts.count(ad_account_id))
    return len(accounts)


def live_mirrored_of_connection(session: Session, connection_id: str) -> list[str]:
    return list(session.scalars(select(SparkPost.id).where(
        SparkPost.source == TIKTOK, SparkPost.connection_id == connection_id,
        SparkPost.unbound_at.is_(None))))


# --- step 3: ads, ad groups, campaigns and their spend ------------------------------------------

def account(session: Session, ad_account_id: str) -> AdAccount | None:
    return session.get(AdAccount, ad_account_id)


def posts_by_ids(session: Session, post_ids: Iterable[str]) -> dict[str, Post]:
    ids = list(set(post_ids))
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(ids)))}


def live_mirrored_ads(session: Session, *, connection_id: str, ad_account_id: str) -> list[Ad]:
    """The advertiser's mirrored ads not (yet) marked deleted."""
    return list(session.scalars(select(Ad).where(
        Ad.source == TIKTOK, Ad.connection_id == connection_id,
        Ad.ad_account_id == ad_account_id, Ad.deleted_at.is_(None))))


def mark_ads_deleted(session: Session, *, ad_ids: list[str], now: datetime) -> int:
    """Mirrored ads TikTok no longer lists (deleted there)."""
    if not ad_ids:
        return 0
    result = cast("CursorResult[Any]", session.execute(
        update(Ad)
        .where(Ad.id.in_(ad_ids), Ad.source == TIKTOK, Ad.deleted_at.is_(None))
        .values(deleted_at=now)
        .execution_options(synchronize_session=False)))
    return result.rowcount


def daily_of_ads(session: Session, *, ad_ids: Iterable[str], days: Iterable[date]
                 ) -> dict[tuple[str, date], EngagementDaily]:
    """The paid daily rollups of these ads on these days, by (ad, day)."""
    ids, wanted = list(set(ad_ids)), list(set(days))
    if not ids or not wanted:
        return {}
    rows = session.scalars(select(EngagementDaily).where(
        EngagementDaily.ad_key.in_(ids), EngagementDaily.day.in_(wanted)))
    return {(r.ad_key, r.day): r for r in rows}


def bound_external_ids(session: Session, ad_account_id: str) -> set[str]:
    """The external ids of the mirrored ad account's Spark posts bound now."""
    return {str(k) for k in session.scalars(select(SparkPost.external_id).where(
        SparkPost.ad_account_id == ad_account_id, SparkPost.source == TIKTOK,
        SparkPost.unbound_at.is_(None)))}


def mirrored_posts(session: Session, connection_id: str,
                   item_ids: list[str]) -> dict[str, tuple[str, str]]:
    """The mirror's (post id, creator id) of TikTok items, by item id."""
    ids = [i for i in item_ids if i]
    if not ids:
        return {}
    rows = session.execute(select(Post.external_id, Post.id, Post.creator_id).where(
        Post.source == TIKTOK, Post.connection_id == connection_id, Post.external_id.in_(ids)))
    return {str(r[0]): (r[1], r[2]) for r in rows}
