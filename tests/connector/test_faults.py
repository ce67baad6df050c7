"""Faults (docs/connector.md, "Faults"): the stand-in TikTok (a second sparkcodes server, its own
database, over HTTP) answers the next calls with 40100, 50002, a stall past the client's
timeout, or a revoked or expired token, armed through its sandbox route. With each, a sync
loses nothing and duplicates nothing (its mirror is a clean sync's) and says what happened; a
real `sparkcodes worker` killed with SIGKILL mid-sync is resumed by the next and converges on
the same mirror."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparkcodes.app import create_app
from sparkcodes.connector.tasks import DONE, STOPPED
from sparkcodes.models import TikTokSyncRun
from sparkcodes.sandbox import service as sandbox
from sparkcodes.worker.service import Retry
from tests import factories as f
from tests.connector.test_connector import Admin, StandIn, alerts, link
from tests.connector.test_sync import (
    MIRRORED,
    OnTikTok,
    do_sync,
    linked,
    runs,
    settings_with,
    snapshot,
)
from tests.integration._http import assert_error
from tests.tiktok_world import PREFIX

FAULTS = "/v1/sandbox/tiktok-faults"


@pytest.fixture
def faults(standin) -> Iterator[Callable[..., dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """Arms a fault on the stand-in (over its sandbox route); none is left over either side."""
    owner = f.user(standin.client)

    def arm(kind: str, calls: int = 1, **extra: Any) -> dict[str, Any]:
        return f._ok(standin.client.post(FAULTS, headers=owner, json={
            "kind": kind, "calls": calls, **extra}), 201)

    f._ok(standin.client.delete(FAULTS, headers=owner))
    yield arm
    f._ok(standin.client.delete(FAULTS, headers=owner))


def mirror(client: TestClient, connection_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """One connection's mirrored rows by TikTok's ids, without what differs between two mirrors
    of the same advertiser (our ids, the connection, when each was first seen)."""
    out = {}
    with client.app.state.db.engine.connect() as conn:
        for model in MIRRORED:
            table = model.__table__
            kept = [c for c in table.c if c.name == "external_id" or not (
                c.name in ("id", "tiktok_id") or c.name.endswith(("_id", "_at")))]
            rows = conn.execute(select(*kept).where(table.c.connection_id == connection_id)
                                .order_by(table.c.external_id)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def clean_mirror(client: TestClient, standin: StandIn, world: OnTikTok) -> dict[str, Any]:
    """The same advertiser linked by another business and synced with no fault armed."""
    admin = Admin(client)
    made = f._ok(link(client, admin, standin, world.brand.token, [world.brand.advertiser_id]),
                 201)
    assert do_sync(client, made, world) == DONE
    return mirror(client, made["id"])


def shown(client: TestClient, admin: Admin, made: dict[str, Any]) -> dict[str, Any]:
    return f._ok(client.get(f"{admin.base}/{made['id']}", headers=admin.headers))


# --- the sandbox route -------------------------------------------------------------------------

def test_faults_are_armed_listed_served_once_each_and_cleared(standin, faults):  # type: ignore[no-untyped-def]
    world = OnTikTok(standin, n=1)
    c = standin.client

    def info() -> dict[str, Any]:
        r = c.get(f"{PREFIX}/advertiser/info/", headers={"Access-Token": world.brand.token},
                  params={"advertiser_ids": f'["{world.brand.advertiser_id}"]'})
        assert r.status_code == 200
        return r.json()  # type: ignore[no-any-return]

    armed = faults("processing", 2, path="advertiser/info/")
    assert armed["faults"] == [{"kind": "processing", "path": "advertiser/info",
                                "calls_left": 2}]
    assert info()["code"] == 50002 and "sandbox fault" in info()["message"]
    assert info()["code"] == 0
    # Only on its path; then each kind, in TikTok's words.
    faults("app_qps", 1, path="tt_video/list/")
    assert info()["code"] == 0
    for kind, code in (("app_qps", 40100), ("token_revoked", 40105),
                       ("token_expired", 40102)):
        faults(kind)
        answer = info()
        assert (answer["code"], answer["data"]) == (code, {}), answer
    assert info()["code"] == 0
    owner = f.user(c)
    left = f._ok(c.get(FAULTS, headers=owner))["faults"]
    assert left == [{"kind": "app_qps", "path": "tt_video/list", "calls_left": 1}]
    assert f._ok(c.delete(FAULTS, headers=owner)) == {"faults": []}
    # A stall answers as usual, late.
    faults("stall", stall_seconds=0.5)
    started = time.monotonic()
    assert info()["code"] == 0 and time.monotonic() - started >= 0.5


def test_fault_requests_are_checked_and_refused_outside_sandbox(standin, faults):  # type: ignore[no-untyped-def]
    owner = f.user(standin.client)
    assert_error(standin.client.post(FAULTS, headers=owner, json={
        "kind": "processing", "path": "no/such/path/"}), 422, "unknown_tiktok_path",
        "No /open_api/v1.3 route answers 'no/such/path/'")
    r = standin.client.post(FAULTS, headers=owner, json={"kind": "explode"})
    assert r.status_code == 422
    r = standin.client.post(FAULTS, json={"kind": "processing"})
    assert r.status_code == 401
    # Outside sandbox mode there is no such route, and the surface serves no fault.
    live = create_app(standin.settings.model_copy(update={"sandbox": False}))
    try:
        with TestClient(live) as outside:
            assert_error(outside.post(FAULTS, headers=owner, json={"kind": "processing"}), 404,
                         "not_found", "")
            assert not hasattr(live.state, "tiktok_faults")
    finally:
        live.state.db.dispose()


def test_of_racing_calls_exactly_the_armed_number_are_faulted(standin, faults):  # type: ignore[no-untyped-def]
    world = OnTikTok(standin, n=1)
    faults("processing", 3, path="advertiser/info/")
    barrier = threading.Barrier(8)
    codes: list[int] = []

    def call() -> None:
        barrier.wait()
        with httpx.Client(base_url=standin.url) as http:
            r = http.get(f"{PREFIX}/advertiser/info/",
                         headers={"Access-Token": world.brand.token},
                         params={"advertiser_ids": f'["{world.brand.advertiser_id}"]'})
            codes.append(r.json()["code"])

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [0] * 5 + [50002] * 3


# --- a sync through each fault -----------------------------------------------------------------

@pytest.mark.parametrize(("kind", "path"), [
    ("app_qps", "tt_video/list/"), ("processing", "identity/get/"), ("stall", "tt_video/list/"),
    ("processing", "ad/get/")])
def test_a_sync_retries_through_transient_faults_and_mirrors_what_a_clean_one_does(  # type: ignore[no-untyped-def]
        client, standin, faults, kind, path):
    world = OnTikTok(standin, n=3)
    admin, made = linked(client, standin, world)
    quick = settings_with(client, sync_page_size=1, max_attempts=3, timeout_seconds=0.5)
    faults(kind, 2, path=path, stall_seconds=1.5)
    assert do_sync(client, made, world, settings=quick) == DONE
    [run] = runs(client)
    assert run.finished_at and run.error is None and run.counts["spark_posts"] == 3
    assert run.calls >= 2 + len({"identity/get", "advertiser/info", "ad/get"}) + 3
    assert f._ok(standin.client.get(FAULTS, headers=f.user(standin.client)))["faults"] == []
    assert shown(client, admin, made)["state"] == "healthy"
    assert mirror(client, made["id"]) == clean_mirror(client, standin, world)


@pytest.mark.parametrize("kind", ["app_qps", "processing", "stall"])
def test_a_fault_outlasting_the_retries_leaves_the_run_to_resume_and_says_so(  # type: ignore[no-untyped-def]
        client, standin, faults, kind):
    world = OnTikTok(standin, n=3)
    admin, made = linked(client, standin, world)
    # A budget as wide as the stand-in's: the run must end on the fault, not on this process's
    # own 10 calls a second, which the one-post pages and their retries can spend.
    quick = settings_with(client, sync_page_size=1, max_attempts=2, timeout_seconds=0.5,
                          app_qps=100_000, advertiser_qps=100_000)
    assert do_sync(client, made, world, settings=quick) == DONE
    before = snapshot(client)
    # On the next run, tt_video/list fails as often as the client tries.
    faults(kind, 2, path="tt_video/list/", stall_seconds=1.5)
    with pytest.raises(Retry):
        do_sync(client, made, world, settings=quick)
    last = runs(client)[-1]
    assert last.finished_at is None and last.holder is None and last.stage == "posts"
    said = {"app_qps": "(40100)", "processing": "(50002)", "stall": "did not answer in time"}
    assert last.error is not None and said[kind] in last.error
    words = shown(client, admin, made)["syncs"][0]["words"]
    assert "resumes on its own" in words, words
    # Nothing was lost meanwhile, nor written twice.
    assert {k: len(v) for k, v in snapshot(client).items()} == {
        k: len(v) for k, v in before.items()}
    assert do_sync(client, made, world, settings=quick) == DONE
    assert runs(client)[-1].finished_at is not None and runs(client)[-1].error is None
    assert mirror(client, made["id"]) == clean_mirror(client, standin, world)


@pytest.mark.parametrize(("kind", "code"), [("token_revoked", 40105),
                                            ("token_expired", 40102)])
def test_a_revoked_token_stops_the_sync_marks_the_connection_and_alerts_once(  # type: ignore[no-untyped-def]
        client, standin, faults, kind, code):
    world = OnTikTok(standin, n=3)
    admin, made = linked(client, standin, world)
    quick = settings_with(client, sync_page_size=1)
    assert do_sync(client, made, world, settings=quick) == DONE
    before = mirror(client, made["id"])
    faults(kind, 1, path="tt_video/list/")
    assert do_sync(client, made, world, settings=quick) == STOPPED
    state = shown(client, admin, made)
    assert state["state"] == "token_revoked" and state["last_error_code"] == code
    assert "reconnect" in state["state_words"].lower()
    words = state["syncs"][0]["words"]
    assert "Sync stopped" in words and str(code) in words
    assert [t for _, t in alerts(client, admin.business["id"])] == [
        "TikTok connection needs reconnecting"]
    last = runs(client)[-1]
    assert last.finished_at is not None and last.error_code == code
    # The mirror keeps what the last good sync found: nothing lost, nothing doubled.
    assert mirror(client, made["id"]) == before == clean_mirror(client, standin, world)
    assert len(alerts(client, admin.business["id"])) == 1


# --- a real worker killed mid-sync -------------------------------------------------------------

def _wait(condition: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _worker(client: TestClient, log: Path) -> subprocess.Popen[bytes]:
    """`sparkcodes worker` on our side's database, in its own process (output in ``log``)."""
    settings = client.app.state.settings
    env = {**os.environ, "SPARKCODES_DATABASE_URL": settings.database_url,
           "SPARKCODES_SECRET_KEY": settings.secret_key, "SPARKCODES_ENV": "test",
           "SPARKCODES_SANDBOX": "true", "SPARKCODES_EMBEDDED_WORKER": "false",
           "SPARKCODES_CONNECTOR__ALLOW_LOOPBACK_HTTP": "true",
           "SPARKCODES_CONNECTOR__SYNC_PAGE_SIZE": "1",
           "SPARKCODES_CONNECTOR__BACKOFF_INITIAL_SECONDS": "0.1"}
    cli = Path(sys.executable).with_name("sparkcodes")
    with log.open("ab") as out:
        return subprocess.Popen([str(cli), "worker", "--poll", "0.05"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def _run(client: TestClient) -> TikTokSyncRun | None:
    with client.app.state.db.session() as session:
        return session.scalars(select(TikTokSyncRun)).first()


def test_a_worker_killed_mid_sync_is_resumed_by_the_next(client, standin, faults, tmp_path):  # type: ignore[no-untyped-def]
    world = OnTikTok(standin, n=4)
    # Every tt_video/list call answers a second late: the sync is slow enough to be caught
    # between its pages.
    faults("stall", 50, path="tt_video/list/", stall_seconds=1.0)
    admin, made = linked(client, standin, world)  # linking queues the advertiser's sync
    log = tmp_path / "worker.log"
    worker = _worker(client, log)
    try:
        _wait(lambda: (r := _run(client)) is not None and r.stage == "posts"
              and int(r.cursor.get("page") or 1) >= 3, "the sync at page 3")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    killed = _run(client)
    assert killed is not None and killed.finished_at is None and killed.holder is not None
    page_when_killed = int(killed.cursor.get("page") or 1)
    assert 3 <= page_when_killed <= 4
    assert len(snapshot(client)["spark_posts"]) == page_when_killed - 1
    f._ok(standin.client.delete(FAULTS, headers=f.user(standin.client)))
    # The dead worker's job lease (5 min) and its hold on the run (5 min) run out.
    with client.app.state.db.unit_of_work() as s:
        sandbox.move(s, actor_id=None, advance=timedelta(minutes=6), set_to=None)
    worker = _worker(client, log)
    try:
        _wait(lambda: (r := _run(client)) is not None and r.finished_at is not None,
              "the resumed sync")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    [run] = runs(client)  # the same run, resumed
    assert run.id == killed.id and run.error is None and run.counts["spark_posts"] == 4
    assert run.holder is None or run.holder != killed.holder
    assert shown(client, admin, made)["state"] == "healthy"
    assert mirror(client, made["id"]) == clean_mirror(client, standin, world)
