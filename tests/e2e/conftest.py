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
