"""Plain functions that build test data through the public API (so every fixture obeys the rules)."""

from __future__ import annotations

import itertools
from typing import Any

_seq = itertools.count(1)


def _ok(response, status: int = 200):  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


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


def ad_account(client, headers, business_id: str, name: str | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return _ok(client.post(f"/v1/businesses/{business_id}/ad-accounts", headers=headers,
                           json={"name": name or f"Account {next(_seq)}"}), 201)


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


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    return response.json()["error"]["code"]
