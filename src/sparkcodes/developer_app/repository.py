"""Every query about developer apps, their grants and the tokens exchanged for them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sparkcodes.kit.sql import rowcount
from sparkcodes.models import (
    AdAccount,
    ApiToken,
    AppGrant,
    AppGrantAdAccount,
    Business,
    BusinessMember,
    DeveloperApp,
)


def add(session: Session, *rows: object) -> None:
    session.add_all(rows)
    session.flush()


# --- apps ---------------------------------------------------------------------------------------

def app_of_owner(session: Session, developer_app_id: str, owner_id: str, *,
                 include_deleted: bool = False) -> DeveloperApp | None:
    app = session.get(DeveloperApp, developer_app_id)
    if app is None or app.owner_id != owner_id:
        return None
    if app.deleted_at is not None and not include_deleted:
        return None
    return app


def apps_of(session: Session, owner_id: str) -> list[DeveloperApp]:
    return list(session.scalars(
        select(DeveloperApp)
        .where(DeveloperApp.owner_id == owner_id, DeveloperApp.deleted_at.is_(None))
        .order_by(DeveloperApp.created_at, DeveloperApp.id)))


def live_app_by_app_id(session: Session, app_id: int) -> DeveloperApp | None:
    return session.scalar(select(DeveloperApp).where(DeveloperApp.app_id == app_id,
                                                     DeveloperApp.deleted_at.is_(None)))


def delete_app(session: Session, *, developer_app_id: str, now: datetime) -> bool:
    """Mark the app deleted unless it already is; True when this call did it."""
    result = session.execute(
        update(DeveloperApp)
        .where(DeveloperApp.id == developer_app_id, DeveloperApp.deleted_at.is_(None))
        .values(deleted_at=now)
        .execution_options(synchronize_session=False))
    return rowcount(result) == 1


def count_active_grants(session: Session, developer_app_id: str) -> int:
    return session.scalar(
        select(func.count()).select_from(AppGrant)
        .where(AppGrant.developer_app_id == developer_app_id, AppGrant.revoked_at.is_(None),
               AppGrant.auth_code_used_at.is_not(None))) or 0


# --- ad accounts a user may grant ---------------------------------------------------------------

def member_ad_accounts(session: Session, user_id: str) -> list[tuple[AdAccount, Business]]:
    """The ad accounts of every business the user is a member of (any role)."""
    rows = session.execute(
        select(AdAccount, Business)
        .join(Business, Business.id == AdAccount.business_id)
        .join(BusinessMember, BusinessMember.business_id == Business.id)
        .where(BusinessMember.user_id == user_id)
        .order_by(Business.name, Business.id, AdAccount.name, AdAccount.id)).all()
    return [(a, b) for a, b in rows]


def granted_ad_account_ids(session: Session, grant_id: str) -> list[str]:
    return list(session.scalars(select(AppGrantAdAccount.ad_account_id)
                                .where(AppGrantAdAccount.grant_id == grant_id)))


def granted_ad_accounts(session: Session, grant_ids: Iterable[str]
                        ) -> dict[str, list[AdAccount]]:
    """grant id -> its ad accounts (by name)."""
    ids = list(grant_ids)
    out: dict[str, list[AdAccount]] = {g: [] for g in ids}
    if not ids:
        return out
    rows = session.execute(
        select(AppGrantAdAccount.grant_id, AdAccount)
        .join(AdAccount, AdAccount.id == AppGrantAdAccount.ad_account_id)
        .where(AppGrantAdAccount.grant_id.in_(ids))
        .order_by(AdAccount.name, AdAccount.id)).all()
    for grant_id, account in rows:
        out[grant_id].append(account)
    return out


def granted_ad_accounts_still_reachable(session: Session, grant_id: str,
                                        user_id: str) -> list[AdAccount]:
    """The grant's ad accounts whose business the granting user is still a member of."""
    return list(session.scalars(
        select(AdAccount)
        .join(AppGrantAdAccount, AppGrantAdAccount.ad_account_id == AdAccount.id)
        .join(BusinessMember, (BusinessMember.business_id == AdAccount.business_id)
              & (BusinessMember.user_id == user_id))
        .where(AppGrantAdAccount.grant_id == grant_id)
        .order_by(AdAccount.name, AdAccount.id)))


# --- grants -------------------------------------------------------------------------------------

def grant_of_user(session: Session, grant_id: str, user_id: str) -> AppGrant | None:
    grant = session.get(AppGrant, grant_id)
    return grant if grant is not None and grant.user_id == user_id else None


def grants_of(session: Session, user_id: str) -> list[tuple[AppGrant, DeveloperApp]]:
    """The user's grants with their apps, newest first."""
    rows = session.execute(
        select(AppGrant, DeveloperApp)
        .join(DeveloperApp, DeveloperApp.id == AppGrant.developer_app_id)
        .where(AppGrant.user_id == user_id)
        .order_by(AppGrant.created_at.desc(), AppGrant.id)).all()
    return [(g, a) for g, a in rows]


def grant_with_app(session: Session, grant_id: str) -> tuple[AppGrant, DeveloperApp] | None:
    row = session.execute(
        select(AppGrant, DeveloperApp)
        .join(DeveloperApp, DeveloperApp.id == AppGrant.developer_app_id)
        .where(AppGrant.id == grant_id)).first()
    return (row[0], row[1]) if row else None


def grant_by_code(session: Session, developer_app_id: str, code_hash: str) -> AppGrant | None:
    return session.scalar(select(AppGrant).where(AppGrant.developer_app_id == developer_app_id,
                                                 AppGrant.auth_code_hash == code_hash))


def consume_auth_code(session: Session, *, developer_app_id: str, code_hash: str,
                      now: datetime) -> AppGrant | None:
    """Mark the auth_code used if it is this app's, unused, unexpired and its grant stands:
    the grant, or None. One winner however many exchanges race."""
    return session.scalar(
        update(AppGrant)
        .where(AppGrant.developer_app_id == developer_app_id,
               AppGrant.auth_code_hash == code_hash,
               AppGrant.auth_code_used_at.is_(None),
               AppGrant.auth_code_expires_at > now,
               AppGrant.revoked_at.is_(None))
        .values(auth_code_used_at=now)
        .returning(AppGrant)
        .execution_options(synchronize_session=False, populate_existing=True))


def revoke_grants(session: Session, *, grant_ids: list[str] | None = None,
                  developer_app_id: str | None = None, user_id: str | None,
                  now: datetime) -> list[str]:
    """Revoke the named grants (or every grant of an app) not revoked yet: the ids revoked."""
    stmt = update(AppGrant).where(AppGrant.revoked_at.is_(None))
    if grant_ids is not None:
        stmt = stmt.where(AppGrant.id.in_(grant_ids))
    if developer_app_id is not None:
        stmt = stmt.where(AppGrant.developer_app_id == developer_app_id)
    return list(session.scalars(
        stmt.values(revoked_at=now, revoked_by_id=user_id)
        .returning(AppGrant.id)
        .execution_options(synchronize_session=False)))


# --- tokens -------------------------------------------------------------------------------------

def revoke_tokens(session: Session, *, grant_ids: list[str] | None = None,
                  developer_app_id: str | None = None, now: datetime) -> int:
    """Revoke the live tokens of the grants (or of every grant of an app): how many."""
    stmt = update(ApiToken).where(ApiToken.revoked_at.is_(None))
    if grant_ids is not None:
        stmt = stmt.where(ApiToken.app_grant_id.in_(grant_ids))
    if developer_app_id is not None:
        stmt = stmt.where(ApiToken.developer_app_id == developer_app_id)
    result = session.execute(stmt.values(revoked_at=now)
                             .execution_options(synchronize_session=False))
    return rowcount(result)
