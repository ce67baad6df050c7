"""What a post's page shows: the post, its "Ad settings" panel, its codes and who uses them."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from sparkcodes.authorization import service as authorization_service
from sparkcodes.authorization.schemas import authorization_out
from sparkcodes.kit.clock import utc_now
from sparkcodes.notification import watch
from sparkcodes.post import service
from sparkcodes.renewal import service as renewal_service
from sparkcodes.renewal.rules import RenewalStatus
from sparkcodes.web.kit import Web

KINDS = [("video", "Video"), ("story", "Story"), ("duet", "Duet"), ("stitch", "Stitch")]


SOUNDS = [("original", "Original sound"), ("commercial_library", "Commercial music library"),
          ("licensed", "Licensed song (muted in ads)")]


VISIBILITIES = [("public", "Everyone"), ("friends", "Friends"), ("private", "Only me")]


def post_context(web: Web, post_id: str) -> dict[str, Any]:
    post, creator = service.get_owned(web.session, user=web.me, post_id=post_id)
    authorizations = authorization_service.of_post(web.session, post=post)
    users = authorization_service.users_of(web.session, authorizations, watch=watch)
    now = utc_now()
    codes = [authorization_out(a, now, users.get(a.id)) for a in authorizations]
    renewals = [v for v in renewal_service.list_for_creator(
        web.session, user=web.me, creator_id=creator.id, status=None, limit=200, offset=0)
        if v.post.id == post.id and (v.status is RenewalStatus.PENDING
                                     or (now - v.request.created_at).days < 30)]
    return {
        "post": post, "creator": creator, "codes": codes, "renewals": renewals,
        "caption_locked": service.caption_locked(web.session, post=post),
        "periods": web.settings.codes.allowed_periods,
        "default_period": web.settings.codes.default_period,
        "region_supported": creator.region in web.settings.supported_regions,
        "generated": None, "generate_error": None, "settings_error": None,
        "edit_values": {}, "edit_errors": {}, "post_error": None, "post_notice": None,
        "code_errors": {}, "code_notices": {},
        "original_post": service.original_of(web.session, post=post),
        "review": (None if post.deleted_at or post.taken_down_at else
                   service.pre_promotion_review(web.session, settings=web.settings, post=post)),
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
