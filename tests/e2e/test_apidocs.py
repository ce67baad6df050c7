"""/docs (and /redoc, which leads there) in Chromium with every request outside the app refused,
as on a machine without internet (issue 13, item 4: Swagger UI came from a CDN, so /docs was
blank offline)."""

from __future__ import annotations

from tests.e2e.browsing import expect, new_page


def _offline(page, site: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Refuse every request that does not go to the app; return the list of those refused."""
    outside: list[str] = []

    def route(r):  # type: ignore[no-untyped-def]
        if r.request.url.startswith(site):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return outside


def test_swagger_ui_renders_the_api_offline(browser, site):  # type: ignore[no-untyped-def]
    page = new_page(browser, site)
    outside = _offline(page, site)
    page.goto("/docs")
    # Swagger UI renders from its bundle after load: slow on a loaded machine.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("sparkcodes", timeout=60_000)
    bind = page.locator(".opblock-summary-path",
                        has_text="/v1/ad-accounts/{ad_account_id}/spark-posts").first
    expect(bind).to_be_visible()
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
    assert outside == []


def test_redoc_leads_to_the_same_offline_docs(browser, site):  # type: ignore[no-untyped-def]
    page = new_page(browser, site)
    outside = _offline(page, site)
    page.goto("/redoc")
    expect(page).to_have_url(f"{site}/docs")
    page.locator(".opblock-summary-path",
                 has_text="/v1/ad-accounts/{ad_account_id}/spark-posts/preview").first.click()
    expect(page.get_by_text("Look at what a code would attach").first).to_be_visible()
    assert outside == []
