"""The deployment that outgrows one box (docs/scaling.md): two API processes and two worker
processes on one PostgreSQL, with Redis for what they share. The races a request can run into,
sent half to each API process, still have exactly one outcome; the reminders the two workers
sweep for go out exactly once per code and offset; the failed-look-up limit is one limit across
both API processes.

Real processes (`sparkcodes serve`, `sparkcodes worker`), real HTTP, a database of their own.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests import factories as f
from tests.integration import _processes as processes
from tests.integration._processes import PG_ENV

REDIS_URL = os.environ.get("SPARKCODES_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Per window, shared by both API processes through Redis. Above the 20 binds of the race test:
# each look-up is counted while it runs (and given back when the code exists), so 20 at once
# by one user hold 20 of the user's count for a moment.
FAILED_LOOKUPS = 25


pytestmark = [
    pytest.mark.skipif(PG_ENV not in os.environ,
                       reason=f"needs PostgreSQL: set {PG_ENV} (.ci/run sets it)"),
]


@dataclass
class Cluster:
    apis: list[str]
    workers: list[subprocess.Popen[bytes]]
    logs: Path

    def client(self, i: int) -> httpx.Client:
        return httpx.Client(base_url=self.apis[i % len(self.apis)], timeout=30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    why = processes.redis_answers(REDIS_URL)
    if why is not None:
        pytest.skip(f"needs Redis for the shared limits: {why}")
    logs = tmp_path_factory.mktemp("scale-out")
    with processes.pg_database("sparkcodes_scale") as url:
        env = {**os.environ,
               "SPARKCODES_DATABASE_URL": url,
               "SPARKCODES_REDIS_URL": REDIS_URL,
               "SPARKCODES_SECRET_KEY": "scale-out-test-secret-" + uuid.uuid4().hex,
               "SPARKCODES_SANDBOX": "1",
               "SPARKCODES_EMBEDDED_WORKER": "false",
               "SPARKCODES_CODES__FAILED_LOOKUPS_LIMIT": f"{FAILED_LOOKUPS}/10 minutes",
               "SPARKCODES_DB_POOL_SIZE": "10"}
        env.pop(PG_ENV, None)
        running: list[subprocess.Popen[bytes]] = []
        try:
            processes.upgrade(env)
            apis = []
            for i in range(2):
                api, p = processes.serve(env, logs / f"api{i}.log")
                running.append(p)
                apis.append(api)
            workers = [processes.worker(env, logs / f"worker{i}.log") for i in range(2)]
            running += workers
            yield Cluster(apis=apis, workers=workers, logs=logs)
            for w in workers:
                assert w.poll() is None, (logs / "worker0.log").read_text()
        finally:
            processes.stop(running)


def _spread(cluster: Cluster, calls: list) -> list[httpx.Response]:  # type: ignore[type-arg]
    """Run the calls at once, call i on API process i mod 2."""
    clients = [cluster.client(i) for i in range(len(calls))]
    try:
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(lambda pair: pair[0](pair[1]), zip(calls, clients, strict=True)))
    finally:
        for c in clients:
            c.close()


def test_both_api_processes_answer_from_one_database(cluster: Cluster) -> None:
    a, b = cluster.client(0), cluster.client(1)
    h = f.user(a)
    creator = f.creator(a, h)
    assert b.get(f"/v1/creators/{creator['id']}", headers=h).json()["handle"] == creator["handle"]


def test_twenty_ad_accounts_on_two_processes_race_for_one_code(cluster: Cluster) -> None:
    c = cluster.client(0)
    w = f.World(c)
    accounts = [f.ad_account(c, w.brand_h, w.business["id"]) for _ in range(20)]
    responses = _spread(cluster, [
        (lambda http, a=a: f.bind(http, w.brand_h, a["id"], [w.code["code"]])) for a in accounts])
    assert all(r.status_code == 200 for r in responses), [
        (r.status_code, r.text) for r in responses if r.status_code != 200]
    results = [r.json()["results"][0] for r in responses]
    assert sum(res["ok"] for res in results) == 1, results
    assert {res["error"]["code"] for res in results if not res["ok"]} == {"code_used_elsewhere"}
    held = sum(len(c.get(f"/v1/ad-accounts/{a['id']}/spark-posts", headers=w.brand_h).json())
               for a in accounts)
    assert held == 1


def test_extensions_sent_to_both_processes_all_apply(cluster: Cluster) -> None:
    c = cluster.client(0)
    w = f.World(c)
    before = datetime.fromisoformat(w.code["expires_at"])
    responses = _spread(cluster, [
        (lambda http: http.post(f"/v1/authorizations/{w.code['id']}/extend",
                                headers=w.creator_h, json={"days": 7})) for _ in range(6)])
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    after = c.get(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h).json()
    assert datetime.fromisoformat(after["expires_at"]) - before == timedelta(days=42)


def test_one_email_signing_up_on_both_processes_makes_one_user(cluster: Cluster) -> None:
    email = f"both-{uuid.uuid4().hex[:8]}@example.com"
    responses = _spread(cluster, [
        (lambda http: http.post("/v1/users", json={"email": email, "password": "correct horse"}))
        for _ in range(10)])
    codes = Counter(r.status_code for r in responses)
    assert codes[201] == 1 and codes[201] + codes[409] == 10, [r.text for r in responses]


def test_failed_look_ups_are_one_limit_across_both_processes(cluster: Cluster) -> None:
    """A guesser who alternates between the two API processes gets no more tries than one."""
    c = cluster.client(0)
    w = f.World(c)
    wrong = "SPARK-" + "0" * 27
    answers = []
    for i in range(FAILED_LOOKUPS + 2):
        r = f.bind(cluster.client(i), w.brand_h, w.account["id"], [wrong])
        answers.append((r.status_code, r.json()))
    refused = [i for i, (status, body) in enumerate(answers)
               if status == 429 or "too_many" in str(body)]
    assert refused, answers
    assert refused[0] <= FAILED_LOOKUPS, answers


def test_two_workers_send_each_reminder_once(cluster: Cluster) -> None:
    c = cluster.client(0)
    creator_h = f.user(c)
    creator = f.creator(c, creator_h)
    brand_h = f.user(c)
    account = f.ad_account(c, brand_h, f.business(c, brand_h)["id"])
    codes = []
    for _ in range(12):
        post = f.post(c, creator_h, creator["id"])
        code = f.code(c, creator_h, post["id"], days=7)
        assert f.bind(c, brand_h, account["id"], [code["code"]]).json()["bound"] == 1
        codes.append(code)
    latest = max(datetime.fromisoformat(code["expires_at"]) for code in codes)

    def reminders() -> Counter[str]:
        items = c.get("/v1/notifications", headers=brand_h, params={"limit": 500}).json()["items"]
        return Counter(f"{n['data'].get('authorization_id')}:{n['data'].get('kind')}"
                       for n in items if n["event_type"] == "authorization.expiring")

    def settle(expected: int) -> Counter[str]:
        deadline = time.time() + 60
        seen: Counter[str] = Counter()
        while time.time() < deadline:
            seen = reminders()
            if sum(seen.values()) >= expected:
                time.sleep(3)  # both workers ticked again: a duplicate would show now
                return reminders()
            time.sleep(0.5)
        return seen

    for hours, kind in ((72, "expiring_72h"), (24, "expiring_24h")):
        target = latest - timedelta(hours=hours - 0.5)
        r = c.post("/v1/sandbox/clock", headers=brand_h, json={"set": target.isoformat()})
        assert r.status_code == 200, r.text
        seen = settle(len(codes) * (1 if kind == "expiring_72h" else 2))
        for code in codes:
            assert seen[f"{code['id']}:{kind}"] == 1, (kind, seen)
    assert all(w.poll() is None for w in cluster.workers)
