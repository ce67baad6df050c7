"""The server freezes what startup built while it runs (the collector's full passes then skip
it, instead of pausing one request in a few dozen for 200 ms), and unfreezes it when it stops;
the tests' apps do not (their garbage, frozen by each test's client, would never be freed)."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from sparkcodes.app import create_app


def test_the_startup_heap_is_frozen_while_the_app_runs_and_freed_after(backend) -> None:  # type: ignore[no-untyped-def]
    gc.unfreeze()
    app = create_app(backend.settings(freeze_heap=True))
    try:
        with TestClient(app) as client:
            assert gc.get_freeze_count() > 10_000
            assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_the_tests_apps_do_not_freeze(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/health").status_code == 200
    assert gc.get_freeze_count() == 0
