"""What campaigns, ad groups and ads share on the surface: finding them by TikTok id within the
advertiser, get's filtering, fields and paging, and status/update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad import service as ad_service
from sparkcodes.compat.tiktok import codes
from sparkcodes.compat.tiktok.auth import Caller
from sparkcodes.compat.tiktok.envelope import TikTokError
from sparkcodes.compat.tiktok.params import Params, bad
from sparkcodes.models import Ad, AdAccount, AdGroup, Campaign

Lifecycle = Campaign | AdGroup | Ad
L = TypeVar("L", Campaign, AdGroup, Ad)
NOUN: dict[type[Lifecycle], str] = {Campaign: "campaign", AdGroup: "adgroup", Ad: "ad"}
OPERATIONS = ("ENABLE", "DISABLE", "DELETE")

# primary_status filter (§5.9) -> which rows: False live only, True deleted only, None all.
PRIMARY_STATUS = {"STATUS_NOT_DELETE": False, "STATUS_DELETE": True, "STATUS_ALL": None}


def _found(session: Session, model: type[L], account: AdAccount,
           tiktok_ids: list[int]) -> dict[int, L]:
    """The advertiser's objects of one level by TikTok id, typed as that level."""
    found = ad_service.by_tiktok_ids(session, model=model, account=account, tiktok_ids=tiktok_ids)
    return {tiktok_id: obj for tiktok_id, obj in found.items() if isinstance(obj, model)}


def one(session: Session, model: type[L], account: AdAccount, tiktok_id: str) -> L:
    """The advertiser's object by TikTok id; 40007 "The ad {id} does not exist." otherwise."""
    found = _found(session, model, account, [int(tiktok_id)])
    obj = found.get(int(tiktok_id))
    if obj is None:
        raise TikTokError(codes.NOT_FOUND, f"The {NOUN[model]} {tiktok_id} does not exist.")
    return obj


def many(session: Session, model: type[L], account: AdAccount, tiktok_ids: list[str]) -> list[L]:
    found = _found(session, model, account, [int(i) for i in tiktok_ids])
    for tiktok_id in tiktok_ids:
        if int(tiktok_id) not in found:
            raise TikTokError(codes.NOT_FOUND, f"The {NOUN[model]} {tiktok_id} does not exist.")
    return [found[int(i)] for i in dict.fromkeys(tiktok_ids)]


def uuids(session: Session, model: type[Lifecycle], account: AdAccount,
          tiktok_ids: list[str] | None) -> list[str] | None:
    """TikTok ids of a filter as sparkcodes ids; unknown ones simply match nothing."""
    if tiktok_ids is None:
        return None
    found = ad_service.by_tiktok_ids(session, model=model, account=account,
                                     tiktok_ids=[int(i) for i in tiktok_ids])
    return [obj.id for obj in found.values()]


def page_params(p: Params, *, default_size: int = 10) -> tuple[int, int]:
    page = p.integer("page", default=1, low=1, high=1_000_000)
    page_size = p.integer("page_size", default=default_size, low=1, high=1000)
    return page, page_size


def primary_status(filtering: Params) -> bool | None:
    value = filtering.string("primary_status", max_length=64) or "STATUS_NOT_DELETE"
    if value not in PRIMARY_STATUS:
        raise bad(f"filtering.primary_status: sparkcodes filters by "
                  f"{', '.join(PRIMARY_STATUS)}; '{value}' was sent.")
    return PRIMARY_STATUS[value]


def pick(objects: list[dict[str, Any]], fields: list[str] | None) -> list[dict[str, Any]]:
    """Only the `fields` asked for, as TikTok answers; unknown names are ignored."""
    if not fields:
        return objects
    return [{k: v for k, v in obj.items() if k in fields} for obj in objects]


def status_update(caller: Caller, model: type[L], account: AdAccount) -> dict[str, Any]:
    """ENABLE, DISABLE or DELETE 1–20 objects at once; all or none change."""
    noun = NOUN[model]
    ids = caller.params.id_array(f"{noun}_ids", required=True, max_items=20) or []
    if not ids:
        raise bad(f"{noun}_ids must name 1 to 20 ids.")
    operation = caller.params.choice("operation_status", OPERATIONS, required=True)
    for obj in many(caller.session, model, account, ids):
        try:
            ad_service.set_operation(caller.session, user=caller.user, account=account, obj=obj,
                                     operation=operation or "")
        except errors.Gone as exc:
            raise TikTokError(codes.PARAM_ERROR,
                              f"The {noun} {obj.tiktok_id} is deleted and cannot change "
                              f"({exc.message})") from None
    return {f"{noun}_ids": list(dict.fromkeys(ids)), "status": operation}


@dataclass
class Listing(Generic[L]):
    """One page of */get/: the rows, the total, and what the caller asked for."""

    rows: list[L]
    total: int
    page: int
    page_size: int
    fields: list[str] | None


# The id filters each level's get/ reads: campaigns by campaign, ad groups also by ad group, ads
# also by ad.
_FILTERS: dict[type[Lifecycle], tuple[type[Lifecycle], ...]] = {
    Campaign: (Campaign,), AdGroup: (AdGroup, Campaign), Ad: (Ad, AdGroup, Campaign)}


def listing(caller: Caller, model: type[L], account: AdAccount) -> Listing[L]:
    """`filtering` {<level>_ids…, primary_status}, `fields`, `page` and `page_size` (1–1000,
    default 10), read and applied the same way at every level, paged in SQL."""
    p = caller.params
    filtering = p.object("filtering")
    ids = {level: uuids(caller.session, level, account,
                        filtering.id_array(f"{NOUN[level]}_ids", max_items=100))
           for level in _FILTERS[model]}
    deleted = primary_status(filtering)
    page, page_size = page_params(p)
    fields = p.array("fields", max_items=200)
    rows, total = ad_service.page_of(
        caller.session, model=model, account=account, ids=ids.get(model),
        campaign_ids=ids.get(Campaign) if model is not Campaign else None,
        ad_group_ids=ids.get(AdGroup) if model is Ad else None, deleted=deleted,
        limit=page_size, offset=(page - 1) * page_size)
    return Listing([row for row in rows if isinstance(row, model)], total, page, page_size,
                   fields)
