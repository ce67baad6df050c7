"""GET /metrics: Prometheus' text format, parsed with prometheus-client's own parser.

The counters move for what they count (a bind, a refusal, a job, a webhook delivery, a limiter
refusal, a request by route template); the queue is read from the jobs table at scrape time;
production serves it only when a setting turns it on, behind a token; and across processes
(`sparkcodes serve --workers 2` and a separate `sparkcodes worker`) the counts add up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from sparkcodes.app import create_app
from sparkcodes.config import Settings
from sparkcodes.notification import service as notification
from sparkcodes.worker.runner import Runner
from tests import factories as f
from tests.integration._http import unknown_code
from tests.webhook.test_webhooks import Receiver

BIN = Path(sys.executable).parent / "sparkcodes"
BIND_ROUTE = "/v1/ad-accounts/{ad_account_id}/spark-posts"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def get_metrics(client: Any, **headers: str) -> Samples:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return scrape(r.text)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


def test_counters_move_for_binds_refusals_jobs_webhooks_and_requests(client, app, receiver):  # type: ignore[no-untyped-def]
    w = f.World(client)
    r = client.post(f"/v1/businesses/{w.business['id']}/webhook-endpoints", headers=w.brand_h,
                    json={"url": receiver.url("/hook")})
    assert r.status_code == 201, r.text
    receiver.secrets["/hook"] = r.json()["secret"]
    before = get_metrics(client)

    assert f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]).json()["results"][0]["ok"]
    refused = f.bind(client, w.brand_h, w.account2["id"],
                     [unknown_code()]).json()["results"][0]
    assert refused["error"]["code"] == "code_not_found"
    with app.state.db.unit_of_work() as s:
        notification.emit(s, event_type="post.edited", title="Caption changed",
                          body="Something happened.", data={}, business_ids={w.business["id"]})

    queued = get_metrics(client)
    assert value(queued, "sparkcodes_jobs_queued", job="webhook.deliver") >= 1
    assert value(queued, "sparkcodes_jobs_due", job="webhook.deliver") >= 1
    assert value(queued, "sparkcodes_jobs_oldest_due_seconds", job="webhook.deliver") >= 0
    assert Runner(app.state.db, app.state.settings, worker_id="metrics").tick() >= 1
    assert receiver.delivered("/hook")

    after = get_metrics(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("sparkcodes_binds_total", outcome="bound", code="") == 1
    assert moved("sparkcodes_binds_total", outcome="refused", code="code_not_found") == 1
    assert moved("sparkcodes_jobs_run_total", job="webhook.deliver", outcome="finished") >= 1
    assert moved("sparkcodes_webhook_deliveries_total", outcome="delivered") >= 1
    # By route template, never the raw path (which holds ids).
    assert moved("sparkcodes_http_requests_total", method="POST", route=BIND_ROUTE,
                 status="200") == 2
    assert moved("sparkcodes_http_request_duration_seconds_count", method="POST",
                 route=BIND_ROUTE) == 2
    assert not [k for k in after if w.account["id"] in str(k)]
    # The queue was read again at this scrape: the delivery is done.
    assert value(after, "sparkcodes_jobs_queued", job="webhook.deliver") == 0


def test_limiter_refusals_count_by_the_limit_that_tripped(client):  # type: ignore[no-untyped-def]
    email = f"limited-{uuid.uuid4().hex[:8]}@example.com"
    f.user(client, email=email)
    before = get_metrics(client)
    answers = [client.post("/v1/tokens", json={"email": email, "password": "wrong password"})
               for _ in range(11)]
    assert answers[-1].status_code == 429, answers[-1].text
    after = get_metrics(client)
    assert (value(after, "sparkcodes_limiter_refusals_total", limit="logins.account")
            - value(before, "sparkcodes_limiter_refusals_total", limit="logins.account")) == 1


def test_unmatched_paths_share_one_label(client):  # type: ignore[no-untyped-def]
    before = get_metrics(client)
    for i in range(3):
        assert client.get(f"/v1/no-such-thing-{uuid.uuid4().hex}-{i}").status_code == 404
    after = get_metrics(client)
    labels = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert (value(after, "sparkcodes_http_requests_total", **labels)
            - value(before, "sparkcodes_http_requests_total", **labels)) == 3
    assert not [k for k in after if "no-such-thing" in str(k)]


def _production(backend, **metrics: Any) -> Settings:  # type: ignore[no-untyped-def]
    return backend.settings(env="prod", sandbox=False, metrics=metrics)  # type: ignore[no-any-return]


def test_production_serves_no_metrics_unless_a_setting_turns_them_on(backend, app):  # type: ignore[no-untyped-def]
    prod = create_app(_production(backend))
    with TestClient(prod, raise_server_exceptions=False) as c:
        assert c.get("/metrics").status_code == 404
        assert c.get("/health").status_code == 200
    prod.state.db.dispose()


def test_production_metrics_need_the_token(backend, app):  # type: ignore[no-untyped-def]
    prod = create_app(_production(backend, enabled=True, token="scrape-me-" + "x" * 20))
    with TestClient(prod, raise_server_exceptions=False) as c:
        missing = c.get("/metrics")
        assert missing.status_code == 401
        assert missing.json()["error"]["code"] == "metrics_token_required"
        assert "SPARKCODES_METRICS__TOKEN" in missing.json()["error"]["message"]
        wrong = c.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "metrics_token_invalid"
        assert wrong.json()["error"]["message"].startswith("That is not the metrics token")
        c.get("/health")
        samples = get_metrics(c, Authorization="Bearer scrape-me-" + "x" * 20)
        assert value(samples, "sparkcodes_http_requests_total", method="GET", route="/health",
                     status="200") >= 1
    prod.state.db.dispose()


def test_production_refuses_to_start_metrics_without_a_token(backend):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="SPARKCODES_METRICS__TOKEN"):
        _production(backend, enabled=True)


# --- several processes ---------------------------------------------------------------------------

def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.time() + 240
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer /health within 240 s:\n{log.read_text()}")


def _health_counts_per_file(directory: Path) -> dict[str, float]:
    """What each process's counter file holds for GET /health answered 200."""
    found: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        total = 0.0
        for key, count, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(path)):
            if '"/health"' in key and "sparkcodes_http_requests_total" in key:
                total += count
        found[path.name] = total
    return found


def test_counts_add_up_across_server_processes_and_a_separate_worker(backend, app, tmp_path):  # type: ignore[no-untyped-def]
    directory = tmp_path / "metrics"
    port = f.free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "SPARKCODES_DATABASE_URL": backend.url,
           "SPARKCODES_SECRET_KEY": "test-secret-key", "SPARKCODES_SANDBOX": "1",
           "SPARKCODES_ENV": "test", "SPARKCODES_EMBEDDED_WORKER": "false",
           "SPARKCODES_DB_POOL_SIZE": "5", "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    server = subprocess.Popen(
        [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, server, log)
        # A process writes its counter file when it first counts something: knock (a new
        # connection each time) until both server processes have answered at least once.
        deadline = time.time() + 180
        while len(list(directory.glob("counter_*.db"))) < 2:
            assert time.time() < deadline, "the second server process never answered"
            assert httpx.get(base + "/health", timeout=10).status_code == 200
        before = scrape(httpx.get(base + "/metrics", timeout=10).text)
        sent = 60
        for _ in range(sent):  # a new connection each: the kernel spreads them over both
            assert httpx.get(base + "/health", timeout=10).status_code == 200
        wanted = value(before, "sparkcodes_http_requests_total", method="GET", route="/health",
                       status="200") + sent
        # A request is counted just after its answer is sent: let the last one land.
        deadline = time.time() + 10
        while value(scrape(httpx.get(base + "/metrics", timeout=10).text),
                    "sparkcodes_http_requests_total", method="GET", route="/health",
                    status="200") < wanted and time.time() < deadline:
            time.sleep(0.1)
        for _ in range(6):  # whichever process answers the scrape, it adds up every process
            samples = scrape(httpx.get(base + "/metrics", timeout=10).text)
            assert value(samples, "sparkcodes_http_requests_total", method="GET",
                         route="/health", status="200") == wanted
        per_file = _health_counts_per_file(directory)
        assert len([n for n in per_file.values() if n > 0]) >= 2, per_file
        assert sum(per_file.values()) == wanted

        # Jobs run by `sparkcodes worker` (its schedules, due at start), a process of its own,
        # show on the server's scrape.
        ran = subprocess.run([str(BIN), "worker", "--once"], env=env, cwd=tmp_path,
                             capture_output=True, timeout=120)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        samples = scrape(httpx.get(base + "/metrics", timeout=10).text)
        jobs = {dict(labels)["job"]: v for (name, labels), v in samples.items()
                if name == "sparkcodes_jobs_run_total" and dict(labels)["outcome"] == "finished"}
        assert sum(jobs.values()) >= 1, jobs
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
