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
from tests.connector.test_connector import (  # noqa: F401  (fixtures)
    HTML,
    Admin,
    StandIn,
    _standin,
    alerts,
    dump_everything,
    link,
    standin,
    standin_settings,
)
from tests.integration._http import assert_error
from tests.tiktok_world import Brand
from tests.tiktok_world import Creator as TikTokCreator

MIRRORED = (AdAccount, Creator, Post, Authorization, SparkPost)


class OnTikTok:
    """On the stand-in: a brand whose advertiser has bound ``n`` creators' codes."""

    def __init__(self, standin: StandIn, n: int = 2, days: int = 30) -> None:
        c = standin.client
        self.brand = Brand(c, name="Glow on TikTok")
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
    assert run.calls == 2 and run.error is None
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
