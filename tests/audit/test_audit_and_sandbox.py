"""The audit trail (one row per state change, with actor and request id) and the sandbox clock."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from sparkcodes.app import create_app
from tests import factories as f
from tests.integration._http import (
    assert_error,
    bound_item,
     # noqa: F401  (autouse fixture)
    get_code,
    history,
    take_down,
    ts,
)

ACTION = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
DAY = 86_400


def rid(label: str) -> dict[str, str]:
    return {"X-Request-ID": f"{label}-{uuid.uuid4().hex[:12]}"}


def me(client, headers) -> str:  # type: ignore[no-untyped-def]
    return client.get("/v1/me", headers=headers).json()["id"]


def find(events: list[dict], request: dict[str, str]) -> list[dict]:
    return [e for e in events if e["request_id"] == request["X-Request-ID"]]


def one(events: list[dict], request: dict[str, str], action: str, target_id: str,
        actor_id: str) -> dict:
    rows = find(events, request)
    assert [e["action"] for e in rows] == [action], rows
    row = rows[0]
    assert ACTION.match(row["action"]), row
    assert row["target_id"] == target_id and row["actor_id"] == actor_id, row
    return row


# --- audit ----------------------------------------------------------------------------------------

def test_every_state_change_writes_one_audit_row_with_its_request_id(client):
    creator_h = f.user(client)
    brand_h = f.user(client)
    creator_user, brand_user = me(client, creator_h), me(client, brand_h)

    def cx(label: str) -> dict[str, str]:
        return {**creator_h, **rid(label)}

    def bx(label: str) -> dict[str, str]:
        return {**brand_h, **rid(label)}

    checks: list[tuple[str, dict[str, str], str, str, str]] = []  # history, request, action, ...

    def expect(scope: str, request: dict[str, str], action: str, target: str, actor: str,
               response) -> None:  # type: ignore[no-untyped-def]
        assert response.status_code < 300, (action, response.text)
        assert response.headers["x-request-id"] == request["X-Request-ID"]
        checks.append((scope, request, action, target, actor))

    # Creator side.
    h = cx("creator")
    r = client.post("/v1/creators", headers=h,
                    json={"handle": "audit.me", "display_name": "A", "region": "US"})
    creator = r.json()
    expect("creator", h, "creator.created", creator["id"], creator_user, r)
    h = cx("ad-settings")
    r = client.put(f"/v1/creators/{creator['id']}/ad-settings", headers=h,
                   json={"enabled": True, "accept_terms": True})
    expect("creator", h, "creator.ad_settings_changed", creator["id"], creator_user, r)
    h = cx("post")
    r = client.post(f"/v1/creators/{creator['id']}/posts", headers=h, json={"caption": "one"})
    post = r.json()
    expect("post", h, "post.created", post["id"], creator_user, r)
    h = cx("edit")
    r = client.patch(f"/v1/posts/{post['id']}", headers=h, json={"visibility": "friends"})
    expect("post", h, "post.edited", post["id"], creator_user, r)
    h = cx("revise")
    r = client.patch(f"/v1/posts/{post['id']}", headers=h, json={"sound": "licensed"})
    expect("post", h, "post.revised", post["id"], creator_user, r)
    h = cx("generate")
    r = client.post(f"/v1/posts/{post['id']}/authorizations", headers=h, json={})
    code = r.json()
    expect("authorization", h, "authorization.created", code["id"], creator_user, r)
    h = cx("extend")
    r = client.post(f"/v1/authorizations/{code['id']}/extend", headers=h, json={"days": 7})
    expect("authorization", h, "authorization.extended", code["id"], creator_user, r)
    spare = f.code(client, creator_h, post["id"])
    h = cx("regenerate")
    r = client.post(f"/v1/authorizations/{spare['id']}/regenerate", headers=h)
    spare_raw = r.json()["code"]
    expect("authorization", h, "authorization.regenerated", spare["id"], creator_user, r)
    doomed = f.post(client, creator_h, creator["id"])
    h = cx("delete-post")
    r = client.delete(f"/v1/posts/{doomed['id']}", headers=h)
    expect("post", h, "post.deleted", doomed["id"], creator_user, r)
    banned = f.post(client, creator_h, creator["id"])
    h = cx("take-down")
    r = client.post(f"/v1/sandbox/posts/{banned['id']}/take-down", headers=h, json={})
    expect("post", h, "post.taken_down", banned["id"], creator_user, r)

    # Advertiser side.
    h = bx("business")
    r = client.post("/v1/businesses", headers=h, json={"name": "Audit Co"})
    business = r.json()
    expect("business", h, "business.created", business["id"], brand_user, r)
    h = bx("ad-account")
    r = client.post(f"/v1/businesses/{business['id']}/ad-accounts", headers=h,
                    json={"name": "Main"})
    account = r.json()
    expect("business", h, "ad_account.created", account["id"], brand_user, r)
    colleague_email = f"colleague-{uuid.uuid4().hex[:8]}@example.com"
    f.user(client, email=colleague_email)
    h = bx("member-add")
    r = client.put(f"/v1/businesses/{business['id']}/members", headers=h,
                   json={"email": colleague_email, "role": "analyst"})
    colleague = r.json()["user_id"]
    expect("business", h, "member.added", business["id"], brand_user, r)
    h = bx("member-role")
    r = client.put(f"/v1/businesses/{business['id']}/members", headers=h,
                   json={"email": colleague_email, "role": "operator"})
    expect("business", h, "member.role_changed", business["id"], brand_user, r)
    h = bx("member-remove")
    r = client.delete(f"/v1/businesses/{business['id']}/members/{colleague}", headers=h)
    expect("business", h, "member.removed", business["id"], brand_user, r)
    h = bx("bind")
    r = f.bind(client, h, account["id"], [code["code"]])
    sp = bound_item(r)["spark_post"]
    expect("spark_post", h, "spark_post.bound", sp["id"], brand_user, r)
    checks.append(("authorization", h, "authorization.bound", code["id"], brand_user))
    h = bx("replace")
    r = f.bind(client, h, account["id"], [spare_raw])
    assert bound_item(r)["replaced"] is True
    expect("spark_post", h, "spark_post.code_replaced", sp["id"], brand_user, r)
    checks.append(("authorization", h, "authorization.bound", spare["id"], brand_user))
    h = bx("unbind")
    r = client.delete(f"/v1/ad-accounts/{account['id']}/spark-posts/{sp['id']}", headers=h)
    expect("spark_post", h, "spark_post.unbound", sp["id"], brand_user, r)
    own = f.creator(client, brand_h)
    h = bx("link")
    r = client.post(f"/v1/ad-accounts/{account['id']}/identities", headers=h,
                    json={"creator_id": own["id"]})
    expect("business", h, "identity.linked", account["id"], brand_user, r)
    own_post = f.post(client, brand_h, own["id"])
    h = bx("own-post")
    r = client.post(f"/v1/ad-accounts/{account['id']}/spark-posts/own", headers=h,
                    json={"post_id": own_post["id"]})
    expect("spark_post", h, "spark_post.bound", r.json()["id"], brand_user, r)
    h = cx("delete-code")
    r = client.delete(f"/v1/authorizations/{code['id']}", headers=h)
    expect("authorization", h, "authorization.deleted", code["id"], creator_user, r)

    # Every change is in the trail, exactly once, under its request id, actor and target.
    creator_events = history(client, creator_h, f"/v1/creators/{creator['id']}/history")
    business_events = history(client, brand_h, f"/v1/businesses/{business['id']}/history")
    for scope, request, action, target, actor in checks:
        if scope == "creator":
            events = creator_events
        elif scope == "business":
            events = business_events
        elif scope == "post":
            events = history(client, creator_h, f"/v1/posts/{target}/history")
        elif scope == "authorization":
            events = history(client, creator_h, f"/v1/authorizations/{target}/history")
        else:
            events = history(client, brand_h,
                             f"/v1/ad-accounts/{account['id']}/spark-posts/{target}/history")
        rows = [e for e in find(events, request) if e["action"] == action]
        assert len(rows) == 1, (action, find(events, request))
        assert rows[0]["target_id"] == target and rows[0]["actor_id"] == actor, rows[0]
    # The creator sees what brands did with its codes; the brand sees it too.
    for events in (creator_events, business_events):
        assert {"spark_post.bound", "authorization.bound", "spark_post.code_replaced",
                "spark_post.unbound"} <= {e["action"] for e in events}
    everything = creator_events + business_events
    assert all(ACTION.match(e["action"]) for e in everything)
    # Scoped histories are newest first.
    stamps = [ts(e["occurred_at"]) for e in business_events]
    assert stamps == sorted(stamps, reverse=True)


def test_audit_rows_carry_before_and_after(client):
    w = f.World(client)
    h = {**w.creator_h, **rid("extend")}
    r = client.post(f"/v1/authorizations/{w.code['id']}/extend", headers=h, json={"days": 30})
    assert r.status_code == 200
    row = one(history(client, w.creator_h, f"/v1/authorizations/{w.code['id']}/history"), h,
              "authorization.extended", w.code["id"], me(client, w.creator_h))
    assert ts(row["details"]["before"]["expires_at"]) == ts(w.code["expires_at"])
    assert ts(row["details"]["after"]["expires_at"]) == ts(r.json()["expires_at"])
    assert row["details"]["after"]["days"] == 30 and row["details"]["was_expired"] is False
    created = history(client, w.creator_h, f"/v1/authorizations/{w.code['id']}/history")[0]
    assert created["action"] == "authorization.created"
    assert created["details"]["after"]["code_hint"] == w.code["code_hint"][6:10]
    assert "code" not in created["details"]["after"]


def test_refused_requests_and_failed_batch_items_write_no_audit_row(client):
    w = f.World(client)
    year = f.code(client, w.creator_h, w.post["id"], days=365)
    refused = []
    h = {**w.creator_h, **rid("too-long")}
    assert client.post(f"/v1/authorizations/{year['id']}/extend", headers=h,
                       json={"days": 30}).status_code == 409
    refused.append(h)
    h = {**w.creator_h, **rid("caption")}
    assert client.patch(f"/v1/posts/{w.post['id']}", headers=h,
                        json={"caption": "changed"}).status_code == 409
    refused.append(h)
    h = {**w.creator_h, **rid("terms")}
    fresh = f.creator(client, w.creator_h, enabled=False)
    assert client.put(f"/v1/creators/{fresh['id']}/ad-settings", headers=h,
                      json={"enabled": True}).status_code == 409
    refused.append(h)
    bound_item(f.bind(client, w.brand_h, w.account2["id"], [year["code"]]))
    h = {**w.brand_h, **rid("batch")}
    r = f.bind(client, h, w.account["id"], [w.code["code"], year["code"]])
    assert [i["ok"] for i in r.json()["results"]] == [True, False]

    creator_events = history(client, w.creator_h, f"/v1/creators/{w.creator['id']}/history")
    fresh_events = history(client, w.creator_h, f"/v1/creators/{fresh['id']}/history")
    business_events = history(client, w.brand_h, f"/v1/businesses/{w.business['id']}/history")
    for request in refused:
        assert find(creator_events + fresh_events + business_events, request) == []
    batch_rows = find(business_events, h)
    assert sorted(e["action"] for e in batch_rows) == ["authorization.bound", "spark_post.bound"]
    assert {e["target_id"] for e in batch_rows if e["action"] == "authorization.bound"} == {
        w.code["id"]}
    year_rows = history(client, w.creator_h, f"/v1/authorizations/{year['id']}/history")
    assert [e["action"] for e in year_rows] == ["authorization.created", "authorization.bound"]


def test_a_request_id_is_made_when_none_is_sent(client):
    h = f.user(client)
    r = client.post("/v1/creators", headers=h,
                    json={"handle": "no.rid", "display_name": "", "region": "US"})
    made = r.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    [row] = history(client, h, f"/v1/creators/{r.json()['id']}/history")
    assert row["action"] == "creator.created" and row["request_id"] == made
    long_id = "r" * 100
    r = client.put(f"/v1/creators/{r.json()['id']}/ad-settings",
                   headers={**h, "X-Request-ID": long_id},
                   json={"enabled": True, "accept_terms": True})
    assert r.headers["x-request-id"] == long_id[:64]
    newest = history(client, h, f"/v1/creators/{r.json()['id']}/history")[0]
    assert newest["action"] == "creator.ad_settings_changed"
    assert newest["request_id"] == long_id[:64]
    assert newest["details"]["after"]["enabled"] is True
    assert newest["details"]["after"]["terms_accepted_at"] is not None


def test_histories_are_private(client):
    w = f.World(client)
    for headers, url in [
        (w.brand_h, f"/v1/creators/{w.creator['id']}/history"),
        (w.brand_h, f"/v1/posts/{w.post['id']}/history"),
        (w.brand_h, f"/v1/authorizations/{w.code['id']}/history"),
        (w.creator_h, f"/v1/businesses/{w.business['id']}/history"),
    ]:
        r = client.get(url, headers=headers)
        assert r.status_code == 404, (url, r.text)
        assert r.json()["error"]["code"] == "not_found"


# --- sandbox clock --------------------------------------------------------------------------------

def test_sandbox_clock_reads_and_advances(client):
    h = f.user(client)
    r = client.get("/v1/sandbox/clock", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["offset_seconds"] == 0
    assert abs(ts(r.json()["now"]) - datetime.now(UTC)) < timedelta(seconds=5)
    post = f.post(client, h, f.creator(client, h)["id"])
    code = f.code(client, h, post["id"])

    r = client.post("/v1/sandbox/clock", headers=h, json={"advance": "P31D"})
    assert r.status_code == 200, r.text
    assert abs(r.json()["offset_seconds"] - 31 * DAY) < 5
    assert abs(ts(r.json()["now"]) - (datetime.now(UTC) + timedelta(days=31))) < timedelta(
        seconds=5)
    got = client.get("/v1/sandbox/clock", headers=h).json()
    assert abs(got["offset_seconds"] - 31 * DAY) < 5
    # The whole service reads the moved clock.
    assert get_code(client, h, code["id"])["status"] == "EXPIRED"

    r = client.post("/v1/sandbox/clock", headers=h, json={"advance": "PT6H"})
    assert abs(r.json()["offset_seconds"] - (31 * DAY + 6 * 3600)) < 5


def test_sandbox_clock_can_be_set_to_a_later_instant(client):
    h = f.user(client)
    target = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    r = client.post("/v1/sandbox/clock", headers=h, json={"set": target.isoformat()})
    assert r.status_code == 200, r.text
    assert timedelta(0) <= ts(r.json()["now"]) - target < timedelta(seconds=5)
    assert abs(r.json()["offset_seconds"] - 10 * DAY) < 5
    r = client.post("/v1/sandbox/clock", headers=h,
                    json={"set": (target + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert r.status_code == 200, r.text
    assert abs(r.json()["offset_seconds"] - 11 * DAY) < 5


@pytest.mark.parametrize("body, code, words", [
    ({"advance": "-P1D"}, "clock_backwards", "only moves forward"),
    ({"advance": "PT0S"}, "clock_backwards", "positive duration"),
    ({"set": "2001-01-01T00:00:00Z"}, "clock_backwards", "only moves forward"),
    ({}, "invalid_clock_move", "exactly one of 'advance' or 'set'"),
    ({"advance": "P1D", "set": "2999-01-01T00:00:00Z"}, "invalid_clock_move", "exactly one"),
    ({"set": "2999-01-01T00:00:00"}, "invalid_clock_move", "with its offset"),
    ({"advance": "P4000D"}, "invalid_clock_move", "at most ten years"),
    ({"advance": "soon"}, "validation_error", "advance"),
])
def test_sandbox_clock_refuses_bad_moves(client, body, code, words):
    h = f.user(client)
    f.advance(client, h, "P1D")
    before = client.get("/v1/sandbox/clock", headers=h).json()["offset_seconds"]
    assert_error(client.post("/v1/sandbox/clock", headers=h, json=body), 422, code, words)
    after = client.get("/v1/sandbox/clock", headers=h).json()["offset_seconds"]
    assert after == before


def test_sandbox_clock_set_backwards_after_advancing(client):
    h = f.user(client)
    f.advance(client, h, "P31D")
    r = client.post("/v1/sandbox/clock", headers=h,
                    json={"set": (datetime.now(UTC) + timedelta(days=2)).isoformat()})
    assert_error(r, 422, "clock_backwards", "it reads")


def test_sandbox_clock_needs_sign_in(client):
    assert_error(client.get("/v1/sandbox/clock"), 401, "unauthorized", "Sign in first")
    assert_error(client.post("/v1/sandbox/clock", json={"advance": "P1D"}), 401, "unauthorized",
                 "Sign in first")


def test_sandbox_routes_do_not_exist_outside_sandbox_mode(client, backend):
    h = f.user(client)
    post = f.post(client, h, f.creator(client, h)["id"])
    app = create_app(backend.settings(sandbox=False))
    with TestClient(app, raise_server_exceptions=False) as prod:
        assert prod.get("/v1/me", headers=h).status_code == 200  # same database, same token
        for method, url, body in [
            ("GET", "/v1/sandbox/clock", None),
            ("POST", "/v1/sandbox/clock", {"advance": "P31D"}),
            ("POST", f"/v1/sandbox/posts/{post['id']}/take-down", {"reason": "x"}),
        ]:
            r = prod.request(method, url, headers=h, json=body)
            assert_error(r, 404, "not_found", "No such route")
        paths = prod.get("/openapi.json").json()["paths"]
        assert not [p for p in paths if p.startswith("/v1/sandbox")]
    got = client.get(f"/v1/posts/{post['id']}", headers=h).json()
    assert got["taken_down_at"] is None
    assert client.get("/v1/sandbox/clock", headers=h).json()["offset_seconds"] == 0


def test_sandbox_take_down_is_audited_with_its_reason(client):
    w = f.World(client)
    h = {**w.creator_h, **rid("takedown")}
    r = client.post(f"/v1/sandbox/posts/{w.post['id']}/take-down", headers=h,
                    json={"reason": "Counterfeit goods"})
    assert r.status_code == 200, r.text
    row = one(history(client, w.creator_h, f"/v1/posts/{w.post['id']}/history"), h,
              "post.taken_down", w.post["id"], me(client, w.creator_h))
    assert row["details"]["reason"] == "Counterfeit goods"
    assert take_down(client, w.creator_h, w.post["id"])["reason"] == "Counterfeit goods"
    r = client.post(f"/v1/sandbox/posts/{w.post['id']}/take-down", headers=w.creator_h,
                    json={"reason": ""})
    assert_error(r, 422, "validation_error", "reason")
