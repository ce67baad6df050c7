from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from sparkcodes.models import Authorization, Creator, Post, SparkPost


def add(session: Session, spark_post: SparkPost) -> None:
    session.add(spark_post)
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
                 authorization_id: str, original_authorization_id: str | None, now) -> bool:  # type: ignore[no-untyped-def]
    """R14: swap the code under a live Spark post, if nobody swapped it meanwhile."""
    result = session.execute(
        update(SparkPost)
        .where(SparkPost.id == spark_post_id, SparkPost.unbound_at.is_(None),
               SparkPost.authorization_id == old_authorization_id)
        .values(authorization_id=authorization_id,
                original_authorization_id=original_authorization_id, code_replaced_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def unbind(session: Session, *, spark_post_id: str, user_id: str, now) -> bool:  # type: ignore[no-untyped-def]
    result = session.execute(
        update(SparkPost)
        .where(SparkPost.id == spark_post_id, SparkPost.unbound_at.is_(None))
        .values(unbound_at=now, unbound_by_id=user_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


OriginalAuth = aliased(Authorization)


def listing(session: Session, ad_account_id: str, *, include_unbound: bool, limit: int,
            offset: int) -> list[tuple[SparkPost, Post, Creator, Authorization | None,
                                       Authorization | None]]:
    """An ad account's Spark posts with everything their status needs, in one query."""
    stmt = (
        select(SparkPost, Post, Creator, Authorization, OriginalAuth)
        .join(Post, Post.id == SparkPost.post_id)
        .join(Creator, Creator.id == Post.creator_id)
        .outerjoin(Authorization, Authorization.id == SparkPost.authorization_id)
        .outerjoin(OriginalAuth, OriginalAuth.id == SparkPost.original_authorization_id)
        .where(SparkPost.ad_account_id == ad_account_id)
    )
    if not include_unbound:
        stmt = stmt.where(SparkPost.unbound_at.is_(None))
    stmt = stmt.order_by(SparkPost.bound_at.desc(), SparkPost.id).limit(limit).offset(offset)
    return [tuple(row) for row in session.execute(stmt).all()]  # type: ignore[misc]
