"""Small HTTP helpers shared by the integration tests. Factories build data; these read answers
and run calls at once."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx

from sparkcodes.kit import crypto

Headers = dict[str, str]


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def assert_error(response: Any, status: int, code: str, fragment: str,
                 *more: str) -> dict[str, Any]:
    """The JSON API error envelope: HTTP status, stable machine code, words a person understands
    (each fragment, in any case)."""
    assert response.status_code == status, (response.status_code, response.text)
    error = response.json()["error"]
    assert error["code"] == code, error
    for words in (fragment, *more):
        assert words.lower() in error["message"].lower(), (words, error)
    return error


def assert_item_error(response: Any, code: str, fragment: str, index: int = 0) -> dict[str, Any]:
    """One code of a bind batch failed (the request itself answers 200, R16)."""
    assert response.status_code == 200, (response.status_code, response.text)
    item = response.json()["results"][index]
    assert item["ok"] is False, item
    assert item["error"]["code"] == code, item
    assert fragment.lower() in item["error"]["message"].lower(), item
    assert item["spark_post"] is None
    return item


def bound_item(response: Any, index: int = 0) -> dict[str, Any]:
    assert response.status_code == 200, (response.status_code, response.text)
    item = response.json()["results"][index]
    assert item["ok"] is True, item
    assert item["error"] is None
    return item


def preview(client: Any, headers: Headers, account_id: str, code: str) -> Any:
    return client.post(f"/v1/ad-accounts/{account_id}/spark-posts/preview", headers=headers,
                       json={"code": code})


def generate(client: Any, headers: Headers, post_id: str, **body: Any) -> Any:
    return client.post(f"/v1/posts/{post_id}/authorizations", headers=headers, json=body)


def get_code(client: Any, headers: Headers, authorization_id: str) -> dict[str, Any]:
    r = client.get(f"/v1/authorizations/{authorization_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def extend(client: Any, headers: Headers, authorization_id: str, days: int) -> Any:
    return client.post(f"/v1/authorizations/{authorization_id}/extend", headers=headers,
                       json={"days": days})


def spark_posts(client: Any, headers: Headers, account_id: str,
                **params: Any) -> list[dict[str, Any]]:
    r = client.get(f"/v1/ad-accounts/{account_id}/spark-posts", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def set_ad_settings(client: Any, headers: Headers, creator_id: str, enabled: bool,
                    accept_terms: bool = False) -> Any:
    return client.put(f"/v1/creators/{creator_id}/ad-settings", headers=headers,
                      json={"enabled": enabled, "accept_terms": accept_terms})


def take_down(client: Any, headers: Headers, post_id: str,
              reason: str = "Community guidelines") -> dict[str, Any]:
    r = client.post(f"/v1/sandbox/posts/{post_id}/take-down", headers=headers,
                    json={"reason": reason})
    assert r.status_code == 200, r.text
    return r.json()


def clock_now(client: Any, headers: Headers) -> datetime:
    return ts(client.get("/v1/sandbox/clock", headers=headers).json()["now"])


def history(client: Any, headers: Headers, url: str) -> list[dict[str, Any]]:
    r = client.get(url, headers=headers, params={"limit": 500})
    assert r.status_code == 200, (url, r.text)
    return r.json()


def unknown_code() -> str:
    """Well formed (right length, valid check symbol) but issued by nobody."""
    return crypto.new_code()


def substitute(code: str, position: int = 3) -> str:
    """The code with one symbol of its body changed: a typo the check symbol catches."""
    prefix, body = code[:6], list(code[6:])
    idx = [i for i, ch in enumerate(body) if ch != "-"][position]
    body[idx] = "2" if body[idx] != "2" else "3"
    return prefix + "".join(body)


def transpose(code: str) -> str:
    """The code with two adjacent different symbols swapped (within one group)."""
    prefix, groups = code[:6], code[6:].split("-")
    for g, group in enumerate(groups):
        for i in range(len(group) - 1):
            if group[i] != group[i + 1]:
                chars = list(group)
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
                groups[g] = "".join(chars)
                return prefix + "-".join(groups)
    raise AssertionError("a code with every symbol equal")


LANDING = "https://shop.example.com/summer?utm_source=tiktok&utm_campaign=spark"


def live_ad(client: Any, headers: Headers, account_id: str, spark_post_id: str, *,
            name: str = "Summer launch", ads_only: bool = False) -> dict[str, Any]:
    """Campaign → ad group → Spark Ad on a Spark post (R20); delivering from its creation."""
    r = client.post(f"/v1/ad-accounts/{account_id}/campaigns", headers=headers,
                    json={"name": f"Campaign for {name}"})
    assert r.status_code == 201, r.text
    r = client.post(f"/v1/campaigns/{r.json()['id']}/ad-groups", headers=headers,
                    json={"name": "Group", "budget": "100", "bid": "5"})
    assert r.status_code == 201, r.text
    r = client.post(f"/v1/ad-groups/{r.json()['id']}/ads", headers=headers,
                    json={"spark_post_id": spark_post_id, "name": name,
                          "landing_page_url": LANDING, "ads_only": ads_only})
    assert r.status_code == 201, r.text
    return r.json()


def delivery(client: Any, headers: Headers, ad_id: str) -> dict[str, Any]:
    r = client.get(f"/v1/ads/{ad_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["delivery"]


def pause(client: Any, headers: Headers, ad_id: str) -> None:
    r = client.post(f"/v1/ads/{ad_id}/status", headers=headers,
                    json={"operation_status": "DISABLE"})
    assert r.status_code == 200, r.text


def parallel(live_url: str, calls: list[Callable[[httpx.Client], Any]]) -> list[Any]:
    """Run the calls at once, each on its own connection; return the responses in order."""
    def run(call: Callable[[httpx.Client], Any]) -> Any:
        with httpx.Client(base_url=live_url, timeout=60) as http:
            return call(http)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def notifications(client: Any, headers: Headers) -> list[dict[str, Any]]:
    """The user's notifications, oldest first."""
    body = client.get("/v1/notifications", headers=headers, params={"limit": 500}).json()
    return list(reversed(body["items"]))
