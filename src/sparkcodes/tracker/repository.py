"""The tracker's queries: a business's Spark posts with their rows, and yesterday's spend per ad."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from sparkcodes.models import (
    AdAccount,
    Authorization,
    Business,
    Creator,
    Post,
    SparkPost,
)

CHUNK = 500  # ids per IN list: far below SQLite's and PostgreSQL's bound-parameter limits

OriginalAuth = aliased(Authorization)

Row = tuple[SparkPost, Post, Creator, AdAccount, Authorization | None, Authorization | None]


def spark_posts(session: Session, business_id: str, *, ad_account_id: str | None = None,
                creator_id: str | None = None, post_id: str | None = None,
                include_unbound: bool = False) -> list[Row]:
    """Every Spark post across the business's ad accounts, with post, creator, account and codes."""
    stmt = (
        select(SparkPost, Post, Creator, AdAccount, Authorization, OriginalAuth)
        .join(AdAccount, AdAccount.id == SparkPost.ad_account_id)
        .join(Post, Post.id == SparkPost.post_id)
        .join(Creator, Creator.id == Post.creator_id)
        .outerjoin(Authorization, Authorization.id == SparkPost.authorization_id)
        .outerjoin(OriginalAuth, OriginalAuth.id == SparkPost.original_authorization_id)
        .where(AdAccount.business_id == business_id)
    )
    if ad_account_id is not None:
        stmt = stmt.where(SparkPost.ad_account_id == ad_account_id)
    if creator_id is not None:
        stmt = stmt.where(Post.creator_id == creator_id)
    if post_id is not None:
        stmt = stmt.where(SparkPost.post_id == post_id)
    if not include_unbound:
        stmt = stmt.where(SparkPost.unbound_at.is_(None))
    stmt = stmt.order_by(SparkPost.bound_at, SparkPost.id)
    return [tuple(row) for row in session.execute(stmt).all()]  # type: ignore[misc]


def businesses_matching(session: Session, name_or_id: str) -> list[Business]:
    """Businesses whose id is this, or whose name is this (ignoring case): for the CLI."""
    value = name_or_id.strip()
    return list(session.scalars(
        select(Business).where(or_(Business.id == value,
                                   func.lower(Business.name) == value.lower()))
        .order_by(Business.created_at, Business.id)))
