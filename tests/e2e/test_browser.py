"""The pages in a real browser (Debian's Chromium driven by Playwright) against a real server.

Journeys: a creator signs up, turns on ad settings, posts, generates a code and copies it; a brand
previews and links it, builds campaign → ad group → ad and sees it delivering; the sandbox clock
moves past the code's end and the ad page says why it stopped; the brand asks to extend, the
creator approves, the ad delivers again; a batch of 20 codes with 3 bad ones links 17 and names
the 3 problems; a wrong password and a mistyped code get clear messages.

Screenshots of every main page at desktop (1280×800) and phone (390×844) widths land in
var/screenshots/ (ignored by git). Every phone-width page is checked for sideways scrolling.
"""

from __future__ import annotations

import re

import httpx

from sparkcodes.kit import crypto
from tests import factories as f
from tests.e2e.browsing import expect, log_in, new_page, shoot, sign_up


def test_code_journey_from_creator_to_delivering_ad_expiry_and_renewal(browser, site):  # type: ignore[no-untyped-def]
    creator = new_page(browser, site)
    brand = new_page(browser, site)

    # --- the creator: sign up, account, ad settings, post, code ------------------------------
    creator.goto("/")
    expect(creator).to_have_url(re.compile(r"/login\?next=/$"))  # signed out: sent to log in
    shoot(creator, "login")
    sign_up(creator, "maya@example.com")
    shoot(creator, "home")
    creator.get_by_role("button", name="Add a creator account").click()
    expect(creator.get_by_text("No creator account yet")).to_be_visible()
    creator.get_by_label("Handle").fill("maya.makes")
    creator.get_by_label("Display name").fill("Maya Makes")
    creator.get_by_role("button", name="Add account").click()
    expect(creator.get_by_role("heading", name="@maya.makes")).to_be_visible()
    expect(creator.get_by_text("No posts yet")).to_be_visible()
    shoot(creator, "creator-account")
    creator.get_by_label("Caption").fill("Morning routine with the new serum")
    creator.get_by_role("button", name="Publish").click()
    heading = creator.get_by_role("heading", name="Morning routine with the new serum")
    expect(heading).to_be_visible()

    panel = creator.locator("#ad-panel")
    expect(panel.get_by_text("Turn on account ad settings above first.")).to_be_visible()
    panel.get_by_role("button", name="Turn on ad authorization").click()  # terms not ticked
    expect(panel.get_by_role("alert")).to_contain_text("accept the advertising terms")
    panel.get_by_label("I accept the advertising terms").check()
    panel.get_by_role("button", name="Turn on ad authorization").click()
    expect(panel.get_by_text("Ad authorization is on")).to_be_visible()
    generate = panel.get_by_role("button", name="Generate")
    expect(generate).to_be_hidden()  # the post's switch is off
    panel.get_by_role("switch", name="Ad authorization").check()
    panel.get_by_label("30 days").check()
    generate.click()
    code_box = creator.locator("#new-code")
    expect(code_box).to_have_text(re.compile(r"^SPARK(-[0-9A-Z]{4}){7}$"))
    code = code_box.inner_text().strip()
    expect(panel.get_by_text("Shown only once.")).to_be_visible()
    creator.get_by_role("button", name="Copy code").click()
    expect(creator.get_by_role("button", name="Copied ✓")).to_be_visible()
    assert creator.evaluate("navigator.clipboard.readText()") == code
    expect(creator.locator(".code-card")).to_contain_text("Not used")
    shoot(creator, "post-generated")

    # --- the brand: business, ad account, preview, link --------------------------------------
    sign_up(brand, "ads@glow.example")
    brand.get_by_role("button", name="Create a business").click()
    brand.get_by_label("Business name").fill("Glow Skincare")
    brand.get_by_role("button", name="Create business").click()
    expect(brand.get_by_text("No ad account yet")).to_be_visible()
    shoot(brand, "business")
    brand.get_by_label("Name").fill("Glow US")
    brand.get_by_role("button", name="Add ad account").click()
    expect(brand.get_by_role("heading", name="Glow US")).to_be_visible()
    expect(brand.get_by_text("No Spark Ad posts yet")).to_be_visible()
    brand.get_by_label("Authorization codes").fill(code.lower().replace("-", " "))
    brand.get_by_role("button", name="Preview").click()
    card = brand.locator(".preview-card")
    expect(card).to_contain_text("@maya.makes")
    expect(card).to_contain_text("Morning routine with the new serum")
    expect(card).to_contain_text("Ready to link")
    shoot(brand, "spark-preview")
    brand.get_by_role("button", name="Link 1 code").click()
    expect(brand.locator(".bind-summary")).to_contain_text("1 linked")
    spark = brand.locator(".spark-card")
    expect(spark).to_contain_text("Authorized")
    expect(spark).to_contain_text(re.compile(r"(29|30) days left"))
    shoot(brand, "spark-posts")

    # --- campaign → ad group → ad, delivering ------------------------------------------------
    brand.get_by_role("link", name="Campaigns & ads").click()
    expect(brand.get_by_text("No campaigns yet")).to_be_visible()
    brand.get_by_label("Campaign name").fill("Spring launch")
    brand.get_by_role("button", name="Create campaign").click()
    brand.get_by_label("Ad group name").fill("US 18-34")
    brand.get_by_label("Daily budget").fill("50")
    brand.get_by_label("CPM bid").fill("5")
    brand.get_by_role("button", name="Create ad group").click()
    expect(brand.get_by_text("No ads yet", exact=True)).to_be_visible()
    brand.get_by_label("Ad name").fill("Maya morning routine")
    brand.get_by_label("Landing page").fill("https://glow.example/serum?utm_source=tiktok")
    brand.get_by_role("button", name="Create Spark Ad").click()
    expect(brand.locator("#delivery-text")).to_have_text("Delivering: people see the ad now.")
    ad_url = brand.url
    shoot(brand, "ad-delivering")
    brand.get_by_role("link", name="US 18-34").click()
    expect(brand.locator(".ad-card")).to_contain_text("Delivering")
    shoot(brand, "ad-group")
    brand.get_by_role("link", name="Spring launch").click()
    expect(brand.get_by_text("1 live ad").first).to_be_visible()
    shoot(brand, "campaign")
    brand.goto("/businesses")
    shoot(brand, "businesses")
    brand.goto(ad_url)

    # The creator sees who uses the code and cannot delete it while the ad is live.
    creator.reload()
    code_card = creator.locator(".code-card")
    expect(code_card).to_contain_text("In use")
    expect(code_card).to_contain_text("Glow Skincare")
    expect(code_card).to_contain_text("1 live ad")
    code_card.get_by_role("button", name="Delete").click()  # confirmed in the dialog
    expect(code_card.get_by_role("alert")).to_contain_text("in use by live ads of Glow Skincare")
    shoot(creator, "post-in-use")

    # --- the sandbox clock passes the end: the ad says why it stopped -------------------------
    brand.get_by_role("button", name="+31 days").click()
    brand.wait_for_url(ad_url)
    expect(brand.locator("#delivery-text")).to_have_text(
        "The creator's authorization expired 1 day ago — ask to extend.")
    shoot(brand, "ad-stopped")
    brand.get_by_role("button", name="Ask the creator to extend").click()
    expect(brand.get_by_text("Extension requested")).to_be_visible()

    # --- the creator approves in one click; the ad delivers again -----------------------------
    creator.goto("/notifications")
    expect(creator.locator(".note-card").first).to_contain_text("asks you to extend a code")
    shoot(creator, "notifications")
    creator.goto("/creators")
    shoot(creator, "creators")
    creator.get_by_role("link", name="@maya.makes").click()
    expect(creator.locator(".renewal")).to_contain_text("asks you to extend")
    shoot(creator, "creator-renewal")
    creator.get_by_role("link", name="Morning routine with the new serum").click()
    request = creator.locator(".renewal")
    expect(request).to_contain_text("Glow Skincare")
    expect(request).to_contain_text("The code expired 1 day ago")
    request.get_by_role("button", name="Approve: extend by 30 days").click()
    expect(request).to_contain_text("Approved")
    expect(creator.locator(".code-card")).to_contain_text("In use")
    brand.reload()
    # Live again, after weeks on the sandbox clock with no traffic: the page says where it
    # comes from.
    expect(brand.locator("#delivery-title")).to_contain_text("Live")
    expect(brand.locator("#delivery-text")).to_contain_text(
        "only `sparkcodes simulate` sends traffic")
    brand.goto("/notifications")
    note = brand.locator(".note-card").filter(has_text="extended the code")
    expect(note).to_be_visible()
    note.get_by_role("button", name="Mark read").click()
    expect(note.get_by_role("button", name="Mark read")).to_have_count(0)

    creator.get_by_role("button", name="Log out").click()
    expect(creator).to_have_url(re.compile(r"/login$"))
    creator.goto("/creators")
    expect(creator).to_have_url(re.compile(r"/login\?next=/creators$"))


def test_batch_of_twenty_codes_links_seventeen_and_names_three_problems(browser, site):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=site, timeout=30) as http:
        creator_h = f.user(http, email="nico@example.com")
        creator = f.creator(http, creator_h, handle="nico.cooks")
        codes = []
        for i in range(18):
            post = f.post(http, creator_h, creator["id"], caption=f"Recipe number {i + 1}")
            codes.append(f.code(http, creator_h, post["id"]))
        deleted = codes.pop()
        http.delete(f"/v1/authorizations/{deleted['id']}", headers=creator_h).raise_for_status()
        brand_h = f.user(http, email="buyer@acme.example")
        business = f.business(http, brand_h, "Acme Foods")
        account = f.ad_account(http, brand_h, business["id"], "Acme EU")
    raw = [c["code"] for c in codes]
    mistyped = raw[3][:-1] + ("0" if raw[3][-1] != "0" else "1")
    lines = raw[:3] + [mistyped] + raw[4:] + [crypto.new_code(), deleted["code"]]
    lines.insert(10, raw[3])
    assert len(lines) == 20

    page = new_page(browser, site)
    log_in(page, "buyer@acme.example", f"/ad-accounts/{account['id']}")
    page.get_by_label("Authorization codes").fill("\n".join(lines))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview-card")).to_have_count(20)
    expect(page.locator(".preview-bad")).to_have_count(3)
    expect(page.get_by_role("button", name="Link 17 codes")).to_be_visible()
    shoot(page, "batch-preview")

    # Hold the bind request so the progress indicator can be seen while the batch links.
    held = []
    page.route("**/spark-posts", lambda route: held.append(route))
    page.get_by_role("button", name="Link 17 codes").click()
    expect(page.locator("#apply-progress")).to_be_visible()
    expect(page.locator("#apply-progress")).to_contain_text("linking a batch")
    page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].continue_()
    summary = page.locator(".bind-summary")
    expect(summary).to_contain_text("17 linked, 3 not linked")
    expect(page.locator("#apply-progress")).to_be_hidden()
    bad = page.locator(".result-bad")
    expect(bad).to_have_count(3)
    expect(bad.nth(0)).to_contain_text("Line 4")
    expect(bad.nth(0)).to_contain_text("mistyped")
    expect(bad.nth(1)).to_contain_text("Line 19")
    expect(bad.nth(1)).to_contain_text("No Spark code matches")
    expect(bad.nth(2)).to_contain_text("Line 20")
    expect(bad.nth(2)).to_contain_text("deleted")
    expect(page.locator(".spark-card")).to_have_count(17)
    # The three that failed stay in the box to be fixed; the linked ones are gone.
    assert page.get_by_label("Authorization codes").input_value().count("\n") == 2
    shoot(page, "batch-linked")


def test_wrong_password_and_mistyped_code_say_so_plainly(browser, site):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=site, timeout=30) as http:
        brand_h = f.user(http, email="ops@brand.example")
        business = f.business(http, brand_h, "Brand Co")
        account = f.ad_account(http, brand_h, business["id"], "Brand US")

    page = new_page(browser, site)
    page.goto("/login")
    page.get_by_label("E-mail").fill("ops@brand.example")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    error = page.locator("#password-error")
    expect(error).to_have_text("Wrong e-mail or password.")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("E-mail")).to_have_value("ops@brand.example")
    shoot(page, "login-error")

    log_in(page, "ops@brand.example", f"/ad-accounts/{account['id']}")
    code = crypto.new_code()
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    page.get_by_label("Authorization codes").fill(typo)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview-bad .problem")).to_contain_text("looks mistyped")
    page.get_by_role("button", name="Link codes").click()
    expect(page.locator(".bind-summary")).to_contain_text("0 linked, 1 not linked")
    expect(page.locator(".result-bad")).to_contain_text("mistyped")
    page.get_by_label("Authorization codes").fill("\n".join([code] * 21))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#codes-error")).to_have_text(
        "At most 20 codes at once; you pasted 21. Link the rest next.")
    expect(page.get_by_label("Authorization codes")).to_have_attribute("aria-invalid", "true")
    shoot(page, "spark-errors")
    page.goto(f"/ad-accounts/{account['id']}/campaigns")
    shoot(page, "campaigns-empty")
    page.goto("/notifications")
    expect(page.get_by_text("No alerts")).to_be_visible()
    page.goto("/creators")
    shoot(page, "creators-empty")
