"""Pages: an ad account's "Spark Ad posts" — apply for authorization (preview, then link one to
twenty codes), the list with status and days left, and unbinding."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes import errors
from sparkcodes.ad import usage
from sparkcodes.ad_account.auth import AdAccountOperateThrough, AdAccountRead
from sparkcodes.authorization.rules import Problem
from sparkcodes.deps import ad_actions, client_ip, read_only
from sparkcodes.kit import limits
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import NATIVE, AdAccount, Business
from sparkcodes.spark_post import rules, service
from sparkcodes.spark_post.presenters import (
    ENDS_SOON_HOURS,
    load_out,
    pending_renewals,
    remote_preview_out,
    spark_posts,
)
from sparkcodes.spark_post.schemas import SparkPostOut
from sparkcodes.values import days_left
from sparkcodes.web.kit import Web, WebForm, WebPage, too_long

router = APIRouter(tags=["pages"])


def split_codes(text: str) -> list[str]:
    """One code per line; blank lines are ignored."""
    return [text for _number, text in numbered_codes(text)]


def numbered_codes(text: str) -> list[tuple[int, str]]:
    """Each code with the number of its line in the box, as the person sees it (blank lines
    are skipped but keep their place)."""
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()]


def _same_code(text: str) -> str:
    """What two pastings of one code have in common (case, spaces and dashes aside)."""
    return "".join(text.split()).replace("-", "").upper()


def repeated_line(cards: list[dict[str, Any]], number: int, text: str) -> dict[str, Any] | None:
    """The card of a line that repeats an earlier one: it would link nothing more."""
    for card in cards:
        if _same_code(card["text"]) == _same_code(text):
            return {"line": number, "text": text, "code": "duplicate_line",
                    "error": f"Line {number} repeats line {card['line']}: a code is linked "
                             "once, so this line adds nothing."}
    return None


ORIGINALS_BOX = "Codes of the original posts"


def page_message(exc: errors.AppError | Problem) -> str:
    """An error in the words of the link form (the JSON API names its own fields instead)."""
    if exc.code == "original_post_code_required":
        return (exc.message.split(":")[0] + f": also paste a code of the post it was made from "
                f"under “{ORIGINALS_BOX}”.")
    return exc.message


def ends_soon(sp: SparkPostOut) -> bool:
    if sp.window is None:
        return False
    hours = (sp.window.expires_at - utc_now()).total_seconds() / 3600
    return 0 < hours <= ENDS_SOON_HOURS


def list_context(web: Web, account: AdAccount) -> dict[str, Any]:
    sparks = spark_posts(web.session, account)
    return {"account": account, "sparks": sparks,
            "pending": pending_renewals(web.session, account,
                                        (sp.authorization_id for sp in sparks)),
            "ends_soon": ends_soon,
            "periods": web.settings.codes.allowed_periods,
            "default_period": web.settings.codes.default_period}


def render_account(web: Web, account: AdAccount, business: Business, role: str,
                   extra: dict[str, Any] | None = None, status: int = 200,
                   headers: dict[str, str] | None = None) -> Response:
    ctx = list_context(web, account)
    ctx.update({"business": business, "role": role, "codes_text": "", "codes_error": None,
                "originals_text": "", "originals_error": None,
                "previews": None, "bind": None, "tab": "spark", **(extra or {})})
    return web.render("spark_post/account.html", ctx, status=status, headers=headers)


@router.get("/ad-accounts/{ad_account_id}")
def account_page(ad_account_id: str, web: WebPage, access: AdAccountRead) -> Response:
    """Spark Ad posts: apply for authorization, and every post this ad account may run."""
    account, business, role = access.account, access.business, access.role
    return render_account(web, account, business, role)


def _too_long(text: str, what: str) -> str | None:
    """The message for a box longer than its limit; None when it fits."""
    return too_long({what: text}, {what: limits.CODES_TEXT}).get(what)


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
def preview(ad_account_id: str, web: WebForm, access: AdAccountOperateThrough,
            codes: str = Form(""), original_post_codes: str = Form("")) -> Response:
    """R13: what each code would attach and every problem in plain words; binds nothing. A duet
    or stitch is checked with the original-post codes as Link would check it (R3)."""
    account, business, role = access.account, access.business, access.role
    lines = split_codes(codes)
    original_lines = split_codes(original_post_codes)
    problem = _too_long(codes, "codes") or _too_many(web, lines)
    originals_error = (_too_long(original_post_codes, "originals")
                       or _too_many_originals(web, original_lines))
    cards: list[dict[str, Any]] = []
    if problem is None and originals_error is None:
        guard = service.guard_for(web.request.app.state.limiter, user=web.me, account=account,
                                  ip=client_ip(web.request))
        originals = service.Originals(original_lines)
        now = utc_now()
        numbered = numbered_codes(codes)
        if account.source != NATIVE:
            cards = _remote_cards(web, account, guard, numbered)
            numbered = []  # looked up on TikTok instead
        for number, text in numbered:
            repeat = repeated_line(cards, number, text)
            if repeat is not None:
                cards.append(repeat)
                continue
            try:
                p = service.preview(web.session, settings=web.settings, guard=guard,
                                    account=account, text=text, originals=originals,
                                    review=False)
            except errors.AppError as exc:
                cards.append({"line": number, "text": text, "error": exc.message,
                              "code": exc.code})
                continue
            a = p.resolved.authorization
            cards.append({"line": number, "text": text, "error": None, "p": p,
                          "hint": p.resolved.parsed.hint,
                          "creator": p.resolved.creator, "post": p.resolved.post,
                          "starts_at": a.starts_at, "expires_at": a.expires_at,
                          "days_left": days_left(a.expires_at, now),
                          "problems": [page_message(pr) for pr in p.problems]})
        if account.source == NATIVE:
            _point_at_originals_in_the_batch(cards)
            service.add_reviews(web.session, settings=web.settings,
                                previews=[c["p"] for c in cards
                                          if isinstance(c.get("p"), service.Preview)])
    ctx = {"account": account, "codes_text": codes, "codes_error": problem,
           "originals_text": original_post_codes, "originals_error": originals_error,
           "previews": cards,
           "linkable": sum(1 for c in cards if not c["error"] and not c["p"].problems)}
    status = 422 if problem or originals_error else 200
    if web.htmx:
        return web.render("spark_post/_preview.html", ctx, status=status)
    return render_account(web, account, business, role, ctx, status=status)


def _remote_cards(web: Web, account: AdAccount, guard: service.Guard,
                  lines: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """The preview cards of codes looked up on the TikTok a mirrored account comes from."""
    cards: list[dict[str, Any]] = []
    for number, text in lines:
        repeat = repeated_line(cards, number, text)
        if repeat is not None:
            cards.append(repeat)
            continue
        try:
            remote = service.preview_remote(web.session, settings=web.settings, guard=guard,
                                            account=account, text=text,
                                            actions=ad_actions(web.request))
        except errors.AppError as exc:
            cards.append({"line": number, "text": text, "error": exc.message, "code": exc.code})
            continue
        out = remote_preview_out(remote, utc_now())
        cards.append({"line": number, "text": text, "error": None, "p": remote,
                      "hint": remote.code_hint, "creator": out.creator, "post": out.post,
                      "starts_at": out.window.starts_at, "expires_at": out.window.expires_at,
                      "days_left": out.window.days_left,
                      "problems": [m.message for m in remote.problems]})
    return cards


def _too_many_originals(web: Web, lines: list[str]) -> str | None:
    limit = web.settings.codes.batch_size
    if len(lines) > limit:
        return f"At most {limit} original-post codes at once; you pasted {len(lines)}."
    return None


def _point_at_originals_in_the_batch(cards: list[dict[str, Any]]) -> None:
    """A duet missing its original-post code whose original's code was pasted among the codes
    to link: say which line it is, so it can be copied to the originals box."""
    by_post = {c["post"].id: c["line"] for c in cards if not c["error"]}
    for card in cards:
        if card["error"] or card["p"].original is not None:
            continue
        original_id = card["post"].original_post_id
        codes = {pr.code for pr in card["p"].problems}
        if original_id in by_post and "original_post_code_required" in codes:
            card["problems"].append(
                f"Line {by_post[original_id]} is a code of that post: paste it under "
                f"“{ORIGINALS_BOX}” too (a code there is not linked as a post of its own).")


@router.post("/ad-accounts/{ad_account_id}/spark-posts")
def bind(ad_account_id: str, web: WebForm, access: AdAccountOperateThrough,
         codes: str = Form(""), original_post_codes: str = Form("")) -> Response:
    """R14–R16: link one to twenty codes; each gets its own result. Duets and stitches take the
    code of their original post from the second box (R3), as the JSON API's
    original_post_codes."""
    account, business, role = access.account, access.business, access.role
    numbered = numbered_codes(codes)
    lines = [text for _number, text in numbered]
    original_lines = split_codes(original_post_codes)
    problem = _too_long(codes, "codes") or _too_many(web, lines)
    originals_error = (_too_long(original_post_codes, "originals")
                       or _too_many_originals(web, original_lines))
    items: list[dict[str, Any]] = []
    error: errors.AppError | None = None
    if problem is None and originals_error is None:
        guard = service.guard_for(web.request.app.state.limiter, user=web.me, account=account,
                                  ip=client_ip(web.request))
        if account.source != NATIVE:
            # Applied on TikTok, which ends this request's transaction before calling it (so
            # not in a savepoint); each code's refusal is in its own result.
            results, error = None, None
            try:
                results = service.bind_many(web.session, settings=web.settings, guard=guard,
                                            user=web.me, account=account, codes=lines,
                                            original_codes=original_lines,
                                            actions=ad_actions(web.request))
            except errors.AppError as exc:
                error = exc
        else:
            results, error = web.attempt(service.bind_many, web.session, settings=web.settings,
                                         guard=guard, user=web.me, account=account,
                                         codes=lines, original_codes=original_lines)
        if error is not None:
            problem = error.message
        for res in results or []:
            item: dict[str, Any] = {"line": numbered[res.index][0], "text": lines[res.index],
                                    "error": page_message(res.error) if res.error else None,
                                    "code": res.error.code if res.error else None,
                                    "replaced": res.replaced, "created": res.created,
                                    "warnings": [w.message for w in res.warnings]}
            if res.spark_post is not None:
                item["spark"] = load_out(web.session, res.spark_post, utc_now())
            items.append(item)
    linked = sum(1 for i in items if not i["error"])
    failed = len(items) - linked
    ctx = {"account": account, "bind": {"items": items, "linked": linked, "failed": failed},
           # What is left to fix: the lines that did not link (all of them on a batch error),
           # and the original-post codes while any line is left.
           "codes_text": "\n".join(i["text"] for i in items if i["error"]) if items else codes,
           "codes_error": problem,
           "originals_text": original_post_codes if failed or not items else "",
           "originals_error": originals_error}
    # A limit or its store refusing the whole request keeps its status and Retry-After.
    status = error.status if error is not None else 422 if problem or originals_error else 200
    headers = error.headers if error is not None else None
    if web.htmx:
        ctx.update(list_context(web, account))
        return web.render("spark_post/_bind_results.html", ctx, status=status, headers=headers)
    return render_account(web, account, business, role, ctx, status=status, headers=headers)


@router.post("/ad-accounts/{ad_account_id}/spark-posts/{spark_post_id}/unbind")
def unbind(ad_account_id: str, access: AdAccountOperateThrough, spark_post_id: str,
           web: WebForm) -> Response:
    """R17: unbind a Spark post that no live ad uses (on TikTok, for a mirrored account)."""
    account, business, role = access.account, access.business, access.role
    sp = service.get_in_account(web.session, account=account, spark_post_id=spark_post_id)
    live = [a for a in usage.live_ads_of_post(web.session, post_id=sp.post_id, now=utc_now())
            if a.ad_account_id == account.id]
    error: errors.AppError | None = None
    if account.source != NATIVE:
        try:
            service.unbind_remote(web.session, settings=web.settings, user=web.me,
                                  account=account, spark_post=sp, live_ads=live,
                                  actions=ad_actions(web.request))
        except errors.AppError as exc:
            error = exc
    else:
        _, error = web.attempt(service.unbind, web.session, user=web.me, account=account,
                               spark_post=sp, live_ads=live)
    extra = {"spark_errors": {sp.id: error.message} if error else {}}
    status = error.status if error else 200
    if web.htmx:
        ctx = list_context(web, account)
        ctx.update(extra)
        return web.render("spark_post/_list.html", ctx, status=status)
    return render_account(web, account, business, role, extra, status=status)
