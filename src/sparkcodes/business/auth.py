"""Who may act on a business named in the path: typed dependencies for routes and pages.

``BusinessRead``, ``BusinessOperate`` and ``BusinessAdmin`` resolve ``{business_id}`` for the
signed-in caller (bearer token on ``/v1``, session cookie on pages): non-members get NotFound,
members whose role is too low get Forbidden (``business.rules.check``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from sparkcodes.business import service
from sparkcodes.deps import CallerDep, SessionDep
from sparkcodes.models import Business, User


@dataclass(frozen=True)
class BusinessAccess:
    business: Business
    role: str
    user: User


def _business(action: str) -> Callable[..., BusinessAccess]:
    def dependency(business_id: str, user: CallerDep, session: SessionDep) -> BusinessAccess:
        business, role = service.access(session, user=user, business_id=business_id,
                                        action=action)
        return BusinessAccess(business, role, user)

    dependency.__name__ = f"business_{action}"
    return dependency


BusinessRead = Annotated[BusinessAccess, Depends(_business("read"))]
BusinessOperate = Annotated[BusinessAccess, Depends(_business("operate"))]
BusinessAdmin = Annotated[BusinessAccess, Depends(_business("admin"))]
