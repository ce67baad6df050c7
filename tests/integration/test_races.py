"""Transitions two requests can race: exactly one outcome survives, and nothing answers 5xx."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from sparkcodes.ad_account import repository as ad_account_repository
from tests import factories as f
from tests.integration._http import parallel

ATTEMPTS = 20



def test_twenty_ad_accounts_race_for_one_code(client, live_url):
    w = f.World(client)
    accounts = [f.ad_account(client, w.brand_h, w.business["id"]) for _ in range(ATTEMPTS)]
    raw = w.code["code"]
    responses = parallel(live_url, [
        (lambda http, a=a: f.bind(http, w.brand_h, a["id"], [raw])) for a in accounts
    ])
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    results = [r.json()["results"][0] for r in responses]
    winners = [i for i, res in enumerate(results) if res["ok"]]
    assert len(winners) == 1
    losers = {res["error"]["code"] for res in results if not res["ok"]}
    assert losers == {"code_used_elsewhere"}
    listed = [client.get(f"/v1/ad-accounts/{a['id']}/spark-posts", headers=w.brand_h).json()
              for a in accounts]
    assert sum(len(x) for x in listed) == 1
    assert listed[winners[0]][0]["post"]["id"] == w.post["id"]


def test_one_ad_account_binding_the_same_code_concurrently_gets_one_spark_post(client, live_url):
    w = f.World(client)
    responses = parallel(live_url, [
        (lambda http: f.bind(http, w.brand_h, w.account["id"], [w.code["code"]]))
        for _ in range(10)
    ])
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    results = [r.json()["results"][0] for r in responses]
    assert all(res["ok"] for res in results), results
    assert len({res["spark_post"]["id"] for res in results}) == 1
    assert sum(res["created"] for res in results) == 1
    listed = client.get(f"/v1/ad-accounts/{w.account['id']}/spark-posts", headers=w.brand_h)
    assert len(listed.json()) == 1


def test_concurrent_extensions_all_apply(client, live_url):
    w = f.World(client)
    before = datetime.fromisoformat(w.code["expires_at"])
    responses = parallel(live_url, [
        (lambda http: http.post(f"/v1/authorizations/{w.code['id']}/extend",
                                headers=w.creator_h, json={"days": 7}))
        for _ in range(5)
    ])
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    after = client.get(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h).json()
    assert datetime.fromisoformat(after["expires_at"]) == before + timedelta(days=35)


def test_regenerate_races_bind_one_wins(client, live_url):
    w = f.World(client)
    raw = w.code["code"]
    bind, regen = parallel(live_url, [
        lambda http: f.bind(http, w.brand_h, w.account["id"], [raw]),
        lambda http: http.post(f"/v1/authorizations/{w.code['id']}/regenerate",
                               headers=w.creator_h),
    ])
    assert bind.status_code == 200 and regen.status_code < 500
    bound = bind.json()["results"][0]["ok"]
    if bound:
        assert regen.status_code == 409 and f.error_code(regen) == "code_in_use"
    else:
        assert regen.status_code == 200
        assert bind.json()["results"][0]["error"]["code"] == "code_not_found"
    status = client.get(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h).json()
    assert status["status"] == ("IN_USE" if bound else "NOT_USED")


def test_concurrent_sign_ups_with_one_email_make_one_user(client, live_url):
    body = {"email": "twin@example.com", "password": "long enough"}
    responses = parallel(live_url, [
        (lambda http: http.post("/v1/users", json=body)) for _ in range(8)
    ])
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and codes.count(409) == 7, [r.text for r in responses]
    assert {f.error_code(r) for r in responses if r.status_code == 409} == {"email_taken"}


def test_concurrent_handles_make_one_creator(client, live_url):
    headers = [f.user(client) for _ in range(6)]
    responses = parallel(live_url, [
        (lambda http, h=h: http.post("/v1/creators", headers=h,
                                     json={"handle": "same.handle", "region": "US"}))
        for h in headers
    ])
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and codes.count(409) == 5, [r.text for r in responses]


def test_binds_racing_for_the_last_places_of_an_ad_account_take_exactly_them(
        client, app, live_url, monkeypatch):  # type: ignore[no-untyped-def]
    """R18 with the counter: ten fresh codes race for the two places left; two bind, eight are
    refused capacity_reached, and the counter holds what is bound."""
    monkeypatch.setattr(app.state.settings.codes, "spark_posts_per_ad_account", 3)
    w = f.World(client)
    assert f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]).json()["bound"] == 1
    codes = [f.code(client, w.creator_h, f.post(client, w.creator_h, w.creator["id"])["id"])
             for _ in range(10)]
    responses = parallel(live_url, [
        (lambda http, c=c: f.bind(http, w.brand_h, w.account["id"], [c["code"]]))
        for c in codes
    ])
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    results = [r.json()["results"][0] for r in responses]
    assert sum(res["ok"] for res in results) == 2, results
    assert {res["error"]["code"] for res in results if not res["ok"]} == {"capacity_reached"}
    listed = client.get(f"/v1/ad-accounts/{w.account['id']}/spark-posts", headers=w.brand_h)
    assert len(listed.json()) == 3
    with app.state.db.unit_of_work(write=False) as session:
        assert ad_account_repository.places_taken(session, w.account["id"]) == 3


def test_a_place_freed_before_a_full_ad_account_is_recounted_answers_concurrent_update(
        client, app, live_url, monkeypatch):  # type: ignore[no-untyped-def]
    """R18: a bind finds its ad account full (the counter's conditional UPDATE takes no place)
    and reads the counter again to say so; an unbind of the same account commits in between.
    On PostgreSQL the recount sees the freed place, so the bind answers concurrent_update rather
    than an untrue capacity_reached, and binding again works. On SQLite a writer holds the write
    lock from its first statement: the unbind waits until the bind is over, which then is
    refused capacity_reached (the account was full all along)."""
    monkeypatch.setattr(app.state.settings.codes, "spark_posts_per_ad_account", 1)
    w = f.World(client)
    first = f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]).json()["results"][0]
    assert first["ok"], first
    second = f.code(client, w.creator_h, f.post(client, w.creator_h, w.creator["id"])["id"])
    postgres = app.state.db.engine.dialect.name == "postgresql"
    in_the_gap, freed = threading.Event(), threading.Event()
    freed_before_recount: list[bool] = []
    recount = ad_account_repository.places_taken

    def recount_after_the_unbind(session, ad_account_id: str) -> int:  # type: ignore[no-untyped-def]
        if not in_the_gap.is_set():  # the racing bind's recount, once
            in_the_gap.set()
            # SQLite: the unbind cannot commit while this writer is open; a second shows it.
            freed_before_recount.append(freed.wait(timeout=30 if postgres else 1))
        return recount(session, ad_account_id)

    monkeypatch.setattr(ad_account_repository, "places_taken", recount_after_the_unbind)

    def unbind(http) -> Any:  # type: ignore[no-untyped-def]
        assert in_the_gap.wait(timeout=30), "the bind never found the ad account full"
        r = http.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/"
                        f"{first['spark_post']['id']}", headers=w.brand_h)
        freed.set()
        return r

    bind, unbound = parallel(live_url, [
        lambda http: f.bind(http, w.brand_h, w.account["id"], [second["code"]]), unbind])
    assert unbound.status_code == 200, unbound.text
    assert bind.status_code == 200, bind.text
    item = bind.json()["results"][0]
    assert not item["ok"], item
    if postgres:
        assert freed_before_recount == [True]
        assert item["error"]["code"] == "concurrent_update"
        assert item["error"]["message"] == "The ad account changed meanwhile; try again."
    else:
        assert freed_before_recount == [False]
        assert item["error"]["code"] == "capacity_reached"
        assert item["error"]["message"].startswith("This ad account already holds 1 Spark Ad")
    again = f.bind(client, w.brand_h, w.account["id"], [second["code"]]).json()["results"][0]
    assert again["ok"], again
    with app.state.db.unit_of_work(write=False) as session:
        assert recount(session, w.account["id"]) == 1
