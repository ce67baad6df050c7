"""World-building for the TikTok surface tests (/open_api/v1.3): plain functions over the public
/v1 API (the same factories as everywhere) plus what a TikTok client holds: the raw
``Access-Token`` and the numeric ids (``advertiser_id`` = the ad account's ``tiktok_id``,
``identity_id`` = the creator's, ``item_id`` = the post's).

Also here: the official SDK pointed at a test server (§9.2 of the reference), the generic
``ApiClient.call_api`` for the endpoints the SDK does not expose (§9.5), and a second app served
over the same test database for settings the session app does not have (QPS limits, regions).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn

from tests import factories as f

PREFIX = "/open_api/v1.3"
TIKTOK_TIME = "%Y-%m-%d %H:%M:%S"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SDK_ERROR = re.compile(r"^Error Code: (?P<code>-?\d+|None), message: (?P<message>.*), "
                       r"request_id: (?P<request_id>.*)$", re.S)


# --- tokens and ids ----------------------------------------------------------------------------

def token_of(headers: dict[str, str]) -> str:
    """The raw API token behind a factories.user() Authorization header."""
    scheme, _, token = headers["Authorization"].partition(" ")
    assert scheme == "Bearer" and token
    return token


def new_token(client, email: str, password: str = "correct horse") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A second API token of the same user (POST /v1/tokens): {id, token, ...}."""
    r = client.post("/v1/tokens", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    return r.json()


def revoke(client, headers: dict[str, str], token_id: str) -> None:  # type: ignore[no-untyped-def]
    r = client.delete(f"/v1/tokens/{token_id}", headers=headers)
    assert r.status_code == 200, r.text


def advertiser_id_of(client, headers: dict[str, str], account_id: str) -> str:  # type: ignore[no-untyped-def]
    """advertiser_id as TikTok clients know it: the ad account's tiktok_id on GET /v1."""
    r = client.get(f"/v1/ad-accounts/{account_id}", headers=headers)
    assert r.status_code == 200, r.text
    value = r.json()["tiktok_id"]
    assert isinstance(value, str) and value.isdigit(), value
    return value


def v1_ad(client, headers: dict[str, str], account_id: str, ad_tiktok_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The /v1 ad behind a surface ad_id (events and /v1 reports name ads by their /v1 id)."""
    r = client.get(f"/v1/ad-accounts/{account_id}/ads", headers=headers)
    assert r.status_code == 200, r.text
    [ad] = [a for a in r.json() if str(a["tiktok_id"]) == ad_tiktok_id]
    return ad


def clock(client, headers: dict[str, str]) -> datetime:  # type: ignore[no-untyped-def]
    r = client.get("/v1/sandbox/clock", headers=headers)
    assert r.status_code == 200, r.text
    return datetime.fromisoformat(r.json()["now"]).astimezone(UTC)


def tiktok_time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime(TIKTOK_TIME)


def parse_tiktok_time(text: str) -> datetime:
    return datetime.strptime(text, TIKTOK_TIME).replace(tzinfo=UTC)


def set_ad_settings(client, headers: dict[str, str], creator_id: str, enabled: bool) -> None:  # type: ignore[no-untyped-def]
    r = client.put(f"/v1/creators/{creator_id}/ad-settings", headers=headers,
                   json={"enabled": enabled, "accept_terms": enabled})
    assert r.status_code == 200, r.text


def take_down(client, headers: dict[str, str], post_id: str) -> None:  # type: ignore[no-untyped-def]
    """The sandbox's moderation take-down of a post (R11)."""
    r = client.post(f"/v1/sandbox/posts/{post_id}/take-down", headers=headers,
                    json={"reason": "Community guidelines"})
    assert r.status_code == 200, r.text


def extend(client, headers: dict[str, str], authorization_id: str,  # type: ignore[no-untyped-def]
           days: int = 30) -> dict[str, Any]:
    r = client.post(f"/v1/authorizations/{authorization_id}/extend", headers=headers,
                    json={"days": days})
    assert r.status_code == 200, r.text
    return r.json()


def delete_code(client, headers: dict[str, str], authorization_id: str) -> None:  # type: ignore[no-untyped-def]
    r = client.delete(f"/v1/authorizations/{authorization_id}", headers=headers)
    assert r.status_code == 200, r.text


# --- the usual cast ----------------------------------------------------------------------------

class Brand:
    """A user with a business and an ad account, seen as a TikTok client sees them."""

    def __init__(self, client, *, name: str = "Acme", currency: str = "USD") -> None:  # type: ignore[no-untyped-def]
        self.email = f"brand-{next(f._seq)}@example.com"
        self.headers = f.user(client, email=self.email)
        self.token = token_of(self.headers)
        self.business = f.business(client, self.headers, name)
        self.account = f.ad_account(client, self.headers, self.business["id"], currency=currency)
        self.advertiser_id = advertiser_id_of(client, self.headers, self.account["id"])

    def another_account(self, client) -> tuple[dict[str, Any], str]:  # type: ignore[no-untyped-def]
        account = f.ad_account(client, self.headers, self.business["id"])
        return account, advertiser_id_of(client, self.headers, account["id"])


class Creator:
    """A creator account with ad settings on (R1), and its posts and codes."""

    def __init__(self, client, *, region: str = "US") -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.headers = f.user(client)
        self.creator = f.creator(client, self.headers, region=region)
        self.identity_id = str(self.creator["tiktok_id"])

    def post(self, **fields: Any) -> dict[str, Any]:
        return f.post(self.client, self.headers, self.creator["id"], **fields)

    def code(self, post: dict[str, Any], days: int | None = None) -> dict[str, Any]:
        """A Spark code for the post: {id, code ("SPARK-…"), expires_at, ...}."""
        return f.code(self.client, self.headers, post["id"], days)


class SparkWorld:
    """One creator with a public post and a live code; one brand with two ad accounts."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.creator = Creator(client)
        self.post = self.creator.post(caption="Morning routine #ad")
        self.item_id = str(self.post["tiktok_id"])
        self.code = self.creator.code(self.post)
        self.brand = Brand(client)
        self.account2, self.advertiser2_id = self.brand.another_account(client)

    @property
    def advertiser_id(self) -> str:
        return self.brand.advertiser_id

    @property
    def token(self) -> str:
        return self.brand.token


def story_code(client, app, creator: Creator) -> str:  # type: ignore[no-untyped-def]
    """A code whose post is a story. R3 refuses to issue codes for stories, so the public API
    cannot make one: a video post gets a code and its row is then turned into a story, as a code
    issued before that rule (or imported) would be."""
    from sqlalchemy import text

    post = creator.post(caption="Behind the scenes")
    raw = creator.code(post)["code"]
    with app.state.db.engine.begin() as conn:
        conn.execute(text("UPDATE posts SET kind = 'story' WHERE id = :id"), {"id": post["id"]})
    return raw


# --- the official SDK --------------------------------------------------------------------------

def sdk(url: str):  # type: ignore[no-untyped-def]
    """An ApiClient of the official SDK whose host is ``url`` (scheme://host:port only, §9.2)."""
    from business_api_client import ApiClient, Configuration

    cfg = Configuration()
    cfg.host = url
    return ApiClient(configuration=cfg)


def call(api_client, path: str, method: str, token: str, *,  # type: ignore[no-untyped-def]
         query: list[tuple[str, Any]] | None = None,
         body: dict[str, Any] | None = None) -> dict[str, Any]:
    """§9.5: a path the SDK does not expose, through its own client: ``{data, request_id}`` or
    TiktokSDKError, exactly as its generated methods."""
    assert path.startswith("/") and path.endswith("/")
    return api_client.call_api(PREFIX + path, method, query_params=query or [],
                               header_params={"Access-Token": token},
                               body=body, response_type="InlineResponse200",
                               _return_http_data_only=True)


def sdk_error(exc: BaseException) -> tuple[int, str]:
    """(code, message) of a TiktokSDKError: the SDK keeps only its string (§9.4)."""
    text = str(exc)
    m = SDK_ERROR.match(text)
    assert m is not None, text
    assert m["code"] != "None", f"the server's answer was not TikTok's envelope: {text}"
    assert m["request_id"] and m["request_id"] != "None", text
    return int(m["code"]), m["message"]


@contextlib.contextmanager
def refused(code: int, *fragments: str) -> Iterator[dict[str, Any]]:
    """Expect the SDK call inside to raise TiktokSDKError with ``code`` and every fragment in the
    message (case-insensitive); the dict gets the ``message``."""
    from business_api_client.tiktok_business.tiktok_exceptions import TiktokSDKError

    out: dict[str, Any] = {}
    with pytest.raises(TiktokSDKError) as excinfo:
        yield out
    got_code, message = sdk_error(excinfo.value)
    out["code"], out["message"] = got_code, message
    assert got_code == code, (code, str(excinfo.value))
    for fragment in fragments:
        assert fragment.lower() in message.lower(), (fragment, message)


# --- a second server over the same database ----------------------------------------------------

@contextlib.contextmanager
def serve(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """``app`` served by uvicorn in a thread on 127.0.0.1 (as conftest's ``_live``)."""
    port = f.free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def other_server(backend, **overrides: Any) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A second app over the test database with other settings (backend.settings(**overrides)),
    served live; its URL."""
    from sparkcodes.app import create_app

    app = create_app(backend.settings(**overrides))
    try:
        with serve(app) as url:
            yield url
    finally:
        app.state.db.dispose()
