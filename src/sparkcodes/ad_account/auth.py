"""Who may act on an ad account named in the path: typed dependencies for routes and pages.

``AdAccountRead`` (analysts and up), ``AdAccountOperate`` (operators: preview, bind, ads) and
``AdAccountAdmin`` resolve ``{ad_account_id}`` for the signed-in caller (bearer token on ``/v1``,
session cookie on pages) in one query: non-members get NotFound, members whose role is too low
get Forbidden. ``AdAccountOperateThrough`` also lets a route that writes through TikTok
(``ports.AdActions``) act on a mirrored account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from sparkcodes.ad_account import service
from sparkcodes.deps import CallerDep, SessionDep
from sparkcodes.models import AdAccount, Business, User


@dataclass(frozen=True)
class AdAccountAccess:
    account: AdAccount
    business: Business
    role: str
    user: User


def _ad_account(action: str, through_tiktok: bool = False) -> Callable[..., AdAccountAccess]:
    def dependency(ad_account_id: str, user: CallerDep, session: SessionDep) -> AdAccountAccess:
        account, business, role = service.access(session, user=user,
                                                 ad_account_id=ad_account_id, action=action,
                                                 through_tiktok=through_tiktok)
        return AdAccountAccess(account, business, role, user)

    dependency.__name__ = f"ad_account_{action}{'_through_tiktok' * through_tiktok}"
    return dependency


AdAccountRead = Annotated[AdAccountAccess, Depends(_ad_account("read"))]
AdAccountOperate = Annotated[AdAccountAccess, Depends(_ad_account("operate"))]
# Operate, on a mirrored account too: the route makes its change on TikTok (ports.AdActions).
AdAccountOperateThrough = Annotated[AdAccountAccess, Depends(_ad_account("operate", True))]
AdAccountAdmin = Annotated[AdAccountAccess, Depends(_ad_account("admin"))]
