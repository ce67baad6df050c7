"""Sync (docs/connector.md, step 2): a linked advertiser's Spark posts mirrored from a real
stand-in TikTok (a second sparkcodes server, its own database, over HTTP) into sparkcodes' own
nouns, where the tracker, calendar and reminders see them with no fork; idempotent, resumable
from its checkpoint, one run at a time, and a token revoked mid-way said once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparkcodes.connector import sync as sync_service
from sparkcodes.connector.tasks import DONE, STOPPED, run_sync, sweep
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import (
    AdAccount,
    Authorization,
    Creator,
    Job,
    Post,
    SparkPost,
    TikTokSyncRun,
)
from sparkcodes.worker.service import Retry
from tests import factories as f
from tests.connector.test_connector import (
    HTML,
    Admin,
    StandIn,
    alerts,
    dump_everything,
    link,
)
from tests.integration._http import assert_error
from tests.tiktok_world import Brand
from tests.tiktok_world import Creator as TikTokCreator

MIRRORED = (AdAccount, Creator, Post, Authorization, SparkPost)


class OnTikTok:
    """On the stand-in: a brand whose advertiser has bound ``n`` creators' codes."""

    def __init__(self, standin: StandIn, n: int = 2, days: int = 30,
                 currency: str = "USD") -> None:
        c = standin.client
        self.brand = Brand(c, name="Glow on TikTok", currency=currency)
        self.creators = [TikTokCreator(c) for _ in range(n)]
        self.posts = [cr.post(caption=f"Routine #{i} #ad") for i, cr in enumerate(self.creators)]
        self.codes = [cr.code(p, days) for cr, p in zip(self.creators, self.posts, strict=True)]
        r = f.bind(c, self.brand.headers, self.brand.account["id"],
                   [code["code"] for code in self.codes])
        assert r.status_code == 200, r.text
        assert r.json()["bound"] == n and r.json()["failed"] == 0, r.text

    def item_ids(self) -> set[str]:
        return {str(p["tiktok_id"]) for p in self.posts}


def linked(client: TestClient, standin: StandIn, world: OnTikTok) -> tuple[Admin, dict[str, Any]]:
    admin = Admin(client)
    made = f._ok(link(client, admin, standin, world.brand.token, [world.brand.advertiser_id]),
                 201)
    return admin, made


def do_sync(client: TestClient, made: dict[str, Any], world: OnTikTok, *,
            holder: str = "test", settings=None, transport=None) -> str:  # type: ignore[no-untyped-def]
    return run_sync(client.app.state.db, settings or client.app.state.settings,
                    connection_id=made["id"], advertiser_id=world.brand.advertiser_id,
                    trigger="test", holder=holder, transport=transport)


def snapshot(client: TestClient) -> dict[str, list[tuple[Any, ...]]]:
    """Every mirrored row of every mirrored table, every column."""
    out = {}
    with client.app.state.db.engine.connect() as conn:
        for model in MIRRORED:
            table = model.__table__
            rows = conn.execute(select(table).where(table.c.source == "tiktok")
                                .order_by(table.c.id)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def runs(client: TestClient) -> list[TikTokSyncRun]:
    with client.app.state.db.session() as session:
        return list(session.scalars(select(TikTokSyncRun).order_by(TikTokSyncRun.started_at)))


def tracker(client: TestClient, admin: Admin, **params: Any) -> list[dict[str, Any]]:
    body = f._ok(client.get(f"/v1/businesses/{admin.business['id']}/tracker",
                            headers=admin.headers, params=params))
    return body["items"] if isinstance(body, dict) else body


def settings_with(client: TestClient, **connector: Any):  # type: ignore[no-untyped-def]
    ours = client.app.state.settings
    return ours.model_copy(update={"connector": ours.connector.model_copy(update=connector)})


# --- the mirror --------------------------------------------------------------------------------

def test_sync_mirrors_the_advertisers_spark_posts_into_the_tracker(client, standin):  # type: ignore[no-untyped-def]
    world = OnTikTok(standin, n=2, days=7)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    mirror = snapshot(client)
    assert {k: len(v) for k, v in mirror.items()} == {
        "ad_accounts": 1, "creators": 2, "posts": 2, "authorizations": 2, "spark_posts": 2}
    with client.app.state.db.session() as session:
        account = session.scalar(select(AdAccount).where(AdAccount.source == "tiktok"))
        assert account is not None
        assert (account.business_id, account.external_id, account.name) == (
            admin.business["id"], world.brand.advertiser_id, world.brand.account["name"])
        posts = {p.external_id: p for p in session.scalars(
            select(Post).where(Post.source == "tiktok"))}
        assert set(posts) == world.item_ids()
        codes = list(session.scalars(select(Authorization).where(
            Authorization.source == "tiktok")))
        assert all(c.code_hash is None and c.created_by_id is None for c in codes)
        ends = {c.expires_at.replace(microsecond=0) for c in codes}
        want = {datetime.fromisoformat(c["expires_at"]).astimezone(UTC).replace(microsecond=0)
                for c in world.codes}
        assert ends == want
        creators = list(session.scalars(select(Creator).where(Creator.source == "tiktok")))
        assert all(c.owner_id is None for c in creators)
        assert {c.handle for c in creators} == {cr.creator["handle"] for cr in world.creators}
        # The 0009 triggers kept the tracker's columns for mirrored rows.
        sps = list(session.scalars(select(SparkPost).where(SparkPost.source == "tiktok")))
        assert {sp.business_id for sp in sps} == {admin.business["id"]}
        assert {sp.window_end_at.replace(microsecond=0) for sp in sps} == want
    # The tracker, over /v1: both posts, with their window end and the TikTok account.
    rows = tracker(client, admin)
    assert len(rows) == 2, rows
    assert {r["post"]["caption"] for r in rows} == {p["caption"] for p in world.posts}
    assert {datetime.fromisoformat(r["window_end"]).astimezone(UTC).replace(microsecond=0)
            for r in rows} == want
    assert {r["status"] for r in rows} == {"AUTHORIZED"}
    assert {r["ad_account"]["name"] for r in rows} == {world.brand.account["name"]}
    assert {r["code_hint"][:10] for r in rows} == {"SPARK-" + c["code"].split("-")[1][:4]
                                                   for c in world.codes}
    # No code is ever held raw.
    dump = dump_everything(client)
    for code in world.codes:
        assert code["code"] not in dump
    # The run says what it found.
    [run] = runs(client)
    assert run.finished_at and run.stage == "done" and run.counts["spark_posts"] == 2
    # identity/get, tt_video/list, then step 3's advertiser/info and ad/get (no ads: no report).
    assert run.calls == 4 and run.error is None
    shown = f._ok(client.get(f"{admin.base}/{made['id']}", headers=admin.headers))
    assert shown["syncs"][0]["words"].startswith("Synced ")
    assert "2 Spark posts" in shown["syncs"][0]["words"]


def test_a_second_sync_changes_nothing_and_follows_tiktok(client, standin):  # type: ignore[no-untyped-def]
    world = OnTikTok(standin, n=2)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    before = snapshot(client)
    assert do_sync(client, made, world) == DONE
    assert snapshot(client) == before
    assert [r.counts.get("created", 0) + r.counts.get("updated", 0) for r in runs(client)] == [
        8, 0]
    # On TikTok, one code is extended and the other post is unbound: the mirror follows.
    c = standin.client
    extended = f._ok(c.post(f"/v1/authorizations/{world.codes[0]['id']}/extend",
                            headers=world.creators[0].headers, json={"days": 30}))
    sp_id = f.spark_post_id(c, world.brand.headers, world.brand.account["id"],
                            world.codes[1]["code"])
    f._ok(c.delete(f"/v1/ad-accounts/{world.brand.account['id']}/spark-posts/{sp_id}",
                   headers=world.brand.headers))
    assert do_sync(client, made, world) == DONE
    rows = tracker(client, admin)
    assert len(rows) == 1
    end = datetime.fromisoformat(rows[0]["window_end"]).astimezone(UTC)
    assert end.replace(microsecond=0) == datetime.fromisoformat(
        extended["expires_at"]).astimezone(UTC).replace(microsecond=0)
    assert runs(client)[-1].counts["unbound"] == 1


# --- the operations layer sees the mirror -------------------------------------------------------

def _tick(client: TestClient) -> None:
    from sparkcodes.worker.runner import Runner

    Runner(client.app.state.db, client.app.state.settings, worker_id="test").tick()


def set_clocks(client: TestClient, standin: StandIn, admin: Admin, instant: datetime) -> None:
    """Both sandbox clocks, ours and the stand-in TikTok's, to ``instant`` (they share this
    process's clock, so they must agree)."""
    for c, headers in ((standin.client, f.user(standin.client)), (client, admin.headers)):
        f._ok(c.post("/v1/sandbox/clock", headers=headers, json={"set": instant.isoformat()}))


def _events(client: TestClient, headers: dict[str, str]) -> list[str]:
    body = f._ok(client.get("/v1/notifications", headers=headers, params={"limit": 500}))
    return [n["event_type"] + ":" + n["data"].get("kind", "") for n in reversed(body["items"])
            if n["event_type"].startswith("authorization.")]


def test_reminders_and_the_calendar_feed_cover_mirrored_spark_posts(client, standin):  # type: ignore[no-untyped-def]
    from urllib.parse import urlsplit

    from icalendar import Calendar

    world = OnTikTok(standin, n=1, days=7)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    [row] = tracker(client, admin)
    end = datetime.fromisoformat(row["window_end"]).astimezone(UTC)
    feed = f._ok(client.post(f"/v1/businesses/{admin.business['id']}/calendar-feeds",
                             headers=admin.headers), 201)
    r = client.get(urlsplit(feed["url"]).path)
    assert r.status_code == 200, r.text
    ends = [ev.decoded("DTEND") for ev in Calendar.from_ical(r.content).walk("VEVENT")]
    assert [e.astimezone(UTC).replace(microsecond=0) for e in ends] == [
        end.replace(microsecond=0)]
    for hours, kind in ((72 - 0.01, "expiring_72h"), (24 - 0.01, "expiring_24h"),
                        (-0.01, "expired")):
        set_clocks(client, standin, admin, end - timedelta(hours=hours))
        _tick(client)
        _tick(client)
        event = "expired" if kind == "expired" else "expiring"
        assert _events(client, admin.headers)[-1] == f"authorization.{event}:{kind}"
    assert _events(client, admin.headers) == [
        "authorization.expiring:expiring_72h", "authorization.expiring:expiring_24h",
        "authorization.expired:expired"]
    # The tracker says it ended, in the same words as for a native code.
    [row] = tracker(client, admin, include_unbound="true")
    assert row["status"] == "AUTHORIZATION_EXPIRED" and row["days_left"] == 0


# --- read-only in sparkcodes ------------------------------------------------------------------

def test_native_writes_on_a_mirrored_ad_account_are_refused(client, standin):  # type: ignore[no-untyped-def]
    world = OnTikTok(standin, n=1)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    [row] = tracker(client, admin)
    account_id = row["ad_account"]["id"]
    assert f._ok(client.get(f"/v1/ad-accounts/{account_id}", headers=admin.headers))["name"]
    native = f.World(client)
    for r in (client.post(f"/v1/ad-accounts/{account_id}/campaigns", headers=admin.headers,
                          json={"name": "Always on"}),
              client.post(f"/v1/ad-accounts/{account_id}/spark-posts/own",
                          headers=admin.headers, json={"post_id": native.post["id"]})):
        error = assert_error(r, 409, "mirrored_from_tiktok", "mirrored from TikTok")
        assert "change it in TikTok Ads Manager" in error["message"]
    # A bind goes to TikTok (step 4, tests/connector/test_bind_through.py), which knows no
    # code issued here.
    [item] = f._ok(f.bind(client, admin.headers, account_id, [native.code["code"]]))["results"]
    assert item["error"]["code"] == "code_not_found"
    assert len(tracker(client, admin)) == 1


# --- resuming, racing, revoked ------------------------------------------------------------------

class Wire(httpx.MockTransport):
    """The wire to the stand-in, counted: fails with "connection refused" at call ``down_at``
    (the stand-in down mid-sync), and runs ``before`` ahead of call ``before_at``."""

    def __init__(self, *, down_at: int | None = None, before_at: int | None = None,
                 before=None) -> None:  # type: ignore[no-untyped-def]
        self.paths: list[str] = []
        self.down_at, self.before_at, self.before = down_at, before_at, before
        super().__init__(self._send)

    def _send(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path.removeprefix("/open_api/v1.3"))
        n = len(self.paths)
        if n == self.down_at:
            raise httpx.ConnectError("connection refused", request=request)
        if n == self.before_at and self.before is not None:
            self.before()
        with httpx.Client() as http:
            answer = http.send(request)
            return httpx.Response(answer.status_code, headers=answer.headers,
                                  content=answer.content)


def test_a_sync_stopped_mid_way_resumes_from_its_checkpoint(client, standin):  # type: ignore[no-untyped-def]
    world = OnTikTok(standin, n=3)
    admin, made = linked(client, standin, world)
    one_page_each = settings_with(client, sync_page_size=1, max_attempts=1)
    down = Wire(down_at=3)  # identity/get, page 1, then the stand-in is down
    with pytest.raises(Retry):
        do_sync(client, made, world, settings=one_page_each, transport=down)
    assert down.paths == ["/identity/get/", "/tt_video/list/", "/tt_video/list/"]
    [run] = runs(client)
    assert (run.stage, run.cursor["page"], run.finished_at, run.holder) == ("posts", 2, None,
                                                                             None)
    assert run.error and "could not be reached" in run.error
    assert len(snapshot(client)["spark_posts"]) == 1
    shown = f._ok(client.get(f"{admin.base}/{made['id']}", headers=admin.headers))
    assert "resumes on its own" in shown["syncs"][0]["words"]
    # The next run picks up at page 2: no identity call, no page 1 again.
    wire = Wire()
    assert do_sync(client, made, world, settings=one_page_each, transport=wire) == DONE
    assert wire.paths == ["/tt_video/list/", "/tt_video/list/", "/advertiser/info/", "/ad/get/"]
    [run] = runs(client)
    assert run.finished_at and run.counts["spark_posts"] == 3 and run.error is None
    assert len(snapshot(client)["spark_posts"]) == 3
    assert {r["post"]["caption"] for r in tracker(client, admin)} == {
        p["caption"] for p in world.posts}


def test_two_syncs_of_one_advertiser_at_once_make_one_set_of_rows(client, standin):  # type: ignore[no-untyped-def]
    world = OnTikTok(standin, n=2)
    admin, made = linked(client, standin, world)
    db, settings = client.app.state.db, client.app.state.settings
    # The conditional write: of two workers starting at once, one holds the run.
    barrier = threading.Barrier(2)
    begun: list[Any] = []

    def begin(holder: str) -> None:
        barrier.wait()
        with db.unit_of_work() as session:
            begun.append(sync_service.begin(
                session, settings=settings, connection_id=made["id"],
                advertiser_id=world.brand.advertiser_id, trigger="test", holder=holder,
                now=utc_now()))

    threads = [threading.Thread(target=begin, args=(h,)) for h in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(b).__name__ for b in begun) == ["Held", "str"]
    assert sync_service.BUSY in begun
    [held] = [b for b in begun if not isinstance(b, str)]
    # The other worker's sync, while that one holds the run, is left to it.
    assert do_sync(client, made, world, holder="c") == sync_service.BUSY
    # Two whole syncs racing converge on one set of rows.
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def whole(holder: str) -> None:
        barrier.wait()
        outcomes.append(do_sync(client, made, world, holder=holder))

    assert do_sync(client, made, world, holder=held.holder) == DONE
    threads = [threading.Thread(target=whole, args=(h,)) for h in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert DONE in outcomes and set(outcomes) <= {DONE, sync_service.BUSY}
    assert {k: len(v) for k, v in snapshot(client).items()} == {
        "ad_accounts": 1, "creators": 2, "posts": 2, "authorizations": 2, "spark_posts": 2}
    assert all(r.finished_at is not None for r in runs(client))
    assert len(tracker(client, admin)) == 2


def test_a_token_revoked_during_sync_marks_the_connection_and_alerts_once(client, standin):  # type: ignore[no-untyped-def]
    from tests.tiktok_world import new_token, revoke

    world = OnTikTok(standin, n=1)
    second = new_token(standin.client, world.brand.email)
    admin = Admin(client)
    made = f._ok(link(client, admin, standin, second["token"], [world.brand.advertiser_id]),
                 201)
    wire = Wire(before_at=2, before=lambda: revoke(standin.client, world.brand.headers,
                                                   second["id"]))
    assert do_sync(client, made, world, transport=wire) == STOPPED
    shown = f._ok(client.get(f"{admin.base}/{made['id']}", headers=admin.headers))
    assert shown["state"] == "token_revoked" and shown["last_error_code"] == 40105
    words = shown["syncs"][0]["words"]
    assert "Sync stopped" in words and "40105" in words
    assert [t for _, t in alerts(client, admin.business["id"])] == [
        "TikTok connection needs reconnecting"]
    # Again, and a check: nothing more is said, and there is nothing to sync.
    assert do_sync(client, made, world) == sync_service.NOT_SYNCABLE
    f._ok(client.post(f"{admin.base}/{made['id']}/check", headers=admin.headers))
    assert len(alerts(client, admin.business["id"])) == 1
    assert_error(client.post(f"{admin.base}/{made['id']}/sync", headers=admin.headers), 409,
                 "connection_not_syncable", "cannot be synced")


# --- Sync now, the schedule, removal ------------------------------------------------------------

def test_sync_now_on_the_api_and_the_page_runs_on_the_worker(client, standin):  # type: ignore[no-untyped-def]
    world = OnTikTok(standin, n=1)
    admin, made = linked(client, standin, world)
    queued = f._ok(client.post(f"{admin.base}/{made['id']}/sync", headers=admin.headers), 202)
    assert queued == {"advertiser_ids": [world.brand.advertiser_id]}
    _tick(client)
    assert len(tracker(client, admin)) == 1
    r = admin.browser.post(f"/businesses/{admin.business['id']}/tiktok/{made['id']}/sync",
                           data={"csrf_token": admin.csrf}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=syncing")
    _tick(client)
    page = admin.browser.get(r.headers["location"], headers=HTML)
    assert "Sync queued" in page.text and "Synced " in page.text and "1 Spark post" in page.text
    assert "Sync now" in page.text
    # An operator may not; a connection still waiting for the app flow cannot be synced.
    operator = f.member(client, admin.headers, admin.business["id"], "operator")
    assert_error(client.post(f"{admin.base}/{made['id']}/sync", headers=operator), 403,
                 "role_insufficient", "needs admin")
    pending = f._ok(client.post(f"{admin.base}/app-flow", headers=admin.headers, json={
        "app_id": "7001", "secret": "s" * 20, "base_url": standin.url}), 201)["connection"]
    assert_error(client.post(f"{admin.base}/{pending['id']}/sync", headers=admin.headers), 409,
                 "connection_not_syncable", "Waiting for you to authorize the app")
    r = admin.browser.post(f"/businesses/{admin.business['id']}/tiktok/{pending['id']}/sync",
                           data={"csrf_token": admin.csrf}, headers=HTML)
    assert r.status_code == 409 and "cannot be synced" in r.text


def test_the_sweep_queues_due_syncs_and_checks_once_per_period(client, standin):  # type: ignore[no-untyped-def]
    world = OnTikTok(standin, n=1)
    admin, made = linked(client, standin, world)
    db = client.app.state.db

    def queued() -> list[str]:
        with db.session() as session:
            return [j.name for j in session.scalars(select(Job).where(
                Job.name.in_(["connector.sync", "connector.check"]),
                Job.finished_at.is_(None)))]

    assert queued() == ["connector.sync"]  # linking queued the first sync
    settings = client.app.state.settings
    assert sweep(db, settings) == (1, 0)  # never synced: due; checked just now: not due
    assert sweep(db, settings) == (0, 0)  # once per period
    _tick(client)
    assert queued() == [] and len(tracker(client, admin)) == 1
    from tests.tiktok_world import clock

    later = max(clock(client, admin.headers), clock(standin.client, world.brand.headers)
                ) + timedelta(minutes=61)
    set_clocks(client, standin, admin, later)
    assert sweep(db, settings) == (1, 1)
    _tick(client)
    assert queued() == []
    shown = f._ok(client.get(f"{admin.base}/{made['id']}", headers=admin.headers))
    assert shown["state"] == "healthy" and datetime.fromisoformat(
        shown["checked_at"]).astimezone(UTC) > later - timedelta(minutes=1)


def test_removing_an_app_flow_connection_revokes_its_token_on_tiktok(client, standin):  # type: ignore[no-untyped-def]
    from sparkcodes.models import AuditEvent
    from tests.connector.test_connector import (
        _authorize,
        _developer_app,
        _path,
        _raw_token,
        _start,
    )
    from tests.connector.test_connector import service as connector_service

    world = OnTikTok(standin, n=1)
    admin = Admin(client)
    app = _developer_app(standin, connector_service.callback_url(client.app.state.settings))
    back = _authorize(standin, world.brand, _start(admin, standin, app))
    assert admin.browser.get(_path(back), headers=HTML,
                             follow_redirects=False).status_code == 303
    [made] = f._ok(client.get(admin.base, headers=admin.headers))
    token = _raw_token(client, made["id"])
    assert do_sync(client, made, world) == DONE and len(tracker(client, admin)) == 1

    def info() -> int:
        r = standin.client.get("/open_api/v1.3/advertiser/info/",
                               headers={"Access-Token": token},
                               params={"advertiser_ids": f'["{world.brand.advertiser_id}"]'})
        return int(r.json()["code"])

    assert info() == 0
    r = client.delete(f"{admin.base}/{made['id']}", headers=admin.headers)
    assert r.status_code == 204, r.text
    assert info() in (40102, 40105)  # TikTok no longer accepts it
    with client.app.state.db.session() as session:
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "tiktok_connection.removed"))
        assert event is not None and event.details["after"]["revoked_on_tiktok"] is True
        assert event.details["after"]["mirrored_spark_posts_unbound"] == 1
    # The mirror leaves the tracker; removing twice is harmless.
    assert tracker(client, admin) == []
    assert client.delete(f"{admin.base}/{made['id']}", headers=admin.headers).status_code == 404


def test_a_revocation_tiktok_refuses_is_recorded_and_removal_goes_on(client, standin):  # type: ignore[no-untyped-def]
    from sparkcodes.models import AuditEvent, TikTokConnection
    from tests.connector.test_connector import _authorize, _path, _start
    from tests.connector.test_connector import service as connector_service

    world = OnTikTok(standin, n=1)
    admin = Admin(client)
    dev = f.user(standin.client)
    app = f._ok(standin.client.post("/v1/developer-apps", headers=dev, json={
        "name": "Glow connector",
        "redirect_url": connector_service.callback_url(client.app.state.settings)}), 201)
    back = _authorize(standin, world.brand, _start(admin, standin, app))
    admin.browser.get(_path(back), headers=HTML, follow_redirects=False)
    [made] = f._ok(client.get(admin.base, headers=admin.headers))
    # The developer rotates the app's secret on TikTok: the one sparkcodes holds is refused.
    f._ok(standin.client.post(f"/v1/developer-apps/{app['id']}/rotate-secret", headers=dev))
    r = client.delete(f"{admin.base}/{made['id']}", headers=admin.headers)
    assert r.status_code == 204, r.text
    with client.app.state.db.session() as session:
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "tiktok_connection.removed",
            AuditEvent.target_id == made["id"]))
        assert event is not None and event.details["after"]["revoked_on_tiktok"] is False
        assert event.details["after"]["tiktok_code"] == 40101
        row = session.get(TikTokConnection, made["id"])
        assert row is not None and row.deleted_at is not None
        assert row.access_token_sealed is None and row.app_secret_sealed is None
