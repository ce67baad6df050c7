"""Webhooks (R32): endpoints managed by admins, signed per Standard Webhooks, delivered at least
once from the outbox with retries, a delivery log, and disabling after three days of failure.

The receiver is a real HTTP server on 127.0.0.1 that verifies every signature with the
standardwebhooks library, the way a customer's server would.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sparkcodes.kit import clock
from sparkcodes.models import AuditEvent, EmailMessage, Job, Notification, WebhookDelivery
from sparkcodes.notification import service as notification
from sparkcodes.sandbox import service as sandbox
from sparkcodes.webhook import service as webhook_service
from sparkcodes.worker import repository as job_repository
from sparkcodes.worker.runner import Runner
from tests import factories as f

RAW_CODE = "SPARK-ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345"



class Receiver:
    """A customer's webhook receiver: verifies each signature, records each webhook-id.

    ``answers`` is a queue of HTTP statuses to answer with (then 200). Several endpoints may
    point at it, each on its own path with its own secret.
    """

    def __init__(self) -> None:
        self.port = f.free_port()
        self.secrets: dict[str, str] = {}
        self.answers: list[int] = []
        self.received: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k: v for k, v in self.headers.items()}
                secret = receiver.secrets.get(self.path)
                try:
                    if secret is None:
                        raise WebhookVerificationError(f"no endpoint at {self.path}")
                    payload = Webhook(secret).verify(body, headers)
                except WebhookVerificationError as exc:
                    with receiver._lock:
                        receiver.rejected.append(str(exc))
                    self.send_response(401)
                    self.end_headers()
                    return
                with receiver._lock:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.received.append({
                        "path": self.path, "id": self.headers.get("webhook-id"),
                        "status": status, "payload": payload, "body": body.decode(),
                        "user_agent": self.headers.get("user-agent"), "headers": headers})
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"receiver says %d" % status)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def delivered(self, path: str | None = None) -> list[dict[str, Any]]:
        """Requests answered 2xx (at this path)."""
        return [r for r in self.received if 200 <= r["status"] < 300
                and (path is None or r["path"] == path)]


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture
def db(app):  # type: ignore[no-untyped-def]
    return app.state.db


def _advance(db, delta: timedelta) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        sandbox.move(s, actor_id=None, advance=delta, set_to=None)


def _runner(app, name: str) -> Runner:  # type: ignore[no-untyped-def]
    return Runner(app.state.db, app.state.settings, worker_id=name)


def _endpoint(client, headers, business_id: str, receiver: Receiver, path: str,  # type: ignore[no-untyped-def]
              **fields) -> dict[str, Any]:
    r = client.post(f"/v1/businesses/{business_id}/webhook-endpoints", headers=headers,
                    json={"url": receiver.url(path), **fields})
    assert r.status_code == 201, r.text
    receiver.secrets[path] = r.json()["secret"]
    return r.json()


def _emit(db, business_id: str, event_type: str, **data) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        notification.emit(s, event_type=event_type, title=f"Test {event_type}",
                          body="Something happened.", data=data, business_ids={business_id})


def _log(client, headers, endpoint_id: str, **params) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=headers,
                   params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _member(client, admin_h, business_id: str, role: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    headers = f.user(client, email=email)
    r = client.put(f"/v1/businesses/{business_id}/members", headers=admin_h,
                   json={"email": email, "role": role})
    assert r.status_code == 200, r.text
    return headers


# --- managing endpoints ----------------------------------------------------------------------


def test_endpoint_crud_shows_the_secret_once_and_audits_every_change(client, receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    r = client.post(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin,
                    json={"url": receiver.url("/a"), "description": "ERP",
                          "event_types": ["post.edited", "authorization.expired", "post.edited"]})
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 24
    assert created["event_types"] == ["authorization.expired", "post.edited"]
    assert created["status"] == "enabled" and created["description"] == "ERP"
    eid = created["id"]

    listed = client.get(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin).json()
    one = client.get(f"/v1/webhook-endpoints/{eid}", headers=admin).json()
    assert [e["id"] for e in listed] == [eid]
    for shown in (listed[0], one):
        assert "secret" not in shown and secret not in json.dumps(shown)

    r = client.patch(f"/v1/webhook-endpoints/{eid}", headers=admin,
                     json={"description": "ERP v2", "event_types": []})
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "ERP v2" and r.json()["event_types"] == []
    assert r.json()["url"] == receiver.url("/a")  # fields left out stay as they were

    r = client.post(f"/v1/webhook-endpoints/{eid}/rotate-secret", headers=admin)
    assert r.status_code == 200, r.text
    rotated = r.json()["secret"]
    assert rotated.startswith("whsec_") and rotated != secret
    assert "secret" not in client.get(f"/v1/webhook-endpoints/{eid}", headers=admin).json()

    assert client.delete(f"/v1/webhook-endpoints/{eid}", headers=admin).status_code == 204
    assert client.get(f"/v1/webhook-endpoints/{eid}", headers=admin).status_code == 404
    assert client.get(f"/v1/businesses/{biz['id']}/webhook-endpoints",
                      headers=admin).json() == []
    assert client.delete(f"/v1/webhook-endpoints/{eid}", headers=admin).status_code == 204

    history = client.get(f"/v1/businesses/{biz['id']}/history", headers=admin,
                         params={"limit": 500}).json()
    actions = [h["action"] for h in history if h["target_type"] == "webhook_endpoint"]
    assert sorted(actions) == sorted(["webhook_endpoint.created", "webhook_endpoint.updated",
                                      "webhook_endpoint.secret_rotated",
                                      "webhook_endpoint.deleted"])  # the second delete: no row
    dumped = json.dumps(history)
    assert secret not in dumped and rotated not in dumped


@pytest.mark.parametrize(("body", "code"), [
    ({"url": "ftp://example.com/x"}, "invalid_webhook_url"),
    ({"url": "not a url"}, "invalid_webhook_url"),
    ({"url": "https://example.com/x", "event_types": ["post.edited", "nope.happened"]},
     "unknown_event_type"),
    ({"description": "no url"}, "validation_error"),
])
def test_bad_endpoints_are_refused(client, body, code):
    admin = f.user(client)
    biz = f.business(client, admin)
    r = client.post(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin, json=body)
    assert r.status_code == 422 and f.error_code(r) == code, r.text


def test_access_strangers_get_404_and_only_admins_manage(client, receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    eid = _endpoint(client, admin, biz["id"], receiver, "/a")["id"]
    analyst = _member(client, admin, biz["id"], "analyst")
    operator = _member(client, admin, biz["id"], "operator")
    stranger = f.user(client)
    reads = [("GET", f"/v1/businesses/{biz['id']}/webhook-endpoints", None),
             ("GET", f"/v1/webhook-endpoints/{eid}", None),
             ("GET", f"/v1/webhook-endpoints/{eid}/deliveries", None)]
    writes = [("POST", f"/v1/businesses/{biz['id']}/webhook-endpoints",
               {"url": "https://example.com/x"}),
              ("PATCH", f"/v1/webhook-endpoints/{eid}", {"description": "x"}),
              ("POST", f"/v1/webhook-endpoints/{eid}/rotate-secret", None),
              ("POST", f"/v1/webhook-endpoints/{eid}/test", None),
              ("DELETE", f"/v1/webhook-endpoints/{eid}", None)]
    for method, url, body in reads + writes:
        r = client.request(method, url, headers=stranger, json=body)
        assert r.status_code == 404 and f.error_code(r) == "not_found", (method, url, r.text)
    for member in (analyst, operator):
        for method, url, _ in reads:
            assert client.request(method, url, headers=member).status_code == 200, url
        for method, url, body in writes:
            r = client.request(method, url, headers=member, json=body)
            assert r.status_code == 403 and f.error_code(r) == "role_insufficient", (url, r.text)
    assert client.get("/v1/webhook-endpoints/nope", headers=admin).status_code == 404
    r = client.get(f"/v1/webhook-endpoints/{eid}")
    assert r.status_code == 401


# --- delivering ------------------------------------------------------------------------------


def test_events_are_signed_filtered_logged_and_never_carry_a_raw_code(client, app, receiver):
    world = f.World(client)
    f.spark_post_id(client, world.brand_h, world.account["id"], world.code["code"])
    raw = world.code["code"]
    everything = _endpoint(client, world.brand_h, world.business["id"], receiver, "/all")
    only_deleted = _endpoint(client, world.brand_h, world.business["id"], receiver, "/deleted",
                             event_types=["authorization.deleted"])

    r = client.post(f"/v1/authorizations/{world.code['id']}/extend", headers=world.creator_h,
                    json={"days": 30})
    assert r.status_code == 200, r.text
    _runner(app, "w").tick()

    (got,) = receiver.received
    assert receiver.rejected == []
    assert got["path"] == "/all" and got["payload"]["type"] == "authorization.extended"
    assert set(got["payload"]) == {"type", "timestamp", "data"}
    assert got["payload"]["data"]["authorization_id"] == world.code["id"]
    assert got["user_agent"] == "sparkcodes-webhooks/1"
    assert raw not in got["body"] and raw.replace("-", "") not in got["body"]

    log = _log(client, world.brand_h, everything["id"])
    assert log["total"] == 1
    (entry,) = log["items"]
    assert entry["message_id"] == got["id"] and entry["event_type"] == "authorization.extended"
    assert entry["status"] == "delivered" and entry["attempts"] == 1
    assert entry["last_status"] == 200 and entry["last_error"] is None
    assert entry["delivered_at"] is not None and entry["failed_at"] is None
    assert _log(client, world.brand_h, only_deleted["id"])["items"] == []

    # The creator deletes the code: the endpoint subscribed to that event hears it too.
    r = client.delete(f"/v1/authorizations/{world.code['id']}", headers=world.creator_h)
    assert r.status_code == 200, r.text
    _runner(app, "w").tick()
    deleted = [x for x in receiver.received if x["payload"]["type"] == "authorization.deleted"]
    assert sorted(x["path"] for x in deleted) == ["/all", "/deleted"]
    assert len({x["id"] for x in deleted}) == 1  # one message, the same webhook-id for both
    assert all(raw not in x["body"] for x in receiver.received)


def test_emit_scrubs_secrets_from_webhook_payloads(client, app, db, receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    _endpoint(client, admin, biz["id"], receiver, "/a")
    _emit(db, biz["id"], "misuse.reported", code=RAW_CODE, reason="resold",
          nested={"token": "tok_secret", "secret": "whsec_x", "ok": 1})
    _runner(app, "w").tick()
    (got,) = receiver.received
    assert got["payload"]["data"] == {"reason": "resold", "nested": {"ok": 1}}
    for secret in (RAW_CODE, "tok_secret", "whsec_x"):
        assert secret not in got["body"]


def test_the_test_event_reaches_one_endpoint_and_nobody_else(client, app, db, receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    a = _endpoint(client, admin, biz["id"], receiver, "/a",
                  event_types=["authorization.expired"])
    _endpoint(client, admin, biz["id"], receiver, "/b")
    for _ in range(3):
        r = client.post(f"/v1/webhook-endpoints/{a['id']}/test", headers=admin)
        assert r.status_code == 202, r.text
        assert r.json()["event_type"] == "webhook.test" and r.json()["status"] == "pending"
        _advance(db, timedelta(seconds=1))
    _runner(app, "w").tick()
    assert [x["path"] for x in receiver.received] == ["/a"] * 3
    assert all(x["payload"]["type"] == "webhook.test" for x in receiver.received)
    with db.unit_of_work(write=False) as s:  # no notification, no e-mail: it is only a test
        assert s.query(Notification).count() == 0 and s.query(EmailMessage).count() == 0

    log = _log(client, admin, a["id"])
    assert log["total"] == 3 and all(i["status"] == "delivered" for i in log["items"])
    created = [i["created_at"] for i in log["items"]]
    assert created == sorted(created, reverse=True)  # newest first
    page = _log(client, admin, a["id"], limit=2, offset=1)
    assert [i["id"] for i in page["items"]] == [i["id"] for i in log["items"][1:3]]
    assert page["total"] == 3 and page["limit"] == 2 and page["offset"] == 1
    history = client.get(f"/v1/businesses/{biz['id']}/history", headers=admin).json()
    assert sum(h["action"] == "webhook_endpoint.tested" for h in history) == 3


def test_a_500_is_retried_on_schedule_with_the_same_webhook_id(client, app, db, receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    endpoint = _endpoint(client, admin, biz["id"], receiver, "/a")
    receiver.answers = [500]
    _emit(db, biz["id"], "post.edited", post_id="p1")
    runner = _runner(app, "w")
    runner.tick()

    (entry,) = _log(client, admin, endpoint["id"])["items"]
    assert entry["status"] == "pending" and entry["attempts"] == 1
    assert entry["last_status"] == 500 and entry["last_error"] == "HTTP 500: receiver says 500"
    shown = client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=admin).json()
    assert shown["status"] == "failing" and shown["failing_since"] is not None
    with db.unit_of_work(write=False) as s:  # the runner honoured the first step of the schedule
        (job,) = s.query(Job).filter(Job.name == "webhook.deliver").all()
        wait = job.run_at - clock.utc_now()
        assert timedelta(seconds=3) < wait <= timedelta(seconds=5)
        assert job.dead_at is None and job.finished_at is None

    runner.tick()  # not due yet
    assert len(receiver.received) == 1
    _advance(db, timedelta(seconds=6))
    runner.tick()
    first, second = receiver.received
    assert (first["status"], second["status"]) == (500, 200)
    assert first["id"] == second["id"] and first["body"] == second["body"]
    (entry,) = _log(client, admin, endpoint["id"])["items"]
    assert entry["status"] == "delivered" and entry["attempts"] == 2
    assert entry["last_status"] == 200 and entry["last_error"] is None
    shown = client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=admin).json()
    assert shown["status"] == "enabled" and shown["failing_since"] is None


class Killed(BaseException):
    """The worker process dies: not an Exception, so the runner cannot catch and retry it."""


def test_receiver_down_a_day_and_workers_killed_nothing_lost(client, app, db, monkeypatch):
    receiver = Receiver()  # not started: connections are refused
    admin = f.user(client)
    biz = f.business(client, admin)
    endpoint = _endpoint(client, admin, biz["id"], receiver, "/a")
    for event_type in ("authorization.extended", "misuse.reported", "post.edited"):
        _emit(db, biz["id"], event_type, code=RAW_CODE, note=event_type)
    assert client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test",
                       headers=admin).status_code == 202
    with db.unit_of_work(write=False) as s:
        messages = {d.message_id for d in s.query(WebhookDelivery)}
    assert len(messages) == 4
    started = clock.utc_now()

    w1 = _runner(app, "w1")
    w1.tick()
    items = _log(client, admin, endpoint["id"])["items"]
    assert [i["attempts"] for i in items] == [1] * 4
    assert all("ConnectError" in i["last_error"] and i["last_status"] is None for i in items)
    _advance(db, timedelta(seconds=6))
    w1.tick()

    # w1 claims the next due attempts, then is killed before running them.
    _advance(db, timedelta(seconds=301))
    with db.unit_of_work() as s:
        now = clock.utc_now()
        claimed = job_repository.claim(s, worker_id="w1", now=now,
                                       lease_until=now + timedelta(minutes=5), limit=50)
    assert sum(j.name == "webhook.deliver" for j in claimed) == 4

    w2 = _runner(app, "w2")  # restarted: the jobs are leased to the dead w1 for now
    w2.tick()
    assert [i["attempts"] for i in _log(client, admin, endpoint["id"])["items"]] == [2] * 4
    _advance(db, timedelta(minutes=6))  # the lease expires
    w2.tick()
    assert [i["attempts"] for i in _log(client, admin, endpoint["id"])["items"]] == [3] * 4

    for wait in (1800, 7200, 18000, 36000):  # attempts 4 to 7, all refused
        _advance(db, timedelta(seconds=wait + 1))
        w2.tick()
    assert [i["attempts"] for i in _log(client, admin, endpoint["id"])["items"]] == [7] * 4
    down_for = clock.utc_now() - started
    assert timedelta(hours=17) < down_for < timedelta(days=1)
    _advance(db, timedelta(days=1) - down_for)  # a whole day down; nothing was due meanwhile
    w2.tick()
    assert [i["attempts"] for i in _log(client, admin, endpoint["id"])["items"]] == [7] * 4

    receiver.start()  # back up, on the same address
    try:
        # w2 posts the first message, then dies before recording it: it will be sent again.
        real_record = webhook_service.record_outcome
        kills = []

        def record_then_die(*args, **kwargs):  # type: ignore[no-untyped-def]
            if not kills:
                kills.append(1)
                raise Killed()
            return real_record(*args, **kwargs)

        monkeypatch.setattr(webhook_service, "record_outcome", record_then_die)
        _advance(db, timedelta(seconds=50400) - (timedelta(days=1) - down_for)
                 + timedelta(seconds=2))
        with pytest.raises(Killed):
            w2.tick()
        assert len(receiver.received) == 1

        w3 = _runner(app, "w3")  # restarted again; w2's claimed batch waits for its lease
        w3.tick()
        _advance(db, timedelta(minutes=6))
        w3.tick()
    finally:
        receiver.stop()

    assert receiver.rejected == []
    ids = Counter(r["id"] for r in receiver.received)
    assert set(ids) == messages  # every event delivered, none lost, none invented
    repeats = {i: n for i, n in ids.items() if n > 1}
    assert list(repeats.values()) == [2]  # the only repeat: the message in flight at the kill
    assert sorted({r["id"]: r["payload"]["type"] for r in receiver.received}.values()) == [
        "authorization.extended", "misuse.reported", "post.edited", "webhook.test"]
    assert all(RAW_CODE not in r["body"] for r in receiver.received)
    items = _log(client, admin, endpoint["id"])["items"]
    assert all(i["status"] == "delivered" for i in items)
    with db.unit_of_work(write=False) as s:
        jobs = s.query(Job).filter(Job.name == "webhook.deliver").all()
        assert all(j.finished_at is not None and j.dead_at is None for j in jobs)
    shown = client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=admin).json()
    assert shown["status"] == "enabled"


def test_three_days_of_failure_disable_the_endpoint_and_tell_the_admins_once(
        client, app, db, receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    analyst = _member(client, admin, biz["id"], "analyst")
    broken = _endpoint(client, admin, biz["id"], receiver, "/broken")
    healthy = _endpoint(client, admin, biz["id"], receiver, "/healthy",
                        event_types=["webhook_endpoint.disabled"])
    receiver.secrets["/broken"] = "whsec_" + base64.b64encode(b"x" * 24).decode()  # 401s
    _emit(db, biz["id"], "post.edited", post_id="p1")
    _emit(db, biz["id"], "ad.stopped", ad_id="a1")
    runner = _runner(app, "w")
    runner.tick()
    schedule = app.state.settings.webhooks.retry_schedule_seconds
    for wait in schedule[:-1]:
        _advance(db, timedelta(seconds=wait + 1))
        runner.tick()
        shown = client.get(f"/v1/webhook-endpoints/{broken['id']}", headers=admin).json()
        assert shown["status"] == "failing"  # not yet three days
    _advance(db, timedelta(seconds=schedule[-1] + 1))
    runner.tick()
    runner.tick()

    shown = client.get(f"/v1/webhook-endpoints/{broken['id']}", headers=admin).json()
    assert shown["status"] == "disabled" and shown["disabled_at"] is not None
    assert "three days" in shown["disabled_reason"] or "3 days" in shown["disabled_reason"]
    items = _log(client, admin, broken["id"])["items"]
    assert [i["status"] for i in items] == ["failed", "failed"]
    # The first to exhaust the schedule disabled the endpoint; the other then failed unsent.
    exhausted = [i for i in items if i["attempts"] == len(schedule) + 1]
    assert exhausted and all(i["last_status"] == 401 for i in exhausted)
    assert all(i in exhausted or i["last_error"].startswith("Endpoint disabled") for i in items)

    for who in (admin, analyst):  # every member told, once
        told = [n for n in client.get("/v1/notifications", headers=who).json()["items"]
                if n["event_type"] == "webhook_endpoint.disabled"]
        assert len(told) == 1 and told[0]["data"]["endpoint_id"] == broken["id"]
    hooks = [r for r in receiver.delivered("/healthy")
             if r["payload"]["type"] == "webhook_endpoint.disabled"]
    assert len(hooks) == 1 and hooks[0]["payload"]["data"]["url"] == receiver.url("/broken")
    with db.unit_of_work(write=False) as s:
        audits = s.query(AuditEvent).filter(AuditEvent.action == "webhook_endpoint.disabled").all()
        assert [a.target_id for a in audits] == [broken["id"]] and audits[0].actor_id is None
        assert s.query(EmailMessage).filter(EmailMessage.subject.like("%disabled%")).count() == 2

    # Nothing more is sent to a disabled endpoint, and a test is refused until re-enabled.
    _emit(db, biz["id"], "post.edited", post_id="p2")
    runner.tick()
    assert _log(client, admin, broken["id"])["total"] == 2
    r = client.post(f"/v1/webhook-endpoints/{broken['id']}/test", headers=admin)
    assert r.status_code == 409 and f.error_code(r) == "webhook_endpoint_disabled"
    assert "This endpoint is disabled; re-enable it first" in r.json()["error"]["message"]

    r = client.post(f"/v1/webhook-endpoints/{broken['id']}/rotate-secret", headers=admin)
    receiver.secrets["/broken"] = r.json()["secret"]
    r = client.patch(f"/v1/webhook-endpoints/{broken['id']}", headers=admin,
                     json={"enabled": True})
    assert r.status_code == 200 and r.json()["status"] == "enabled", r.text
    assert r.json()["disabled_reason"] is None and r.json()["failing_since"] is None
    assert client.post(f"/v1/webhook-endpoints/{broken['id']}/test",
                       headers=admin).status_code == 202
    runner.tick()
    assert [r["payload"]["type"] for r in receiver.delivered("/broken")] == ["webhook.test"]
    assert healthy["id"]  # the healthy endpoint never failed
    assert client.get(f"/v1/webhook-endpoints/{healthy['id']}",
                      headers=admin).json()["status"] == "enabled"


def test_deliveries_to_a_deleted_or_disabled_endpoint_fail_without_sending(client, app, db,
                                                                           receiver):
    admin = f.user(client)
    biz = f.business(client, admin)
    gone = _endpoint(client, admin, biz["id"], receiver, "/gone")
    paused = _endpoint(client, admin, biz["id"], receiver, "/paused")
    _emit(db, biz["id"], "post.edited", post_id="p1")
    assert client.delete(f"/v1/webhook-endpoints/{gone['id']}", headers=admin).status_code == 204
    r = client.patch(f"/v1/webhook-endpoints/{paused['id']}", headers=admin,
                     json={"enabled": False})
    assert r.json()["status"] == "disabled" and r.json()["disabled_reason"]
    _runner(app, "w").tick()
    assert receiver.received == []
    with db.unit_of_work(write=False) as s:
        rows = {d.endpoint_id: d for d in s.query(WebhookDelivery)}
        assert rows[gone["id"]].failed_at is not None
        assert rows[gone["id"]].last_error == "Endpoint deleted."
        assert rows[paused["id"]].failed_at is not None
        assert rows[paused["id"]].last_error.startswith("Endpoint disabled")
        assert all(d.attempts == 0 for d in rows.values())
