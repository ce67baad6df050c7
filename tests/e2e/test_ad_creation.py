"""Issue 13 (smaller points) in Chromium over the demo: "Run it in an ad" keeps the post all the
way to the ad form; the form warns about posts an ad could not deliver on; default ad names
differ; an ad stopped by an edit of its post offers the next step, a new ad of the post."""

from __future__ import annotations

import re

from sqlalchemy import select

from sparkcodes import demo
from sparkcodes.models import AdGroup
from tests.e2e.browsing import expect, logged_in_page, shoot


def test_run_it_in_an_ad_keeps_the_post_and_names_differ(browser, world):  # type: ignore[no-untyped-def]
    w = world
    page = logged_in_page(browser, w["site"], demo.BRAND_EMAIL)
    page.goto(f"/ad-accounts/{w['account']}")
    card = page.locator("article.spark-card").filter(has=page.locator(".badge-ok")).first
    spark_id = (card.get_attribute("id") or "").removeprefix("spark-")
    handle = card.locator(".handle strong").inner_text()
    card.get_by_role("link", name="Run it in an ad").click()
    run = page.locator("#run-post")
    expect(run.get_by_role("heading")).to_have_text(f"Run {handle}'s post in an ad")
    shoot(page, "run-in-an-ad")
    run.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/ad-groups/.*spark_post_id="))
    chosen = page.locator(f"input[name=spark_post_id][value='{spark_id}']")
    expect(chosen).to_be_checked()
    # Posts an ad would not deliver on say so before anyone picks them.
    warning = page.locator("small[id^=spark-warn-]").first
    expect(warning).to_contain_text("An ad on this post would not deliver.")
    names, form = [], page.url
    for _ in range(2):
        page.goto(form)
        page.locator(f"input[name=spark_post_id][value='{spark_id}']").check()
        page.get_by_label("Landing page").fill("https://glow.example/?utm_source=tiktok")
        page.get_by_role("button", name="Create Spark Ad").click()
        page.wait_for_url(re.compile(r"/ads/"))
        names.append(page.get_by_role("heading", level=1).inner_text())
    assert names[0].startswith(handle + " — "), names
    assert names[1] == names[0] + " (2)", names


def test_an_ad_stopped_by_an_edit_offers_a_new_ad(browser, world, app):  # type: ignore[no-untyped-def]
    w = world
    with app.state.db.unit_of_work() as s:
        groups = list(s.scalars(select(AdGroup.id).where(AdGroup.ad_account_id == w["account"])))
    page = logged_in_page(browser, w["site"], demo.BRAND_EMAIL)
    for group in groups:
        page.goto(f"/ad-groups/{group}")
        edited = page.locator(".ad-card").filter(has_text="edited the post")
        if edited.count():
            break
    else:
        raise AssertionError("the demo has no ad stopped by an edit of its post")
    edited.first.get_by_role("link", name=re.compile("^Maya|^Leo|^Aiko|@")).first.click()
    page.wait_for_url(re.compile(r"/ads/"))
    expect(page.locator("#delivery-text")).to_contain_text("edited the post")
    shoot(page, "ad-stopped-by-edit")
    page.get_by_role("button", name="Make a new ad of the post as it is now").click()
    page.wait_for_url(re.compile(r"/ad-groups/.*spark_post_id=.*#create-ad-title"))
    expect(page.locator("input[name=spark_post_id]:checked")).to_have_count(1)
