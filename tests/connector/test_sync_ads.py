"""Sync, step 3 (docs/connector.md): the Spark ads of a linked advertiser, their ad groups and
campaigns, and their daily spend, mirrored from a real stand-in TikTok (a second sparkcodes
server over HTTP) where the ads list, reports, the tracker's live ads and spend at risk and the
expiry alert see them with no fork; idempotent, following deletions, resumable mid-stage, and
refusing native writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparkcodes.connector.tasks import DONE
from sparkcodes.db import Database
from sparkcodes.models import Ad, AdAccount, AdGroup, Campaign, EngagementDaily
from sparkcodes.worker.service import Retry
from tests import factories as f
from tests.connector.test_connector import Admin, StandIn
from tests.connector.test_sync import (
    OnTikTok,
    Wire,
    _tick,
    do_sync,
    linked,
    runs,
    set_clocks,
    settings_with,
    snapshot,
    tracker,
)
from tests.integration._http import assert_error
from tests.tiktok_world import clock

ADS = (Campaign, AdGroup, Ad)


class WithAds(OnTikTok):
    """On the stand-in: the brand runs one campaign, one ad group (CPM 10.00: 0.01 an impression)
    and one Spark ad per bound post."""

    def __init__(self, standin: StandIn, n: int = 2, days: int = 30,
                 currency: str = "USD") -> None:
        super().__init__(standin, n=n, days=days, currency=currency)
        c, h, account = standin.client, self.brand.headers, self.brand.account["id"]
        self.c, self.h = c, h
        self.campaign = f.campaign(c, h, account, name="Spring launch")
        self.group = f.ad_group(c, h, self.campaign["id"], name="Spring US")
        self.ads = [f.ad(c, h, self.group["id"],
                         f.spark_post_id(c, h, account, code["code"]), name=f"Spring ad {i}")
                    for i, code in enumerate(self.codes)]

    def spend(self, index: int, impressions: int, likes: int = 0, clicks: int = 0,
              at: datetime | None = None) -> None:
        """Paid engagement on the stand-in: each impression costs 0.01."""
        ad, post = self.ads[index], self.posts[index]
        when = {"occurred_at": at.isoformat()} if at else {}
        batch = ([f.event(post["id"], "impression", ad_id=ad["id"], **when)
                  for _ in range(impressions)]
                 + [f.event(post["id"], "like", ad_id=ad["id"], **when) for _ in range(likes)]
                 + [f.event(post["id"], "click", ad_id=ad["id"], **when)
                    for _ in range(clicks)])
        body = f._ok(f.events(self.c, self.h, batch))
        assert body["accepted"] == len(batch), body


def aligned(client: TestClient, standin: StandIn) -> None:
    """Both sandbox clocks at the later of the two: they share this process's clock, and an
    earlier test of the module may have moved the stand-in's forward."""
    ours, theirs = f.user(client), f.user(standin.client)
    later = max(clock(client, ours), clock(standin.client, theirs)) + timedelta(seconds=1)
    for c, headers in ((standin.client, theirs), (client, ours)):
        f._ok(c.post("/v1/sandbox/clock", headers=headers, json={"set": later.isoformat()}))


def db_of(client: TestClient) -> Database:
    return cast(Database, client.app.state.db)  # type: ignore[attr-defined]


def mirror(client: TestClient) -> dict[str, list[tuple[Any, ...]]]:
    """Every mirrored campaign, ad group and ad, and the mirrored ads' daily rollups, every
    column."""
    out = snapshot(client)
    with db_of(client).engine.connect() as conn:
        for model in ADS:
            table = model.__table__
            out[model.__tablename__] = [tuple(r) for r in conn.execute(
                select(table).where(table.c.source == "tiktok").order_by(table.c.id)).all()]
        daily = EngagementDaily.__table__
        mirrored_ads = select(Ad.id).where(Ad.source == "tiktok")
        out["engagement_daily"] = [tuple(r) for r in conn.execute(
            select(daily).where(daily.c.ad_key.in_(mirrored_ads))
            .order_by(daily.c.ad_key, daily.c.day)).all()]
    return out


def mirrored_account(client: TestClient) -> str:
    with db_of(client).session() as session:
        account = session.scalar(select(AdAccount).where(AdAccount.source == "tiktok"))
        assert account is not None
        return account.id


def ads_of(client: TestClient, admin: Admin, **params: Any) -> dict[str, dict[str, Any]]:
    """The mirrored ad account's ads over /v1, by name."""
    body = f._ok(client.get(f"/v1/ad-accounts/{mirrored_account(client)}/ads",
                            headers=admin.headers, params=params))
    return {a["name"]: a for a in body}


def now_of(client: TestClient, admin: Admin, world: WithAds) -> datetime:
    return max(clock(client, admin.headers), clock(world.c, world.h))


# --- the mirror and what reads it --------------------------------------------------------------

def test_ads_and_spend_are_mirrored_for_the_ads_list_reports_and_the_tracker(client, standin):  # type: ignore[no-untyped-def]
    aligned(client, standin)
    world = WithAds(standin, n=2)
    world.spend(0, impressions=30, likes=3, clicks=6)
    world.spend(1, impressions=10)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    rows = mirror(client)
    assert {k: len(rows[k]) for k in ("campaigns", "ad_groups", "ads", "engagement_daily")} == {
        "campaigns": 1, "ad_groups": 1, "ads": 2, "engagement_daily": 2}
    with client.app.state.db.session() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.source == "tiktok"))
        group = session.scalar(select(AdGroup).where(AdGroup.source == "tiktok"))
        assert campaign is not None and group is not None
        assert (campaign.name, campaign.objective, campaign.created_by_id) == (
            "Spring launch", "ENGAGEMENT", None)
        assert str(campaign.external_id) == str(world.campaign["tiktok_id"])
        assert (group.name, group.budget_micros, group.bid_micros) == (
            "Spring US", 100_000_000, 10_000_000)
    # The ads list over /v1: both ads, delivering, on the mirrored Spark posts.
    ads = ads_of(client, admin)
    assert set(ads) == {"Spring ad 0", "Spring ad 1"}
    assert {a["delivery"]["status"] for a in ads.values()} == {"DELIVERING"}
    # Reports over /v1 read the mirrored spend (0.01 an impression), likes and clicks.
    today = now_of(client, admin, world).date()
    report = f._ok(f.report(client, admin.headers, "ad", ads["Spring ad 0"]["id"],
                            start_date=(today - timedelta(days=1)).isoformat(),
                            end_date=today.isoformat(), granularity="total"))["total"]
    assert (report["impressions"], Decimal(str(report["spend"])), report["likes"]) == (
        30, Decimal("0.30"), 3)
    assert (report["clicks"], report["ctr"], report["cpc"]) == (6, 0.2, 0.05)
    account = f._ok(f.report(client, admin.headers, "ad_account", mirrored_account(client),
                             start_date=today.isoformat(), end_date=today.isoformat(),
                             granularity="total"))["total"]
    assert Decimal(str(account["spend"])) == Decimal("0.40")
    # The tracker: one live ad per Spark post; nothing spent yesterday yet.
    items = {r["post"]["caption"]: r for r in tracker(client, admin)}
    assert [items[p["caption"]]["live_ads"] for p in world.posts] == [1, 1]
    assert {Decimal(str(r["spend_at_risk"])) for r in items.values()} == {Decimal("0")}
    # A day later, today's spend is yesterday's: the spend at risk if the code stopped.
    set_clocks(client, standin, admin, now_of(client, admin, world) + timedelta(days=1))
    assert do_sync(client, made, world) == DONE
    items = {r["post"]["caption"]: r for r in tracker(client, admin)}
    assert [Decimal(str(items[p["caption"]]["spend_at_risk"])) for p in world.posts] == [
        Decimal("0.30"), Decimal("0.10")]
    ordered = tracker(client, admin, sort="spend_at_risk", order="desc")
    assert [r["post"]["caption"] for r in ordered] == [p["caption"] for p in world.posts]
    # The run says what it found.
    run = runs(client)[-1]
    assert (run.counts["ads"], run.counts["ad_groups"], run.counts["campaigns"]) == (2, 1, 1)
    shown = f._ok(client.get(f"{admin.base}/{made['id']}", headers=admin.headers))
    assert "2 Spark posts, 2 ads" in shown["syncs"][0]["words"]


def test_the_advertisers_currency_is_mirrored_onto_its_ad_account(client, standin):  # type: ignore[no-untyped-def]
    aligned(client, standin)
    world = WithAds(standin, n=1, currency="EUR")
    world.spend(0, impressions=20)
    # The stand-in's advertiser/info answers the account's own currency.
    info = f._ok(standin.client.get(
        "/open_api/v1.3/advertiser/info/", headers={"Access-Token": world.brand.token},
        params={"advertiser_ids": f'["{world.brand.advertiser_id}"]'}))
    assert [a["currency"] for a in info["data"]["list"]] == ["EUR"]
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    with db_of(client).session() as session:
        account = session.get(AdAccount, mirrored_account(client))
        assert account is not None and account.currency == "EUR"
    # Its reports carry it with the mirrored spend.
    today = now_of(client, admin, world).date()
    out = f._ok(f.report(client, admin.headers, "ad_account", mirrored_account(client),
                         start_date=today.isoformat(), end_date=today.isoformat(),
                         granularity="total"))
    assert (out["currency"], Decimal(str(out["total"]["spend"]))) == ("EUR", Decimal("0.20"))


def test_a_second_sync_changes_nothing_and_follows_pauses_and_deletions(client, standin):  # type: ignore[no-untyped-def]
    aligned(client, standin)
    world = WithAds(standin, n=2)
    world.spend(0, impressions=5)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    before = mirror(client)
    assert do_sync(client, made, world) == DONE
    assert mirror(client) == before
    last = runs(client)[-1]
    assert last.counts.get("created", 0) + last.counts.get("updated", 0) == 0
    # More spend on TikTok is followed, in place.
    world.spend(0, impressions=7)
    assert do_sync(client, made, world) == DONE
    after = mirror(client)
    assert len(after["engagement_daily"]) == 1 and after["ads"] == before["ads"]
    with client.app.state.db.session() as session:
        [daily] = session.scalars(select(EngagementDaily).where(
            EngagementDaily.ad_key.in_(select(Ad.id).where(Ad.source == "tiktok"))))
        assert (daily.impressions, daily.spend_micros) == (12, 120_000)
    # On TikTok one ad is paused and the other deleted: the mirror follows.
    assert world.ads[0]["name"] == "Spring ad 0"
    f._ok(f.set_status(world.c, world.h, "ad", world.ads[0]["id"], "DISABLE"))
    f._ok(f.set_status(world.c, world.h, "ad", world.ads[1]["id"], "DELETE"))
    assert do_sync(client, made, world) == DONE
    assert runs(client)[-1].counts["ads_deleted"] == 1
    ads = ads_of(client, admin)
    assert set(ads) == {"Spring ad 0"}
    assert ads["Spring ad 0"]["delivery"]["status"] == "NOT_DELIVERING"
    assert "PAUSED" in ads["Spring ad 0"]["delivery"]["reasons"]
    gone = ads_of(client, admin, include_deleted="true")["Spring ad 1"]
    assert gone["delivery"]["reasons"][0] == "DELETED"
    # Its spend stays in the reports; the tracker counts no live ad any more.
    assert {r["live_ads"] for r in tracker(client, admin)} == {0}
    # And deleting it again on TikTok's side changes nothing more.
    frozen = mirror(client)
    assert do_sync(client, made, world) == DONE
    assert mirror(client) == frozen


# --- the alert when a mirrored code ends --------------------------------------------------------

def _expired(client: TestClient, admin: Admin) -> dict[str, Any]:
    body = f._ok(client.get("/v1/notifications", headers=admin.headers, params={"limit": 500}))
    [found] = [n for n in body["items"] if n["event_type"] == "authorization.expired"]
    return found


def test_a_mirrored_code_ending_alerts_with_the_stopped_ads_and_spend_at_risk(client, standin):  # type: ignore[no-untyped-def]
    aligned(client, standin)
    world = WithAds(standin, n=1, days=7)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    [row] = tracker(client, admin)
    end = datetime.fromisoformat(row["window_end"]).astimezone(UTC)
    # The day before the code ends, the ad spends 0.25; the last sync before the end reads it.
    # The clocks run on from here, so leave the sync a minute: on a loaded machine it has taken
    # longer than the two seconds this once allowed, and the code had ended before it was read.
    set_clocks(client, standin, admin, end - timedelta(minutes=1))
    world.spend(0, impressions=25, at=end - timedelta(days=1, seconds=1))
    assert do_sync(client, made, world) == DONE
    [row] = tracker(client, admin)
    assert row["live_ads"] == 1 and Decimal(str(row["spend_at_risk"])) == Decimal("0.25")
    set_clocks(client, standin, admin, end + timedelta(seconds=1))
    _tick(client)
    _tick(client)
    alert = _expired(client, admin)
    assert alert["data"]["live_ads"] == 1 and alert["data"]["spend_at_risk"] == "0.25"
    assert [a["ad_name"] for a in alert["data"]["ads"]] == ["Spring ad 0"]
    assert "1 ad in" in alert["body"] and "stopped (spend at risk 0.25 USD/day)" in alert["body"]
    # The next sync sees the ad stopped for the code, as TikTok does.
    assert do_sync(client, made, world) == DONE
    [ad] = ads_of(client, admin).values()
    assert ad["delivery"]["status"] == "NOT_DELIVERING"
    assert "AUTHORIZATION_EXPIRED" in ad["delivery"]["reasons"]


# --- resuming mid-stage -------------------------------------------------------------------------

def test_a_sync_stopped_in_the_ads_stage_resumes_at_its_page(client, standin):  # type: ignore[no-untyped-def]
    aligned(client, standin)
    world = WithAds(standin, n=2)
    world.spend(1, impressions=4)
    admin, made = linked(client, standin, world)
    one_page_each = settings_with(client, sync_page_size=1, max_attempts=1, app_qps=1000,
                                  advertiser_qps=1000)
    # identity/get, two pages of posts, advertiser/info, ads page 1 with its ad group and
    # campaign, then the stand-in is down at ads page 2.
    down = Wire(down_at=8)
    with pytest.raises(Retry):
        do_sync(client, made, world, settings=one_page_each, transport=down)
    assert down.paths == ["/identity/get/", "/tt_video/list/", "/tt_video/list/",
                          "/advertiser/info/", "/ad/get/", "/adgroup/get/", "/campaign/get/",
                          "/ad/get/"]
    [run] = runs(client)
    assert (run.stage, run.cursor["ads_page"], run.finished_at) == ("ads", 2, None)
    assert len(mirror(client)["ads"]) == 1
    # The next run reads ads page 2 only (its ad group and campaign were read), then spend.
    wire = Wire()
    assert do_sync(client, made, world, settings=one_page_each, transport=wire) == DONE
    assert wire.paths == ["/ad/get/", "/report/integrated/get/"]
    [run] = runs(client)
    assert run.finished_at and run.error is None and run.counts["ads"] == 2
    rows = mirror(client)
    assert (len(rows["ads"]), len(rows["engagement_daily"])) == (2, 1)
    assert sorted(r["live_ads"] for r in tracker(client, admin)) == [1, 1]


def test_a_sync_stopped_in_the_spend_stage_resumes_there(client, standin):  # type: ignore[no-untyped-def]
    aligned(client, standin)
    world = WithAds(standin, n=1)
    # A second ad on the same Spark post, in its own ad group: both are mirrored.
    group = f.ad_group(world.c, world.h, world.campaign["id"], name="Spring CA")
    spark_post_id = world.ads[0]["spark_post_id"]
    f.ad(world.c, world.h, group["id"], spark_post_id, name="Spring ad CA")
    world.spend(0, impressions=3)
    admin, made = linked(client, standin, world)
    once = settings_with(client, max_attempts=1, app_qps=1000, advertiser_qps=1000)
    down = Wire(down_at=7)  # identity, posts, info, ads, ad group, campaign, then the report
    with pytest.raises(Retry):
        do_sync(client, made, world, settings=once, transport=down)
    [run] = runs(client)
    assert (run.stage, run.cursor["spend_chunk"]) == ("spend", 0)
    wire = Wire()
    assert do_sync(client, made, world, settings=once, transport=wire) == DONE
    assert wire.paths == ["/report/integrated/get/"]
    day = date.fromisoformat(runs(client)[0].cursor["days"][1])
    rows = mirror(client)
    assert (len(rows["ads"]), len(rows["ad_groups"]), len(rows["campaigns"])) == (2, 2, 1)
    assert rows["engagement_daily"][0][EngagementDaily.__table__.c.keys().index("day")] == day
    assert set(ads_of(client, admin)) == {"Spring ad 0", "Spring ad CA"}


# --- read-only in sparkcodes ------------------------------------------------------------------

def test_native_writes_on_mirrored_campaigns_ad_groups_and_ads_are_refused(client, standin):  # type: ignore[no-untyped-def]
    aligned(client, standin)
    world = WithAds(standin, n=1)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    [ad] = ads_of(client, admin).values()
    campaign_id, group_id = ad["campaign_id"], ad["ad_group_id"]
    h = admin.headers
    # Reading is fine.
    assert f._ok(client.get(f"/v1/campaigns/{campaign_id}", headers=h))["name"] == "Spring launch"
    assert f._ok(client.get(f"/v1/ad-groups/{group_id}", headers=h))["name"] == "Spring US"
    assert f._ok(client.get(f"/v1/ads/{ad['id']}", headers=h))["name"] == "Spring ad 0"
    for r in (client.patch(f"/v1/campaigns/{campaign_id}", headers=h, json={"name": "x"}),
              f.set_status(client, h, "campaign", campaign_id, "DISABLE"),
              client.post(f"/v1/campaigns/{campaign_id}/ad-groups", headers=h,
                          json={"name": "x", "budget": "10.00", "bid": "1.00"}),
              client.patch(f"/v1/ad-groups/{group_id}", headers=h, json={"name": "x"}),
              f.set_status(client, h, "ad_group", group_id, "DELETE"),
              client.post(f"/v1/ad-groups/{group_id}/ads", headers=h,
                          json={"spark_post_id": ad["spark_post_id"],
                                "call_to_action": "SHOP_NOW",
                                "landing_page_url": "https://shop.example.com/"}),
              client.patch(f"/v1/ads/{ad['id']}", headers=h, json={"name": "x"}),
              # Pause and enable go to TikTok (tests/connector/test_act_through.py).
              f.set_status(client, h, "ad", ad["id"], "DELETE")):
        error = assert_error(r, 409, "mirrored_from_tiktok", "mirrored from TikTok")
        assert "change it in TikTok Ads Manager" in error["message"]
    assert do_sync(client, made, world) == DONE
    assert ads_of(client, admin)["Spring ad 0"]["delivery"]["status"] == "DELIVERING"
