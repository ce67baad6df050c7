"""Code requests (R25): the brand withdraws a pending request, and one ad account has at most one
open request per post. Both are guarded in the database: withdrawing racing accepting has exactly
one winner, and concurrent asks make one request."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from sparkcodes.kit.sealing import WEBHOOK_INFO, Sealer
from tests import factories as f
from tests.code_request.test_code_requests import answer, ask, codes_of_post, tick
from tests.integration._http import assert_error, notifications, parallel, spark_posts, ts
from tests.migrations import KINDS, migrating

ROUNDS = 5


@pytest.fixture
def w(client):  # type: ignore[no-untyped-def]
    return f.World(client)


def cancel(client, headers, request_id: str):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/code-requests/{request_id}/cancel", headers=headers)


def listed(client, w, status: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [x["id"] for x in client.get(f"/v1/ad-accounts/{w.account['id']}/code-requests",
                                        headers=w.brand_h, params={"status": status}).json()]


def _when(value: str) -> str:
    return f"{ts(value):%Y-%m-%d %H:%M} UTC"


# --- withdrawing ---------------------------------------------------------------------------------

def test_the_brand_withdraws_a_pending_request_and_the_creator_is_told(client, w):
    req = ask(client, w.brand_h, w.account["id"], w.post["id"], 60).json()
    before = codes_of_post(client, w.creator_h, w.post["id"])
    r = cancel(client, w.brand_h, req["id"])
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "cancelled" and done["cancelled_at"] is not None
    assert done["accepted_at"] is None and done["declined_at"] is None
    assert done["authorization_id"] is None

    told = notifications(client, w.creator_h)[-1]
    assert told["event_type"] == "code_request.cancelled"
    assert "withdrew its code request" in told["title"]
    assert "60-day code" in told["body"] and "nothing to answer" in told["body"]
    assert told["data"]["code_request_id"] == req["id"]
    assert told["data"]["status"] == "cancelled"
    assert "code_request.cancelled" not in [n["event_type"]
                                            for n in notifications(client, w.brand_h)]
    history = client.get(f"/v1/businesses/{w.business['id']}/history", headers=w.brand_h,
                         params={"limit": 500}).json()
    audited = [h for h in history if h["action"] == "code_request.cancelled"]
    assert [h["target_id"] for h in audited] == [req["id"]]

    assert listed(client, w, "cancelled") == [req["id"]]
    assert listed(client, w, "pending") == [] and listed(client, w, "expired") == []
    pending = client.get(f"/v1/creators/{w.creator['id']}/code-requests", headers=w.creator_h,
                         params={"status": "pending"}).json()
    assert pending == []

    # Nothing is left to answer, nor to withdraw again.
    withdrew = f"withdrew this code request on {_when(done['cancelled_at'])}"
    assert_error(answer(client, w.creator_h, req["id"], "accept"), 409, "code_request_cancelled",
                 withdrew)
    assert_error(answer(client, w.creator_h, req["id"], "decline", reason="too late"), 409,
                 "code_request_cancelled", "nothing left to answer")
    assert_error(cancel(client, w.brand_h, req["id"]), 409, "code_request_cancelled", withdrew)
    assert codes_of_post(client, w.creator_h, w.post["id"]) == before
    assert spark_posts(client, w.brand_h, w.account["id"]) == []


def test_what_cannot_be_withdrawn(client, w):
    accepted = ask(client, w.brand_h, w.account["id"], w.post["id"]).json()
    assert answer(client, w.creator_h, accepted["id"], "accept").status_code == 200
    assert_error(cancel(client, w.brand_h, accepted["id"]), 409, "code_request_answered",
                 "already accepted")
    declined = ask(client, w.brand_h, w.account["id"], w.post["id"]).json()
    assert answer(client, w.creator_h, declined["id"], "decline",
                  reason="No.").status_code == 200
    assert_error(cancel(client, w.brand_h, declined["id"]), 409, "code_request_answered",
                 "already declined")
    lapsed = ask(client, w.brand_h, w.account["id"], w.post["id"], expires_in_days=1).json()
    f.advance(client, w.brand_h, "P1DT1M")
    assert_error(cancel(client, w.brand_h, lapsed["id"]), 410, "code_request_expired",
                 f"expired on {_when(lapsed['expires_at'])} without an answer")
    assert listed(client, w, "accepted") == [accepted["id"]]
    assert listed(client, w, "declined") == [declined["id"]]
    assert listed(client, w, "expired") == [lapsed["id"]]


def test_a_withdrawn_request_never_expires_and_the_brand_is_not_told_it_did(client, app, w):
    req = ask(client, w.brand_h, w.account["id"], w.post["id"], expires_in_days=1).json()
    assert cancel(client, w.brand_h, req["id"]).status_code == 200
    f.advance(client, w.brand_h, "P2D")
    tick(app)
    tick(app)
    assert listed(client, w, "cancelled") == [req["id"]] and listed(client, w, "expired") == []
    assert "code_request.expired" not in [n["event_type"]
                                          for n in notifications(client, w.brand_h)]


def test_who_may_withdraw(client, w):
    acc = w.account["id"]
    req = ask(client, w.brand_h, acc, w.post["id"]).json()
    stranger = f.user(client)
    for headers in (stranger, w.creator_h):  # the creator answers; only the brand withdraws
        assert_error(cancel(client, headers, req["id"]), 404, "not_found",
                     "no such code request")
    assert_error(cancel(client, w.brand_h, "e" * 32), 404, "not_found", "no such code request")
    analyst = f.member(client, w.brand_h, w.business["id"], "analyst")
    assert_error(cancel(client, analyst, req["id"]), 403, "role_insufficient",
                 "needs operator or higher")
    assert listed(client, w, "pending") == [req["id"]]
    operator = f.member(client, w.brand_h, w.business["id"], "operator")
    r = cancel(client, operator, req["id"])
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text


def test_withdraw_racing_accept_has_exactly_one_winner(client, live_url, w):
    outcomes = {"accepted": 0, "cancelled": 0}
    for _ in range(ROUNDS):
        req = ask(client, w.brand_h, w.account["id"], w.post["id"]).json()
        acc, can = parallel(live_url, [
            lambda http, rid=req["id"]: answer(http, w.creator_h, rid, "accept"),
            lambda http, rid=req["id"]: cancel(http, w.brand_h, rid),
        ])
        assert sorted([acc.status_code, can.status_code]) == [200, 409], [acc.text, can.text]
        if acc.status_code == 200:
            assert can.json()["error"]["code"] == "code_request_answered", can.text
            assert acc.json()["status"] == "accepted" and acc.json()["authorization_id"]
            outcomes["accepted"] += 1
        else:
            assert acc.json()["error"]["code"] == "code_request_cancelled", acc.text
            assert can.json()["status"] == "cancelled"
            outcomes["cancelled"] += 1
        state = client.get(f"/v1/ad-accounts/{w.account['id']}/code-requests",
                           headers=w.brand_h).json()
        mine = next(x for x in state if x["id"] == req["id"])
        assert (mine["accepted_at"] is None) != (mine["cancelled_at"] is None), mine
    made = [c for c in codes_of_post(client, w.creator_h, w.post["id"])
            if c["id"] != w.code["id"]]
    assert len(made) == outcomes["accepted"]  # a withdrawn request made no code
    assert len(listed(client, w, "accepted")) == outcomes["accepted"]
    assert len(listed(client, w, "cancelled")) == outcomes["cancelled"]


# --- one open request per post and ad account ---------------------------------------------------

def test_a_second_request_for_the_same_post_waits_for_the_first(client, w):
    acc = w.account["id"]
    first = ask(client, w.brand_h, acc, w.post["id"], expires_in_days=3).json()
    r = ask(client, w.brand_h, acc, w.post["id"], 7)
    error = assert_error(r, 409, "code_request_already_pending",
                         "already asked for a code on this post")
    assert error["message"] == (
        "This ad account already asked for a code on this post; the request is open until "
        f"{_when(first['expires_at'])}. Withdraw it to ask again.")
    assert listed(client, w, "pending") == [first["id"]]
    # Another ad account of the brand, and another post, are separate.
    assert ask(client, w.brand_h, w.account2["id"], w.post["id"]).status_code == 201
    other = f.post(client, w.creator_h, w.creator["id"])
    assert ask(client, w.brand_h, acc, other["id"]).status_code == 201
    # Once it is withdrawn, declined, accepted or expired, the brand can ask again.
    assert cancel(client, w.brand_h, first["id"]).status_code == 200
    second = ask(client, w.brand_h, acc, w.post["id"]).json()
    assert answer(client, w.creator_h, second["id"], "decline", reason="No.").status_code == 200
    third = ask(client, w.brand_h, acc, w.post["id"], expires_in_days=1).json()
    assert_error(ask(client, w.brand_h, acc, w.post["id"]), 409,
                 "code_request_already_pending", _when(third["expires_at"]))
    f.advance(client, w.brand_h, "P1D")  # it expires at exactly its end
    fourth = ask(client, w.brand_h, acc, w.post["id"]).json()
    assert answer(client, w.creator_h, fourth["id"], "accept").status_code == 200
    assert ask(client, w.brand_h, acc, w.post["id"]).status_code == 201


def test_concurrent_requests_for_one_post_make_one(client, live_url, w):
    attempts = 8
    for _ in range(3):
        responses = parallel(live_url, [
            (lambda http: ask(http, w.brand_h, w.account["id"], w.post["id"]))
            for _ in range(attempts)
        ])
        codes = sorted(r.status_code for r in responses)
        assert codes == [201] + [409] * (attempts - 1), [r.text for r in responses]
        assert {f.error_code(r) for r in responses if r.status_code == 409} == \
            {"code_request_already_pending"}
        (made,) = [r.json() for r in responses if r.status_code == 201]
        assert listed(client, w, "pending") == [made["id"]]
        assert cancel(client, w.brand_h, made["id"]).status_code == 200
    assert len(listed(client, w, "cancelled")) == 3
    told = [n for n in notifications(client, w.creator_h)
            if n["event_type"] == "code_request.created"]
    assert len(told) == 3  # the refused attempts told the creator nothing


# --- the migration ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_migration_0005_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    with migrating(kind, tmp_path) as db:

        def columns() -> set[str]:
            return db.columns("code_requests")

        def foreign_keys() -> set[str]:
            return {fk["name"] for fk in inspect(db.engine).get_foreign_keys("code_requests")}

        db.upgrade("head")
        assert {"cancelled_at", "cancelled_by_id"} <= columns()
        assert "fk_code_requests_cancelled_by_id_users" in foreign_keys()
        db.assert_matches_models()
        db.downgrade("0004")
        assert not {"cancelled_at", "cancelled_by_id"} & columns()
        assert "fk_code_requests_cancelled_by_id_users" not in foreign_keys()
        db.upgrade("head")
        assert {"cancelled_at", "cancelled_by_id"} <= columns()


@pytest.mark.parametrize("kind", KINDS)
def test_migration_0006_upgrades_and_downgrades(kind, tmp_path):  # type: ignore[no-untyped-def]
    """0006: webhook_endpoints.previous_secret and previous_secret_expires_at (secret rotation),
    with an endpoint's row and secret kept through the round trip (sealed from 0015 on)."""
    added = {"previous_secret", "previous_secret_expires_at"}
    key = "migration-key"
    with migrating(kind, tmp_path, secret_key=key) as db:
        engine = db.engine

        def columns() -> set[str]:
            return db.columns("webhook_endpoints")

        db.upgrade("0005")
        assert not added & columns()
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, created_at) "
                "VALUES ('u1', 'a@example.com', 'A', 'x', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO businesses (id, name, created_by_id, created_at) "
                "VALUES ('b1', 'Biz', 'u1', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO webhook_endpoints (id, business_id, url, description, secret, "
                "event_types, created_by_id, created_at) VALUES ('e1', 'b1', "
                "'https://example.com/h', '', 'whsec_old', '[]', 'u1', CURRENT_TIMESTAMP)"))
        db.upgrade("0006")
        assert added <= columns()

        def endpoint_row() -> tuple[str, str | None, object]:
            with engine.connect() as conn:
                secret, previous, expires = conn.execute(text(
                    "SELECT secret, previous_secret, previous_secret_expires_at "
                    "FROM webhook_endpoints WHERE id = 'e1'")).one()
            return secret, previous, expires

        assert endpoint_row() == ("whsec_old", None, None)
        db.upgrade("head")  # the schema the models describe
        sealed, previous, expires = endpoint_row()
        assert Sealer(key, info=WEBHOOK_INFO).open(sealed) == "whsec_old"  # sealed by 0015
        assert (previous, expires) == (None, None)
        db.assert_matches_models()
        db.downgrade("0005")
        assert not added & columns()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT secret FROM webhook_endpoints")).scalar_one() \
                == "whsec_old"
        db.upgrade("head")
        assert added <= columns()
