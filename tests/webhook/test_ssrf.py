"""Webhooks reach the public internet only (no SSRF): URLs naming loopback, private, link-local
addresses or localhost are refused when saved, and a delivery whose host resolves to such an
address is refused unsent, then retried and in the end failed like any other failed delivery.

These tests run with settings.webhooks.allow_private_addresses off (the suite turns it on for
its local receivers); the resolver is faked, never the connection.
"""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import httpx
import pytest

from sparkcodes.models import Job
from sparkcodes.webhook import service as webhook_service
from sparkcodes.webhook.service import Attempt
from tests import factories as f
from tests.webhook.test_webhooks import Receiver, _advance, _emit, _log, _runner

PUBLIC_ONLY = "Webhook URLs must reach the public internet; "

BLOCKED_URLS = [
    ("http://127.0.0.1:6379/", "127.0.0.1 is a loopback address."),
    ("http://[::1]/hooks", "::1 is a loopback address."),
    ("http://10.0.0.5/hooks", "10.0.0.5 is a private address."),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address."),
    ("http://localhost/hooks", "localhost is this server itself."),
    ("https://admin.localhost:8443/", "admin.localhost is this server itself."),
    ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address."),
    ("http://100.64.0.1/", "100.64.0.1 is a shared (carrier-grade NAT) address."),
]


@pytest.fixture
def public_only(app, monkeypatch):  # type: ignore[no-untyped-def]
    """The production default: private addresses refused (the suite's settings allow them)."""
    monkeypatch.setattr(app.state.settings.webhooks, "allow_private_addresses", False)
    return app.state.settings


class Listener:
    """A bare TCP listener on 127.0.0.1 that counts every connection, HTTP or not."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener():  # type: ignore[no-untyped-def]
    one = Listener()
    yield one
    one.close()


@pytest.fixture
def no_connections(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Every request httpx would send is recorded (and then sent as usual)."""
    sent: list[str] = []
    real = httpx.HTTPTransport.handle_request

    def spy(self, request):  # type: ignore[no-untyped-def]
        sent.append(str(request.url))
        return real(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", spy)
    return sent


def _fake_dns(monkeypatch, answers: dict[str, list[str]]) -> list[str]:  # type: ignore[no-untyped-def]
    """Replace the resolver the sender uses; returns the hosts looked up."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[host]

    monkeypatch.setattr(webhook_service, "resolve", resolve)
    return asked


# --- when an endpoint is saved -----------------------------------------------------------------


@pytest.mark.parametrize(("url", "why"), BLOCKED_URLS)
def test_creating_an_endpoint_at_a_non_public_address_is_refused(client, public_only, url, why):
    admin = f.user(client)
    biz = f.business(client, admin)
    r = client.post(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin,
                    json={"url": url})
    assert r.status_code == 422 and f.error_code(r) == "webhook_url_not_public", r.text
    assert r.json()["error"]["message"] == PUBLIC_ONLY + why
    assert client.get(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin).json() == []


@pytest.mark.parametrize(("url", "why"), BLOCKED_URLS)
def test_changing_an_endpoint_to_a_non_public_address_is_refused(client, public_only, url, why):
    admin = f.user(client)
    biz = f.business(client, admin)
    r = client.post(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin,
                    json={"url": "https://hooks.example/sparkcodes"})
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    r = client.patch(f"/v1/webhook-endpoints/{eid}", headers=admin, json={"url": url})
    assert r.status_code == 422 and f.error_code(r) == "webhook_url_not_public", r.text
    assert r.json()["error"]["message"] == PUBLIC_ONLY + why
    shown = client.get(f"/v1/webhook-endpoints/{eid}", headers=admin).json()
    assert shown["url"] == "https://hooks.example/sparkcodes"  # unchanged


def test_names_are_not_resolved_when_saved(client, public_only, monkeypatch):
    asked = _fake_dns(monkeypatch, {})
    admin = f.user(client)
    biz = f.business(client, admin)
    r = client.post(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin,
                    json={"url": "https://internal.hooks.example/x"})
    assert r.status_code == 201, r.text
    assert asked == []  # DNS may change: it is checked at every delivery instead


def test_the_setting_lets_self_hosters_use_their_own_network(client, app):
    assert app.state.settings.webhooks.allow_private_addresses  # as the suite configures it
    admin = f.user(client)
    biz = f.business(client, admin)
    for url, _ in BLOCKED_URLS:
        r = client.post(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin,
                        json={"url": url})
        assert r.status_code == 201, (url, r.text)


# --- when a delivery is sent -------------------------------------------------------------------


def _endpoint_at(client, url: str) -> tuple[dict[str, str], str, str]:  # type: ignore[no-untyped-def]
    admin = f.user(client)
    biz = f.business(client, admin)
    r = client.post(f"/v1/businesses/{biz['id']}/webhook-endpoints", headers=admin,
                    json={"url": url})
    assert r.status_code == 201, r.text
    return admin, biz["id"], r.json()["id"]


@pytest.mark.parametrize(("answer", "text"), [
    (["10.0.0.5"], "refused: hooks.example resolves to 10.0.0.5, a private address"),
    (["93.184.215.14", "127.0.0.1"],  # one bad address is enough
     "refused: hooks.example resolves to 127.0.0.1, a loopback address"),
    (["169.254.169.254"], "refused: hooks.example resolves to 169.254.169.254, a link-local "
                          "address"),
    (["::ffff:10.0.0.5"], "refused: hooks.example resolves to ::ffff:a00:5, a private address"),
])
def test_a_name_resolving_to_a_private_address_is_refused_unsent_then_retried_and_failed(
        client, app, db, public_only, monkeypatch, listener, no_connections, answer, text):
    asked = _fake_dns(monkeypatch, {"hooks.example": answer})
    admin, biz_id, eid = _endpoint_at(client, f"http://hooks.example:{listener.port}/x")
    _emit(db, biz_id, "post.edited", post_id="p1")
    runner = _runner(app, "w")
    runner.tick()

    (entry,) = _log(client, admin, eid)["items"]
    assert entry["status"] == "pending" and entry["attempts"] == 1  # retried like any failure
    assert entry["last_status"] is None and entry["last_error"] == text
    shown = client.get(f"/v1/webhook-endpoints/{eid}", headers=admin).json()
    assert shown["status"] == "failing"
    with db.unit_of_work(write=False) as s:
        (job,) = s.query(Job).filter(Job.name == "webhook.deliver").all()
        assert job.finished_at is None and job.dead_at is None and text in job.last_error

    schedule = public_only.webhooks.retry_schedule_seconds
    for wait in schedule:
        _advance(db, timedelta(seconds=wait + 1))
        runner.tick()
    (entry,) = _log(client, admin, eid)["items"]
    assert entry["status"] == "failed" and entry["attempts"] == len(schedule) + 1
    assert entry["last_error"] == text
    shown = client.get(f"/v1/webhook-endpoints/{eid}", headers=admin).json()
    assert shown["status"] == "disabled"  # three days of refusals: the usual disabling path
    assert asked == ["hooks.example"] * (len(schedule) + 1)  # checked again at every attempt
    assert no_connections == [] and listener.connections == 0  # nothing ever left


def test_an_address_saved_while_allowed_is_refused_at_delivery(client, app, db, monkeypatch,
                                                                 listener, no_connections):
    admin, biz_id, eid = _endpoint_at(client, f"http://127.0.0.1:{listener.port}/x")
    monkeypatch.setattr(app.state.settings.webhooks, "allow_private_addresses", False)
    _emit(db, biz_id, "post.edited", post_id="p1")
    _runner(app, "w").tick()
    (entry,) = _log(client, admin, eid)["items"]
    assert entry["attempts"] == 1
    assert entry["last_error"] == "refused: 127.0.0.1 is a loopback address"
    assert no_connections == [] and listener.connections == 0


def test_an_unresolvable_name_is_a_failed_attempt(client, app, db, public_only, monkeypatch,
                                                  no_connections):
    def resolve(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhook_service, "resolve", resolve)
    admin, biz_id, eid = _endpoint_at(client, "https://nowhere.example/x")
    _emit(db, biz_id, "post.edited", post_id="p1")
    _runner(app, "w").tick()
    (entry,) = _log(client, admin, eid)["items"]
    assert entry["status"] == "pending" and entry["attempts"] == 1
    assert entry["last_error"].startswith("DNS lookup failed for https://nowhere.example/x")
    assert no_connections == []


# --- the checked address is the one connected to (no DNS rebinding) ----------------------------


def _attempt(url: str) -> Attempt:
    return Attempt(delivery_id="d1", endpoint_id="e1", business_id="b1", message_id="msg_1",
                   url=url, secret="whsec_" + "QUJD" * 8, body='{"type":"webhook.test"}')


def test_the_request_goes_to_the_checked_address_with_the_original_host_and_sni(monkeypatch):
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])  # a rebinding DNS server

    def resolve(host: str, port: int) -> list[str]:
        assert (host, port) == ("hooks.example", 8443)
        return next(answers)

    monkeypatch.setattr(webhook_service, "resolve", resolve)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    status, error = webhook_service.post(_attempt("https://hooks.example:8443/in?x=1"),
                                         timeout=5, transport=httpx.MockTransport(handler))
    assert (status, error) == (204, None)
    (request,) = seen
    assert str(request.url) == "https://93.184.215.14:8443/in?x=1"  # the checked address
    assert request.headers["host"] == "hooks.example:8443"
    assert request.extensions["sni_hostname"] == "hooks.example"  # TLS name and certificate
    assert request.headers["webhook-id"] == "msg_1"
    assert next(answers) == ["127.0.0.1"]  # resolved once: the second answer was never asked


def test_a_real_receiver_is_reached_through_the_resolved_address(monkeypatch):
    """End to end on a socket: the name never resolves for real (.example), so the connection
    can only have gone to the address the sender checked."""
    receiver = Receiver()
    receiver.start()
    try:
        monkeypatch.setattr(webhook_service, "resolve", lambda host, port: ["127.0.0.1"])
        attempt = _attempt(f"http://hooks.example:{receiver.port}/in")
        receiver.secrets["/in"] = attempt.secret
        status, error = webhook_service.post(attempt, timeout=5, allow_private_addresses=True)
        assert (status, error) == (200, None)
        (got,) = receiver.received
        assert got["id"] == "msg_1" and receiver.rejected == []
        status, error = webhook_service.post(attempt, timeout=5)  # the default: refused
        assert status is None and error == ("refused: hooks.example resolves to 127.0.0.1, a "
                                            "loopback address")
        assert len(receiver.received) == 1
    finally:
        receiver.stop()


def test_a_refused_connection_moves_on_to_the_next_checked_address(monkeypatch):
    monkeypatch.setattr(webhook_service, "resolve",
                        lambda host, port: ["2606:4700:4700::1111", "93.184.215.14"])
    tried: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        tried.append(request.url.host)
        if len(tried) == 1:
            raise httpx.ConnectError("no route to host", request=request)
        return httpx.Response(200)

    status, error = webhook_service.post(_attempt("https://hooks.example/in"), timeout=5,
                                         transport=httpx.MockTransport(handler))
    assert (status, error) == (200, None)
    assert tried == ["2606:4700:4700::1111", "93.184.215.14"]


def test_redirects_are_not_followed(monkeypatch):
    monkeypatch.setattr(webhook_service, "resolve", lambda host, port: ["93.184.215.14"])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/"})

    status, error = webhook_service.post(_attempt("https://hooks.example/in"), timeout=5,
                                         transport=httpx.MockTransport(handler))
    assert status == 302 and error == "HTTP 302"  # a failed attempt, retried on schedule
    assert seen == ["https://93.184.215.14/in"]


@pytest.fixture
def db(app):  # type: ignore[no-untyped-def]
    return app.state.db


def test_the_page_form_refuses_private_urls_next_to_the_field(app, client, monkeypatch):  # type: ignore[no-untyped-def]
    from tests.integration.test_pages_access import HTML, page_login

    monkeypatch.setattr(app.state.settings.webhooks, "allow_private_addresses", False)
    headers = f.user(client, email="ssrf.page@example.com")
    business = f.business(client, headers, "Page Brand")
    token = page_login(client, "ssrf.page@example.com")
    r = client.post(f"/businesses/{business['id']}/webhook-endpoints", headers=HTML,
                    data={"csrf_token": token, "url": "http://169.254.169.254/latest/"})
    assert r.status_code == 422 and 'id="url-error"' in r.text
    assert "Webhook URLs must reach the public internet; 169.254.169.254 is a link-local" in r.text
    # With the setting on (a self-hoster's LAN receiver), the same form accepts it.
    monkeypatch.setattr(app.state.settings.webhooks, "allow_private_addresses", True)
    r = client.post(f"/businesses/{business['id']}/webhook-endpoints", headers=HTML,
                    data={"csrf_token": token, "url": "http://10.0.0.5/hook"})
    assert r.status_code == 201, r.text[:300]
