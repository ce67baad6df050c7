"""Every main page in Chromium over the demo world that `make run` serves: as the brand admin,
the read-only analyst and a creator. Each page must answer 200, leave nothing in the console (a
CSP violation or a script error fails), pass axe-core's WCAG 2.1 A/AA checks, not scroll
sideways at phone width, and say something specific; screenshots of each land in
var/screenshots/demo-*.png.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sparkcodes import demo
from sparkcodes.models import (
    Ad,
    AdAccount,
    AdGroup,
    Business,
    Campaign,
    Creator,
    Post,
    WebhookEndpoint,
)
from tests.e2e.browsing import expect, logged_in_page, shoot


@pytest.fixture
def world(app, site, demo_installed):  # type: ignore[no-untyped-def]
    """The demo, loaded into the live server's database, and the ids its pages need."""
    result, outcome = demo_installed
    assert result.created and outcome is not None and outcome.accepted > 0
    with app.state.db.unit_of_work() as s:
        # The demo's rehearsal "TikTok" advertiser has a business of its own.
        business = s.scalars(select(Business).where(Business.name == "Glow Skincare")).one()
        us = s.scalars(select(AdAccount).where(AdAccount.name == "Glow US")).one()
        campaign = s.scalars(select(Campaign).where(Campaign.ad_account_id == us.id)
                             .order_by(Campaign.created_at)).first()
        group = s.scalars(select(AdGroup).where(AdGroup.campaign_id == campaign.id)).first()
        stopped = s.scalars(select(Ad).where(Ad.id == result.stops["taken_down_ad"])).one()
        maya = s.scalars(select(Creator).where(Creator.handle == "maya.makes")).one()
        post = s.scalars(select(Post).where(Post.creator_id == maya.id)
                         .order_by(Post.published_at)).first()
        endpoint = s.scalars(select(WebhookEndpoint)).one()
        return {"site": site, "business": business.id, "us": us.id, "campaign": campaign.id,
                "group": group.id, "stopped_ad": stopped.id, "maya": maya.id, "post": post.id,
                "endpoint": endpoint.id, "codes": result.free_codes,
                "original_codes": [c for c, _ in result.original_codes]}


def _visit(page, path: str, name: str, words: str) -> None:  # type: ignore[no-untyped-def]
    response = page.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    expect(page.locator("main")).to_contain_text(words)
    title = page.title()
    assert "<" not in title and 0 < len(title) < 100, (path, title)
    shoot(page, f"demo-{name}")


def test_brand_pages_over_the_demo(browser, world):  # type: ignore[no-untyped-def]
    w = world
    page = logged_in_page(browser, w["site"], demo.BRAND_EMAIL)
    biz, us = f"/businesses/{w['business']}", f"/ad-accounts/{w['us']}"
    for path, name, words in (
        (biz, "business", "Glow US"),
        (f"{biz}/tracker", "tracker", "@maya.makes"),
        (f"{biz}/calendar", "calendar", "maya.makes"),
        (f"{biz}/roster", "roster", "Skincare routines; replies within a day."),
        (f"{biz}/webhooks", "webhooks", "hooks.glow.example"),
        (f"/webhook-endpoints/{w['endpoint']}", "webhook-endpoint", "hooks.glow.example"),
        (f"{biz}/members", "members", "analyst@demo.sparkcodes.dev"),
        (us, "spark-posts", "Apply for authorization"),
        (f"{us}/campaigns", "campaigns", "Holiday Glow"),
        (f"/campaigns/{w['campaign']}", "campaign", "Always-on creators"),
        (f"/ad-groups/{w['group']}", "ad-group", "Maya — morning routine"),
        (f"/ads/{w['stopped_ad']}", "ad-stopped", "Stopped"),
        (f"{us}/requests", "requests", "vitamin C serum"),
        (f"{us}/reports", "reports", "Organic"),
        ("/notifications", "notifications", "Alerts"),
    ):
        _visit(page, path, f"brand-{name}", words)
    # The report draws its chart (a canvas with a size), not only the table.
    page.goto(f"{us}/reports")
    box = page.locator("canvas").first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100


def test_analyst_sees_but_is_not_offered_changes(browser, world):  # type: ignore[no-untyped-def]
    w = world
    page = logged_in_page(browser, w["site"], demo.ANALYST_EMAIL)
    _visit(page, f"/businesses/{w['business']}/tracker", "analyst-tracker", "@maya.makes")
    _visit(page, f"/campaigns/{w['campaign']}", "analyst-campaign", "Always-on creators")


def test_creator_pages_over_the_demo(browser, world):  # type: ignore[no-untyped-def]
    w = world
    page = logged_in_page(browser, w["site"], "maya@demo.sparkcodes.dev")
    for path, name, words in (
        ("/creators", "creators", "@maya.makes"),
        (f"/creators/{w['maya']}", "creator", "Glow Skincare"),
        (f"/posts/{w['post']}", "post", "Codes for this post"),
        (f"/creators/{w['maya']}/reports", "reports", "Organic"),
        (f"/creators/{w['maya']}/calendar", "calendar", "Glow"),
    ):
        _visit(page, path, f"creator-{name}", words)


def test_the_demo_duet_and_stitch_link_from_the_page(browser, world):  # type: ignore[no-untyped-def]
    """Issue 13, item 1: two of the four codes `make run` prints are a duet and a stitch. The
    preview says what they lack before Link; with the original posts' codes in their own box,
    all four link."""
    w = world
    page = logged_in_page(browser, w["site"], demo.BRAND_EMAIL)
    page.goto(f"/ad-accounts/{w['us']}")
    page.get_by_label("Authorization codes").fill("\n".join(w["codes"]))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview-summary")).to_contain_text("2 ready to link")
    duet = page.get_by_role("article", name="Line 3: @leo_lifts")
    expect(duet).to_contain_text("Duet of @maya.makes")
    expect(duet).to_contain_text("This post is a duet: also paste a code of the post it was "
                                 "made from under “Codes of the original posts”.")
    expect(page.get_by_role("article", name="Line 4: @aiko.eats")).to_contain_text(
        "This post is a stitch")
    originals = page.get_by_label("Codes of the original posts")
    expect(originals).to_be_visible()  # opened, since duets are in the batch
    originals.fill("\n".join(w["original_codes"]))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview-summary")).to_contain_text("4 ready to link")
    expect(duet).to_contain_text("original-post code")
    shoot(page, "demo-brand-link-duet-preview")
    page.get_by_role("button", name="Link 4 codes").click()
    expect(page.locator(".bind-summary")).to_contain_text("4 linked")
    expect(page.locator("#spark-posts")).to_contain_text("Reacting to Maya's routine")
    expect(page.locator("#spark-posts")).to_contain_text("Stitching Leo: the real post-gym")


def test_a_creator_publishes_a_duet_from_the_form(browser, world):  # type: ignore[no-untyped-def]
    """Issue 13, item 1: "Publish a post" offers Duet and names the original by its post ID."""
    w = world
    page = logged_in_page(browser, w["site"], "maya@demo.sparkcodes.dev")
    page.goto(f"/posts/{w['post']}")
    post_id = page.locator("p", has_text="Post ID").locator("code").inner_text()
    page.goto(f"/creators/{w['maya']}")
    page.get_by_label("Caption").fill("Duet with my own routine")
    page.get_by_label("Kind").select_option("duet")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#original_post-error")).to_have_text(
        "A duet names the post it was made from: paste its link or post ID under “Original "
        "post”.")
    expect(page.get_by_label("Caption")).to_have_value("Duet with my own routine")
    shoot(page, "demo-creator-publish-duet-error")
    page.get_by_label("Original post").fill(post_id)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="Duet with my own routine")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Duet of @maya.makes")
