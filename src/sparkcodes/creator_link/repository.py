"""Every query on links e-mailed to creators who are not on sparkcodes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from sparkcodes.models import (
    TIKTOK,
    AdAccount,
    Authorization,
    Business,
    Creator,
    CreatorLink,
    Post,
    RosterEntry,
    SparkPost,
)


def add(session: Session, link: CreatorLink) -> None:
    session.add(link)
    session.flush()


def by_id(session: Session, link_id: str) -> CreatorLink | None:
    return session.get(CreatorLink, link_id, populate_existing=True)


def by_token_hash(session: Session, token_hash: str) -> CreatorLink | None:
    return session.scalar(select(CreatorLink).where(CreatorLink.token_hash == token_hash)
                          .execution_options(populate_existing=True))


def of_business(session: Session, business_id: str, *, limit: int) -> list[CreatorLink]:
    """The business's links, newest first."""
    return list(session.scalars(select(CreatorLink)
                                .where(CreatorLink.business_id == business_id)
                                .order_by(CreatorLink.created_at.desc(), CreatorLink.id.desc())
                                .limit(limit)))


def open_for(session: Session, *, roster_entry_id: str, ad_account_id: str, kind: str,
             spark_post_id: str | None, now: datetime) -> CreatorLink | None:
    """An unanswered, unexpired, not withdrawn link of the same ask (one at a time)."""
    where: list[Any] = [CreatorLink.roster_entry_id == roster_entry_id,
                        CreatorLink.ad_account_id == ad_account_id, CreatorLink.kind == kind,
                        CreatorLink.answered_at.is_(None), CreatorLink.cancelled_at.is_(None),
                        CreatorLink.expires_at > now]
    if spark_post_id is not None:
        where.append(CreatorLink.spark_post_id == spark_post_id)
    return session.scalar(select(CreatorLink).where(*where).limit(1))


def mark_answered(session: Session, *, link_id: str, now: datetime,
                  result_spark_post_id: str | None, end_after: datetime | None) -> bool:
    """Answer the link once: False when another request answered (or withdrew) it first."""
    done = session.execute(
        update(CreatorLink)
        .where(CreatorLink.id == link_id, CreatorLink.answered_at.is_(None),
               CreatorLink.cancelled_at.is_(None))
        .values(answered_at=now, result_spark_post_id=result_spark_post_id,
                end_after=end_after, busy_until=None)
        .execution_options(synchronize_session=False))
    return bool(getattr(done, "rowcount", 0))


def claim(session: Session, *, link_id: str, now: datetime, until: datetime) -> bool:
    """Take the link for one answer until ``until`` (counting the try), only if no other
    answer holds it: two answers sent at once, or one sent while another waits for TikTok,
    cannot both reach TikTok."""
    done = session.execute(
        update(CreatorLink)
        .where(CreatorLink.id == link_id, CreatorLink.answered_at.is_(None),
               CreatorLink.cancelled_at.is_(None),
               or_(CreatorLink.busy_until.is_(None), CreatorLink.busy_until <= now))
        .values(attempts=CreatorLink.attempts + 1, busy_until=until)
        .execution_options(synchronize_session=False))
    return bool(getattr(done, "rowcount", 0))


def release(session: Session, *, link_id: str, refusal: str | None = None) -> None:
    """The answer is checked: free the link (with why it was refused, if it was)."""
    values: dict[str, Any] = {"busy_until": None}
    if refusal is not None:
        values["last_refusal"] = refusal[:300]
    session.execute(update(CreatorLink).where(CreatorLink.id == link_id).values(**values)
                    .execution_options(synchronize_session=False))


def cancel(session: Session, *, link_id: str, now: datetime) -> bool:
    done = session.execute(
        update(CreatorLink)
        .where(CreatorLink.id == link_id, CreatorLink.answered_at.is_(None),
               CreatorLink.cancelled_at.is_(None))
        .values(cancelled_at=now).execution_options(synchronize_session=False))
    return bool(getattr(done, "rowcount", 0))


def context(session: Session, link: CreatorLink) -> tuple[Business, AdAccount, Creator]:
    """The brand, the ad account and the creator a link is about."""
    business = session.get(Business, link.business_id)
    account = session.get(AdAccount, link.ad_account_id)
    creator = session.get(Creator, link.creator_id)
    assert business is not None and account is not None and creator is not None  # foreign keys
    return business, account, creator


def spark_post_with(session: Session,
                    spark_post_id: str) -> tuple[SparkPost, Post, Creator, Authorization] | None:
    """A Spark post with its post, the post's creator and its code (mirrored ones have one)."""
    row = session.execute(
        select(SparkPost, Post, Creator, Authorization)
        .join(Post, Post.id == SparkPost.post_id)
        .join(Creator, Creator.id == Post.creator_id)
        .join(Authorization, Authorization.id == SparkPost.authorization_id)
        .where(SparkPost.id == spark_post_id)
        .execution_options(populate_existing=True)).first()
    return (row[0], row[1], row[2], row[3]) if row is not None else None


def window_end(session: Session, spark_post_id: str) -> datetime | None:
    """The code's end as the mirror shows it now."""
    return session.scalar(select(Authorization.expires_at)
                          .join(SparkPost, SparkPost.authorization_id == Authorization.id)
                          .where(SparkPost.id == spark_post_id)
                          .execution_options(populate_existing=True))


def tiktok_accounts(session: Session, business_id: str) -> list[AdAccount]:
    """The business's ad accounts linked from TikTok (a code sent by link can go only there)."""
    return list(session.scalars(select(AdAccount).where(AdAccount.business_id == business_id,
                                                        AdAccount.source == TIKTOK)
                                .order_by(AdAccount.name, AdAccount.id)))


def roster_entry(session: Session, entry_id: str) -> RosterEntry | None:
    return session.get(RosterEntry, entry_id)


def entry_of(session: Session, *, business_id: str, creator_id: str) -> RosterEntry | None:
    return session.scalar(select(RosterEntry).where(RosterEntry.business_id == business_id,
                                                    RosterEntry.creator_id == creator_id))


def repoint_entry(session: Session, *, entry_id: str, creator_id: str) -> None:
    """The roster entry follows the creator TikTok now names (the mirrored identity)."""
    session.execute(update(RosterEntry).where(RosterEntry.id == entry_id)
                    .values(creator_id=creator_id).execution_options(synchronize_session=False))
