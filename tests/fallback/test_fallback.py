"""Fallback policies (R27): per ad group, notify (the default), pause, or swap to a backup ad when
a code is about to lapse; each action once per ad and window end, re-armed by an extension."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from sparkcodes.fallback import service as fallback_service
from sparkcodes.kit.clock import utc_now
from sparkcodes.worker.runner import Runner
from tests import factories as f
from tests.integration._http import assert_error, delivery, live_ad, parallel, ts


def policy_of(client, headers, group_id: str):  # type: ignore[no-untyped-def]
    return client.get(f"/v1/ad-groups/{group_id}/fallback-policy", headers=headers)


def put_policy(client, headers, group_id: str, **body):  # type: ignore[no-untyped-def]
    return client.put(f"/v1/ad-groups/{group_id}/fallback-policy", headers=headers, json=body)


def tick(app) -> None:  # type: ignore[no-untyped-def]
    Runner(app.state.db, app.state.settings, worker_id="test").tick()


def until(client, headers, code_id: str, hours_before: float) -> None:  # type: ignore[no-untyped-def]
    """Set the sandbox clock to ``hours_before`` the code's current end."""
    end = ts(client.get(f"/v1/authorizations/{code_id}", headers=headers).json()["expires_at"])
    r = client.post("/v1/sandbox/clock", headers=headers,
                    json={"set": (end - timedelta(hours=hours_before)).isoformat()})
    assert r.status_code == 200, r.text


def fallbacks(client, headers) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    items = client.get("/v1/notifications", headers=headers, params={"limit": 500}).json()["items"]
    return [n for n in reversed(items) if n["event_type"] == "ad.fallback_applied"]


def history(client, headers, business_id: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return client.get(f"/v1/businesses/{business_id}/history", headers=headers,
                      params={"limit": 500}).json()


@pytest.fixture
def run(client):  # type: ignore[no-untyped-def]
    return f.Running(client)


def test_the_default_policy_is_notify_and_the_reminders_are_its_notice(client, app, run):
    r = policy_of(client, run.brand_h, run.ad_group["id"])
    assert r.status_code == 200, r.text
    assert r.json() == {
        "ad_group_id": run.ad_group["id"], "action": "notify", "hours_before": 24,
        "backup_ad_id": None, "backup_ad_name": None, "is_default": True, "updated_at": None,
        "updated_by_id": None}
    until(client, run.creator_h, run.code["id"], 23.5)
    tick(app)
    items = client.get("/v1/notifications", headers=run.brand_h).json()["items"]
    # T-24 h is a reminder offset: the brand is told once ("extend or swap now"), not twice.
    assert [(n["event_type"], n["data"].get("kind")) for n in items] == [
        ("authorization.expiring", "expiring_24h")]
    assert fallbacks(client, run.brand_h) == []
    assert delivery(client, run.brand_h, run.ad["id"])["status"] == "DELIVERING"


def test_a_default_at_another_moment_than_the_reminders_notifies_once(client, app, run,
                                                                      monkeypatch):
    monkeypatch.setattr(app.state.settings.reminders, "fallback_hours", 36)
    assert policy_of(client, run.brand_h, run.ad_group["id"]).json()["hours_before"] == 36
    until(client, run.creator_h, run.code["id"], 36.5)
    tick(app)
    assert fallbacks(client, run.brand_h) == []
    until(client, run.creator_h, run.code["id"], 35.5)
    tick(app)
    tick(app)
    (told,) = fallbacks(client, run.brand_h)
    assert told["data"]["action"] == "notify" and told["data"]["hours_before"] == 36


def test_an_explicit_notify_policy_notifies_once_per_window_end(client, app, run):
    r = put_policy(client, run.brand_h, run.ad_group["id"], action="notify", hours_before=48)
    assert r.status_code == 200, r.text
    until(client, run.creator_h, run.code["id"], 48.5)
    tick(app)
    assert fallbacks(client, run.brand_h) == []
    until(client, run.creator_h, run.code["id"], 47.5)
    tick(app)
    tick(app)
    (told,) = fallbacks(client, run.brand_h)
    assert told["data"]["action"] == "notify" and told["data"]["ad"]["id"] == run.ad["id"]
    assert "stops in 48 h" in told["title"] and run.creator["handle"] in told["title"]
    assert "Ask @" in told["body"] and "renewal request" in told["body"]
    assert delivery(client, run.brand_h, run.ad["id"])["status"] == "DELIVERING"
    applied = [h for h in history(client, run.brand_h, run.business["id"])
               if h["action"] == "ad.fallback_applied"]
    assert len(applied) == 1 and applied[0]["actor_id"] is None
    assert run.code["code"] not in str(told)


def test_pause_once_then_rearmed_by_an_extension(client, app, run):
    r = put_policy(client, run.brand_h, run.ad_group["id"], action="pause", hours_before=48)
    assert r.status_code == 200, r.text
    assert (r.json()["action"], r.json()["hours_before"], r.json()["is_default"]) == \
        ("pause", 48, False)
    assert policy_of(client, run.brand_h, run.ad_group["id"]).json()["action"] == "pause"
    until(client, run.creator_h, run.code["id"], 47)
    tick(app)
    assert delivery(client, run.brand_h, run.ad["id"])["reasons"] == ["PAUSED"]
    (told,) = fallbacks(client, run.brand_h)
    assert told["title"].startswith(f"Paused '{run.ad['name']}'")
    actions = [(h["action"], h["actor_id"]) for h in history(client, run.brand_h,
                                                             run.business["id"])]
    assert ("ad.paused", None) in actions and ("ad.fallback_applied", None) in actions
    assert ("fallback_policy.updated", client.get("/v1/me", headers=run.brand_h).json()["id"]) \
        in actions
    # The brand switches it back on: the same window end is not acted on twice.
    assert f.set_status(client, run.brand_h, "ad", run.ad["id"], "ENABLE").status_code == 200
    tick(app)
    assert delivery(client, run.brand_h, run.ad["id"])["status"] == "DELIVERING"
    assert len(fallbacks(client, run.brand_h)) == 1
    # The creator extends: a new window end, and the policy is armed again for it.
    r = client.post(f"/v1/authorizations/{run.code['id']}/extend", headers=run.creator_h,
                    json={"days": 7})
    assert r.status_code == 200, r.text
    tick(app)
    assert delivery(client, run.brand_h, run.ad["id"])["status"] == "DELIVERING"
    until(client, run.creator_h, run.code["id"], 47)
    tick(app)
    assert delivery(client, run.brand_h, run.ad["id"])["reasons"] == ["PAUSED"]
    assert len(fallbacks(client, run.brand_h)) == 2


def _backup(client, run):  # type: ignore[no-untyped-def]
    """A paused ad in the same ad account on another creator's code."""
    h = f.user(client)
    other = f.creator(client, h)
    code = f.code(client, h, f.post(client, h, other["id"], caption="Backup creative")["id"],
                  days=365)
    sp = f.spark_post_id(client, run.brand_h, run.account["id"], code["code"])
    ad = f.ad(client, run.brand_h, run.ad_group["id"], sp, name="Backup ad")
    assert f.set_status(client, run.brand_h, "ad", ad["id"], "DISABLE").status_code == 200
    return ad


def test_swap_pauses_the_ad_and_switches_the_backup_on(client, app, run):
    backup = _backup(client, run)
    r = put_policy(client, run.brand_h, run.ad_group["id"], action="swap",
                   backup_ad_id=backup["id"])
    assert r.status_code == 200, r.text
    assert (r.json()["hours_before"], r.json()["backup_ad_name"]) == (24, "Backup ad")
    until(client, run.creator_h, run.code["id"], 2)
    tick(app)
    assert delivery(client, run.brand_h, run.ad["id"])["reasons"] == ["PAUSED"]
    assert delivery(client, run.brand_h, backup["id"])["status"] == "DELIVERING"
    (told,) = fallbacks(client, run.brand_h)
    assert told["title"] == (f"Swapped '{run.ad['name']}' for 'Backup ad' before "
                             f"@{run.creator['handle']}'s code ends")
    assert told["data"]["backup_ad"]["id"] == backup["id"]
    actions = [h["action"] for h in history(client, run.brand_h, run.business["id"])]
    assert {"ad.paused", "ad.enabled", "ad.fallback_applied"} <= set(actions)


def test_a_swap_whose_backup_was_deleted_only_pauses(client, app, run):
    backup = _backup(client, run)
    assert put_policy(client, run.brand_h, run.ad_group["id"], action="swap",
                      backup_ad_id=backup["id"]).status_code == 200
    assert f.set_status(client, run.brand_h, "ad", backup["id"], "DELETE").status_code == 200
    until(client, run.creator_h, run.code["id"], 2)
    tick(app)
    assert delivery(client, run.brand_h, run.ad["id"])["reasons"] == ["PAUSED"]
    (told,) = fallbacks(client, run.brand_h)
    assert "backup ad no longer exists" in told["body"]


def test_what_a_policy_cannot_say(client, run):
    g, h = run.ad_group["id"], run.brand_h
    assert_error(put_policy(client, h, g, action="delete"), 422, "invalid_fallback_action",
                 "notify, pause or swap")
    assert_error(put_policy(client, h, g, action="pause", hours_before=0), 422,
                 "invalid_hours_before", "between 1 and 720")
    assert_error(put_policy(client, h, g, action="swap"), 422, "backup_ad_required",
                 "needs backup_ad_id")
    assert_error(put_policy(client, h, g, action="pause", backup_ad_id=run.ad["id"]), 422,
                 "backup_ad_not_used", "only with the swap action")
    assert_error(put_policy(client, h, g, action="swap", backup_ad_id="0" * 32), 404,
                 "not_found", "no such ad in this ad account")
    # An ad of another ad account.
    other_code = f.code(client, run.creator_h, run.post["id"])
    sp2 = f.spark_post_id(client, h, run.account2["id"], other_code["code"])
    elsewhere = live_ad(client, h, run.account2["id"], sp2, name="Elsewhere")
    assert_error(put_policy(client, h, g, action="swap", backup_ad_id=elsewhere["id"]), 404,
                 "not_found", "no such ad in this ad account")
    # An ad on the same code lapses with the others.
    twin = f.ad(client, h, g, run.spark_post_id, name="Twin")
    assert_error(put_policy(client, h, g, action="swap", backup_ad_id=twin["id"]), 409,
                 "backup_on_same_code", "same code")
    assert f.set_status(client, h, "ad", twin["id"], "DELETE").status_code == 200
    assert_error(put_policy(client, h, g, action="swap", backup_ad_id=twin["id"]), 410,
                 "ad_deleted", "backup ad was deleted")
    assert policy_of(client, h, g).json()["is_default"] is True
    assert f.set_status(client, h, "ad_group", g, "DELETE").status_code == 200
    assert_error(put_policy(client, h, g, action="notify"), 410, "ad_group_deleted",
                 "ad group was deleted")


def test_access(client, run):
    g = run.ad_group["id"]
    stranger = f.user(client)
    for r in (policy_of(client, stranger, g), put_policy(client, stranger, g, action="pause"),
              policy_of(client, stranger, "9" * 32),
              put_policy(client, stranger, "9" * 32, action="pause")):
        assert_error(r, 404, "not_found", "no such ad group")
    assert_error(policy_of(client, run.creator_h, g), 404, "not_found", "no such ad group")
    analyst = f.member(client, run.brand_h, run.business["id"], "analyst")
    assert policy_of(client, analyst, g).status_code == 200
    assert_error(put_policy(client, analyst, g, action="pause"), 403, "role_insufficient",
                 "needs operator or higher")
    operator = f.member(client, run.brand_h, run.business["id"], "operator")
    assert put_policy(client, operator, g, action="pause").status_code == 200
    assert policy_of(client, analyst, g).json()["action"] == "pause"


def test_concurrent_policy_writes_leave_one_policy(client, live_url, run):
    g = run.ad_group["id"]
    responses = parallel(live_url, [
        (lambda http, a=a, h=h: put_policy(http, run.brand_h, g, action=a, hours_before=h))
        for a, h in [("pause", 10), ("notify", 20), ("pause", 30), ("notify", 40)] * 2
    ])
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    final = policy_of(client, run.brand_h, g).json()
    assert (final["action"], final["hours_before"]) in {(r.json()["action"],
                                                         r.json()["hours_before"])
                                                        for r in responses}


def test_concurrent_sweeps_act_once(client, app, run):
    assert put_policy(client, run.brand_h, run.ad_group["id"], action="pause").status_code == 200
    until(client, run.creator_h, run.code["id"], 3)
    settings = app.state.settings
    barrier = threading.Barrier(4)

    def sweep() -> None:
        barrier.wait()
        with app.state.db.unit_of_work() as s:
            fallback_service.sweep(s, settings=settings, now=utc_now())

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    runners = [Runner(app.state.db, settings, worker_id=f"w{i}") for i in range(3)]
    workers = [threading.Thread(target=r.tick) for r in runners]
    for t in workers:
        t.start()
    for t in workers:
        t.join(60)
    assert len(fallbacks(client, run.brand_h)) == 1
    assert delivery(client, run.brand_h, run.ad["id"])["reasons"] == ["PAUSED"]
    applied = [h for h in history(client, run.brand_h, run.business["id"])
               if h["action"] == "ad.fallback_applied"]
    assert len(applied) == 1
