"""Issue 13 (smaller points): the read-only analyst walks every brand page of the demo and finds
nothing to click that would be refused. What their role cannot do is either absent or a
disabled button whose reason shows on hover (title) and is read out (aria-describedby)."""

from __future__ import annotations

from sqlalchemy import select

from sparkcodes import demo
from sparkcodes.models import Ad
from tests.e2e.browsing import expect, logged_in_page, shoot

# The one change an analyst may make on a brand page: their own calendar subscribe link.
ALLOWED_POSTS = ("/calendar-feeds",)

_FORMS_AND_DENIALS = """main => {
  const posts = [...main.querySelectorAll('form')]
    .filter(f => (f.getAttribute('method') || 'get').toLowerCase() === 'post'
                 || f.hasAttribute('hx-post'))
    .map(f => f.getAttribute('action') || f.getAttribute('hx-post'));
  const denied = [...main.querySelectorAll('button[disabled]')].map(b => {
    const ids = (b.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
    const said = ids.map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
    return {label: b.textContent.trim(), title: b.getAttribute('title') || '', said: said.trim()};
  });
  return {posts, denied};
}"""


def _pages(app, w: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    with app.state.db.unit_of_work() as s:
        ad = s.scalars(select(Ad).where(Ad.ad_group_id == w["group"])
                       .order_by(Ad.created_at)).first()
        b, a = f"/businesses/{w['business']}", f"/ad-accounts/{w['account']}"
        return [f"{b}/overview", b, f"{b}/tracker", f"{b}/roster", f"{b}/fallback",
                f"{b}/calendar", f"{b}/webhooks", f"{b}/tiktok", f"{b}/members", a,
                f"{a}/campaigns", f"{a}/requests", f"{a}/reports", f"/campaigns/{w['campaign']}",
                f"/ad-groups/{w['group']}", f"/ads/{ad.id}"]


def test_the_analyst_finds_no_button_that_would_be_refused(browser, world, app):  # type: ignore[no-untyped-def]
    page = logged_in_page(browser, world["site"], demo.ANALYST_EMAIL)
    seen: set[str] = set()
    for path in _pages(app, world):
        page.goto(path)
        found = page.locator("main").evaluate(_FORMS_AND_DENIALS)
        refused = [a for a in found["posts"] if not a.endswith(ALLOWED_POSTS)]
        assert not refused, f"{path}: the analyst is offered forms they may not send: {refused}"
        for d in found["denied"]:
            assert d["title"].startswith("Your role can read only"), (path, d)
            assert d["said"] == d["title"], (path, d)
            seen.add(d["label"])
    # The ones the issue names, and the others of their kind, were met disabled on the way.
    for label in ("Link codes", "Unbind", "Ask to extend", "Create campaign", "Create ad group",
                  "Create Spark Ad", "Pause campaign", "Delete campaign", "Pause ad group",
                  "Pause ad", "Delete ad", "Withdraw request"):
        assert label in seen, f"{label!r} was not shown disabled with its reason: {sorted(seen)}"


def test_the_analyst_reads_why_on_the_ad_page(browser, world, app):  # type: ignore[no-untyped-def]
    page = logged_in_page(browser, world["site"], demo.ANALYST_EMAIL)
    ad_page = _pages(app, world)[-1]
    page.goto(ad_page)
    pause = page.get_by_role("button", name="Pause ad")
    expect(pause).to_be_disabled()
    expect(pause).to_have_attribute(
        "title", "Your role can read only; operators and admins pause and delete ads.")
    expect(pause).to_have_accessible_description(
        "Your role can read only; operators and admins pause and delete ads.")
    shoot(page, "analyst-ad")
