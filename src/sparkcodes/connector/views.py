"""Pages: a business's TikTok connections (link by token, start the app flow, check, remove) and
the app flow's callback page."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response

from sparkcodes.business import rules as business_rules
from sparkcodes.business.auth import BusinessAdmin, BusinessRead
from sparkcodes.connector import rules, service
from sparkcodes.models import Business
from sparkcodes.web.kit import CSP, Web, WebForm, WebPage

router = APIRouter(tags=["pages"])

NOTICES = {"linked": "Linked: TikTok confirmed the token reaches every advertiser below.",
           "removed": "Connection removed: its access token and app secret were erased.",
           "checked": "Checked just now.",
           "syncing": "Sync queued: the Spark posts TikTok lists appear in the tracker in a "
                      "moment."}
BADGES = {"healthy": "ok", "unchecked": "neutral", "throttled": "neutral",
          "unreachable": "bad", "token_revoked": "bad", "advertiser_gone": "bad",
          "awaiting_authorization": "neutral", "authorization_expired": "muted"}
LABELS = {"healthy": "Healthy", "unchecked": "Not checked", "throttled": "Throttled",
          "unreachable": "Unreachable", "token_revoked": "Token revoked — reconnect",
          "advertiser_gone": "Advertiser gone", "awaiting_authorization": "Waiting",
          "authorization_expired": "Not authorized"}
_TOKEN_FIELD = {"invalid_base_url": "token_base_url", "invalid_access_token": "access_token",
                "tiktok_token_refused": "access_token",
                "invalid_advertiser_ids": "advertiser_ids",
                "tiktok_advertiser_not_granted": "advertiser_ids",
                "advertiser_already_linked": "advertiser_ids"}
_APP_FIELD = {"invalid_base_url": "app_base_url", "invalid_app_credentials": "app_id"}


def _page(web: Web, business: Business, role: str, *, values: dict[str, str] | None = None,
          errs: dict[str, str] | None = None, notice: str | None = None,
          status: int = 200) -> Response:
    views = service.connections_of(web.session, business=business)
    return web.render("connector/connections.html", {
        "business": business, "role": role, "connections": views, "badges": BADGES,
        "labels": LABELS, "can_admin": business_rules.allows(role, "admin"),
        "sync_words": service.sync_words, "state_note": rules.state_note,
        "callback_url": service.callback_url(web.settings),
        "default_base_url": web.settings.connector.default_base_url,
        "values": values or {}, "errors": errs or {}, "notice": notice}, status=status)


@router.get("/businesses/{business_id}/tiktok")
def connections_page(business_id: str, web: WebPage, access: BusinessRead,
                     done: str = "") -> Response:
    """The business's TikTok connections and their state; admins link, check and remove."""
    return _page(web, access.business, access.role, notice=NOTICES.get(done))


@router.post("/businesses/{business_id}/tiktok/token")
def link_by_token(business_id: str, web: WebForm, access: BusinessAdmin,
                  access_token: str = Form(""), advertiser_ids: str = Form(""),
                  base_url: str = Form("")) -> Response:
    """Link advertisers with a pasted long-lived token (checked with TikTok first)."""
    values = {"advertiser_ids": advertiser_ids, "token_base_url": base_url}  # never the token
    _, error = web.attempt(service.link_by_token, web.session, settings=web.settings,
                           user=web.me, business=access.business, base_url=base_url or None,
                           access_token=access_token,
                           advertiser_ids=rules.split_ids(advertiser_ids))
    if error is not None:
        field = _TOKEN_FIELD.get(error.code, "token_general")
        return _page(web, access.business, access.role, values=values,
                     errs={field: error.message}, status=error.status)
    return web.redirect(f"/businesses/{access.business.id}/tiktok?done=linked")


@router.post("/businesses/{business_id}/tiktok/app")
def start_app_flow(business_id: str, web: WebForm, access: BusinessAdmin,
                   app_id: str = Form(""), secret: str = Form(""),
                   base_url: str = Form("")) -> Response:
    """Start the app flow: off to TikTok's authorization page for the business's app."""
    values = {"app_id": app_id, "app_base_url": base_url}  # never the secret
    started, error = web.attempt(service.start_app_flow, web.session, settings=web.settings,
                                 user=web.me, business=access.business,
                                 base_url=base_url or None, app_id=app_id, secret=secret)
    if error is not None:
        field = _APP_FIELD.get(error.code, "app_general")
        if error.code == "invalid_app_credentials" and "secret" in error.message:
            field = "secret"
        return _page(web, access.business, access.role, values=values,
                     errs={field: error.message}, status=error.status)
    assert started is not None
    parts = urlsplit(started.authorize_url)
    # The browser follows this redirect from a form: let the form go to TikTok's origin.
    csp = CSP.replace("form-action 'self'",
                      f"form-action 'self' {parts.scheme}://{parts.netloc}")
    return web.finish(RedirectResponse(started.authorize_url, status_code=303,
                                       headers={"Content-Security-Policy": csp}))


@router.post("/businesses/{business_id}/tiktok/{connection_id}/check")
def check(business_id: str, connection_id: str, web: WebForm,
          access: BusinessAdmin) -> Response:
    """Check now: ask TikTok again; the page shows the state."""
    connection = service.access(web.session, business=access.business,
                                connection_id=connection_id)
    service.check(web.session, settings=web.settings, connection=connection, user=web.me)
    return web.redirect(f"/businesses/{access.business.id}/tiktok?done=checked")


@router.post("/businesses/{business_id}/tiktok/{connection_id}/sync")
def sync_now(business_id: str, connection_id: str, web: WebForm,
             access: BusinessAdmin) -> Response:
    """Sync now: queue a sync of every advertiser; the page shows how the last one went."""
    connection = service.access(web.session, business=access.business,
                                connection_id=connection_id)
    _, error = web.attempt(service.sync_now, web.session, user=web.me, connection=connection)
    if error is not None:
        return _page(web, access.business, access.role, errs={"sync": error.message},
                     status=error.status)
    return web.redirect(f"/businesses/{access.business.id}/tiktok?done=syncing")


@router.post("/businesses/{business_id}/tiktok/{connection_id}/remove")
def remove(business_id: str, connection_id: str, web: WebForm,
           access: BusinessAdmin) -> Response:
    """Remove a connection; its secrets are erased."""
    connection = service.access(web.session, business=access.business,
                                connection_id=connection_id)
    service.remove(web.session, settings=web.settings, user=web.me, connection=connection)
    return web.redirect(f"/businesses/{access.business.id}/tiktok?done=removed")


@router.get("/tiktok/callback")
def callback(web: WebPage, state: str = Query("", max_length=500),
             auth_code: str = Query("", max_length=1000),
             code: str = Query("", max_length=1000),
             error: str = Query("", max_length=100)) -> Response:
    """Where TikTok sends the admin back after authorizing the business's app."""
    done, problem = web.attempt(service.complete_app_flow, web.session, settings=web.settings,
                                user=web.me, state=state, auth_code=auth_code or code,
                                denied=bool(error))
    if problem is not None:
        return web.render("connector/callback.html", {"problem": problem.message,
                                                      "code": problem.code},
                          status=problem.status)
    assert done is not None
    return web.redirect(f"/businesses/{done.connection.business_id}/tiktok?done=linked")
