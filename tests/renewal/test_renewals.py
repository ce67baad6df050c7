"""Renewal requests (R24): the brand asks in one click, the creator approves (the same code is
extended, R8) or declines in one click; each request is answered once, even under races."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sparkcodes.models import EmailMessage, WebhookMessage
from tests import factories as f
from tests.integration._http import assert_error, delivery, get_code, notifications, parallel, ts


def ask(client, headers, account_id: str, authorization_id: str, days: int = 30, **extra):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/ad-accounts/{account_id}/renewal-requests", headers=headers,
                       json={"authorization_id": authorization_id, "days": days, **extra})


def answer(client, headers, request_id: str, verb: str, **body):  # type: ignore[no-untyped-def]
    kwargs = {"json": body} if body else {}
    return client.post(f"/v1/renewal-requests/{request_id}/{verb}", headers=headers, **kwargs)



def actions(client, headers, business_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    rows = client.get(f"/v1/businesses/{business_id}/history", headers=headers,
                      params={"limit": 500}).json()
    return [r["action"] for r in rows]


@pytest.fixture
def w(client):  # type: ignore[no-untyped-def]
    """The usual world with the code bound to the first ad account."""
    world = f.World(client)
    f.spark_post_id(client, world.brand_h, world.account["id"], world.code["code"])
    return world


def test_brand_asks_and_the_creator_approves_in_one_click(client, w):
    before = ts(w.code["expires_at"])
    r = ask(client, w.brand_h, w.account["id"], w.code["id"], 30, message="Winning ad, 30 more?")
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "pending" and req["days"] == 30
    assert req["message"] == "Winning ad, 30 more?"
    assert req["code_hint"] == w.code["code_hint"] and ts(req["window_end"]) == before
    assert req["business"]["name"] == w.business["name"]
    assert req["creator"]["handle"] == w.creator["handle"]
    assert w.code["code"] not in r.text

    # The creator sees it, with who asks, and is told.
    mine = client.get(f"/v1/creators/{w.creator['id']}/renewal-requests", headers=w.creator_h,
                      params={"status": "pending"}).json()
    assert [x["id"] for x in mine] == [req["id"]]
    told = notifications(client, w.creator_h)
    assert told[-1]["event_type"] == "renewal_request.created"
    assert "Winning ad, 30 more?" in told[-1]["body"] and "30 days" in told[-1]["title"]

    r = answer(client, w.creator_h, req["id"], "approve")
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "approved" and done["approved_at"]
    assert ts(done["window_end"]) == before + timedelta(days=30)
    code = get_code(client, w.creator_h, w.code["id"])
    assert ts(code["expires_at"]) == before + timedelta(days=30)
    assert code["code_hint"] == w.code["code_hint"]  # the same code
    # The same code string still binds (idempotently) to the same ad account.
    again = f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]).json()["results"][0]
    assert again["ok"] and ts(again["spark_post"]["window"]["expires_at"]) == ts(code["expires_at"])

    brand_events = [n["event_type"] for n in notifications(client, w.brand_h)]
    assert brand_events == ["renewal_request.approved"]  # one extension, one alert
    assert {"renewal_request.created", "renewal_request.approved"} <= \
        set(actions(client, w.brand_h, w.business["id"]))
    assert client.get(f"/v1/creators/{w.creator['id']}/renewal-requests", headers=w.creator_h,
                      params={"status": "pending"}).json() == []
    approved = client.get(f"/v1/ad-accounts/{w.account['id']}/renewal-requests",
                          headers=w.brand_h, params={"status": "approved"}).json()
    assert [x["id"] for x in approved] == [req["id"]]


def test_one_approved_renewal_is_one_alert_and_two_webhook_events(client, app, w):
    """The approval is the extension: the brand's people get one alert (in-app and e-mail), while
    webhook receivers still get both events (the request answered, the code extended)."""
    req = ask(client, w.brand_h, w.account["id"], w.code["id"], 30).json()

    def counts() -> tuple[int, list[str]]:
        with app.state.db.unit_of_work(write=False) as s:
            return (s.query(EmailMessage).count(),
                    sorted(m.event_type for m in s.query(WebhookMessage)
                           .filter(WebhookMessage.business_id == w.business["id"])))

    emails, hooks = counts()
    assert answer(client, w.creator_h, req["id"], "approve").status_code == 200
    emails_after, hooks_after = counts()
    assert emails_after - emails == 1
    assert [n["event_type"] for n in notifications(client, w.brand_h)] == [
        "renewal_request.approved"]
    assert sorted(set(hooks_after) - set(hooks)) == ["authorization.extended",
                                                     "renewal_request.approved"]
    assert len(hooks_after) - len(hooks) == 2


def test_approval_brings_stopped_ads_back_on_the_same_code(client):
    run = f.Running(client)
    f.advance(client, run.creator_h, "P31D")
    assert delivery(client, run.brand_h, run.ad["id"])["reasons"] == ["AUTHORIZATION_EXPIRED"]
    req = ask(client, run.brand_h, run.account["id"], run.code["id"], 7).json()
    assert answer(client, run.creator_h, req["id"], "approve").status_code == 200
    assert delivery(client, run.brand_h, run.ad["id"])["status"] == "DELIVERING"


def test_the_creator_declines_with_a_reason(client, w):
    req = ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    assert_error(answer(client, w.creator_h, req["id"], "decline", reason="   "), 422,
                 "reason_required", "say why you decline")
    r = answer(client, w.creator_h, req["id"], "decline", reason="The campaign is over for me.")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "declined"
    assert r.json()["decline_reason"] == "The campaign is over for me."
    assert get_code(client, w.creator_h, w.code["id"])["expires_at"] == w.code["expires_at"]
    told = notifications(client, w.brand_h)[-1]
    assert told["event_type"] == "renewal_request.declined"
    assert "The campaign is over for me." in told["body"]
    assert_error(answer(client, w.creator_h, req["id"], "approve"), 409,
                 "renewal_request_answered", "already declined by the creator")
    # Answered: the brand may ask again.
    assert ask(client, w.brand_h, w.account["id"], w.code["id"]).status_code == 201


def test_one_pending_request_per_code_and_cancel(client, w):
    first = ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    assert_error(ask(client, w.brand_h, w.account["id"], w.code["id"], 7), 409,
                 "renewal_already_pending", "already waiting for the creator's answer")
    r = answer(client, w.brand_h, first["id"], "cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert_error(answer(client, w.brand_h, first["id"], "cancel"), 409,
                 "renewal_request_answered", "already cancelled by the brand")
    assert_error(answer(client, w.creator_h, first["id"], "approve"), 409,
                 "renewal_request_answered", "already cancelled by the brand")
    assert get_code(client, w.creator_h, w.code["id"])["expires_at"] == w.code["expires_at"]
    second = ask(client, w.brand_h, w.account["id"], w.code["id"], 7)
    assert second.status_code == 201
    assert_error(answer(client, w.brand_h, second.json()["id"], "decline", reason="x"), 404,
                 "not_found", "no such renewal request")
    assert "renewal_request.cancelled" in actions(client, w.brand_h, w.business["id"])
    listed = client.get(f"/v1/ad-accounts/{w.account['id']}/renewal-requests",
                        headers=w.brand_h).json()
    assert [x["status"] for x in listed] == ["pending", "cancelled"]


def test_what_cannot_be_asked(client, w):
    acc = w.account["id"]
    assert_error(ask(client, w.brand_h, w.account2["id"], w.code["id"]), 404, "not_found",
                 "no code with that id is bound to this ad account")
    assert_error(ask(client, w.brand_h, acc, "0" * 32), 404, "not_found",
                 "no code with that id is bound")
    assert_error(ask(client, w.brand_h, acc, w.code["id"], 14), 422, "invalid_period",
                 "14 is not one of them")
    assert_error(ask(client, w.brand_h, acc, w.code["id"], 365), 409, "window_too_long",
                 "at most 365 days from now")
    assert_error(ask(client, w.brand_h, acc, w.code["id"], message="x" * 1001), 422,
                 "validation_error", "message")
    assert_error(client.get(f"/v1/ad-accounts/{acc}/renewal-requests", headers=w.brand_h,
                            params={"status": "maybe"}), 422, "invalid_status",
                 "pending, approved, declined, cancelled")
    unused = f.code(client, w.creator_h, w.post["id"])
    assert_error(ask(client, w.brand_h, acc, unused["id"]), 404, "not_found", "bound")
    assert client.delete(f"/v1/authorizations/{w.code['id']}",
                         headers=w.creator_h).status_code == 200
    assert_error(ask(client, w.brand_h, acc, w.code["id"]), 410, "code_deleted",
                 "deleted this code")


def test_approving_a_code_deleted_meanwhile_is_refused_and_stays_pending(client, w):
    req = ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    assert client.delete(f"/v1/authorizations/{w.code['id']}",
                         headers=w.creator_h).status_code == 200
    assert_error(answer(client, w.creator_h, req["id"], "approve"), 410, "code_deleted",
                 "deleted")
    pending = client.get(f"/v1/creators/{w.creator['id']}/renewal-requests", headers=w.creator_h,
                         params={"status": "pending"}).json()
    assert [x["id"] for x in pending] == [req["id"]]
    r = answer(client, w.creator_h, req["id"], "decline", reason="I deleted that code.")
    assert r.status_code == 200 and r.json()["status"] == "declined"


def test_access(client, w):
    acc, creator_id = w.account["id"], w.creator["id"]
    req = ask(client, w.brand_h, acc, w.code["id"]).json()
    stranger = f.user(client)
    f.creator(client, stranger)  # a creator of their own changes nothing
    for method, path, body in [
        ("POST", f"/v1/ad-accounts/{acc}/renewal-requests",
         {"authorization_id": w.code["id"], "days": 7}),
        ("GET", f"/v1/ad-accounts/{acc}/renewal-requests", None),
        ("GET", f"/v1/creators/{creator_id}/renewal-requests", None),
        ("POST", f"/v1/renewal-requests/{req['id']}/approve", None),
        ("POST", f"/v1/renewal-requests/{req['id']}/decline", {"reason": "no"}),
        ("POST", f"/v1/renewal-requests/{req['id']}/cancel", None),
        ("POST", f"/v1/renewal-requests/{'f' * 32}/approve", None),
    ]:
        r = client.request(method, path, headers=stranger,
                           **({"json": body} if body is not None else {}))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (path, r.text)
    # The brand is not the creator: it cannot answer its own request.
    assert_error(answer(client, w.brand_h, req["id"], "approve"), 404, "not_found",
                 "no such renewal request")
    # The creator is not the brand: it cannot cancel, nor list the ad account's requests.
    assert_error(answer(client, w.creator_h, req["id"], "cancel"), 404, "not_found",
                 "no such renewal request")
    # Analysts read; they cannot ask or cancel.
    analyst = f.member(client, w.brand_h, w.business["id"], "analyst")
    assert client.get(f"/v1/ad-accounts/{acc}/renewal-requests",
                      headers=analyst).status_code == 200
    assert_error(ask(client, analyst, acc, w.code["id"]), 403, "role_insufficient",
                 "needs operator or higher")
    assert_error(answer(client, analyst, req["id"], "cancel"), 403, "role_insufficient",
                 "needs operator or higher")
    operator = f.member(client, w.brand_h, w.business["id"], "operator")
    assert answer(client, operator, req["id"], "cancel").status_code == 200
    # Another creator cannot see or answer this creator's requests.
    other_h = f.user(client)
    other = f.creator(client, other_h)
    other_post = f.post(client, other_h, other["id"])
    other_code = f.code(client, other_h, other_post["id"])
    f.spark_post_id(client, w.brand_h, acc, other_code["code"])
    theirs = ask(client, w.brand_h, acc, other_code["id"]).json()
    mine = ask(client, w.brand_h, acc, w.code["id"]).json()
    assert_error(answer(client, other_h, mine["id"], "approve"), 404, "not_found",
                 "no such renewal request")
    assert_error(answer(client, other_h, mine["id"], "decline", reason="not mine"), 404,
                 "not_found", "no such renewal request")
    assert_error(client.get(f"/v1/creators/{creator_id}/renewal-requests", headers=other_h), 404,
                 "not_found", "no such creator account")
    listed = client.get(f"/v1/creators/{other['id']}/renewal-requests", headers=other_h).json()
    assert [x["id"] for x in listed] == [theirs["id"]]


def test_approve_and_decline_race_exactly_one_wins(client, live_url, w):
    end = ts(get_code(client, w.creator_h, w.code["id"])["expires_at"])
    approvals = 0
    for _ in range(4):
        req = ask(client, w.brand_h, w.account["id"], w.code["id"], 7).json()
        approve, decline = parallel(live_url, [
            lambda http, rid=req["id"]: answer(http, w.creator_h, rid, "approve"),
            lambda http, rid=req["id"]: answer(http, w.creator_h, rid, "decline",
                                               reason="too late"),
        ])
        codes = sorted([approve.status_code, decline.status_code])
        assert codes == [200, 409], (approve.text, decline.text)
        loser = decline if decline.status_code == 409 else approve
        assert loser.json()["error"]["code"] == "renewal_request_answered"
        approvals += approve.status_code == 200
        final = client.get(f"/v1/ad-accounts/{w.account['id']}/renewal-requests",
                           headers=w.brand_h).json()[0]
        assert final["status"] == ("approved" if approve.status_code == 200 else "declined")
    assert ts(get_code(client, w.creator_h, w.code["id"])["expires_at"]) == \
        end + timedelta(days=7 * approvals)


def test_two_requests_for_one_code_race_one_is_created(client, live_url, w):
    responses = parallel(live_url, [
        (lambda http, d=d: ask(http, w.brand_h, w.account["id"], w.code["id"], d))
        for d in (7, 30, 60, 7, 30, 60)
    ])
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5, \
        [r.text for r in responses]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == \
        {"renewal_already_pending"}
    assert len(client.get(f"/v1/ad-accounts/{w.account['id']}/renewal-requests",
                          headers=w.brand_h).json()) == 1


def test_approve_and_cancel_race_exactly_one_wins(client, live_url, w):
    end = ts(get_code(client, w.creator_h, w.code["id"])["expires_at"])
    approvals = 0
    for _ in range(4):
        req = ask(client, w.brand_h, w.account["id"], w.code["id"], 7).json()
        approve, cancel = parallel(live_url, [
            lambda http, rid=req["id"]: answer(http, w.creator_h, rid, "approve"),
            lambda http, rid=req["id"]: answer(http, w.brand_h, rid, "cancel"),
        ])
        assert sorted([approve.status_code, cancel.status_code]) == [200, 409], \
            (approve.text, cancel.text)
        loser = cancel if cancel.status_code == 409 else approve
        assert loser.json()["error"]["code"] == "renewal_request_answered"
        approvals += approve.status_code == 200
        final = client.get(f"/v1/ad-accounts/{w.account['id']}/renewal-requests",
                           headers=w.brand_h).json()[0]
        assert final["status"] == ("approved" if approve.status_code == 200 else "cancelled")
    assert ts(get_code(client, w.creator_h, w.code["id"])["expires_at"]) == \
        end + timedelta(days=7 * approvals)


def test_the_pending_requests_of_the_codes_a_page_shows(client, app, w):  # type: ignore[no-untyped-def]
    """renewal.service.pending_for_codes: one statement for the codes of a page, pending only,
    sent by the ad accounts given."""
    from sparkcodes.models import AdAccount
    from sparkcodes.renewal import service

    def bound(account_id: str) -> dict:  # type: ignore[type-arg]
        post = f.post(client, w.creator_h, w.creator["id"])
        made = f.code(client, w.creator_h, post["id"])
        f.spark_post_id(client, w.brand_h, account_id, made["code"])
        return made

    withdrawn, elsewhere = bound(w.account["id"]), bound(w.account2["id"])
    asked = ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    gone = ask(client, w.brand_h, w.account["id"], withdrawn["id"]).json()
    assert answer(client, w.brand_h, gone["id"], "cancel").status_code == 200
    other = ask(client, w.brand_h, w.account2["id"], elsewhere["id"]).json()

    def pending(account_ids: list[str], code_ids: list[str]) -> set[str]:
        with app.state.db.unit_of_work(write=False) as session:
            accounts = [session.get(AdAccount, a) for a in account_ids]
            return {v.request.id for v in service.pending_for_codes(
                session, accounts=accounts, authorization_ids=code_ids)}

    every = [w.code["id"], withdrawn["id"], elsewhere["id"]]
    assert pending([w.account["id"]], every) == {asked["id"]}
    assert pending([w.account["id"], w.account2["id"]], every) == {asked["id"], other["id"]}
    assert pending([w.account["id"]], [elsewhere["id"], withdrawn["id"]]) == set()
    assert pending([w.account["id"]], []) == set() and pending([], every) == set()
