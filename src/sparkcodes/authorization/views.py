"""Pages: generate a code (shown once, large, with a Copy button), extend and delete codes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes.authorization import service
from sparkcodes.authorization.schemas import authorization_out
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Authorization
from sparkcodes.notification import watch
from sparkcodes.post import presenters as post_presenters
from sparkcodes.post import service as post_service
from sparkcodes.values import hint_display
from sparkcodes.web.kit import Web, WebForm

router = APIRouter(tags=["pages"])


def _days(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


@router.post("/posts/{post_id}/codes")
def generate(post_id: str, web: WebForm, days: str = Form("", max_length=4)) -> Response:
    """R5–R7: a new code; the raw code is in this response only."""
    post, creator = post_service.get_owned(web.session, user=web.me, post_id=post_id)
    result, error = web.attempt(service.generate, web.session, settings=web.settings,
                                user=web.me, creator=creator, post=post,
                                days=_days(days) if days else None)
    extra: dict[str, Any] = {"generate_error": error.message if error else None}
    if result is not None:
        extra["generated"] = {"code": result.code,
                              "out": authorization_out(result.authorization, utc_now()),
                              "warnings": [w.message for w in result.warnings]}
    return post_presenters.render_post(web, post.id, fragment="post/_ad_panel.html", extra=extra,
                                  status=error.status if error else 201)


def _card(web: Web, authorization: Authorization, post_id: str, *, error: str | None = None,
          notice: str | None = None, status: int = 200) -> Response:
    if not web.htmx:
        return post_presenters.render_post(web, post_id, extra={
            "code_errors": {authorization.id: error} if error else {},
            "code_notices": {authorization.id: notice} if notice else {}}, status=status)
    web.session.refresh(authorization)
    users = service.users_of(web.session, [authorization], watch=watch)
    code = authorization_out(authorization, utc_now(), users.get(authorization.id))
    return web.render("authorization/_code.html", {
        "c": code, "periods": web.settings.codes.allowed_periods,
        "default_period": web.settings.codes.default_period,
        "code_errors": {authorization.id: error} if error else {},
        "code_notices": {authorization.id: notice} if notice else {}}, status=status)


@router.post("/codes/{authorization_id}/extend")
def extend(authorization_id: str, web: WebForm, days: str = Form("", max_length=4)) -> Response:
    """R8: same code, later end (also after expiry); bound ads resume."""
    authorization, post, creator = service.get_owned(web.session, user=web.me,
                                                     authorization_id=authorization_id)
    _, error = web.attempt(service.extend, web.session, settings=web.settings, user=web.me,
                           authorization=authorization, creator=creator, days=_days(days),
                           watch=watch)
    notice = None if error else f"Extended by {_days(days)} days: the code stays the same."
    return _card(web, authorization, post.id, error=error.message if error else None,
                 notice=notice, status=error.status if error else 200)


@router.post("/codes/{authorization_id}/delete")
def delete(authorization_id: str, web: WebForm) -> Response:
    """R9: refused while a live ad uses the code; the refusal names who."""
    authorization, post, creator = service.get_owned(web.session, user=web.me,
                                                     authorization_id=authorization_id)
    _, error = web.attempt(service.delete, web.session, user=web.me,
                           authorization=authorization, creator=creator, watch=watch)
    return _card(web, authorization, post.id, error=error.message if error else None,
                 notice=None if error else "Deleted: this code no longer works.",
                 status=error.status if error else 200)


@router.post("/codes/{authorization_id}/regenerate")
def regenerate(authorization_id: str, web: WebForm) -> Response:
    """R7: a fresh string for a code no brand has linked yet; the old string stops working. The
    new string is in this response only."""
    authorization, post, creator = service.get_owned(web.session, user=web.me,
                                                     authorization_id=authorization_id)
    old_hint = authorization.code_hint
    result, error = web.attempt(service.regenerate, web.session, settings=web.settings,
                                user=web.me, authorization=authorization, creator=creator)
    if error is not None:
        return post_presenters.render_post(web, post.id, fragment="post/_ad_panel.html",
                                      extra={"code_errors": {authorization.id: error.message}},
                                      status=error.status)
    assert result is not None
    fresh, raw = result
    extra = {"generated": {
        "code": raw, "out": authorization_out(fresh, utc_now()), "warnings": [],
        "title": "Your new Spark Ads code",
        "note": f"The old code {hint_display(old_hint)} no longer works; send this one instead."}}
    return post_presenters.render_post(web, post.id, fragment="post/_ad_panel.html", extra=extra)
