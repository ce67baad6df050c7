"""Pages: publish a post, and a post's page with its "Ad settings" panel and codes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes import errors
from sparkcodes.creator import service as creator_service
from sparkcodes.creator.presenters import account_context
from sparkcodes.kit import limits
from sparkcodes.notification import watch
from sparkcodes.post import service
from sparkcodes.post.presenters import KINDS, SOUNDS, VISIBILITIES, render_post
from sparkcodes.web.kit import WebForm, WebPage, too_long

router = APIRouter(tags=["pages"])

_CHOICES = {"kind": dict(KINDS), "sound": dict(SOUNDS), "visibility": dict(VISIBILITIES)}


_LIMITS = {"caption": limits.CAPTION, "cover_url": limits.COVER_URL,
           "original_post": limits.POST_LINK}


def _check(values: dict[str, str]) -> dict[str, str]:
    """Field errors of a post form (lengths, choices and the cover address); empty when all is
    well."""
    errs = {name: "Choose one of the options." for name in _CHOICES
            if name in values and values[name] not in _CHOICES[name]}
    errs.update(too_long(values, _LIMITS))
    cover = values.get("cover_url", "").strip()
    if cover and not cover.startswith(("https://", "http://")) and "cover_url" not in errs:
        errs["cover_url"] = "A cover is a web address starting with https://."
    return errs


# The service's refusals of a new post, by the field they are about.
_CREATE_FIELD = {"original_post_required": "original_post",
                 "original_post_not_allowed": "original_post",
                 "original_post_not_found": "original_post",
                 "original_post_invalid": "original_post"}


@router.post("/creators/{creator_id}/posts")
def create_post(creator_id: str, web: WebForm, caption: str = Form(""),
                kind: str = Form("video", max_length=10),
                sound: str = Form("original", max_length=20),
                visibility: str = Form("public", max_length=10),
                cover_url: str = Form(""), original_post: str = Form("")) -> Response:
    """Publish a post on one of your creator accounts; a duet or stitch names the post it was
    made from by its link or ID (the JSON API's original_post_id)."""
    creator = creator_service.get_owned(web.session, user=web.me, creator_id=creator_id)
    values = {"caption": caption, "kind": kind, "sound": sound, "visibility": visibility,
              "cover_url": cover_url, "original_post": original_post}
    errs = _check(values)
    cover = cover_url.strip() or None
    if not errs:
        original, error = web.attempt(service.find_original, web.session, text=original_post)
        if error is None:
            post, error = web.attempt(service.create, web.session, user=web.me,
                                      creator=creator, kind=kind, caption=caption.strip(),
                                      sound=sound, visibility=visibility, cover_url=cover,
                                      original_post_id=original.id if original else None)
        if error is None:
            assert post is not None
            return web.redirect(f"/posts/{post.id}")
        errs[_CREATE_FIELD.get(error.code, "kind")] = _create_message(error)
    ctx = account_context(web, creator)
    ctx.update(post_values=values, post_errors=errs)
    return web.render("creator/detail.html", ctx, status=422)


def _create_message(error: errors.AppError) -> str:
    """The service's refusal in the words of the form (the JSON API names its field)."""
    if error.code == "original_post_required":
        return (error.message.split(" (")[0] + ": paste its link or post ID under "
                "“Original post”.")
    if error.code == "original_post_not_allowed":
        return "Only a duet or a stitch has an original post: choose Duet or Stitch, or clear it."
    return error.message


@router.get("/posts/{post_id}")
def post_page(post_id: str, web: WebPage) -> Response:
    """A post: organic stats, the "Ad settings" panel, its codes and who uses them."""
    return render_post(web, post_id)


_EDIT_FIELD = {"caption_locked": "caption", "post_in_use": "visibility"}


@router.post("/posts/{post_id}/edit")
def edit_post(post_id: str, web: WebForm, caption: str = Form(""),
              sound: str = Form("", max_length=20), visibility: str = Form("", max_length=10),
              cover_url: str = Form("")) -> Response:
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
                               changes=changes, watch=watch)
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
    _, error = web.attempt(service.delete, web.session, user=web.me, post=post, watch=watch)
    if error is not None:
        return render_post(web, post.id, extra={"post_error": error.message},
                           status=error.status)
    return web.redirect(f"/posts/{post.id}")
