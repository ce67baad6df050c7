"""Pages: a brand may ask to extend a code wherever its end is shown, at any time (R24 sets no
window): folded while the code has long left, unfolded once it ends soon or ended."""

from __future__ import annotations

import re

from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login
from tests.integration.test_pages_access import page_text as _text


def _card(html: str, element_id: str) -> str:
    match = re.search(rf'<article class="spark-card" id="{element_id}".*?</article>', html, re.S)
    assert match, f"no {element_id}"
    return match.group(0)


def test_ask_to_extend_is_offered_weeks_ahead_on_the_spark_post_and_the_ad(client):  # type: ignore[no-untyped-def]
    creator_h = f.user(client, email="creator@example.com")
    creator = f.creator(client, creator_h, handle="maya.makes")
    post = f.post(client, creator_h, creator["id"], caption="Morning routine")
    code = f.code(client, creator_h, post["id"], days=60)
    brand_h = f.user(client, email="brand@example.com")
    business = f.business(client, brand_h, "Glow Skincare")
    account = f.ad_account(client, brand_h, business["id"], "Glow US")
    sp = f.spark_post_id(client, brand_h, account["id"], code["code"])
    group = f.ad_group(client, brand_h, f.campaign(client, brand_h, account["id"])["id"])
    ad = f.ad(client, brand_h, group["id"], sp)
    token = page_login(client, "brand@example.com")

    card = _card(client.get(f"/ad-accounts/{account['id']}", headers=HTML).text, f"spark-{sp}")
    assert "60 days left" in _text(card)
    assert "<summary>Ask to extend</summary>" in card and f'id="ask-{code["id"]}"' in card
    page = client.get(f"/ads/{ad['id']}", headers=HTML).text
    banner = re.search(r'<article class="delivery-banner.*?</article>', page, re.S).group(0)
    assert "<summary>Ask to extend</summary>" in banner

    # Asked 58 days ahead: the request shows in place of the form, on both.
    r = client.post(f"/ad-accounts/{account['id']}/renewal-requests",
                    headers={**HTML, "hx-request": "true"},
                    data={"csrf_token": token, "authorization_id": code["id"], "days": "30"})
    assert r.status_code == 201
    assert "Extension requested" in _text(r.text) and "by 30 days" in _text(r.text)
    card = _card(client.get(f"/ad-accounts/{account['id']}", headers=HTML).text, f"spark-{sp}")
    assert "Extension requested" in _text(card) and "<summary>" not in card

    # Two days before the end the form is unfolded (the ask is pending here, so withdraw it).
    requests = client.get(f"/v1/ad-accounts/{account['id']}/renewal-requests",
                          headers=brand_h).json()
    items = requests["items"] if isinstance(requests, dict) else requests
    r = client.post(f"/renewal-requests/{items[0]['id']}/cancel", headers=HTML,
                    data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    f.advance(client, brand_h, "58d")
    card = _card(client.get(f"/ad-accounts/{account['id']}", headers=HTML).text, f"spark-{sp}")
    assert "<summary>" not in card and "Ask the creator to extend" in card
