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
from sparkcodes.models import WebhookDelivery
from sparkcodes.sandbox import service as sandbox
from sparkcodes.webhook import repository as webhook_repository
from sparkcodes.webhook import service as webhook_service
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


def test_two_workers_starting_the_same_attempt_count_it_once(client, app):
    """Starting an attempt is a conditional write on the count read: of two workers preparing
    the same delivery at once (a lease taken over), one makes the attempt. On PostgreSQL both
    read before either writes; SQLite serialises writers, so there the second worker's stale
    read is replayed against the repository's guard."""
    admin = f.user(client)
    biz = f.business(client, admin)
    r = client.post(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin,
                    json={"url": "http://127.0.0.1:9/hook"})
    assert r.status_code == 201, r.text
    assert client.post(f"/v1/webhook-endpoints/{r.json()['id']}/test",
                       headers=admin).status_code == 202
    delivery_id = _delivery(app).id
    db = app.state.db
    if db.engine.dialect.name == "postgresql":
        barrier = threading.Barrier(2)

        def prepare(_: int) -> int | None:
            with db.unit_of_work() as s:
                s.query(WebhookDelivery).filter(WebhookDelivery.id == delivery_id).all()
                barrier.wait(timeout=10)
                attempt = webhook_service.prepare(s, settings=app.state.settings,
                                                  delivery_id=delivery_id, now=clock.utc_now())
            return attempt.number if attempt else None

        with ThreadPoolExecutor(max_workers=2) as pool:
            numbers = list(pool.map(prepare, range(2)))
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
