"""Issue 13 (smaller points): after the sandbox clock jumps, a delivering ad with nothing counted
since says so, and where its traffic comes from, instead of a bare "Delivering"."""

from __future__ import annotations

from tests import factories as f
from tests.integration.test_pages import _running_ad
from tests.integration.test_pages_access import HTML, page_login
from tests.integration.test_pages_access import page_text as _text


def test_a_delivering_ad_with_no_traffic_since_the_jump_says_so(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    ad = _running_ad(client, w)
    page_login(client, "brand@example.com")
    fresh = _text(client.get(f"/ads/{ad['id']}", headers=HTML).text)
    assert "Delivering: people see the ad now." in fresh and "No impression" not in fresh
    post_id = ad["post"]["id"]
    counted = f.events(client, w["brand_h"], [f.event(post_id, "impression", ad_id=ad["id"])])
    assert counted.json()["accepted"] == 1
    day = client.get("/v1/sandbox/clock", headers=w["brand_h"]).json()["now"][:10]
    f.advance(client, w["brand_h"], "P3D")
    page = _text(client.get(f"/ads/{ad['id']}", headers=HTML).text)
    assert (f"No impression counted since {day}: in sandbox mode only `sparkcodes simulate` "
            "sends traffic, so run it after moving the clock.") in page
    group = _text(client.get(f"/ad-groups/{ad['ad_group_id']}", headers=HTML).text)
    assert f"No impression counted since {day}" in group
