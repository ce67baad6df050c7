"""Issue 13, items 2, 8 and 10 in Chromium over the demo `make run` serves: the business overview
is the brand's landing tab and asks to extend from any row; the fallback policies are set from
the pages; the tracker fits at desktop width, stacks rows into cards at 390 px and gives each row
its actions; the read-only analyst sees what they may not do disabled, with the reason."""

from __future__ import annotations

from sparkcodes import demo
from tests.e2e.browsing import DESKTOP, PHONE, expect, logged_in_page, shoot


def test_the_brand_lands_on_the_overview_and_asks_to_extend_from_it(browser, world):  # type: ignore[no-untyped-def]
    w = world
    page = logged_in_page(browser, w["site"], demo.BRAND_EMAIL)
    page.goto("/businesses")
    page.get_by_role("link", name=w["business_name"]).first.click()
    page.wait_for_url(f"**/businesses/{w['business']}/overview")
    tabs = page.get_by_role("navigation", name="Business")
    expect(tabs.get_by_role("link").first).to_have_text("Overview")
    expect(tabs.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    glance = page.locator(".glance")
    expect(glance).to_contain_text("daily spend at risk")
    expect(glance).to_contain_text("open request")
    shoot(page, "overview")
    ending = page.locator("section[aria-labelledby=ending-title]")
    asks = ending.locator("details.ask-later")
    if asks.count() == 0:  # nothing ends this week in the demo: ask from a stopped post
        asks = page.locator("section[aria-labelledby=stopped-title] details.ask-later")
    assert asks.count() > 0, "no row to ask from"
    ask = asks.first
    ask.locator("summary").click()
    ask.get_by_role("button", name="Ask the creator to extend").click()
    expect(page.get_by_text("Extension requested").first).to_be_visible()
    page.reload()
    expect(page.locator("section[aria-labelledby=requests-title]")).to_contain_text("Extension")


def test_fallback_policies_are_set_from_the_page(browser, world):  # type: ignore[no-untyped-def]
    w = world
    page = logged_in_page(browser, w["site"], demo.BRAND_EMAIL)
    page.goto(f"/businesses/{w['business']}/overview")
    page.get_by_role("navigation", name="Business").get_by_role("link", name="Fallback").click()
    card = page.locator(f"#group-{w['group']}")
    expect(card).to_contain_text(w["group_name"])
    card.locator("summary", has_text="Change").click()
    card.get_by_label("Swap to a backup ad").check()
    card.get_by_role("button", name="Save policy").click()
    card = page.locator(f"#group-{w['group']}")
    expect(card.get_by_role("alert")).to_have_text(
        "A swap needs a backup ad: choose the ad to switch on instead.")
    card.get_by_label("Pause the ad").check()
    card.get_by_label("Hours before the end").fill("48")
    card.get_by_role("button", name="Save policy").click()
    card = page.locator(f"#group-{w['group']}")
    expect(card).to_contain_text("Saved.")
    expect(card).to_contain_text("Pauses the ad 48 h before its code ends.")
    shoot(page, "fallback")


def test_the_tracker_fits_the_screen_and_rows_carry_their_actions(browser, world):  # type: ignore[no-untyped-def]
    w = world
    page = logged_in_page(browser, w["site"], demo.BRAND_EMAIL)
    page.goto(f"/businesses/{w['business']}/tracker")
    scroll = page.locator(".table-scroll")
    clipped = scroll.evaluate("e => e.scrollWidth - e.clientWidth")
    assert clipped <= 0, f"the tracker table is {clipped}px wider than the page at 1280 px"
    row = page.locator(".tracker-table tbody tr").first
    expect(row.get_by_role("link", name="Open the ad")).to_be_visible()
    expect(row.get_by_role("link", name="Swap code")).to_be_visible()
    expect(row.locator("summary", has_text="Ask to extend")).to_be_visible()
    shoot(page, "tracker")
    # At 390 px each row is a card: every cell under its label, two a line, nothing cut off.
    page.set_viewport_size(PHONE)
    cells = row.locator("td")
    display = row.evaluate("e => getComputedStyle(e).display")
    assert display == "grid", display
    label = cells.nth(0).evaluate("e => getComputedStyle(e, '::before').content")
    assert label == '"Creator & post"', label
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.set_viewport_size(DESKTOP)
    # Fewer columns, chosen on the page and kept in the link.
    columns = page.locator(".tracker-columns")
    columns.locator("summary").click()
    for name in ("Ad account", "Contract", "Live ads"):
        columns.get_by_label(name).uncheck()
    columns.get_by_role("button", name="Show columns").click()
    expect(page.locator(".tracker-table thead th")).to_have_count(5)
    assert "col=post" in page.url


def test_the_analyst_sees_what_they_may_not_do_disabled_with_the_reason(browser, world):  # type: ignore[no-untyped-def]
    w = world
    page = logged_in_page(browser, w["site"], demo.ANALYST_EMAIL)
    page.goto(f"/businesses/{w['business']}/tracker")
    row = page.locator(".tracker-table tbody tr").first
    ask = row.get_by_role("button", name="Ask to extend")
    expect(ask).to_be_disabled()
    expect(ask).to_have_attribute(
        "title", "Your role can read only; operators and admins ask creators to extend.")
    expect(row.locator("form")).to_have_count(0)
    page.goto(f"/businesses/{w['business']}/fallback")
    expect(page.locator("main")).to_contain_text("Your role is analyst: you can read the policies")
    expect(page.get_by_role("button", name="Save policy")).to_have_count(0)
    shoot(page, "analyst-fallback")
    page.goto(f"/businesses/{w['business']}/overview")
    shoot(page, "analyst-overview")
