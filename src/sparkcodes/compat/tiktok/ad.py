"""Spark Ads (§4): create, update, get and status/update over the ads services. A creative names
its post as TikTok does (identity_type, identity_id, tiktok_item_id); the post must be a Spark
post of the advertiser, bound with tt_video/authorize or linked (TT_USER)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from sparkcodes.ad import rules as ad_rules
from sparkcodes.ad import service as ad_service
from sparkcodes.compat.tiktok import codes, containers, routing, shapes, status
from sparkcodes.compat.tiktok.auth import Caller, CallerDep
from sparkcodes.compat.tiktok.envelope import TikTokError, ok
from sparkcodes.compat.tiktok.params import Params, bad
from sparkcodes.creator import service as creator_service
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Ad, AdAccount, AdGroup, Creator, SparkPost
from sparkcodes.post import service as post_service
from sparkcodes.spark_post import service as spark_post_service

router = routing.router()

SPARK_IDENTITIES = ("AUTH_CODE", "TT_USER")
MAX_CREATIVES = 20


def ad_object(account: AdAccount, view: ad_service.AdView, creator: Creator) -> dict[str, Any]:
    ad, post = view.ad, view.post
    return {
        "ad_id": str(ad.tiktok_id),
        "ad_name": ad.name,
        "adgroup_id": str(view.group.tiktok_id),
        "adgroup_name": view.group.name,
        "campaign_id": str(view.campaign.tiktok_id),
        "campaign_name": view.campaign.name,
        "advertiser_id": str(account.tiktok_id),
        "identity_type": ad.identity_type,
        "identity_id": str(creator.tiktok_id),
        "identity_authorized_bc_id": None,
        "tiktok_item_id": str(post.tiktok_id),
        "ad_format": "SINGLE_VIDEO",
        "ad_text": post.caption,
        "call_to_action": ad.call_to_action,
        "call_to_action_id": None,
        "landing_page_url": ad.landing_page_url,
        "dark_post_status": "ON" if ad.ads_only else "OFF",
        "operation_status": status.operation_status(ad),
        "secondary_status": status.ad_secondary(view),
        # sparkcodes' own words for why an ad does not deliver; clients ignore unknown keys.
        "delivery_reasons": [r.value for r in view.delivery.reasons],
        "is_aco": False,
        "is_new_structure": True,
        "creative_authorized": False,
        "video_id": None,
        "image_ids": [],
        "create_time": shapes.tiktok_time(ad.created_at),
        "modify_time": shapes.tiktok_time(status.modify_time(ad)),
    }


def _objects(caller: Caller, account: AdAccount, ads: list[Ad]) -> list[dict[str, Any]]:
    views = ad_service.deliveries(caller.session, ads, utc_now())
    creators = creator_service.by_ids(caller.session, ids={v.ad.creator_id for v in views})
    return [ad_object(account, v, creators[v.ad.creator_id]) for v in views]


def _spark_post(caller: Caller, account: AdAccount, creative: Params, index: int) -> SparkPost:
    """The advertiser's Spark post a creative names, checked against its identity."""
    where = f"creatives[{index}]"
    kind = creative.string("identity_type", required=True, max_length=32)
    if kind not in SPARK_IDENTITIES:
        raise bad(f"{where}.identity_type: Spark Ads use AUTH_CODE (a post authorized with a "
                  f"code) or TT_USER (your linked account); '{kind}' was sent.")
    identity_id = creative.id("identity_id", required=True)
    item_id = creative.id("tiktok_item_id", required=True)
    if creative.string("ad_format", default="SINGLE_VIDEO", max_length=32) != "SINGLE_VIDEO":
        raise bad(f"{where}.ad_format: a Spark Ad of a video post is SINGLE_VIDEO.")
    if creative.has("video_id") or creative.array("image_ids"):
        raise bad(f"{where}: a Spark Ad pulls the post itself; leave out video_id and "
                  "image_ids.")
    if creative.has("ad_text"):
        raise ad_rules.CAPTION_LOCKED
    post = post_service.by_tiktok_id(caller.session, tiktok_id=int(item_id or 0))
    spark = (spark_post_service.active_for_post(caller.session, account=account, post=post)
             if post is not None else None)
    if post is None or spark is None or spark.identity_type != kind:
        raise TikTokError(codes.PARAM_ERROR,
                          f"{where}.tiktok_item_id: the post {item_id} is not authorized to this "
                          f"advertiser as {kind}; apply its code with tt_video/authorize first.")
    creator = creator_service.by_id(caller.session, creator_id=post.creator_id)
    if creator is None or str(creator.tiktok_id) != identity_id:
        raise bad(f"{where}.identity_id: {identity_id} is not the identity of the post "
                  f"{item_id}; use user_info.identity_id from tt_video/info or tt_video/list.")
    return spark


def _creatives(p: Params) -> list[Params]:
    raw = p.array("creatives", required=True, max_items=10_000, item=dict) or []
    if len(raw) > MAX_CREATIVES:
        raise TikTokError(codes.TOO_MANY_IDS, f"creatives may hold at most {MAX_CREATIVES} "
                          f"creatives; {len(raw)} were sent.")
    if not raw:
        raise bad(f"creatives must hold 1 to {MAX_CREATIVES} creatives.")
    return [Params(c, from_query=False) for c in raw]


@router.post("/ad/create/", summary="Create Spark Ads")
def ad_create(caller: CallerDep) -> JSONResponse:
    """One ad per creative (1–20) in `adgroup_id`; all are created or none. A creative names
    `identity_type` AUTH_CODE or TT_USER, `identity_id`, `tiktok_item_id`, `call_to_action`
    and `landing_page_url`; the caption is the post's, so `ad_text` is refused.
    `dark_post_status` defaults to ON (ads only), as on TikTok since 2026-01-27."""
    p = caller.params
    account = caller.advertiser("operate")
    group = containers.one(caller.session, AdGroup, account, p.id("adgroup_id", required=True)
                           or "")
    ads = []
    for index, creative in enumerate(_creatives(p)):
        spark = _spark_post(caller, account, creative, index)
        if creative.has("call_to_action_id"):
            raise bad(f"creatives[{index}]: call_to_action_id (dynamic CTAs) is not supported; "
                      "send call_to_action.")
        ads.append(ad_service.create_ad(
            caller.session, settings=caller.settings, user=caller.user, account=account,
            group=group, spark_post_id=spark.id,
            name=creative.string("ad_name", default="", max_length=512, single_line=True) or "",
            call_to_action=creative.string("call_to_action", required=True, max_length=40) or "",
            landing_page_url=creative.string("landing_page_url", required=True,
                                             max_length=2000) or "",
            ads_only=creative.choice("dark_post_status", ("ON", "OFF"), default="ON") == "ON"))
    objects = _objects(caller, account, ads)
    return ok({"ad_ids": [o["ad_id"] for o in objects], "need_audit": False,
               "creatives": objects})


@router.post("/ad/update/", summary="Update Spark Ads")
def ad_update(caller: CallerDep) -> JSONResponse:
    """Each creative names its `ad_id`; `ad_name`, `call_to_action` and `landing_page_url` can
    change. The post, identity and caption of a Spark Ad cannot."""
    p = caller.params
    account = caller.advertiser("operate")
    ads = []
    for index, creative in enumerate(_creatives(p)):
        ad = containers.one(caller.session, Ad, account,
                            creative.id("ad_id", required=True) or "")
        if creative.has("ad_text"):
            raise ad_rules.CAPTION_LOCKED
        current = _post_and_identity(caller, ad)
        for name in ("tiktok_item_id", "identity_id"):
            given = creative.id(name)
            if given is not None and given != current[name]:
                raise bad(f"creatives[{index}].{name}: the post and identity of an ad cannot "
                          "change; create a new ad.")
        changes: dict[str, Any] = {}
        for key, field in (("ad_name", "name"), ("call_to_action", "call_to_action"),
                           ("landing_page_url", "landing_page_url")):
            if creative.has(key):
                changes[field] = creative.string(key, max_length=2000 if "url" in key else 512)
        ad_service.edit_ad(caller.session, user=caller.user, account=account, ad=ad,
                           changes=changes)
        ads.append(ad)
    objects = _objects(caller, account, ads)
    return ok({"ad_ids": [o["ad_id"] for o in objects], "creatives": objects})


def _post_and_identity(caller: Caller, ad: Ad) -> dict[str, str]:
    post = post_service.by_id(caller.session, post_id=ad.post_id)
    creator = creator_service.by_id(caller.session, creator_id=ad.creator_id)
    assert post is not None and creator is not None
    return {"tiktok_item_id": str(post.tiktok_id), "identity_id": str(creator.tiktok_id)}


@router.get("/ad/get/", summary="Get ads")
def ad_get(caller: CallerDep) -> JSONResponse:
    """`filtering` {ad_ids, adgroup_ids, campaign_ids, primary_status (STATUS_NOT_DELETE,
    STATUS_DELETE, STATUS_ALL)}; `fields`; `page`, `page_size` (1–1000, default 10). Each ad
    carries `secondary_status` and sparkcodes' `delivery_reasons`."""
    account = caller.advertiser("read")
    found = containers.listing(caller, Ad, account)
    return ok({"list": containers.pick(_objects(caller, account, found.rows), found.fields),
               "page_info": shapes.page_info(found.page, found.page_size, found.total)})


@router.post("/ad/status/update/", summary="Enable, pause or delete ads")
def ad_status_update(caller: CallerDep) -> JSONResponse:
    """`ad_ids` (1–20) and `operation_status` ENABLE, DISABLE or DELETE; a deleted ad cannot
    change again."""
    account = caller.advertiser("operate")
    data = containers.status_update(caller, Ad, account)
    data["aco_ad_ids"] = []
    return ok(data)
