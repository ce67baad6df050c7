from __future__ import annotations

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, select, update
from sqlalchemy.orm import Session

from sparkcodes.models import AdAccount, Business, BusinessMember, Creator, LinkedIdentity


def add(session: Session, obj: object) -> None:
    session.add(obj)
    session.flush()


def by_id(session: Session, ad_account_id: str) -> AdAccount | None:
    return session.get(AdAccount, ad_account_id)


# R18's check of every bind, built once.
_TAKE_PLACE = (
    update(AdAccount)
    .where(AdAccount.id == bindparam("ad_account_id"),
           AdAccount.active_spark_posts < bindparam("limit", type_=Integer()))
    .values(active_spark_posts=AdAccount.active_spark_posts + 1)
    .returning(AdAccount.active_spark_posts)
    .execution_options(synchronize_session=False)
)


def take_place(session: Session, ad_account_id: str, *, limit: int) -> int | None:
    """R18: count one more live Spark post in the ad account if it has room (the WHERE clause
    is authorization.rules.has_room): the new count, or None when it is full. The row stays
    locked until commit, so racing binds cannot both take the last place."""
    return session.scalar(_TAKE_PLACE, {"ad_account_id": ad_account_id, "limit": limit})


def free_places(session: Session, ad_account_id: str, n: int = 1) -> None:
    """``n`` live Spark posts of the ad account were unbound (or never made it)."""
    add_places(session, ad_account_id, -n)


def add_places(session: Session, ad_account_id: str, n: int) -> None:
    """``n`` more (or, negative, fewer) live Spark posts in the ad account, without the cap:
    for Spark posts TikTok holds (the mirror follows TikTok, whose own cap applies there)."""
    session.execute(
        update(AdAccount).where(AdAccount.id == ad_account_id)
        .values(active_spark_posts=AdAccount.active_spark_posts + n)
        .execution_options(synchronize_session=False))


def places_taken(session: Session, ad_account_id: str) -> int:
    """How many live Spark posts the ad account holds, by its counter."""
    return session.scalar(select(AdAccount.active_spark_posts)
                          .where(AdAccount.id == ad_account_id)) or 0


def _with_membership(where: ColumnElement[bool]) -> Select[AdAccount, Business, str]:
    return (select(AdAccount, Business, BusinessMember.role)
            .outerjoin(Business, Business.id == AdAccount.business_id)
            .outerjoin(BusinessMember,
                       and_(BusinessMember.business_id == AdAccount.business_id,
                            BusinessMember.user_id == bindparam("user_id")))
            .where(where))


# Every request on an ad account's routes checks access with one of these: built once.
_BY_ID = _with_membership(AdAccount.id == bindparam("ad_account_id"))
_BY_TIKTOK_ID = _with_membership(AdAccount.tiktok_id == bindparam("tiktok_id"))


def with_membership(session: Session, ad_account_id: str | None, user_id: str, *,
                    tiktok_id: int | None = None
                    ) -> tuple[AdAccount, Business | None, str | None] | None:
    """The ad account (by id, or by TikTok id), its business and the user's role there (None if
    not a member), at once."""
    if tiktok_id is None:
        row = session.execute(_BY_ID, {"ad_account_id": ad_account_id,
                                       "user_id": user_id}).first()
    else:
        row = session.execute(_BY_TIKTOK_ID, {"tiktok_id": tiktok_id,
                                              "user_id": user_id}).first()
    return (row[0], row[1], row[2]) if row else None


def lock(session: Session, ad_account_id: str) -> None:
    """Serialize writers of one ad account on PostgreSQL (SQLite writers are serial already)."""
    session.execute(select(AdAccount.id).where(AdAccount.id == ad_account_id).with_for_update())


def linked_identity(session: Session, ad_account_id: str, creator_id: str) -> LinkedIdentity | None:
    return session.scalar(
        select(LinkedIdentity).where(
            LinkedIdentity.ad_account_id == ad_account_id,
            LinkedIdentity.creator_id == creator_id,
            LinkedIdentity.unlinked_at.is_(None),
        )
    )


def linked_identities(session: Session, ad_account_id: str) -> list[LinkedIdentity]:
    return list(
        session.scalars(
            select(LinkedIdentity)
            .where(LinkedIdentity.ad_account_id == ad_account_id,
                   LinkedIdentity.unlinked_at.is_(None))
            .order_by(LinkedIdentity.linked_at)
        )
    )


def linked_identities_with_creators(session: Session,
                                    ad_account_id: str) -> list[tuple[LinkedIdentity, Creator]]:
    rows = session.execute(
        select(LinkedIdentity, Creator)
        .join(Creator, Creator.id == LinkedIdentity.creator_id)
        .where(LinkedIdentity.ad_account_id == ad_account_id,
               LinkedIdentity.unlinked_at.is_(None))
        .order_by(LinkedIdentity.linked_at)
    ).all()
    return [(link, creator) for link, creator in rows]
