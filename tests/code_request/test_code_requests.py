"""Code requests (R25): a brand asks a creator for a code on a post; accepting generates the code
and binds it to the requesting ad account in one transaction, and the raw code never exists
anywhere but inside that transaction."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from sparkcodes.kit import crypto
from sparkcodes.models import Authorization, Base
from sparkcodes.worker.runner import Runner
from tests import factories as f
from tests.integration._http import (
    assert_error,
    delivery,
    live_ad,
    notifications,
    parallel,
    spark_posts,
    ts,
)


def ask(client, headers, account_id: str, post_id: str, days: int = 30, **extra):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/ad-accounts/{account_id}/code-requests", headers=headers,
                       json={"post_id": post_id, "days": days, **extra})


def answer(client, headers, request_id: str, verb: str, **body):  # type: ignore[no-untyped-def]
    kwargs = {"json": body} if body else {}
    return client.post(f"/v1/code-requests/{request_id}/{verb}", headers=headers, **kwargs)



def codes_of_post(client, headers, post_id: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return client.get(f"/v1/posts/{post_id}/authorizations", headers=headers).json()


def tick(app) -> None:  # type: ignore[no-untyped-def]
    Runner(app.state.db, app.state.settings, worker_id="test").tick()


@pytest.fixture
def w(client):  # type: ignore[no-untyped-def]
    return f.World(client)


def test_accepting_binds_a_new_code_to_the_requesting_ad_account(client, w):
    r = ask(client, w.brand_h, w.account["id"], w.post["id"], 60, fee="250", currency="eur",
            terms="Paid usage for 60 days, no edits.")
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "pending" and req["days"] == 60
    assert (req["fee"], req["currency"]) == ("250.00", "EUR")
    assert ts(req["expires_at"]) - ts(req["created_at"]) == timedelta(days=7)
    assert req["authorization_id"] is None and req["code_hint"] is None
    told = notifications(client, w.creator_h)[-1]
    assert told["event_type"] == "code_request.created"
    assert "250.00 EUR" in told["body"] and "no edits" in told["body"]

    mine = client.get(f"/v1/creators/{w.creator['id']}/code-requests", headers=w.creator_h,
                      params={"status": "pending"}).json()
    assert [x["id"] for x in mine] == [req["id"]]
    before = {c["id"] for c in codes_of_post(client, w.creator_h, w.post["id"])}

    r = answer(client, w.creator_h, req["id"], "accept")
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "accepted" and done["spark_post_id"]
    assert done["code_hint"].startswith("SPARK-") and done["code_hint"].endswith("-…")
    assert "code" not in done
    new = [c for c in codes_of_post(client, w.creator_h, w.post["id"]) if c["id"] not in before]
    assert [c["id"] for c in new] == [done["authorization_id"]]
    assert new[0]["status"] == "IN_USE" and new[0]["days"] == 60
    assert new[0]["used_by"]["ad_account_id"] == w.account["id"]

    # The brand holds the post now, and can run it at once.
    held = spark_posts(client, w.brand_h, w.account["id"])
    assert [s["id"] for s in held] == [done["spark_post_id"]]
    assert held[0]["authorization_id"] == done["authorization_id"]
    assert held[0]["code_hint"] == done["code_hint"]
    ad = live_ad(client, w.brand_h, w.account["id"], done["spark_post_id"])
    assert delivery(client, w.brand_h, ad["id"])["status"] == "DELIVERING"
    told = notifications(client, w.brand_h)[-1]
    assert told["event_type"] == "code_request.accepted"
    assert told["data"]["spark_post_id"] == done["spark_post_id"]
    listed = client.get(f"/v1/ad-accounts/{w.account['id']}/code-requests",
                        headers=w.brand_h, params={"status": "accepted"}).json()
    assert [(x["id"], x["spark_post_id"]) for x in listed] == [(req["id"],
                                                                done["spark_post_id"])]
    assert_error(answer(client, w.creator_h, req["id"], "accept"), 409, "code_request_answered",
                 "already accepted")
    assert_error(answer(client, w.creator_h, req["id"], "decline", reason="changed my mind"),
                 409, "code_request_answered", "already accepted")


def test_the_raw_code_is_nowhere_the_brand_or_anyone_can_read(client, app, w, monkeypatch,
                                                              caplog):
    caplog.set_level(logging.DEBUG)
    made: list[str] = []
    real = crypto.new_code

    def recording() -> str:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(crypto, "new_code", recording)
    req = ask(client, w.brand_h, w.account["id"], w.post["id"], 30, terms="t").json()
    accepted = answer(client, w.creator_h, req["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    (raw,) = made
    # It is a real code, and it is the one bound to the brand's ad account.
    with app.state.db.unit_of_work(write=False) as s:
        a = s.get(Authorization, accepted.json()["authorization_id"])
        assert a.code_hash == crypto.hash_code(app.state.settings.secret_key,
                                               crypto.parse_code(raw))
        assert a.ad_account_id == w.account["id"]
    tick(app)  # the worker sends e-mails and webhooks: its logs count too
    body = raw.split("-", 1)[1]
    needles = {raw, raw.lower(), body, body.replace("-", ""), body.replace("-", "").lower()}

    texts = [accepted.text]
    for headers, path in [
        (w.brand_h, f"/v1/ad-accounts/{w.account['id']}/code-requests"),
        (w.brand_h, f"/v1/ad-accounts/{w.account['id']}/spark-posts"),
        (w.brand_h, f"/v1/businesses/{w.business['id']}/history"),
        (w.brand_h, f"/v1/ad-accounts/{w.account['id']}/spark-posts/"
                    f"{accepted.json()['spark_post_id']}/history"),
        (w.brand_h, "/v1/notifications"),
        (w.creator_h, "/v1/notifications"),
        (w.creator_h, f"/v1/creators/{w.creator['id']}/code-requests"),
        (w.creator_h, f"/v1/posts/{w.post['id']}/authorizations"),
        (w.creator_h, f"/v1/authorizations/{accepted.json()['authorization_id']}/history"),
        (w.creator_h, f"/v1/creators/{w.creator['id']}/history"),
    ]:
        r = client.get(path, headers=headers, params={"limit": 500})
        assert r.status_code == 200, (path, r.text)
        texts.append(r.text)
    # Every row of every table: audit rows, notifications, e-mails, webhook messages, jobs...
    with app.state.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                texts.append(f"{table.name}: {row!r}")
        emails = conn.execute(select(Base.metadata.tables["email_messages"])).all()
        hooks = conn.execute(select(Base.metadata.tables["webhook_messages"])).all()
    assert emails and hooks  # the brand and the creator were told: there was something to leak
    texts += [rec.getMessage() for rec in caplog.records]
    texts += [str(rec.args) for rec in caplog.records]
    assert caplog.records  # the logs were captured
    leaks = [t[:200] for t in texts for n in needles if n in t]
    assert not leaks, leaks


def test_accepting_replaces_the_code_of_a_post_the_account_already_holds(client, w):
    sp = f.spark_post_id(client, w.brand_h, w.account["id"], w.code["code"])
    ad = live_ad(client, w.brand_h, w.account["id"], sp)
    req = ask(client, w.brand_h, w.account["id"], w.post["id"], 365).json()
    done = answer(client, w.creator_h, req["id"], "accept").json()
    assert done["spark_post_id"] == sp
    held = spark_posts(client, w.brand_h, w.account["id"])
    assert held[0]["authorization_id"] == done["authorization_id"] != w.code["id"]
    assert held[0]["code_replaced_at"] is not None
    f.advance(client, w.creator_h, "P31D")  # the old code has ended; the ad runs on the new one
    assert delivery(client, w.brand_h, ad["id"])["status"] == "DELIVERING"


def test_what_cannot_be_requested(client, w):
    acc = w.account["id"]
    assert_error(ask(client, w.brand_h, acc, "0" * 32), 404, "not_found", "no such post")
    story = f.post(client, w.creator_h, w.creator["id"], kind="story")
    assert_error(ask(client, w.brand_h, acc, story["id"]), 409, "story_not_supported",
                 "Stories cannot be run as Spark Ads")
    duet_h = f.user(client)
    duet_creator = f.creator(client, duet_h)
    duet = f.post(client, duet_h, duet_creator["id"], kind="duet", original_post_id=w.post["id"])
    assert_error(ask(client, w.brand_h, acc, duet["id"]), 409, "original_post_code_required",
                 "cannot be requested alone")
    far_h = f.user(client)
    far = f.creator(client, far_h, region="AQ")
    assert_error(ask(client, w.brand_h, acc, f.post(client, far_h, far["id"])["id"]), 409,
                 "region_not_supported", "not offered to creator accounts in AQ")
    off_h = f.user(client)
    off = f.creator(client, off_h, enabled=False)
    assert_error(ask(client, w.brand_h, acc, f.post(client, off_h, off["id"])["id"]), 409,
                 "ad_settings_off", "ad settings are off")
    gone = f.post(client, w.creator_h, w.creator["id"])
    assert client.delete(f"/v1/posts/{gone['id']}", headers=w.creator_h).status_code == 200
    assert_error(ask(client, w.brand_h, acc, gone["id"]), 410, "post_unavailable",
                 "deleted by the creator")
    assert_error(ask(client, w.brand_h, acc, w.post["id"], 14), 422, "invalid_period",
                 "14 is not one of them")
    assert_error(ask(client, w.brand_h, acc, w.post["id"], expires_in_days=0), 422,
                 "invalid_expires_in_days", "between 1 and 30")
    assert_error(ask(client, w.brand_h, acc, w.post["id"], currency="E1R"), 422,
                 "invalid_currency", "three-letter")
    assert_error(ask(client, w.brand_h, acc, w.post["id"], fee="-1"), 422, "validation_error",
                 "fee")
    assert_error(client.get(f"/v1/ad-accounts/{acc}/code-requests", headers=w.brand_h,
                            params={"status": "approved"}), 422, "invalid_status",
                 "pending, accepted, declined, expired")
    assert client.get(f"/v1/ad-accounts/{acc}/code-requests", headers=w.brand_h).json() == []


def test_a_refused_accept_leaves_nothing_behind(client, w):
    req = ask(client, w.brand_h, w.account["id"], w.post["id"]).json()
    before = codes_of_post(client, w.creator_h, w.post["id"])
    r = client.put(f"/v1/creators/{w.creator['id']}/ad-settings", headers=w.creator_h,
                   json={"enabled": False})
    assert r.status_code == 200, r.text
    assert_error(answer(client, w.creator_h, req["id"], "accept"), 409, "ad_settings_off",
                 "ad settings are off")
    assert codes_of_post(client, w.creator_h, w.post["id"]) == before
    assert spark_posts(client, w.brand_h, w.account["id"]) == []
    pending = client.get(f"/v1/creators/{w.creator['id']}/code-requests", headers=w.creator_h,
                         params={"status": "pending"}).json()
    assert [x["id"] for x in pending] == [req["id"]]


def test_the_creator_declines_with_a_reason(client, w):
    req = ask(client, w.brand_h, w.account["id"], w.post["id"]).json()
    assert_error(answer(client, w.creator_h, req["id"], "decline", reason=""), 422,
                 "reason_required", "say why you decline")
    r = answer(client, w.creator_h, req["id"], "decline", reason="The fee is too low.")
    assert r.status_code == 200 and r.json()["status"] == "declined", r.text
    told = notifications(client, w.brand_h)[-1]
    assert told["event_type"] == "code_request.declined" and "fee is too low" in told["body"]
    assert_error(answer(client, w.creator_h, req["id"], "accept"), 409, "code_request_answered",
                 "already declined")
    assert spark_posts(client, w.brand_h, w.account["id"]) == []


def test_unanswered_requests_expire_and_the_brand_is_told_once(client, app, w):
    other = f.post(client, w.creator_h, w.creator["id"])  # one open request per post
    short = ask(client, w.brand_h, w.account["id"], w.post["id"], expires_in_days=1).json()
    long = ask(client, w.brand_h, w.account["id"], other["id"], expires_in_days=3).json()
    tick(app)
    assert "code_request.expired" not in [n["event_type"] for n in notifications(client,
                                                                                  w.brand_h)]
    f.advance(client, w.brand_h, "P1DT1M")
    # Status is derived: expired before any sweep ran.
    expired = client.get(f"/v1/creators/{w.creator['id']}/code-requests", headers=w.creator_h,
                         params={"status": "expired"}).json()
    assert [x["id"] for x in expired] == [short["id"]]
    assert_error(answer(client, w.creator_h, short["id"], "accept"), 410,
                 "code_request_expired", "expired on")
    assert_error(answer(client, w.creator_h, short["id"], "decline", reason="late"), 410,
                 "code_request_expired", "the brand can send a new one")
    tick(app)
    tick(app)
    told = [n for n in notifications(client, w.brand_h) if n["event_type"] ==
            "code_request.expired"]
    assert [n["data"]["code_request_id"] for n in told] == [short["id"]]
    history = client.get(f"/v1/businesses/{w.business['id']}/history", headers=w.brand_h,
                         params={"limit": 500}).json()
    assert [h["target_id"] for h in history if h["action"] == "code_request.expired"] == \
        [short["id"]]
    # The other one can still be accepted, then it never expires.
    assert answer(client, w.creator_h, long["id"], "accept").status_code == 200
    f.advance(client, w.brand_h, "P5D")
    tick(app)
    told = [n for n in notifications(client, w.brand_h) if n["event_type"] ==
            "code_request.expired"]
    assert len(told) == 1


def test_overlapping_notices_of_one_expired_request_tell_the_brand_once(app, client, w):
    """Two runs of the notice job (a lease that ran out while the first still worked) race:
    the request's row lock lets exactly one of them tell."""
    import threading

    from sparkcodes.code_request import service
    from sparkcodes.kit.clock import utc_now

    req = ask(client, w.brand_h, w.account["id"], w.post["id"], expires_in_days=1).json()
    f.advance(client, w.brand_h, "P1DT1M")
    barrier = threading.Barrier(3)

    def notice(_: int) -> bool:
        barrier.wait()
        with app.state.db.unit_of_work() as session:
            return service.notify_expired(session, request_id=req["id"], now=utc_now())

    with ThreadPoolExecutor(max_workers=3) as pool:
        assert sorted(pool.map(notice, range(3))) == [False, False, True]
    told = [n for n in notifications(client, w.brand_h) if n["event_type"] ==
            "code_request.expired"]
    assert [n["data"]["code_request_id"] for n in told] == [req["id"]]


def test_access(client, w):
    acc = w.account["id"]
    req = ask(client, w.brand_h, acc, w.post["id"]).json()
    stranger = f.user(client)
    for method, path, body in [
        ("POST", f"/v1/ad-accounts/{acc}/code-requests", {"post_id": w.post["id"], "days": 7}),
        ("GET", f"/v1/ad-accounts/{acc}/code-requests", None),
        ("GET", f"/v1/creators/{w.creator['id']}/code-requests", None),
        ("POST", f"/v1/code-requests/{req['id']}/accept", None),
        ("POST", f"/v1/code-requests/{req['id']}/decline", {"reason": "no"}),
        ("POST", f"/v1/code-requests/{'e' * 32}/accept", None),
    ]:
        r = client.request(method, path, headers=stranger,
                           **({"json": body} if body is not None else {}))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (path, r.text)
    # The brand cannot accept its own request; the creator cannot read the ad account's list.
    assert_error(answer(client, w.brand_h, req["id"], "accept"), 404, "not_found",
                 "no such code request")
    assert_error(client.get(f"/v1/ad-accounts/{acc}/code-requests", headers=w.creator_h), 404,
                 "not_found", "no such ad account")
    analyst = f.member(client, w.brand_h, w.business["id"], "analyst")
    assert client.get(f"/v1/ad-accounts/{acc}/code-requests", headers=analyst).status_code == 200
    assert_error(ask(client, analyst, acc, w.post["id"]), 403, "role_insufficient",
                 "needs operator or higher")
    operator = f.member(client, w.brand_h, w.business["id"], "operator")
    other_post = f.post(client, w.creator_h, w.creator["id"])  # one open request per post
    assert ask(client, operator, acc, other_post["id"]).status_code == 201
    other_h = f.user(client)
    other = f.creator(client, other_h)
    assert_error(answer(client, other_h, req["id"], "accept"), 404, "not_found",
                 "no such code request")
    assert_error(answer(client, other_h, req["id"], "decline", reason="not mine"), 404,
                 "not_found", "no such code request")
    assert_error(client.get(f"/v1/creators/{w.creator['id']}/code-requests", headers=other_h),
                 404, "not_found", "no such creator account")
    assert client.get(f"/v1/creators/{other['id']}/code-requests", headers=other_h).json() == []
    assert spark_posts(client, w.brand_h, acc) == []


def test_accept_and_decline_race_exactly_one_wins(client, live_url, w):
    accepted = 0
    for _ in range(3):
        req = ask(client, w.brand_h, w.account["id"], w.post["id"]).json()
        acc, dec, acc2 = parallel(live_url, [
            lambda http, rid=req["id"]: answer(http, w.creator_h, rid, "accept"),
            lambda http, rid=req["id"]: answer(http, w.creator_h, rid, "decline", reason="no"),
            lambda http, rid=req["id"]: answer(http, w.creator_h, rid, "accept"),
        ])
        statuses = [acc.status_code, dec.status_code, acc2.status_code]
        assert sorted(statuses) == [200, 409, 409], [acc.text, dec.text, acc2.text]
        assert {r.json()["error"]["code"] for r in (acc, dec, acc2) if r.status_code == 409} == \
            {"code_request_answered"}
        accepted += dec.status_code != 200
    codes = codes_of_post(client, w.creator_h, w.post["id"])
    made = [c for c in codes if c["id"] != w.code["id"]]
    assert len(made) == accepted  # one code per accepted request, none for the losers
    listed = client.get(f"/v1/ad-accounts/{w.account['id']}/code-requests",
                        headers=w.brand_h, params={"status": "accepted"}).json()
    assert {x["authorization_id"] for x in listed} == {c["id"] for c in made}
