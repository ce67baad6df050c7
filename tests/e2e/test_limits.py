"""Long input in Chromium (issue 13, item 5): every field states its limit, near the limit the
hint counts, and a value over it — sent by a client that ignores maxlength — comes back next to
its field with everything typed kept and the page's header (log-out, alerts) in place."""

from __future__ import annotations

from tests.e2e.browsing import expect, new_page, shoot, sign_up


def _set(page, selector: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """What a client without maxlength sends: the value as is."""
    page.locator(selector).evaluate("(el, v) => { el.value = v; }", value)


def test_an_over_limit_campaign_keeps_the_form(browser, site):  # type: ignore[no-untyped-def]
    brand = new_page(browser, site)
    sign_up(brand, "limits@glow.example")
    brand.get_by_role("button", name="Create a business").click()
    brand.get_by_label("Business name").fill("Glow Skincare")
    brand.get_by_role("button", name="Create business").click()
    brand.get_by_label("Name").fill("Glow US")
    brand.get_by_role("button", name="Add ad account").click()
    brand.get_by_role("link", name="Campaigns & ads").click()

    name = brand.get_by_label("Campaign name")
    expect(name).to_have_attribute("maxlength", "512")
    expect(brand.locator("#name-limit")).to_have_text("Up to 512 characters.")
    expect(brand.locator("#budget-limit")).to_have_text(
        "Above 0 and up to 10,000,000, at most two decimals.")

    _set(brand, "#name", "N" * 1000)
    brand.get_by_label("Budget", exact=True).select_option("BUDGET_MODE_DAY")
    brand.get_by_label("Amount").fill("250")
    brand.get_by_role("button", name="Create campaign").click()
    expect(brand.locator("#name-error")).to_have_text(
        "Too long: at most 512 characters, and this has 1,000.")
    expect(name).to_have_value("N" * 1000)
    expect(brand.get_by_label("Amount")).to_have_value("250")
    expect(brand.get_by_role("button", name="Log out")).to_be_visible()
    expect(brand.get_by_role("link", name="Alerts")).to_be_visible()
    shoot(brand, "limits-campaign-name")

    name.fill("Spring sale")
    _set(brand, "#budget", str(10**30))
    brand.get_by_role("button", name="Create campaign").click()
    expect(brand.locator("#budget-error")).to_have_text(
        "Enter the budget as an amount above 0 and up to 10,000,000, with at most two decimals.")
    expect(brand.get_by_label("Amount")).to_have_value(str(10**30))
    expect(name).to_have_value("Spring sale")
    shoot(brand, "limits-campaign-budget")


def test_the_caption_hint_counts_towards_the_limit(browser, site):  # type: ignore[no-untyped-def]
    creator = new_page(browser, site)
    sign_up(creator, "limits@creator.example")
    creator.get_by_role("button", name="Add a creator account").click()
    creator.get_by_label("Handle").fill("long.caption")
    creator.get_by_role("button", name="Add account").click()
    caption = creator.get_by_label("Caption")
    hint = creator.locator("#caption-limit")
    expect(hint).to_have_text("Up to 2,200 characters.")
    caption.fill("c" * 1900)
    expect(hint).to_have_text("1,900 of 2,200 characters.")
    caption.fill("c" * 2500)  # the browser keeps 2,200 of them
    expect(caption).to_have_value("c" * 2200)
    expect(hint).to_have_text("Limit reached: 2,200 characters. Anything longer was cut off.")
    caption.fill("short")
    expect(hint).to_have_text("Up to 2,200 characters.")

    _set(creator, "#caption", "c" * 20_000)
    creator.get_by_role("button", name="Publish").click()
    expect(creator.locator("#caption-error")).to_have_text(
        "Too long: at most 2,200 characters, and this has 20,000.")
    expect(caption).to_have_value("c" * 20_000)
    shoot(creator, "limits-caption")
