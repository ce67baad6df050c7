"""The demo's rehearsal (docs/connector.md, "Rehearsal"): `make run`'s world links a second,
"TikTok" advertiser served by the same server's own /open_api/v1.3, and the worker syncs it over
real HTTP once the server answers, with no TikTok account."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from sparkcodes import demo
from sparkcodes.models import AdAccount, Business, SparkPost, TikTokConnection
from sparkcodes.worker.runner import Runner
from tests import factories as f
from tests.connector.test_connector import HTML, csrf_of


def test_the_demo_links_an_advertiser_of_its_own_server_and_syncs_it(client, app, live_url,  # type: ignore[no-untyped-def]
                                                                     tmp_path):
    settings = app.state.settings.model_copy(update={"public_url": live_url})
    with app.state.db.unit_of_work() as s:
        result = demo.load(s, settings=settings, codes_file=tmp_path / "codes.txt",
                           originals_file=tmp_path / "originals.txt")
    assert result.rehearsal is not None
    name, advertiser_id, base_url = result.rehearsal
    assert (name, base_url) == (demo.TIKTOK_ADVERTISER, live_url)
    assert advertiser_id not in {a for _, a in result.advertisers}  # not one of Glow's own
    with app.state.db.unit_of_work() as s:
        glow = s.scalars(select(Business).where(Business.name == "Glow Skincare")).one()
        [connection] = s.scalars(select(TikTokConnection)).all()
        assert connection.business_id == glow.id and connection.base_url == live_url
        glow_id = glow.id
    Runner(app.state.db, settings, worker_id="demo").tick()  # the server answers meanwhile

    r = client.post("/v1/tokens", json={"email": demo.BRAND_EMAIL, "password": demo.PASSWORD})
    brand = {"Authorization": f"Bearer {f._ok(r, 201)['token']}"}
    [shown] = f._ok(client.get(f"/v1/businesses/{glow_id}/tiktok-connections", headers=brand))
    assert shown["state"] == "healthy", shown
    [synced] = shown["syncs"]
    assert synced["counts"]["spark_posts"] == 3 and synced["error"] is None
    with app.state.db.unit_of_work() as s:
        mirrored = s.scalars(select(AdAccount).where(AdAccount.source == "tiktok")).one()
        assert (mirrored.business_id, mirrored.external_id) == (glow_id, advertiser_id)
        assert len(s.scalars(select(SparkPost).where(SparkPost.source == "tiktok")).all()) == 3
    tracked = f._ok(client.get(f"/v1/businesses/{glow_id}/tracker", headers=brand))
    items = tracked["items"] if isinstance(tracked, dict) else tracked
    assert {"3 SPF myths, busted ☀️ #ad", "Skin care in 60 seconds after the gym #ad",
            "Sunscreen speedrun, glitchless #ad"} <= {i["post"]["caption"] for i in items}
    ads = f._ok(client.get(f"/v1/ad-accounts/{mirrored.id}/ads", headers=brand))
    assert [a["name"] for a in ads] == ["Maya — SPF myths"]
    # The TikTok tab says so, in words.
    browser = TestClient(app, raise_server_exceptions=False)
    token = csrf_of(browser.get("/login", headers=HTML).text)
    r = browser.post("/login", data={"email": demo.BRAND_EMAIL, "password": demo.PASSWORD,
                                     "csrf_token": token}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = browser.get(f"/businesses/{glow_id}/tiktok", headers=HTML)
    assert page.status_code == 200
    assert "Healthy" in page.text and demo.TIKTOK_ADVERTISER in page.text, page.text
    assert "3 Spark posts" in page.text
    # Loading again changes nothing and still names the rehearsal.
    with app.state.db.unit_of_work() as s:
        again = demo.load(s, settings=settings, codes_file=tmp_path / "codes.txt",
                          originals_file=tmp_path / "originals.txt")
    assert not again.created and again.rehearsal == result.rehearsal
