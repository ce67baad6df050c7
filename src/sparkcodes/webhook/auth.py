"""Who may act on a webhook endpoint named in the path: typed dependencies for routes and pages.

``WebhookRead`` (any member of its business), ``WebhookAdmin`` (admins) and
``WebhookAdminWithDeleted`` (admins; a deleted endpoint too, so that deleting twice is harmless)
resolve ``{endpoint_id}`` with its business and the caller's role there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from sparkcodes.deps import CallerDep, SessionDep
from sparkcodes.models import Business, User, WebhookEndpoint
from sparkcodes.webhook import service


@dataclass(frozen=True)
class WebhookAccess:
    endpoint: WebhookEndpoint
    business: Business
    role: str
    user: User


def _endpoint(action: str, *, include_deleted: bool = False) -> Callable[..., WebhookAccess]:
    def dependency(endpoint_id: str, user: CallerDep, session: SessionDep) -> WebhookAccess:
        endpoint, business, role = service.access(session, user=user, endpoint_id=endpoint_id,
                                                  action=action, include_deleted=include_deleted)
        return WebhookAccess(endpoint, business, role, user)

    return dependency


WebhookRead = Annotated[WebhookAccess, Depends(_endpoint("read"))]
WebhookAdmin = Annotated[WebhookAccess, Depends(_endpoint("admin"))]
WebhookAdminWithDeleted = Annotated[WebhookAccess,
                                    Depends(_endpoint("admin", include_deleted=True))]
