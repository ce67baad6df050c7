"""Advertiser-side rules R13–R19 and Idempotency-Key on bind, over HTTP, on every database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from sparkcodes.app import create_app
from tests import factories as f
from tests.integration._http import (
    assert_error,
    assert_item_error,
    bound_item,
     # noqa: F401  (autouse fixture)
    delivery,
    get_code,
    history,
    live_ad,
    pause,
    preview,
    set_ad_settings,
    spark_posts,
    substitute,
    take_down,
    transpose,
    ts,
    unknown_code,
)


@contextmanager
def other_app(backend, **overrides) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A second app over the same test database, with different settings."""
    app = create_app(backend.settings(**overrides))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def add_member(client: TestClient, admin_h: dict[str, str], business_id: str,
               role: str) -> dict[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    headers = f.user(client, email=email)
    r = client.put(f"/v1/businesses/{business_id}/members", headers=admin_h,
                   json={"email": email, "role": role})
    assert r.status_code == 200, r.text
    return headers


def actions(events: list[dict]) -> list[str]:
    return [e["action"] for e in events]


# --- R13 preview ----------------------------------------------------------------------------------

def test_r13_preview_shows_post_creator_window_and_changes_nothing(client):
    creator_h = f.user(client)
    r = client.post("/v1/creators", headers=creator_h, json={
        "handle": "maya.makes", "display_name": "Maya Makes", "region": "GB",
        "avatar_url": "https://cdn.example.com/maya.jpg"})
    assert r.status_code == 201, r.text
    creator = r.json()
    assert set_ad_settings(client, creator_h, creator["id"], True, True).status_code == 200
    post = f.post(client, creator_h, creator["id"], caption="Morning routine #ad",
                  cover_url="https://cdn.example.com/cover.jpg")
    code = f.code(client, creator_h, post["id"], days=60)
    brand_h = f.user(client)
    business = f.business(client, brand_h, "Glow")
    account = f.ad_account(client, brand_h, business["id"])
    creator_events = history(client, creator_h, f"/v1/creators/{creator['id']}/history")
    business_events = history(client, brand_h, f"/v1/businesses/{business['id']}/history")

    r = preview(client, brand_h, account["id"], code["code"])
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["code_hint"] == code["code_hint"]
    assert p["eligible"] is True and p["problems"] == [] and p["warnings"] == []
    assert p["already_bound_here"] is False and p["needs_original_post_code"] is False
    assert p["creator"] == {"id": creator["id"], "handle": "maya.makes",
                            "display_name": "Maya Makes",
                            "avatar_url": "https://cdn.example.com/maya.jpg", "region": "GB"}
    assert p["post"]["id"] == post["id"] and p["post"]["caption"] == "Morning routine #ad"
    assert p["post"]["cover_url"] == "https://cdn.example.com/cover.jpg"
    assert {k: p["post"][k] for k in ("views", "likes", "comments", "shares")} == {
        "views": 0, "likes": 0, "comments": 0, "shares": 0}
    assert ts(p["window"]["starts_at"]) == ts(code["starts_at"])
    assert ts(p["window"]["expires_at"]) == ts(code["expires_at"])
    assert p["window"]["days_left"] == 60
    assert code["code"] not in r.text

    # Nothing changed: the code is unused, no Spark post, no audit row on either side.
    assert get_code(client, creator_h, code["id"])["status"] == "NOT_USED"
    assert spark_posts(client, brand_h, account["id"]) == []
    assert history(client, creator_h, f"/v1/creators/{creator['id']}/history") == creator_events
    assert history(client, brand_h, f"/v1/businesses/{business['id']}/history") == business_events
    # Another ad account can still bind it.
    other = f.ad_account(client, brand_h, business["id"])
    bound_item(f.bind(client, brand_h, other["id"], [code["code"]]))


def test_r13_preview_lists_problems_in_plain_words(client):
    w = f.World(client)
    bound_item(f.bind(client, w.brand_h, w.account2["id"], [w.code["code"]]))
    p = preview(client, w.brand_h, w.account["id"], w.code["code"]).json()
    assert p["eligible"] is False and p["already_bound_here"] is False
    [problem] = p["problems"]
    assert problem["code"] == "code_used_elsewhere"
    assert "already used by another ad account" in problem["message"]
    assert preview(client, w.brand_h, w.account2["id"], w.code["code"]).json()[
        "already_bound_here"] is True

    # Several problems at once, most precise first.
    fresh = f.code(client, w.creator_h, w.post["id"], days=7)
    f.advance(client, w.brand_h, "P8D")
    assert set_ad_settings(client, w.creator_h, w.creator["id"], False).status_code == 200
    p = preview(client, w.brand_h, w.account["id"], fresh["code"]).json()
    assert [x["code"] for x in p["problems"]] == ["code_expired", "ad_settings_off"]
    assert p["problems"][0]["message"].startswith("This code expired on ")
    assert "Creator tools → Ad settings" in p["problems"][1]["message"]
    assert p["window"]["days_left"] == 0


def test_r13_preview_of_a_deleted_code(client):
    w = f.World(client)
    assert client.delete(f"/v1/authorizations/{w.code['id']}",
                         headers=w.creator_h).status_code == 200
    p = preview(client, w.brand_h, w.account["id"], w.code["code"]).json()
    assert p["eligible"] is False
    assert p["problems"] == [{"code": "code_deleted", "message": "The creator deleted this code."}]


def test_r13_preview_needs_operator_role_and_membership(client):
    w = f.World(client)
    analyst_h = add_member(client, w.brand_h, w.business["id"], "analyst")
    assert_error(preview(client, analyst_h, w.account["id"], w.code["code"]), 403,
                 "role_insufficient", "this needs operator or higher")
    assert_error(preview(client, w.creator_h, w.account["id"], w.code["code"]), 404,
                 "not_found", "No such ad account")
    r = client.post(f"/v1/ad-accounts/{w.account['id']}/spark-posts/preview",
                    json={"code": w.code["code"]})
    assert_error(r, 401, "unauthorized", "Sign in first")


# --- R14 bind -------------------------------------------------------------------------------------

def test_r14_bind_makes_the_post_a_spark_post_of_the_ad_account(client):
    w = f.World(client)
    r = f.bind(client, w.brand_h, w.account["id"], [w.code["code"]])
    assert r.status_code == 200, r.text
    assert r.json()["bound"] == 1 and r.json()["failed"] == 0
    item = bound_item(r)
    assert item["index"] == 0 and item["created"] is True and item["replaced"] is False
    assert item["code_hint"] == w.code["code_hint"] and item["warnings"] == []
    sp = item["spark_post"]
    assert sp["ad_account_id"] == w.account["id"] and sp["identity_type"] == "AUTH_CODE"
    assert sp["status"] == "AUTHORIZED" and sp["stop_reasons"] == []
    assert sp["authorization_id"] == w.code["id"] and sp["code_hint"] == w.code["code_hint"]
    assert sp["post"]["id"] == w.post["id"] and sp["creator"]["id"] == w.creator["id"]
    assert ts(sp["window"]["expires_at"]) == ts(w.code["expires_at"])
    assert sp["unbound_at"] is None and sp["code_replaced_at"] is None
    assert w.code["code"] not in r.text
    [listed] = spark_posts(client, w.brand_h, w.account["id"])
    assert listed["id"] == sp["id"]
    got = client.get(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp['id']}",
                     headers=w.brand_h)
    assert got.status_code == 200 and got.json()["id"] == sp["id"]


def test_r14_rebinding_by_the_same_ad_account_is_idempotent(client):
    w = f.World(client)
    first = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    again = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"].lower()]))
    assert again["created"] is False and again["replaced"] is False
    assert again["spark_post"]["id"] == first["spark_post"]["id"]
    assert len(spark_posts(client, w.brand_h, w.account["id"])) == 1
    events = history(client, w.brand_h, f"/v1/businesses/{w.business['id']}/history")
    assert actions(events).count("spark_post.bound") == 1
    assert actions(events).count("authorization.bound") == 1


def test_r14_another_ad_account_is_told_the_code_is_used_elsewhere(client):
    w = f.World(client)
    bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    r = f.bind(client, w.brand_h, w.account2["id"], [w.code["code"]])
    item = assert_item_error(r, "code_used_elsewhere", "already used by another ad account")
    assert "ask the creator for a new code" in item["error"]["message"]
    assert item["code_hint"] == w.code["code_hint"]
    assert r.json()["bound"] == 0 and r.json()["failed"] == 1
    # Also for an ad account of a different business.
    rival_h = f.user(client)
    rival = f.ad_account(client, rival_h, f.business(client, rival_h, "Rival")["id"])
    assert_item_error(f.bind(client, rival_h, rival["id"], [w.code["code"]]),
                      "code_used_elsewhere", "already used by another ad account")
    assert spark_posts(client, w.brand_h, w.account2["id"]) == []
    assert get_code(client, w.creator_h, w.code["id"])["used_by"]["ad_account_id"] == \
        w.account["id"]


def test_r14_binding_a_new_code_of_a_held_post_replaces_the_old_one(client):
    w = f.World(client)
    first = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    f.advance(client, w.brand_h, "P20D")
    newer = f.code(client, w.creator_h, w.post["id"], days=60)
    r = f.bind(client, w.brand_h, w.account["id"], [newer["code"]])
    item = bound_item(r)
    assert item["replaced"] is True and item["created"] is False
    sp = item["spark_post"]
    assert sp["id"] == first["spark_post"]["id"]
    assert sp["authorization_id"] == newer["id"] and sp["code_hint"] == newer["code_hint"]
    assert ts(sp["window"]["expires_at"]) == ts(newer["expires_at"])
    assert ts(sp["window"]["starts_at"]) == ts(newer["starts_at"])
    assert sp["code_replaced_at"] is not None and sp["status"] == "AUTHORIZED"
    assert ts(sp["bound_at"]) == ts(first["spark_post"]["bound_at"])
    [listed] = spark_posts(client, w.brand_h, w.account["id"])
    assert listed["authorization_id"] == newer["id"]
    # The old code's end no longer stops the Spark post.
    f.advance(client, w.brand_h, "P11D")
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "EXPIRED"
    assert spark_posts(client, w.brand_h, w.account["id"])[0]["status"] == "AUTHORIZED"
    events = history(client, w.brand_h,
                     f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp['id']}/history")
    assert actions(events) == ["spark_post.bound", "spark_post.code_replaced"]
    assert events[1]["details"]["replaced_authorization_id"] == w.code["id"]
    assert events[1]["details"]["after"]["authorization_id"] == newer["id"]


def test_r14_binding_needs_operator_role(client):
    w = f.World(client)
    analyst_h = add_member(client, w.brand_h, w.business["id"], "analyst")
    r = f.bind(client, analyst_h, w.account["id"], [w.code["code"]])
    assert_error(r, 403, "role_insufficient", "your role in this business is analyst")
    operator_h = add_member(client, w.brand_h, w.business["id"], "operator")
    bound_item(f.bind(client, operator_h, w.account["id"], [w.code["code"]]))
    assert_error(f.bind(client, w.creator_h, w.account["id"], [w.code["code"]]), 404,
                 "not_found", "No such ad account")


# --- R15 precise errors, brute force --------------------------------------------------------------

def test_r15_unknown_code_is_not_found_and_a_typo_is_mistyped(client):
    w = f.World(client)
    raw = w.code["code"]
    assert_error(preview(client, w.brand_h, w.account["id"], unknown_code()), 404,
                 "code_not_found", "No Spark code matches")
    for typo, words in [
        (substitute(raw), "check character does not match"),
        (transpose(raw), "check character does not match"),
        (raw[:-1], "a Spark code has 28"),
        (raw[:-1] + "U", "contains 'U'"),
        ("SPARK-!!!!", "which no Spark code has"),
        ("   ", "The code is empty"),
    ]:
        assert_error(preview(client, w.brand_h, w.account["id"], typo), 422, "code_mistyped",
                     words)
    r = f.bind(client, w.brand_h, w.account["id"], [unknown_code(), substitute(raw)])
    assert_item_error(r, "code_not_found", "check it with the creator", index=0)
    assert_item_error(r, "code_mistyped", "looks mistyped", index=1)
    assert [i["code_hint"] for i in r.json()["results"]] == [None, None]
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "NOT_USED"
    r = client.post(f"/v1/ad-accounts/{w.account['id']}/spark-posts/preview", headers=w.brand_h,
                    json={"code": "X" * 121})
    assert_error(r, 422, "validation_error", "code")


def _expired(client, w):  # type: ignore[no-untyped-def]
    c = f.code(client, w.creator_h, w.post["id"], days=7)
    f.advance(client, w.brand_h, "P7DT1S")
    return c["code"]


def _deleted(client, w):  # type: ignore[no-untyped-def]
    assert client.delete(f"/v1/authorizations/{w.code['id']}",
                         headers=w.creator_h).status_code == 200
    return w.code["code"]


def _used_elsewhere(client, w):  # type: ignore[no-untyped-def]
    bound_item(f.bind(client, w.brand_h, w.account2["id"], [w.code["code"]]))
    return w.code["code"]


def _post_deleted(client, w):  # type: ignore[no-untyped-def]
    assert client.delete(f"/v1/posts/{w.post['id']}", headers=w.creator_h).status_code == 200
    return w.code["code"]


def _post_taken_down(client, w):  # type: ignore[no-untyped-def]
    take_down(client, w.creator_h, w.post["id"])
    return w.code["code"]


def _settings_off(client, w):  # type: ignore[no-untyped-def]
    assert set_ad_settings(client, w.creator_h, w.creator["id"], False).status_code == 200
    return w.code["code"]


def _duet_without_original(client, w):  # type: ignore[no-untyped-def]
    duet = f.post(client, w.creator_h, w.creator["id"], kind="duet",
                  original_post_id=w.post["id"])
    return f.code(client, w.creator_h, duet["id"])["code"]


@pytest.mark.parametrize("setup, code, words", [
    (_expired, "code_expired", "ask the creator to extend it"),
    (_deleted, "code_deleted", "The creator deleted this code"),
    (_used_elsewhere, "code_used_elsewhere", "already used by another ad account"),
    (_post_deleted, "post_unavailable", "deleted by the creator"),
    (_post_taken_down, "post_unavailable", "taken down"),
    (_settings_off, "ad_settings_off", "account-level ad settings are off"),
    (_duet_without_original, "original_post_code_required", "paste a code for the original post"),
], ids=lambda v: v.__name__.strip("_") if callable(v) else None)
def test_r15_an_existing_code_gets_a_precise_reason(client, setup, code, words):
    w = f.World(client)
    raw = setup(client, w)
    r = f.bind(client, w.brand_h, w.account["id"], [raw])
    item = assert_item_error(r, code, words)
    assert item["code_hint"] == raw[:10] + "-…"  # a real code: the owner can tell which one
    assert spark_posts(client, w.brand_h, w.account["id"]) == []


def test_r15_region_not_supported_when_binding(client, backend):
    """A code issued while the creator's region was offered fails once it no longer is."""
    w = f.World(client)
    with other_app(backend, supported_regions=["GB"]) as gb_only:
        r = f.bind(gb_only, w.brand_h, w.account["id"], [w.code["code"]])
        assert_item_error(r, "region_not_supported", "not offered to creator accounts in US")
        p = preview(gb_only, w.brand_h, w.account["id"], w.code["code"]).json()
        assert [x["code"] for x in p["problems"]] == ["region_not_supported"]
        assert_error(gb_only.post(f"/v1/posts/{w.post['id']}/authorizations",
                                  headers=w.creator_h, json={}),
                     409, "region_not_supported", "not offered")
    bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))


def test_r15_a_batch_that_spends_the_limit_midway_binds_what_came_before(client, app):  # type: ignore[no-untyped-def]
    """The request is refused whole (429) only when its first look-up is; a batch that reaches
    the limit on the way gets each later code's refusal in its own result."""
    w = f.World(client)
    r = f.bind(client, w.brand_h, w.account["id"], [unknown_code() for _ in range(19)])
    assert {i["error"]["code"] for i in r.json()["results"]} == {"code_not_found"}
    r = f.bind(client, w.brand_h, w.account["id"],
               [w.code["code"]] + [unknown_code() for _ in range(12)])
    bound_item(r)
    results = r.json()["results"]
    assert [i["error"]["code"] for i in results[1:12]] == ["code_not_found"] * 11
    assert results[12]["error"]["code"] == "rate_limited"
    assert "from this ad account (30 in 10 minutes)" in results[12]["error"]["message"]
    # The 30 are spent: the next request is refused before anything, its first code included.
    assert_error(f.bind(client, w.brand_h, w.account["id"], [unknown_code()]), 429,
                 "rate_limited", "from this ad account")


def test_r15_many_unknown_codes_are_rate_limited(client, app):
    limit = app.state.settings.codes.failed_lookups_limit
    assert limit == "30/10 minutes"
    w = f.World(client)
    # 20 unknown in a batch, 5 unknown and 5 mistyped previews: 30 failures, the limit.
    r = f.bind(client, w.brand_h, w.account["id"], [unknown_code() for _ in range(20)])
    assert r.status_code == 200
    assert {i["error"]["code"] for i in r.json()["results"]} == {"code_not_found"}
    for _ in range(5):
        assert preview(client, w.brand_h, w.account["id"], unknown_code()).status_code == 404
    for _ in range(5):
        bad = substitute(w.code["code"])
        assert preview(client, w.brand_h, w.account["id"], bad).status_code == 422

    # Now every look-up from this ad account or this user is refused, even a good code.
    r = preview(client, w.brand_h, w.account["id"], w.code["code"])
    assert_error(r, 429, "rate_limited", "Too many unknown or mistyped codes from this ad "
                 "account (30 in 10 minutes); try again in ")
    assert 1 <= int(r.headers["Retry-After"]) <= 600
    assert_error(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]), 429,
                 "rate_limited", "check the codes with the creator")
    r = f.bind(client, w.brand_h, w.account2["id"], [w.code["code"]])  # same user, other account
    assert_error(r, 429, "rate_limited", "Too many unknown or mistyped codes from your account")
    assert r.json()["error"]["details"]["limit"] == "lookups.user"
    operator_h = add_member(client, w.brand_h, w.business["id"], "operator")
    assert_error(f.bind(client, operator_h, w.account["id"], [w.code["code"]]), 429,
                 "rate_limited", "from this ad account")  # other user, same ad account
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "NOT_USED"
    # Other users on other ad accounts are unaffected.
    other_h = f.user(client)
    other_account = f.ad_account(client, other_h, f.business(client, other_h)["id"])
    bound_item(f.bind(client, other_h, other_account["id"], [w.code["code"]]))


def test_r15_the_limit_can_be_reached_in_the_middle_of_a_batch(client):
    w = f.World(client)
    r = f.bind(client, w.brand_h, w.account["id"], [unknown_code() for _ in range(20)])
    assert r.json()["failed"] == 20
    batch = [unknown_code() for _ in range(12)] + [w.code["code"]]
    r = f.bind(client, w.brand_h, w.account["id"], batch)
    assert r.status_code == 200, r.text
    codes = [i["error"]["code"] for i in r.json()["results"]]
    assert codes == ["code_not_found"] * 10 + ["rate_limited"] * 3
    assert "Too many unknown or mistyped codes" in r.json()["results"][-1]["error"]["message"]
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "NOT_USED"


# --- R16 batch ------------------------------------------------------------------------------------

def test_r16_a_mixed_batch_gets_a_result_per_code(client):
    w = f.World(client)
    second_post = f.post(client, w.creator_h, w.creator["id"], caption="Second", sound="licensed")
    good2 = f.code(client, w.creator_h, second_post["id"])
    used = f.code(client, w.creator_h, f.post(client, w.creator_h, w.creator["id"])["id"])
    bound_item(f.bind(client, w.brand_h, w.account2["id"], [used["code"]]))
    deleted = f.code(client, w.creator_h, f.post(client, w.creator_h, w.creator["id"])["id"])
    assert client.delete(f"/v1/authorizations/{deleted['id']}",
                         headers=w.creator_h).status_code == 200

    batch = [w.code["code"], unknown_code(), substitute(w.code["code"]), used["code"],
             deleted["code"], good2["code"], w.code["code"]]
    r = f.bind(client, w.brand_h, w.account["id"], batch)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["bound"] == 3 and body["failed"] == 4
    results = body["results"]
    assert [i["index"] for i in results] == list(range(len(batch)))
    assert [i["ok"] for i in results] == [True, False, False, False, False, True, True]
    assert [i["error"]["code"] for i in results if not i["ok"]] == [
        "code_not_found", "code_mistyped", "code_used_elsewhere", "code_deleted"]
    assert results[0]["created"] is True
    assert results[6]["created"] is False  # the same code twice in one batch
    assert results[6]["spark_post"]["id"] == results[0]["spark_post"]["id"]
    assert [x["code"] for x in results[5]["warnings"]] == ["sound_will_be_muted"]
    # The good ones are bound even though others failed.
    listed = spark_posts(client, w.brand_h, w.account["id"])
    assert {sp["post"]["id"] for sp in listed} == {w.post["id"], second_post["id"]}


def test_r16_twenty_codes_at_once_and_no_more(client):
    w = f.World(client)
    raws = [w.code["code"]] + [
        f.code(client, w.creator_h, f.post(client, w.creator_h, w.creator["id"])["id"])["code"]
        for _ in range(20)
    ]
    r = f.bind(client, w.brand_h, w.account["id"], raws)
    error = assert_error(r, 422, "batch_too_large", "at most 20 codes can be bound in one request")
    assert "21 were sent" in error["message"]
    assert spark_posts(client, w.brand_h, w.account["id"]) == []
    r = f.bind(client, w.brand_h, w.account["id"], raws[:20])
    assert r.status_code == 200 and r.json()["bound"] == 20 and r.json()["failed"] == 0
    assert len(spark_posts(client, w.brand_h, w.account["id"])) == 20
    assert_error(f.bind(client, w.brand_h, w.account["id"], []), 422, "batch_empty",
                 "at least one code")
    r = f.bind(client, w.brand_h, w.account["id"], [raws[20]],
               original_post_codes=[unknown_code() for _ in range(21)])
    assert_error(r, 422, "validation_error", "original_post_codes")


# --- R17 list and unbind --------------------------------------------------------------------------

def test_r17_list_and_unbind(client):
    w = f.World(client)
    other_post = f.post(client, w.creator_h, w.creator["id"], caption="Other")
    other_code = f.code(client, w.creator_h, other_post["id"], days=7)
    r = f.bind(client, w.brand_h, w.account["id"], [w.code["code"], other_code["code"]])
    assert r.json()["bound"] == 2
    listed = spark_posts(client, w.brand_h, w.account["id"])
    assert len(listed) == 2
    by_post = {sp["post"]["id"]: sp for sp in listed}
    sp = by_post[w.post["id"]]
    assert sp["status"] == "AUTHORIZED" and sp["live_ads"] == 0
    assert ts(sp["window"]["expires_at"]) == ts(w.code["expires_at"])
    assert sp["window"]["days_left"] == 30 and by_post[other_post["id"]]["window"]["days_left"] == 7

    r = client.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp['id']}",
                      headers=w.brand_h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "UNBOUND" and r.json()["unbound_at"] is not None
    again = client.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp['id']}",
                          headers=w.brand_h)
    assert again.status_code == 200 and again.json()["unbound_at"] == r.json()["unbound_at"]

    assert [x["post"]["id"] for x in spark_posts(client, w.brand_h, w.account["id"])] == [
        other_post["id"]]
    everything = spark_posts(client, w.brand_h, w.account["id"], include_unbound="true")
    assert {x["id"]: x["status"] for x in everything} == {
        sp["id"]: "UNBOUND", by_post[other_post["id"]]["id"]: "AUTHORIZED"}
    events = history(client, w.brand_h,
                     f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp['id']}/history")
    assert actions(events) == ["spark_post.bound", "spark_post.unbound"]

    # Binding the code again starts a new Spark post.
    item = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    assert item["created"] is True and item["spark_post"]["id"] != sp["id"]


def test_r17_unbind_is_scoped_to_the_ad_account_and_needs_operator(client):
    w = f.World(client)
    sp = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))["spark_post"]
    r = client.delete(f"/v1/ad-accounts/{w.account2['id']}/spark-posts/{sp['id']}",
                      headers=w.brand_h)
    assert_error(r, 404, "not_found", "No such Spark post in this ad account")
    analyst_h = add_member(client, w.brand_h, w.business["id"], "analyst")
    assert len(spark_posts(client, analyst_h, w.account["id"])) == 1  # analysts may read
    r = client.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp['id']}",
                      headers=analyst_h)
    assert_error(r, 403, "role_insufficient", "needs operator")
    assert spark_posts(client, w.brand_h, w.account["id"])[0]["status"] == "AUTHORIZED"


# --- R18 capacity ---------------------------------------------------------------------------------

def test_r18_an_ad_account_holds_at_most_the_configured_number_of_spark_posts(client, backend):
    with other_app(backend, codes={"spark_posts_per_ad_account": 2}) as small:
        assert small.app.state.settings.codes.spark_posts_per_ad_account == 2
        w = f.World(small)
        codes = [w.code] + [f.code(small, w.creator_h, f.post(small, w.creator_h,
                                                              w.creator["id"])["id"])
                            for _ in range(2)]
        r = f.bind(small, w.brand_h, w.account["id"], [c["code"] for c in codes])
        assert r.status_code == 200, r.text
        assert [i["ok"] for i in r.json()["results"]] == [True, True, False]
        item = assert_item_error(r, "capacity_reached", "already holds 2 Spark Ad posts", 2)
        assert "unbind posts no ad uses" in item["error"]["message"]
        assert get_code(small, w.creator_h, codes[2]["id"])["status"] == "NOT_USED"

        # At capacity, posts already held can still be re-bound or get a new code.
        again = bound_item(f.bind(small, w.brand_h, w.account["id"], [codes[0]["code"]]))
        assert again["created"] is False
        newer = f.code(small, w.creator_h, w.post["id"])
        assert bound_item(f.bind(small, w.brand_h, w.account["id"], [newer["code"]]))[
            "replaced"] is True
        # Another ad account has its own room.
        bound_item(f.bind(small, w.brand_h, w.account2["id"], [codes[2]["code"]]))

        # Own posts count too.
        own = f.creator(small, w.brand_h)
        own_post = f.post(small, w.brand_h, own["id"])
        assert small.post(f"/v1/ad-accounts/{w.account['id']}/identities", headers=w.brand_h,
                          json={"creator_id": own["id"]}).status_code == 201
        r = small.post(f"/v1/ad-accounts/{w.account['id']}/spark-posts/own", headers=w.brand_h,
                       json={"post_id": own_post["id"]})
        assert_error(r, 409, "capacity_reached", "already holds 2")

        # Unbinding makes room.
        sp = spark_posts(small, w.brand_h, w.account["id"])[0]
        assert small.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp['id']}",
                            headers=w.brand_h).status_code == 200
        fourth = f.code(small, w.creator_h, f.post(small, w.creator_h, w.creator["id"])["id"])
        bound_item(f.bind(small, w.brand_h, w.account["id"], [fourth["code"]]))
        assert len(spark_posts(small, w.brand_h, w.account["id"])) == 2


def test_r18_default_capacity_is_ten_thousand(app):
    assert app.state.settings.codes.spark_posts_per_ad_account == 10_000


# --- R19 own posts --------------------------------------------------------------------------------

def _own_world(client):  # type: ignore[no-untyped-def]
    brand_h = f.user(client)
    business = f.business(client, brand_h, "Brand")
    account = f.ad_account(client, brand_h, business["id"])
    account2 = f.ad_account(client, brand_h, business["id"])
    own = f.creator(client, brand_h, handle="brand.official", enabled=False)
    own_post = f.post(client, brand_h, own["id"], caption="Our launch")
    return brand_h, business, account, account2, own, own_post


def test_r19_a_linked_own_account_runs_its_posts_without_a_code(client):
    brand_h, business, account, _, own, own_post = _own_world(client)
    r = client.post(f"/v1/ad-accounts/{account['id']}/identities", headers=brand_h,
                    json={"creator_id": own["id"]})
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["creator_id"] == own["id"] and link["handle"] == "brand.official"
    listed = client.get(f"/v1/ad-accounts/{account['id']}/identities", headers=brand_h).json()
    assert [x["id"] for x in listed] == [link["id"]]
    twice = client.post(f"/v1/ad-accounts/{account['id']}/identities", headers=brand_h,
                        json={"creator_id": own["id"]})
    assert twice.status_code == 201 and twice.json()["id"] == link["id"]

    r = client.post(f"/v1/ad-accounts/{account['id']}/spark-posts/own", headers=brand_h,
                    json={"post_id": own_post["id"]})
    assert r.status_code == 201, r.text
    sp = r.json()
    assert sp["identity_type"] == "TT_USER" and sp["status"] == "AUTHORIZED"
    assert sp["authorization_id"] is None and sp["code_hint"] is None and sp["window"] is None
    assert sp["post"]["id"] == own_post["id"] and sp["creator"]["handle"] == "brand.official"
    again = client.post(f"/v1/ad-accounts/{account['id']}/spark-posts/own", headers=brand_h,
                        json={"post_id": own_post["id"]})
    assert again.status_code == 201 and again.json()["id"] == sp["id"]
    [listed_sp] = spark_posts(client, brand_h, account["id"])
    assert listed_sp["identity_type"] == "TT_USER"
    # No code was made; time does not stop an own post.
    assert client.get(f"/v1/posts/{own_post['id']}/authorizations", headers=brand_h).json() == []
    f.advance(client, brand_h, "P400D")
    assert spark_posts(client, brand_h, account["id"])[0]["status"] == "AUTHORIZED"
    events = history(client, brand_h, f"/v1/businesses/{business['id']}/history")
    assert actions(events).count("identity.linked") == 1
    assert actions(events).count("spark_post.bound") == 1


def test_r19_an_unlinked_account_is_refused(client):
    brand_h, _, account, account2, own, own_post = _own_world(client)
    r = client.post(f"/v1/ad-accounts/{account['id']}/spark-posts/own", headers=brand_h,
                    json={"post_id": own_post["id"]})
    assert_error(r, 409, "identity_not_linked", "@brand.official is not linked to this ad account")
    # A link is per ad account.
    assert client.post(f"/v1/ad-accounts/{account['id']}/identities", headers=brand_h,
                       json={"creator_id": own["id"]}).status_code == 201
    r = client.post(f"/v1/ad-accounts/{account2['id']}/spark-posts/own", headers=brand_h,
                    json={"post_id": own_post["id"]})
    assert_error(r, 409, "identity_not_linked", "link it first")
    assert spark_posts(client, brand_h, account2["id"]) == []


def test_r19_only_posts_and_accounts_the_business_owns(client):
    brand_h, _, account, _, own, own_post = _own_world(client)
    w_h = f.user(client)
    stranger = f.creator(client, w_h)
    stranger_post = f.post(client, w_h, stranger["id"])
    r = client.post(f"/v1/ad-accounts/{account['id']}/identities", headers=brand_h,
                    json={"creator_id": stranger["id"]})
    assert_error(r, 404, "not_found", "No such creator account")
    r = client.post(f"/v1/ad-accounts/{account['id']}/spark-posts/own", headers=brand_h,
                    json={"post_id": stranger_post["id"]})
    assert_error(r, 404, "not_found", "No such post")
    operator_h = add_member(client, brand_h, account["business_id"], "operator")
    r = client.post(f"/v1/ad-accounts/{account['id']}/identities", headers=operator_h,
                    json={"creator_id": own["id"]})
    assert_error(r, 403, "role_insufficient", "needs admin")


def test_r19_own_posts_still_follow_post_eligibility(client):
    brand_h, _, account, _, own, own_post = _own_world(client)
    assert client.post(f"/v1/ad-accounts/{account['id']}/identities", headers=brand_h,
                       json={"creator_id": own["id"]}).status_code == 201
    story = f.post(client, brand_h, own["id"], kind="story")
    r = client.post(f"/v1/ad-accounts/{account['id']}/spark-posts/own", headers=brand_h,
                    json={"post_id": story["id"]})
    assert_error(r, 409, "story_not_supported", "Stories")
    assert client.delete(f"/v1/posts/{own_post['id']}", headers=brand_h).status_code == 200
    r = client.post(f"/v1/ad-accounts/{account['id']}/spark-posts/own", headers=brand_h,
                    json={"post_id": own_post["id"]})
    assert_error(r, 410, "post_unavailable", "deleted")


# --- Idempotency-Key on bind ----------------------------------------------------------------------

def test_idempotency_key_replays_the_first_answer_without_a_second_effect(client):
    w = f.World(client)
    key = {"Idempotency-Key": "bind-0001"}
    first = f.bind(client, {**w.brand_h, **key}, w.account["id"], [w.code["code"]])
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    assert first.json()["results"][0]["created"] is True
    sp_id = first.json()["results"][0]["spark_post"]["id"]

    # Meanwhile the brand unbinds; a retry with the key must not bind again.
    assert client.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp_id}",
                         headers=w.brand_h).status_code == 200
    replay = f.bind(client, {**w.brand_h, **key}, w.account["id"], [w.code["code"]])
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert spark_posts(client, w.brand_h, w.account["id"]) == []
    events = history(client, w.brand_h, f"/v1/businesses/{w.business['id']}/history")
    assert actions(events).count("spark_post.bound") == 1
    assert actions(events).count("authorization.bound") == 1

    # Without the key the same body is an ordinary (new) request.
    fresh = f.bind(client, w.brand_h, w.account["id"], [w.code["code"]])
    assert "idempotent-replayed" not in fresh.headers
    assert bound_item(fresh)["spark_post"]["id"] != sp_id


def test_idempotency_key_reused_for_another_body_is_refused(client):
    w = f.World(client)
    other = f.code(client, w.creator_h, f.post(client, w.creator_h, w.creator["id"])["id"])
    key = {"Idempotency-Key": "k-42"}
    bound_item(f.bind(client, {**w.brand_h, **key}, w.account["id"], [w.code["code"]]))
    r = f.bind(client, {**w.brand_h, **key}, w.account["id"], [other["code"]])
    assert_error(r, 409, "idempotency_key_reused", "used for a different request")
    assert get_code(client, w.creator_h, other["id"])["status"] == "NOT_USED"
    # Keys are per ad account (and per user): the same key elsewhere is a new request.
    r = f.bind(client, {**w.brand_h, **key}, w.account2["id"], [other["code"]])
    assert bound_item(r)["created"] is True and "idempotent-replayed" not in r.headers
    r = f.bind(client, {**w.brand_h, "Idempotency-Key": "x" * 201}, w.account["id"],
               [w.code["code"]])
    assert_error(r, 422, "invalid_idempotency_key", "1 to 200 characters")


def test_idempotency_key_replays_a_partial_failure_too(client):
    w = f.World(client)
    key = {"Idempotency-Key": "mixed"}
    body = [w.code["code"], unknown_code()]
    first = f.bind(client, {**w.brand_h, **key}, w.account["id"], body)
    assert first.json()["bound"] == 1 and first.json()["failed"] == 1
    replay = f.bind(client, {**w.brand_h, **key}, w.account["id"], body)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == first.json()


def test_replaced_code_window_is_used_for_expiry(client):
    """R14 with R8: after a swap the Spark post follows the new code's window, not the old."""
    w = f.World(client)
    bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    short = f.code(client, w.creator_h, w.post["id"], days=7)
    item = bound_item(f.bind(client, w.brand_h, w.account["id"], [short["code"]]))
    assert item["replaced"] is True
    f.advance(client, w.brand_h, "P8D")
    [sp] = spark_posts(client, w.brand_h, w.account["id"])
    assert sp["status"] == "AUTHORIZATION_EXPIRED"
    assert ts(sp["window"]["expires_at"]) == ts(short["expires_at"])
    assert ts(sp["window"]["expires_at"]) < ts(w.code["expires_at"]) - timedelta(days=20)


# --- R15 precise errors for original-post codes (duets and stitches) ------------------------------

def _duet(client, w):  # type: ignore[no-untyped-def]
    duet = f.post(client, w.creator_h, w.creator["id"], kind="duet",
                  original_post_id=w.post["id"])
    return f.code(client, w.creator_h, duet["id"])


def test_r15_a_mistyped_original_post_code_says_it_looks_mistyped(client):
    w = f.World(client)
    duet_code = _duet(client, w)
    r = f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]],
               original_post_codes=[substitute(w.code["code"])])
    item = r.json()["results"][0]
    assert item["ok"] is False
    assert "mistyped" in item["error"]["message"], item["error"]


def test_r15_an_unknown_original_post_code_says_not_found(client):
    w = f.World(client)
    duet_code = _duet(client, w)
    r = f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]],
               original_post_codes=[unknown_code()])
    item = r.json()["results"][0]
    assert item["ok"] is False
    assert "no spark code matches" in item["error"]["message"].lower(), item["error"]


def test_r15_a_deleted_original_post_code_is_named(client):
    w = f.World(client)
    duet_code = _duet(client, w)
    assert client.delete(f"/v1/authorizations/{w.code['id']}",
                         headers=w.creator_h).status_code == 200
    r = f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]],
               original_post_codes=[w.code["code"]])
    assert_item_error(r, "original_post_code_invalid", "expired or was deleted")
    assert get_code(client, w.creator_h, duet_code["id"])["status"] == "NOT_USED"



# --- with Spark Ads running (R14, R17, R19 with R20) ----------------------------------------------

def test_r14_a_code_swap_keeps_the_ads_running_under_the_new_window(client):
    w = f.World(client)
    sp = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))["spark_post"]
    ad = live_ad(client, w.brand_h, w.account["id"], sp["id"])
    f.advance(client, w.brand_h, "P29D")  # the brand swaps the code a day before it expires
    newer = f.code(client, w.creator_h, w.post["id"], days=60)
    assert bound_item(f.bind(client, w.brand_h, w.account["id"], [newer["code"]]))[
        "replaced"] is True
    assert delivery(client, w.brand_h, ad["id"])["status"] == "DELIVERING"
    f.advance(client, w.brand_h, "P2D")  # past the old code's end
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "EXPIRED"
    assert delivery(client, w.brand_h, ad["id"])["status"] == "DELIVERING"
    [listed] = spark_posts(client, w.brand_h, w.account["id"])
    assert listed["status"] == "AUTHORIZED" and listed["live_ads"] == 1
    f.advance(client, w.brand_h, "P60D")
    assert delivery(client, w.brand_h, ad["id"])["reasons"] == ["AUTHORIZATION_EXPIRED"]


def test_r17_list_shows_live_ads_and_unbind_is_refused_while_one_runs(client):
    w = f.World(client)
    sp = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))["spark_post"]
    assert sp["live_ads"] == 0 and sp["ads_text"] == "No ads yet."
    ad = live_ad(client, w.brand_h, w.account["id"], sp["id"])
    [listed] = spark_posts(client, w.brand_h, w.account["id"])
    assert listed["live_ads"] == 1 and listed["total_ads"] == 1
    assert listed["ads_text"] == "1 live ad"

    r = client.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp['id']}",
                      headers=w.brand_h)
    error = assert_error(r, 409, "spark_post_in_use",
                         "1 live ad runs on this post; pause or delete it first")
    assert error["details"]["live_ads"] == [ad["id"]]
    assert spark_posts(client, w.brand_h, w.account["id"])[0]["unbound_at"] is None

    pause(client, w.brand_h, ad["id"])
    [listed] = spark_posts(client, w.brand_h, w.account["id"])
    assert listed["live_ads"] == 0 and listed["total_ads"] == 1
    assert listed["ads_text"].startswith("1 stopped: it is paused")
    r = client.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp['id']}",
                      headers=w.brand_h)
    assert r.status_code == 200 and r.json()["status"] == "UNBOUND"
    assert "SPARK_POST_UNBOUND" in delivery(client, w.brand_h, ad["id"])["reasons"]


def test_r17_unbind_is_not_blocked_by_another_ad_accounts_live_ads(client):
    w = f.World(client)
    second = f.code(client, w.creator_h, w.post["id"])
    sp1 = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))["spark_post"]
    sp2 = bound_item(f.bind(client, w.brand_h, w.account2["id"], [second["code"]]))["spark_post"]
    live_ad(client, w.brand_h, w.account2["id"], sp2["id"])
    r = client.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp1['id']}",
                      headers=w.brand_h)
    assert r.status_code == 200, r.text


def test_r19_an_own_post_runs_as_a_tt_user_ad(client):
    brand_h, _, account, _, own, own_post = _own_world(client)
    assert client.post(f"/v1/ad-accounts/{account['id']}/identities", headers=brand_h,
                       json={"creator_id": own["id"]}).status_code == 201
    sp = client.post(f"/v1/ad-accounts/{account['id']}/spark-posts/own", headers=brand_h,
                     json={"post_id": own_post["id"]}).json()
    ad = live_ad(client, brand_h, account["id"], sp["id"])
    assert ad["identity_type"] == "TT_USER" and ad["identity_id"] == own["id"]
    assert ad["delivery"]["status"] == "DELIVERING"
    # Own posts do not depend on the account's ad settings (no code is involved).
    f.advance(client, brand_h, "P400D")
    assert delivery(client, brand_h, ad["id"])["status"] == "DELIVERING"
