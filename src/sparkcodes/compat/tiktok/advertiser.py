"""Advertisers (ad accounts) as TikTok shows them."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from sparkcodes.compat.tiktok import routing
from sparkcodes.compat.tiktok.auth import CallerDep
from sparkcodes.compat.tiktok.envelope import ok
from sparkcodes.models import User

router = routing.router()

@router.get("/advertiser/info/", summary="Get advertisers' details")
def advertiser_info(caller: CallerDep) -> JSONResponse:
    """Up to 100 advertisers (`advertiser_ids`, a JSON array of ids) the token may read."""
    ids = caller.params.id_array("advertiser_ids", required=True, max_items=100) or []
    out = []
    for advertiser_id in ids:
        account = caller.advertiser("read", value=advertiser_id)
        out.append({
            "advertiser_id": str(account.tiktok_id),
            "name": account.name,
            "company": None,
            "status": "STATUS_ENABLE",
            "role": "ROLE_ADVERTISER",
            "country": account.region,
            "currency": account.currency,
            "timezone": account.timezone,
            "display_timezone": account.timezone,
            "create_time": int(account.created_at.timestamp()),  # Unix seconds, as TikTok
            "balance": None,
        })
    return ok({"list": out})


@router.get("/user/info/", summary="Get the token's user")
def user_info(caller: CallerDep) -> JSONResponse:
    """Who the access token belongs to; clients call it first to check a token."""
    return ok(_user(caller.user))


# The Singer tap (and TikTok's own examples) call this one path without its trailing slash, and
# TikTok serves it: so does sparkcodes, for this path only.
router.add_api_route("/user/info", user_info, methods=["GET"], include_in_schema=False)


def _user(user: User) -> dict[str, Any]:
    return {"display_name": user.name or user.email, "email": user.email,
            "create_time": int(user.created_at.timestamp())}
