"""TikTok's app flow end to end: a developer registers an app, a person authorizes it on some of
their ad accounts (page or /v1), the app exchanges the one-time auth_code for an access token
(with the official SDK), lists its advertisers, and the token works on /open_api/v1.3 only, on
the granted advertisers only, until the grant is revoked or the app deleted."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from business_api_client import ApiClient, AuthenticationApi, Configuration
from business_api_client.models.oauth2_access_token_body import Oauth2AccessTokenBody
from business_api_client.tiktok_business.tiktok_exceptions import TiktokSDKError
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sparkcodes.models import ApiToken, AppGrant, AuditEvent, DeveloperApp
from tests import factories as f
from tests.integration._http import assert_error, parallel

HTML = {"accept": "text/html"}
OPEN = "/open_api/v1.3"
REDIRECT = "https://app.example.com/tiktok/callback"
RE_AUTHORIZE = "Please re-authorize and try again with a new auth_code."


# --- helpers --------------------------------------------------------------------------------------

def me(client, headers) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return f._ok(client.get("/v1/me", headers=headers))


def register(client, headers, *, name: str = "Reporting app",  # type: ignore[no-untyped-def]
             redirect_url: str = REDIRECT) -> dict[str, Any]:
    return f._ok(client.post("/v1/developer-apps", headers=headers,
                             json={"name": name, "redirect_url": redirect_url}), 201)


def grant(client, headers, app: dict[str, Any], ad_account_ids: list[str],  # type: ignore[no-untyped-def]
          **extra: Any) -> dict[str, Any]:
    return f._ok(client.post("/v1/app-grants", headers=headers,
                             json={"app_id": app["app_id"], "ad_account_ids": ad_account_ids,
                                   **extra}), 201)


def exchange(client, app: dict[str, Any], auth_code: str, *,  # type: ignore[no-untyped-def]
             secret: str | None = None) -> dict[str, Any]:
    r = client.post(f"{OPEN}/oauth2/access_token/",
                    json={"app_id": app["app_id"], "secret": secret or app["secret"],
                          "auth_code": auth_code})
    assert r.status_code == 200, r.text
    return r.json()


def refused(body: dict[str, Any], code: int, fragment: str) -> None:
    assert body["code"] == code, body
    assert fragment.lower() in body["message"].lower(), body
    assert body["data"] == {} and body["request_id"], body


def advertisers(client, app: dict[str, Any], token: str, *,  # type: ignore[no-untyped-def]
                secret: str | None = None) -> dict[str, Any]:
    r = client.get(f"{OPEN}/oauth2/advertiser/get/", headers={"Access-Token": token},
                   params={"app_id": app["app_id"], "secret": secret or app["secret"]})
    assert r.status_code == 200, r.text
    return r.json()


def tt_list(client, token: str, advertiser_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.get(f"{OPEN}/tt_video/list/", headers={"Access-Token": token},
                   params={"advertiser_id": advertiser_id})
    assert r.status_code == 200, r.text
    return r.json()


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


def db_count(client, model, *where) -> int:  # type: ignore[no-untyped-def]
    with client.app.state.db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


class Cast:
    """A developer with an app; a brand with two ad accounts in one business and one in
    another, and one bound Spark code; a stranger with an ad account of their own."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.dev_email = f"dev{next(f._seq)}@example.com"
        self.dev_h = f.user(client, email=self.dev_email)
        self.app = register(client, self.dev_h)
        self.brand_email = f"brand{next(f._seq)}@example.com"
        self.brand_h = f.user(client, email=self.brand_email)
        self.business = f.business(client, self.brand_h, "Brand Co")
        self.account = f.ad_account(client, self.brand_h, self.business["id"], "Main account")
        self.account2 = f.ad_account(client, self.brand_h, self.business["id"], "Second account")
        self.business2 = f.business(client, self.brand_h, "Brand Two")
        self.account3 = f.ad_account(client, self.brand_h, self.business2["id"], "Other account")
        creator_h = f.user(client)
        creator = f.creator(client, creator_h)
        post = f.post(client, creator_h, creator["id"], caption="Granted post")
        code = f.code(client, creator_h, post["id"])
        assert f._ok(f.bind(client, self.brand_h, self.account["id"], [code["code"]]))["bound"]
        self.stranger_h = f.user(client)
        self.stranger_business = f.business(client, self.stranger_h, "Stranger Inc")
        self.stranger_account = f.ad_account(client, self.stranger_h,
                                             self.stranger_business["id"])

    def token(self, accounts: list[dict[str, Any]] | None = None) -> tuple[dict[str, Any], str]:
        """A grant on ``accounts`` (the main one by default) exchanged: (grant, access token)."""
        g = grant(self.client, self.brand_h, self.app,
                  [a["id"] for a in (accounts or [self.account])])
        body = exchange(self.client, self.app, g["auth_code"])
        assert body["code"] == 0, body
        return g, body["data"]["access_token"]


@pytest.fixture
def cast(client) -> Cast:  # type: ignore[no-untyped-def]
    return Cast(client)


def sdk(live_url: str) -> AuthenticationApi:
    cfg = Configuration()
    cfg.host = live_url
    return AuthenticationApi(ApiClient(configuration=cfg))


# --- the whole flow, through the page and the official SDK ----------------------------------------

def test_the_app_flow_end_to_end_with_the_official_sdk(app, client, live_url, cast):  # type: ignore[no-untyped-def]
    c = cast
    with TestClient(app, raise_server_exceptions=False) as browser:
        csrf = page_login(browser, c.brand_email)
        link = c.app["authorize_url"] + "&state=opaque-42"
        assert link.startswith("http://127.0.0.1:8000/oauth/authorize?app_id=")
        page = browser.get(link.replace("http://127.0.0.1:8000", ""), headers=HTML)
        assert page.status_code == 200, page.text
        for words in ("Authorize Reporting app", c.app["app_id"], "Main account",
                      "Second account", "Other account", "Brand Co", "Brand Two"):
            assert words in page.text, words
        assert c.stranger_account["name"] not in page.text
        # The answer redirects to the app: the page lets the browser follow it.
        csp = page.headers["content-security-policy"]
        assert csp.endswith("form-action 'self' https://app.example.com")
        r = browser.post("/oauth/authorize", headers=HTML, follow_redirects=False, data={
            "csrf_token": csrf, "app_id": c.app["app_id"], "redirect_uri": REDIRECT,
            "state": "opaque-42", "decision": "allow",
            "ad_account_ids": [c.account["id"], c.account3["id"]]})
    assert r.status_code == 303, r.text
    where = urlsplit(r.headers["location"])
    assert f"{where.scheme}://{where.netloc}{where.path}" == REDIRECT
    query = parse_qs(where.query)
    auth_code = query["auth_code"][0]
    assert query["code"] == [auth_code] and query["state"] == ["opaque-42"]
    assert re.fullmatch(r"[0-9a-f]{40}", auth_code)

    api = sdk(live_url)
    body = Oauth2AccessTokenBody(app_id=c.app["app_id"], auth_code=auth_code,
                                 secret=c.app["secret"])
    answer = api.oauth2_access_token(body=body)
    data = answer["data"]
    assert set(data) == {"access_token", "advertiser_ids", "scope"}
    expected = sorted([str(c.account["tiktok_id"]), str(c.account3["tiktok_id"])])
    assert sorted(data["advertiser_ids"]) == expected
    assert data["scope"] == [1, 2, 4, 6] and answer["request_id"]
    token = data["access_token"]

    listed = api.oauth2_advertiser_get(c.app["app_id"], c.app["secret"], token)["data"]["list"]
    assert sorted(listed, key=lambda x: x["advertiser_name"]) == [
        {"advertiser_id": str(c.account["tiktok_id"]), "advertiser_name": "Main account"},
        {"advertiser_id": str(c.account3["tiktok_id"]), "advertiser_name": "Other account"}]

    # The token acts on the granted advertisers, and on no other.
    assert tt_list(client, token, str(c.account["tiktok_id"]))["code"] == 0
    refused(tt_list(client, token, str(c.account2["tiktok_id"])), 40001, "no permission")
    refused(tt_list(client, token, str(c.stranger_account["tiktok_id"])), 40001, "no permission")
    # The same auth_code twice: refused through the SDK too.
    with pytest.raises(TiktokSDKError) as again:
        api.oauth2_access_token(body=body)
    assert "Error Code: 40110" in str(again.value) and "already been used" in str(again.value)
    # The brand sees the grant as active.
    [listed_grant] = f._ok(client.get("/v1/app-grants", headers=c.brand_h))
    assert listed_grant["status"] == "active" and listed_grant["exchanged_at"]
    assert {a["id"] for a in listed_grant["ad_accounts"]} == {c.account["id"], c.account3["id"]}


def test_the_sdk_sees_refusals_as_tiktok_errors(live_url, cast):  # type: ignore[no-untyped-def]
    c = cast
    api = sdk(live_url)
    g = grant(cast.client, c.brand_h, c.app, [c.account["id"]])
    with pytest.raises(TiktokSDKError) as wrong:
        api.oauth2_access_token(body=Oauth2AccessTokenBody(
            app_id=c.app["app_id"], auth_code=g["auth_code"], secret="0" * 40))
    assert "Error Code: 40101" in str(wrong.value)
    with pytest.raises(TiktokSDKError) as unknown:
        api.oauth2_access_token(body=Oauth2AccessTokenBody(
            app_id=c.app["app_id"], auth_code="f" * 40, secret=c.app["secret"]))
    assert "Error Code: 40110" in str(unknown.value) and RE_AUTHORIZE in str(unknown.value)
    token = api.oauth2_access_token(body=Oauth2AccessTokenBody(
        app_id=c.app["app_id"], auth_code=g["auth_code"], secret=c.app["secret"])
    )["data"]["access_token"]
    with pytest.raises(TiktokSDKError) as bad_secret:
        api.oauth2_advertiser_get(c.app["app_id"], "0" * 40, token)
    assert "Error Code: 40101" in str(bad_secret.value)
    with pytest.raises(TiktokSDKError) as bad_token:
        api.oauth2_advertiser_get(c.app["app_id"], c.app["secret"], "sct_nope")
    assert "Error Code: 40105" in str(bad_token.value)


# --- every refusal, with its code and message ---------------------------------------------------

def test_access_token_refusals(client, cast):  # type: ignore[no-untyped-def]
    c = cast
    g = grant(client, c.brand_h, c.app, [c.account["id"]])
    url = f"{OPEN}/oauth2/access_token/"
    for missing in ("app_id", "secret", "auth_code"):
        payload = {"app_id": c.app["app_id"], "secret": c.app["secret"],
                   "auth_code": g["auth_code"]}
        del payload[missing]
        refused(client.post(url, json=payload).json(), 40002,
                f"Missing required field(s): {missing}.")
    refused(client.post(url, content=b"not json",
                        headers={"content-type": "application/json"}).json(),
            40002, "not valid JSON")
    bad_app = "The app_id and secret do not match a registered app."
    refused(exchange(client, c.app, g["auth_code"], secret="0" * 40), 40101, bad_app)
    refused(exchange(client, c.app, g["auth_code"], secret=c.app["secret"].upper()), 40101,
            bad_app)
    for app_id in ("1" * 19, "not-a-number", "9" * 19, "9" * 30, "٣" * 19, ""):
        body = client.post(url, json={"app_id": app_id, "secret": c.app["secret"],
                                      "auth_code": g["auth_code"]}).json()
        refused(body, 40002 if app_id == "" else 40101,
                "app_id" if app_id == "" else bad_app)
    refused(exchange(client, c.app, "f" * 40), 40110,
            f"The auth_code is invalid: no authorization of this app has it. {RE_AUTHORIZE}")
    # Another app's code is unknown to this app, and stays usable by its own app.
    other = register(client, c.dev_h, name="Other app")
    refused(exchange(client, other, g["auth_code"]), 40110, "is invalid")
    assert exchange(client, c.app, g["auth_code"])["code"] == 0
    refused(exchange(client, c.app, g["auth_code"]), 40110,
            f"The auth_code has already been used: each auth_code is exchanged for an access "
            f"token once. {RE_AUTHORIZE}")
    # A grant revoked before its code was exchanged.
    pending = grant(client, c.brand_h, c.app, [c.account["id"]])
    f._ok(client.delete(f"/v1/app-grants/{pending['id']}", headers=c.brand_h))
    refused(exchange(client, c.app, pending["auth_code"]), 40110,
            f"The auth_code is canceled: the authorization was revoked. {RE_AUTHORIZE}")
    # Nothing above made a token but the one exchange that succeeded.
    assert db_count(client, ApiToken, ApiToken.app_grant_id.is_not(None)) == 1


def test_a_rotated_secret_and_a_deleted_app_stop_the_exchange(client, cast):  # type: ignore[no-untyped-def]
    c = cast
    g = grant(client, c.brand_h, c.app, [c.account["id"]])
    rotated = f._ok(client.post(f"/v1/developer-apps/{c.app['id']}/rotate-secret",
                                headers=c.dev_h))
    assert rotated["app_id"] == c.app["app_id"] and rotated["secret"] != c.app["secret"]
    assert re.fullmatch(r"[0-9a-f]{40}", rotated["secret"])
    refused(exchange(client, c.app, g["auth_code"]), 40101, "do not match a registered app")
    body = exchange(client, c.app, g["auth_code"], secret=rotated["secret"])
    assert body["code"] == 0
    token = body["data"]["access_token"]
    assert tt_list(client, token, str(c.account["tiktok_id"]))["code"] == 0  # still works
    after = f._ok(client.get(f"/v1/developer-apps/{c.app['id']}", headers=c.dev_h))
    assert after["secret_hint"] == rotated["secret"][:4] and after["secret_rotated_at"]
    assert "secret" not in after

    pending = grant(client, c.brand_h, c.app, [c.account["id"]])
    assert client.delete(f"/v1/developer-apps/{c.app['id']}", headers=c.dev_h).status_code == 204
    refused(exchange(client, c.app, pending["auth_code"], secret=rotated["secret"]), 40101,
            "do not match a registered app")
    refused(tt_list(client, token, str(c.account["tiktok_id"])), 40105,
            "Access token is incorrect or has been revoked.")
    grants = f._ok(client.get("/v1/app-grants", headers=c.brand_h))
    assert {x["status"] for x in grants} == {"revoked"} and all(x["app"]["deleted"]
                                                               for x in grants)
    # Deleting twice is harmless; the app is gone from its owner's list.
    assert client.delete(f"/v1/developer-apps/{c.app['id']}", headers=c.dev_h).status_code == 204
    assert f._ok(client.get("/v1/developer-apps", headers=c.dev_h)) == []
    assert client.get(f"/v1/developer-apps/{c.app['id']}", headers=c.dev_h).status_code == 404
    # A deleted app cannot be authorized any more.
    r = client.post("/v1/app-grants", headers=c.brand_h,
                    json={"app_id": c.app["app_id"], "ad_account_ids": [c.account["id"]]})
    assert_error(r, 404, "developer_app_not_found",
                 "No app has this app_id, or it was deleted.")


def test_advertiser_get_refusals(client, cast):  # type: ignore[no-untyped-def]
    c = cast
    _, token = c.token()
    url = f"{OPEN}/oauth2/advertiser/get/"
    ok = {"app_id": c.app["app_id"], "secret": c.app["secret"]}
    refused(client.get(url, params=ok).json(), 40104, "Access token is null")
    refused(client.get(url, params=ok, headers={"Access-Token": "sct_nope"}).json(), 40105,
            "Access token is incorrect or has been revoked.")
    refused(client.get(url, params={"app_id": c.app["app_id"]},
                       headers={"Access-Token": token}).json(), 40002, "secret")
    refused(advertisers(client, c.app, token, secret="0" * 40), 40101,
            "do not match a registered app")
    other = register(client, c.dev_h, name="Other app")
    refused(advertisers(client, other, token), 40105, f"not issued to app {other['app_id']}")
    # A personal API token is not an app's token.
    personal = c.brand_h["Authorization"].split(" ", 1)[1]
    refused(advertisers(client, c.app, personal), 40105, "not issued to app")
    assert advertisers(client, c.app, token)["code"] == 0


# --- the token works on /open_api only ----------------------------------------------------------

def test_an_app_token_is_refused_on_v1_and_the_pages(app, client, cast):  # type: ignore[no-untyped-def]
    c = cast
    _, token = c.token()
    bearer = {"Authorization": f"Bearer {token}"}
    for method, path in (("GET", "/v1/me"), ("GET", "/v1/businesses"),
                         ("GET", f"/v1/ad-accounts/{c.account['id']}"),
                         ("GET", "/v1/app-grants"), ("POST", "/v1/developer-apps"),
                         ("GET", "/v1/tokens")):
        r = client.request(method, path, headers=bearer,
                           json={"name": "x", "redirect_url": REDIRECT})
        assert r.status_code == 401, (path, r.text)
        error = r.json()["error"]
        assert error["code"] == "unauthorized"
        assert error["message"] == ("That token was issued to a developer app: it works only on "
                                    "the TikTok-compatible API under /open_api/v1.3, not on /v1 "
                                    "or the pages.")
    with TestClient(app, raise_server_exceptions=False) as browser:
        browser.cookies.set("sc_session", token)
        r = browser.get("/businesses", headers=HTML, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    # The same token on the TikTok surface works.
    assert tt_list(client, token, str(c.account["tiktok_id"]))["code"] == 0


def test_an_app_token_acts_within_its_users_role(client, cast):  # type: ignore[no-untyped-def]
    """The grant narrows what the user may do; it never widens it: an analyst's app reads but
    cannot bind, and a member who leaves takes the app's access with them."""
    c = cast
    analyst_email = f"analyst{next(f._seq)}@example.com"
    analyst_h = f.user(client, email=analyst_email)
    f._ok(client.put(f"/v1/businesses/{c.business['id']}/members", headers=c.brand_h,
                     json={"email": analyst_email, "role": "analyst"}))
    g = grant(client, analyst_h, c.app, [c.account["id"], c.account2["id"]])
    token = exchange(client, c.app, g["auth_code"])["data"]["access_token"]
    adv = str(c.account["tiktok_id"])
    assert tt_list(client, token, adv)["code"] == 0
    r = client.post(f"{OPEN}/tt_video/authorize/", headers={"Access-Token": token},
                    json={"advertiser_id": adv, "auth_code": "SPARK-0000"}).json()
    assert r["code"] == 40001, r
    assert len(advertisers(client, c.app, token)["data"]["list"]) == 2
    analyst_id = me(client, analyst_h)["id"]
    r = client.delete(f"/v1/businesses/{c.business['id']}/members/{analyst_id}",
                      headers=c.brand_h)
    assert r.status_code == 204, r.text
    assert advertisers(client, c.app, token)["data"]["list"] == []
    refused(tt_list(client, token, adv), 40001, "no permission")


# --- revocation ---------------------------------------------------------------------------------

def test_revoking_a_grant_kills_its_token_and_twice_is_harmless(client, cast):  # type: ignore[no-untyped-def]
    c = cast
    g, token = c.token()
    _, other_token = c.token([c.account2])
    adv = str(c.account["tiktok_id"])
    assert tt_list(client, token, adv)["code"] == 0
    revoked = f._ok(client.delete(f"/v1/app-grants/{g['id']}", headers=c.brand_h))
    assert revoked["status"] == "revoked" and revoked["revoked_at"]
    refused(tt_list(client, token, adv), 40105, "Access token is incorrect or has been revoked.")
    refused(advertisers(client, c.app, token), 40105, "revoked")
    again = f._ok(client.delete(f"/v1/app-grants/{g['id']}", headers=c.brand_h))
    assert again["revoked_at"] == revoked["revoked_at"]
    # The other grant's token is untouched.
    assert tt_list(client, other_token, str(c.account2["tiktok_id"]))["code"] == 0
    # Another user cannot revoke (or see) the brand's grants: 404, nothing changes.
    _, live = c.token()
    grants_before = f._ok(client.get("/v1/app-grants", headers=c.brand_h))
    live_id = next(x["id"] for x in grants_before if x["status"] == "active"
                   and x["id"] != g["id"] and x["ad_accounts"][0]["id"] == c.account["id"])
    r = client.delete(f"/v1/app-grants/{live_id}", headers=c.stranger_h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert f._ok(client.get("/v1/app-grants", headers=c.stranger_h)) == []
    assert f._ok(client.get("/v1/app-grants", headers=c.brand_h)) == grants_before
    assert tt_list(client, live, adv)["code"] == 0


def test_the_app_can_give_its_token_up(client, cast):  # type: ignore[no-untyped-def]
    c = cast
    g, token = c.token([c.account, c.account2])
    url = f"{OPEN}/oauth2/revoke_token/"
    body = {"app_id": c.app["app_id"], "secret": c.app["secret"], "access_token": token}
    other = register(client, c.dev_h, name="Other app")
    refused(client.post(url, json={**body, "app_id": other["app_id"],
                                   "secret": other["secret"]}).json(),
            40105, "not issued to this app")
    r = client.post(url, json=body).json()
    assert r["code"] == 0, r
    assert r["data"]["app_id"] == c.app["app_id"]
    assert sorted(r["data"]["advertiser_ids"]) == sorted(
        [str(c.account["tiktok_id"]), str(c.account2["tiktok_id"])])
    assert client.post(url, json=body).json()["code"] == 0  # twice: harmless
    refused(tt_list(client, token, str(c.account["tiktok_id"])), 40105, "revoked")
    [listed] = f._ok(client.get("/v1/app-grants", headers=c.brand_h))
    assert listed["id"] == g["id"] and listed["status"] == "revoked"


def test_revoking_on_the_connected_apps_page(app, client, cast):  # type: ignore[no-untyped-def]
    c = cast
    g, token = c.token()
    with TestClient(app, raise_server_exceptions=False) as browser:
        csrf = page_login(browser, c.brand_email)
        page = browser.get("/account/apps", headers=HTML)
        assert page.status_code == 200
        assert "Reporting app" in page.text and "Main account" in page.text
        assert "Active" in page.text
        r = browser.post(f"/account/apps/{g['id']}/revoke", headers=HTML,
                         data={"csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/account/apps?done=revoked"
        page = browser.get("/account/apps?done=revoked", headers=HTML)
        assert "Authorization revoked" in page.text and "Revoked" in page.text
        r = browser.post(f"/account/apps/{g['id']}/revoke", headers=HTML,
                         data={"csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303  # twice: harmless
    refused(tt_list(client, token, str(c.account["tiktok_id"])), 40105, "revoked")


# --- the auth_code expires ----------------------------------------------------------------------

def test_the_auth_code_expires_after_ten_minutes(client, cast):  # type: ignore[no-untyped-def]
    c = cast
    late = grant(client, c.brand_h, c.app, [c.account["id"]])
    in_time = grant(client, c.brand_h, c.app, [c.account["id"]])
    f.advance(client, c.brand_h, "PT9M")
    assert exchange(client, c.app, in_time["auth_code"])["code"] == 0
    f.advance(client, c.brand_h, "PT61S")
    refused(exchange(client, c.app, late["auth_code"]), 40110,
            f"The auth_code has expired: it is valid for 10 minutes after the authorization. "
            f"{RE_AUTHORIZE}")
    statuses = {x["id"]: x["status"] for x in f._ok(client.get("/v1/app-grants",
                                                               headers=c.brand_h))}
    assert statuses == {late["id"]: "expired", in_time["id"]: "active"}


# --- one token per auth_code, however many exchanges race ---------------------------------------

ROUNDS = 5


def test_concurrent_exchanges_of_one_code_make_exactly_one_token(client, live_url, cast):  # type: ignore[no-untyped-def]
    c = cast
    for _ in range(ROUNDS):
        g = grant(client, c.brand_h, c.app, [c.account["id"]])
        payload = {"app_id": c.app["app_id"], "secret": c.app["secret"],
                   "auth_code": g["auth_code"]}
        answers = [r.json() for r in parallel(live_url, [
            lambda http, p=payload: http.post(f"{OPEN}/oauth2/access_token/", json=p)] * 3)]
        codes = sorted(a["code"] for a in answers)
        assert codes == [0, 40110, 40110], answers
        for a in answers:
            if a["code"]:
                assert "already been used" in a["message"], a
        winner = next(a for a in answers if a["code"] == 0)["data"]["access_token"]
        assert tt_list(client, winner, str(c.account["tiktok_id"]))["code"] == 0
        assert db_count(client, ApiToken, ApiToken.app_grant_id == g["id"]) == 1
    assert db_count(client, ApiToken, ApiToken.app_grant_id.is_not(None)) == ROUNDS


# --- registering and managing apps --------------------------------------------------------------

@pytest.mark.parametrize(("url", "fragment"), [
    ("http://app.example.com/cb", "Use https"),
    ("ftp://app.example.com/cb", "absolute https"),
    ("/relative/cb", "absolute https"),
    ("https://user:pw@app.example.com/cb", "credentials"),
    ("https://app.example.com/cb#frag", "fragment"),
    ("https://app.example.com/cb?state=x", "state"),
    ("https://app.example.com/" + "a" * 2000, "longer than"),
])
def test_bad_redirect_urls_are_refused(client, url, fragment):  # type: ignore[no-untyped-def]
    h = f.user(client)
    r = client.post("/v1/developer-apps", headers=h, json={"name": "App", "redirect_url": url})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] in ("invalid_redirect_url", "validation_error"), error
    assert fragment.lower() in error["message"].lower() or error["code"] == "validation_error"


def test_registering_listing_and_changing_apps(client):  # type: ignore[no-untyped-def]
    h = f.user(client)
    local = register(client, h, name="  Local dev  ", redirect_url="http://localhost:3000/cb")
    assert local["name"] == "Local dev" and re.fullmatch(r"[1-9][0-9]{18}", local["app_id"])
    assert re.fullmatch(r"[0-9a-f]{40}", local["secret"])
    assert local["secret_hint"] == local["secret"][:4]
    r = client.post("/v1/developer-apps", headers=h, json={"name": " ", "redirect_url": REDIRECT})
    assert_error(r, 422, "invalid_app_name", "Give the app a name")
    listed = f._ok(client.get("/v1/developer-apps", headers=h))
    assert [a["id"] for a in listed] == [local["id"]] and "secret" not in listed[0]
    changed = f._ok(client.patch(f"/v1/developer-apps/{local['id']}", headers=h,
                                 json={"redirect_url": "https://app.example.com/v2/cb"}))
    assert changed["redirect_url"] == "https://app.example.com/v2/cb"
    assert changed["name"] == "Local dev"
    r = client.patch(f"/v1/developer-apps/{local['id']}", headers=h,
                     json={"redirect_url": "http://example.com"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_redirect_url"
    other = f.user(client)
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/rotate-secret")):
        r = client.request(method, f"/v1/developer-apps/{local['id']}{path}", headers=other,
                           json={"name": "stolen"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (method, path)
    assert f._ok(client.get(f"/v1/developer-apps/{local['id']}", headers=h)) == changed


def test_a_grant_names_only_ad_accounts_you_may_act_on(client, cast):  # type: ignore[no-untyped-def]
    """The stranger cannot hand the brand's ad accounts to an app: 404 as for an unknown id,
    and no grant is made."""
    c = cast
    for ids in ([c.account["id"]], [c.stranger_account["id"], c.account["id"]],
                ["0" * 32]):
        r = client.post("/v1/app-grants", headers=c.stranger_h,
                        json={"app_id": c.app["app_id"], "ad_account_ids": ids})
        assert r.status_code == 404, r.text
        assert r.json()["error"] == {"code": "not_found", "message": "No such ad account."}
    assert db_count(client, AppGrant) == 0
    r = client.post("/v1/app-grants", headers=c.brand_h,
                    json={"app_id": c.app["app_id"], "ad_account_ids": []})
    assert_error(r, 422, "no_ad_accounts_chosen", "Choose at least one ad account for the app.")
    r = client.post("/v1/app-grants", headers=c.brand_h,
                    json={"app_id": c.app["app_id"], "ad_account_ids": [c.account["id"]],
                          "redirect_uri": "https://evil.example.com/cb"})
    assert_error(r, 422, "redirect_uri_mismatch",
                 "redirect_uri is not the redirect URL the app registered")
    r = client.post("/v1/app-grants", headers=c.brand_h,
                    json={"app_id": "1" * 19, "ad_account_ids": [c.account["id"]]})
    assert_error(r, 404, "developer_app_not_found",
                 "No app has this app_id, or it was deleted.")
    assert db_count(client, AppGrant) == 0
    # Named twice, an ad account is granted once; the redirect URL keeps its own query.
    app2 = register(client, c.dev_h, name="Query app",
                    redirect_url="https://app.example.com/cb?tenant=7")
    g = grant(client, c.brand_h, app2, [c.account["id"], c.account["id"]], state="s 1&2")
    assert [a["id"] for a in g["ad_accounts"]] == [c.account["id"]]
    query = parse_qs(urlsplit(g["redirect_url"]).query)
    assert query == {"tenant": ["7"], "auth_code": [g["auth_code"]], "code": [g["auth_code"]],
                     "state": ["s 1&2"]}


# --- the authorization page ---------------------------------------------------------------------

def test_the_authorization_page_refuses_bad_links_and_never_redirects_them(app, cast):  # type: ignore[no-untyped-def]
    c = cast
    with TestClient(app, raise_server_exceptions=False) as browser:
        csrf = page_login(browser, c.brand_email)
        aid = c.app["app_id"]
        cases = [
            ("/oauth/authorize", 400, "names no app"),
            ("/oauth/authorize?app_id=1234", 404, "No app has this app_id"),
            ("/oauth/authorize?app_id=9999999999999999999", 404, "No app has this app_id"),
            (f"/oauth/authorize?app_id={aid}&redirect_uri=https://evil.example.com/cb", 400,
             "did not register"),
        ]
        for url, status, words in cases:
            r = browser.get(url, headers=HTML, follow_redirects=False)
            assert r.status_code == status, (url, r.text)
            assert words in r.text and "Allow" not in r.text, url
            assert r.headers["content-security-policy"].endswith("form-action 'self'")
        r = browser.post("/oauth/authorize", headers=HTML, follow_redirects=False, data={
            "csrf_token": csrf, "app_id": aid, "redirect_uri": "https://evil.example.com/cb",
            "decision": "allow", "ad_account_ids": [c.account["id"]]})
        assert r.status_code == 400 and "location" not in r.headers
        # redirect_uri left out: the registered one; TikTok's path works too.
        r = browser.get(f"/portal/auth?app_id={aid}&state=s", headers=HTML)
        assert r.status_code == 200 and "Authorize Reporting app" in r.text
        # Deny: back to the app with error=access_denied and the state.
        r = browser.post("/oauth/authorize", headers=HTML, follow_redirects=False, data={
            "csrf_token": csrf, "app_id": aid, "redirect_uri": "", "state": "s",
            "decision": "deny"})
        assert r.status_code == 303
        assert parse_qs(urlsplit(r.headers["location"]).query) == {
            "error": ["access_denied"], "error_description": ["The user denied the authorization."],
            "state": ["s"]}
        # Allow with nothing ticked: asked again, nothing made.
        r = browser.post("/oauth/authorize", headers=HTML, follow_redirects=False, data={
            "csrf_token": csrf, "app_id": aid, "redirect_uri": REDIRECT, "decision": "allow"})
        assert r.status_code == 422 and "Choose at least one ad account" in r.text
        # Another tenant's ad account smuggled into the form: 404, nothing made.
        r = browser.post("/oauth/authorize", headers=HTML, follow_redirects=False, data={
            "csrf_token": csrf, "app_id": aid, "redirect_uri": REDIRECT, "decision": "allow",
            "ad_account_ids": [c.stranger_account["id"]]})
        assert r.status_code == 404
        # Without the CSRF token: 403.
        r = browser.post("/oauth/authorize", headers=HTML, follow_redirects=False, data={
            "app_id": aid, "redirect_uri": REDIRECT, "decision": "allow",
            "ad_account_ids": [c.account["id"]]})
        assert r.status_code == 403
    assert db_count(cast.client, AppGrant) == 0


def test_signed_out_the_authorization_link_comes_back_after_log_in(client, cast):  # type: ignore[no-untyped-def]
    link = f"/oauth/authorize?app_id={cast.app['app_id']}&state=xyz"
    r = client.get(link, headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=" + link.replace("?", "%3F").replace(
        "=", "%3D").replace("&", "%26")


def test_developer_app_pages(app, client):  # type: ignore[no-untyped-def]
    email = f"pages{next(f._seq)}@example.com"
    f.user(client, email=email)
    with TestClient(app, raise_server_exceptions=False) as browser:
        csrf = page_login(browser, email)
        assert "No app yet" in browser.get("/developer/apps", headers=HTML).text
        r = browser.post("/developer/apps", headers=HTML, data={
            "csrf_token": csrf, "name": "Page app", "redirect_url": "http://example.com/cb"})
        assert r.status_code == 422 and "Use https" in r.text
        r = browser.post("/developer/apps", headers=HTML, data={
            "csrf_token": csrf, "name": "Page app", "redirect_url": REDIRECT})
        assert r.status_code == 201 and "Shown only once" in r.text
        secret = re.search(r'id="new-secret"[^>]*>([0-9a-f]{40})<', r.text).group(1)
        [made] = f._ok(client.get("/v1/developer-apps", headers=_bearer(browser)))
        page = browser.get(f"/developer/apps/{made['id']}", headers=HTML)
        assert made["app_id"] in page.text and secret not in page.text
        assert "/oauth/authorize?app_id=" + made["app_id"] in page.text
        r = browser.post(f"/developer/apps/{made['id']}", headers=HTML, follow_redirects=False,
                         data={"csrf_token": csrf, "name": "Renamed", "redirect_url": REDIRECT})
        assert r.status_code == 303
        r = browser.post(f"/developer/apps/{made['id']}/rotate-secret", headers=HTML,
                         data={"csrf_token": csrf})
        new = re.search(r'id="new-secret"[^>]*>([0-9a-f]{40})<', r.text).group(1)
        assert r.status_code == 200 and new != secret and "Renamed" in r.text
        r = browser.post(f"/developer/apps/{made['id']}/delete", headers=HTML,
                         data={"csrf_token": csrf}, follow_redirects=False)
        assert r.headers["location"] == "/developer/apps?done=deleted"
        assert browser.get(f"/developer/apps/{made['id']}", headers=HTML).status_code == 404


def _bearer(browser: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {browser.cookies.get('sc_session')}"}


# --- audit and secrets at rest ------------------------------------------------------------------

def test_every_step_is_audited_and_no_secret_is_stored_raw(client, cast):  # type: ignore[no-untyped-def]
    c = cast
    g = grant(client, c.brand_h, c.app, [c.account["id"], c.account3["id"]])
    token = exchange(client, c.app, g["auth_code"])["data"]["access_token"]
    f._ok(client.delete(f"/v1/app-grants/{g['id']}", headers=c.brand_h))
    rotated = f._ok(client.post(f"/v1/developer-apps/{c.app['id']}/rotate-secret",
                                headers=c.dev_h))["secret"]
    f._ok(client.patch(f"/v1/developer-apps/{c.app['id']}", headers=c.dev_h,
                       json={"name": "Renamed"}))
    assert client.delete(f"/v1/developer-apps/{c.app['id']}", headers=c.dev_h).status_code == 204
    with client.app.state.db.engine.connect() as conn:
        rows = conn.execute(select(AuditEvent.action, AuditEvent.target_id,
                                   AuditEvent.business_id, AuditEvent.actor_id)).all()
        dump = repr([tuple(r) for r in conn.execute(select(DeveloperApp)).all()]
                    + [tuple(r) for r in conn.execute(select(AppGrant)).all()]
                    + [tuple(r) for r in conn.execute(select(ApiToken)).all()]
                    + [tuple(r) for r in conn.execute(select(AuditEvent)).all()])
    actions = [r[0] for r in rows]
    for action in ("developer_app.registered", "developer_app.secret_rotated",
                   "developer_app.updated", "developer_app.deleted"):
        assert actions.count(action) == 1, action
    # Grant rows are written per business the grant covers, so each business's history has it.
    for action in ("app_grant.created", "app_grant.exchanged", "app_grant.revoked"):
        assert {r[2] for r in rows if r[0] == action} == {c.business["id"], c.business2["id"]}
    history = f._ok(client.get(f"/v1/businesses/{c.business['id']}/history",
                               headers=c.brand_h))
    text = repr(history)
    assert "app_grant.created" in text and "app_grant.exchanged" in text
    for secret in (c.app["secret"], rotated, g["auth_code"], token):
        assert secret not in dump, secret
