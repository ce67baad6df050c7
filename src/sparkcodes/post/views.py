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


def _check(values: dict[str, str]) -> dict[str, str]:
    """Field errors of a post form (choices and the cover address); empty when all is well."""
    errs = {name: "Choose one of the options." for name in _CHOICES
            if name in values and values[name] not in _CHOICES[name]}
    cover = values.get("cover_url", "").strip()
    if cover and not cover.startswith(("https://", "http://")):
        errs["cover_url"] = "A cover is a web address starting with https://."
    return errs


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
    errs = _check(values)
    cover = cover_url.strip() or None
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
        "edit_values": {}, "edit_errors": {}, "post_error": None, "post_notice": None,
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


_EDIT_FIELD = {"caption_locked": "caption", "post_in_use": "visibility"}


@router.post("/posts/{post_id}/edit")
def edit_post(post_id: str, web: WebForm, caption: str = Form("", max_length=2200),
              sound: str = Form("", max_length=20), visibility: str = Form("", max_length=10),
              cover_url: str = Form("", max_length=500)) -> Response:
    """R4, R10: edit a post; the caption is locked once it has a code, and a new sound or cover
    starts a new revision, which stops ads made from the earlier one."""
    post, _ = service.get_owned(web.session, user=web.me, post_id=post_id)
    values = {"caption": caption, "sound": sound, "visibility": visibility,
              "cover_url": cover_url}
    errs = _check(values)
    if not errs:
        changes: dict[str, Any] = {"caption": caption.strip(), "sound": sound,
                                   "visibility": visibility, "cover_url": cover_url.strip() or None}
        # Only what changed: an untouched caption on a locked post is not an edit.
        changes = {k: v for k, v in changes.items() if getattr(post, k) != v}
        if not changes:
            return render_post(web, post.id, extra={"post_notice": "Nothing changed."})
        revision = post.revision
        _, error = web.attempt(service.edit, web.session, user=web.me, post=post,
                               changes=changes)
        if error is None:
            web.session.refresh(post)
            notice = ("Saved. The new sound or cover starts revision "
                      f"{post.revision}: ads made from the earlier revision stop."
                      if post.revision != revision else "Saved.")
            return render_post(web, post.id, extra={"post_notice": notice})
        errs[_EDIT_FIELD.get(error.code, "caption")] = error.message
        status = error.status
    else:
        status = 422
    return render_post(web, post.id, extra={"edit_values": values, "edit_errors": errs},
                       status=status)


@router.post("/posts/{post_id}/delete")
def delete_post(post_id: str, web: WebForm) -> Response:
    """R11: refused while a live ad runs on the post; the refusal says how many."""
    post, _ = service.get_owned(web.session, user=web.me, post_id=post_id)
    _, error = web.attempt(service.delete, web.session, user=web.me, post=post)
    if error is not None:
        return render_post(web, post.id, extra={"post_error": error.message},
                           status=error.status)
    return web.redirect(f"/posts/{post.id}")
