"""Renewal requests expire (R24): unanswered for 14 days after they were asked, a request is
expired (derived, no sweep needed), can no longer be answered, no longer blocks a new request, and
the brand is told exactly once by the expiry sweep."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Job
from sparkcodes.renewal import repository, rules, service
from sparkcodes.worker.runner import Runner
from tests import factories as f
from tests.integration._http import assert_error, get_code, notifications, ts
from tests.integration.test_pages_access import HTML, page_login
from tests.integration.test_pages_access import page_text as _text
from tests.renewal.test_renewals import actions, answer, ask

EXPIRED = "renewal_request.expired"


def tick(app) -> None:  # type: ignore[no-untyped-def]
    Runner(app.state.db, app.state.settings, worker_id="test").tick()


def listed(client, headers, path: str, status: str | None = None):  # type: ignore[no-untyped-def]
    params = {"status": status} if status else {}
    return [x["id"] for x in client.get(path, headers=headers, params=params).json()]


def told(client, headers) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [n for n in notifications(client, headers) if n["event_type"] == EXPIRED]


def _when(value: str) -> str:
    return f"{ts(value):%Y-%m-%d %H:%M} UTC"


@pytest.fixture
def w(client):  # type: ignore[no-untyped-def]
    """The usual world with the code bound to the first ad account."""
    world = f.World(client)
    f.spark_post_id(client, world.brand_h, world.account["id"], world.code["code"])
    return world


def test_an_unanswered_request_expires_fourteen_days_after_it_was_asked(client, w):
    acc, cr = f"/v1/ad-accounts/{w.account['id']}", f"/v1/creators/{w.creator['id']}"
    req = ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    assert ts(req["expires_at"]) - ts(req["created_at"]) == rules.RENEWAL_TTL == timedelta(14)
    assert _when(req["expires_at"]) in notifications(client, w.creator_h)[-1]["body"]
    f.advance(client, w.brand_h, "P13DT23H")
    assert listed(client, w.creator_h, f"{cr}/renewal-requests", "pending") == [req["id"]]
    assert listed(client, w.brand_h, f"{acc}/renewal-requests", "expired") == []
    f.advance(client, w.brand_h, "PT1H")
    # Status is derived from created_at and the clock: expired before any sweep ran.
    for headers, path in [(w.creator_h, f"{cr}/renewal-requests"),
                          (w.brand_h, f"{acc}/renewal-requests")]:
        assert listed(client, headers, path, "pending") == []
        assert listed(client, headers, path, "expired") == [req["id"]]
        assert listed(client, headers, path, "approved") == []
        (row,) = client.get(path, headers=headers).json()
        assert row["status"] == "expired" and row["expires_at"] == req["expires_at"]
    message = (f"This request expired unanswered on {_when(req['expires_at'])}; the brand can "
               "ask again.")
    for headers, verb, body in [(w.creator_h, "approve", {}),
                                (w.creator_h, "decline", {"reason": "Too late, sorry."}),
                                (w.brand_h, "cancel", {})]:
        error = assert_error(answer(client, headers, req["id"], verb, **body), 410,
                             "renewal_request_expired", "expired unanswered")
        assert error["message"] == message
    assert get_code(client, w.creator_h, w.code["id"])["expires_at"] == w.code["expires_at"]
    assert listed(client, w.brand_h, f"{acc}/renewal-requests", "expired") == [req["id"]]


def test_approving_just_after_the_deadline_is_refused(client, w):
    """The sandbox clock moves exactly 14 days: the deadline has just passed (it fails closed)."""
    req = ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    f.advance(client, w.brand_h, "P14D")
    assert_error(answer(client, w.creator_h, req["id"], "approve"), 410,
                 "renewal_request_expired", _when(req["expires_at"]))
    assert get_code(client, w.creator_h, w.code["id"])["expires_at"] == w.code["expires_at"]
    assert "renewal_request.approved" not in [n["event_type"]
                                              for n in notifications(client, w.brand_h)]
    assert "renewal_request.approved" not in actions(client, w.brand_h, w.business["id"])
    # Just before the deadline, the same click extends the code.
    again = ask(client, w.brand_h, w.account["id"], w.code["id"], 7).json()
    f.advance(client, w.brand_h, "P13DT23H59M")
    r = answer(client, w.creator_h, again["id"], "approve")
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    f.advance(client, w.brand_h, "P1D")
    assert answer(client, w.creator_h, again["id"], "approve").json()["error"]["code"] == \
        "renewal_request_answered"  # an answer is final: it never turns into "expired"


def test_the_conditional_writes_refuse_from_the_deadline_on(app, client, w):
    """A late answer that passed the check just before the deadline cannot win: the UPDATE itself
    requires created_at > now - TTL."""
    req = ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    deadline = ts(req["expires_at"])
    user_id = client.get("/v1/me", headers=w.creator_h).json()["id"]
    for write in [
        lambda s, now: repository.approve(s, request_id=req["id"], user_id=user_id, now=now),
        lambda s, now: repository.decline(s, request_id=req["id"], user_id=user_id,
                                          reason="late", now=now),
        lambda s, now: repository.cancel(s, request_id=req["id"], now=now),
    ]:
        for now in (deadline, deadline + timedelta(microseconds=1), deadline + timedelta(days=9)):
            with app.state.db.unit_of_work() as session:
                assert write(session, now) is False
    with app.state.db.unit_of_work() as session:
        assert repository.approve(session, request_id=req["id"], user_id=user_id,
                                  now=deadline - timedelta(microseconds=1)) is True


def test_a_late_approve_that_passed_the_check_gets_the_expiry_refusal(client, w, monkeypatch):
    """The deadline passes between the service's check and its write: refused with 410."""
    req = ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    f.advance(client, w.brand_h, "P14DT1S")
    real = rules.check_open
    calls = []

    def check_passed_a_moment_ago(state, now):  # type: ignore[no-untyped-def]
        calls.append(now)
        if len(calls) > 1:  # the refusal's explanation re-checks for real
            real(state, now)

    monkeypatch.setattr(rules, "check_open", check_passed_a_moment_ago)
    assert_error(answer(client, w.creator_h, req["id"], "approve"), 410,
                 "renewal_request_expired", "expired unanswered")
    assert len(calls) == 2
    assert get_code(client, w.creator_h, w.code["id"])["expires_at"] == w.code["expires_at"]


def test_an_expired_request_no_longer_blocks_a_new_one(client, w):
    acc = f"/v1/ad-accounts/{w.account['id']}/renewal-requests"
    first = ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    assert_error(ask(client, w.brand_h, w.account["id"], w.code["id"], 7), 409,
                 "renewal_already_pending", "already waiting")
    f.advance(client, w.brand_h, "P14DT1M")
    second = ask(client, w.brand_h, w.account["id"], w.code["id"], 7)
    assert second.status_code == 201, second.text
    assert [x["status"] for x in client.get(acc, headers=w.brand_h).json()] == \
        ["pending", "expired"]
    assert listed(client, w.brand_h, acc, "pending") == [second.json()["id"]]
    assert listed(client, w.brand_h, acc, "expired") == [first["id"]]
    assert_error(ask(client, w.brand_h, w.account["id"], w.code["id"], 7), 409,
                 "renewal_already_pending", "already waiting")
    r = answer(client, w.creator_h, second.json()["id"], "approve")
    assert r.status_code == 200, r.text


def test_the_brand_is_told_once_when_a_request_expires_unanswered(app, client, w):
    other_post = f.post(client, w.creator_h, w.creator["id"])
    other_code = f.code(client, w.creator_h, other_post["id"])
    f.spark_post_id(client, w.brand_h, w.account["id"], other_code["code"])
    lapsing = ask(client, w.brand_h, w.account["id"], w.code["id"], 7).json()
    answered = ask(client, w.brand_h, w.account["id"], other_code["id"], 7).json()
    tick(app)
    assert told(client, w.brand_h) == []
    assert answer(client, w.creator_h, answered["id"], "decline",
                  reason="Not this one.").status_code == 200
    f.advance(client, w.brand_h, "P14DT1M")
    tick(app)
    tick(app)
    (note,) = told(client, w.brand_h)
    assert note["data"]["renewal_request_id"] == lapsing["id"]
    assert note["data"]["status"] == "expired"
    assert ts(note["data"]["expires_at"]) == ts(lapsing["expires_at"])
    assert f"@{w.creator['handle']}" in note["title"] and "expired unanswered" in note["title"]
    assert _when(lapsing["expires_at"]) in note["body"] and "ask again" in note["body"]
    assert told(client, w.creator_h) == []  # the creator chose not to answer: nothing to tell
    assert actions(client, w.brand_h, w.business["id"]).count(EXPIRED) == 1
    # Later sweeps, and a new request that is answered in time, add nothing.
    f.advance(client, w.brand_h, "P1D")
    fresh = ask(client, w.brand_h, w.account["id"], w.code["id"], 7).json()
    tick(app)
    assert answer(client, w.creator_h, fresh["id"], "approve").status_code == 200
    f.advance(client, w.brand_h, "P15D")
    tick(app)
    assert len(told(client, w.brand_h)) == 1


def test_a_request_that_lapsed_long_before_the_first_sweep_is_told_late_saying_how_late(
        app, client, w):
    """No sweep ran for 8 days after the request lapsed: the brand is still told, once, and the
    notice says how late it is (it used to be dropped after a week as "old news")."""
    ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    f.advance(client, w.brand_h, "P22D")  # 14 days open, then 8 days without a sweep
    tick(app)
    tick(app)
    (note,) = told(client, w.brand_h)
    assert note["title"].endswith("expired unanswered (notice 8 days late)")
    assert note["body"].startswith("This notice is 8 days late: the request expired at ")
    assert note["data"]["late_by"] == "8 days"
    tick(app)
    assert len(told(client, w.brand_h)) == 1


def test_a_notice_on_time_does_not_say_late(app, client, w):
    ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    f.advance(client, w.brand_h, "P14DT1M")
    tick(app)
    tick(app)
    (note,) = told(client, w.brand_h)
    assert "late" not in note["title"] and "late" not in note["body"]
    assert note["data"]["late_by"] is None


def test_sweep_and_notice_are_once_when_rerun(app, client, w):
    req = ask(client, w.brand_h, w.account["id"], w.code["id"]).json()
    db = app.state.db
    with db.unit_of_work() as session:
        assert service.expire_sweep(session, now=utc_now()) == 0  # nothing lapsed yet
        assert service.notify_expired(session, request_id=req["id"], now=utc_now()) is False
    f.advance(client, w.brand_h, "P14DT1M")
    with db.unit_of_work() as session:
        assert service.expire_sweep(session, now=utc_now()) == 1
    with db.unit_of_work() as session:  # the job is queued once: its dedupe key is unique
        assert service.expire_sweep(session, now=utc_now()) == 0
    with db.unit_of_work() as session:
        assert service.notify_expired(session, request_id=req["id"], now=utc_now()) is True
    with db.unit_of_work() as session:  # a rerun of the job (crash after commit) does nothing
        assert service.notify_expired(session, request_id=req["id"], now=utc_now()) is False
        assert service.expire_sweep(session, now=utc_now()) == 0  # noticed: not picked again
    assert len(told(client, w.brand_h)) == 1


def _together(n: int, fn):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(n)

    def run(_: int):  # type: ignore[no-untyped-def]
        barrier.wait()
        return fn()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_two_notices_of_one_request_race_one_tells(app, client, w):
    db = app.state.db
    codes = [w.code]
    for _ in range(2):
        p = f.post(client, w.creator_h, w.creator["id"])
        codes.append(f.code(client, w.creator_h, p["id"]))
        f.spark_post_id(client, w.brand_h, w.account["id"], codes[-1]["code"])
    requests = [ask(client, w.brand_h, w.account["id"], c["id"], 7).json() for c in codes]
    f.advance(client, w.brand_h, "P14DT1M")

    def sweep() -> int:
        with db.unit_of_work() as session:
            return service.expire_sweep(session, now=utc_now())

    assert sum(_together(2, sweep)) == 3  # each lapsed request queued by one sweep only
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Job).where(
            Job.name == service.NOTIFY_EXPIRED)) == 3
    for req in requests:
        def notice(rid: str = req["id"]) -> bool:
            with db.unit_of_work() as session:
                return service.notify_expired(session, request_id=rid, now=utc_now())

        assert sorted(_together(3, notice)) == [False, False, True]
    assert sorted(n["data"]["renewal_request_id"] for n in told(client, w.brand_h)) == \
        sorted(r["id"] for r in requests)
    assert actions(client, w.brand_h, w.business["id"]).count(EXPIRED) == 3


# --- pages ---------------------------------------------------------------------------------------

def test_pages_show_expired_unanswered_without_answer_buttons(app, client):
    w = f.page_world(client)
    f.spark_post_id(client, w["brand_h"], w["account"]["id"], w["code"]["code"])
    f.advance(client, w["brand_h"], "P28D")  # the code ends in two days: the brand asks
    req = f._ok(client.post(f"/v1/ad-accounts/{w['account']['id']}/renewal-requests",
                            headers=w["brand_h"],
                            json={"authorization_id": w["code"]["id"], "days": 30}), 201)
    f.advance(client, w["brand_h"], "P14DT1M")
    page_login(client, "creator@example.com")
    page = client.get(f"/posts/{w['post']['id']}", headers=HTML).text
    assert "Expired unanswered" in _text(page) and "the brand can ask again" in _text(page)
    assert f'/renewal-requests/{req["id"]}/approve' not in page
    assert f'/renewal-requests/{req["id"]}/decline' not in page
    # Not among the requests waiting for an answer on the account page.
    assert "asks you to extend" not in _text(
        client.get(f"/creators/{w['creator']['id']}", headers=HTML).text)
    with TestClient(app) as brand:
        page_login(brand, "brand@example.com")
        page = brand.get(f"/ad-accounts/{w['account']['id']}/requests", headers=HTML).text
        words = _text(page)
        assert "Extension requests (1)" in words and "Expired unanswered" in words
        assert "did not answer by" in words and "Withdrawn" not in words
        assert f'/renewal-requests/{req["id"]}/cancel' not in page
        # The code lapsed too: the Spark Ad posts tab offers to ask again.
        words = _text(brand.get(f"/ad-accounts/{w['account']['id']}", headers=HTML).text)
        assert "Ask the creator to extend" in words and "Extension requested" not in words
