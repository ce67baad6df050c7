from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from sparkcodes.ad import usage
from sparkcodes.ad_account.auth import AdAccountOperate, AdAccountOperateThrough, AdAccountRead
from sparkcodes.audit.schemas import AuditEventOut
from sparkcodes.deps import SessionDep, SettingsDep, UserDep, ad_actions, client_ip, read_only
from sparkcodes.idempotency import responses as idempotency
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.pagination import Page
from sparkcodes.models import NATIVE, AdAccount, User
from sparkcodes.post import service as post_service
from sparkcodes.spark_post import service
from sparkcodes.spark_post.presenters import (
    bind_out,
    load_out,
    preview_out,
    remote_preview_out,
    spark_posts,
)
from sparkcodes.spark_post.schemas import (
    BindIn,
    BindOut,
    OwnPostIn,
    PreviewIn,
    PreviewOut,
    SparkPostOut,
)
from sparkcodes.web.apidocs import LIMITED

router = APIRouter(prefix="/v1/ad-accounts", tags=["spark posts"])


def _guard(request: Request, user: User, account: AdAccount) -> service.Guard:
    return service.guard_for(request.app.state.limiter, user=user, account=account,
                             ip=client_ip(request))




@router.post("/{ad_account_id}/spark-posts/preview", response_model=PreviewOut,
             responses=LIMITED)
@read_only
def preview_code(ad_account_id: str, access: AdAccountOperateThrough, body: PreviewIn,
                 request: Request, user: UserDep,
                 session: SessionDep, settings: SettingsDep) -> PreviewOut:
    """Look at what a code would attach (post, creator, window, problems) without binding (R13).

    On an ad account mirrored from TikTok the code is looked up there (tt_video/info)."""
    account = access.account
    if account.source != NATIVE:
        remote = service.preview_remote(session, settings=settings,
                                        guard=_guard(request, user, account), account=account,
                                        text=body.code, actions=ad_actions(request))
        return remote_preview_out(remote, utc_now())
    p = service.preview(session, settings=settings, guard=_guard(request, user, account),
                        account=account, text=body.code,
                        originals=service.Originals(list(body.original_post_codes)))
    return preview_out(p, utc_now())


@router.post("/{ad_account_id}/spark-posts", response_model=BindOut, responses=LIMITED)
def bind_codes(
    ad_account_id: str, access: AdAccountOperateThrough, body: BindIn, request: Request,
    user: UserDep,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> BindOut | JSONResponse:
    """Bind 1–20 codes to this ad account ("apply for authorization", R14–R16).

    Each code gets its own result; some may succeed while others fail with a precise error code.
    Send an `Idempotency-Key` header to make retries safe. On an ad account mirrored from TikTok
    each code is applied there (tt_video/authorize) and the advertiser synced at once.
    """
    account = access.account

    def bind() -> BindOut:
        results = service.bind_many(session, settings=settings,
                                    guard=_guard(request, user, account), user=user,
                                    account=account, codes=body.codes,
                                    original_codes=body.original_post_codes,
                                    actions=ad_actions(request))
        return bind_out(session, results, utc_now())

    return idempotency.once(session, secret_key=settings.secret_key, user_id=user.id,
                            scope=f"bind:{account.id}",
                            key=idempotency_key, request=body, run=bind)


@router.get("/{ad_account_id}/spark-posts", response_model=list[SparkPostOut])
def list_spark_posts(ad_account_id: str, access: AdAccountRead, session: SessionDep,
                     page: Page = Depends(Page.dep),
                     include_unbound: bool = Query(False)) -> list[SparkPostOut]:
    """The ad account's Spark Ad posts with window, status and live ads (R17)."""
    return spark_posts(session, access.account, include_unbound=include_unbound,
                       limit=page.limit, offset=page.offset)


@router.get("/{ad_account_id}/spark-posts/{spark_post_id}", response_model=SparkPostOut)
def get_spark_post(ad_account_id: str, access: AdAccountRead, spark_post_id: str,
                   session: SessionDep) -> SparkPostOut:
    """One Spark Ad post."""
    account = access.account
    sp = service.get_in_account(session, account=account, spark_post_id=spark_post_id)
    return load_out(session, sp, utc_now())


@router.delete("/{ad_account_id}/spark-posts/{spark_post_id}", response_model=SparkPostOut)
def unbind_spark_post(ad_account_id: str, access: AdAccountOperateThrough, spark_post_id: str,
                      user: UserDep, request: Request,
                      session: SessionDep, settings: SettingsDep) -> SparkPostOut:
    """Unbind a Spark post that no live ad uses (R17); on TikTok (tt_video/unbind) for an ad
    account mirrored from there."""
    account = access.account
    sp = service.get_in_account(session, account=account, spark_post_id=spark_post_id)
    now = utc_now()
    live = usage.live_ads_of_post(session, post_id=sp.post_id, now=now)
    if account.source != NATIVE:
        sp = service.unbind_remote(session, settings=settings, user=user, account=account,
                                   spark_post=sp,
                                   live_ads=[a for a in live if a.ad_account_id == account.id],
                                   actions=ad_actions(request))
        return load_out(session, sp, utc_now())
    sp = service.unbind(session, user=user, account=account, spark_post=sp,
                        live_ads=[a for a in live if a.ad_account_id == account.id])
    return load_out(session, sp, now)


@router.get("/{ad_account_id}/spark-posts/{spark_post_id}/history",
            response_model=list[AuditEventOut])
def spark_post_history(ad_account_id: str, access: AdAccountRead, spark_post_id: str,
                       session: SessionDep, page: Page = Depends(Page.dep)) -> list[AuditEventOut]:
    """The Spark post's audit trail, oldest first."""
    account = access.account
    sp = service.get_in_account(session, account=account, spark_post_id=spark_post_id)
    events = service.history(session, spark_post=sp, limit=page.limit, offset=page.offset)
    return [AuditEventOut.model_validate(e) for e in events]






@router.post("/{ad_account_id}/spark-posts/own", response_model=SparkPostOut, status_code=201)
def bind_own_post(ad_account_id: str, access: AdAccountOperate, body: OwnPostIn, user: UserDep,
                  session: SessionDep,
                  settings: SettingsDep) -> SparkPostOut:
    """Run a post of a linked creator account you own, no code needed (TT_USER, R19)."""
    account = access.account
    post, creator = post_service.get_owned(session, user=user, post_id=body.post_id)
    sp, _ = service.bind_own_post(session, settings=settings, user=user, account=account,
                                  post=post, creator=creator)
    return load_out(session, sp, utc_now())
