"""A calendar feed's URL is its secret: the access log of a real server (uvicorn) shows the
feed's path with the token replaced, and secret query parameters (TikTok's ``secret``,
``auth_code``, ``access_token``) likewise."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from sparkcodes.kit.logs import redact_target
from tests import factories as f


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def logged_server(app) -> Iterator[tuple[str, Lines]]:  # type: ignore[no-untyped-def]
    """uvicorn with its access log on, over the test app; the log lines as uvicorn writes them."""
    handler = Lines()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    port = f.free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                          access_log=True, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", handler
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        access.removeHandler(handler)
        access.setLevel(level)


def test_the_feed_token_is_not_in_the_access_log(client, logged_server) -> None:  # type: ignore[no-untyped-def]
    base, log = logged_server
    h = f.user(client)
    biz = f.business(client, h, "Glow Labs")
    feed = f._ok(client.post(f"/v1/businesses/{biz['id']}/calendar-feeds", headers=h,
                             json={}), 201)
    path = urlsplit(feed["url"]).path
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 20
    with httpx.Client(base_url=base) as http:
        assert http.get(path).status_code == 200
        assert http.get(path + "?token=" + token).status_code == 200
        assert http.get("/v1/calendar/not-a-real-feed.ics").status_code == 404
        http.get("/open_api/v1.3/oauth2/access_token/",
                 params={"app_id": "7001", "secret": "s3cr3t-value", "auth_code": "ac-value"})
    deadline = time.time() + 5
    while len(log.lines) < 4 and time.time() < deadline:
        time.sleep(0.02)
    text = "\n".join(log.lines)
    assert len(log.lines) >= 4, text
    assert token not in text and "s3cr3t-value" not in text and "ac-value" not in text, text
    assert 'GET /v1/calendar/[redacted] HTTP/1.1" 200' in text, text
    assert "GET /v1/calendar/[redacted]?token=[redacted] HTTP/1.1" in text, text
    assert "app_id=7001&secret=[redacted]&auth_code=[redacted]" in text, text


@pytest.mark.parametrize(("target", "shown"), [
    ("/v1/calendar/abc.ics", "/v1/calendar/[redacted]"),
    ("/v1/calendar/abc.ics?x=1", "/v1/calendar/[redacted]?x=1"),
    ("/v1/businesses/b1/calendar-feeds", "/v1/businesses/b1/calendar-feeds"),
    ("/businesses/b1/calendar?month=2026-12", "/businesses/b1/calendar?month=2026-12"),
    ("/tiktok/callback?state=st&auth_code=ac&code=c&x=ok",
     "/tiktok/callback?state=[redacted]&auth_code=[redacted]&code=[redacted]&x=ok"),
    ("/x?Access%5Ftoken=t&SECRET=s&flag", "/x?Access%5Ftoken=[redacted]&SECRET=[redacted]&flag"),
])
def test_redact_target(target: str, shown: str) -> None:
    assert redact_target(target) == shown
