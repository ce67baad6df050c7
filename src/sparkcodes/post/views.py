"""Pages: publish a post, and a post's page with its "Ad settings" panel and codes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes.authorization import repository as authorization_repository
from sparkcodes.authorization import service as authorization_service
from sparkcodes.authorization.schemas import authorization_out
from sparkcodes.creator import service as creator_service
from sparkcodes.creator import views as creator_views
from sparkcodes.kit.clock import utc_now
from sparkcodes.post import repository, service
from sparkcodes.renewal import service as renewal_service
from sparkcodes.renewal.rules import RenewalStatus
from sparkcodes.web.kit import Web, WebForm, WebPage

router = APIRouter(tags=["pages"])

KINDS = [("video", "Video"), ("story", "Story"), ("duet", "Duet"), ("stitch", "Stitch")]
SOUNDS = [("original", "Original sound"), ("commercial_library", "Commercial music library"),
          ("licensed", "Licensed song (muted in ads)")]
VISIBILITIES = [("public", "Everyone"), ("friends", "Friends"), ("private", "Only me")]
_CHOICES = {"kind": dict(KINDS), "sound": dict(SOUNDS), "visibility": dict(VISIBILITIES)}


@router.post("/creators/{creator_id}/posts")
def create_post(creator_id: str, web: WebForm, caption: str = Form("", max_length=2200),
                kind: str = Form("video", max_length=10),
                sound: str = Form("original", max_length=20),
                visibility: str = Form("public", max_length=10),
                cover_url: str = Form("", max_length=500)) -> Response:
    """Publish a post on one of your creator accounts."""
    creator = creator_service.get_owned(web.session, user=web.me, creator_id=creator_id)
    values = {"caption": caption, "kind": kind, "sound": sound, "visibility": visibility,
              "cover_url": cover_url}
    errs = {name: "Choose one of the options." for name in _CHOICES
            if values[name] not in _CHOICES[name]}
    cover = cover_url.strip() or None
    if cover and not cover.startswith(("https://", "http://")):
        errs["cover_url"] = "A cover is a web address starting with https://."
    if not errs:
        post, error = web.attempt(service.create, web.session, user=web.me, creator=creator,
                                  kind=kind, caption=caption.strip(), sound=sound,
                                  visibility=visibility, cover_url=cover)
        if error is None:
            assert post is not None
            return web.redirect(f"/posts/{post.id}")
        errs["kind"] = error.message
    ctx = creator_views.account_context(web, creator)
    ctx.update(post_values=values, post_errors=errs)
    return web.render("creator/detail.html", ctx, status=422)


def post_context(web: Web, post_id: str) -> dict[str, Any]:
    post, creator = service.get_owned(web.session, user=web.me, post_id=post_id)
    authorizations = authorization_repository.of_post(web.session, post.id)
    users = authorization_service.users_of(web.session, authorizations)
    now = utc_now()
    codes = [authorization_out(a, now, users.get(a.id)) for a in authorizations]
    renewals = [v for v in renewal_service.list_for_creator(
        web.session, user=web.me, creator_id=creator.id, status=None, limit=200, offset=0)
        if v.post.id == post.id and (v.status is RenewalStatus.PENDING
                                     or (now - v.request.created_at).days < 30)]
    return {
        "post": post, "creator": creator, "codes": codes, "renewals": renewals,
        "caption_locked": repository.has_undeleted_authorization(web.session, post.id),
        "periods": web.settings.codes.allowed_periods,
        "default_period": web.settings.codes.default_period,
        "region_supported": creator.region in web.settings.supported_regions,
        "generated": None, "generate_error": None, "settings_error": None,
        "code_errors": {}, "code_notices": {},
        "kinds": dict(KINDS), "sounds": dict(SOUNDS), "visibilities": dict(VISIBILITIES),
    }


def render_post(web: Web, post_id: str, *, fragment: str | None = None,
                extra: dict[str, Any] | None = None, status: int = 200) -> Response:
    """The post page, or one of its fragments for an HTMX request."""
    ctx = post_context(web, post_id)
    ctx.update(extra or {})
    if fragment is not None and web.htmx:
        return web.render(fragment, ctx, status=status)
    return web.render("post/detail.html", ctx, status=status)


@router.get("/posts/{post_id}")
def post_page(post_id: str, web: WebPage) -> Response:
    """A post: organic stats, the "Ad settings" panel, its codes and who uses them."""
    return render_post(web, post_id)
