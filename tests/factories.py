"""Plain functions that build test data through the public API, so every fixture obeys the
rules."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

_seq = itertools.count(1)
_T = TypeVar("_T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now (for servers a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def twice_at_once(db, work: Callable[[Any], _T]) -> list[_T]:  # type: ignore[no-untyped-def]
    """``work(session)`` run by two threads at once, each in a transaction of its own (two
    operators or workers racing): what each returned."""
    def run(_: int) -> _T:
        with db.unit_of_work() as session:
            return work(session)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(run, range(2)))


def _ok(response, status: int = 200):  # type: ignore[no-untyped-def]
    """The response's JSON (None for an empty body), once its status is ``status``."""
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else None


def user(client, *, email: str | None = None, password: str = "correct horse") -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Sign up and log in; returns the Authorization header."""
    email = email or f"user{next(_seq)}@example.com"
    _ok(client.post("/v1/users", json={"email": email, "password": password}), 201)
    token = _ok(client.post("/v1/tokens", json={"email": email, "password": password}), 201)
    return {"Authorization": f"Bearer {token['token']}"}


def creator(client, headers, *, handle: str | None = None, region: str = "US",
            enabled: bool = True) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = _ok(client.post("/v1/creators", headers=headers, json={
        "handle": handle or f"creator_{next(_seq)}", "display_name": "Test Creator",
        "region": region}), 201)
    if enabled:
        body = _ok(client.put(f"/v1/creators/{body['id']}/ad-settings", headers=headers,
                              json={"enabled": True, "accept_terms": True}))
    return body


def post(client, headers, creator_id: str, **fields) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    payload = {"caption": "Morning routine #ad", "kind": "video", "sound": "original",
               "visibility": "public", **fields}
    return _ok(client.post(f"/v1/creators/{creator_id}/posts", headers=headers, json=payload), 201)


def code(client, headers, post_id: str, days: int | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    payload = {} if days is None else {"days": days}
    return _ok(client.post(f"/v1/posts/{post_id}/authorizations", headers=headers, json=payload),
               201)


def business(client, headers, name: str = "Acme") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return _ok(client.post("/v1/businesses", headers=headers, json={"name": name}), 201)


def ad_account(client, headers, business_id: str, name: str | None = None,  # type: ignore[no-untyped-def]
               **fields) -> dict[str, Any]:
    """An ad account; ``fields`` are the rest of POST /v1/businesses/{id}/ad-accounts (region,
    timezone, currency)."""
    return _ok(client.post(f"/v1/businesses/{business_id}/ad-accounts", headers=headers,
                           json={"name": name or f"Account {next(_seq)}", **fields}), 201)


def bind(client, headers, ad_account_id: str, codes: list[str], **extra):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/ad-accounts/{ad_account_id}/spark-posts", headers=headers,
                       json={"codes": codes, **extra})


def advance(client, headers, duration: str):  # type: ignore[no-untyped-def]
    return _ok(client.post("/v1/sandbox/clock", headers=headers, json={"advance": duration}))


class World:
    """A creator with a live code, and a brand with two ad accounts: the usual cast."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.creator_h = user(client)
        self.creator = creator(client, self.creator_h)
        self.post = post(client, self.creator_h, self.creator["id"])
        self.code = code(client, self.creator_h, self.post["id"])
        self.brand_h = user(client)
        self.business = business(client, self.brand_h)
        self.account = ad_account(client, self.brand_h, self.business["id"])
        self.account2 = ad_account(client, self.brand_h, self.business["id"])


@dataclass
class Duet:
    """A duet by the World's creator of another creator's post, each with a code."""

    original_h: dict[str, str]
    original_creator: dict[str, Any]
    original: dict[str, Any]
    original_code: dict[str, Any]
    duet: dict[str, Any]
    duet_code: dict[str, Any]


def duet(client, w: World) -> Duet:  # type: ignore[no-untyped-def]
    original_h = user(client)
    original_creator = creator(client, original_h)
    original = post(client, original_h, original_creator["id"], caption="The original")
    original_code = code(client, original_h, original["id"])
    made = post(client, w.creator_h, w.creator["id"], kind="duet", original_post_id=original["id"])
    return Duet(original_h, original_creator, original, original_code, made,
                code(client, w.creator_h, made["id"]))


def page_world(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The pages' world: Maya (creator@example.com) with a post and a code, and a brand
    (brand@example.com) with a business and an ad account, as a dict."""
    creator_h = user(client, email="creator@example.com")
    maker = creator(client, creator_h, handle="maya.makes")
    made = post(client, creator_h, maker["id"], caption="Morning routine")
    made_code = code(client, creator_h, made["id"])
    brand_h = user(client, email="brand@example.com")
    owned = business(client, brand_h, "Glow Skincare")
    account = ad_account(client, brand_h, owned["id"], "Glow US")
    return {"creator_h": creator_h, "creator": maker, "post": made, "code": made_code,
            "brand_h": brand_h, "business": owned, "account": account}


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    return response.json()["error"]["code"]


def api_routes(app, *, tiktok: bool = False):  # type: ignore[no-untyped-def]
    """(method, path, route) for every route the app serves, included routers flattened (newer
    FastAPI keeps them nested in ``app.routes``). ``route`` is the APIRoute (with ``dependant``)
    or the plain Starlette route; HEAD and OPTIONS are left out. The TikTok surface under
    /open_api answers in its own envelope and has matrices of its own: ``tiktok`` chooses
    between it and everything else."""
    try:
        from fastapi.routing import iter_route_contexts
        routes = list(iter_route_contexts(app.routes))
    except ImportError:  # older FastAPI: app.routes is already flat
        routes = list(app.routes)
    for route in routes:
        path = getattr(route, "path", None)
        original = getattr(route, "original_route", route)
        if path is None or path.startswith("/open_api") != tiktok:
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method not in ("HEAD", "OPTIONS"):
                yield method, path, original


# --- Spark Ads that run: campaigns, ad groups, ads, engagement, reports --------------------------

def spark_post_id(client, headers, ad_account_id: str, raw_code: str) -> str:  # type: ignore[no-untyped-def]
    """Bind one code and return the id of the Spark post it made (or already held)."""
    item = _ok(bind(client, headers, ad_account_id, [raw_code]))["results"][0]
    assert item["ok"], item
    return item["spark_post"]["id"]


def campaign(client, headers, ad_account_id: str, **fields) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    payload = {"name": f"Campaign {next(_seq)}", "objective": "ENGAGEMENT", **fields}
    return _ok(client.post(f"/v1/ad-accounts/{ad_account_id}/campaigns", headers=headers,
                           json=payload), 201)


def ad_group(client, headers, campaign_id: str, **fields) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """An ad group starting now; budget 100.00 a day, CPM bid 10.00 (0.01 per impression)."""
    payload = {"name": f"Ad group {next(_seq)}", "budget": "100.00", "bid": "10.00", **fields}
    return _ok(client.post(f"/v1/campaigns/{campaign_id}/ad-groups", headers=headers,
                           json=payload), 201)


def ad(client, headers, ad_group_id: str, spark_post_id: str, **fields) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    payload = {"spark_post_id": spark_post_id, "call_to_action": "SHOP_NOW",
               "landing_page_url": "https://shop.example.com/spring?utm_source=tiktok", **fields}
    return _ok(client.post(f"/v1/ad-groups/{ad_group_id}/ads", headers=headers, json=payload),
               201)


def set_status(client, headers, level: str, obj_id: str, operation: str):  # type: ignore[no-untyped-def]
    """POST /v1/{campaigns|ad-groups|ads}/{id}/status; returns the raw response."""
    path = {"campaign": "campaigns", "ad_group": "ad-groups", "ad": "ads"}[level]
    return client.post(f"/v1/{path}/{obj_id}/status", headers=headers,
                       json={"operation_status": operation})


def event(post_id: str, type: str = "impression", *, ad_id: str | None = None,  # noqa: A002
          event_id: str | None = None, occurred_at: str | None = None) -> dict[str, Any]:
    """One engagement event for POST /v1/engagement/events (organic unless ad_id is given). The
    ids are zero-padded: a batch is processed in the text order of its ids, which is then the
    order the events were made in (``ev-1000`` would come before ``ev-999``)."""
    body: dict[str, Any] = {"event_id": event_id or f"ev-{next(_seq):09d}", "post_id": post_id,
                            "type": type}
    if ad_id is not None:
        body["ad_id"] = ad_id
    if occurred_at is not None:
        body["occurred_at"] = occurred_at
    return body


def events(client, headers, batch: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    return client.post("/v1/engagement/events", headers=headers, json={"events": batch})


def report(client, headers, level: str, obj_id: str, **params):  # type: ignore[no-untyped-def]
    return client.get("/v1/reports", headers=headers, params={"level": level, "id": obj_id,
                                                              **params})


class Running(World):
    """The World's code bound to its first ad account, with one delivering Spark Ad on it."""

    def __init__(self, client, *,  # type: ignore[no-untyped-def]
                 campaign_fields: dict[str, Any] | None = None,
                 ad_group_fields: dict[str, Any] | None = None, **ad_fields) -> None:
        super().__init__(client)
        self.spark_post_id = spark_post_id(client, self.brand_h, self.account["id"],
                                           self.code["code"])
        self.campaign = campaign(client, self.brand_h, self.account["id"],
                                 **(campaign_fields or {}))
        self.ad_group = ad_group(client, self.brand_h, self.campaign["id"],
                                 **(ad_group_fields or {}))
        self.ad = ad(client, self.brand_h, self.ad_group["id"], self.spark_post_id, **ad_fields)

    def get_ad(self, ad_id: str | None = None) -> dict[str, Any]:
        return _ok(self.client.get(f"/v1/ads/{ad_id or self.ad['id']}", headers=self.brand_h))


# --- operations layer: members with a role -------------------------------------------------

def member(client, admin_headers, business_id: str, role: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A new user added to the business with ``role`` (analyst, operator, admin); their headers."""
    email = f"{role}{next(_seq)}@example.com"
    headers = user(client, email=email)
    _ok(client.put(f"/v1/businesses/{business_id}/members", headers=admin_headers,
                   json={"email": email, "role": role}))
    return headers


def emailed_request(client, headers, business_id: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A creator who is not on sparkcodes on the business's roster (by handle and e-mail), and a
    code request e-mailed to her for a TikTok-linked ad account. The ad account is written as
    sync would write a mirrored one (no TikTok is called: asking calls nobody). Returns the ids:
    ``entry_id``, ``link_id`` and ``tiktok_account_id``."""
    from sparkcodes.models import TIKTOK, AdAccount

    handle = f"outside_{next(_seq)}"
    with client.app.state.db.unit_of_work() as session:
        account = AdAccount(business_id=business_id, name=f"TikTok {handle}", source=TIKTOK,
                            external_id=f"advertiser-{handle}")
        session.add(account)
        session.flush()
        account_id = account.id
    entry = _ok(client.post(f"/v1/businesses/{business_id}/roster", headers=headers,
                            json={"handle": handle, "email": f"{handle}@example.com"}), 201)
    link = _ok(client.post(f"/v1/roster/{entry['id']}/creator-links", headers=headers,
                           json={"kind": "code", "ad_account_id": account_id, "days": 30,
                                 "post_url": "the unboxing"}), 201)
    return {"entry_id": entry["id"], "link_id": link["id"], "tiktok_account_id": account_id}
