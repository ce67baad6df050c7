"""Nobody sees or touches another tenant's creators, posts, codes, businesses or ad accounts.

Every JSON route of the app that takes an object id in its path is called by a stranger (tenant B)
with tenant A's ids: the answer is always 404 ``not_found`` (never 200, never 403, never 500), not
one database row changes, and A's view of its data is the same afterwards. The routes are
enumerated from the app itself, so a new route that is not listed in ``ID_ROUTES`` fails
``test_every_id_route_is_covered`` with its name; routes taking ids in the body or the query
string must be listed in ``NON_PATH_ID_ROUTES``, and the HTML pages are swept generically
(``test_pages_show_strangers_nothing``).

Then business roles (admin > operator > analyst), and authentication (no token, a bad token, a
revoked token) on every protected route.
"""

from __future__ import annotations

import itertools
import json
import re
import typing
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests import factories as f

_seq = itertools.count(1)


# --------------------------------------------------------------------------------------- helpers

@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):  # type: ignore[no-untyped-def]
    """Argon2 at production cost is most of this module's run time and is not what it tests."""
    from argon2 import PasswordHasher

    from sparkcodes.kit import crypto

    monkeypatch.setattr(crypto, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                          parallelism=1))


def api_routes(app) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, path) of the JSON API and the ops/docs routes (the HTML pages are checked by
    test_pages_show_strangers_nothing)."""
    for method, path, route in f.api_routes(app):
        if not _is_page(route):
            yield method, path


def _is_page(route) -> bool:  # type: ignore[no-untyped-def]
    module = getattr(getattr(route, "endpoint", None), "__module__", "") or ""
    return module.endswith(".views")


def _id_fields(annotation: Any, prefix: str = "") -> list[str]:
    """Fields of a body model (nested models and lists included) that name an object by id."""
    from pydantic import BaseModel

    out: list[str] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, fld in annotation.model_fields.items():
            if name in ("id", "ids") or name.endswith(("_id", "_ids")):
                out.append(prefix + name)
            out += _id_fields(fld.annotation, f"{prefix}{name}.")
    for arg in typing.get_args(annotation):
        out += _id_fields(arg, prefix)
    return out


def non_path_ids(route) -> list[str]:  # type: ignore[no-untyped-def]
    """Query parameters and body fields of a route that carry an object id."""
    def flat(dependant):  # type: ignore[no-untyped-def]
        yield dependant
        for sub in dependant.dependencies:
            yield from flat(sub)

    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return []
    out = [f"query {q.name}" for d in flat(dependant) for q in d.query_params
           if q.name in ("id", "ids") or q.name.endswith(("_id", "_ids"))]
    for d in flat(dependant):
        for body in d.body_params:
            out += [f"body {name}" for name in _id_fields(body.field_info.annotation)]
    return out


def assert_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (status, response.status_code, response.text)
    error = response.json()["error"]
    assert error["code"] == code, (code, response.text)
    message = error["message"]
    assert isinstance(message, str) and message.strip(), response.text
    assert re.search(r"[A-Za-z]{2,}", message) and len(message.split()) >= 2, message
    assert message != code and "Traceback" not in message, message


def _ok(response, status: int = 200):  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


class Tenant:
    """A user who owns a creator (post, bound code, spare code), a business (ad account, Spark post
    bound with the code, the creator linked as identity TT_USER and a Spark post of its own) and a
    campaign, ad group and Spark Ad running on the code."""

    def __init__(self, client, name: str, *, full: bool = True) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.email = f"{name}{next(_seq)}@example.com"
        self.h = f.user(client, email=self.email)
        self.user_id = _ok(client.get("/v1/me", headers=self.h))["id"]
        self.token_id = _ok(client.get("/v1/tokens", headers=self.h))[0]["id"]
        self.creator = f.creator(client, self.h)
        self.post = f.post(client, self.h, self.creator["id"])
        self.code = f.code(client, self.h, self.post["id"])
        self.spare_code = f.code(client, self.h, self.post["id"])  # never bound
        self.business = f.business(client, self.h, name=f"{name} Inc")
        self.account = f.ad_account(client, self.h, self.business["id"])
        bound = _ok(f.bind(client, self.h, self.account["id"], [self.code["code"]]))
        assert bound["bound"] == 1, bound
        self.spark_post = bound["results"][0]["spark_post"]
        if not full:  # enough to act as the stranger
            return
        self.identity = _ok(client.post(f"/v1/ad-accounts/{self.account['id']}/identities",
                                        headers=self.h, json={"creator_id": self.creator["id"]}),
                            201)
        self.own_post = f.post(client, self.h, self.creator["id"], caption="Our own post")
        self.own_spark_post = _ok(client.post(
            f"/v1/ad-accounts/{self.account['id']}/spark-posts/own", headers=self.h,
            json={"post_id": self.own_post["id"]}), 201)
        acc = self.account["id"]
        self.campaign = _ok(client.post(f"/v1/ad-accounts/{acc}/campaigns", headers=self.h,
                                        json={"name": f"{name} launch"}), 201)
        self.ad_group = _ok(client.post(f"/v1/campaigns/{self.campaign['id']}/ad-groups",
                                        headers=self.h,
                                        json={"name": "Group", "budget": "50", "bid": "5"}), 201)
        self.ad = _ok(client.post(f"/v1/ad-groups/{self.ad_group['id']}/ads", headers=self.h,
                                  json={"spark_post_id": self.spark_post["id"],
                                        "landing_page_url": "https://example.com/?utm_source=tt"}),
                      201)
        events = _ok(client.post("/v1/engagement/events", headers=self.h, json={"events": [
            {"event_id": f"{name}-organic-like", "post_id": self.post["id"], "type": "like"},
            {"event_id": f"{name}-paid-impression", "post_id": self.post["id"],
             "type": "impression", "ad_id": self.ad["id"]},
        ]}))
        assert events["accepted"] == 2, events
        # The operations layer: a renewal request and a code request (A asks itself: both sides
        # are A's), a misuse report, a fallback policy, a webhook endpoint, calendar feeds, a
        # roster entry and a contract.
        self.renewal = _ok(client.post(f"/v1/ad-accounts/{acc}/renewal-requests", headers=self.h,
                                       json={"authorization_id": self.code["id"], "days": 30}),
                           201)
        self.wanted_post = f.post(client, self.h, self.creator["id"], caption="Wanted")
        self.code_request = _ok(client.post(f"/v1/ad-accounts/{acc}/code-requests",
                                            headers=self.h,
                                            json={"post_id": self.wanted_post["id"], "days": 30}),
                                201)
        _ok(client.post(f"/v1/authorizations/{self.code['id']}/report-misuse", headers=self.h,
                        json={"reason": "testing the report"}), 201)
        _ok(client.put(f"/v1/ad-groups/{self.ad_group['id']}/fallback-policy", headers=self.h,
                       json={"action": "notify"}))
        self.webhook = _ok(client.post(f"/v1/businesses/{self.business['id']}/webhook-endpoints",
                                       headers=self.h, json={"url": "https://example.com/hook"}),
                           201)
        self.business_feed = _ok(client.post(
            f"/v1/businesses/{self.business['id']}/calendar-feeds", headers=self.h), 201)
        self.creator_feed = _ok(client.post(
            f"/v1/creators/{self.creator['id']}/calendar-feeds", headers=self.h), 201)
        self.roster_entry = _ok(client.post(f"/v1/businesses/{self.business['id']}/roster",
                                            headers=self.h,
                                            json={"creator_id": self.creator["id"]}), 201)
        self.contract = _ok(client.post(f"/v1/businesses/{self.business['id']}/contracts",
                                        headers=self.h,
                                        json={"creator_id": self.creator["id"],
                                              "starts_at": "2026-01-01T00:00:00Z",
                                              "ends_at": "2030-01-01T00:00:00Z"}), 201)
        # A developer app of A's, and A's grant of A's ad account to it.
        self.developer_app = _ok(client.post("/v1/developer-apps", headers=self.h, json={
            "name": f"{name} app", "redirect_url": "https://example.com/callback"}), 201)
        self.app_grant = _ok(client.post("/v1/app-grants", headers=self.h, json={
            "app_id": self.developer_app["app_id"], "ad_account_ids": [acc]}), 201)
        # A TikTok connection of A's business, through A's developer app on this sparkcodes
        # (its public URL, plain http on the loopback host in tests): starting the app flow
        # makes a pending connection and calls nobody.
        self.tiktok_flow = _ok(client.post(
            f"/v1/businesses/{self.business['id']}/tiktok-connections/app-flow", headers=self.h,
            json={"app_id": self.developer_app["app_id"], "secret": self.developer_app["secret"],
                  "base_url": client.app.state.settings.public_url}), 201)
        self.tiktok_connection = self.tiktok_flow["connection"]
        # A creator who is not on sparkcodes, asked for a code by e-mail.
        self.emailed = f.emailed_request(client, self.h, self.business["id"])

    def snapshot(self) -> dict[str, Any]:
        """Everything this tenant can read about its own objects, order-insensitive."""
        c, h = self.client, self.h
        acc, biz = self.account["id"], self.business["id"]
        paths = [
            "/v1/me", "/v1/tokens", "/v1/creators", "/v1/businesses", "/v1/notifications",
            f"/v1/creators/{self.creator['id']}", f"/v1/creators/{self.creator['id']}/posts",
            f"/v1/creators/{self.creator['id']}/history",
            f"/v1/posts/{self.post['id']}", f"/v1/posts/{self.post['id']}/authorizations",
            f"/v1/posts/{self.post['id']}/history", f"/v1/posts/{self.own_post['id']}",
            f"/v1/authorizations/{self.code['id']}", f"/v1/authorizations/{self.spare_code['id']}",
            f"/v1/authorizations/{self.code['id']}/history",
            f"/v1/businesses/{biz}", f"/v1/businesses/{biz}/members",
            f"/v1/businesses/{biz}/ad-accounts", f"/v1/businesses/{biz}/history",
            f"/v1/ad-accounts/{acc}", f"/v1/ad-accounts/{acc}/identities",
            f"/v1/ad-accounts/{acc}/spark-posts?include_unbound=true",
            f"/v1/ad-accounts/{acc}/spark-posts/{self.spark_post['id']}",
            f"/v1/ad-accounts/{acc}/spark-posts/{self.spark_post['id']}/history",
            f"/v1/ad-accounts/{acc}/campaigns?include_deleted=true",
            f"/v1/ad-accounts/{acc}/ads?include_deleted=true",
            f"/v1/campaigns/{self.campaign['id']}",
            f"/v1/campaigns/{self.campaign['id']}/ad-groups?include_deleted=true",
            f"/v1/ad-groups/{self.ad_group['id']}",
            f"/v1/ad-groups/{self.ad_group['id']}/ads?include_deleted=true",
            f"/v1/ads/{self.ad['id']}",
            f"/v1/reports?level=post&id={self.post['id']}",
            f"/v1/reports?level=ad&id={self.ad['id']}",
            f"/v1/reports?level=ad_account&id={acc}",
        ]
        if hasattr(self, "renewal"):
            cr, wh = self.creator["id"], self.webhook["id"]
            paths += [
                f"/v1/ad-accounts/{acc}/renewal-requests", f"/v1/creators/{cr}/renewal-requests",
                f"/v1/ad-accounts/{acc}/code-requests", f"/v1/creators/{cr}/code-requests",
                f"/v1/authorizations/{self.code['id']}/usage",
                f"/v1/ad-groups/{self.ad_group['id']}/fallback-policy",
                f"/v1/businesses/{biz}/webhook-endpoints", f"/v1/webhook-endpoints/{wh}",
                f"/v1/webhook-endpoints/{wh}/deliveries", f"/v1/businesses/{biz}/tracker",
                f"/v1/businesses/{biz}/calendar-feeds", f"/v1/creators/{cr}/calendar-feeds",
                f"/v1/businesses/{biz}/roster", f"/v1/businesses/{biz}/contracts",
                "/v1/developer-apps", f"/v1/developer-apps/{self.developer_app['id']}",
                "/v1/app-grants", f"/v1/businesses/{biz}/tiktok-connections",
                f"/v1/businesses/{biz}/tiktok-connections/{self.tiktok_connection['id']}",
                f"/v1/businesses/{biz}/creator-links",
            ]
        out: dict[str, Any] = {}
        for path in paths:
            body = _ok(c.get(path, headers=h))
            if isinstance(body, dict):
                body.pop("as_of", None)  # the tracker says when it was read
            if isinstance(body, list):
                body = sorted(body, key=lambda item: json.dumps(item, sort_keys=True))
            out[path] = body
        return out


# ------------------------------------------------------------------- the routes that take an id

@dataclass
class Attempt:
    """One request of the stranger: path parameters and body, built from the two tenants."""

    label: str
    params: Callable[[Tenant, Tenant], dict[str, str]]
    body: Callable[[Tenant, Tenant], Any] | None = None


@dataclass
class IdRoute:
    method: str
    path: str
    attempts: list[Attempt]
    marks: list[Any] = field(default_factory=list)


def _a(**ids: Callable[[Tenant], str]) -> Callable[[Tenant, Tenant], dict[str, str]]:
    """Path parameters all taken from A (the victim)."""
    return lambda a, b: {k: get(a) for k, get in ids.items()}


def _creator(t: Tenant) -> str:
    return t.creator["id"]


def _post(t: Tenant) -> str:
    return t.post["id"]


def _code(t: Tenant) -> str:
    return t.spare_code["id"]


def _bound_code(t: Tenant) -> str:
    return t.code["id"]


def _business(t: Tenant) -> str:
    return t.business["id"]


def _account(t: Tenant) -> str:
    return t.account["id"]


def _spark_post(t: Tenant) -> str:
    return t.spark_post["id"]


def _campaign(t: Tenant) -> str:
    return t.campaign["id"]


def _ad_group(t: Tenant) -> str:
    return t.ad_group["id"]


def _ad(t: Tenant) -> str:
    return t.ad["id"]


def _renewal(t: Tenant) -> str:
    return t.renewal["id"]


def _code_request(t: Tenant) -> str:
    return t.code_request["id"]


def _webhook(t: Tenant) -> str:
    return t.webhook["id"]


def _dev_app(t: Tenant) -> str:
    return t.developer_app["id"]


def _connection(t: Tenant) -> str:
    return t.tiktok_connection["id"]


def _connection_attempts() -> list[Attempt]:
    return [
        Attempt("A's business, A's connection", _a(business_id=_business,
                                                   connection_id=_connection)),
        Attempt("B's own business, A's connection",
                lambda a, b: {"business_id": b.business["id"],
                              "connection_id": a.tiktok_connection["id"]}),
    ]


# Where a stranger's link would point if a refusal were missed: a loopback port nobody listens on,
# so a hole shows as a wrong answer here, never as a call to TikTok.
_DEAD_TIKTOK = "http://127.0.0.1:9"


def _one(label: str = "A's ids", body: Callable[[Tenant, Tenant], Any] | None = None,
         **ids: Callable[[Tenant], str]) -> list[Attempt]:
    return [Attempt(label, _a(**ids), body)]


def _spark_attempts() -> list[Attempt]:
    return [
        Attempt("A's ad account, A's spark post", _a(ad_account_id=_account,
                                                     spark_post_id=_spark_post)),
        Attempt("B's own ad account, A's spark post",
                lambda a, b: {"ad_account_id": b.account["id"],
                              "spark_post_id": a.spark_post["id"]}),
    ]


ID_ROUTES: list[IdRoute] = [
    IdRoute("DELETE", "/v1/tokens/{token_id}", _one(token_id=lambda t: t.token_id)),
    IdRoute("GET", "/v1/creators/{creator_id}", _one(creator_id=_creator)),
    IdRoute("PUT", "/v1/creators/{creator_id}/ad-settings",
            _one(body=lambda a, b: {"enabled": False}, creator_id=_creator)),
    IdRoute("GET", "/v1/creators/{creator_id}/history", _one(creator_id=_creator)),
    IdRoute("POST", "/v1/creators/{creator_id}/posts",
            _one(body=lambda a, b: {"caption": "planted by B"}, creator_id=_creator)),
    IdRoute("GET", "/v1/creators/{creator_id}/posts", _one(creator_id=_creator)),
    IdRoute("GET", "/v1/posts/{post_id}", _one(post_id=_post)),
    IdRoute("PATCH", "/v1/posts/{post_id}",
            _one(body=lambda a, b: {"sound": "licensed", "visibility": "private"},
                 post_id=_post)),
    IdRoute("DELETE", "/v1/posts/{post_id}", _one(post_id=_post)),
    IdRoute("GET", "/v1/posts/{post_id}/history", _one(post_id=_post)),
    IdRoute("GET", "/v1/posts/{post_id}/review", _one(post_id=_post)),
    IdRoute("POST", "/v1/posts/{post_id}/authorizations",
            _one(body=lambda a, b: {"days": 7}, post_id=_post)),
    IdRoute("GET", "/v1/posts/{post_id}/authorizations", _one(post_id=_post)),
    IdRoute("GET", "/v1/authorizations/{authorization_id}",
            _one(authorization_id=_bound_code)),
    IdRoute("POST", "/v1/authorizations/{authorization_id}/extend",
            _one(body=lambda a, b: {"days": 365}, authorization_id=_bound_code)),
    IdRoute("DELETE", "/v1/authorizations/{authorization_id}", _one(authorization_id=_code)),
    IdRoute("POST", "/v1/authorizations/{authorization_id}/regenerate",
            _one(authorization_id=_code)),
    IdRoute("GET", "/v1/authorizations/{authorization_id}/history",
            _one(authorization_id=_bound_code)),
    IdRoute("GET", "/v1/businesses/{business_id}", _one(business_id=_business)),
    IdRoute("GET", "/v1/businesses/{business_id}/members", _one(business_id=_business)),
    IdRoute("PUT", "/v1/businesses/{business_id}/members",
            _one("B tries to make itself admin of A's business",
                 body=lambda a, b: {"email": b.email, "role": "admin"}, business_id=_business)),
    IdRoute("DELETE", "/v1/businesses/{business_id}/members/{user_id}", [
        Attempt("A's business, A's user", _a(business_id=_business, user_id=lambda t: t.user_id)),
        Attempt("B's own business, A's user",
                lambda a, b: {"business_id": b.business["id"], "user_id": a.user_id}),
    ]),
    IdRoute("POST", "/v1/businesses/{business_id}/ad-accounts",
            _one(body=lambda a, b: {"name": "planted by B"}, business_id=_business)),
    IdRoute("GET", "/v1/businesses/{business_id}/ad-accounts", _one(business_id=_business)),
    IdRoute("GET", "/v1/businesses/{business_id}/history", _one(business_id=_business)),
    IdRoute("GET", "/v1/ad-accounts/{ad_account_id}", _one(ad_account_id=_account)),
    IdRoute("POST", "/v1/ad-accounts/{ad_account_id}/spark-posts/preview",
            _one(body=lambda a, b: {"code": b.spare_code["code"]}, ad_account_id=_account)),
    IdRoute("POST", "/v1/ad-accounts/{ad_account_id}/spark-posts",
            _one(body=lambda a, b: {"codes": [b.spare_code["code"]]}, ad_account_id=_account)),
    IdRoute("GET", "/v1/ad-accounts/{ad_account_id}/spark-posts", _one(ad_account_id=_account)),
    IdRoute("GET", "/v1/ad-accounts/{ad_account_id}/spark-posts/{spark_post_id}",
            _spark_attempts()),
    IdRoute("DELETE", "/v1/ad-accounts/{ad_account_id}/spark-posts/{spark_post_id}",
            _spark_attempts()),
    IdRoute("GET", "/v1/ad-accounts/{ad_account_id}/spark-posts/{spark_post_id}/history",
            _spark_attempts()),
    IdRoute("POST", "/v1/ad-accounts/{ad_account_id}/identities",
            _one(body=lambda a, b: {"creator_id": b.creator["id"]}, ad_account_id=_account)),
    IdRoute("GET", "/v1/ad-accounts/{ad_account_id}/identities", _one(ad_account_id=_account)),
    IdRoute("POST", "/v1/ad-accounts/{ad_account_id}/spark-posts/own",
            _one(body=lambda a, b: {"post_id": b.post["id"]}, ad_account_id=_account)),
    IdRoute("POST", "/v1/ad-accounts/{ad_account_id}/campaigns",
            _one(body=lambda a, b: {"name": "planted by B"}, ad_account_id=_account)),
    IdRoute("GET", "/v1/ad-accounts/{ad_account_id}/campaigns", _one(ad_account_id=_account)),
    IdRoute("GET", "/v1/ad-accounts/{ad_account_id}/ads", _one(ad_account_id=_account)),
    IdRoute("GET", "/v1/campaigns/{campaign_id}", _one(campaign_id=_campaign)),
    IdRoute("PATCH", "/v1/campaigns/{campaign_id}",
            _one(body=lambda a, b: {"name": "renamed by B", "budget_mode": "BUDGET_MODE_DAY",
                                    "budget": "1"}, campaign_id=_campaign)),
    IdRoute("POST", "/v1/campaigns/{campaign_id}/status",
            _one(body=lambda a, b: {"operation_status": "DELETE"}, campaign_id=_campaign)),
    IdRoute("POST", "/v1/campaigns/{campaign_id}/ad-groups",
            _one(body=lambda a, b: {"name": "planted", "budget": "1", "bid": "1"},
                 campaign_id=_campaign)),
    IdRoute("GET", "/v1/campaigns/{campaign_id}/ad-groups", _one(campaign_id=_campaign)),
    IdRoute("GET", "/v1/ad-groups/{ad_group_id}", _one(ad_group_id=_ad_group)),
    IdRoute("PATCH", "/v1/ad-groups/{ad_group_id}",
            _one(body=lambda a, b: {"name": "renamed by B", "bid": "1"},
                 ad_group_id=_ad_group)),
    IdRoute("POST", "/v1/ad-groups/{ad_group_id}/status",
            _one(body=lambda a, b: {"operation_status": "DISABLE"}, ad_group_id=_ad_group)),
    IdRoute("POST", "/v1/ad-groups/{ad_group_id}/ads", [
        Attempt("A's ad group, A's spark post", _a(ad_group_id=_ad_group),
                lambda a, b: {"spark_post_id": a.spark_post["id"],
                              "landing_page_url": "https://evil.example.com"}),
        Attempt("A's ad group, B's spark post", _a(ad_group_id=_ad_group),
                lambda a, b: {"spark_post_id": b.spark_post["id"],
                              "landing_page_url": "https://evil.example.com"}),
    ]),
    IdRoute("GET", "/v1/ad-groups/{ad_group_id}/ads", _one(ad_group_id=_ad_group)),
    IdRoute("GET", "/v1/ads/{ad_id}", _one(ad_id=_ad)),
    IdRoute("PATCH", "/v1/ads/{ad_id}",
            _one(body=lambda a, b: {"landing_page_url": "https://evil.example.com"}, ad_id=_ad)),
    IdRoute("POST", "/v1/ads/{ad_id}/status",
            _one(body=lambda a, b: {"operation_status": "DISABLE"}, ad_id=_ad)),
    IdRoute("POST", "/v1/ad-accounts/{ad_account_id}/renewal-requests",
            _one(body=lambda a, b: {"authorization_id": a.code["id"], "days": 30},
                 ad_account_id=_account)),
    IdRoute("GET", "/v1/ad-accounts/{ad_account_id}/renewal-requests",
            _one(ad_account_id=_account)),
    IdRoute("GET", "/v1/creators/{creator_id}/renewal-requests", _one(creator_id=_creator)),
    IdRoute("POST", "/v1/renewal-requests/{renewal_request_id}/approve",
            _one(renewal_request_id=_renewal)),
    IdRoute("POST", "/v1/renewal-requests/{renewal_request_id}/decline",
            _one(body=lambda a, b: {"reason": "B says no"}, renewal_request_id=_renewal)),
    IdRoute("POST", "/v1/renewal-requests/{renewal_request_id}/cancel",
            _one(renewal_request_id=_renewal)),
    IdRoute("POST", "/v1/ad-accounts/{ad_account_id}/code-requests",
            _one(body=lambda a, b: {"post_id": b.post["id"], "days": 30},
                 ad_account_id=_account)),
    IdRoute("GET", "/v1/ad-accounts/{ad_account_id}/code-requests", _one(ad_account_id=_account)),
    IdRoute("GET", "/v1/creators/{creator_id}/code-requests", _one(creator_id=_creator)),
    IdRoute("POST", "/v1/code-requests/{code_request_id}/accept",
            _one(code_request_id=_code_request)),
    IdRoute("POST", "/v1/code-requests/{code_request_id}/decline",
            _one(body=lambda a, b: {"reason": "B says no"}, code_request_id=_code_request)),
    IdRoute("POST", "/v1/code-requests/{code_request_id}/cancel",
            _one(code_request_id=_code_request)),
    IdRoute("GET", "/v1/authorizations/{authorization_id}/usage",
            _one(authorization_id=_bound_code)),
    IdRoute("POST", "/v1/authorizations/{authorization_id}/report-misuse",
            _one(body=lambda a, b: {"reason": "B smears A"}, authorization_id=_bound_code)),
    IdRoute("GET", "/v1/ad-groups/{ad_group_id}/fallback-policy", _one(ad_group_id=_ad_group)),
    IdRoute("PUT", "/v1/ad-groups/{ad_group_id}/fallback-policy",
            _one(body=lambda a, b: {"action": "pause"}, ad_group_id=_ad_group)),
    IdRoute("POST", "/v1/businesses/{business_id}/webhook-endpoints",
            _one(body=lambda a, b: {"url": "https://evil.example.com/steal"},
                 business_id=_business)),
    IdRoute("GET", "/v1/businesses/{business_id}/webhook-endpoints", _one(business_id=_business)),
    IdRoute("GET", "/v1/webhook-endpoints/{endpoint_id}", _one(endpoint_id=_webhook)),
    IdRoute("PATCH", "/v1/webhook-endpoints/{endpoint_id}",
            _one(body=lambda a, b: {"url": "https://evil.example.com/steal"},
                 endpoint_id=_webhook)),
    IdRoute("DELETE", "/v1/webhook-endpoints/{endpoint_id}", _one(endpoint_id=_webhook)),
    IdRoute("POST", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
            _one(endpoint_id=_webhook)),
    IdRoute("GET", "/v1/webhook-endpoints/{endpoint_id}/deliveries", _one(endpoint_id=_webhook)),
    IdRoute("POST", "/v1/webhook-endpoints/{endpoint_id}/test", _one(endpoint_id=_webhook)),
    IdRoute("GET", "/v1/businesses/{business_id}/tracker", _one(business_id=_business)),
    IdRoute("GET", "/v1/businesses/{business_id}/tracker.csv", _one(business_id=_business)),
    IdRoute("POST", "/v1/businesses/{business_id}/calendar-feeds", _one(business_id=_business)),
    IdRoute("GET", "/v1/businesses/{business_id}/calendar-feeds", _one(business_id=_business)),
    IdRoute("POST", "/v1/creators/{creator_id}/calendar-feeds", _one(creator_id=_creator)),
    IdRoute("GET", "/v1/creators/{creator_id}/calendar-feeds", _one(creator_id=_creator)),
    IdRoute("DELETE", "/v1/calendar-feeds/{feed_id}", [
        Attempt("A's business feed", _a(feed_id=lambda t: t.business_feed["id"])),
        Attempt("A's creator feed", _a(feed_id=lambda t: t.creator_feed["id"])),
    ]),
    IdRoute("GET", "/v1/businesses/{business_id}/roster", _one(business_id=_business)),
    IdRoute("POST", "/v1/businesses/{business_id}/roster",
            _one(body=lambda a, b: {"creator_id": b.creator["id"]}, business_id=_business)),
    IdRoute("PATCH", "/v1/roster/{entry_id}",
            _one(body=lambda a, b: {"notes": "B was here"},
                 entry_id=lambda t: t.roster_entry["id"])),
    IdRoute("DELETE", "/v1/roster/{entry_id}", _one(entry_id=lambda t: t.roster_entry["id"])),
    IdRoute("POST", "/v1/roster/{entry_id}/creator-links",
            _one(body=lambda a, b: {"kind": "code", "ad_account_id": a.emailed["tiktok_account_id"],
                                    "days": 30, "post_url": "B asks"},
                 entry_id=lambda t: t.emailed["entry_id"])),
    IdRoute("GET", "/v1/businesses/{business_id}/creator-links", _one(business_id=_business)),
    IdRoute("DELETE", "/v1/creator-links/{link_id}",
            _one(link_id=lambda t: t.emailed["link_id"])),
    IdRoute("POST", "/v1/businesses/{business_id}/contracts",
            _one(body=lambda a, b: {"creator_id": b.creator["id"],
                                    "starts_at": "2026-01-01T00:00:00Z",
                                    "ends_at": "2027-01-01T00:00:00Z"},
                 business_id=_business)),
    IdRoute("GET", "/v1/businesses/{business_id}/contracts", _one(business_id=_business)),
    IdRoute("DELETE", "/v1/contracts/{contract_id}",
            _one(contract_id=lambda t: t.contract["id"])),
    IdRoute("POST", "/v1/sandbox/posts/{post_id}/take-down",
            _one(body=lambda a, b: {"reason": "B does not like it"}, post_id=_post)),
    IdRoute("GET", "/v1/developer-apps/{developer_app_id}", _one(developer_app_id=_dev_app)),
    IdRoute("PATCH", "/v1/developer-apps/{developer_app_id}",
            _one(body=lambda a, b: {"redirect_url": "https://evil.example.com/steal"},
                 developer_app_id=_dev_app)),
    IdRoute("POST", "/v1/developer-apps/{developer_app_id}/rotate-secret",
            _one(developer_app_id=_dev_app)),
    IdRoute("DELETE", "/v1/developer-apps/{developer_app_id}", _one(developer_app_id=_dev_app)),
    IdRoute("DELETE", "/v1/app-grants/{grant_id}",
            _one(grant_id=lambda t: t.app_grant["id"])),
    IdRoute("GET", "/v1/businesses/{business_id}/tiktok-connections",
            _one(business_id=_business)),
    IdRoute("POST", "/v1/businesses/{business_id}/tiktok-connections",
            _one("B links its own advertiser into A's business",
                 body=lambda a, b: {"access_token": b.h["Authorization"].split()[1],
                                    "advertiser_ids": [b.account["tiktok_id"]],
                                    "base_url": _DEAD_TIKTOK},
                 business_id=_business)),
    IdRoute("POST", "/v1/businesses/{business_id}/tiktok-connections/app-flow",
            _one("B starts its own app's flow on A's business",
                 body=lambda a, b: {"app_id": a.developer_app["app_id"], "secret": "b-secret",
                                    "base_url": _DEAD_TIKTOK},
                 business_id=_business)),
    IdRoute("GET", "/v1/businesses/{business_id}/tiktok-connections/{connection_id}",
            _connection_attempts()),
    IdRoute("POST", "/v1/businesses/{business_id}/tiktok-connections/{connection_id}/check",
            _connection_attempts()),
    IdRoute("DELETE", "/v1/businesses/{business_id}/tiktok-connections/{connection_id}",
            _connection_attempts()),
    IdRoute("POST", "/v1/businesses/{business_id}/tiktok-connections/{connection_id}/sync",
            _connection_attempts()),
]

_BY_KEY = {(r.method, r.path): r for r in ID_ROUTES}

# Routes whose path holds a secret rather than an object id: whoever has the URL may read it, by
# design (R28: "an iCalendar feed per business and per creator (secret URL)"). They are checked by
# test_calendar_feed_urls_are_capabilities instead.
CAPABILITY_ROUTES = {("GET", "/v1/calendar/{token}.ics")}


def test_every_id_route_is_covered(app) -> None:  # type: ignore[no-untyped-def]
    """A route with an id in its path that this matrix does not call is a hole: name it."""
    served = {(m, p) for m, p in api_routes(app) if "{" in p} - CAPABILITY_ROUTES
    missing = sorted(served - set(_BY_KEY))
    assert not missing, (
        "Routes that take an object id but are not in the cross-tenant matrix "
        "(add them to ID_ROUTES in tests/integration/test_access_matrix.py): "
        + ", ".join(f"{m} {p}" for m, p in missing)
    )
    stale = sorted(set(_BY_KEY) - served)
    assert not stale, "ID_ROUTES lists routes the app no longer serves: " + ", ".join(
        f"{m} {p}" for m, p in stale)


# Routes that take an object id in the body or the query string, and where that is checked.
NON_PATH_ID_ROUTES = {
    ("POST", "/v1/creators/{creator_id}/posts"):
        "original_post_id may name another creator's post on purpose: a duet or stitch is made "
        "from someone else's post (R3); binding it still needs that post's own code",
    ("POST", "/v1/ad-accounts/{ad_account_id}/identities"): "test_ids_in_bodies_are_checked_too",
    ("POST", "/v1/ad-accounts/{ad_account_id}/spark-posts/own"):
        "test_ids_in_bodies_are_checked_too",
    ("POST", "/v1/ad-groups/{ad_group_id}/ads"):
        "test_ids_in_bodies_are_checked_too and ID_ROUTES",
    ("POST", "/v1/engagement/events"): "test_engagement_and_reports_stay_inside_the_tenant",
    ("GET", "/v1/reports"): "test_engagement_and_reports_stay_inside_the_tenant",
    ("POST", "/v1/notifications/read"): "test_notifications_stay_inside_the_tenant",
    ("POST", "/v1/ad-accounts/{ad_account_id}/renewal-requests"):
        "test_ids_in_bodies_are_checked_too",
    ("PUT", "/v1/ad-groups/{ad_group_id}/fallback-policy"): "test_ids_in_bodies_are_checked_too",
    ("POST", "/v1/ad-accounts/{ad_account_id}/code-requests"):
        "post_id names another creator's post on purpose (R25: a brand asks a creator for a code); "
        "test_code_requests_do_not_reveal_private_posts",
    ("POST", "/v1/businesses/{business_id}/roster"):
        "creator_id names any creator on purpose (R31: the brand's creator pipeline)",
    ("POST", "/v1/roster/{entry_id}/creator-links"):
        "ad_account_id and spark_post_id must be the entry's business's: "
        "test_links_refuse_what_they_cannot_do (tests/connector/test_creator_links.py)",
    ("POST", "/v1/businesses/{business_id}/contracts"):
        "creator_id/post_id name any creator and post on purpose (R26: a contract with a creator)",
    ("GET", "/v1/businesses/{business_id}/contracts"):
        "test_filters_naming_another_tenants_ids_show_nothing",
    ("GET", "/v1/businesses/{business_id}/tracker"):
        "test_filters_naming_another_tenants_ids_show_nothing",
    ("GET", "/v1/businesses/{business_id}/tracker.csv"):
        "test_filters_naming_another_tenants_ids_show_nothing",
    ("POST", "/v1/app-grants"):
        "app_id names any developer app on purpose (a person authorizes someone else's app); "
        "ad_account_ids: test_a_grant_names_only_ad_accounts_you_may_act_on "
        "(test_developer_apps.py)",
    ("POST", "/v1/businesses/{business_id}/tiktok-connections"):
        "advertiser_ids are TikTok's advertiser ids, not sparkcodes ids: TikTok decides whether "
        "the token may use them (advertiser/info/), and 'already linked' is asked of this "
        "business only; test_tiktok_connection_bodies_name_tiktok_ids_not_ours",
    ("POST", "/v1/businesses/{business_id}/tiktok-connections/app-flow"):
        "app_id is the business's own developer app on TikTok, not a sparkcodes id: it only "
        "starts a pending connection of this business; "
        "test_tiktok_connection_bodies_name_tiktok_ids_not_ours",
}


def test_filters_naming_another_tenants_ids_show_nothing(client) -> None:  # type: ignore[no-untyped-def]
    """Filters of B's own lists that name A's objects find nothing (and do not fail)."""
    a = Tenant(client, "alice")
    b = Tenant(client, "bob")
    biz = b.business["id"]
    filters = [{"ad_account_id": a.account["id"]}, {"creator_id": a.creator["id"]},
               {"post_id": a.post["id"]}, {"creator": a.creator["handle"]}]
    ghost = {"ad_account_id": uuid.uuid4().hex, "creator_id": uuid.uuid4().hex,
             "post_id": uuid.uuid4().hex, "creator": "nobody_at_all"}
    routes = [f"/v1/businesses/{biz}/tracker", f"/v1/businesses/{biz}/tracker.csv",
              f"/v1/businesses/{biz}/contracts"]
    for params in filters:
        (key,) = params
        for route in routes:
            if route.endswith("/contracts") and key not in ("creator_id", "post_id"):
                continue
            r = client.get(route, headers=b.h, params=params)
            unknown = client.get(route, headers=b.h, params={key: ghost[key]})
            # Exactly what an id that does not exist gets: either nothing found, or 404.
            assert r.status_code == unknown.status_code, (route, params, r.text, unknown.text)
            assert r.status_code in (200, 404), (route, params, r.text)
            if r.status_code == 404:
                assert r.json() == unknown.json(), (route, params, r.text, unknown.text)
            elif route.endswith(".csv"):
                assert len(r.text.strip().splitlines()) == 1, r.text
            else:
                assert r.json()["items"] == [], (route, params, r.text)
            for secret in (a.post["id"], a.account["id"]):
                assert secret not in r.text or secret in json.dumps(params)
    # Unfiltered, B's tracker shows B's Spark posts only.
    items = _ok(client.get(f"/v1/businesses/{biz}/tracker", headers=b.h))["items"]
    assert items and {i["ad_account"]["id"] for i in items} == {b.account["id"]}


def test_every_route_with_an_id_in_body_or_query_is_covered(app) -> None:  # type: ignore[no-untyped-def]
    found = {(m, p): non_path_ids(route) for m, p, route in f.api_routes(app)
             if not _is_page(route)}
    found = {k: v for k, v in found.items() if v}
    missing = sorted(set(found) - set(NON_PATH_ID_ROUTES))
    assert not missing, (
        "Routes that take an object id in their body or query string but have no cross-tenant "
        "check (add one and list it in NON_PATH_ID_ROUTES): "
        + "; ".join(f"{m} {p} ({', '.join(found[(m, p)])})" for m, p in missing))
    stale = sorted(set(NON_PATH_ID_ROUTES) - set(found))
    assert not stale, "NON_PATH_ID_ROUTES lists routes without such ids: " + ", ".join(
        f"{m} {p}" for m, p in stale)


_CREATOR_SIDE = {"tokens", "creators", "posts", "authorizations", "renewal-requests",
                 "code-requests", "calendar-feeds", "sandbox"}


def _family(route: IdRoute) -> str:
    """Routes are exercised in two families that share one world each (building the two tenants
    is most of the cost): the creator's side and the brand's side, by the first path segment.
    Every request is still checked on its own (status, error code, database rows)."""
    return "creator-side" if route.path.split("/")[2] in _CREATOR_SIDE else "brand-side"


FAMILIES: dict[str, list[IdRoute]] = {}
for _route in ID_ROUTES:
    FAMILIES.setdefault(_family(_route), []).append(_route)


def db_fingerprint(app, *, ignore_tokens_of: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Every row of every table (the stranger's own API-token rows aside)."""
    from sparkcodes.models import Base

    out = {}
    with app.state.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = [r._asdict() for r in conn.execute(table.select())]
            if table.name == "api_tokens":
                rows = [r for r in rows if r["user_id"] != ignore_tokens_of]
            out[table.name] = sorted(repr(sorted(r.items())) for r in rows)
    return out


@pytest.mark.parametrize("family", [
    pytest.param(name, id=name, marks=[m for r in routes for m in r.marks])
    for name, routes in FAMILIES.items()])
def test_stranger_gets_404_with_another_tenants_ids(client, family: str) -> None:  # type: ignore[no-untyped-def]
    """B calls every route of the family with A's ids: 404 not_found, and not one row changes."""
    a = Tenant(client, "alice")
    b = Tenant(client, "bob", full=False)
    before = a.snapshot()
    problems: list[str] = []
    for route in FAMILIES[family]:
        for attempt in route.attempts:
            path = route.path.format(**attempt.params(a, b))
            kwargs = {} if attempt.body is None else {"json": attempt.body(a, b)}
            # Writes are checked row by row; reads by the victim's snapshot at the end.
            writes = route.method != "GET"
            rows_before = db_fingerprint(client.app, ignore_tokens_of=b.user_id) if writes else None
            response = client.request(route.method, path, headers=b.h, **kwargs)
            where = f"{route.method} {route.path} as a stranger ({attempt.label})"
            try:
                assert_error(response, 404, "not_found")
            except AssertionError:
                problems.append(f"{where}: expected 404 not_found, got {response.status_code} "
                                f"{response.text[:300]}")
            if writes and db_fingerprint(client.app, ignore_tokens_of=b.user_id) != rows_before:
                problems.append(f"{where}: changed the database")
        # Unknown ids answer exactly like another tenant's ids (no existence oracle).
        params = {k: uuid.uuid4().hex for k in re.findall(r"{(\w+)}", route.path)}
        attempt = route.attempts[0]
        kwargs = {} if attempt.body is None else {"json": attempt.body(a, b)}
        unknown = client.request(route.method, route.path.format(**params), headers=b.h, **kwargs)
        if unknown.status_code != 404 or unknown.json()["error"]["code"] != "not_found":
            problems.append(f"{route.method} {route.path} with unknown ids: "
                            f"{unknown.status_code} {unknown.text[:300]}")
    after = a.snapshot()
    changed = sorted(k for k in before if before[k] != after[k])
    if changed:
        problems.append("the victim's view changed: " + ", ".join(changed))
    assert not problems, "\n".join(problems)


def test_ids_in_bodies_are_checked_too(client) -> None:  # type: ignore[no-untyped-def]
    """B cannot link A's creator account, nor run A's post as its own, from B's own ad account."""
    a = Tenant(client, "alice")
    b = Tenant(client, "bob")
    before = a.snapshot()
    r = client.post(f"/v1/ad-accounts/{b.account['id']}/identities", headers=b.h,
                    json={"creator_id": a.creator["id"]})
    assert_error(r, 404, "not_found")
    r = client.post(f"/v1/ad-accounts/{b.account['id']}/spark-posts/own", headers=b.h,
                    json={"post_id": a.own_post["id"]})
    assert_error(r, 404, "not_found")
    # B's ad account cannot ask for a renewal of A's code, nor name A's ad as its backup.
    r = client.post(f"/v1/ad-accounts/{b.account['id']}/renewal-requests", headers=b.h,
                    json={"authorization_id": a.code["id"], "days": 30})
    assert_error(r, 404, "not_found")
    r = client.put(f"/v1/ad-groups/{b.ad_group['id']}/fallback-policy", headers=b.h,
                   json={"action": "swap", "backup_ad_id": a.ad["id"]})
    assert_error(r, 404, "not_found")
    # A Spark Ad in B's own ad group cannot run A's Spark post.
    r = client.post(f"/v1/ad-groups/{b.ad_group['id']}/ads", headers=b.h,
                    json={"spark_post_id": a.spark_post["id"],
                          "landing_page_url": "https://example.com"})
    assert_error(r, 404, "not_found")
    assert a.snapshot() == before
    spark = _ok(client.get(f"/v1/ad-accounts/{b.account['id']}/spark-posts", headers=b.h))
    assert {s["post"]["id"] for s in spark} == {b.post["id"], b.own_post["id"]}
    identities = _ok(client.get(f"/v1/ad-accounts/{b.account['id']}/identities", headers=b.h))
    assert [i["creator_id"] for i in identities] == [b.creator["id"]]


def test_tiktok_connection_bodies_name_tiktok_ids_not_ours(client, live_url) -> None:  # type: ignore[no-untyped-def]
    """advertiser_ids and app_id name objects on TikTok (here this sparkcodes' own
    /open_api/v1.3, served live), not sparkcodes objects. A stranger who knows A's advertiser id
    or A's app_id gets nothing of A's with them: TikTok refuses B's token on A's advertiser
    exactly as on an advertiser nobody has (A having linked it is not revealed by a 409), and
    B's app flow with A's app_id is a pending connection of B's own business. A's connections
    do not change."""
    a = Tenant(client, "alice")
    b = Tenant(client, "bob", full=False)
    mine, theirs = f"/v1/businesses/{a.business['id']}/tiktok-connections", \
        f"/v1/businesses/{b.business['id']}/tiktok-connections"
    a_advertiser, b_advertiser = a.account["tiktok_id"], b.account["tiktok_id"]
    b_token = b.h["Authorization"].split()[1]
    linked = _ok(client.post(mine, headers=a.h, json={
        "access_token": a.h["Authorization"].split()[1], "advertiser_ids": [a_advertiser],
        "base_url": live_url}), 201)
    assert linked["state"] == "healthy", linked
    before = a.snapshot()
    # B's token on A's advertiser, alone or beside B's own: refused whole, as an id nobody has.
    ghost = "7" + "0" * 17 + "1"
    answers = {}
    for label, ids in (("A's", [a_advertiser]), ("nobody's", [ghost]),
                       ("B's and A's", [b_advertiser, a_advertiser])):
        r = client.post(theirs, headers=b.h, json={"access_token": b_token,
                                                  "advertiser_ids": ids, "base_url": live_url})
        assert_error(r, 422, "tiktok_advertiser_not_granted")
        refused = ids[-1]
        assert r.json()["error"]["details"] == {"advertiser_id": refused}, r.text
        answers[label] = r.json()["error"]["message"].replace(refused, "<id>")
    assert answers["A's"] == answers["nobody's"] == answers["B's and A's"], answers
    assert _ok(client.get(theirs, headers=b.h)) == []
    # B's app flow with A's app_id: a pending connection of B's business, nothing of A's.
    started = _ok(client.post(f"{theirs}/app-flow", headers=b.h, json={
        "app_id": a.developer_app["app_id"], "secret": "a-guess", "base_url": live_url}), 201)
    assert started["connection"]["business_id"] == b.business["id"]
    assert started["connection"]["state"] == "awaiting_authorization"
    assert [c["id"] for c in _ok(client.get(theirs, headers=b.h))] == [
        started["connection"]["id"]]
    # A's side: the same, and its link still checks healthy with TikTok.
    assert a.snapshot() == before
    listed = _ok(client.get(mine, headers=a.h))
    assert sorted(c["id"] for c in listed) == sorted([a.tiktok_connection["id"], linked["id"]])
    checked = _ok(client.post(f"{mine}/{linked['id']}/check", headers=a.h))
    assert checked["state"] == "healthy" and [x["advertiser_id"] for x in
                                              checked["advertisers"]] == [a_advertiser]


def test_engagement_and_reports_stay_inside_the_tenant(client) -> None:  # type: ignore[no-untyped-def]
    """B can neither record engagement on A's post or ad nor read A's reports; the answers for
    A's ids are the same as for ids that do not exist."""
    a = Tenant(client, "alice")
    b = Tenant(client, "bob")
    before = a.snapshot()
    rows = db_fingerprint(client.app, ignore_tokens_of=b.user_id)
    unknown_post, unknown_ad = uuid.uuid4().hex, uuid.uuid4().hex
    events = [
        ("A's post, organic", {"post_id": a.post["id"], "type": "like"}),
        ("unknown post, organic", {"post_id": unknown_post, "type": "like"}),
        ("A's post, A's ad", {"post_id": a.post["id"], "type": "impression",
                              "ad_id": a.ad["id"]}),
        ("unknown post, unknown ad", {"post_id": unknown_post, "type": "impression",
                                      "ad_id": unknown_ad}),
        ("A's post, unknown ad", {"post_id": a.post["id"], "type": "impression",
                                  "ad_id": unknown_ad}),
        ("A's post, B's ad", {"post_id": a.post["id"], "type": "impression",
                              "ad_id": b.ad["id"]}),
    ]
    body = _ok(client.post("/v1/engagement/events", headers=b.h, json={"events": [
        {"event_id": f"b-{i}", **event} for i, (_, event) in enumerate(events)]}))
    assert body["accepted"] == 0 and body["refused"] == len(events), body
    codes = {label: r["error"]["code"]
             for (label, _), r in zip(events, body["results"], strict=True)}
    assert codes["A's post, organic"] == codes["unknown post, organic"], codes
    assert codes["A's post, A's ad"] == codes["A's post, unknown ad"], codes
    assert all(c.endswith("not_found") for c in codes.values()), codes
    for level, obj_id in [("post", a.post["id"]), ("ad", a.ad["id"]),
                          ("ad_group", a.ad_group["id"]), ("campaign", a.campaign["id"]),
                          ("ad_account", a.account["id"])]:
        assert_error(client.get("/v1/reports", headers=b.h, params={"level": level, "id": obj_id}),
                     404, "not_found")
        assert_error(client.get("/v1/reports", headers=b.h,
                                params={"level": level, "id": uuid.uuid4().hex}),
                     404, "not_found")
    assert db_fingerprint(client.app, ignore_tokens_of=b.user_id) == rows
    assert a.snapshot() == before


def _notify(client, user_id: str, title: str) -> str:  # type: ignore[no-untyped-def]
    """A notification row for the user (the worker makes them; it does not run in tests)."""
    from sqlalchemy.orm import Session

    from sparkcodes.models import Notification

    with Session(client.app.state.db.engine) as session:
        row = Notification(user_id=user_id, event_id=uuid.uuid4().hex, event_type="test.event",
                           title=title, body=f"{title}.", data={})
        session.add(row)
        session.commit()
        return row.id


def test_notifications_stay_inside_the_tenant(client) -> None:  # type: ignore[no-untyped-def]
    a = Tenant(client, "alice", full=False)
    b = Tenant(client, "bob", full=False)
    a_note = _notify(client, a.user_id, "For Alice")
    b_note = _notify(client, b.user_id, "For Bob")
    listed = _ok(client.get("/v1/notifications", headers=b.h))
    assert [n["id"] for n in listed["items"]] == [b_note] and listed["unread"] == 1
    # B marks A's notification read by id, then marks "all" read: only B's own change.
    after = _ok(client.post("/v1/notifications/read", headers=b.h, json={"ids": [a_note]}))
    assert after["unread"] == 1
    assert _ok(client.post("/v1/notifications/read", headers=b.h, json={}))["unread"] == 0
    mine = _ok(client.get("/v1/notifications", headers=a.h))
    assert mine["unread"] == 1 and [n["id"] for n in mine["items"]] == [a_note]
    assert mine["items"][0]["read_at"] is None


def test_engagement_refusals_do_not_reveal_which_posts_exist(client) -> None:  # type: ignore[no-untyped-def]
    """Regression: a paid event naming another tenant's post with any ad_id was refused with
    'ad_not_found', a post id that does not exist with 'post_not_found' (an existence oracle)."""
    a = Tenant(client, "alice")
    b = Tenant(client, "bob", full=False)
    body = _ok(client.post("/v1/engagement/events", headers=b.h, json={"events": [
        {"event_id": "x1", "post_id": a.post["id"], "type": "impression",
         "ad_id": uuid.uuid4().hex},
        {"event_id": "x2", "post_id": uuid.uuid4().hex, "type": "impression",
         "ad_id": uuid.uuid4().hex},
    ]}))
    first, second = (r["error"]["code"] for r in body["results"])
    assert first == second, (first, second)


def test_calendar_feed_urls_are_capabilities(client) -> None:  # type: ignore[no-untyped-def]
    """A feed URL is the secret: it works without a token; a made-up or revoked one is 404, and
    it never shows another tenant's expiries."""
    a = Tenant(client, "alice")
    b = Tenant(client, "bob", full=False)
    url = a.business_feed["url"]
    path = url[url.index("/v1/calendar/"):]
    assert client.get(path).status_code == 200
    body = client.get(path).text
    assert "BEGIN:VCALENDAR" in body
    assert b.post["id"] not in body and b.creator["handle"] not in body
    for token in ("nope", uuid.uuid4().hex, "a" * 500, path.split("/")[-1][:-5][:-1]):
        r = client.get(f"/v1/calendar/{token}.ics")
        assert_error(r, 404, r.json()["error"]["code"])
        assert r.json()["error"]["code"].endswith("not_found")
    _ok(client.delete(f"/v1/calendar-feeds/{a.business_feed['id']}", headers=a.h))
    r = client.get(path)
    assert r.status_code == 404 and r.json()["error"]["code"].endswith("not_found"), r.text


PRIVATE_CAPTION_BUG = (
    "POST /v1/ad-accounts/{id}/code-requests for a post that is not public (private or friends) "
    "answers 500 internal_error: code_request/schemas.py code_request_out builds "
    "PostRef(caption=rules.public_caption(post)), public_caption returns None for a non-public "
    "post, and PostRef.caption (renewal/schemas.py) is `str`, so pydantic raises ValidationError "
    "'Input should be a valid string'. (Before that change the 201 answer showed a stranger the "
    "private post's caption.) Expected 201 with the caption hidden (null), or a 4xx refusal."
)


def test_code_requests_do_not_reveal_private_posts(client) -> None:  # type: ignore[no-untyped-def]
    a = Tenant(client, "alice", full=False)
    b = Tenant(client, "bob", full=False)
    secret = f.post(client, a.h, a.creator["id"], caption="Unreleased collab, do not share",
                    visibility="private")
    r = client.post(f"/v1/ad-accounts/{b.account['id']}/code-requests", headers=b.h,
                    json={"post_id": secret["id"], "days": 30})
    assert r.status_code < 500, r.text
    assert "Unreleased collab" not in r.text, r.text
    listed = _ok(client.get(f"/v1/ad-accounts/{b.account['id']}/code-requests", headers=b.h))
    assert "Unreleased collab" not in json.dumps(listed)
    # The creator, who owns the post, still sees the request (and the caption, in their app).
    if r.status_code == 201:
        mine = _ok(client.get(f"/v1/creators/{a.creator['id']}/code-requests", headers=a.h))
        assert [x["id"] for x in mine] == [r.json()["id"]]


# Page routes name their objects like the JSON API does; each name maps to the victim's object.
PAGE_IDS: dict[str, Callable[[Tenant], str]] = {
    "creator_id": _creator, "post_id": _post, "authorization_id": _code,
    "business_id": _business, "ad_account_id": _account, "spark_post_id": _spark_post,
    "campaign_id": _campaign, "ad_group_id": _ad_group, "ad_id": _ad,
    "renewal_request_id": _renewal, "code_request_id": _code_request,
    "endpoint_id": _webhook, "entry_id": lambda t: t.roster_entry["id"],
    "contract_id": lambda t: t.contract["id"], "feed_id": lambda t: t.business_feed["id"],
    "user_id": lambda t: t.user_id, "developer_app_id": _dev_app,
    "grant_id": lambda t: t.app_grant["id"], "connection_id": _connection,
    "link_id": lambda t: t.emailed["link_id"],
    # The e-mailed link's page needs no login (its token is the only key): one nobody was sent.
    "token": lambda t: "0" * 40,
}
# Pages anyone holding the link may open, signed in or not: a token nobody was sent is 404.
CAPABILITY_PAGES = {"/answer/{token}"}


def test_pages_show_strangers_nothing(client) -> None:  # type: ignore[no-untyped-def]
    """The HTML pages (signed in with the session cookie) answer 404 to B for every page route
    with an id of A's, GET or POST (with B's valid CSRF token), and change nothing; signed out,
    they send you to the log-in page."""
    from sparkcodes.web.kit import SESSION_COOKIE

    pages = [(m, p) for m, p, route in f.api_routes(client.app) if _is_page(route) and "{" in p]
    names = {n for _, p in pages for n in re.findall(r"{(\w+)}", p)}
    assert names <= set(PAGE_IDS), (
        "Page routes with ids this test cannot fill (add them to PAGE_IDS): "
        + ", ".join(f"{m} {p}" for m, p in pages if set(re.findall(r"{(\w+)}", p)) - set(PAGE_IDS)))
    a = Tenant(client, "alice")
    b = Tenant(client, "bob", full=False)
    before = a.snapshot()
    client.cookies.set(SESSION_COOKIE, b.h["Authorization"].split()[1])
    home = client.get("/")
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text)
    assert home.status_code == 200 and found, home.text[:300]
    headers = {"X-CSRF-Token": found.group(1)}
    problems = []
    for method, path in pages:
        url = path.format(**{n: PAGE_IDS[n](a) for n in re.findall(r"{(\w+)}", path)})
        rows = db_fingerprint(client.app, ignore_tokens_of=b.user_id)
        r = client.request(method, url, headers=headers, follow_redirects=False)
        if r.status_code != 404:
            problems.append(f"{method} {path} as a stranger: {r.status_code} {r.text[:200]}")
        if db_fingerprint(client.app, ignore_tokens_of=b.user_id) != rows:
            problems.append(f"{method} {path} as a stranger changed the database")
        for secret in (a.creator["handle"], a.business["name"], a.post["caption"]):
            if secret in r.text:
                problems.append(f"{method} {path} shows {secret!r} to a stranger")
    client.cookies.clear()
    for method, path in pages:
        url = path.format(**{n: PAGE_IDS[n](a) for n in re.findall(r"{(\w+)}", path)})
        r = client.request(method, url, follow_redirects=False)
        if path in CAPABILITY_PAGES:
            if method == "GET" and r.status_code != 404:
                problems.append(f"{method} {path} signed out, a token nobody was sent: "
                                f"{r.status_code}, not 404")
        elif method == "GET" and (r.status_code != 303 or "/login" not in r.headers["location"]):
            problems.append(f"{method} {path} signed out: {r.status_code}, not a 303 to /login")
        if method != "GET" and r.status_code < 300 or r.status_code >= 500:
            problems.append(f"{method} {path} signed out: {r.status_code}")
    assert not problems, "\n".join(problems)
    assert a.snapshot() == before


def test_lists_show_only_your_own_objects(client) -> None:  # type: ignore[no-untyped-def]
    a = Tenant(client, "alice")
    b = Tenant(client, "bob")
    creators = _ok(client.get("/v1/creators", headers=b.h))
    assert [c["id"] for c in creators] == [b.creator["id"]]
    businesses = _ok(client.get("/v1/businesses", headers=b.h))
    assert [x["id"] for x in businesses] == [b.business["id"]]
    tokens = _ok(client.get("/v1/tokens", headers=b.h))
    assert [t["id"] for t in tokens] == [b.token_id]
    assert a.token_id != b.token_id
    text = json.dumps([creators, businesses, tokens])
    for secret_id in (a.creator["id"], a.business["id"], a.token_id, a.user_id):
        assert secret_id not in text


def test_a_code_never_leaks_its_value_or_owner_to_the_binder(client) -> None:  # type: ignore[no-untyped-def]
    """The brand that binds A's code sees the post and the creator card, never A's other codes."""
    a = Tenant(client, "alice")
    b = Tenant(client, "bob")
    fresh = f.code(client, a.h, a.post["id"])
    r = _ok(f.bind(client, b.h, b.account["id"], [fresh["code"]]))
    assert r["bound"] == 1, r
    # B binding one code of A's post gives B nothing of A's: A's objects still 404 for B.
    for path in (f"/v1/posts/{a.post['id']}", f"/v1/creators/{a.creator['id']}",
                 f"/v1/authorizations/{fresh['id']}",
                 f"/v1/posts/{a.post['id']}/authorizations"):
        assert_error(client.get(path, headers=b.h), 404, "not_found")
    listing = json.dumps(_ok(client.get(f"/v1/ad-accounts/{b.account['id']}/spark-posts",
                                        headers=b.h)))
    for secret in (fresh["code"], a.code["code"], a.spare_code["code"], a.email):
        assert secret not in listing


# ------------------------------------------------------------------------------ business roles

class Staff:
    """A's business with an analyst and an operator (each owning a creator of their own)."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.owner = Tenant(client, "owner")
        self.members: dict[str, dict[str, Any]] = {}
        for role in ("analyst", "operator"):
            email = f"{role}{next(_seq)}@example.com"
            h = f.user(client, email=email)
            member = _ok(client.put(f"/v1/businesses/{self.owner.business['id']}/members",
                                    headers=self.owner.h, json={"email": email, "role": role}))
            assert member["role"] == role
            creator = f.creator(client, h)
            self.members[role] = {"h": h, "email": email, "user_id": member["user_id"],
                                  "creator": creator,
                                  "post": f.post(client, h, creator["id"])}

    def h(self, role: str) -> dict[str, str]:
        return self.members[role]["h"]


def _reads(staff: Staff) -> list[str]:
    o = staff.owner
    acc, biz, sp = o.account["id"], o.business["id"], o.spark_post["id"]
    return [
        f"/v1/businesses/{biz}", f"/v1/businesses/{biz}/members",
        f"/v1/businesses/{biz}/ad-accounts", f"/v1/businesses/{biz}/history",
        f"/v1/ad-accounts/{acc}", f"/v1/ad-accounts/{acc}/spark-posts",
        f"/v1/ad-accounts/{acc}/spark-posts/{sp}",
        f"/v1/ad-accounts/{acc}/spark-posts/{sp}/history",
        f"/v1/ad-accounts/{acc}/identities", f"/v1/ad-accounts/{acc}/campaigns",
        f"/v1/ad-accounts/{acc}/ads", f"/v1/campaigns/{o.campaign['id']}",
        f"/v1/campaigns/{o.campaign['id']}/ad-groups", f"/v1/ad-groups/{o.ad_group['id']}",
        f"/v1/ad-groups/{o.ad_group['id']}/ads", f"/v1/ads/{o.ad['id']}",
        f"/v1/ad-accounts/{acc}/renewal-requests", f"/v1/ad-accounts/{acc}/code-requests",
        f"/v1/ad-groups/{o.ad_group['id']}/fallback-policy",
        f"/v1/businesses/{biz}/webhook-endpoints", f"/v1/webhook-endpoints/{o.webhook['id']}",
        f"/v1/businesses/{biz}/tracker", f"/v1/businesses/{biz}/roster",
        f"/v1/businesses/{biz}/contracts", f"/v1/businesses/{biz}/tiktok-connections",
        f"/v1/businesses/{biz}/tiktok-connections/{o.tiktok_connection['id']}",
    ]


def _admin_actions(staff: Staff, role: str) -> list[tuple[str, str, Any]]:
    o, me = staff.owner, staff.members[role]
    other = staff.members["analyst" if role == "operator" else "operator"]
    biz, acc = o.business["id"], o.account["id"]
    return [
        ("POST", f"/v1/businesses/{biz}/ad-accounts", {"name": "Unauthorized account"}),
        ("PUT", f"/v1/businesses/{biz}/members", {"email": me["email"], "role": "admin"}),
        ("PUT", f"/v1/businesses/{biz}/members", {"email": other["email"], "role": "admin"}),
        ("DELETE", f"/v1/businesses/{biz}/members/{o.user_id}", None),
        ("DELETE", f"/v1/businesses/{biz}/members/{other['user_id']}", None),
        ("POST", f"/v1/ad-accounts/{acc}/identities", {"creator_id": me["creator"]["id"]}),
        ("POST", f"/v1/businesses/{biz}/webhook-endpoints", {"url": "https://example.com/x"}),
        ("PATCH", f"/v1/webhook-endpoints/{o.webhook['id']}", {"url": "https://example.com/x"}),
        ("POST", f"/v1/webhook-endpoints/{o.webhook['id']}/rotate-secret", None),
        ("DELETE", f"/v1/webhook-endpoints/{o.webhook['id']}", None),
        ("POST", f"/v1/businesses/{biz}/tiktok-connections",
         {"access_token": me["h"]["Authorization"].split()[1],
          "advertiser_ids": [o.account["tiktok_id"]], "base_url": _DEAD_TIKTOK}),
        ("POST", f"/v1/businesses/{biz}/tiktok-connections/app-flow",
         {"app_id": o.developer_app["app_id"], "secret": "not-theirs", "base_url": _DEAD_TIKTOK}),
        ("POST", f"/v1/businesses/{biz}/tiktok-connections/{o.tiktok_connection['id']}/check",
         None),
        ("POST", f"/v1/businesses/{biz}/tiktok-connections/{o.tiktok_connection['id']}/sync",
         None),
        ("DELETE", f"/v1/businesses/{biz}/tiktok-connections/{o.tiktok_connection['id']}", None),
    ]


def _role_of(client, staff: Staff, role: str) -> str:  # type: ignore[no-untyped-def]
    members = _ok(client.get(f"/v1/businesses/{staff.owner.business['id']}/members",
                             headers=staff.owner.h))
    return next(m["role"] for m in members if m["email"] == staff.members[role]["email"])


def test_analyst_reads_but_cannot_act(client) -> None:  # type: ignore[no-untyped-def]
    staff = Staff(client)
    o, h = staff.owner, staff.h("analyst")
    acc = o.account["id"]
    for path in _reads(staff):
        r = client.get(path, headers=h)
        assert r.status_code == 200, (path, r.text)
    assert _ok(client.get(f"/v1/businesses/{o.business['id']}", headers=h))["role"] == "analyst"
    fresh = f.code(client, o.h, o.post["id"])
    before = o.snapshot()
    denied = [
        ("POST", f"/v1/ad-accounts/{acc}/spark-posts", {"codes": [fresh["code"]]}),
        ("POST", f"/v1/ad-accounts/{acc}/spark-posts/preview", {"code": fresh["code"]}),
        ("DELETE", f"/v1/ad-accounts/{acc}/spark-posts/{o.spark_post['id']}", None),
        ("POST", f"/v1/ad-accounts/{acc}/spark-posts/own",
         {"post_id": staff.members["analyst"]["post"]["id"]}),
        ("POST", f"/v1/ad-accounts/{acc}/campaigns", {"name": "Not allowed"}),
        ("POST", f"/v1/campaigns/{o.campaign['id']}/status", {"operation_status": "DISABLE"}),
        ("PATCH", f"/v1/campaigns/{o.campaign['id']}", {"name": "Not allowed"}),
        ("PATCH", f"/v1/ad-groups/{o.ad_group['id']}", {"name": "Not allowed"}),
        ("POST", f"/v1/campaigns/{o.campaign['id']}/ad-groups",
         {"name": "Not allowed", "budget": "1", "bid": "1"}),
        ("POST", f"/v1/ad-groups/{o.ad_group['id']}/status", {"operation_status": "DISABLE"}),
        ("POST", f"/v1/ad-groups/{o.ad_group['id']}/ads",
         {"spark_post_id": o.own_spark_post["id"], "landing_page_url": "https://example.com"}),
        ("PATCH", f"/v1/ads/{o.ad['id']}", {"name": "Not allowed"}),
        ("POST", f"/v1/ads/{o.ad['id']}/status", {"operation_status": "DISABLE"}),
        ("POST", f"/v1/ad-accounts/{acc}/renewal-requests",
         {"authorization_id": o.code["id"], "days": 7}),
        ("POST", f"/v1/renewal-requests/{o.renewal['id']}/cancel", None),
        ("POST", f"/v1/ad-accounts/{acc}/code-requests",
         {"post_id": staff.members["analyst"]["post"]["id"], "days": 30}),
        ("PUT", f"/v1/ad-groups/{o.ad_group['id']}/fallback-policy", {"action": "pause"}),
        ("POST", f"/v1/businesses/{o.business['id']}/roster",
         {"creator_id": staff.members["analyst"]["creator"]["id"]}),
        ("PATCH", f"/v1/roster/{o.roster_entry['id']}", {"notes": "Not allowed"}),
        ("DELETE", f"/v1/contracts/{o.contract['id']}", None),
        *_admin_actions(staff, "analyst"),
    ]
    for method, path, body in denied:
        r = client.request(method, path, headers=h, **({} if body is None else {"json": body}))
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert_error(r, 403, "role_insufficient")
    assert o.snapshot() == before
    assert _role_of(client, staff, "analyst") == "analyst"
    assert _role_of(client, staff, "operator") == "operator"
    status = _ok(client.get(f"/v1/authorizations/{fresh['id']}", headers=o.h))["status"]
    assert status == "NOT_USED"


def test_operator_binds_and_unbinds_but_cannot_administer(client) -> None:  # type: ignore[no-untyped-def]
    staff = Staff(client)
    o, h = staff.owner, staff.h("operator")
    acc = o.account["id"]
    for path in _reads(staff):
        r = client.get(path, headers=h)
        assert r.status_code == 200, (path, r.text)
    fresh = f.code(client, o.h, o.post["id"])
    preview = _ok(client.post(f"/v1/ad-accounts/{acc}/spark-posts/preview", headers=h,
                              json={"code": fresh["code"]}))
    assert preview["post"]["id"] == o.post["id"]
    other_post = f.post(client, o.h, o.creator["id"], caption="second")
    other_code = f.code(client, o.h, other_post["id"])
    bound = _ok(f.bind(client, h, acc, [other_code["code"]]))
    assert bound["bound"] == 1, bound
    sp = bound["results"][0]["spark_post"]["id"]
    unbound = _ok(client.delete(f"/v1/ad-accounts/{acc}/spark-posts/{sp}", headers=h))
    assert unbound["status"] == "UNBOUND"
    campaign = _ok(client.post(f"/v1/ad-accounts/{acc}/campaigns", headers=h,
                               json={"name": "Operator's campaign"}), 201)
    paused = _ok(client.post(f"/v1/ads/{o.ad['id']}/status", headers=h,
                             json={"operation_status": "DISABLE"}))
    assert paused["operation_status"] == "DISABLE" and campaign["ad_account_id"] == acc
    accounts_before = _ok(client.get(f"/v1/businesses/{o.business['id']}/ad-accounts",
                                     headers=o.h))
    identities_before = _ok(client.get(f"/v1/ad-accounts/{acc}/identities", headers=o.h))
    for method, path, body in _admin_actions(staff, "operator"):
        r = client.request(method, path, headers=h, **({} if body is None else {"json": body}))
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert_error(r, 403, "role_insufficient")
    assert _ok(client.get(f"/v1/businesses/{o.business['id']}/ad-accounts",
                          headers=o.h)) == accounts_before
    assert _ok(client.get(f"/v1/ad-accounts/{acc}/identities", headers=o.h)) == identities_before
    assert _role_of(client, staff, "operator") == "operator"
    assert _role_of(client, staff, "analyst") == "analyst"


def test_admin_promotes_and_roles_take_effect_at_once(client) -> None:  # type: ignore[no-untyped-def]
    staff = Staff(client)
    o = staff.owner
    acc, biz = o.account["id"], o.business["id"]
    member = _ok(client.put(f"/v1/businesses/{biz}/members", headers=o.h,
                            json={"email": staff.members["analyst"]["email"], "role": "admin"}))
    assert member["role"] == "admin"
    made = client.post(f"/v1/businesses/{biz}/ad-accounts", headers=staff.h("analyst"),
                       json={"name": "Now allowed"})
    assert made.status_code == 201, made.text
    demoted = _ok(client.put(f"/v1/businesses/{biz}/members", headers=o.h,
                             json={"email": staff.members["operator"]["email"],
                                   "role": "analyst"}))
    assert demoted["role"] == "analyst"
    fresh = f.code(client, o.h, o.post["id"])
    assert_error(f.bind(client, staff.h("operator"), acc, [fresh["code"]]), 403,
                 "role_insufficient")
    removed = client.delete(f"/v1/businesses/{biz}/members/{staff.members['operator']['user_id']}",
                            headers=o.h)
    assert removed.status_code == 204, removed.text
    # A former member is a stranger again: 404, not 403.
    assert_error(client.get(f"/v1/businesses/{biz}", headers=staff.h("operator")), 404,
                 "not_found")
    assert_error(client.get(f"/v1/ad-accounts/{acc}", headers=staff.h("operator")), 404,
                 "not_found")


# ------------------------------------------------------------------------------- authentication

PUBLIC = {("POST", "/v1/users"), ("POST", "/v1/tokens"), ("GET", "/health"),
          ("GET", "/v1/calendar/{token}.ics"),
          ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
          ("GET", "/redoc"),
          # Open outside production; there it needs its own token (tests/integration/
          # test_metrics.py), never a user's.
          ("GET", "/metrics")}


def _protected_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for method, path in api_routes(app):
        if (method, path) in PUBLIC:
            continue
        params = {k: uuid.uuid4().hex for k in re.findall(r"{(\w+)}", path)}
        out.append((method, path.format(**params)))
    return out


def test_public_routes_are_only_sign_up_log_in_and_ops(app) -> None:  # type: ignore[no-untyped-def]
    """The allow-list below names real routes (a renamed route must not silently skip auth)."""
    served = set(api_routes(app))
    assert served >= PUBLIC, sorted(PUBLIC - served)
    assert len(_protected_routes(app)) == len(served) - len(PUBLIC)


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "sct_abc",
    "Bearer sct_" + "A" * 43, "Token abc",
], ids=["none", "empty", "scheme-only", "scheme-space", "garbage", "basic", "no-scheme",
        "well-formed-unknown", "other-scheme"])
def test_every_protected_route_needs_a_valid_token(client, header) -> None:  # type: ignore[no-untyped-def]
    f.World(client)  # some data exists, so a leaky route would have something to show
    headers = {} if header is None else {"Authorization": header}
    for method, path in _protected_routes(client.app):
        r = client.request(method, path, headers=headers)
        assert r.status_code == 401, (method, path, header, r.status_code, r.text)
        assert_error(r, 401, "unauthorized")


def test_a_revoked_token_gets_401_everywhere(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    spare = _ok(client.post("/v1/tokens", json={"email": _ok(client.get(
        "/v1/me", headers=w.brand_h))["email"], "password": "correct horse"}), 201)
    spare_h = {"Authorization": f"Bearer {spare['token']}"}
    token_id = next(t["id"] for t in _ok(client.get("/v1/tokens", headers=w.brand_h))
                    if t["id"] != spare["id"])
    revoked = _ok(client.delete(f"/v1/tokens/{token_id}", headers=w.brand_h))
    assert revoked["revoked_at"] is not None
    r = client.get("/v1/me", headers=w.brand_h)
    assert_error(r, 401, "unauthorized")
    for method, path in _protected_routes(client.app):
        r = client.request(method, path, headers=w.brand_h)
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        assert_error(r, 401, "unauthorized")
    # Real ids too: the business is there, the revoked token still cannot see it.
    assert_error(client.get(f"/v1/businesses/{w.business['id']}", headers=w.brand_h), 401,
                 "unauthorized")
    # The user's other token is unaffected; revoking twice is harmless; the revoked token
    # cannot revoke anything itself.
    assert _ok(client.get(f"/v1/businesses/{w.business['id']}", headers=spare_h))["id"] == \
        w.business["id"]
    again = _ok(client.delete(f"/v1/tokens/{token_id}", headers=spare_h))
    assert again["revoked_at"] == revoked["revoked_at"]
    assert_error(client.delete(f"/v1/tokens/{spare['id']}", headers=w.brand_h), 401,
                 "unauthorized")
    # Logging in again gives a working token.
    fresh = _ok(client.post("/v1/tokens", json={"email": _ok(client.get(
        "/v1/me", headers=spare_h))["email"], "password": "correct horse"}), 201)
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {fresh['token']}"}
                      ).status_code == 200
