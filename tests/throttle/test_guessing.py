"""R15 code guessing: failed look-ups count per ad account, per user, per client address and
across the service, atomically, in a store every process shares (Redis, else the database);
each refusal names its limit and carries Retry-After; a store that is down refuses (503)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from sparkcodes.app import create_app
from sparkcodes.compat.tiktok import throttle
from sparkcodes.throttle import tasks
from sparkcodes.throttle.rules import LOOKUPS, Tier
from sparkcodes.throttle.service import Limiter
from sparkcodes.worker.service import SCHEDULES, JobContext
from tests import factories as f
from tests.integration._http import assert_error, parallel, preview, unknown_code

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
STORES = ["database", pytest.param("redis", marks=needs_redis)]


def _store(kind: str) -> dict[str, Any]:
    """Settings for a store kind; Redis keys get a prefix of this test's own."""
    if kind == "redis":
        return {"redis_url": REDIS_URL, "limiter_key_prefix": f"test-{uuid.uuid4().hex[:12]}"}
    return {}


@contextmanager
def serving(backend, host: str = "203.0.113.1", **overrides: Any) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """Another app (a process, as far as the limiter knows: its own Limiter) over the test
    database, seen from ``host``."""
    app = create_app(backend.settings(**overrides))
    try:
        with TestClient(app, raise_server_exceptions=False, client=(host, 50000)) as c:
            yield c
    finally:
        app.state.db.dispose()


def me(client, headers) -> str:  # type: ignore[no-untyped-def]
    return client.get("/v1/me", headers=headers).json()["id"]


# --- atomic: racing requests never look up more than the limit --------------------------------

def test_32_racing_look_ups_make_exactly_the_limit(client, app, live_url):  # type: ignore[no-untyped-def]
    w = f.World(client)
    r = f.bind(client, w.brand_h, w.account["id"], [unknown_code() for _ in range(20)])
    assert r.json()["failed"] == 20  # 10 of the 30 left

    def look_up(http: httpx.Client) -> int:
        return http.post(f"/v1/ad-accounts/{w.account['id']}/spark-posts/preview",
                         headers=w.brand_h, json={"code": unknown_code()}).status_code

    statuses = Counter(parallel(live_url, [look_up] * 32))
    assert statuses == {404: 10, 429: 22}, statuses
    tier = app.state.limiter.lookups(ad_account_id=w.account["id"],
                                     user_id=me(client, w.brand_h), ip=None)[0]
    assert app.state.limiter.hits(tier) == 30


@pytest.mark.parametrize("store", STORES)
def test_32_threads_reserving_at_once_get_exactly_the_limit(backend, store):  # type: ignore[no-untyped-def]
    limiter = Limiter(backend.settings(**_store(store)))
    tier = Tier(LOOKUPS, "ad_account", uuid.uuid4().hex, "10/minute")
    start, results = threading.Barrier(32), []

    def reserve() -> None:
        start.wait()
        try:
            limiter.reserve([tier])
            results.append("counted")
        except Exception as exc:  # noqa: BLE001 - the refusal is the result
            results.append(getattr(exc, "code", repr(exc)))

    threads = [threading.Thread(target=reserve) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert Counter(results) == {"counted": 10, "rate_limited": 22}
        assert limiter.hits(tier) == 10  # refused hits were given back
    finally:
        if store == "redis":
            limiter.reset()


@pytest.mark.parametrize("store", STORES)
def test_racing_reservations_over_shared_tiers_count_exactly_and_give_back_whole(backend, store):  # type: ignore[no-untyped-def]
    """One round trip counts all tiers: 32 attempts over a shared tier (limit 10) and a tier of
    their own, listed in either order, half of them given back at once as others count; no
    deadlock, exactly 10 counted in the shared tier, a refused attempt left in no tier."""
    limiter = Limiter(backend.settings(**_store(store)))
    run = uuid.uuid4().hex
    shared = Tier(LOOKUPS, "service", f"shared-{run}", "10/minute")
    own = [Tier(LOOKUPS, "ip", f"own-{run}-{i}", "5/minute") for i in range(32)]
    start, results = threading.Barrier(32), {}

    def reserve(i: int) -> None:
        tiers = [shared, own[i]] if i % 2 else [own[i], shared]
        start.wait()
        try:
            reservation = limiter.reserve(tiers)
        except Exception as exc:  # noqa: BLE001 - the refusal is the result
            results[i] = getattr(exc, "code", repr(exc))
            return
        results[i] = "counted"
        if i % 4 == 0:
            reservation.release()
            results[i] = "released"

    threads = [threading.Thread(target=reserve, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        outcomes = Counter(results.values())
        assert set(outcomes) <= {"counted", "released", "rate_limited"}, outcomes
        held, admitted = outcomes["counted"], outcomes["counted"] + outcomes["released"]
        # The first ten to count are in; a release may let a later one in too, never more
        # than ten at once.
        assert admitted >= 10 and outcomes["rate_limited"] == 32 - admitted, outcomes
        assert limiter.hits(shared) == held <= 10
        for i, outcome in results.items():
            assert limiter.hits(own[i]) == (1 if outcome == "counted" else 0), (i, outcome)
    finally:
        if store == "redis":
            limiter.reset()
        limiter.close()


def test_a_dead_pooled_connection_is_replaced_not_refused(backend):  # type: ignore[no-untyped-def]
    """The database store pings no connection on checkout: a pooled connection that died (a
    restart of PostgreSQL) costs one retry, not a 503."""
    if backend.name != "postgres":
        pytest.skip("SQLite connections do not die under a running process")
    limiter = Limiter(backend.settings())
    tiers = limiter.lookups(ad_account_id=uuid.uuid4().hex, user_id=uuid.uuid4().hex, ip=None)
    try:
        limiter.reserve(tiers)
        with limiter.storage.engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        killer = create_engine(backend.url)
        with killer.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
        killer.dispose()
        limiter.check(tiers)
        limiter.reserve(tiers).release()
        assert [limiter.hits(t) for t in tiers] == [1, 1, 1, 1]
    finally:
        limiter.close()


def test_a_code_that_exists_is_no_failed_look_up(client, app):  # type: ignore[no-untyped-def]
    w = f.World(client)
    for _ in range(40):  # more than the limit: found codes are given back
        assert preview(client, w.brand_h, w.account["id"], w.code["code"]).status_code == 200
    tier = app.state.limiter.lookups(ad_account_id=w.account["id"],
                                     user_id=me(client, w.brand_h), ip=None)[0]
    assert app.state.limiter.hits(tier) == 0


# --- shared by processes and kept across restarts -----------------------------------------------

def _serve(backend, port: int, tmp_path: Path) -> subprocess.Popen:  # type: ignore[no-untyped-def,type-arg]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPARKCODES_")}
    env.update(SPARKCODES_DATABASE_URL=backend.url, SPARKCODES_SECRET_KEY="test-secret-key",
               SPARKCODES_ENV="test", SPARKCODES_SANDBOX="true",
               SPARKCODES_EMBEDDED_WORKER="false")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "sparkcodes.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=tmp_path)
    deadline = time.time() + 120  # a cold start takes tens of seconds on a loaded machine
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the worker process did not start")


def test_two_worker_processes_share_the_limit(client, backend, tmp_path):  # type: ignore[no-untyped-def]
    """Without Redis: the embedded setup's two workers count in the database (or the file
    beside SQLite's), so together they allow 30, not 30 each."""
    ports = [f.free_port(), f.free_port()]
    procs = [_serve(backend, port, tmp_path) for port in ports]
    try:
        w = f.World(client)
        statuses = []
        for i in range(40):
            r = httpx.post(f"http://127.0.0.1:{ports[i % 2]}/v1/ad-accounts/{w.account['id']}"
                           "/spark-posts/preview", headers=w.brand_h,
                           json={"code": unknown_code()}, timeout=30)
            statuses.append(r.status_code)
        assert statuses == [404] * 30 + [429] * 10, statuses
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.mark.parametrize("store", STORES)
def test_a_restart_keeps_the_count(client, backend, store):  # type: ignore[no-untyped-def]
    w = f.World(client)
    settings = _store(store)
    with serving(backend, **settings) as before:
        r = f.bind(before, w.brand_h, w.account["id"], [unknown_code() for _ in range(20)])
        assert r.json()["failed"] == 20
        for _ in range(10):
            assert preview(before, w.brand_h, w.account["id"], unknown_code()).status_code == 404
    # The first app stopped; a new one (its own Limiter, its own connections) starts.
    try:
        with serving(backend, **settings) as after:
            assert_error(preview(after, w.brand_h, w.account["id"], w.code["code"]), 429,
                         "rate_limited", "from this ad account (30 in 10 minutes)")
    finally:
        if store == "redis":
            Limiter(backend.settings(**settings)).reset()


# --- each refusal: its code, its words, Retry-After ---------------------------------------------

SMALL = {"codes": {"failed_lookups_limit": "3/minute", "failed_lookups_per_ip": "5/minute",
                   "failed_lookups_service": "7/minute"}}


def _refused(r, limit: str, words: str) -> None:  # type: ignore[no-untyped-def]
    error = assert_error(r, 429, "rate_limited", words)
    assert error["details"]["limit"] == limit, error
    assert error["details"]["max"] == {"lookups.ad_account": 3, "lookups.user": 3,
                                       "lookups.ip": 5, "lookups.service": 7}[limit]
    assert error["details"]["window_seconds"] == 60
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= 60 and error["details"]["retry_after"] == retry
    assert f"try again in {retry} second" in error["message"] or retry > 59


def test_each_tier_refuses_in_its_own_words(client, backend):  # type: ignore[no-untyped-def]
    a, b, c = f.World(client), f.World(client), f.World(client)
    with serving(backend, "198.51.100.1", **SMALL) as one, \
            serving(backend, "198.51.100.2", **SMALL) as two:
        for _ in range(3):
            assert preview(one, a.brand_h, a.account["id"], unknown_code()).status_code == 404
        _refused(preview(one, a.brand_h, a.account["id"], a.code["code"]), "lookups.ad_account",
                 "Too many unknown or mistyped codes from this ad account (3 in 1 minute)")
        _refused(preview(one, a.brand_h, a.account2["id"], a.code["code"]), "lookups.user",
                 "Too many unknown or mistyped codes from your account (3 in 1 minute)")
        for _ in range(2):
            assert preview(one, b.brand_h, b.account["id"], unknown_code()).status_code == 404
        _refused(preview(one, b.brand_h, b.account["id"], b.code["code"]), "lookups.ip",
                 "Too many unknown or mistyped codes from your network address (5 in 1 minute)")
        # Another address: only the service-wide limit (7) is left to reach.
        for _ in range(2):
            assert preview(two, c.brand_h, c.account["id"], unknown_code()).status_code == 404
        r = f.bind(two, c.brand_h, c.account["id"], [c.code["code"]])
        _refused(r, "lookups.service", "Too many unknown or mistyped codes across sparkcodes "
                                       "(7 in 1 minute)")
        assert "paused for everyone" in r.json()["error"]["message"]
        # The TikTok surface says the same in its envelope, with TikTok's code for "too often".
        adv = two.get(f"/v1/ad-accounts/{c.account['id']}", headers=c.brand_h).json()["tiktok_id"]
        r = two.get("/open_api/v1.3/tt_video/info/", params={
            "advertiser_id": adv, "auth_code": c.code["code"]},
            headers={"Access-Token": c.brand_h["Authorization"].split()[1]})
        body = r.json()
        assert (r.status_code, body["code"]) == (200, 40016), body
        assert "across sparkcodes (7 in 1 minute); try again in" in body["message"]
        # Refused attempts were not counted: every tier holds what it allowed, no more.
        limiter = one.app.state.limiter  # type: ignore[attr-defined]
        tiers = limiter.lookups(ad_account_id=b.account["id"], user_id=me(client, b.brand_h),
                                ip="198.51.100.1")
        assert [limiter.hits(t) for t in tiers] == [2, 2, 5, 7]


# --- fail closed when the store is down ---------------------------------------------------------

def _down(kind: str) -> dict[str, Any]:
    port = f.free_port()  # nobody listens there
    if kind == "redis":
        return {"redis_url": f"redis://127.0.0.1:{port}/0"}
    return {"limiter_store_url": f"postgresql://postgres@127.0.0.1:{port}/limits"}


@pytest.mark.parametrize("kind", ["redis", "database"])
def test_a_store_that_is_down_refuses_with_503(client, backend, kind):  # type: ignore[no-untyped-def]
    w = f.World(client)
    words = ("Code look-ups are paused: the store that counts failed look-ups cannot be "
             "reached. Try again in a minute.")
    with serving(backend, **_down(kind)) as down:
        for r in (preview(down, w.brand_h, w.account["id"], w.code["code"]),
                  f.bind(down, w.brand_h, w.account["id"], [w.code["code"], unknown_code()])):
            assert_error(r, 503, "limiter_unavailable", words)
            assert r.headers["Retry-After"] == "30"
        adv = down.get(f"/v1/ad-accounts/{w.account['id']}", headers=w.brand_h).json()
        r = down.post("/open_api/v1.3/tt_video/authorize/", json={
            "advertiser_id": adv["tiktok_id"], "auth_code": w.code["code"]},
            headers={"Access-Token": w.brand_h["Authorization"].split()[1]})
        # With Redis down, TikTok's own QPS limit (counted there too) refuses first.
        assert (r.json()["code"], r.json()["message"]) == (
            50002, words if kind == "database" else throttle.STORE_DOWN)
    # Nothing was bound meanwhile.
    code = client.get(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h).json()
    assert code["status"] == "NOT_USED", code


# --- housekeeping -------------------------------------------------------------------------------

def test_the_hourly_sweep_deletes_ended_windows_only(app, backend):  # type: ignore[no-untyped-def]
    assert tasks.SWEEP in {s.name for s in SCHEDULES}
    limiter = app.state.limiter
    ended = Tier(LOOKUPS, "ip", f"made-up-{uuid.uuid4().hex}", "5/1 second")
    running = Tier(LOOKUPS, "ip", f"kept-{uuid.uuid4().hex}", "5/hour")
    limiter.reserve([ended])
    limiter.reserve([running])
    time.sleep(1.1)
    tasks.sweep(JobContext(app.state.db, app.state.settings, job=None), {})  # type: ignore[arg-type]
    with limiter.storage.engine.connect() as conn:
        keys = " ".join(conn.execute(text("SELECT key FROM rate_limit_counters")).scalars())
    assert ended.key not in keys and running.key in keys
    assert limiter.hits(running) == 1
