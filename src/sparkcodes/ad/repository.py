"""Every query on campaigns, ad groups and ads, including bulk loads for delivery status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TypedDict, TypeVar

from sqlalchemy import Select, func, select, union, update
from sqlalchemy.orm import Session

from sparkcodes.kit.sql import among, by_ids, rowcount
from sparkcodes.models import (
    Ad,
    AdAccount,
    AdGroup,
    Authorization,
    Campaign,
    Creator,
    EngagementDaily,
    LinkedIdentity,
    Post,
    PostRevision,
    SparkPost,
)

Lifecycle = Campaign | AdGroup | Ad
L = TypeVar("L", bound=Lifecycle)
# Post ids given as a list, or as a subquery that selects them.
PostIds = Sequence[str] | Select[str]


def add(session: Session, obj: object) -> None:
    session.add(obj)
    session.flush()


def get(session: Session, model: type[L], obj_id: str) -> L | None:
    return session.get(model, obj_id)


def lock_budgets(session: Session, *, campaign_ids: list[str], ad_group_ids: list[str]) -> None:
    """Row locks in a fixed order (campaigns, then ad groups, each by id) for spending a budget."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model, ids in ((Campaign, campaign_ids), (AdGroup, ad_group_ids)):
        if ids:
            session.execute(select(model.id).where(model.id.in_(ids))
                            .order_by(model.id).with_for_update())


def set_switch(session: Session, model: type[Lifecycle], obj_id: str, *, field: str,
               value: datetime | None) -> bool:
    """One lifecycle transition; a deleted object never changes again (checked by row count)."""
    result = session.execute(
        update(model)
        .where(model.id == obj_id, model.deleted_at.is_(None))
        .values({field: value})
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def by_tiktok_ids(session: Session, model: type[L], ad_account_id: str,
                  tiktok_ids: Iterable[int]) -> dict[int, L]:
    """An ad account's campaigns, ad groups or ads by their TikTok ids (others' are not found)."""
    ids = list(tiktok_ids)
    if not ids:
        return {}
    rows = session.scalars(select(model).where(model.ad_account_id == ad_account_id,
                                               model.tiktok_id.in_(ids)))
    return {row.tiktok_id: row for row in rows}


def page_of(session: Session, model: type[L], *, ad_account_id: str,
            ids: list[str] | None = None, campaign_ids: list[str] | None = None,
            ad_group_ids: list[str] | None = None, deleted: bool | None = False,
            limit: int | None, offset: int = 0) -> tuple[list[L], int]:
    """One page of an ad account's campaigns, ad groups or ads, oldest first, and the total.
    ``deleted``: False for live ones only, True for deleted ones only, None for all."""
    stmt = select(model).where(model.ad_account_id == ad_account_id)
    if ids is not None:
        stmt = stmt.where(model.id.in_(ids))
    if campaign_ids is not None and issubclass(model, (AdGroup, Ad)):  # not a Campaign
        stmt = stmt.where(model.campaign_id.in_(campaign_ids))
    if ad_group_ids is not None and model is Ad:
        stmt = stmt.where(Ad.ad_group_id.in_(ad_group_ids))
    if deleted is not None:
        stmt = stmt.where(model.deleted_at.is_not(None) if deleted else model.deleted_at.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(model.created_at, model.id).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt)), total


def campaigns_of(session: Session, ad_account_id: str, *, include_deleted: bool) -> list[Campaign]:
    stmt = select(Campaign).where(Campaign.ad_account_id == ad_account_id)
    if not include_deleted:
        stmt = stmt.where(Campaign.deleted_at.is_(None))
    return list(session.scalars(stmt.order_by(Campaign.created_at, Campaign.id)))


def ad_groups_of(session: Session, campaign_id: str, *, include_deleted: bool) -> list[AdGroup]:
    stmt = select(AdGroup).where(AdGroup.campaign_id == campaign_id)
    if not include_deleted:
        stmt = stmt.where(AdGroup.deleted_at.is_(None))
    return list(session.scalars(stmt.order_by(AdGroup.created_at, AdGroup.id)))


def ads_where(session: Session, *, ad_account_id: str | None = None,
              campaign_id: str | None = None, ad_group_id: str | None = None,
              spark_post_ids: Iterable[str] | None = None, post_id: str | None = None,
              creator_id: str | None = None, include_deleted: bool = False,
              limit: int | None = None, offset: int = 0) -> list[Ad]:
    stmt = select(Ad)
    if ad_account_id is not None:
        stmt = stmt.where(Ad.ad_account_id == ad_account_id)
    if campaign_id is not None:
        stmt = stmt.where(Ad.campaign_id == campaign_id)
    if ad_group_id is not None:
        stmt = stmt.where(Ad.ad_group_id == ad_group_id)
    if spark_post_ids is not None:
        stmt = stmt.where(Ad.spark_post_id.in_(list(spark_post_ids)))
    if post_id is not None:
        stmt = stmt.where(Ad.post_id == post_id)
    if creator_id is not None:
        stmt = stmt.where(Ad.creator_id == creator_id)
    if not include_deleted:
        stmt = stmt.where(Ad.deleted_at.is_(None))
    stmt = stmt.order_by(Ad.created_at, Ad.id).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def ads_depending_on_posts(session: Session, post_ids: PostIds) -> list[Ad]:
    """Undeleted ads that run these posts, or a duet or stitch made from one of them."""
    derived = select(Post.id).where(Post.original_post_id.in_(post_ids))
    return list(session.scalars(
        select(Ad).where((Ad.post_id.in_(post_ids)) | (Ad.post_id.in_(derived)),
                         Ad.deleted_at.is_(None)).order_by(Ad.created_at, Ad.id)))


def post_ids_of_creator(creator_id: str) -> Select[str]:
    return select(Post.id).where(Post.creator_id == creator_id)


def ads_on_authorizations(session: Session, authorization_ids: list[str]) -> list[Ad]:
    """Undeleted ads whose Spark post runs on one of these codes (as the code or the original's),
    oldest first (the order a refusal names them in)."""
    if not authorization_ids:
        return []
    return list(session.scalars(ads_on_authorizations_query(authorization_ids)
                                .order_by(Ad.created_at, Ad.id)))


def ads_on_authorizations_query(authorization_ids: Sequence[str]) -> Select[Ad]:
    """The statement of ``ads_on_authorizations``: the Spark posts on the codes, then those on
    them as the original's, each half read through its own index (the second one partial, of the
    few Spark posts that have an original), never a scan of what is held (migration 0025)."""
    spark_ids = union(
        select(SparkPost.id).where(SparkPost.authorization_id.in_(authorization_ids)),
        select(SparkPost.id).where(SparkPost.original_authorization_id.in_(authorization_ids)),
    )
    return select(Ad).where(Ad.spark_post_id.in_(spark_ids), Ad.deleted_at.is_(None))


def names_in_group(session: Session, ad_group_id: str) -> set[str]:
    """The names of the ad group's ads, deleted ones too."""
    return set(session.scalars(select(Ad.name).where(Ad.ad_group_id == ad_group_id)))


def count_on_identity(session: Session, *, ad_account_id: str, creator_id: str) -> int:
    return session.scalar(
        select(func.count()).select_from(Ad).where(
            Ad.ad_account_id == ad_account_id, Ad.creator_id == creator_id,
            Ad.deleted_at.is_(None))
    ) or 0


class Related(TypedDict):
    """The rows the delivery status of some ads depends on, each kind by id."""

    groups: dict[str, AdGroup]
    campaigns: dict[str, Campaign]
    sparks: dict[str, SparkPost]
    posts: dict[str, Post]
    creators: dict[str, Creator]
    auths: dict[str, Authorization]
    accounts: dict[str, AdAccount]
    links: set[tuple[str, str]]  # (ad_account_id, creator_id) of live linked identities
    revisions: dict[tuple[str, int], datetime]  # (post_id, revision number) -> created_at


def load_related(session: Session, ads: list[Ad]) -> Related:
    """Every row the delivery status of these ads depends on, in a handful of IN queries."""
    groups = by_ids(session, AdGroup, (a.ad_group_id for a in ads))
    campaigns = by_ids(session, Campaign, (a.campaign_id for a in ads))
    sparks = by_ids(session, SparkPost, (a.spark_post_id for a in ads))
    posts = by_ids(session, Post, (a.post_id for a in ads))
    posts.update(by_ids(session, Post, (p.original_post_id for p in posts.values())))
    creators = by_ids(session, Creator, (p.creator_id for p in posts.values()))
    auths = by_ids(session, Authorization,
                    [s.authorization_id for s in sparks.values()]
                    + [s.original_authorization_id for s in sparks.values()])
    accounts = by_ids(session, AdAccount, (a.ad_account_id for a in ads))
    revisions: dict[tuple[str, int], datetime] = {}
    if posts:
        revision_rows = session.execute(select(PostRevision.post_id, PostRevision.number,
                                               PostRevision.created_at)
                                        .where(among(session, PostRevision.post_id, posts))).all()
        revisions = {(r[0], r[1]): r[2] for r in revision_rows}
    pairs = {(a.ad_account_id, a.creator_id) for a in ads if a.identity_type == "TT_USER"}
    links: set[tuple[str, str]] = set()
    if pairs:
        link_rows = session.execute(
            select(LinkedIdentity.ad_account_id, LinkedIdentity.creator_id).where(
                LinkedIdentity.unlinked_at.is_(None),
                among(session, LinkedIdentity.creator_id, {c for _, c in pairs}))
        ).all()
        links = {(r[0], r[1]) for r in link_rows}
    return {"groups": groups, "campaigns": campaigns, "sparks": sparks, "posts": posts,
            "creators": creators, "auths": auths, "accounts": accounts, "links": links,
            "revisions": revisions}


def spend_by(session: Session, column: str, ids: set[str],
             days: set[date] | None) -> dict[tuple[str, date | None], int]:
    """Spend (micros) per (id, day) for ad groups or campaigns; days=None sums every day per id."""
    if not ids:
        return {}
    col = getattr(EngagementDaily, column)
    if days is None:
        rows = session.execute(
            select(col, func.sum(EngagementDaily.spend_micros)).where(among(session, col, ids))
            .group_by(col)
        ).all()
        return {(r[0], None): int(r[1] or 0) for r in rows}
    rows = session.execute(
        select(col, EngagementDaily.day, func.sum(EngagementDaily.spend_micros))
        .where(among(session, col, ids), among(session, EngagementDaily.day, days))
        .group_by(col, EngagementDaily.day)
    ).all()
    return {(r[0], r[1]): int(r[2] or 0) for r in rows}


def backdate(session: Session, model: type[Lifecycle], obj_id: str, created_at: datetime) -> None:
    """Place a creation time in the past: for loading demo data with history only."""
    session.execute(update(model).where(model.id == obj_id).values(created_at=created_at)
                    .execution_options(synchronize_session=False))


def live_posts_and_ads(session: Session) -> tuple[list[Post], list[Ad]]:
    """Every published post and every undeleted ad: what the traffic simulator drives."""
    posts = list(session.scalars(
        select(Post).where(Post.deleted_at.is_(None), Post.taken_down_at.is_(None),
                           Post.kind != "story").order_by(Post.created_at, Post.id)))
    ads = list(session.scalars(select(Ad).where(Ad.deleted_at.is_(None))
                               .order_by(Ad.created_at, Ad.id)))
    return posts, ads
