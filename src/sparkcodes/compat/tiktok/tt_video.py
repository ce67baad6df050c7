"""Spark Ads using authorized posts (§2): apply a code, look one up, list and unbind posts."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from sparkcodes import errors
from sparkcodes.ad import usage
from sparkcodes.compat.tiktok import routing, shapes
from sparkcodes.compat.tiktok.auth import Caller, CallerDep
from sparkcodes.compat.tiktok.envelope import ok
from sparkcodes.compat.tiktok.params import bad
from sparkcodes.deps import client_ip
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount
from sparkcodes.post import service as post_service
from sparkcodes.spark_post import rules as spark_rules
from sparkcodes.spark_post import service
from sparkcodes.spark_post.repository import Row
from sparkcodes.values import hint_display

router = routing.router()

CODE_MAX = 200
ITEM_TYPES = ("VIDEO", "CAROUSEL")
EXACT_ITEM_ID_DIGITS = 19  # a keyword of 19+ digits is an exact post id (§2.3)


def _guard(caller: Caller, account: AdAccount) -> service.Guard:
    return service.guard_for(caller.request.app.state.limiter, user=caller.user, account=account,
                             ip=client_ip(caller.request))


@router.post("/tt_video/authorize/", summary="Apply a Spark Ads authorization code")
def authorize(caller: CallerDep) -> JSONResponse:
    """Bind the post behind a creator's code to the advertiser (R14). One code per call; a duet
    or stitch also needs `original_post_auth_code`. Applying the same code again changes
    nothing. `data` is `{}` as TikTok documents, plus the `item_id` and `identity_id` to use in
    ad/create."""
    account = caller.advertiser("operate")
    code = caller.params.string("auth_code", required=True, max_length=CODE_MAX)
    original = caller.params.string("original_post_auth_code", max_length=CODE_MAX)
    [result] = service.bind_many(caller.session, settings=caller.settings,
                                 guard=_guard(caller, account), user=caller.user,
                                 account=account, codes=[code or ""],
                                 original_codes=[original] if original else None)
    if result.error is not None:
        # The /v1 words name /v1's field; here the original post's code has another name.
        result.error.message = result.error.message.replace("(original_post_codes)",
                                                            "(original_post_auth_code)")
        raise result.error
    assert result.resolved is not None
    return ok({"item_id": str(result.resolved.post.tiktok_id),
               "identity_id": str(result.resolved.creator.tiktok_id)})


@router.get("/tt_video/info/", summary="Get a Spark Ad post by its authorization code")
def info(caller: CallerDep) -> JSONResponse:
    """The post, creator identity and authorization window behind a code (R13), whether applied
    yet or not. A code another advertiser applied is refused; an expired or deleted one is shown
    with `ad_auth_status` EXPIRED or CANCELED. Unknown and mistyped codes count against the
    look-up limit."""
    account = caller.advertiser("operate")
    code = caller.params.string("auth_code", required=True, max_length=CODE_MAX) or ""
    preview = service.preview(caller.session, settings=caller.settings,
                              guard=_guard(caller, account), account=account, text=code)
    for problem in preview.problems:
        if problem.code == "code_used_elsewhere":
            raise problem.as_error()
    r, now = preview.resolved, utc_now()
    return ok({
        "item_info": shapes.item_info(r.post, auth_code=code, original=r.original_post),
        "auth_info": shapes.auth_info(r.authorization.starts_at, r.authorization.expires_at,
                                      shapes.auth_status_of_code(r.authorization, now)),
        "user_info": shapes.user_info(r.creator),
        "video_info": shapes.video_info(r.post),
    })


@router.get("/tt_video/list/", summary="List the Spark Ad posts authorized to an advertiser")
def list_posts(caller: CallerDep) -> JSONResponse:
    """The advertiser's live code-bound posts, newest first. `keyword` searches captions, or
    names one post by its 19-digit id. Codes are secrets kept only as a keyed hash, so
    `item_info.auth_code` shows the code's masked form; match posts by `item_id`."""
    p = caller.params
    account = caller.advertiser("read")
    item_types = p.array("item_types", max_items=2) or list(ITEM_TYPES)
    for value in item_types:
        if value not in ITEM_TYPES:
            raise bad(f"item_types may hold VIDEO and CAROUSEL; '{value}' was sent.")
    keyword = p.string("keyword", max_length=500)
    page = p.integer("page", default=1, low=1, high=1_000_000)
    page_size = p.integer("page_size", default=20, low=1, high=50)
    exact = keyword if keyword and keyword.isdigit() and len(keyword) >= EXACT_ITEM_ID_DIGITS \
        else None
    # sparkcodes posts are videos (no photo posts); an id past 64 bits names no post.
    rows: list[Row]
    if "VIDEO" not in item_types or (exact is not None and int(exact) > 2**63 - 1):
        rows, total = [], 0
    else:
        rows, total = service.authorized(
            caller.session, account=account, keyword=None if exact else keyword,
            item_tiktok_id=int(exact) if exact else None, limit=page_size,
            offset=(page - 1) * page_size)
    return ok({"list": _entries(caller, rows), "page_info": shapes.page_info(page, page_size,
                                                                             total)})


def _entries(caller: Caller, rows: list[Row]) -> list[dict[str, Any]]:
    now = utc_now()
    originals = service.originals_of(caller.session, [row[1] for row in rows])
    out = []
    for sp, post, creator, code, original_code in rows:
        state = service.state_of(sp, post, creator, code, original_code,
                                 original=originals.get(post.id))
        reasons = spark_rules.stop_reasons(state, now)
        end = spark_rules.window_end(state)
        assert code is not None and end is not None  # AUTH_CODE posts always carry a code
        original = originals.get(post.id)
        out.append({
            "item_info": shapes.item_info(post, auth_code=hint_display(code.code_hint),
                                          original=original[0] if original else None),
            "auth_info": shapes.auth_info(code.starts_at, end,
                                          shapes.auth_status_of_reasons(reasons)),
            "user_info": shapes.user_info(creator),
            "video_info": shapes.video_info(post),
        })
    return out


@router.post("/tt_video/unbind/", summary="Unbind a Spark Ad post")
def unbind(caller: CallerDep) -> JSONResponse:
    """Remove a post from the advertiser's authorized posts (R17); refused while a live ad of
    this advertiser runs on it. Unbinding twice is harmless."""
    account = caller.advertiser("operate")
    item_id = caller.params.id("item_id", required=True)
    assert item_id is not None
    missing = errors.NotFound(f"The item {item_id} is not a Spark Ad post of this advertiser.")
    post = post_service.by_tiktok_id(caller.session, tiktok_id=int(item_id))
    if post is None:
        raise missing
    spark_post = service.active_for_post(caller.session, account=account, post=post)
    if spark_post is None:
        raise missing
    live = usage.live_ads_of_post(caller.session, post_id=post.id, now=utc_now())
    service.unbind(caller.session, user=caller.user, account=account, spark_post=spark_post,
                   live_ads=[a for a in live if a.ad_account_id == account.id])
    return ok({})
