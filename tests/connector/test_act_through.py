"""Step 4 of docs/connector.md, the ads: pausing and enabling a mirrored ad on /v1 and its page,
and the fallback policies (pause, swap to a backup), act on TikTok (ad/status/update on a stand-in:
a second sparkcodes server over real HTTP), read back from the stand-in, and the mirror follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from sparkcodes.connector.tasks import DONE
from sparkcodes.models import Ad, AuditEvent
from tests import factories as f
from tests.connector.test_connector import HTML, Admin, csrf_of
from tests.connector.test_sync import _tick, do_sync, linked, set_clocks, tracker
from tests.connector.test_sync_ads import WithAds, ads_of, aligned
from tests.integration._http import assert_error


def on_standin(world: WithAds, index: int) -> dict[str, Any]:
    """The ad as the stand-in TikTok holds it."""
    return f._ok(world.c.get(f"/v1/ads/{world.ads[index]['id']}", headers=world.h))


def test_pause_and_enable_a_mirrored_ad_on_tiktok(client, standin):  # type: ignore[no-untyped-def]
    aligned(client, standin)
    world = WithAds(standin, n=1)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    [ad] = ads_of(client, admin).values()
    assert on_standin(world, 0)["operation_status"] == "ENABLE"
    out = f._ok(f.set_status(client, admin.headers, "ad", ad["id"], "DISABLE"))
    assert out["operation_status"] == "DISABLE" and out["delivery"]["status"] != "DELIVERING"
    assert on_standin(world, 0)["operation_status"] == "DISABLE"
    out = f._ok(f.set_status(client, admin.headers, "ad", ad["id"], "ENABLE"))
    assert out["operation_status"] == "ENABLE" and out["delivery"]["status"] == "DELIVERING"
    assert on_standin(world, 0)["operation_status"] == "ENABLE"
    # Deleting is left to TikTok Ads Manager.
    r = f.set_status(client, admin.headers, "ad", ad["id"], "DELETE")
    assert_error(r, 409, "mirrored_from_tiktok", "change it in TikTok Ads Manager")
    assert on_standin(world, 0)["operation_status"] == "ENABLE"
    # The ad's page: Pause goes to TikTok too.
    token = csrf_of(admin.browser.get(f"/ads/{ad['id']}", headers=HTML).text)
    r = admin.browser.post(f"/ads/{ad['id']}/status", headers=HTML,
                           data={"operation": "DISABLE", "csrf_token": token},
                           follow_redirects=False)
    assert r.status_code == 303, r.text
    assert on_standin(world, 0)["operation_status"] == "DISABLE"
    assert ads_of(client, admin)["Spring ad 0"]["operation_status"] == "DISABLE"
    with client.app.state.db.session() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).where(
            AuditEvent.target_id == ad["id"]).order_by(AuditEvent.occurred_at))]
    assert actions == ["ad.paused_on_tiktok", "ad.enabled_on_tiktok", "ad.paused_on_tiktok"]


def _fallback_due(client, standin, admin: Admin) -> None:  # type: ignore[no-untyped-def]
    [row, *_] = tracker(client, admin)
    end = datetime.fromisoformat(row["window_end"]).astimezone(UTC)
    set_clocks(client, standin, admin, end - timedelta(hours=47))
    _tick(client)  # the sweep queues the fallback
    _tick(client)  # the fallback acts


def test_a_fallback_pause_pauses_the_ad_on_tiktok(client, standin):  # type: ignore[no-untyped-def]
    aligned(client, standin)
    world = WithAds(standin, n=1, days=7)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    [ad] = ads_of(client, admin).values()
    f._ok(client.put(f"/v1/ad-groups/{ad['ad_group_id']}/fallback-policy", headers=admin.headers,
                     json={"action": "pause", "hours_before": 48}))
    _fallback_due(client, standin, admin)
    assert on_standin(world, 0)["operation_status"] == "DISABLE"
    # The mirror followed at once (the fallback synced), and the brand was told.
    assert ads_of(client, admin)["Spring ad 0"]["operation_status"] == "DISABLE"
    with client.app.state.db.session() as session:
        [applied] = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "ad.fallback_applied", AuditEvent.target_id == ad["id"])).all()
        assert applied.details["after"]["action"] == "pause"
    # Once per window end: more sweeps change nothing.
    f._ok(world.c.post(f"/v1/ads/{world.ads[0]['id']}/status", headers=world.h,
                       json={"operation_status": "ENABLE"}))
    _tick(client)
    _tick(client)
    assert on_standin(world, 0)["operation_status"] == "ENABLE"


def test_a_fallback_swap_enables_the_backup_on_tiktok(client, standin):  # type: ignore[no-untyped-def]
    aligned(client, standin)
    world = WithAds(standin, n=2, days=30)
    # The backup runs a code that lasts longer; it waits paused on TikTok.
    backup_code = world.creators[1].code(world.posts[1], 60)
    f._ok(f.bind(world.c, world.h, world.brand.account["id"], [backup_code["code"]]))
    f._ok(world.c.post(f"/v1/ads/{world.ads[1]['id']}/status", headers=world.h,
                       json={"operation_status": "DISABLE"}))
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    ads = ads_of(client, admin)
    main, backup = ads["Spring ad 0"], ads["Spring ad 1"]
    f._ok(client.put(f"/v1/ad-groups/{main['ad_group_id']}/fallback-policy",
                     headers=admin.headers,
                     json={"action": "swap", "hours_before": 48, "backup_ad_id": backup["id"]}))
    rows = {r["post"]["caption"]: r for r in tracker(client, admin)}
    end = datetime.fromisoformat(rows["Routine #0 #ad"]["window_end"]).astimezone(UTC)
    set_clocks(client, standin, admin, end - timedelta(hours=47))
    _tick(client)
    _tick(client)
    assert on_standin(world, 0)["operation_status"] == "DISABLE"
    assert on_standin(world, 1)["operation_status"] == "ENABLE"
    ads = ads_of(client, admin)
    assert ads["Spring ad 0"]["operation_status"] == "DISABLE"
    assert ads["Spring ad 1"]["operation_status"] == "ENABLE"
    with client.app.state.db.session() as session:
        assert session.scalar(select(Ad.disabled_at).where(Ad.id == backup["id"])) is None
