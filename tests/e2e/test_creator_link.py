"""Issue 11, step 5 in Chromium: the brand asks a creator who is not on sparkcodes for a code from
the roster page, and the creator answers on the e-mailed link with no login, on a phone: the code
goes to the stand-in TikTok and the brand's tracker shows the post."""

from __future__ import annotations

from tests.connector.test_bind_through import mirrored_account, standin_items
from tests.connector.test_creator_links import mailed_token
from tests.connector.test_sync import OnTikTok, do_sync, linked, tracker
from tests.e2e.browsing import PHONE, expect, log_in, new_page, shoot
from tests.tiktok_world import Creator as TikTokCreator


def test_a_creator_answers_the_emailed_link_on_a_phone(browser, site, client, standin):  # type: ignore[no-untyped-def]
    world = OnTikTok(standin, n=1)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == "done"
    account_id = mirrored_account(client, admin)
    maya = TikTokCreator(standin.client)
    post = maya.post(caption="Sunday skincare, no filter")
    handle = maya.creator["handle"]
    page = new_page(browser, site)
    log_in(page, admin.email, f"/businesses/{admin.business['id']}/roster")
    # The brand adds her by handle and e-mail: she is not on sparkcodes.
    page.get_by_label("TikTok handle").fill("@" + handle)
    page.get_by_label("E-mail (needed if they are not on sparkcodes)").fill("maya@example.com")
    page.get_by_role("button", name="Add to roster").click()
    card = page.locator("article.roster-card").filter(has_text="@" + handle)
    expect(card).to_contain_text("Not on sparkcodes: requests reach them by e-mail at")
    card.locator("summary", has_text="Ask by e-mail").click()
    card.get_by_label("Which post").fill("https://www.tiktok.com/@maya/video/7")
    card.get_by_label("Fee (USD)").fill("120")
    card.get_by_role("button", name="E-mail the request").first.click()
    card = page.locator("article.roster-card").filter(has_text="@" + handle)
    expect(card.get_by_text("Waiting")).to_be_visible()
    shoot(page, "roster-emailed-request")
    # The creator opens the link on her phone: no account, no login.
    token = mailed_token(client, "maya@example.com")
    phone = browser.new_context(base_url=site, viewport=PHONE).new_page()
    phone.goto(f"/answer/{token}")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Glow asks for a Spark code")
    expect(phone.locator("dl.facts")).to_contain_text("120.00 USD")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the link page scrolls sideways by {overflow}px on a phone"
    shoot(phone, "creator-link-phone")
    phone.get_by_label("Your Spark code").fill("SPARK-ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    phone.get_by_role("button", name="Send the code").click()
    expect(phone.get_by_role("alert")).to_contain_text("TikTok does not recognize this code")
    phone.get_by_label("Your Spark code").fill(maya.code(post, 30)["code"])
    phone.get_by_role("button", name="Send the code").click()
    expect(phone.get_by_role("status")).to_contain_text("Done: your code is with Glow on TikTok")
    shoot(phone, "creator-link-done")
    assert str(post["id"]) in standin_items(standin, world)
    assert any(i["post"]["caption"] == "Sunday skincare, no filter"
               and i["ad_account"]["id"] == account_id for i in tracker(client, admin))
    page.reload()
    card = page.locator("article.roster-card").filter(has_text="@" + handle)
    expect(card.get_by_text("Answered")).to_be_visible()
