"""TikTok connections (docs/connector.md, step 1) against a real stand-in TikTok: a second
sparkcodes server with its own database, reached over HTTP on its /open_api/v1.3 surface.

Linking by a pasted token and through the business's own developer app, checking, the alert when
a connection breaks, throttling retried, tenancy, and no secret stored or logged in clear."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from sparkcodes.app import create_app
from sparkcodes.config import Settings
from sparkcodes.connector import rules, service
from sparkcodes.migrations import upgrade
from sparkcodes.models import Base, Business, Notification, TikTokConnection, User
from tests import factories as f
from tests.conftest import PG_ENV, _pg_admin_url
from tests.integration._http import assert_error
from tests.tiktok_world import Brand, new_token, revoke, serve

HTML = {"accept": "text/html"}
BASE = "/v1/businesses/{}/tiktok-connections"


# --- the stand-in TikTok: its own database, its own server ---------------------------------------

@dataclass
class StandIn:
    url: str
    client: TestClient
    settings: Settings


def _own_database(backend, tmp) -> tuple[str, Any]:  # type: ignore[no-untyped-def]
    if backend.name == "sqlite":
        return f"sqlite:///{tmp / 'standin.db'}", None
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"sparkcodes_standin_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return make_url(_pg_admin_url()).set(database=name).render_as_string(
        hide_password=False), drop


@contextlib.contextmanager
def _served(settings: Settings) -> Iterator[tuple[str, Any]]:
    app = create_app(settings)
    try:
        with serve(app) as url:
            yield url, app
    finally:
        app.state.db.dispose()


@pytest.fixture(scope="module")
def standin_settings(backend, tmp_path_factory) -> Iterator[Settings]:  # type: ignore[no-untyped-def]
    if backend.name == "postgres" and not os.environ.get(PG_ENV):
        pytest.skip("PostgreSQL not configured")
    url, drop = _own_database(backend, tmp_path_factory.mktemp("standin"))
    upgrade(url)
    yield backend.settings(database_url=url, secret_key="stand-in-secret-key")
    if drop is not None:
        drop()


@pytest.fixture(scope="module")
def _standin(standin_settings) -> Iterator[StandIn]:  # type: ignore[no-untyped-def]
    with _served(standin_settings) as (url, app), TestClient(app) as client:
        yield StandIn(url, client, standin_settings)


@pytest.fixture
def standin(_standin, app) -> StandIn:  # type: ignore[no-untyped-def]
    return _standin


# --- our side -----------------------------------------------------------------------------------

class Admin:
    """A brand admin on our side with a business, signed in on the API and in a browser."""

    def __init__(self, client: TestClient) -> None:
        self.email = f"ops{next(f._seq)}@example.com"
        self.headers = f.user(client, email=self.email)
        self.business = f.business(client, self.headers, "Glow")
        self.base = BASE.format(self.business["id"])
        self.browser = TestClient(client.app, raise_server_exceptions=False)
        self.csrf = page_login(self.browser, self.email)


def csrf_of(markup: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', markup)
    assert match, "no CSRF field on the page"
    return match.group(1)


def page_login(browser: TestClient, email: str) -> str:
    token = csrf_of(browser.get("/login", headers=HTML).text)
    r = browser.post("/login", data={"email": email, "password": "correct horse",
                                     "csrf_token": token}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(browser.get("/", headers=HTML).text)


def link(client: TestClient, admin: Admin, standin: StandIn, token: str,
         advertiser_ids: list[str], **extra: Any):  # type: ignore[no-untyped-def]
    return client.post(admin.base, headers=admin.headers, json={
        "access_token": token, "advertiser_ids": advertiser_ids, "base_url": standin.url,
        **extra})


def alerts(client: TestClient, business_id: str) -> list[tuple[str, str]]:
    """(user id, title) of every connection.broken notification of the business."""
    with client.app.state.db.engine.connect() as conn:
        rows = conn.execute(select(Notification.user_id, Notification.title).where(
            Notification.event_type == "connection.broken",
            Notification.business_id == business_id)).all()
    return [(r[0], r[1]) for r in rows]


def dump_everything(client: TestClient) -> str:
    """Every row of every table, as text."""
    parts = []
    with client.app.state.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            parts.extend(repr(tuple(row)) for row in conn.execute(select(table)))
    return "\n".join(parts)


# --- linking by token ---------------------------------------------------------------------------

def test_link_by_token_checks_with_tiktok_and_stores_the_token_sealed(client, standin):  # type: ignore[no-untyped-def]
    brand = Brand(standin.client, name="Glow TikTok")
    account2, advertiser2 = brand.another_account(standin.client)
    admin = Admin(client)
    r = link(client, admin, standin, brand.token, [brand.advertiser_id, advertiser2])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "healthy" and body["method"] == "token"
    assert body["base_url"] == standin.url
    assert body["state_words"].startswith("Healthy: checked ")
    assert "2 advertisers reachable" in body["state_words"]
    assert {a["advertiser_id"]: a["name"] for a in body["advertisers"]} == {
        brand.advertiser_id: brand.account["name"], advertiser2: account2["name"]}
    assert brand.token not in r.text and "sealed" not in r.text
    listed = f._ok(client.get(admin.base, headers=admin.headers))
    assert [c["id"] for c in listed] == [body["id"]] and brand.token not in repr(listed)
    with client.app.state.db.engine.connect() as conn:
        sealed = conn.execute(select(TikTokConnection.access_token_sealed)).scalar_one()
    assert sealed and brand.token not in sealed
    assert service.sealer(client.app.state.settings).open(sealed) == brand.token
    # The page shows it, in words.
    page = admin.browser.get(f"/businesses/{admin.business['id']}/tiktok", headers=HTML)
    assert page.status_code == 200 and "Healthy" in page.text and brand.account["name"] in page.text
    assert brand.token not in page.text


def test_a_wrong_token_and_an_advertiser_not_granted_are_refused_in_words(client, standin):  # type: ignore[no-untyped-def]
    brand = Brand(standin.client)
    other = Brand(standin.client)
    admin = Admin(client)
    assert_error(link(client, admin, standin, "sct_not-a-token", [brand.advertiser_id]), 422,
                 "tiktok_token_refused", "TikTok refused the access token")
    error = assert_error(link(client, admin, standin, brand.token, [brand.advertiser_id,
                                                                    other.advertiser_id]),
                         422, "tiktok_advertiser_not_granted",
                         f"The token may not use advertiser {other.advertiser_id}")
    assert error["details"] == {"advertiser_id": other.advertiser_id}
    assert "(40001)" in error["message"]
    assert f._ok(client.get(admin.base, headers=admin.headers)) == []


@pytest.mark.parametrize(("body", "code", "fragment"), [
    ({"base_url": "http://tiktok.example.com"}, "invalid_base_url", "Use https"),
    ({"base_url": "https://user:pw@business-api.tiktok.com"}, "invalid_base_url",
     "Leave credentials out"),
    ({"base_url": "https://business-api.tiktok.com/other/"}, "invalid_base_url",
     "Give the host only"),
    ({"access_token": "  "}, "invalid_access_token", "Paste the long-lived access token"),
    ({"access_token": "\ufeffsct_token"}, "invalid_access_token",
     "paste it again exactly as TikTok shows it"),
    ({"advertiser_ids": []}, "invalid_advertiser_ids", "at least one advertiser"),
    ({"advertiser_ids": ["acme"]}, "invalid_advertiser_ids", "is not an advertiser id"),
])
def test_what_cannot_be_linked_is_refused_before_calling_tiktok(client, standin, body, code,  # type: ignore[no-untyped-def]
                                                                fragment):
    admin = Admin(client)
    payload = {"access_token": "tok", "advertiser_ids": ["7000000000000000001"],
               "base_url": standin.url, **body}
    assert_error(client.post(admin.base, headers=admin.headers, json=payload), 422, code,
                 fragment)


def test_an_unreachable_base_url_is_said_after_retrying(client, standin):  # type: ignore[no-untyped-def]
    admin = Admin(client)
    dead = f"http://127.0.0.1:{f.free_port()}"
    r = client.post(admin.base, headers=admin.headers, json={
        "access_token": "tok", "advertiser_ids": ["7000000000000000001"], "base_url": dead})
    assert_error(r, 502, "tiktok_unreachable", f"TikTok could not be reached at {dead}")


def test_the_same_advertiser_is_not_linked_twice(client, standin):  # type: ignore[no-untyped-def]
    brand = Brand(standin.client)
    admin = Admin(client)
    assert link(client, admin, standin, brand.token, [brand.advertiser_id]).status_code == 201
    assert_error(link(client, admin, standin, brand.token, [brand.advertiser_id]), 409,
                 "advertiser_already_linked", f"Advertiser {brand.advertiser_id} is already")


# --- checking, revocation and the alert ---------------------------------------------------------

def test_check_now_after_tiktok_revokes_the_token_says_reconnect_and_alerts_once(  # type: ignore[no-untyped-def]
        client, standin):
    brand = Brand(standin.client)
    second = new_token(standin.client, brand.email)
    admin = Admin(client)
    operator = f.user(client)
    operator_me = f._ok(client.get("/v1/me", headers=operator))
    f._ok(client.put(f"/v1/businesses/{admin.business['id']}/members", headers=admin.headers,
                     json={"email": operator_me["email"], "role": "operator"}))
    made = f._ok(link(client, admin, standin, second["token"], [brand.advertiser_id]), 201)
    url = f"{admin.base}/{made['id']}"
    checked = f._ok(client.post(f"{url}/check", headers=admin.headers))
    assert checked["state"] == "healthy" and alerts(client, admin.business["id"]) == []
    revoke(standin.client, brand.headers, second["id"])
    checked = f._ok(client.post(f"{url}/check", headers=admin.headers))
    assert checked["state"] == "token_revoked" and checked["last_error_code"] == 40105
    assert "Reconnect" in checked["state_words"] and checked["token_revoked_at"]
    admin_id = f._ok(client.get("/v1/me", headers=admin.headers))["id"]
    assert alerts(client, admin.business["id"]) == [(admin_id,
                                                     "TikTok connection needs reconnecting")]
    # Checking again, on the API and on the page, tells nobody twice.
    assert f._ok(client.post(f"{url}/check", headers=admin.headers))["state"] == "token_revoked"
    r = admin.browser.post(f"/businesses/{admin.business['id']}/tiktok/{made['id']}/check",
                           data={"csrf_token": admin.csrf}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    page = admin.browser.get(r.headers["location"], headers=HTML)
    assert "Token revoked — reconnect" in page.text and "Checked just now." in page.text
    assert len(alerts(client, admin.business["id"])) == 1
    # An operator may read the state, not check or remove.
    assert f._ok(client.get(url, headers=operator))["state"] == "token_revoked"
    assert_error(client.post(f"{url}/check", headers=operator), 403, "role_insufficient",
                 "needs admin")
    assert_error(client.delete(url, headers=operator), 403, "role_insufficient", "needs admin")


def test_an_advertiser_gone_is_told_once(client, standin):  # type: ignore[no-untyped-def]
    brand = Brand(standin.client)
    colleague = f.user(standin.client)
    colleague_me = f._ok(standin.client.get("/v1/me", headers=colleague))
    f._ok(standin.client.put(f"/v1/businesses/{brand.business['id']}/members",
                             headers=brand.headers,
                             json={"email": colleague_me["email"], "role": "admin"}))
    colleague_token = new_token(standin.client, colleague_me["email"])["token"]
    admin = Admin(client)
    made = f._ok(link(client, admin, standin, colleague_token, [brand.advertiser_id]), 201)
    # On TikTok, the colleague loses access to the advertiser.
    r = standin.client.delete(f"/v1/businesses/{brand.business['id']}/members/"
                              f"{colleague_me['id']}", headers=brand.headers)
    assert r.status_code in (200, 204), r.text
    url = f"{admin.base}/{made['id']}"
    checked = f._ok(client.post(f"{url}/check", headers=admin.headers))
    assert checked["state"] == "advertiser_gone", checked
    assert checked["advertisers"][0]["gone_at"] and brand.advertiser_id in checked["state_words"]
    f._ok(client.post(f"{url}/check", headers=admin.headers))
    assert [t for _, t in alerts(client, admin.business["id"])] == [
        "A TikTok advertiser is no longer reachable"]


# --- throttling ---------------------------------------------------------------------------------

def test_tiktok_throttling_40100_is_retried_with_backoff(client, standin, caplog):  # type: ignore[no-untyped-def]
    brand = Brand(standin.client)
    ids = [brand.advertiser_id] + [brand.another_account(standin.client)[1] for _ in range(2)]
    admin = Admin(client)
    strict = standin.settings.model_copy(update={"tiktok": standin.settings.tiktok.model_copy(
        update={"app_qps": 1})})
    with _served(strict) as (url, _), caplog.at_level(logging.INFO, "sparkcodes.connector"):
        r = client.post(admin.base, headers=admin.headers, json={
            "access_token": brand.token, "advertiser_ids": ids, "base_url": url})
    assert r.status_code == 201, r.text
    assert len(r.json()["advertisers"]) == 3
    retried = [m for m in caplog.messages if m.startswith("TikTok call retried")]
    assert retried and all("retry 40100" in m for m in retried), caplog.messages


def test_throttling_that_outlasts_the_retries_is_said(client, standin):  # type: ignore[no-untyped-def]
    brand = Brand(standin.client)
    ids = [brand.advertiser_id] + [brand.another_account(standin.client)[1] for _ in range(2)]
    admin = Admin(client)
    strict = standin.settings.model_copy(update={"tiktok": standin.settings.tiktok.model_copy(
        update={"app_qps": 1})})
    ours = client.app.state.settings
    impatient = ours.model_copy(update={"connector": ours.connector.model_copy(
        update={"max_attempts": 1})})
    with _served(strict) as (url, _), client.app.state.db.session() as session:
        business = session.get(Business, admin.business["id"])
        user = session.get(User, f._ok(client.get("/v1/me", headers=admin.headers))["id"])
        with pytest.raises(rules.TikTokThrottled) as exc:
            service.link_by_token(session, settings=impatient, user=user, business=business,
                                  base_url=url, access_token=brand.token, advertiser_ids=ids)
        session.rollback()
    assert exc.value.code == "tiktok_throttled" and exc.value.status == 503
    assert "TikTok is throttling calls" in exc.value.message and "(40100)" in exc.value.message


def test_a_base_url_that_is_not_tiktoks_api_is_said(client, standin):  # type: ignore[no-untyped-def]
    admin = Admin(client)
    closed = standin.settings.model_copy(update={"tiktok": standin.settings.tiktok.model_copy(
        update={"enabled": False})})
    with _served(closed) as (url, _):
        r = client.post(admin.base, headers=admin.headers, json={
            "access_token": "tok", "advertiser_ids": ["7000000000000000001"], "base_url": url})
    assert_error(r, 502, "tiktok_refused", "did not answer as TikTok's API does")


# --- the app flow -------------------------------------------------------------------------------

def _developer_app(standin: StandIn, redirect_url: str) -> dict[str, Any]:
    dev = f.user(standin.client)
    return f._ok(standin.client.post("/v1/developer-apps", headers=dev, json={
        "name": "Glow connector", "redirect_url": redirect_url}), 201)


def _start(admin: Admin, standin: StandIn, app: dict[str, Any], secret: str | None = None
           ) -> str:
    """Start the app flow on the page: the redirect to TikTok's authorization page."""
    r = admin.browser.post(f"/businesses/{admin.business['id']}/tiktok/app", headers=HTML,
                           data={"csrf_token": admin.csrf, "app_id": app["app_id"],
                                 "secret": secret or app["secret"], "base_url": standin.url},
                           follow_redirects=False)
    assert r.status_code == 303, r.text
    assert f"form-action 'self' {standin.url}" in r.headers["content-security-policy"]
    return r.headers["location"]


def _authorize(standin: StandIn, brand: Brand, authorize_url: str) -> str:
    """The brand allows the app on TikTok (the stand-in's /v1/app-grants, as its page does):
    the URL TikTok sends the browser back to."""
    query = parse_qs(urlsplit(authorize_url).query)
    grant = f._ok(standin.client.post("/v1/app-grants", headers=brand.headers, json={
        "app_id": query["app_id"][0], "ad_account_ids": [brand.account["id"]],
        "redirect_uri": query["redirect_uri"][0], "state": query["state"][0]}), 201)
    return grant["redirect_url"]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_the_app_flow_links_the_advertisers_allowed_on_tiktok(client, standin, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    admin = Admin(client)
    callback = service.callback_url(client.app.state.settings)
    app = _developer_app(standin, callback)
    brand = Brand(standin.client, name="Glow on TikTok")
    authorize_url = _start(admin, standin, app)
    assert authorize_url.startswith(f"{standin.url}/portal/auth?")
    pending = f._ok(client.get(admin.base, headers=admin.headers))
    assert [c["state"] for c in pending] == ["awaiting_authorization"]
    # TikTok's own authorization page for this app answers.
    assert standin.client.get(_path(authorize_url), headers=HTML).status_code in (200, 303)
    back = _authorize(standin, brand, authorize_url)
    assert back.startswith(callback + "?")
    r = admin.browser.get(_path(back), headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/businesses/{admin.business['id']}/tiktok?done=linked"
    [made] = f._ok(client.get(admin.base, headers=admin.headers))
    assert made["state"] == "healthy" and made["method"] == "app"
    assert made["app_id"] == app["app_id"]
    assert made["advertisers"] == [{"advertiser_id": brand.advertiser_id,
                                    "name": brand.account["name"], "gone_at": None}]
    checked = f._ok(client.post(f"{admin.base}/{made['id']}/check", headers=admin.headers))
    assert checked["state"] == "healthy"
    # The link works once.
    again = admin.browser.get(_path(back), headers=HTML)
    assert again.status_code == 400 and "already completed" in again.text
    # No raw secret or token anywhere: not in a row of any table, not in the logs.
    token = _raw_token(client, made["id"])
    assert token.startswith("sct_")
    dump = dump_everything(client)
    for secret in (app["secret"], token):
        assert secret not in dump
        assert secret not in caplog.text
    assert "secret=***" in caplog.text  # httpx's request line, masked


def _raw_token(client: TestClient, connection_id: str) -> str:
    """The access token TikTok issued: only our sealed copy holds it (TikTok keeps a hash)."""
    with client.app.state.db.engine.connect() as conn:
        sealed = conn.execute(select(TikTokConnection.access_token_sealed)
                              .where(TikTokConnection.id == connection_id)).scalar_one()
    return service.sealer(client.app.state.settings).open(sealed)


def test_app_flow_refusals(client, standin):  # type: ignore[no-untyped-def]
    admin = Admin(client)
    callback = service.callback_url(client.app.state.settings)
    app = _developer_app(standin, callback)
    brand = Brand(standin.client)
    # A forged or altered state.
    r = admin.browser.get("/tiktok/callback?state=abc.def&auth_code=x", headers=HTML)
    assert r.status_code == 400 and "did not come from sparkcodes" in r.text
    # Another person cannot complete someone else's authorization.
    back = _authorize(standin, brand, _start(admin, standin, app))
    intruder = Admin(client)
    r = intruder.browser.get(_path(back), headers=HTML)
    assert r.status_code == 400 and "someone else started it" in r.text
    # Denied on TikTok.
    query = parse_qs(urlsplit(back).query)
    r = admin.browser.get(f"/tiktok/callback?error=access_denied&state={query['state'][0]}",
                          headers=HTML)
    assert r.status_code == 400 and "did not allow the app" in r.text
    r = admin.browser.get(f"/tiktok/callback?state={query['state'][0]}", headers=HTML)
    assert r.status_code == 400 and "TikTok sent no auth_code back" in r.text
    # A wrong secret: TikTok refuses the exchange (40101).
    back = _authorize(standin, brand, _start(admin, standin, app, secret="0" * 40))
    r = admin.browser.get(_path(back), headers=HTML)
    assert r.status_code == 422 and "TikTok refused to exchange" in r.text and "40101" in r.text
    # Bad app credentials on the form, inline.
    r = admin.browser.post(f"/businesses/{admin.business['id']}/tiktok/app", headers=HTML,
                           data={"csrf_token": admin.csrf, "app_id": "abc", "secret": "s",
                                 "base_url": standin.url})
    assert r.status_code == 422 and 'id="app_id-error"' in r.text
    assert_error(client.post(f"{admin.base}/app-flow", headers=admin.headers,
                             json={"app_id": "123", "secret": "", "base_url": standin.url}),
                 422, "invalid_app_credentials", "secret")


def test_the_callback_opened_without_tiktoks_answer_says_so(client):  # type: ignore[no-untyped-def]
    """Someone who opens /tiktok/callback by hand (a bookmark, a copied redirect URL) gets a 400
    page naming the problem, not an error about a forged link; nothing changes."""
    admin = Admin(client)
    before = dump_everything(client)
    for query in ("", "?auth_code=abc", "?state=&auth_code=abc", "?error=access_denied"):
        r = admin.browser.get(f"/tiktok/callback{query}", headers=HTML)
        assert r.status_code == 400, (query, r.text)
        assert "opened without TikTok&#39;s answer (no state)" in r.text, (query, r.text)
        assert "Nothing was linked." in r.text
    assert dump_everything(client) == before


# --- tenancy, removal, key rotation -------------------------------------------------------------

def test_another_business_cannot_see_or_act_on_a_connection(client, standin):  # type: ignore[no-untyped-def]
    brand = Brand(standin.client)
    admin = Admin(client)
    made = f._ok(link(client, admin, standin, brand.token, [brand.advertiser_id]), 201)
    stranger = Admin(client)
    theirs = f"{stranger.base}/{made['id']}"
    mine = f"{admin.base}/{made['id']}"
    for r in (client.get(theirs, headers=stranger.headers),
              client.post(f"{theirs}/check", headers=stranger.headers),
              client.delete(theirs, headers=stranger.headers)):
        assert_error(r, 404, "not_found", "No such TikTok connection")
    for r in (client.get(mine, headers=stranger.headers),
              client.post(f"{mine}/check", headers=stranger.headers)):
        assert r.status_code == 404, r.text
    r = stranger.browser.post(f"/businesses/{stranger.business['id']}/tiktok/{made['id']}/remove",
                              data={"csrf_token": stranger.csrf}, headers=HTML)
    assert r.status_code == 404
    assert f._ok(client.get(mine, headers=admin.headers))["state"] == "healthy"


def test_removing_erases_the_secrets(client, standin):  # type: ignore[no-untyped-def]
    brand = Brand(standin.client)
    admin = Admin(client)
    made = f._ok(link(client, admin, standin, brand.token, [brand.advertiser_id]), 201)
    r = admin.browser.post(f"/businesses/{admin.business['id']}/tiktok/{made['id']}/remove",
                           data={"csrf_token": admin.csrf}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=removed")
    assert f._ok(client.get(admin.base, headers=admin.headers)) == []
    assert client.get(f"{admin.base}/{made['id']}", headers=admin.headers).status_code == 404
    with client.app.state.db.engine.connect() as conn:
        row = conn.execute(select(TikTokConnection.access_token_sealed,
                                  TikTokConnection.deleted_at)).one()
    assert row[0] is None and row[1] is not None


def test_rotating_the_secret_key_reseals_every_secret(client, standin):  # type: ignore[no-untyped-def]
    brand = Brand(standin.client)
    admin = Admin(client)
    made = f._ok(link(client, admin, standin, brand.token, [brand.advertiser_id]), 201)
    old = client.app.state.settings
    new = old.model_copy(update={"secret_key": "a-new-secret-key",
                                 "previous_secret_keys": [old.secret_key]})
    with client.app.state.db.session() as session:
        assert service.rotate_keys(session, settings=new) == 1
        assert service.rotate_keys(session, settings=new) == 0
        session.commit()
    only_new = new.model_copy(update={"previous_secret_keys": []})
    with client.app.state.db.session() as session:
        row = session.get(TikTokConnection, made["id"])
        assert row is not None and row.access_token_sealed is not None
        assert service.sealer(only_new).open(row.access_token_sealed) == brand.token
        view = service.check(session, settings=only_new, connection=row)
        assert view.state == "healthy"
        session.rollback()
    assert db_count(client) == 1


def db_count(client: TestClient) -> int:
    with client.app.state.db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(TikTokConnection)).scalar_one()
