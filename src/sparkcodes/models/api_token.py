from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sparkcodes.models.base import Base, created_at_column, id_column


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    # "api" (log-in, CLI) or "session" (a page's cookie, which also ends when idle).
    kind: Mapped[str] = mapped_column(String(16), default="api", server_default="api")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # When a session was last used, updated at most once a minute (user.rules.needs_touch).
    last_used_at: Mapped[datetime | None]
    # Set on a token a developer app exchanged for an auth_code: it works only on /open_api/v1.3,
    # on the ad accounts of its grant (developer_app.service.advertiser_scope).
    developer_app_id: Mapped[str | None] = mapped_column(ForeignKey("developer_apps.id"),
                                                         index=True)
    app_grant_id: Mapped[str | None] = mapped_column(ForeignKey("app_grants.id"), unique=True)
