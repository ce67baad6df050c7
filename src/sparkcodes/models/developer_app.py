"""Developer apps of the TikTok-compatible surface, the grants users give them, and the ad
accounts each grant covers (docs/tiktok.md, "Who calls")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column, tiktok_id_column


class DeveloperApp(Base):
    """An app registered by a developer: ``app_id`` is public, the secret is kept only as a keyed
    hash (shown once, at registration and at each rotation)."""

    __tablename__ = "developer_apps"

    id: Mapped[str] = id_column()
    app_id: Mapped[int] = tiktok_id_column()  # TikTok's app_id: 19 digits, sent as a string
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    secret_hash: Mapped[str] = mapped_column(String(64))
    secret_hint: Mapped[str] = mapped_column(String(8))
    redirect_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = created_at_column()
    secret_rotated_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class AppGrant(Base):
    """One authorization: a user lets an app act on some of their ad accounts. It carries the
    one-time ``auth_code`` (keyed hash) the app exchanges for a token at most once."""

    __tablename__ = "app_grants"

    id: Mapped[str] = id_column()
    developer_app_id: Mapped[str] = mapped_column(ForeignKey("developer_apps.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    auth_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    auth_code_expires_at: Mapped[datetime]
    auth_code_used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))


class AppGrantAdAccount(Base):
    """An ad account covered by a grant."""

    __tablename__ = "app_grant_ad_accounts"

    grant_id: Mapped[str] = mapped_column(ForeignKey("app_grants.id"), primary_key=True)
    ad_account_id: Mapped[str] = mapped_column(ForeignKey("ad_accounts.id"), primary_key=True,
                                               index=True)
