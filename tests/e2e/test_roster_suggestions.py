"""Issue 13 follow-up: the roster's suggested posts, where a brand picks a post to ask a code for,
carry the pre-promotion review (R30) as the post page and the code preview do, and one click
carries the chosen post into the request form."""

from __future__ import annotations

import re

from sparkcodes import demo
from tests.e2e.browsing import expect, logged_in_page, shoot


def test_suggested_posts_show_the_review_and_fill_the_request(browser, world):  # type: ignore[no-untyped-def]
    page = logged_in_page(browser, world["site"], demo.BRAND_EMAIL)
    page.goto(f"/ad-accounts/{world['account']}/requests")
    section = page.locator("section[aria-labelledby=suggested-title]")
    cards = section.locator("article.suggestion")
    expect(cards.first).to_be_visible()
    for i in range(cards.count()):
        review = cards.nth(i).get_by_label("Pre-promotion review")
        expect(review).to_contain_text("Organic age:")
        expect(review).to_contain_text("Watched to 15 s:")
        expect(review).to_contain_text("Comment sentiment:")
    expect(section).to_contain_text("Ready to promote")
    expect(section).to_contain_text("Not ready to promote")
    shoot(page, "roster-suggestions")
    card = cards.first
    post_id = (card.get_attribute("id") or "").removeprefix("suggested-")
    card.get_by_role("link", name="Request a code for this post").click()
    page.wait_for_url(re.compile(r"post_id="))
    expect(page.get_by_label("Post id")).to_have_value(post_id)
