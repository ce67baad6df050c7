"""Issue 13, item 3 in Chromium: an alert links to what it is about and to the one action that
fixes it, in the reader's words (the creator extends her code from it, the brand asks her to),
and each user's e-mail choices save."""

from __future__ import annotations

import re

from tests import factories as f
from tests.e2e.browsing import PASSWORD, expect, log_in, new_page, shoot
from tests.notification.test_email_choices import BRAND, CREATOR, Cast, _remind


def test_the_creator_extends_her_code_from_the_alert(browser, site, client, app):  # type: ignore[no-untyped-def]
    cast = Cast(client)
    _remind(client, app, cast)
    before = client.get(f"/v1/authorizations/{cast.code['id']}",
                        headers=cast.creator_h).json()["expires_at"]
    page = new_page(browser, site)
    log_in(page, CREATOR, "/notifications")
    alert = page.locator("article.note-card").first
    expect(alert).to_contain_text("Extend your code: it ends in 72 h")
    expect(alert).not_to_contain_text("Ask @maya")
    code_page = f"/posts/{cast.post['id']}#code-{cast.code['id']}"
    expect(alert.get_by_role("link", name=re.compile("^Your code"))).to_have_attribute(
        "href", code_page)
    shoot(page, "alerts-creator")
    alert.get_by_role("button", name="Extend your code").click()
    page.wait_for_url(f"**{code_page}")
    card = page.locator(f"#code-{cast.code['id']}")
    card.get_by_label("Extend by").select_option("7")
    card.get_by_role("button", name="Extend").click()
    expect(page.locator(f"#code-{cast.code['id']}").get_by_role("status")).to_have_text(
        "Extended by 7 days: the code stays the same.")
    after = client.get(f"/v1/authorizations/{cast.code['id']}",
                       headers=cast.creator_h).json()["expires_at"]
    assert after > before


def test_the_brand_asks_the_creator_from_the_alert(browser, site, client, app):  # type: ignore[no-untyped-def]
    cast = Cast(client)
    _remind(client, app, cast)
    page = new_page(browser, site)
    log_in(page, BRAND, "/notifications")
    alert = page.locator("article.note-card").first
    expect(alert).to_contain_text("Ask @maya to extend")
    alert.get_by_role("button", name="Ask @maya to extend").click()
    page.wait_for_url(f"**/ad-accounts/{cast.account['id']}#ask-{cast.code['id']}")
    ask = page.locator(f"#ask-{cast.code['id']}")
    ask.get_by_role("button", name="Ask the creator to extend").click()
    expect(page.get_by_text("Extension requested").first).to_be_visible()
    mine = client.get("/v1/notifications", headers=cast.creator_h).json()["items"]
    assert mine[0]["event_type"] == "renewal_request.created"


def test_e_mail_choices_save(browser, site, client):  # type: ignore[no-untyped-def]
    f.user(client, email="choosy@example.com", password=PASSWORD)
    page = new_page(browser, site)
    log_in(page, "choosy@example.com", "/notifications")
    page.get_by_role("link", name="Choose which reach you by e-mail").click()
    page.wait_for_url("**/notifications/email")
    box = page.get_by_role("checkbox", name=re.compile("^A creator reported misuse"))
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="Save e-mail choices").click()
    expect(page.get_by_role("status")).to_have_text(
        "Saved: only the ticked alerts reach you by e-mail.")
    shoot(page, "email-choices")
    page.reload()
    expect(page.get_by_role("checkbox", name=re.compile("^A creator reported misuse"))
           ).not_to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("^A code in use ends"))).to_be_checked()
