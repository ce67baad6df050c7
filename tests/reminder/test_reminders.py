"""Reminders and alerts (R23): each reminder exactly once per code and window end, re-armed by an
extension, disarmed by deletion; alerts when creators change what ads depend on."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Authorization, EmailMessage, Reminder, WebhookMessage
from sparkcodes.reminder import service as reminder_service
from sparkcodes.worker.runner import Runner
from tests import factories as f


def _tick(app) -> None:  # type: ignore[no-untyped-def]
    Runner(app.state.db, app.state.settings, worker_id="test").tick()


def _latest(client, headers, event_type: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    items = client.get("/v1/notifications", headers=headers, params={"limit": 500}).json()["items"]
    return next(n for n in items if n["event_type"] == event_type)


def _events(client, headers) -> list[str]:  # type: ignore[no-untyped-def]
    body = client.get("/v1/notifications", headers=headers, params={"limit": 500}).json()
    return [n["event_type"] + ":" + n["data"].get("kind", "") for n in reversed(body["items"])]


def _until(client, headers, code, hours_before: float) -> None:  # type: ignore[no-untyped-def]
    """Set the sandbox clock to ``hours_before`` the code's current end."""
    end = datetime.fromisoformat(
        client.get(f"/v1/authorizations/{code['id']}", headers=headers).json()["expires_at"])
    from datetime import timedelta

    target = end - timedelta(hours=hours_before)
    r = client.post("/v1/sandbox/clock", headers=headers, json={"set": target.isoformat()})
    assert r.status_code == 200, r.text


@pytest.fixture
def bound(client):  # type: ignore[no-untyped-def]
    w = f.World(client)
    assert f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]).json()["bound"] == 1
    return w


def test_each_reminder_once_at_its_offset_and_rearmed_by_an_extension(client, app, bound):
    w = bound
    _tick(app)
    assert _events(client, w.brand_h) == []
    _until(client, w.creator_h, w.code, 72 - 0.01)
    _tick(app)
    _tick(app)
    assert _events(client, w.brand_h) == ["authorization.expiring:expiring_72h"]
    assert _events(client, w.creator_h) == ["authorization.expiring:expiring_72h"]
    _until(client, w.creator_h, w.code, 24 - 0.01)
    _tick(app)
    _tick(app)
    assert _events(client, w.brand_h)[-1] == "authorization.expiring:expiring_24h"
    assert len(_events(client, w.brand_h)) == 2
    _until(client, w.creator_h, w.code, -0.01)
    _tick(app)
    _tick(app)
    brand = _events(client, w.brand_h)
    assert brand[-1] == "authorization.expired:expired" and len(brand) == 3
    # The extension re-arms the cycle for the new end; the brand is told about the extension.
    r = client.post(f"/v1/authorizations/{w.code['id']}/extend", headers=w.creator_h,
                    json={"days": 7})
    assert r.status_code == 200
    assert _events(client, w.brand_h)[-1] == "authorization.extended:"
    _until(client, w.creator_h, w.code, 72 - 0.01)
    _tick(app)
    assert _events(client, w.brand_h)[-1] == "authorization.expiring:expiring_72h"
    assert _events(client, w.brand_h).count("authorization.expiring:expiring_72h") == 2


def test_a_late_sweep_sends_only_the_latest_reminder(client, app, bound):
    w = bound
    _until(client, w.creator_h, w.code, -1)
    _tick(app)
    assert _events(client, w.brand_h) == ["authorization.expired:expired"]
    with app.state.db.unit_of_work(write=False) as s:
        kinds = {(r.kind, r.sent_at is not None) for r in s.query(Reminder)}
    assert kinds == {("expiring_72h", False), ("expiring_24h", False), ("expired", True)}


def test_a_deleted_code_is_never_reminded(client, app, bound):
    w = bound
    r = client.delete(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h)
    assert r.status_code == 200
    assert _events(client, w.brand_h) == ["authorization.deleted:"]
    _until(client, w.creator_h, w.code, -1)
    _tick(app)
    assert _events(client, w.brand_h) == ["authorization.deleted:"]


def test_unused_codes_get_no_reminders(client, app):
    w = f.World(client)
    _until(client, w.creator_h, w.code, 1)
    _tick(app)
    assert _events(client, w.creator_h) == []


def test_reminders_name_the_live_ads_and_never_the_raw_code(client, app, bound):
    w = bound
    sp = client.get(f"/v1/ad-accounts/{w.account['id']}/spark-posts", headers=w.brand_h).json()[0]
    camp = client.post(f"/v1/ad-accounts/{w.account['id']}/campaigns", headers=w.brand_h,
                       json={"name": "Always on"}).json()
    group = client.post(f"/v1/campaigns/{camp['id']}/ad-groups", headers=w.brand_h,
                        json={"name": "G", "budget": 50, "bid": 5}).json()
    ad = client.post(f"/v1/ad-groups/{group['id']}/ads", headers=w.brand_h,
                     json={"spark_post_id": sp["id"], "name": "Hero ad",
                           "landing_page_url": "https://shop.example/"}).json()
    _until(client, w.creator_h, w.code, 24 - 0.01)
    _tick(app)
    note = _latest(client, w.brand_h, "authorization.expiring")
    assert note["data"]["live_ads"] == 1 and note["data"]["ads"][0]["ad_id"] == ad["id"]
    assert "Extend or swap now" in note["title"] and "1 live ad in" in note["body"]
    _until(client, w.creator_h, w.code, -0.01)
    _tick(app)
    note = _latest(client, w.brand_h, "authorization.expired")
    assert note["data"]["live_ads"] == 1
    raw = w.code["code"]
    body_of_raw = raw.replace("-", "")[5:]
    with app.state.db.unit_of_work(write=False) as s:
        texts = [m.subject + m.body for m in s.query(EmailMessage)]
        texts += [str(m.payload) for m in s.query(WebhookMessage)]
    texts += [str(n) for n in client.get("/v1/notifications", headers=w.brand_h).json()["items"]]
    assert texts and not any(raw in t or body_of_raw in t.replace("-", "") for t in texts)


def test_alerts_when_the_creator_changes_what_ads_depend_on(client, app, bound):
    w = bound
    r = client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                     json={"sound": "commercial_library"})
    assert r.status_code == 200
    assert _events(client, w.brand_h)[-1] == "post.edited:"
    r = client.post(f"/v1/sandbox/posts/{w.post['id']}/take-down", headers=w.creator_h,
                    json={"reason": "Spam"})
    assert r.status_code == 200
    assert _events(client, w.brand_h)[-1] == "post.taken_down:"
    assert _events(client, w.creator_h)[-1] == "post.taken_down:"
    other = f.post(client, w.creator_h, w.creator["id"])
    other_code = f.code(client, w.creator_h, other["id"])
    f.bind(client, w.brand_h, w.account2["id"], [other_code["code"]])
    r = client.put(f"/v1/creators/{w.creator['id']}/ad-settings", headers=w.creator_h,
                   json={"enabled": False})
    assert r.status_code == 200
    assert _events(client, w.brand_h)[-1] == "creator.ad_settings_off:"


def test_notifications_are_marked_read_and_are_private(client, app, bound):
    w = bound
    client.delete(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h)
    body = client.get("/v1/notifications", headers=w.brand_h).json()
    assert body["unread"] == 1
    stranger = f.user(client)
    assert client.get("/v1/notifications", headers=stranger).json() == {"unread": 0, "items": []}
    r = client.post("/v1/notifications/read", headers=stranger,
                    json={"ids": [body["items"][0]["id"]]})
    assert r.json()["unread"] == 0
    assert client.get("/v1/notifications", headers=w.brand_h).json()["unread"] == 1
    r = client.post("/v1/notifications/read", headers=w.brand_h, json={})
    assert r.json()["unread"] == 0
    r = client.post("/v1/notifications/read", headers=w.brand_h, json={})
    assert r.status_code == 200 and r.json()["unread"] == 0


def test_an_expiry_alert_overdue_by_more_than_a_week_still_goes_out_saying_how_late(client, app):
    """The worker was down (or the clock moved) 9 days past the end: the "ads stopped" alert is
    late, not dropped, and says so in words; a second sweep sends nothing more."""
    run = f.Running(client)
    _until(client, run.creator_h, run.code, -(9 * 24 + 3))
    _tick(app)
    _tick(app)
    assert _events(client, run.brand_h) == ["authorization.expired:expired"]
    assert _events(client, run.creator_h) == ["authorization.expired:expired"]
    note = _latest(client, run.brand_h, "authorization.expired")
    assert note["title"].startswith("Ads stopped")
    assert "9 days and 3 hours late" in note["title"]
    assert "This alert is 9 days and 3 hours late" in note["body"]
    assert "1 ad in" in note["body"] and note["data"]["live_ads"] == 1
    assert note["data"]["late_by"] == "9 days and 3 hours"
    with app.state.db.unit_of_work(write=False) as s:
        payloads = [m.payload for m in s.query(WebhookMessage)]
        emails = [m.subject for m in s.query(EmailMessage)]
    assert [p["data"]["late_by"] for p in payloads] == ["9 days and 3 hours"]
    assert emails and all("9 days and 3 hours late" in subject for subject in emails)
    _tick(app)
    assert _events(client, run.brand_h) == ["authorization.expired:expired"]


def test_an_alert_on_time_does_not_say_late(client, app):
    run = f.Running(client)
    _until(client, run.creator_h, run.code, -0.01)
    _tick(app)
    note = _latest(client, run.brand_h, "authorization.expired")
    assert note["title"] == f"Ads stopped: @{run.creator['handle']}'s authorization expired"
    assert "late" not in note["body"] and note["data"]["late_by"] is None


def test_an_expired_code_with_no_live_ads_does_not_claim_ads_stopped(client, app, bound):
    w = bound
    _until(client, w.creator_h, w.code, -0.01)
    _tick(app)
    note = _latest(client, w.brand_h, "authorization.expired")
    handle = w.creator["handle"]
    assert note["title"] == f"@{handle}'s code expired; no ads were running on it"
    assert "Ads stopped" not in note["title"] and "0 ads" not in note["body"]
    assert "nothing stopped" in note["body"] and note["data"]["live_ads"] == 0


def test_a_reminder_with_no_live_ads_does_not_count_zero_ads(client, app, bound):
    w = bound
    _until(client, w.creator_h, w.code, 24 - 0.01)
    _tick(app)
    note = _latest(client, w.brand_h, "authorization.expiring")
    assert "0 live ads" not in note["body"] and "No ad runs on it now" in note["body"]


def test_a_late_reminder_names_the_hours_really_left(client, app, bound):
    """The T−72 h reminder sent at T−30 h (the worker was down) says 30 h, not 72 h."""
    w = bound
    _until(client, w.creator_h, w.code, 30)
    _tick(app)
    note = _latest(client, w.brand_h, "authorization.expiring")
    assert note["data"]["kind"] == "expiring_72h"
    assert note["title"].endswith("code ends in 30 h")
    assert "This reminder is 1 day and 18 hours late" in note["body"]


def test_a_direct_extension_sends_one_alert(client, app, bound):
    w = bound
    r = client.post(f"/v1/authorizations/{w.code['id']}/extend", headers=w.creator_h,
                    json={"days": 7})
    assert r.status_code == 200
    assert _events(client, w.brand_h) == ["authorization.extended:"]


def test_a_world_written_with_its_past_settles_what_fell_due_before_it(client, app):
    """The demo back-dates codes: what fell due before the world existed is recorded as skipped,
    not sent as a late alert; what falls due afterwards is sent as usual."""
    run = f.Running(client)
    soon = f.Running(client)  # a second world: its code ends in 48 h, its T-72 h is past
    _until(client, run.creator_h, run.code, -(10 * 24))
    with app.state.db.unit_of_work() as s:
        a = s.get(Authorization, soon.code["id"])
        a.expires_at = utc_now() + timedelta(hours=48)
    with app.state.db.unit_of_work() as s:
        assert reminder_service.settle_past(s, settings=app.state.settings, now=utc_now()) == 4
    with app.state.db.unit_of_work() as s:
        assert reminder_service.settle_past(s, settings=app.state.settings, now=utc_now()) == 0
    _tick(app)
    assert _events(client, run.brand_h) == []
    assert _events(client, soon.brand_h) == []
    _until(client, soon.creator_h, soon.code, 24 - 0.01)  # the next reminder is on time
    _tick(app)
    assert _events(client, soon.brand_h) == ["authorization.expiring:expiring_24h"]
    r = client.post(f"/v1/authorizations/{run.code['id']}/extend", headers=run.creator_h,
                    json={"days": 7})
    assert r.status_code == 200
    _until(client, run.creator_h, run.code, -0.01)
    _tick(app)
    assert _events(client, run.brand_h)[-1] == "authorization.expired:expired"


def test_a_queued_reminder_is_told_once_and_not_at_all_once_its_end_moved(client, app):
    """The sweep records and queues; the tell job sends once (a rerun sends nothing), and a
    reminder whose end moved before it was told is skipped: the new end has its own."""
    run = f.Running(client)
    settings = app.state.settings
    with app.state.db.unit_of_work() as s:
        a = s.get(Authorization, run.code["id"])
        assert a is not None
        a.expires_at = end = utc_now() + timedelta(hours=10)
    with app.state.db.unit_of_work() as s:
        assert reminder_service.sweep(s, settings=settings, now=utc_now()) == 1
    with app.state.db.unit_of_work() as s:
        assert reminder_service.sweep(s, settings=settings, now=utc_now()) == 0  # recorded
    keys = {"authorization_id": run.code["id"], "kind": "expiring_24h", "window_end": end}
    for expected in (True, False):
        with app.state.db.unit_of_work() as s:
            assert reminder_service.tell(s, **keys, now=utc_now()) is expected
    assert _events(client, run.brand_h) == ["authorization.expiring:expiring_24h"]
    with app.state.db.unit_of_work() as s:
        a = s.get(Authorization, run.code["id"])
        assert a is not None
        a.expires_at = utc_now() - timedelta(minutes=1)  # the end came: the expiry is due
    with app.state.db.unit_of_work() as s:
        assert reminder_service.sweep(s, settings=settings, now=utc_now()) == 1
    r = client.post(f"/v1/authorizations/{run.code['id']}/extend", headers=run.creator_h,
                    json={"days": 7})
    assert r.status_code == 200, r.text
    with app.state.db.unit_of_work() as s:
        a = s.get(Authorization, run.code["id"])
        assert a is not None
        expired_end = [r.window_end for r in s.query(Reminder).filter_by(kind="expired")][0]
        assert reminder_service.tell(s, authorization_id=a.id, kind="expired",
                                     window_end=expired_end, now=utc_now()) is False
    with app.state.db.unit_of_work(write=False) as s:
        (row,) = s.query(Reminder).filter_by(kind="expired").all()
        assert row.sent_at is None and row.skipped_at is not None
    assert "authorization.expired:expired" not in _events(client, run.brand_h)
