"""Pages: my creator accounts, one account (ad settings, posts, renewal requests)."""

from __future__ import annotations

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes.creator import service
from sparkcodes.creator.presenters import account_context
from sparkcodes.kit import limits
from sparkcodes.notification import watch
from sparkcodes.post.presenters import render_post
from sparkcodes.web.kit import Web, WebForm, WebPage, too_long

router = APIRouter(tags=["pages"])

_FIELD = {"invalid_handle": "handle", "handle_taken": "handle", "invalid_region": "region"}
# The service speaks to API clients here ("accept_terms: true"); say it in the page's words.
_PLAIN = {"terms_not_accepted": "Tick the box to accept the advertising terms, then turn ad "
                                "authorization on."}


def _list(web: Web, *, values: dict[str, str] | None = None,
          errs: dict[str, str] | None = None, status: int = 200) -> Response:
    creators = service.owned_by(web.session, user=web.me)
    return web.render("creator/list.html", {"creators": creators, "values": values or {},
                                            "errors": errs or {}}, status=status)


@router.get("/creators")
def creators(web: WebPage) -> Response:
    """Your creator accounts, and a form to make one."""
    return _list(web)


@router.post("/creators")
def create_creator(web: WebForm, handle: str = Form(""), display_name: str = Form(""),
                   region: str = Form("")) -> Response:
    values = {"handle": handle, "display_name": display_name, "region": region}
    # The handle's and region's lengths are the rules' to refuse (R2), in their words.
    errs = too_long(values, {"display_name": limits.DISPLAY_NAME})
    if errs:
        return _list(web, values=values, errs=errs, status=422)
    creator, error = web.attempt(service.create, web.session, owner=web.me, handle=handle,
                                 display_name=display_name, region=region)
    if error is not None:
        return _list(web, values={"handle": handle, "display_name": display_name,
                                  "region": region},
                     errs={_FIELD.get(error.code, "handle"): error.message}, status=error.status)
    assert creator is not None
    return web.redirect(f"/creators/{creator.id}")



@router.get("/creators/{creator_id}")
def creator_page(creator_id: str, web: WebPage) -> Response:
    """One creator account: account ad settings, posts, brands asking to extend codes."""
    creator = service.get_owned(web.session, user=web.me, creator_id=creator_id)
    return web.render("creator/detail.html", account_context(web, creator))


@router.post("/creators/{creator_id}/ad-settings")
def ad_settings(creator_id: str, web: WebForm, enabled: str = Form("", max_length=10),
                accept_terms: str = Form("", max_length=10),
                post_id: str = Form("", max_length=32)) -> Response:
    """R1: switch account-level ad authorization; shows the refusal next to the switch."""
    creator = service.get_owned(web.session, user=web.me, creator_id=creator_id)
    _, error = web.attempt(service.set_ad_settings, web.session, user=web.me, creator=creator,
                           enabled=enabled in ("on", "true", "1"),
                           accept_terms=accept_terms in ("on", "true", "1"), watch=watch)
    web.session.refresh(creator)
    status = error.status if error else 200
    message = _PLAIN.get(error.code, error.message) if error else None
    if post_id:
        # Asked from a post's "Ad settings" panel: answer with that whole panel.
        return render_post(web, post_id, fragment="post/_ad_panel.html",
                                      extra={"settings_error": message},
                                      status=status)
    ctx = {"creator": creator, "settings_error": message}
    if web.htmx:
        return web.render("creator/_ad_settings.html", ctx, status=status)
    if error is not None:
        return web.render("creator/detail.html", {**account_context(web, creator), **ctx},
                          status=status)
    return web.redirect(f"/creators/{creator.id}")

