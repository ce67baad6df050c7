"""Issue 13, item 6 in Chromium over the demo: an ad group page shows its ads' numbers with the
account's currency, the date range changes with a preset, a column is hidden from the chooser,
the view survives a reload (it lives in the link), and the ad page lists its days; each page
passes axe-core and does not scroll sideways at 390 px (the table scrolls in its own box)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from sparkcodes import demo
from sparkcodes.models import Ad, AdAccount, AdGroup
from tests.e2e.browsing import DESKTOP, PHONE, SHOTS, expect, new_page, shoot


@pytest.fixture
def world(app, site, demo_installed):  # type: ignore[no-untyped-def]
    """The demo (a week of traffic) in the live server's database: the EU account (EUR) and its
    busiest ad group and ad."""
    result, outcome = demo_installed
    assert result.created and outcome is not None
    with app.state.db.unit_of_work() as s:
        eu = s.scalars(select(AdAccount).where(AdAccount.name == "Glow EU")).one()
        group = s.scalars(select(AdGroup).where(AdGroup.name == "EU creators")).one()
        ad = s.scalars(select(Ad).where(Ad.name == "Maya — routine (EU)")).one()
        return {"site": site, "currency": eu.currency, "group": group.id, "ad": ad.id}


def _log_in(browser, site: str):  # type: ignore[no-untyped-def]
    page = new_page(browser, site)
    page.goto("/login")
    page.get_by_label("E-mail").fill(demo.BRAND_EMAIL)
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log out").or_(
        page.get_by_role("button", name="Log out"))).to_be_visible()
    return page


def _shoot_numbers(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The page (shoot: axe-core, no sideways scroll) and, to read it closely, its numbers
    section alone at desktop and phone width."""
    shoot(page, name)
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.locator("section.numbers").screenshot(path=str(SHOTS / f"{name}-table-{width}.png"))
    page.set_viewport_size(DESKTOP)


def _amount(text: str) -> Decimal:
    number, currency = text.split()
    assert currency == "EUR"
    return Decimal(number.replace(",", ""))


def _headers(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.strip() for t in page.locator(".numbers-table thead th").all_inner_texts()]


def test_ad_group_numbers_change_range_and_hide_a_column(browser, world):  # type: ignore[no-untyped-def]
    w = world
    assert w["currency"] == "EUR"
    page = _log_in(browser, w["site"])
    page.goto(f"/ad-groups/{w['group']}")
    numbers = page.locator("section.numbers")
    expect(numbers.get_by_role("link", name="Last 7 days")).to_have_attribute(
        "aria-current", "true")
    table = page.locator(".numbers-table")
    expect(table.locator("caption")).to_contain_text("Ads")
    total = table.locator("tfoot tr")
    expect(total.locator("td").first).to_have_text(re.compile(r"^[\d,]+\.\d\d EUR$"))
    week_spend = total.locator("td").first.inner_text()
    assert week_spend != "0.00 EUR", "the demo's week of traffic should have cost something"
    assert _headers(page) == ["Ad", "Spend", "Impressions", "Clicks", "CTR", "CPC", "CPM",
                              "Paid likes", "Paid comments", "Paid shares", "Paid follows"]
    # The demo's ads are clicked: a CTR in percent and a CPC in the account's currency.
    footer = table.locator("tfoot td").all_inner_texts()
    assert re.fullmatch(r"\d+\.\d\d %", footer[3]) and footer[3] != "0.00 %", footer
    assert re.fullmatch(r"[\d,]+\.\d\d EUR", footer[4]), footer
    # Numbers line up on the right.
    align = table.locator("tbody td.num").first.evaluate("e => getComputedStyle(e).textAlign")
    assert align == "right"
    _shoot_numbers(page, "ad-group-numbers")

    # A preset: today only, in the account's zone (Europe/Berlin).
    numbers.get_by_role("link", name="Today").click()
    page.wait_for_url(re.compile(r"range=today"))
    expect(numbers.get_by_role("link", name="Today")).to_have_attribute("aria-current", "true")
    expect(page.locator(".numbers-span")).to_contain_text("days in Europe/Berlin")
    today_spend = page.locator(".numbers-table tfoot td").first.inner_text()
    assert today_spend.endswith(" EUR")

    # Hide a column: untick it in the chooser and show.
    numbers.locator("summary", has_text="Columns").click()
    numbers.get_by_label("Paid shares").uncheck()
    numbers.get_by_role("button", name="Show columns").click()
    page.wait_for_url(re.compile(r"col=follows"))
    assert "Paid shares" not in _headers(page)
    assert _headers(page)[:3] == ["Ad", "Spend", "Impressions"]
    assert "range=today" in page.url
    # The link reproduces the view, and the presets keep the columns.
    page.reload()
    assert "Paid shares" not in _headers(page)
    numbers = page.locator("section.numbers")
    numbers.get_by_role("link", name="Last 30 days").click()
    page.wait_for_url(re.compile(r"range=30d.*col="))
    assert "Paid shares" not in _headers(page)
    month = page.locator(".numbers-table tfoot td").first.inner_text()
    assert _amount(month) >= _amount(week_spend) > 0

    # A custom range that ends before it begins is refused next to the field.
    numbers = page.locator("section.numbers")
    numbers.locator("summary", has_text="Custom range").click()
    numbers.get_by_label("From").fill("2026-03-05")
    numbers.get_by_label("To").fill("2026-03-01")
    numbers.get_by_role("button", name="Show these days").click()
    expect(numbers.get_by_role("alert")).to_have_text("The first day is after the last day.")


def test_ad_page_lists_its_days(browser, world):  # type: ignore[no-untyped-def]
    w = world
    page = _log_in(browser, w["site"])
    page.goto(f"/ads/{w['ad']}?range=7d")
    table = page.locator(".numbers-table")
    expect(table.locator("tbody tr")).to_have_count(7)
    assert _headers(page)[0] == "Day"
    expect(table.locator("tfoot td").first).to_have_text(re.compile(r" EUR$"))
    _shoot_numbers(page, "ad-numbers")
    # At phone width the table scrolls inside its own box; the page does not.
    page.set_viewport_size(PHONE)
    box = page.locator(".numbers .table-scroll")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth"), "the table should scroll"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    # Scrolled to the last column, the days stay in view.
    box.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    day, left = table.locator("tbody th").first, box.bounding_box()
    assert day.bounding_box()["x"] <= left["x"] + 1 and day.is_visible()
    page.locator("section.numbers").screenshot(
        path=str(SHOTS / "ad-numbers-table-phone-scrolled.png"))
