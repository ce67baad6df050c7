"""The page a creator who is not on sparkcodes opens from a brand's e-mail: no login; the brand,
the post, the period and fee, the steps in the TikTok app, and one field for the code (or a
"Done" button after extending one)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Path
from fastapi.responses import Response

from sparkcodes import errors
from sparkcodes.creator_link import rules, service
from sparkcodes.creator_link.service import LinkView
from sparkcodes.deps import ad_actions
from sparkcodes.kit.clock import utc_now
from sparkcodes.spark_post import repository as spark_post_repository
from sparkcodes.web.kit import Web, WebFormOptional, WebPageOptional

router = APIRouter(tags=["pages"])
MAX_CODE_INPUT = 200


def _page(web: Web, view: LinkView, *, error: errors.AppError | None = None,
          values: dict[str, str] | None = None, status: int = 200,
          ask_original: bool = False) -> Response:
    now = utc_now()
    link = view.link
    spark = (spark_post_repository.by_id(web.session, link.spark_post_id)
             if link.spark_post_id else None)
    post = None
    if spark is not None:
        from sparkcodes.models import Post  # noqa: PLC0415 - one lookup for the caption

        post = web.session.get(Post, spark.post_id)
    return web.render("creator_link/answer.html", {
        "view": view, "link": link, "status": view.status(now).value,
        "steps": rules.steps(link.kind, days=link.days, brand=view.business.name),
        "fee": service.money(link.fee_micros, link.currency), "post": post,
        "error": error, "values": values or {}, "ask_original": ask_original,
        "max_code": MAX_CODE_INPUT,
    }, status=status)


def _closed(web: Web, view: LinkView) -> errors.AppError | None:
    try:
        rules.check_open(service.state_of(view.link), utc_now(), brand=view.business.name)
    except errors.AppError as exc:
        return exc
    return None


@router.get("/answer/{token}")
def answer_page(web: WebPageOptional, token: str = Path(max_length=rules.MAX_TOKEN_CHARS)
                ) -> Response:
    """The e-mailed link: what the brand asks, and how to answer it."""
    view = service.by_token(web.session, settings=web.settings, token=token)
    answered = view.status(utc_now()) is rules.LinkStatus.ANSWERED
    return _page(web, view, error=None if answered else _closed(web, view))


@router.post("/answer/{token}")
def answer(web: WebFormOptional, token: str = Path(max_length=rules.MAX_TOKEN_CHARS),
           code: str = Form(""), original_code: str = Form("")) -> Response:
    """Paste the code (it goes straight to TikTok, never stored), or "Done" after extending."""
    view = service.by_token(web.session, settings=web.settings, token=token)
    if len(code) > MAX_CODE_INPUT or len(original_code) > MAX_CODE_INPUT:
        return _page(web, view, status=422, error=errors.InvalidInput(
            f"A Spark code is much shorter than {MAX_CODE_INPUT} characters: paste only the "
            "code.", code="code_mistyped"))
    actions = ad_actions(web.request)
    try:
        if view.link.kind == rules.CODE:
            done = service.answer_with_code(web.session, settings=web.settings, actions=actions,
                                            view=view, code=code,
                                            original_code=original_code.strip() or None)
        else:
            done = service.answer_done(web.session, settings=web.settings, actions=actions,
                                       view=view)
    except errors.AppError as exc:
        # The service freed the link and kept why it refused; the request commits that.
        fresh = service.get(web.session, link_id=view.link.id) or view
        return _page(web, fresh, error=exc, status=exc.status,
                     ask_original=exc.code == "original_post_code_required"
                     or bool(original_code.strip()))
    return _page(web, done)
