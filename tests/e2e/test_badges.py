"""Issue 13 (smaller points): a badge says a state once. The sentence beside it tells why or
what next, and never starts by repeating the badge ("Not delivering Not delivering: …")."""

from __future__ import annotations

from sqlalchemy import select

from sparkcodes import demo
from sparkcodes.models import Ad, AdGroup, Campaign
from tests.e2e.browsing import logged_in_page, shoot

_BADGES = """main => [...main.querySelectorAll('.badge')].map(b => {
  let after = '';
  for (let n = b.nextSibling; n && after.length < 120; n = n.nextSibling) after += n.textContent;
  return [b.textContent.replace(/\\s+/g, ' ').trim(), after.replace(/\\s+/g, ' ').trim()];
})"""


def _norm(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalpha() or c == " ").strip()


def test_no_badge_is_followed_by_its_own_words(browser, world, app):  # type: ignore[no-untyped-def]
    w = world
    with app.state.db.unit_of_work() as s:
        campaigns = s.scalars(select(Campaign.id).where(Campaign.ad_account_id == w["account"]))
        groups = s.scalars(select(AdGroup.id).where(AdGroup.ad_account_id == w["account"]))
        ads = s.scalars(select(Ad.id).where(Ad.ad_account_id == w["account"]))
        paths = ([f"/ad-accounts/{w['account']}", f"/ad-accounts/{w['account']}/campaigns",
                  f"/businesses/{w['business']}/webhooks", f"/businesses/{w['business']}/tiktok"]
                 + [f"/campaigns/{i}" for i in campaigns] + [f"/ad-groups/{i}" for i in groups]
                 + [f"/ads/{i}" for i in ads])
    page = logged_in_page(browser, w["site"], demo.BRAND_EMAIL)
    repeated, labels = [], set()
    for path in paths:
        page.goto(path)
        for label, after in page.locator("main").evaluate(_BADGES):
            labels.add(label)
            if label and _norm(after).startswith(_norm(label)):
                repeated.append(f"{path}: [{label}] {after[:70]}")
    assert not repeated, "badges repeated by their sentence:\n" + "\n".join(sorted(set(repeated)))
    assert {"Delivering", "Not delivering", "Disabled"} <= labels, labels
    page.goto(f"/ad-groups/{w['group']}")
    shoot(page, "ad-group-badges")
