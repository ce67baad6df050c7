"""The server freezes what startup built while it runs (the collector's full passes then skip
it, instead of pausing one request in a few dozen for 200 ms), and unfreezes it when it stops,
so a process that starts and stops apps, as the tests do, frees them."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient


def test_the_startup_heap_is_frozen_while_the_app_runs_and_freed_after(app) -> None:  # type: ignore[no-untyped-def]
    gc.unfreeze()
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 10_000
        assert client.get("/health").status_code == 200
    assert gc.get_freeze_count() == 0
