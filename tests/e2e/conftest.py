"""Browser fixtures: one Chromium per module, the live server (SQLite only), and a check that
no test leaves an error in the browser console."""

from __future__ import annotations

import pytest

# The stand-in TikTok (a second sparkcodes server) for browser tests of the connector.
from tests.connector.test_connector import _standin, standin, standin_settings  # noqa: F401
from tests.e2e.browsing import _PROBLEMS, CHROMIUM_ARGS, chromium_path, sync_api


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    exe = chromium_path()
    if exe is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); the browser "
                    "tests use the system browser and never download one")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def site(request, backend) -> str:  # type: ignore[no-untyped-def]
    if backend.name != "sqlite":
        pytest.skip("browser tests run on SQLite only: the pages call the same services whose "
                    "behaviour the JSON suite already checks on PostgreSQL")
    return request.getfixturevalue("live_url")


@pytest.fixture(autouse=True)
def _clean_console():  # type: ignore[no-untyped-def]
    _PROBLEMS.clear()
    yield
    assert not _PROBLEMS, f"browser console errors: {_PROBLEMS}"


@pytest.fixture
def world(app, site, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The demo `make run` serves, loaded into the live server's database, and the ids the
    pages need."""
    from sqlalchemy import select

    from sparkcodes import demo
    from sparkcodes.models import AdAccount, AdGroup, Business, Campaign

    monkeypatch.chdir(tmp_path)  # the demo saves its codes under ./var
    result, outcome = demo.install(app.state.db, app.state.settings)
    assert result.created and outcome is not None
    with app.state.db.unit_of_work() as s:
        business = s.scalars(select(Business).where(Business.name == "Glow Skincare")).one()
        us = s.scalars(select(AdAccount).where(AdAccount.name == "Glow US")).one()
        campaign = s.scalars(select(Campaign).where(Campaign.ad_account_id == us.id)
                             .order_by(Campaign.created_at)).first()
        group = s.scalars(select(AdGroup).where(AdGroup.campaign_id == campaign.id)).first()
        return {"site": site, "business": business.id, "business_name": business.name,
                "account": us.id, "campaign": campaign.id, "group": group.id,
                "group_name": group.name}
