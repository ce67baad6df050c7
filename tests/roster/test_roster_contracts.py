"""The roster (R31) and contracts (R26) over HTTP: adding creators by handle or id, statuses,
rates, codes held with the business; contract windows, soft deletes; roles and tenancy."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests import factories as f


def assert_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text)
    assert response.json()["error"]["code"] == code, response.text


def now_of(client, headers) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.fromisoformat(f._ok(client.get("/v1/sandbox/clock", headers=headers))["now"])


def history_actions(client, headers, business_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["action"] for e in f._ok(client.get(f"/v1/businesses/{business_id}/history",
                                                  headers=headers, params={"limit": 500}))]


# --- roster --------------------------------------------------------------------------------------

def roster(client, headers, business_id: str, **params) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return f._ok(client.get(f"/v1/businesses/{business_id}/roster", headers=headers,
                            params=params))


def add(client, headers, business_id: str, expect: int = 201, **body):  # type: ignore[no-untyped-def]
    r = client.post(f"/v1/businesses/{business_id}/roster", headers=headers, json=body)
    return f._ok(r, expect) if expect < 400 else r


def test_add_by_handle_or_id_and_list(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    biz = w.business["id"]
    other_h = f.user(client)
    far = f.creator(client, other_h, handle=f"far_{next(f._seq)}", region="ZZ")
    entry = add(client, w.brand_h, biz, handle="@" + w.creator["handle"].upper(),
                status="active", rate="150.5", currency="eur", notes="  posts twice a week ")
    assert entry["creator"] == {"id": w.creator["id"], "handle": w.creator["handle"],
                                "display_name": "Test Creator", "region": "US",
                                "region_supported": True, "on_sparkcodes": True}
    assert entry["email"] is None
    assert (entry["status"], entry["rate"], entry["currency"]) == ("active", "150.50", "EUR")
    assert entry["notes"] == "posts twice a week"
    assert entry["codes"] == {"held": 0, "live": 0, "expired": 0}
    second = add(client, w.brand_h, biz, creator_id=far["id"])
    assert (second["status"], second["rate"], second["currency"]) == ("prospect", None, "USD")
    assert second["creator"]["region_supported"] is False
    out = roster(client, w.brand_h, biz)
    assert out["total"] == 2
    assert [e["creator"]["handle"] for e in out["items"]] == sorted(
        [w.creator["handle"], far["handle"]], key=str.lower)
    assert [e["id"] for e in roster(client, w.brand_h, biz, status="active")["items"]] == [
        entry["id"]]
    page = roster(client, w.brand_h, biz, limit=1, offset=1)
    assert page["total"] == 2 and len(page["items"]) == 1
    assert_error(add(client, w.brand_h, biz, 409, creator_id=w.creator["id"]), 409,
                 "roster_entry_exists")
    assert history_actions(client, w.brand_h, biz).count("roster_entry.added") == 2


@pytest.mark.parametrize("body, status, code", [
    ({}, 422, "creator_required"),
    ({"handle": "someone", "creator_id": "x"}, 422, "creator_required"),
    ({"handle": "nobody_by_that_name"}, 404, "creator_not_found"),
    ({"creator_id": "0" * 32}, 404, "creator_not_found"),
    ({"handle": "bad handle!"}, 422, "invalid_handle"),
    ({"handle": "x", "status": "hired"}, 422, "validation_error"),
    ({"handle": "x", "rate": "-1"}, 422, "validation_error"),
    ({"handle": "x", "rate": "1.001"}, 422, "validation_error"),
    ({"handle": "x", "currency": "US"}, 422, "validation_error"),
    ({"handle": "x", "currency": "U$D"}, 422, "invalid_currency"),
])
def test_add_refusals(client, body: dict[str, Any], status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    h = f.user(client)
    business = f.business(client, h)
    assert_error(add(client, h, business["id"], status, **body), status, code)


def test_codes_held_count_only_this_business_codes(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    biz = w.business["id"]
    entry = add(client, w.brand_h, biz, creator_id=w.creator["id"])
    f.spark_post_id(client, w.brand_h, w.account["id"], w.code["code"])  # 30 days
    short = f.code(client, w.creator_h, w.post["id"], days=7)
    f.spark_post_id(client, w.brand_h, w.account2["id"], short["code"])
    gone = f.code(client, w.creator_h, w.post["id"], days=7)
    f.spark_post_id(client, w.brand_h, w.account2["id"], gone["code"])
    f.code(client, w.creator_h, w.post["id"])  # not bound: not held
    other = f.World(client)  # another brand holds another code of the same creator
    theirs = f.code(client, w.creator_h, w.post["id"])
    f.spark_post_id(client, other.brand_h, other.account["id"], theirs["code"])
    f._ok(client.delete(f"/v1/authorizations/{gone['id']}", headers=w.creator_h))
    assert roster(client, w.brand_h, biz)["items"][0]["codes"] == {"held": 2, "live": 2,
                                                                   "expired": 0}
    f.advance(client, w.brand_h, "P8D")
    (item,) = roster(client, w.brand_h, biz)["items"]
    assert item["id"] == entry["id"]
    assert item["codes"] == {"held": 2, "live": 1, "expired": 1}


def test_edit_and_remove(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    biz = w.business["id"]
    entry = add(client, w.brand_h, biz, creator_id=w.creator["id"], rate="99.99")
    path = f"/v1/roster/{entry['id']}"
    edited = f._ok(client.patch(path, headers=w.brand_h,
                                json={"status": "paused", "notes": "on holiday"}))
    assert (edited["status"], edited["notes"], edited["rate"]) == ("paused", "on holiday",
                                                                   "99.99")
    assert edited["updated_at"] is not None
    cleared = f._ok(client.patch(path, headers=w.brand_h, json={"rate": None, "currency": "gbp"}))
    assert (cleared["rate"], cleared["currency"]) == (None, "GBP")
    same = f._ok(client.patch(path, headers=w.brand_h, json={"status": "paused"}))
    assert same["updated_at"] == cleared["updated_at"]  # nothing changed, nothing written
    assert history_actions(client, w.brand_h, biz).count("roster_entry.updated") == 2
    assert_error(client.patch(path, headers=w.brand_h, json={"status": "gone"}), 422,
                 "validation_error")
    assert f._ok(client.delete(path, headers=w.brand_h), 204) is None
    assert roster(client, w.brand_h, biz)["total"] == 0
    assert_error(client.delete(path, headers=w.brand_h), 404, "not_found")
    assert_error(client.patch(path, headers=w.brand_h, json={"notes": "x"}), 404, "not_found")
    assert "roster_entry.removed" in history_actions(client, w.brand_h, biz)
    # Removed, it can be added again.
    add(client, w.brand_h, biz, creator_id=w.creator["id"])


def test_roster_roles_and_tenancy(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    biz = w.business["id"]
    entry = add(client, w.brand_h, biz, creator_id=w.creator["id"])
    path = f"/v1/roster/{entry['id']}"
    analyst = f.member(client, w.brand_h, biz, "analyst")
    operator = f.member(client, w.brand_h, biz, "operator")
    assert roster(client, analyst, biz)["total"] == 1
    assert_error(add(client, analyst, biz, 403, handle=w.creator["handle"]), 403,
                 "role_insufficient")
    assert_error(client.patch(path, headers=analyst, json={"status": "active"}), 403,
                 "role_insufficient")
    assert_error(client.delete(path, headers=analyst), 403, "role_insufficient")
    assert f._ok(client.patch(path, headers=operator, json={"status": "active"}))["status"] == \
        "active"
    stranger = f.World(client)
    assert_error(client.get(f"/v1/businesses/{biz}/roster", headers=stranger.brand_h), 404,
                 "not_found")
    assert_error(add(client, stranger.brand_h, biz, 404, handle=stranger.creator["handle"]),
                 404, "not_found")
    assert_error(client.patch(path, headers=stranger.brand_h, json={"notes": "mine"}), 404,
                 "not_found")
    assert_error(client.delete(path, headers=stranger.brand_h), 404, "not_found")
    # The stranger may put the same creator on its own roster; ours does not change.
    add(client, stranger.brand_h, stranger.business["id"], creator_id=w.creator["id"])
    assert roster(client, w.brand_h, biz)["items"][0]["status"] == "active"
    assert f._ok(client.delete(path, headers=operator), 204) is None


# --- contracts -----------------------------------------------------------------------------------

def create_contract(client, headers, business_id: str, expect: int = 201, **body):  # type: ignore[no-untyped-def]
    r = client.post(f"/v1/businesses/{business_id}/contracts", headers=headers, json=body)
    return f._ok(r, expect) if expect < 400 else r


def contracts(client, headers, business_id: str, **params) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return f._ok(client.get(f"/v1/businesses/{business_id}/contracts", headers=headers,
                            params=params))


def test_record_list_and_delete_contracts(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    biz = w.business["id"]
    now = now_of(client, w.brand_h)
    c1 = create_contract(client, w.brand_h, biz, creator_id=w.creator["id"],
                         post_id=w.post["id"], starts_at=now.isoformat(),
                         ends_at=(now + timedelta(days=60)).isoformat(), fee="500",
                         notes="Usage rights, paid social only")
    assert c1["creator"] == {"id": w.creator["id"], "handle": w.creator["handle"]}
    assert (c1["post_id"], c1["post_caption"]) == (w.post["id"], "Morning routine #ad")
    assert (c1["fee"], c1["status"], c1["deleted_at"]) == ("500.00", "active", None)
    assert c1["notes"] == "Usage rights, paid social only"
    c2 = create_contract(client, w.brand_h, biz, creator_id=w.creator["id"],
                         starts_at=(now + timedelta(days=1)).isoformat(),
                         ends_at=(now + timedelta(days=90)).isoformat())
    assert (c2["post_id"], c2["fee"], c2["status"]) == (None, None, "upcoming")
    out = contracts(client, w.brand_h, biz)
    assert out["total"] == 2 and [c["id"] for c in out["items"]] == [c2["id"], c1["id"]]
    assert contracts(client, w.brand_h, biz, post_id=w.post["id"])["total"] == 1
    assert contracts(client, w.brand_h, biz, creator_id="0" * 32)["total"] == 0
    deleted = f._ok(client.delete(f"/v1/contracts/{c1['id']}", headers=w.brand_h))
    assert deleted["status"] == "deleted" and deleted["deleted_at"] is not None
    again = f._ok(client.delete(f"/v1/contracts/{c1['id']}", headers=w.brand_h))
    assert again["deleted_at"] == deleted["deleted_at"]  # twice is harmless
    assert [c["id"] for c in contracts(client, w.brand_h, biz)["items"]] == [c2["id"]]
    assert contracts(client, w.brand_h, biz, include_deleted="true")["total"] == 2
    actions = history_actions(client, w.brand_h, biz)
    assert actions.count("contract.created") == 2 and actions.count("contract.deleted") == 1


def test_contract_validation(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    biz = w.business["id"]
    other_h = f.user(client)
    other_creator = f.creator(client, other_h)
    other_post = f.post(client, other_h, other_creator["id"])
    now = now_of(client, w.brand_h)
    base = {"creator_id": w.creator["id"], "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=30)).isoformat()}
    cases = [
        ({"ends_at": now.isoformat()}, 422, "invalid_contract_window"),
        ({"ends_at": (now - timedelta(days=1)).isoformat()}, 422, "invalid_contract_window"),
        ({"ends_at": (now + timedelta(days=4000)).isoformat()}, 422, "invalid_contract_window"),
        ({"starts_at": "2026-01-01T00:00:00"}, 422, "validation_error"),  # no offset
        ({"post_id": other_post["id"]}, 422, "post_not_of_creator"),
        ({"post_id": "0" * 32}, 404, "post_not_found"),
        ({"creator_id": "0" * 32}, 404, "creator_not_found"),
        ({"fee": "-5"}, 422, "validation_error"),
    ]
    for change, status, code in cases:
        assert_error(create_contract(client, w.brand_h, biz, status, **{**base, **change}),
                     status, code)
    assert contracts(client, w.brand_h, biz, include_deleted="true")["total"] == 0


def test_a_private_post_caption_is_not_shown(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    private = f.post(client, w.creator_h, w.creator["id"], caption="secret draft",
                     visibility="private")
    now = now_of(client, w.brand_h)
    c = create_contract(client, w.brand_h, w.business["id"], creator_id=w.creator["id"],
                        post_id=private["id"], starts_at=now.isoformat(),
                        ends_at=(now + timedelta(days=7)).isoformat())
    assert c["post_id"] == private["id"] and c["post_caption"] is None


def test_contract_roles_and_tenancy(client) -> None:  # type: ignore[no-untyped-def]
    w = f.World(client)
    biz = w.business["id"]
    now = now_of(client, w.brand_h)
    body = {"creator_id": w.creator["id"], "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=30)).isoformat()}
    analyst = f.member(client, w.brand_h, biz, "analyst")
    operator = f.member(client, w.brand_h, biz, "operator")
    c = create_contract(client, operator, biz, **body)
    assert contracts(client, analyst, biz)["total"] == 1
    assert_error(create_contract(client, analyst, biz, 403, **body), 403, "role_insufficient")
    assert_error(client.delete(f"/v1/contracts/{c['id']}", headers=analyst), 403,
                 "role_insufficient")
    stranger = f.World(client)
    assert_error(client.get(f"/v1/businesses/{biz}/contracts", headers=stranger.brand_h), 404,
                 "not_found")
    assert_error(create_contract(client, stranger.brand_h, biz, 404, **body), 404, "not_found")
    assert_error(client.delete(f"/v1/contracts/{c['id']}", headers=stranger.brand_h), 404,
                 "not_found")
    assert contracts(client, stranger.brand_h, stranger.business["id"])["total"] == 0
    assert contracts(client, w.brand_h, biz)["items"][0]["status"] == "active"
    f._ok(client.delete(f"/v1/contracts/{c['id']}", headers=operator))
