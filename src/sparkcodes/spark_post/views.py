"""Pages: an ad account's "Spark Ad posts" — apply for authorization (preview, then link one to
twenty codes), the list with status and days left, and unbinding."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes import errors
from sparkcodes.ad import usage
from sparkcodes.ad_account.auth import AdAccountOperate, AdAccountRead
from sparkcodes.deps import client_ip, read_only
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount, Business
from sparkcodes.spark_post import rules, service
from sparkcodes.spark_post.presenters import (
    ENDS_SOON_HOURS,
    load_out,
    pending_renewals,
    spark_posts,
)
from sparkcodes.spark_post.schemas import SparkPostOut
from sparkcodes.values import days_left
from sparkcodes.web.kit import Web, WebForm, WebPage

router = APIRouter(tags=["pages"])


def split_codes(text: str) -> list[str]:
    """One code per line; blank lines are ignored."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def ends_soon(sp: SparkPostOut) -> bool:
    if sp.window is None:
        return False
    hours = (sp.window.expires_at - utc_now()).total_seconds() / 3600
    return 0 < hours <= ENDS_SOON_HOURS


def list_context(web: Web, account: AdAccount) -> dict[str, Any]:
    return {"account": account, "sparks": spark_posts(web.session, account),
            "pending": pending_renewals(web.session, account), "ends_soon": ends_soon,
            "periods": web.settings.codes.allowed_periods,
            "default_period": web.settings.codes.default_period}


def render_account(web: Web, account: AdAccount, business: Business, role: str,
                   extra: dict[str, Any] | None = None, status: int = 200,
                   headers: dict[str, str] | None = None) -> Response:
    ctx = list_context(web, account)
    ctx.update({"business": business, "role": role, "codes_text": "", "codes_error": None,
                "previews": None, "bind": None, "tab": "spark", **(extra or {})})
    return web.render("spark_post/account.html", ctx, status=status, headers=headers)


@router.get("/ad-accounts/{ad_account_id}")
def account_page(ad_account_id: str, web: WebPage, access: AdAccountRead) -> Response:
    """Spark Ad posts: apply for authorization, and every post this ad account may run."""
    account, business, role = access.account, access.business, access.role
    return render_account(web, account, business, role)


def _too_many(web: Web, codes: list[str]) -> str | None:
    limit = web.settings.codes.batch_size
    refusal = rules.batch_refusal(len(codes), limit)
    if refusal is rules.BatchRefusal.EMPTY:
        return "Paste at least one code: one per line."
    if refusal is rules.BatchRefusal.TOO_LARGE:
        return f"At most {limit} codes at once; you pasted {len(codes)}. Link the rest next."
    return None


@router.post("/ad-accounts/{ad_account_id}/spark-posts/preview")
@read_only
def preview(ad_account_id: str, web: WebForm, access: AdAccountOperate,
            codes: str = Form("", max_length=4000)
            ) -> Response:
    """R13: what each code would attach and every problem in plain words; binds nothing."""
    account, business, role = access.account, access.business, access.role
    lines = split_codes(codes)
    problem = _too_many(web, lines)
    cards: list[dict[str, Any]] = []
    if problem is None:
        guard = service.guard_for(web.request.app.state.limiter, user=web.me, account=account,
                                  ip=client_ip(web.request))
        now = utc_now()
        for number, text in enumerate(lines, start=1):
            try:
                p = service.preview(web.session, settings=web.settings, guard=guard,
                                    account=account, text=text)
            except errors.AppError as exc:
                cards.append({"line": number, "text": text, "error": exc.message,
                              "code": exc.code})
                continue
            a = p.resolved.authorization
            cards.append({"line": number, "text": text, "error": None, "p": p,
                          "creator": p.resolved.creator, "post": p.resolved.post,
                          "starts_at": a.starts_at, "expires_at": a.expires_at,
                          "days_left": days_left(a.expires_at, now)})
    ctx = {"account": account, "codes_text": codes, "codes_error": problem, "previews": cards,
           "linkable": sum(1 for c in cards if not c["error"] and not c["p"].problems)}
    if web.htmx:
        return web.render("spark_post/_preview.html", ctx, status=422 if problem else 200)
    return render_account(web, account, business, role, ctx, status=422 if problem else 200)


@router.post("/ad-accounts/{ad_account_id}/spark-posts")
def bind(ad_account_id: str, web: WebForm, access: AdAccountOperate,
         codes: str = Form("", max_length=4000)) -> Response:
    """R14–R16: link one to twenty codes; each gets its own result."""
    account, business, role = access.account, access.business, access.role
    lines = split_codes(codes)
    problem = _too_many(web, lines)
    items: list[dict[str, Any]] = []
    error: errors.AppError | None = None
    if problem is None:
        guard = service.guard_for(web.request.app.state.limiter, user=web.me, account=account,
                                  ip=client_ip(web.request))
        results, error = web.attempt(service.bind_many, web.session, settings=web.settings,
                                     guard=guard, user=web.me, account=account, codes=lines)
        if error is not None:
            problem = error.message
        for res in results or []:
            item: dict[str, Any] = {"line": res.index + 1, "text": lines[res.index],
                                    "error": res.error.message if res.error else None,
                                    "code": res.error.code if res.error else None,
                                    "replaced": res.replaced, "created": res.created,
                                    "warnings": [w.message for w in res.warnings]}
            if res.spark_post is not None:
                item["spark"] = load_out(web.session, res.spark_post, utc_now())
            items.append(item)
    linked = sum(1 for i in items if not i["error"])
    ctx = {"account": account, "bind": {"items": items, "linked": linked,
                                        "failed": len(items) - linked},
           # What is left to fix: the lines that did not link (all of them on a batch error).
           "codes_text": "\n".join(i["text"] for i in items if i["error"]) if items else codes,
           "codes_error": problem}
    # A limit or its store refusing the whole request keeps its status and Retry-After.
    status = error.status if error is not None else 422 if problem else 200
    headers = error.headers if error is not None else None
    if web.htmx:
        ctx.update(list_context(web, account))
        return web.render("spark_post/_bind_results.html", ctx, status=status, headers=headers)
    return render_account(web, account, business, role, ctx, status=status, headers=headers)


@router.post("/ad-accounts/{ad_account_id}/spark-posts/{spark_post_id}/unbind")
def unbind(ad_account_id: str, access: AdAccountOperate, spark_post_id: str,
           web: WebForm) -> Response:
    """R17: unbind a Spark post that no live ad uses."""
    account, business, role = access.account, access.business, access.role
    sp = service.get_in_account(web.session, account=account, spark_post_id=spark_post_id)
    live = [a for a in usage.live_ads_of_post(web.session, post_id=sp.post_id, now=utc_now())
            if a.ad_account_id == account.id]
    _, error = web.attempt(service.unbind, web.session, user=web.me, account=account,
                           spark_post=sp, live_ads=live)
    extra = {"spark_errors": {sp.id: error.message} if error else {}}
    status = error.status if error else 200
    if web.htmx:
        ctx = list_context(web, account)
        ctx.update(extra)
        return web.render("spark_post/_list.html", ctx, status=status)
    return render_account(web, account, business, role, extra, status=status)
