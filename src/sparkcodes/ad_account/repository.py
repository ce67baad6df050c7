from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparkcodes.models import AdAccount, LinkedIdentity


def add(session: Session, obj: object) -> None:
    session.add(obj)
    session.flush()


def by_id(session: Session, ad_account_id: str) -> AdAccount | None:
    return session.get(AdAccount, ad_account_id)


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
