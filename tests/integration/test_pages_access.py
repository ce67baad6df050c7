"""Page routes: sign-in, CSRF and tenant isolation, over every page route the app has.

The routes are enumerated from ``app.routes``; a new page route whose path names an id this table
does not know fails the test until it is added (and so checked).
"""

from __future__ import annotations

import html
import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparkcodes.creator_link import service as link_service
from sparkcodes.models import TIKTOK, AdAccount, Business, User
from sparkcodes.roster import service as roster_service
from tests import factories as f

HTML = {"accept": "text/html"}

# Path parameters of page routes, and which object of the victim's world fills each.
ID_SOURCES = {
    "creator_id": "creator", "post_id": "post", "authorization_id": "authorization",
    "business_id": "business", "ad_account_id": "ad_account", "spark_post_id": "spark_post",
    "campaign_id": "campaign", "ad_group_id": "ad_group", "ad_id": "ad",
    "renewal_request_id": "renewal_request", "code_request_id": "code_request",
    "endpoint_id": "webhook_endpoint", "feed_id": "calendar_feed", "entry_id": "roster_entry",
    "contract_id": "contract", "user_id": "member", "developer_app_id": "developer_app",
    "grant_id": "app_grant", "connection_id": "tiktok_connection", "link_id": "creator_link",
    # The e-mailed link's page needs no login: its token is the only key. Filled with a token
    # nobody was sent, it must say no more than "not valid".
    "token": "unsent_token",
}
# Pages anyone holding the link may open, signed in or not (the token is the authorization).
CAPABILITY_PAGES = {"/answer/{token}"}
# Pages that need query parameters: without them they answer 400 (an incomplete link). The
# authorization pages need the app's app_id and redirect; /tiktok/callback is where TikTok sends
# the admin back with its answer (state, auth_code), and opened without it says so in a 400 page
# (test_the_callback_opened_without_tiktoks_answer_says_so in tests/connector).
NEEDS_QUERY = {"/oauth/authorize", "/portal/auth", "/tiktok/callback"}


def page_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, path) of every route served by a ``views`` module, however routers nest."""
    found: list[tuple[str, str]] = []

    def walk(routes, prefix: str = "") -> None:  # type: ignore[no-untyped-def]
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:  # FastAPI's included-router wrapper
                walk(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
            elif isinstance(route, APIRoute) and route.endpoint.__module__.endswith(".views"):
                for method in sorted(route.methods - {"HEAD"}):
                    found.append((method, prefix + route.path))

    walk(app.routes)
    return sorted(set(found))


def page_text(markup: str) -> str:
    """A page's words: tags dropped, entities decoded, runs of whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def page_login(client: TestClient, email: str) -> str:
    """Log in through the page form; returns the session's CSRF token."""
    token = csrf_of(client.get("/login", headers=HTML).text)
    r = client.post("/login", data={"email": email, "password": "correct horse",
                                    "csrf_token": token}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/", headers=HTML).text)


@pytest.fixture
def world(client):  # type: ignore[no-untyped-def]
    """A creator and a brand, with a code bound, an ad running and a renewal request pending."""
    creator_h = f.user(client, email="victim.creator@example.com")
    creator = f.creator(client, creator_h, handle="victim_creator")
    post = f.post(client, creator_h, creator["id"], caption="Victim caption")
    code = f.code(client, creator_h, post["id"])
    brand_h = f.user(client, email="victim.brand@example.com")
    business = f.business(client, brand_h, "Victim Brand")
    account = f.ad_account(client, brand_h, business["id"], "Victim Account")
    bound = f.bind(client, brand_h, account["id"], [code["code"]]).json()["results"][0]
    spark = bound["spark_post"]
    campaign = f._ok(client.post(f"/v1/ad-accounts/{account['id']}/campaigns", headers=brand_h,
                                 json={"name": "Victim campaign"}), 201)
    group = f._ok(client.post(f"/v1/campaigns/{campaign['id']}/ad-groups", headers=brand_h,
                              json={"name": "Victim group", "budget": "50", "bid": "5"}), 201)
    ad = f._ok(client.post(f"/v1/ad-groups/{group['id']}/ads", headers=brand_h,
                           json={"spark_post_id": spark["id"], "name": "Victim ad",
                                 "landing_page_url": "https://victim.example/"}), 201)
    renewal = f._ok(client.post(f"/v1/ad-accounts/{account['id']}/renewal-requests",
                                headers=brand_h, json={"authorization_id": code["id"],
                                                       "days": 30}), 201)
    other_post = f.post(client, creator_h, creator["id"], caption="Victim second post")
    code_request = f._ok(client.post(f"/v1/ad-accounts/{account['id']}/code-requests",
                                     headers=brand_h, json={"post_id": other_post["id"],
                                                            "days": 30}), 201)
    endpoint = f._ok(client.post(f"/v1/businesses/{business['id']}/webhook-endpoints",
                                 headers=brand_h, json={"url": "https://victim.example/hook"}),
                     201)
    feed = f._ok(client.post(f"/v1/businesses/{business['id']}/calendar-feeds",
                             headers=brand_h), 201)
    entry = f._ok(client.post(f"/v1/businesses/{business['id']}/roster", headers=brand_h,
                              json={"creator_id": creator["id"], "notes": "victim notes"}), 201)
    contract = f._ok(client.post(
        f"/v1/businesses/{business['id']}/contracts", headers=brand_h,
        json={"creator_id": creator["id"], "starts_at": "2026-01-01T00:00:00Z",
              "ends_at": "2030-01-01T00:00:00Z", "notes": "victim contract"}), 201)
    member_h = f.member(client, brand_h, business["id"], "analyst")
    member = f._ok(client.get("/v1/me", headers=member_h))
    developer_app = f._ok(client.post("/v1/developer-apps", headers=brand_h, json={
        "name": "Reporting app", "redirect_url": "https://app.example.com/cb"}), 201)
    app_grant = f._ok(client.post("/v1/app-grants", headers=brand_h, json={
        "app_id": developer_app["app_id"], "ad_account_ids": [account["id"]]}), 201)
    # The app flow with the brand's app on this sparkcodes: a pending connection, no call made.
    flow = f._ok(client.post(f"/v1/businesses/{business['id']}/tiktok-connections/app-flow",
                             headers=brand_h, json={
                                 "app_id": developer_app["app_id"],
                                 "secret": developer_app["secret"],
                                 "base_url": client.app.state.settings.public_url}), 201)
    # A request e-mailed to a creator who is not on sparkcodes, through a TikTok-linked account.
    with client.app.state.db.unit_of_work() as session:
        victim = session.scalar(select(User).where(User.email == "victim.brand@example.com"))
        biz = session.get(Business, business["id"])
        tiktok = AdAccount(business_id=business["id"], name="Victim TikTok", source=TIKTOK,
                           external_id="victim-advertiser")
        session.add(tiktok)
        session.flush()
        contact = roster_service.add(session, user=victim, business=biz, creator_id=None,
                                     handle="victim_outside", status="prospect",
                                     rate_micros=None, currency="USD", notes="",
                                     email="victim.outside@example.com")
        link = link_service.ask_for_code(session, settings=client.app.state.settings,
                                         user=victim, business=biz, entry=contact,
                                         account=tiktok, post_url="victim post", days=30,
                                         fee_micros=None, currency="USD", message="")
        link_id = link.link.id
    return {"creator": creator["id"], "post": post["id"], "authorization": code["id"],
            "business": business["id"], "ad_account": account["id"], "spark_post": spark["id"],
            "campaign": campaign["id"], "ad_group": group["id"], "ad": ad["id"],
            "renewal_request": renewal["id"], "code_request": code_request["id"],
            "webhook_endpoint": endpoint["id"], "calendar_feed": feed["id"],
            "roster_entry": entry["id"], "contract": contract["id"], "member": member["id"],
            "developer_app": developer_app["id"], "app_grant": app_grant["id"],
            "tiktok_connection": flow["connection"]["id"], "creator_link": link_id,
            "unsent_token": "0" * 40}


@pytest.fixture
def intruder(app, client):  # type: ignore[no-untyped-def]
    """Another tenant, signed in to the pages with their own session and CSRF token."""
    headers = f.user(client, email="intruder@example.com")
    f.creator(client, headers, handle="intruder_creator")
    f.business(client, headers, "Intruder Inc")
    with TestClient(app, raise_server_exceptions=False) as browser:
        token = page_login(browser, "intruder@example.com")
        yield browser, token


def _fill(path: str, world: dict[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ID_SOURCES, (
            f"page route {path} has the path parameter {{{name}}} that this test does not know: "
            "add it to ID_SOURCES so the route's tenant isolation is checked")
        return world[ID_SOURCES[name]]
    return re.sub(r"\{([a-z_]+)\}", sub, path)


def test_page_routes_are_enumerated(app):  # type: ignore[no-untyped-def]
    routes = page_routes(app)
    assert ("GET", "/posts/{post_id}") in routes
    assert ("POST", "/ad-accounts/{ad_account_id}/spark-posts") in routes
    assert all(not path.startswith("/v1/") for _, path in routes)


def test_every_page_route_refuses_another_tenants_ids(app, world, intruder):  # type: ignore[no-untyped-def]
    browser, token = intruder
    checked = 0
    for method, path in page_routes(app):
        if "{" not in path:
            continue
        url = _fill(path, world)
        for extra in ({}, {"hx-request": "true"}):
            if method == "GET":
                r = browser.get(url, headers={**HTML, **extra}, follow_redirects=False)
            else:
                r = browser.post(url, headers={**HTML, **extra, "x-csrf-token": token},
                                 data={"days": "30", "reason": "no", "codes": "x", "name": "x",
                                       "operation": "DISABLE", "enabled": "on",
                                       "authorization_id": world["authorization"]},
                                 follow_redirects=False)
            assert r.status_code == 404, (method, path, extra, r.status_code, r.text[:300])
            assert "victim" not in r.text.lower(), (method, path)
        checked += 1
    assert checked >= 20


def test_lists_without_ids_show_only_your_own(app, world, intruder):  # type: ignore[no-untyped-def]
    browser, _ = intruder
    for method, path in page_routes(app):
        if method != "GET" or "{" in path:
            continue
        r = browser.get(path, headers=HTML, follow_redirects=False)
        assert r.status_code in ((400,) if path in NEEDS_QUERY else (200, 303)), (path,
                                                                                 r.status_code)
        assert "victim" not in r.text.lower(), path


def test_signed_out_pages_redirect_to_login(app, client, world):  # type: ignore[no-untyped-def]
    for method, path in page_routes(app):
        if method != "GET" or path in ("/login", "/signup") or path in CAPABILITY_PAGES:
            continue
        url = _fill(path, world)
        r = client.get(url, headers=HTML, follow_redirects=False)
        assert r.status_code == 303, (path, r.status_code)
        assert r.headers["location"].startswith("/login?next=/"), path
        r = client.get(url, headers={"hx-request": "true"}, follow_redirects=False)
        assert r.headers.get("hx-redirect", "").startswith("/login"), path


def test_every_page_post_needs_the_csrf_token(app, client, world):  # type: ignore[no-untyped-def]
    """Signed in as the owner, with the right ids: without the token nothing happens (403)."""
    token = page_login(client, "victim.brand@example.com")
    posts = [(m, p) for m, p in page_routes(app) if m == "POST" and p not in ("/login", "/signup")]
    assert len(posts) >= 15
    for _, path in posts:
        url = _fill(path, world)
        for headers, data in (({}, {}), ({}, {"csrf_token": "forged"}),
                              ({"x-csrf-token": token + "x"}, {}),
                              ({"x-csrf-token": ""}, {"csrf_token": ""})):
            r = client.post(url, headers={**HTML, **headers}, data={"days": "30", **data},
                            follow_redirects=False)
            assert r.status_code == 403, (path, headers, data, r.status_code)
    # The forms themselves still work with the token.
    r = client.post("/notifications/read", headers=HTML, data={"csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303


def test_log_in_and_sign_up_forms_need_the_pre_session_token(client):  # type: ignore[no-untyped-def]
    f.user(client, email="someone@example.com")
    r = client.post("/login", data={"email": "someone@example.com", "password": "correct horse"},
                    headers=HTML, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/signup", data={"email": "new@example.com", "password": "long enough"},
                    headers=HTML, follow_redirects=False)
    assert r.status_code == 403


def test_session_cookie_is_httponly_and_lax_and_logout_revokes_it(client):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/signup", headers=HTML).text)
    r = client.post("/signup", data={"email": "cookie@example.com", "password": "long enough",
                                     "csrf_token": token}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    cookie = next(v for k, v in r.headers.multi_items()
                  if k == "set-cookie" and v.startswith("sc_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    raw = cookie.split(";", 1)[0].split("=", 1)[1]
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    csrf = csrf_of(client.get("/", headers=HTML).text)
    r = client.post("/logout", data={"csrf_token": csrf}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_pages_send_security_headers_and_json_routes_keep_json_errors(client):  # type: ignore[no-untyped-def]
    r = client.get("/login", headers=HTML)
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    r = client.get("/v1/creators/nope", headers={**HTML, "Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = client.get("/v1/no-such-route", headers=HTML)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/static/htmx/htmx.min.js")
    assert r.status_code == 200 and "htmx" in r.text[:2000]
