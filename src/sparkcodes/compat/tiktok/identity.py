"""Identities (§3): the creator accounts an advertiser can run Spark Ads from, and their posts."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from sparkcodes import errors
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.compat.tiktok import routing, shapes
from sparkcodes.compat.tiktok.auth import Caller, CallerDep
from sparkcodes.compat.tiktok.envelope import ok
from sparkcodes.compat.tiktok.params import bad
from sparkcodes.creator import service as creator_service
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount, Creator, Post
from sparkcodes.post import service as post_service
from sparkcodes.spark_post import rules as spark_rules
from sparkcodes.spark_post import service as spark_post_service
from sparkcodes.values import hint_display

router = routing.router()

IDENTITY_TYPES = ("CUSTOMIZED_USER", "AUTH_CODE", "TT_USER", "BC_AUTH_TT")
SPARK_TYPES = ("AUTH_CODE", "TT_USER", "BC_AUTH_TT")


@router.get("/identity/get/", summary="List the identities of an advertiser")
def identity_get(caller: CallerDep) -> JSONResponse:
    """AUTH_CODE identities (creators whose posts the advertiser applied codes for) and TT_USER
    identities (the business's own linked accounts). sparkcodes has no custom or Business
    Center identities, so those types list nothing."""
    p = caller.params
    account = caller.advertiser("read")
    kind = p.choice("identity_type", IDENTITY_TYPES)
    if kind == "BC_AUTH_TT":
        p.id("identity_authorized_bc_id", required=True)
    page = p.integer("page", default=1, low=1, high=1_000_000)
    page_size = p.integer("page_size", default=20, low=1, high=100)
    keyword = (p.object("filtering").string("keyword", max_length=500) or "").lower()
    found = [(c, t) for c, t in spark_post_service.identities(caller.session, account=account)
             if kind is None or t == kind]
    if keyword:
        found = [(c, t) for c, t in found
                 if keyword in c.handle.lower() or keyword in (c.display_name or "").lower()]
    start = (page - 1) * page_size
    return ok({"identity_list": [shapes.identity(c, t) for c, t in found[start:start + page_size]],
               "page_info": shapes.page_info(page, page_size, len(found))})


def _identity(caller: Caller, account: AdAccount) -> tuple[Creator, str]:
    """The identity named by identity_type and identity_id, if the advertiser can use it."""
    p = caller.params
    kind = p.choice("identity_type", SPARK_TYPES, required=True)
    identity_id = p.id("identity_id", required=True)
    assert kind is not None and identity_id is not None
    if kind == "BC_AUTH_TT":
        p.id("identity_authorized_bc_id", required=True)
    creator = creator_service.by_tiktok_id(caller.session, tiktok_id=int(identity_id))
    usable = creator is not None and (
        (kind == "AUTH_CODE" and any(c.id == creator.id and t == "AUTH_CODE" for c, t in
                                     spark_post_service.identities(caller.session,
                                                                   account=account)))
        or (kind == "TT_USER" and any(c.id == creator.id for _, c in
                                      ad_account_service.identities(caller.session,
                                                                    account=account))))
    if not usable:
        raise errors.NotFound(f"The identity {identity_id} ({kind}) does not exist in this "
                              "advertiser.")
    assert creator is not None
    return creator, kind


def _detail(caller: Caller, account: AdAccount, creator: Creator, kind: str,
            post: Post) -> dict[str, Any]:
    """One post as identity/video/* shows it: ISO times, the identity family of statuses, and
    the authorization only for AUTH_CODE identities."""
    auth = None
    if kind == "AUTH_CODE":
        rows, _ = spark_post_service.authorized(caller.session, account=account,
                                                item_tiktok_id=post.tiktok_id, limit=1,
                                                offset=0)
        if not rows:
            raise errors.NotFound(f"The item {post.tiktok_id} is not authorized to this "
                                  "advertiser.")
        sp, _, _, code, original_code = rows[0]
        originals = spark_post_service.originals_of(caller.session, [post])
        state = spark_post_service.state_of(sp, post, creator, code, original_code,
                                            original=originals.get(post.id))
        end = spark_rules.window_end(state)
        assert code is not None and end is not None
        auth = shapes.auth_info(code.starts_at, end, shapes.auth_status_of_reasons(
            spark_rules.stop_reasons(state, utc_now())), iso=True)
        auth["auth_code"] = hint_display(code.code_hint)
    return {
        "item_id": str(post.tiktok_id),
        "item_type": "VIDEO",
        "status": shapes.item_status(post, identity_family=True),
        "text": post.caption,
        "anchor_list": [],
        "auth_info": auth,
        "video_info": shapes.video_info(post, identity_family=True),
        "carousel_info": None,
    }


def _post_of(caller: Caller, creator: Creator, item_id: str) -> Post:
    post = post_service.by_tiktok_id(caller.session, tiktok_id=int(item_id))
    if post is None or post.creator_id != creator.id:
        raise errors.NotFound(f"The item {item_id} does not exist under this identity.")
    return post


@router.get("/identity/video/info/", summary="Get posts under an identity")
def identity_video_info(caller: CallerDep) -> JSONResponse:
    """One post (`item_id`: `video_detail`) or up to 20 (`item_ids`: `video_details`) of an
    identity the advertiser may use."""
    p = caller.params
    account = caller.advertiser("read")
    creator, kind = _identity(caller, account)
    if p.choice("item_type", ("VIDEO", "CAROUSEL"), default="VIDEO") == "CAROUSEL":
        raise bad("item_type CAROUSEL: sparkcodes has no photo posts.")
    item_id, item_ids = p.id("item_id"), p.id_array("item_ids", max_items=20)
    if item_id is None and not item_ids:
        raise bad("Missing required field(s): item_id or item_ids.")
    detail = (_detail(caller, account, creator, kind, _post_of(caller, creator, item_id))
              if item_id is not None else None)
    details = [_detail(caller, account, creator, kind, _post_of(caller, creator, i))
               for i in item_ids or []]
    return ok({"video_detail": detail, "video_details": details})


@router.get("/identity/video/get/", summary="List posts under an identity")
def identity_video_get(caller: CallerDep) -> JSONResponse:
    """Cursor paging (`cursor`, `count` 1–20): an AUTH_CODE identity lists the posts the
    advertiser applied codes for (`keyword` searches their captions); a TT_USER identity lists
    the linked account's published posts, newest first."""
    p = caller.params
    account = caller.advertiser("read")
    creator, kind = _identity(caller, account)
    if p.choice("item_type", ("VIDEO", "CAROUSEL"), default="VIDEO") == "CAROUSEL":
        return ok({"video_list": [], "cursor": "0", "has_more": False})
    count = p.integer("count", default=20, low=1, high=20)
    cursor = p.integer("cursor", default=0, low=0, high=10**9)
    keyword = p.string("keyword", max_length=500)
    if keyword and kind != "AUTH_CODE":
        raise bad("keyword is supported only for AUTH_CODE identities.")
    if kind == "AUTH_CODE":
        rows, total = spark_post_service.authorized(
            caller.session, account=account, keyword=keyword, creator_id=creator.id,
            limit=count, offset=cursor)
        posts = [row[1] for row in rows]
    else:
        posts, total = post_service.published_of(caller.session, creator=creator, limit=count,
                                                 offset=cursor)
    videos = [_detail(caller, account, creator, kind, post) for post in posts]
    nxt = cursor + len(posts)
    return ok({"video_list": videos, "cursor": str(nxt), "has_more": nxt < total})
