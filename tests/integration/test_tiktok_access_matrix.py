"""Nobody acts on another tenant's advertiser, or on its objects, through /open_api/v1.3.

Two tenants, A (the victim) and B (the stranger), each with a business, an ad account, a creator
whose codes are bound to the account through /v1, a campaign, an ad group, a delivering Spark Ad
and some engagement. Every route of the TikTok surface (enumerated from the app: a route not in
``ROUTES`` or ``NO_ADVERTISER`` fails ``test_every_tiktok_route_is_covered`` with its name) is
called with B's ``Access-Token``:

* naming A's advertiser (with A's object ids, and with B's), or an advertiser that does not exist:
  HTTP 200, code 40001 "No permission to operate advertiser <id>", ``data == {}``;
* naming B's own advertiser with A's object ids: 40007 "The <noun> <id> does not exist." (40002
  for an ad creative naming a post not authorized to B; 40001 for a code A applied), and a filter
  naming A's ids finds nothing;
* and not one row of the database changes (every table, every row, before and after each call).

B's valid calls on its own advertiser answer code 0, so the refusals are not vacuous. Then the
business roles (an analyst of A reads everything and writes nothing: 40001 naming the role), a
developer app's token (only the advertisers the grant names), and the oauth2 routes, which take no
advertiser and are checked app against app instead.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests import factories as f
from tests import tiktok_world as tw

PREFIX = "/open_api/v1.3"
FALLBACK = "/open_api/{path:path}"
NO_PERMISSION, PARAM_ERROR, NOT_FOUND, TOKEN_INVALID = 40001, 40002, 40007, 40105
OAUTH_CODE_INVALID, INVALID_APP = 40110, 40101
LANDING = "https://shop.example.com/spring?utm_source=tiktok"
# Advertiser ids that name no ad account at all: they must answer exactly as another tenant's.
UNKNOWN_ADVERTISERS = ("1", str(2**63 - 1))

_seq = itertools.count(1)


# --------------------------------------------------------------------------------------- helpers

@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):  # type: ignore[no-untyped-def]
    """Argon2 at production cost is most of this module's run time and is not what it tests."""
    from argon2 import PasswordHasher

    from sparkcodes.kit import crypto

    monkeypatch.setattr(crypto, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                          parallelism=1))


def _ok(response, status: int = 200):  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.request.url.path, response.status_code,
                                            response.text[:500])
    return None if status == 204 else response.json()


def tiktok_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, path) of every /open_api route but the catch-all that answers 40008."""
    return {(m, p) for m, p, _ in f.api_routes(app, tiktok=True) if p != FALLBACK}


def _wire(value: Any) -> str:
    """A query value as TikTok clients send it: arrays and objects JSON-encoded (§1)."""
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def send(client, method: str, path: str, token: str | None, payload: dict[str, Any]):  # type: ignore[no-untyped-def]
    """GET: the payload in the query string; POST: as the JSON body. ``path`` is relative to
    /open_api/v1.3."""
    headers = {} if token is None else {"Access-Token": token}
    if method == "GET":
        return client.get(PREFIX + path, headers=headers,
                          params={k: _wire(v) for k, v in payload.items()})
    return client.request(method, PREFIX + path, headers=headers, json=payload)


def envelope_problem(response, code: int, *fragments: str) -> str | None:  # type: ignore[no-untyped-def]
    """Why the answer is not TikTok's refusal ``code`` (HTTP 200, data {}, every fragment in the
    message), or None."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.text[:300]}"
    if not isinstance(body, dict) or set(body) != {"code", "message", "request_id", "data"}:
        return f"not TikTok's envelope: {response.text[:300]}"
    if body["code"] != code:
        return f"code {body['code']} (expected {code}): {body['message']!r}"
    if code != 0 and body["data"] != {}:
        return f"data is not {{}} on a refusal: {response.text[:300]}"
    if not isinstance(body["request_id"], str) or not body["request_id"]:
        return f"no request_id: {response.text[:300]}"
    message = body["message"]
    if not isinstance(message, str) or not message.strip() or "Traceback" in message:
        return f"unreadable message: {message!r}"
    missing = [fr for fr in fragments if fr.lower() not in message.lower()]
    if missing:
        return f"message {message!r} does not say {missing}"
    return None


def db_fingerprint(app) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Every row of every table but one: a refused call changes none of them. The exception is
    the look-up limiter's counters (``rate_limit_counters``, in the database on PostgreSQL
    without Redis): a mistyped code is a failed look-up and counts against the limits, by
    design (issue 12); counting it is not a change to anybody's data."""
    from sparkcodes.models import Base

    out = {}
    with app.state.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name == "rate_limit_counters":
                continue
            rows = [r._asdict() for r in conn.execute(table.select())]
            out[table.name] = sorted(repr(sorted(r.items())) for r in rows)
    return out


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


# ------------------------------------------------------------------------------------ the world

class Tenant:
    """A user with a creator (three posts: one bound and running in an ad, one bound and idle,
    one with a code never applied), a business with an ad account, and a campaign, ad group and
    Spark Ad on the first post, with some engagement. Ids as a TikTok client holds them."""

    def __init__(self, client, name: str) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.name = name
        self.email = f"{name}{next(_seq)}@example.com"
        self.h = f.user(client, email=self.email)
        self.token = tw.token_of(self.h)
        self.creator = f.creator(client, self.h, handle=f"{name}_creator_{next(_seq)}")
        self.identity_id = str(self.creator["tiktok_id"])
        self.caption = f"{name} secret caption {next(_seq)}"
        self.post = f.post(client, self.h, self.creator["id"], caption=self.caption)
        self.code = f.code(client, self.h, self.post["id"])
        self.idle_post = f.post(client, self.h, self.creator["id"], caption=f"{name} idle")
        self.idle_code = f.code(client, self.h, self.idle_post["id"])
        self.fresh_post = f.post(client, self.h, self.creator["id"], caption=f"{name} fresh")
        self.fresh_code = f.code(client, self.h, self.fresh_post["id"])  # never applied
        self.item_id = str(self.post["tiktok_id"])
        self.idle_item_id = str(self.idle_post["tiktok_id"])
        self.business = f.business(client, self.h, name=f"{name} Inc")
        self.account = f.ad_account(client, self.h, self.business["id"])
        self.advertiser_id = tw.advertiser_id_of(client, self.h, self.account["id"])
        spark_post_id = f.spark_post_id(client, self.h, self.account["id"], self.code["code"])
        f.spark_post_id(client, self.h, self.account["id"], self.idle_code["code"])
        self.campaign = f.campaign(client, self.h, self.account["id"])
        self.ad_group = f.ad_group(client, self.h, self.campaign["id"])
        self.ad = f.ad(client, self.h, self.ad_group["id"], spark_post_id)
        self.campaign_id = str(self.campaign["tiktok_id"])
        self.adgroup_id = str(self.ad_group["tiktok_id"])
        self.ad_id = str(self.ad["tiktok_id"])
        body = _ok(f.events(client, self.h, [
            f.event(self.post["id"], "like"),
            f.event(self.post["id"], "impression", ad_id=self.ad["id"]),
            f.event(self.post["id"], "like", ad_id=self.ad["id"]),
        ]))
        assert body["accepted"] == 3, body

    def second_account(self) -> tuple[dict[str, Any], str]:
        """Another ad account of the same business (the same user is admin of both)."""
        account = f.ad_account(self.client, self.h, self.business["id"])
        return account, tw.advertiser_id_of(self.client, self.h, account["id"])


def _day(client, t: Tenant) -> str:
    return tw.clock(client, t.h).strftime("%Y-%m-%d")


# ------------------------------------------------------------------------------ the route table

Request = Callable[[str, Tenant], dict[str, Any]]  # (advertiser_id, owner of the objects)


@dataclass
class Foreign:
    """B's own advertiser naming A's objects: the refusal expected, or (code 0) a filter that
    must find nothing."""

    label: str
    request: Callable[[Tenant, Tenant], dict[str, Any]]  # (a, b) -> payload
    code: int
    fragments: Callable[[Tenant, Tenant], tuple[str, ...]] = lambda a, b: ()
    # The rows found that must not be (data, a, b) -> rows; for code 0 only.
    empty: Callable[[dict[str, Any], Tenant, Tenant], list[Any]] | None = None


@dataclass
class Route:
    role: str  # "read" (an analyst may) or "operate" (operator and up)
    request: Request  # a valid call on the advertiser, naming the owner's objects
    foreign: list[Foreign] = field(default_factory=list)
    valid: Callable[[dict[str, Any], Tenant, Tenant], None] | None = None  # (data, a, b)
    why: str = ""  # why the role, where it is not what the method suggests


def _creative(t: Tenant, item_id: str | None = None) -> dict[str, Any]:
    return {"identity_type": "AUTH_CODE", "identity_id": t.identity_id,
            "tiktok_item_id": item_id or t.item_id, "call_to_action": "SHOP_NOW",
            "landing_page_url": LANDING}


def _list(data: dict[str, Any], a: Tenant | None = None, b: Tenant | None = None) -> list[Any]:
    assert data["page_info"]["total_number"] == len(data["list"]), data["page_info"]
    return data["list"]


def _identities(data: dict[str, Any], a: Tenant, b: Tenant) -> list[Any]:
    assert data["page_info"]["total_number"] == len(data["identity_list"]), data["page_info"]
    return data["identity_list"]


def _ids_in(data: dict[str, Any], key: str) -> set[str]:
    return {row[key] for row in data["list"]}


def _only_own(key: str, attr: str) -> Callable[[dict[str, Any], Tenant, Tenant], None]:
    def check(data: dict[str, Any], a: Tenant, b: Tenant) -> None:
        found = _ids_in(data, key)
        assert getattr(b, attr) in found and getattr(a, attr) not in found, (key, data)
    return check


def _status_update(noun: str, attr: str) -> Route:
    ids = f"{noun}_ids"
    return Route("operate", lambda adv, t: {"advertiser_id": adv, ids: [getattr(t, attr)],
                                            "operation_status": "ENABLE"},
                 [Foreign(f"A's {noun}", lambda a, b: {"advertiser_id": b.advertiser_id,
                                                       ids: [getattr(a, attr)],
                                                       "operation_status": "DISABLE"},
                          NOT_FOUND, lambda a, b: (f"{noun} {getattr(a, attr)}", "does not exist")),
                  Foreign(f"B's and A's {noun} (all or none)",
                          lambda a, b: {"advertiser_id": b.advertiser_id,
                                        ids: [getattr(b, attr), getattr(a, attr)],
                                        "operation_status": "DELETE"},
                          NOT_FOUND, lambda a, b: (f"{noun} {getattr(a, attr)}",))])


def _get(noun: str, attr: str, filters: list[tuple[str, str]]) -> Route:
    """campaign/get, adgroup/get, ad/get: filters naming A's ids find nothing."""
    return Route(
        "read", lambda adv, t: {"advertiser_id": adv},
        [Foreign(f"filtering.{name} with A's {what}",
                 lambda a, b, name=name, what=what: {"advertiser_id": b.advertiser_id,
                                                     "filtering": {name: [getattr(a, what)]}},
                 0, empty=_list)
         for name, what in filters],
        valid=_only_own(f"{noun}_id", attr))


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/advertiser/info/"): Route(
        "read", lambda adv, t: {"advertiser_ids": [adv]},
        [Foreign("B's and A's advertiser in one call",
                 lambda a, b: {"advertiser_ids": [b.advertiser_id, a.advertiser_id]},
                 NO_PERMISSION, lambda a, b: (a.advertiser_id,))],
        valid=lambda data, a, b: _only_own("advertiser_id", "advertiser_id")(data, a, b)),
    ("POST", "/tt_video/authorize/"): Route(
        "operate", lambda adv, t: {"advertiser_id": adv, "auth_code": t.fresh_code["code"]},
        [Foreign("a code A already applied", lambda a, b: {"advertiser_id": b.advertiser_id,
                                                           "auth_code": a.code["code"]},
                 NO_PERMISSION)],
        valid=lambda data, a, b: None if data["identity_id"] == b.identity_id else
        pytest.fail(str(data))),
    ("GET", "/tt_video/info/"): Route(
        "operate", lambda adv, t: {"advertiser_id": adv, "auth_code": t.code["code"]},
        [Foreign("a code A applied", lambda a, b: {"advertiser_id": b.advertiser_id,
                                                   "auth_code": a.code["code"]},
                 NO_PERMISSION)],
        valid=lambda data, a, b: None if data["item_info"]["item_id"] == b.item_id else
        pytest.fail(str(data)),
        why="a code look-up, as POST /v1/ad-accounts/{id}/spark-posts/preview: it needs "
            "operator and counts against the failed look-up limit"),
    ("GET", "/tt_video/list/"): Route(
        "read", lambda adv, t: {"advertiser_id": adv},
        [Foreign("keyword = A's item id", lambda a, b: {"advertiser_id": b.advertiser_id,
                                                        "keyword": a.item_id}, 0, empty=_list),
         Foreign("keyword = A's caption", lambda a, b: {"advertiser_id": b.advertiser_id,
                                                        "keyword": a.caption}, 0, empty=_list)],
        valid=lambda data, a, b: None if {e["item_info"]["item_id"] for e in data["list"]}
        == {b.item_id, b.idle_item_id} else pytest.fail(str(data))),
    ("POST", "/tt_video/unbind/"): Route(
        "operate", lambda adv, t: {"advertiser_id": adv, "item_id": t.idle_item_id},
        [Foreign("A's bound item", lambda a, b: {"advertiser_id": b.advertiser_id,
                                                 "item_id": a.idle_item_id},
                 NOT_FOUND, lambda a, b: (a.idle_item_id,))]),
    ("GET", "/identity/get/"): Route(
        "read", lambda adv, t: {"advertiser_id": adv},
        [Foreign("filtering.keyword = A's creator handle",
                 lambda a, b: {"advertiser_id": b.advertiser_id,
                               "filtering": {"keyword": a.creator["handle"]}},
                 0, empty=_identities)],
        valid=lambda data, a, b: None if [i["identity_id"] for i in data["identity_list"]]
        == [b.identity_id] else pytest.fail(str(data))),
    ("GET", "/identity/video/info/"): Route(
        "read", lambda adv, t: {"advertiser_id": adv, "identity_type": "AUTH_CODE",
                                "identity_id": t.identity_id, "item_id": t.item_id},
        [Foreign("A's identity and item", lambda a, b: {
            "advertiser_id": b.advertiser_id, "identity_type": "AUTH_CODE",
            "identity_id": a.identity_id, "item_id": a.item_id},
            NOT_FOUND, lambda a, b: (a.identity_id,)),
         Foreign("B's identity, A's item (item_id)", lambda a, b: {
             "advertiser_id": b.advertiser_id, "identity_type": "AUTH_CODE",
             "identity_id": b.identity_id, "item_id": a.item_id},
             NOT_FOUND, lambda a, b: (a.item_id,)),
         Foreign("B's identity, A's item (item_ids)", lambda a, b: {
             "advertiser_id": b.advertiser_id, "identity_type": "AUTH_CODE",
             "identity_id": b.identity_id, "item_ids": [b.item_id, a.item_id]},
             NOT_FOUND, lambda a, b: (a.item_id,)),
         Foreign("A's identity as TT_USER", lambda a, b: {
             "advertiser_id": b.advertiser_id, "identity_type": "TT_USER",
             "identity_id": a.identity_id, "item_id": a.item_id},
             NOT_FOUND, lambda a, b: (a.identity_id,))]),
    ("GET", "/identity/video/get/"): Route(
        "read", lambda adv, t: {"advertiser_id": adv, "identity_type": "AUTH_CODE",
                                "identity_id": t.identity_id},
        [Foreign("A's identity", lambda a, b: {"advertiser_id": b.advertiser_id,
                                               "identity_type": "AUTH_CODE",
                                               "identity_id": a.identity_id},
                 NOT_FOUND, lambda a, b: (a.identity_id,)),
         Foreign("A's identity as TT_USER", lambda a, b: {"advertiser_id": b.advertiser_id,
                                                          "identity_type": "TT_USER",
                                                          "identity_id": a.identity_id},
                 NOT_FOUND, lambda a, b: (a.identity_id,))],
        valid=lambda data, a, b: None if {v["item_id"] for v in data["video_list"]}
        == {b.item_id, b.idle_item_id} else pytest.fail(str(data))),
    ("POST", "/campaign/create/"): Route(
        "operate", lambda adv, t: {"advertiser_id": adv, "campaign_name": "Planted",
                                   "objective_type": "ENGAGEMENT"}),
    ("POST", "/campaign/update/"): Route(
        "operate", lambda adv, t: {"advertiser_id": adv, "campaign_id": t.campaign_id,
                                   "campaign_name": "Renamed", "budget_mode": "BUDGET_MODE_DAY",
                                   "budget": 100},
        [Foreign("A's campaign", lambda a, b: {"advertiser_id": b.advertiser_id,
                                               "campaign_id": a.campaign_id,
                                               "campaign_name": "Renamed by B"},
                 NOT_FOUND, lambda a, b: (f"campaign {a.campaign_id}", "does not exist"))]),
    ("GET", "/campaign/get/"): _get("campaign", "campaign_id", [("campaign_ids", "campaign_id")]),
    ("POST", "/campaign/status/update/"): _status_update("campaign", "campaign_id"),
    ("POST", "/adgroup/create/"): Route(
        "operate", lambda adv, t: {"advertiser_id": adv, "campaign_id": t.campaign_id,
                                   "adgroup_name": "Planted", "budget": 50, "bid_price": 5},
        [Foreign("A's campaign", lambda a, b: {"advertiser_id": b.advertiser_id,
                                               "campaign_id": a.campaign_id,
                                               "adgroup_name": "Planted", "budget": 50,
                                               "bid_price": 5},
                 NOT_FOUND, lambda a, b: (f"campaign {a.campaign_id}", "does not exist"))]),
    ("POST", "/adgroup/update/"): Route(
        "operate", lambda adv, t: {"advertiser_id": adv, "adgroup_id": t.adgroup_id,
                                   "adgroup_name": "Renamed", "bid_price": 1},
        [Foreign("A's ad group", lambda a, b: {"advertiser_id": b.advertiser_id,
                                               "adgroup_id": a.adgroup_id,
                                               "adgroup_name": "Renamed by B", "budget": 1},
                 NOT_FOUND, lambda a, b: (f"adgroup {a.adgroup_id}", "does not exist"))]),
    ("GET", "/adgroup/get/"): _get("adgroup", "adgroup_id", [("adgroup_ids", "adgroup_id"),
                                                             ("campaign_ids", "campaign_id")]),
    ("POST", "/adgroup/status/update/"): _status_update("adgroup", "adgroup_id"),
    ("POST", "/ad/create/"): Route(
        "operate", lambda adv, t: {"advertiser_id": adv, "adgroup_id": t.adgroup_id,
                                   "creatives": [_creative(t)]},
        [Foreign("A's ad group, B's creative", lambda a, b: {
            "advertiser_id": b.advertiser_id, "adgroup_id": a.adgroup_id,
            "creatives": [_creative(b)]},
            NOT_FOUND, lambda a, b: (f"adgroup {a.adgroup_id}", "does not exist")),
         Foreign("B's ad group, A's identity and post", lambda a, b: {
             "advertiser_id": b.advertiser_id, "adgroup_id": b.adgroup_id,
             "creatives": [_creative(a)]},
             PARAM_ERROR, lambda a, b: (a.item_id, "not authorized")),
         Foreign("B's ad group, B's identity, A's post", lambda a, b: {
             "advertiser_id": b.advertiser_id, "adgroup_id": b.adgroup_id,
             "creatives": [_creative(b, a.item_id)]},
             PARAM_ERROR, lambda a, b: (a.item_id, "not authorized")),
         Foreign("B's ad group, a good creative then A's post", lambda a, b: {
             "advertiser_id": b.advertiser_id, "adgroup_id": b.adgroup_id,
             "creatives": [_creative(b), _creative(a)]},
             PARAM_ERROR, lambda a, b: (a.item_id, "not authorized"))]),
    ("POST", "/ad/update/"): Route(
        "operate", lambda adv, t: {"advertiser_id": adv,
                                   "creatives": [{"ad_id": t.ad_id, "ad_name": "Renamed"}]},
        [Foreign("A's ad", lambda a, b: {"advertiser_id": b.advertiser_id, "creatives": [
            {"ad_id": a.ad_id, "landing_page_url": "https://evil.example.com/"}]},
            NOT_FOUND, lambda a, b: (f"ad {a.ad_id}", "does not exist")),
         Foreign("B's ad then A's ad (all or none)", lambda a, b: {
             "advertiser_id": b.advertiser_id, "creatives": [
                 {"ad_id": b.ad_id, "ad_name": "Changed"},
                 {"ad_id": a.ad_id, "ad_name": "Changed"}]},
             NOT_FOUND, lambda a, b: (f"ad {a.ad_id}",))]),
    ("GET", "/ad/get/"): _get("ad", "ad_id", [("ad_ids", "ad_id"), ("adgroup_ids", "adgroup_id"),
                                              ("campaign_ids", "campaign_id")]),
    ("POST", "/ad/status/update/"): _status_update("ad", "ad_id"),
}


def _report(adv: str, t: Tenant) -> dict[str, Any]:
    day = _day(t.client, t)
    return {"report_type": "BASIC", "advertiser_id": adv, "data_level": "AUCTION_AD",
            "dimensions": ["ad_id"], "metrics": ["spend", "impressions", "likes"],
            "start_date": day, "end_date": day}


def _report_filter(field_name: str, ids: list[str]) -> list[dict[str, Any]]:
    return [{"field_name": field_name, "filter_type": "IN", "filter_value": json.dumps(ids)}]


ROUTES[("GET", "/report/integrated/get/")] = Route(
    "read", _report,
    [Foreign("advertiser_ids = [A's] next to B's advertiser_id (advertiser_ids wins)",
             lambda a, b: {**_report(b.advertiser_id, b), "advertiser_ids": [a.advertiser_id]},
             NO_PERMISSION, lambda a, b: (a.advertiser_id,)),
     Foreign("advertiser_ids = [B's, A's]",
             lambda a, b: {**_report(b.advertiser_id, b),
                           "advertiser_ids": [b.advertiser_id, a.advertiser_id]},
             NO_PERMISSION, lambda a, b: (a.advertiser_id,)),
     *[Foreign(f"filtering {name} with A's {what}",
               lambda a, b, name=name, what=what: {
                   **_report(b.advertiser_id, b),
                   "filtering": _report_filter(name, [getattr(a, what)])},
               0, empty=_list)
       for name, what in (("ad_ids", "ad_id"), ("adgroup_ids", "adgroup_id"),
                          ("campaign_ids", "campaign_id"))],
     Foreign("lifetime, filtering ad_ids = [A's, B's]: only B's ad",
             lambda a, b: {**_report(b.advertiser_id, b), "dimensions": ["ad_id"],
                           "query_lifetime": "true", "start_date": "", "end_date": "",
                           "filtering": _report_filter("ad_ids", [a.ad_id, b.ad_id])},
             0, empty=lambda data, a, b: [r for r in _list(data)
                                          if r["dimensions"]["ad_id"] != b.ad_id])],
    valid=lambda data, a, b: None if {r["dimensions"]["ad_id"] for r in data["list"]}
    == {b.ad_id} else pytest.fail(str(data)))

# Routes that name no advertiser, and where they are checked instead.
NO_ADVERTISER = {
    ("GET", "/user/info/"): "answers who the token belongs to, never anyone else: "
                            "test_user_info_shows_only_the_tokens_own_user",
    ("GET", "/user/info"): "the same route without its trailing slash (the Singer tap calls it "
                           "so): test_user_info_shows_only_the_tokens_own_user",
    ("POST", "/oauth2/access_token/"): "authenticated by app_id and secret, not by a token; it "
                                       "exchanges the app's own auth_code: "
                                       "test_oauth2_routes_stay_inside_their_app",
    ("GET", "/oauth2/advertiser/get/"): "lists the advertisers of the token's own grant: "
                                        "test_oauth2_routes_stay_inside_their_app and "
                                        "test_app_token_reaches_only_the_granted_advertisers",
    ("POST", "/oauth2/revoke_token/"): "authenticated by app_id and secret; revokes only a "
                                       "token issued to that app: "
                                       "test_oauth2_routes_stay_inside_their_app",
}


def _served(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Keys of ROUTES that the app serves now."""
    served = {(m, p.removeprefix(PREFIX)) for m, p in tiktok_routes(app)}
    return sorted(k for k in ROUTES if k in served)


def test_every_tiktok_route_is_covered(app) -> None:  # type: ignore[no-untyped-def]
    """A /open_api route that is neither in the matrix nor a documented exception is a hole."""
    served = {(m, p.removeprefix(PREFIX)) for m, p in tiktok_routes(app)}
    assert all(p.startswith(PREFIX + "/") for _, p in tiktok_routes(app)), tiktok_routes(app)
    missing = sorted(served - set(ROUTES) - set(NO_ADVERTISER))
    assert not missing, (
        "/open_api routes that are not in the access matrix (add them to ROUTES, or with a "
        "reason to NO_ADVERTISER, in tests/integration/test_tiktok_access_matrix.py): "
        + ", ".join(f"{m} {PREFIX}{p}" for m, p in missing))
    stale = sorted((set(ROUTES) | set(NO_ADVERTISER)) - served)
    assert not stale, "The matrix lists routes the app does not serve: " + ", ".join(
        f"{m} {PREFIX}{p}" for m, p in stale)
    both = sorted(set(ROUTES) & set(NO_ADVERTISER))
    assert not both, both
    for key, route in ROUTES.items():
        assert route.role in ("read", "operate"), key
        # A GET that needs more than read, or a POST that needs only read, says why.
        assert (route.role == "read") == (key[0] == "GET") or route.why, key


# ------------------------------------------------------------------------------ the stranger

def _attempt(client, method: str, path: str, token: str, payload: dict[str, Any],  # type: ignore[no-untyped-def]
             code: int, fragments: tuple[str, ...], where: str,
             empty: Callable[[dict[str, Any]], list[Any]] | None = None) -> list[str]:
    """One call that must be refused (or find nothing) and change no row; its problems."""
    before = db_fingerprint(client.app)
    r = send(client, method, path, token, payload)
    problems = []
    problem = envelope_problem(r, code, *fragments)
    if problem:
        problems.append(f"{where}: {problem}")
    elif empty is not None:
        try:
            found = empty(r.json()["data"])
            if found:
                problems.append(f"{where}: found {json.dumps(found)[:300]}")
        except (AssertionError, KeyError, TypeError) as exc:
            problems.append(f"{where}: {exc!r} in {r.text[:300]}")
    after = db_fingerprint(client.app)
    if after != before:
        problems.append(f"{where}: changed the database "
                        f"({', '.join(changed_tables(before, after))})")
    return problems


def _no_permission(adv: str) -> tuple[str, ...]:
    return (f"No permission to operate advertiser {adv}",)


@pytest.mark.parametrize("key", sorted(ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_stranger_is_refused_on_another_tenants_advertiser_and_objects(client, key) -> None:  # type: ignore[no-untyped-def]
    method, path = key
    route = ROUTES[key]
    a, b = Tenant(client, "alice"), Tenant(client, "bob")
    problems: list[str] = []
    where = f"{method} {PREFIX}{path} with B's token"
    attempts = [("A's advertiser, A's objects", a.advertiser_id, a),
                ("A's advertiser, B's objects", a.advertiser_id, b)]
    attempts += [(f"unknown advertiser {adv}", adv, b) for adv in UNKNOWN_ADVERTISERS]
    messages = {}
    for label, adv, owner in attempts:
        payload = route.request(adv, owner)
        problems += _attempt(client, method, path, b.token, payload, NO_PERMISSION,
                             _no_permission(adv), f"{where} ({label})")
        body = send(client, method, path, b.token, payload).json()
        messages[label] = str(body.get("message", "")).replace(adv, "<id>")
    # Another tenant's advertiser and one that does not exist answer alike (no oracle).
    if len(set(messages.values())) != 1:
        problems.append(f"{where}: another tenant's and unknown advertisers answer differently: "
                        f"{messages}")
    for foreign in route.foreign:
        problems += _attempt(client, method, path, b.token, foreign.request(a, b), foreign.code,
                             foreign.fragments(a, b), f"{where} (B's advertiser, "
                             f"{foreign.label})",
                             empty=None if foreign.empty is None else
                             (lambda data, fo=foreign: fo.empty(data, a, b)))
    # Not vacuous: the same call on B's own advertiser and objects succeeds.
    r = send(client, method, path, b.token, route.request(b.advertiser_id, b))
    problem = envelope_problem(r, 0)
    if problem:
        problems.append(f"{where} on B's own advertiser: {problem}")
    elif route.valid is not None:
        try:
            route.valid(r.json()["data"], a, b)
        except (AssertionError, KeyError, TypeError, pytest.fail.Exception) as exc:
            problems.append(f"{where} on B's own advertiser: {exc!r}")
    assert not problems, "\n".join(problems)


def test_every_write_route_changes_something_when_valid(client) -> None:  # type: ignore[no-untyped-def]
    """The "nothing changed" checks above mean something: each operate route's valid call on B's
    own advertiser does change rows (B's refusals and A's untouched rows are not the same
    thing as a route that never writes)."""
    b = Tenant(client, "bob")
    problems = []
    for key in _served(client.app):
        method, path = key
        route = ROUTES[key]
        if route.role != "operate" or method != "POST":
            continue
        payload = route.request(b.advertiser_id, b)
        if path.endswith("/status/update/"):  # ENABLE on an enabled object changes nothing
            payload = {**payload, "operation_status": "DISABLE"}
        before = db_fingerprint(client.app)
        r = send(client, method, path, b.token, payload)
        problem = envelope_problem(r, 0)
        if problem:
            problems.append(f"{method} {path}: {problem}")
        elif db_fingerprint(client.app) == before:
            problems.append(f"{method} {path}: a valid call changed nothing")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------- business roles

def test_analyst_reads_everything_and_writes_nothing(client) -> None:  # type: ignore[no-untyped-def]
    """An analyst of A's business: every read route answers 0; every route that needs operator
    answers 40001 naming the analyst role and the role needed, and changes no row."""
    a = Tenant(client, "alice")
    b = Tenant(client, "bob")
    analyst = tw.token_of(f.member(client, a.h, a.business["id"], "analyst"))
    problems = []
    reads = writes = 0
    for key in _served(client.app):
        method, path = key
        route = ROUTES[key]
        where = f"{method} {PREFIX}{path} as A's analyst"
        payload = route.request(a.advertiser_id, a)
        if route.role == "read":
            reads += 1
            before = db_fingerprint(client.app)
            r = send(client, method, path, analyst, payload)
            problem = envelope_problem(r, 0)
            if problem:
                problems.append(f"{where}: {problem}")
            elif route.valid is not None:
                try:
                    route.valid(r.json()["data"], b, a)  # A's objects, not B's
                except (AssertionError, KeyError, TypeError, pytest.fail.Exception) as exc:
                    problems.append(f"{where}: {exc!r}")
            if db_fingerprint(client.app) != before:
                problems.append(f"{where}: a read changed the database")
        else:
            writes += 1
            problems += _attempt(client, method, path, analyst, payload, NO_PERMISSION,
                                 ("analyst", "operator"), where)
    assert reads >= 8 and writes >= 12, (reads, writes)
    # The analyst is no stranger elsewhere either: B's advertiser is still refused.
    r = send(client, "GET", "/campaign/get/", analyst, {"advertiser_id": b.advertiser_id})
    problem = envelope_problem(r, NO_PERMISSION, *_no_permission(b.advertiser_id))
    assert problem is None, problem
    assert not problems, "\n".join(problems)


def test_operator_may_write_but_a_removed_member_is_a_stranger(client) -> None:  # type: ignore[no-untyped-def]
    """The role line is operator: an operator's writes succeed. A member removed from the
    business is refused like any stranger (40001, same words as an unknown advertiser)."""
    a = Tenant(client, "alice")
    operator_h = f.member(client, a.h, a.business["id"], "operator")
    operator = tw.token_of(operator_h)
    r = send(client, "POST", "/campaign/create/", operator,
             ROUTES[("POST", "/campaign/create/")].request(a.advertiser_id, a))
    assert envelope_problem(r, 0) is None, r.text
    me = _ok(client.get("/v1/me", headers=operator_h))
    _ok(client.delete(f"/v1/businesses/{a.business['id']}/members/{me['id']}", headers=a.h),
        204)
    problems = []
    for key in _served(client.app):
        method, path = key
        problems += _attempt(client, method, path, operator,
                             ROUTES[key].request(a.advertiser_id, a), NO_PERMISSION,
                             _no_permission(a.advertiser_id),
                             f"{method} {PREFIX}{path} as a removed operator")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------- developer apps

@dataclass
class App:
    app_id: str
    secret: str
    id: str


def register_app(client, headers: dict[str, str]) -> App:  # type: ignore[no-untyped-def]
    body = _ok(client.post("/v1/developer-apps", headers=headers, json={
        "name": f"App {next(_seq)}", "redirect_url": "https://app.example.com/callback"}), 201)
    return App(app_id=body["app_id"], secret=body["secret"], id=body["id"])


def grant(client, headers: dict[str, str], app: App, ad_account_ids: list[str]) -> str:  # type: ignore[no-untyped-def]
    """A user authorizes the app on some ad accounts: the one-time auth_code."""
    body = _ok(client.post("/v1/app-grants", headers=headers, json={
        "app_id": app.app_id, "ad_account_ids": ad_account_ids}), 201)
    return body["auth_code"]


def exchange(client, app: App, auth_code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = send(client, "POST", "/oauth2/access_token/", None,
             {"app_id": app.app_id, "secret": app.secret, "auth_code": auth_code})
    assert envelope_problem(r, 0) is None, r.text
    return r.json()["data"]


def test_app_token_reaches_only_the_granted_advertisers(client) -> None:  # type: ignore[no-untyped-def]
    """B authorizes its app on one of its two ad accounts. The app's token is refused (40001,
    nothing changed) on B's other ad account, though B is admin there, and on A's; it works on
    the granted one; oauth2/advertiser/get lists only that one; revoked, it works nowhere."""
    a = Tenant(client, "alice")
    b = Tenant(client, "bob")
    _, other_adv = b.second_account()
    app = register_app(client, b.h)
    done = exchange(client, app, grant(client, b.h, app, [b.account["id"]]))
    assert done["advertiser_ids"] == [b.advertiser_id], done
    token = done["access_token"]
    problems = []
    for key in _served(client.app):
        method, path = key
        route = ROUTES[key]
        where = f"{method} {PREFIX}{path} with B's app token"
        for label, adv, owner in (("B's ungranted advertiser", other_adv, b),
                                  ("A's advertiser", a.advertiser_id, a)):
            problems += _attempt(client, method, path, token, route.request(adv, owner),
                                 NO_PERMISSION, _no_permission(adv), f"{where} ({label})")
    if ("GET", "/advertiser/info/") in ROUTES:
        problems += _attempt(client, "GET", "/advertiser/info/", token,
                             {"advertiser_ids": [b.advertiser_id, other_adv]}, NO_PERMISSION,
                             _no_permission(other_adv), "advertiser/info granted + ungranted")
    for key in _served(client.app):
        method, path = key
        r = send(client, method, path, token, ROUTES[key].request(b.advertiser_id, b))
        problem = envelope_problem(r, 0)
        if problem:
            problems.append(f"{method} {PREFIX}{path} with B's app token on the granted "
                            f"advertiser: {problem}")
    r = client.get(PREFIX + "/oauth2/advertiser/get/", headers={"Access-Token": token},
                   params={"app_id": app.app_id, "secret": app.secret})
    assert envelope_problem(r, 0) is None, r.text
    assert [x["advertiser_id"] for x in r.json()["data"]["list"]] == [b.advertiser_id], r.text
    # Revoked by the app: the token works nowhere, granted advertiser included.
    r = send(client, "POST", "/oauth2/revoke_token/", None,
             {"app_id": app.app_id, "secret": app.secret, "access_token": token})
    assert envelope_problem(r, 0) is None, r.text
    for key in _served(client.app):
        method, path = key
        problems += _attempt(client, method, path, token,
                             ROUTES[key].request(b.advertiser_id, b), TOKEN_INVALID, (),
                             f"{method} {PREFIX}{path} with the revoked app token")
    assert not problems, "\n".join(problems)


def test_oauth2_routes_stay_inside_their_app(client) -> None:  # type: ignore[no-untyped-def]
    """The oauth2 routes name no advertiser; their boundary is the app. B's app cannot exchange
    A's auth_code nor revoke A's app's token, and neither app's token lists through the other
    app; every refusal changes no row."""
    a = Tenant(client, "alice")
    b = Tenant(client, "bob")
    app_a, app_b = register_app(client, a.h), register_app(client, b.h)
    code_a = grant(client, a.h, app_a, [a.account["id"]])
    token_b = exchange(client, app_b, grant(client, b.h, app_b, [b.account["id"]]))["access_token"]
    problems = []
    exchange_path, revoke_path, list_path = ("/oauth2/access_token/", "/oauth2/revoke_token/",
                                             "/oauth2/advertiser/get/")
    problems += _attempt(client, "POST", exchange_path, None,
                         {"app_id": app_b.app_id, "secret": app_b.secret, "auth_code": code_a},
                         OAUTH_CODE_INVALID, (), "B's app exchanging A's auth_code")
    problems += _attempt(client, "POST", exchange_path, None,
                         {"app_id": app_a.app_id, "secret": app_b.secret, "auth_code": code_a},
                         INVALID_APP, (), "A's app_id with B's secret")
    token_a = exchange(client, app_a, code_a)
    assert token_a["advertiser_ids"] == [a.advertiser_id], token_a
    token_a = token_a["access_token"]
    problems += _attempt(client, "POST", exchange_path, None,
                         {"app_id": app_a.app_id, "secret": app_a.secret, "auth_code": code_a},
                         OAUTH_CODE_INVALID, (), "A's auth_code exchanged twice")
    problems += _attempt(client, "POST", revoke_path, None,
                         {"app_id": app_b.app_id, "secret": app_b.secret,
                          "access_token": token_a},
                         TOKEN_INVALID, (), "B's app revoking A's app's token")
    problems += _attempt(client, "POST", revoke_path, None,
                         {"app_id": app_b.app_id, "secret": app_b.secret, "access_token": a.token},
                         TOKEN_INVALID, (), "B's app revoking A's personal API token")
    for label, app, token in (("B's app, A's app token", app_b, token_a),
                              ("A's app, B's app token", app_a, token_b),
                              ("B's app, A's personal token", app_b, a.token),
                              ("B's app, B's personal token", app_b, b.token)):
        problems += _attempt(client, "GET", list_path, token,
                             {"app_id": app.app_id, "secret": app.secret}, TOKEN_INVALID, (),
                             f"oauth2/advertiser/get: {label}")
    # A's app token still works and lists only A's advertiser; B's lists only B's.
    for app, token, adv in ((app_a, token_a, a.advertiser_id), (app_b, token_b, b.advertiser_id)):
        r = send(client, "GET", list_path, token, {"app_id": app.app_id, "secret": app.secret})
        assert envelope_problem(r, 0) is None, r.text
        assert [x["advertiser_id"] for x in r.json()["data"]["list"]] == [adv], r.text
    assert not problems, "\n".join(problems)


def test_user_info_shows_only_the_tokens_own_user(client) -> None:  # type: ignore[no-untyped-def]
    a = Tenant(client, "alice")
    b = Tenant(client, "bob")
    for path in ("/user/info/", "/user/info"):
        for t, other in ((a, b), (b, a)):
            r = client.get(PREFIX + path, headers={"Access-Token": t.token},
                           params={"advertiser_id": other.advertiser_id})
            assert envelope_problem(r, 0) is None, r.text
            data = r.json()["data"]
            assert data["email"] == t.email, (path, data)
            assert other.email not in r.text and other.advertiser_id not in r.text
