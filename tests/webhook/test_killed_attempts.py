"""The delivery log counts every POST, also those whose worker was killed mid-request (R32).

A real receiver on 127.0.0.1 takes each POST and stalls without answering; a real worker
(`sparkcodes worker`, a subprocess on the test database) is killed with SIGKILL while the POST is
in flight, and restarted once its job's lease has run out (the sandbox clock moves past it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from sparkcodes.kit import clock
from sparkcodes.models import Job, WebhookDelivery
from sparkcodes.sandbox import service as sandbox
from sparkcodes.webhook import repository as webhook_repository
from sparkcodes.webhook import rules
from sparkcodes.webhook import service as webhook_service
from sparkcodes.worker import repository as job_repository
from sparkcodes.worker.runner import Runner
from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login

KILLS = 5


class StallingReceiver:
    """Verifies each POST's signature and records it, then stalls (no answer) while ``stall``
    is set; answers 204 once it is cleared."""

    def __init__(self) -> None:
        self.port = f.free_port()
        self.secret = ""
        self.stall = threading.Event()
        self.released = threading.Event()
        self.received: list[str] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                with receiver._lock:
                    receiver.received.append(self.headers["webhook-id"])
                if receiver.stall.is_set():
                    receiver.released.wait(60)  # the worker dies meanwhile
                    return
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def posts(self) -> int:
        with self._lock:
            return len(self.received)

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def stalling() -> Iterator[StallingReceiver]:
    r = StallingReceiver()
    yield r
    r.close()


def _wait(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _worker(app, log: Path) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    """`sparkcodes worker` on the test database, in its own process (its output in ``log``)."""
    settings = app.state.settings
    env = {**os.environ, "SPARKCODES_DATABASE_URL": settings.database_url,
           "SPARKCODES_SECRET_KEY": settings.secret_key, "SPARKCODES_ENV": "test",
           "SPARKCODES_SANDBOX": "true", "SPARKCODES_EMBEDDED_WORKER": "false",
           "SPARKCODES_WEBHOOKS__ALLOW_PRIVATE_ADDRESSES": "true",
           "SPARKCODES_WEBHOOKS__TIMEOUT_SECONDS": "120"}
    cli = Path(sys.executable).with_name("sparkcodes")
    with log.open("ab") as out:
        return subprocess.Popen([str(cli), "worker", "--poll", "0.05"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def _log(client, headers, endpoint_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    r = client.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def _delivery(app) -> WebhookDelivery:  # type: ignore[no-untyped-def]
    with app.state.db.unit_of_work(write=False) as s:
        (delivery,) = s.query(WebhookDelivery).all()
        return delivery


def test_attempts_killed_mid_request_are_counted_in_the_delivery_log(client, app, stalling,
                                                                      tmp_path):
    admin = f.user(client, email="hooks-admin@example.com")
    biz = f.business(client, admin)
    r = client.post(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin,
                    json={"url": f"http://127.0.0.1:{stalling.port}/hook"})
    assert r.status_code == 201, r.text
    endpoint, stalling.secret = r.json(), r.json()["secret"]
    stalling.stall.set()
    assert client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test",
                       headers=admin).status_code == 202

    for kill in range(1, KILLS + 1):
        worker = _worker(app, tmp_path / "worker.log")
        try:
            _wait(lambda k=kill: stalling.posts() == k, f"POST {kill}")  # type: ignore[misc]
            # The POST is in flight: the log already counts it, as not answered yet.
            in_flight = _delivery(app)
            assert in_flight.attempts == kill and in_flight.delivered_at is None
            assert in_flight.attempt_started_at is not None
            (entry,) = _log(client, admin, endpoint["id"])
            assert entry["sending"] is True and entry["attempts"] == kill
            assert entry["interrupted_attempts"] == kill - 1
            if kill > 1:  # the attempt before this one was cut off, and the log says so
                assert entry["last_error"].startswith(f"Attempt {kill - 1} (started ")
                assert entry["last_error"].endswith("got no answer: the worker stopped "
                                                    "mid-request.")
        finally:
            _kill(worker)
        with app.state.db.unit_of_work() as s:  # the dead worker's lease (5 min) runs out
            sandbox.move(s, actor_id=None, advance=timedelta(minutes=6), set_to=None)

    stalling.stall.clear()
    worker = _worker(app, tmp_path / "worker.log")
    try:
        _wait(lambda: _delivery(app).delivered_at is not None, "the delivery")
    finally:
        _kill(worker)

    assert stalling.posts() == KILLS + 1
    assert len(set(stalling.received)) == 1  # one message, the same webhook-id every time
    delivery = _delivery(app)
    assert delivery.attempts == KILLS + 1 and delivery.last_status == 204
    assert delivery.attempt_started_at is None and delivery.last_error is None
    (entry,) = _log(client, admin, endpoint["id"])
    assert entry["status"] == "delivered" and entry["attempts"] == KILLS + 1
    assert entry["interrupted_attempts"] == KILLS and entry["sending"] is False
    page_login(client, "hooks-admin@example.com")
    page = client.get(f"/webhook-endpoints/{endpoint['id']}", headers=HTML)
    assert page.status_code == 200, page.text
    assert f"{KILLS + 1} <span class=\"muted\">({KILLS} cut off mid-request)</span>" in page.text


def _test_delivery(client, app) -> tuple[dict[str, str], dict[str, Any], str]:  # type: ignore[no-untyped-def]
    """A business's endpoint (nothing listens at its address) and the delivery of its test
    message, queued: (the admin's headers, the endpoint, the delivery's id)."""
    admin = f.user(client)
    biz = f.business(client, admin)
    r = client.post(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin,
                    json={"url": "http://127.0.0.1:9/hook"})
    assert r.status_code == 201, r.text
    assert client.post(f"/v1/webhook-endpoints/{r.json()['id']}/test",
                       headers=admin).status_code == 202
    return admin, r.json(), _delivery(app).id


def test_two_workers_starting_the_same_attempt_count_it_once(client, app, monkeypatch):
    """Starting an attempt is a conditional write on the count read: of two workers preparing
    the same delivery at once (a lease taken over), one makes the attempt. On PostgreSQL both
    read the delivery before either writes (each waits for the other after its read); SQLite
    serialises writers, so there the second worker's stale read is replayed against the
    repository's guard."""
    admin, _, delivery_id = _test_delivery(client, app)
    db = app.state.db
    if db.engine.dialect.name == "postgresql":
        barrier = threading.Barrier(2)
        read = webhook_repository.delivery_bundle

        def read_then_wait(session, delivery_id):  # type: ignore[no-untyped-def]
            bundle = read(session, delivery_id)
            barrier.wait(timeout=10)
            return bundle

        monkeypatch.setattr(webhook_repository, "delivery_bundle", read_then_wait)

        def prepare(_: int) -> webhook_service.Attempt | webhook_service.Later | None:
            with db.unit_of_work() as s:
                return webhook_service.prepare(s, settings=app.state.settings,
                                               delivery_id=delivery_id, now=clock.utc_now())

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = list(pool.map(prepare, range(2)))
        # The loser makes no attempt, but its job comes back (that worker may have lost its
        # lease, and then its retry would change nothing).
        (later,) = [o for o in outcomes if isinstance(o, webhook_service.Later)]
        assert later == webhook_service.Later(
            rules.check_back_after(app.state.settings.webhooks.timeout_seconds),
            "another worker started attempt 1 meanwhile")
        numbers = [o.number if isinstance(o, webhook_service.Attempt) else None
                   for o in outcomes]
    else:
        with db.unit_of_work() as s:
            first = webhook_service.prepare(s, settings=app.state.settings,
                                            delivery_id=delivery_id, now=clock.utc_now())
        with db.unit_of_work() as s:  # read attempts == 0 before the first one wrote
            second = webhook_repository.start_attempt(
                s, delivery_id=delivery_id, number=1, interrupted=False, note=None,
                now=clock.utc_now())
        numbers = [first.number if first else None, 1 if second else None]
    assert sorted(numbers, key=str) == [1, None]
    delivery = _delivery(app)
    assert delivery.attempts == 1 and delivery.interrupted_attempts == 0


def _job(app, delivery_id: str) -> Job:  # type: ignore[no-untyped-def]
    with app.state.db.unit_of_work(write=False) as s:
        (job,) = s.query(Job).filter(Job.dedupe_key == f"webhook.deliver:{delivery_id}").all()
        return job


def test_a_lease_taken_over_mid_attempt_leaves_the_delivery_a_job(client, app, monkeypatch):
    """Worker a's lease runs out while it delivers (a stall, a clock jump); worker b takes the
    job over and starts attempt 1, a starts attempt 2 (1 looks cut off), both fail. a's retry
    changes nothing (b holds the job) and b's attempt 1 is no longer the latest: if b finished
    the job there, the delivery would stay open with no job left to send it. b's job comes back
    instead, then waits the schedule after attempt 2, and delivers."""
    admin, _, delivery_id = _test_delivery(client, app)
    db, settings = app.state.db, app.state.settings

    def claim(worker: str) -> Job:
        with db.unit_of_work() as s:
            now = clock.utc_now()
            (job,) = job_repository.claim(s, worker_id=worker, now=now,
                                          lease_until=now + timedelta(minutes=5), limit=1)
            return job

    def advance(delta: timedelta) -> None:
        with db.unit_of_work() as s:
            sandbox.move(s, actor_id=None, advance=delta, set_to=None)

    job_a = claim("a")
    advance(timedelta(minutes=6))  # a's lease runs out before it starts
    job_b = claim("b")
    b_posting, a_done = threading.Event(), threading.Event()
    answers: dict[int, tuple[int | None, str | None]] = {}

    def post(attempt: webhook_service.Attempt, **_: Any) -> tuple[int | None, str | None]:
        if attempt.number == 1:  # b's, in flight while a starts its own
            b_posting.set()
            assert a_done.wait(30)
        return answers.get(attempt.number, (500, "HTTP 500"))

    monkeypatch.setattr(webhook_service, "post", post)
    with ThreadPoolExecutor(max_workers=1) as pool:
        b = pool.submit(Runner(db, settings, worker_id="b").run_one, job_b)
        assert b_posting.wait(30)
        Runner(db, settings, worker_id="a").run_one(job_a)
        a_done.set()
        b.result(timeout=30)

    delivery, job = _delivery(app), _job(app, delivery_id)
    assert delivery.attempts == 2 and delivery.interrupted_attempts == 1
    assert delivery.delivered_at is None and delivery.failed_at is None
    assert delivery.last_error == "HTTP 500" and delivery.attempt_started_at is None
    assert job.finished_at is None and job.dead_at is None and job.locked_by is None
    check_back = rules.check_back_after(settings.webhooks.timeout_seconds)
    assert job.run_at > clock.utc_now() + check_back - timedelta(seconds=5)
    assert "attempt 1 ended (HTTP 500) after another worker started a later one" in (
        job.last_error or "")

    # Back after the check-back: attempt 2 failed, so attempt 3 waits the schedule's 300 s from
    # attempt 2's start, and the job comes back then.
    advance(check_back + timedelta(seconds=1))
    answers[3] = (204, None)
    Runner(db, settings, worker_id="c").tick()
    delivery, job = _delivery(app), _job(app, delivery_id)
    assert delivery.attempts == 2 and job.finished_at is None
    assert "attempt 3 is due on the retry schedule in" in (job.last_error or "")
    schedule_wait = timedelta(seconds=settings.webhooks.retry_schedule_seconds[1])
    due = delivery.last_attempt_at + schedule_wait
    assert timedelta(0) <= job.run_at - due < timedelta(seconds=1)
    advance(job.run_at - clock.utc_now() + timedelta(seconds=1))
    Runner(db, settings, worker_id="c").tick()
    delivery, job = _delivery(app), _job(app, delivery_id)
    assert delivery.attempts == 3 and delivery.delivered_at is not None
    assert job.finished_at is not None and job.dead_at is None


def test_on_its_last_run_the_job_gives_the_delivery_up_and_says_why(client, app, monkeypatch):
    """A job the worker buries (its runs spent by kills and come-backs) first gives its delivery
    up: failed, with the reason in the log, not pending with no job to send it."""
    admin, endpoint, delivery_id = _test_delivery(client, app)
    db = app.state.db
    with db.unit_of_work() as s:
        s.query(Job).filter(Job.dedupe_key == f"webhook.deliver:{delivery_id}").update(
            {Job.max_attempts: 1})
    monkeypatch.setattr(webhook_service, "post", lambda attempt, **_: (503, "HTTP 503"))
    Runner(db, app.state.settings, worker_id="w").tick()

    delivery, job = _delivery(app), _job(app, delivery_id)
    assert delivery.attempts == 1 and delivery.delivered_at is None
    assert delivery.failed_at is not None
    assert delivery.last_error == ("Given up after 1 run of its delivery job (the last: attempt 1 "
                                   "failed (HTTP 503); next attempt in 0:00:05).")
    # The job is buried (its work was not done), the delivery settled as failed before it.
    assert job.finished_at is None and job.dead_at is not None
    assert "attempt 1 failed (HTTP 503)" in (job.last_error or "")
    (entry,) = _log(client, admin, endpoint["id"])
    assert entry["status"] == "failed" and entry["last_error"].startswith("Given up after 1 run ")
