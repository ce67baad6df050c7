from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sparkcodes.kit.sql import rowcount, shared_alias
from sparkcodes.models import Authorization, Creator, LinkedIdentity, Post, SparkPost


def add(session: Session, spark_post: SparkPost) -> None:
    session.add(spark_post)
    session.flush()


_ACTIVE = ("ad_account_id", "post_id", "identity_type", "authorization_id",
           "original_authorization_id", "bound_by_id", "bound_at")


@lru_cache(maxsize=2)
def _insert_active(dialect: str) -> Any:
    """The bind's insert, built once per dialect (values as parameters named b_<column>)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (insert(SparkPost)
            .values({name: bindparam(f"b_{name}", type_=SparkPost.__table__.c[name].type)
                     for name in _ACTIVE})
            .on_conflict_do_nothing(index_elements=[SparkPost.ad_account_id, SparkPost.post_id],
                                    index_where=SparkPost.unbound_at.is_(None))
            .returning(SparkPost))


def insert_active(session: Session, *, ad_account_id: str, post_id: str, identity_type: str,
                  authorization_id: str | None, original_authorization_id: str | None,
                  bound_by_id: str, bound_at: datetime) -> SparkPost | None:
    """Insert a live Spark post unless the post already has one in this ad account
    (``uq_spark_posts_active``): the new row, or None. No savepoint needed, as nothing fails."""
    values = {"ad_account_id": ad_account_id, "post_id": post_id, "identity_type": identity_type,
              "authorization_id": authorization_id,
              "original_authorization_id": original_authorization_id,
              "bound_by_id": bound_by_id, "bound_at": bound_at}
    return session.scalar(_insert_active(session.get_bind().dialect.name),
                          {f"b_{name}": value for name, value in values.items()})


def discard(session: Session, spark_post: SparkPost) -> None:
    """Delete a Spark post inserted by this transaction (never seen by anyone else)."""
    session.delete(spark_post)
    session.flush()


def by_id(session: Session, spark_post_id: str) -> SparkPost | None:
    return session.get(SparkPost, spark_post_id)


def active_for_post(session: Session, ad_account_id: str, post_id: str) -> SparkPost | None:
    return session.scalar(
        select(SparkPost).where(
            SparkPost.ad_account_id == ad_account_id,
            SparkPost.post_id == post_id,
            SparkPost.unbound_at.is_(None),
        )
    )


def active_for_authorization(session: Session, ad_account_id: str,
                             authorization_id: str) -> SparkPost | None:
    return session.scalar(select(SparkPost).where(
        SparkPost.ad_account_id == ad_account_id, SparkPost.authorization_id == authorization_id,
        SparkPost.unbound_at.is_(None)))


def count_active(session: Session, ad_account_id: str) -> int:
    return session.scalar(
        select(func.count()).select_from(SparkPost).where(
            SparkPost.ad_account_id == ad_account_id, SparkPost.unbound_at.is_(None)
        )
    ) or 0


def replace_code(session: Session, *, spark_post_id: str, old_authorization_id: str | None,
                 authorization_id: str, original_authorization_id: str | None,
                 now: datetime) -> SparkPost | None:
    """R14: swap the code under a live Spark post, if nobody swapped it meanwhile: the updated
    row (the session's object, refreshed from RETURNING), or None when refused."""
    return session.scalar(
        update(SparkPost)
        .where(SparkPost.id == spark_post_id, SparkPost.unbound_at.is_(None),
               SparkPost.authorization_id == old_authorization_id)
        .values(authorization_id=authorization_id,
                original_authorization_id=original_authorization_id, code_replaced_at=now)
        .returning(SparkPost)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


def unbind(session: Session, *, spark_post_id: str, user_id: str, now: datetime) -> bool:
    result = session.execute(
        update(SparkPost)
        .where(SparkPost.id == spark_post_id, SparkPost.unbound_at.is_(None))
        .values(unbound_at=now, unbound_by_id=user_id)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


OriginalAuth = shared_alias(Authorization)


Row = tuple[SparkPost, Post, Creator, Authorization | None, Authorization | None]
# The codes are outer-joined: a row may hold None for either.
_Listing = Select[SparkPost, Post, Creator, Authorization | None, Authorization | None]


def _listing_stmt(ad_account_id: str) -> _Listing:
    return (
        select(SparkPost, Post, Creator, Authorization, OriginalAuth)
        .join(Post, Post.id == SparkPost.post_id)
        .join(Creator, Creator.id == Post.creator_id)
        .outerjoin(Authorization, Authorization.id == SparkPost.authorization_id)
        .outerjoin(OriginalAuth, OriginalAuth.id == SparkPost.original_authorization_id)
        .where(SparkPost.ad_account_id == ad_account_id)
    )


def listing(session: Session, ad_account_id: str, *, include_unbound: bool, limit: int,
            offset: int) -> list[Row]:
    """An ad account's Spark posts with everything their status needs, in one query."""
    stmt = _listing_stmt(ad_account_id)
    if not include_unbound:
        stmt = stmt.where(SparkPost.unbound_at.is_(None))
    stmt = stmt.order_by(SparkPost.bound_at.desc(), SparkPost.id).limit(limit).offset(offset)
    return list(session.execute(stmt).all())  # each Row is a tuple of _Listing's types


def _authorized(ad_account_id: str, *, keyword: str | None, item_tiktok_id: int | None,
                creator_id: str | None) -> _Listing:
    stmt = _listing_stmt(ad_account_id).where(SparkPost.unbound_at.is_(None),
                                              SparkPost.identity_type == "AUTH_CODE")
    if item_tiktok_id is not None:
        stmt = stmt.where(Post.tiktok_id == item_tiktok_id)
    if creator_id is not None:
        stmt = stmt.where(Post.creator_id == creator_id)
    if keyword:
        escaped = keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.lower(Post.caption).like(f"%{escaped.lower()}%", escape="\\"))
    return stmt


def authorized(session: Session, ad_account_id: str, *, keyword: str | None = None,
               item_tiktok_id: int | None = None, creator_id: str | None = None, limit: int,
               offset: int) -> tuple[list[Row], int]:
    """The live code-bound (AUTH_CODE) Spark posts of an ad account, newest first, filtered by
    caption text, post or creator, with the total count: one page and one count query."""
    stmt = _authorized(ad_account_id, keyword=keyword, item_tiktok_id=item_tiktok_id,
                       creator_id=creator_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(SparkPost.bound_at.desc(), SparkPost.id)
                           .limit(limit).offset(offset)).all()
    return list(rows), total


def identities(session: Session, ad_account_id: str) -> list[tuple[Creator, str]]:
    """The creator identities an ad account can run Spark Ads from: creators of its live
    code-bound posts (AUTH_CODE) and its linked accounts (TT_USER), each once per type."""
    by_code = (select(Creator, func.min(SparkPost.bound_at).label("since"))
               .join(Post, Post.creator_id == Creator.id)
               .join(SparkPost, SparkPost.post_id == Post.id)
               .where(SparkPost.ad_account_id == ad_account_id, SparkPost.unbound_at.is_(None),
                      SparkPost.identity_type == "AUTH_CODE")
               .group_by(Creator.id))
    linked = (select(Creator, LinkedIdentity.linked_at)
              .join(LinkedIdentity, LinkedIdentity.creator_id == Creator.id)
              .where(LinkedIdentity.ad_account_id == ad_account_id,
                     LinkedIdentity.unlinked_at.is_(None)))
    out = [(row[0], "AUTH_CODE", row[1]) for row in session.execute(by_code)]
    out += [(row[0], "TT_USER", row[1]) for row in session.execute(linked)]
    out.sort(key=lambda item: (item[2], item[0].id, item[1]))
    return [(creator, kind) for creator, kind, _ in out]
