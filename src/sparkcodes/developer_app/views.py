"""Pages: a developer's apps; the authorization step (TikTok's "advertiser authorization") where a
person lets an app act on some of their ad accounts; and the apps a person has authorized.

Access is the JSON API's: apps are their owner's alone; anyone signed in may authorize any app
whose link they follow, on the ad accounts of their own businesses only. The authorization step
never sends anyone to a URL the app did not register.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from sparkcodes import errors
from sparkcodes.developer_app import rules, service
from sparkcodes.developer_app.auth import DeveloperAppOwned, DeveloperAppOwnedWithDeleted
from sparkcodes.developer_app.schemas import authorize_path
from sparkcodes.models import DeveloperApp
from sparkcodes.web.kit import CSP, Web, WebForm, WebPage

router = APIRouter(tags=["pages"])

APPS_NOTICES = {"deleted": "App deleted: every authorization people gave it, and every access "
                           "token it held, was revoked."}
APP_NOTICES = {"saved": "Settings saved."}
GRANTS_NOTICES = {"revoked": "Authorization revoked: the app's access token stopped working."}
GRANT_STATUS = {
    "active": ("ok", "Active", "The app holds an access token for these ad accounts."),
    "pending": ("neutral", "Waiting", "The app has not exchanged its one-time code yet."),
    "expired": ("muted", "Not used", "The app never exchanged its one-time code; it expired."),
    "revoked": ("bad", "Revoked", "The app's access was revoked."),
}
_APP_FIELD = {"invalid_app_name": "name", "invalid_redirect_url": "redirect_url"}
AdAccountIds = Annotated[list[str] | None, Form()]


# --- a developer's apps -------------------------------------------------------------------------

def _apps(web: Web, *, values: dict[str, str] | None = None,
          errs: dict[str, str] | None = None, notice: str | None = None,
          status: int = 200) -> Response:
    return web.render("developer_app/apps.html", {
        "apps": service.apps_of(web.session, user=web.me), "values": values or {},
        "errors": errs or {}, "notice": notice}, status=status)


@router.get("/developer/apps")
def apps_page(web: WebPage, done: str = "") -> Response:
    """Your developer apps, and a form to register one."""
    return _apps(web, notice=APPS_NOTICES.get(done))


@router.post("/developer/apps")
def register(web: WebForm, name: str = Form(""), redirect_url: str = Form("")) -> Response:
    """Register an app; the answer shows its secret, this once."""
    made, error = web.attempt(service.register, web.session, settings=web.settings, user=web.me,
                              name=name, redirect_url=redirect_url)
    if error is not None:
        return _apps(web, values={"name": name, "redirect_url": redirect_url},
                     errs={_APP_FIELD.get(error.code, "name"): error.message},
                     status=error.status)
    assert made is not None
    app, secret = made
    return _app_page(web, app, secret=secret, status=201,
                     notice="App registered. Keep the secret below: it is shown only now.")


def _app_page(web: Web, app: DeveloperApp, *, secret: str | None = None,
              values: dict[str, str] | None = None, errs: dict[str, str] | None = None,
              notice: str | None = None, status: int = 200) -> Response:
    base = web.settings.public_url.rstrip("/")
    return web.render("developer_app/app.html", {
        "app": app, "secret": secret, "authorize_url": base + authorize_path(app),
        "base_url": base, "auth_code_minutes": web.settings.tiktok.auth_code_minutes,
        "active_grants": service.active_grant_count(web.session, app=app),
        "values": values or {"name": app.name, "redirect_url": app.redirect_url},
        "errors": errs or {}, "notice": notice}, status=status)


@router.get("/developer/apps/{developer_app_id}")
def app_page(developer_app_id: str, web: WebPage, app: DeveloperAppOwned,
             done: str = "") -> Response:
    """One app: its app_id, authorization link, settings, secret rotation and deletion."""
    return _app_page(web, app, notice=APP_NOTICES.get(done))


@router.post("/developer/apps/{developer_app_id}")
def update_app(developer_app_id: str, web: WebForm, app: DeveloperAppOwned,
               name: str = Form(""), redirect_url: str = Form("")) -> Response:
    """Rename the app or change its redirect URL."""
    _, error = web.attempt(service.update, web.session, user=web.me, app=app, name=name,
                           redirect_url=redirect_url)
    if error is not None:
        web.session.refresh(app)
        return _app_page(web, app, values={"name": name, "redirect_url": redirect_url},
                         errs={_APP_FIELD.get(error.code, "name"): error.message},
                         status=error.status)
    return web.redirect(f"/developer/apps/{app.id}?done=saved")


@router.post("/developer/apps/{developer_app_id}/rotate-secret")
def rotate_secret(developer_app_id: str, web: WebForm, app: DeveloperAppOwned) -> Response:
    """A new secret, shown on this answer only; the old one stops working at once."""
    secret = service.rotate_secret(web.session, settings=web.settings, user=web.me, app=app)
    return _app_page(web, app, secret=secret,
                     notice="Secret rotated: the old secret stopped working. Access tokens "
                            "already exchanged keep working.")


@router.post("/developer/apps/{developer_app_id}/delete")
def delete_app(developer_app_id: str, web: WebForm, app: DeveloperAppOwnedWithDeleted) -> Response:
    """Delete the app (revoking every authorization and token), then back to the list."""
    service.delete(web.session, user=web.me, app=app)
    return web.redirect("/developer/apps?done=deleted")


# --- the authorization step ---------------------------------------------------------------------

def _consent(web: Web, *, app: DeveloperApp | None, app_id: str, redirect_uri: str | None,
             state: str | None, chosen: list[str] | None = None, problem: str | None = None,
             errs: dict[str, str] | None = None, status: int = 200) -> Response:
    """The page that asks; ``problem`` replaces the form when the link cannot be used."""
    ctx: dict[str, Any] = {"app": app, "app_id": app_id, "redirect_uri": redirect_uri or "",
                           "state": state or "", "problem": problem, "errors": errs or {},
                           "chosen": set(chosen or []), "groups": []}
    headers = None
    if app is not None and problem is None:
        accounts = service.grantable(web.session, user=web.me)
        groups: dict[str, dict[str, Any]] = {}
        for account, business in accounts:
            groups.setdefault(business.id, {"business": business, "accounts": []})
            groups[business.id]["accounts"].append(account)
        ctx["groups"] = list(groups.values())
        ctx["redirect_host"] = rules.origin(app.redirect_url)
        # The form's answer redirects to the app: let the browser follow it (CSP form-action).
        headers = {"Content-Security-Policy": CSP.replace(
            "form-action 'self'", f"form-action 'self' {rules.origin(app.redirect_url)}")}
    return web.render("developer_app/authorize.html", ctx, status=status, headers=headers)


def _checked(web: Web, app_id: str, redirect_uri: str | None
             ) -> tuple[DeveloperApp | None, str | None, int]:
    """The app and no problem, or the problem in words and its status."""
    if not app_id.strip():
        return None, ("This authorization link names no app: it needs app_id (and "
                      "redirect_uri). Ask the app for a new link."), 400
    try:
        app = service.app_for_authorization(web.session, app_id=app_id)
        rules.check_redirect_uri(app.redirect_url, redirect_uri)
    except errors.NotFound as exc:
        return None, exc.message, 404
    except rules.RedirectUriMismatch:
        return None, ("This link would send you back to an address the app did not register, "
                      "so sparkcodes will not use it. Ask the app for a new link."), 400
    return app, None, 200


@router.get("/oauth/authorize")
@router.get("/portal/auth")  # TikTok's own path for the same step
def authorize_page(web: WebPage, app_id: str = Query("", max_length=40),
                   redirect_uri: str | None = Query(None, max_length=rules.MAX_URL),
                   state: str | None = Query(None, max_length=rules.MAX_STATE)) -> Response:
    """Ask the signed-in person whether the app may act on some of their ad accounts."""
    app, problem, status = _checked(web, app_id, redirect_uri)
    return _consent(web, app=app, app_id=app_id, redirect_uri=redirect_uri, state=state,
                    problem=problem, status=status)


@router.post("/oauth/authorize")
def authorize(web: WebForm, app_id: str = Form("", max_length=40),
              redirect_uri: str = Form("", max_length=rules.MAX_URL),
              state: str = Form("", max_length=rules.MAX_STATE),
              decision: str = Form("", max_length=10),
              ad_account_ids: AdAccountIds = None) -> Response:
    """Allow: a grant and a one-time auth_code, then back to the app with it. Deny: back to the
    app with error=access_denied."""
    app, problem, status = _checked(web, app_id, redirect_uri or None)
    if app is None:
        return _consent(web, app=None, app_id=app_id, redirect_uri=redirect_uri, state=state,
                        problem=problem, status=status)
    if decision == "deny":
        return web.redirect(service.denied_redirect(app=app, redirect_uri=redirect_uri or None,
                                                    state=state or None))
    chosen = ad_account_ids or []
    done, error = web.attempt(service.authorize, web.session, settings=web.settings,
                              user=web.me, app=app, redirect_uri=redirect_uri or None,
                              state=state or None, ad_account_ids=chosen)
    if error is not None:
        if isinstance(error, errors.NotFound):
            raise error
        return _consent(web, app=app, app_id=app_id, redirect_uri=redirect_uri, state=state,
                        chosen=chosen, errs={"ad_account_ids": error.message},
                        status=error.status)
    assert done is not None
    return web.redirect(done.redirect_url)


# --- the apps a person authorized ---------------------------------------------------------------

@router.get("/account/apps")
def grants_page(web: WebPage, done: str = "") -> Response:
    """The apps you authorized: which ad accounts, since when; revoke any."""
    views = service.grants_of(web.session, user=web.me)
    return web.render("developer_app/grants.html", {
        "grants": [{"v": v, "status": GRANT_STATUS[v.status]} for v in views],
        "notice": GRANTS_NOTICES.get(done)})


@router.post("/account/apps/{grant_id}/revoke")
def revoke_grant(grant_id: str, web: WebForm) -> Response:
    """Revoke one authorization; revoking twice is harmless."""
    service.revoke_grant(web.session, user=web.me, grant_id=grant_id)
    return web.redirect("/account/apps?done=revoked")
