"""Request bodies are bounded (settings.body_limits, per route class) and refused with 413 while
they stream in, before routing, authentication or the NUL scan read them; the NUL scan never
stalls the event loop. The last tests drive a real server process (uvicorn) with a 1 GiB body
and read its memory from /proc."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from sparkcodes.app import body_class
from sparkcodes.config import BodyLimits
from sparkcodes.kit.guards import has_json_nul
from tests import factories as f

KIB, MIB, GIB = 1024, 1024 * 1024, 1024 * 1024 * 1024
LIMITS = BodyLimits()


def _message(limit: str) -> str:
    return f"The request body is larger than the {limit} this route accepts; send less at once."


# --- which limit applies -----------------------------------------------------------------------

@pytest.mark.parametrize(("path", "kind"), [
    ("/v1/businesses", "api"),
    ("/health", "api"),
    ("/v1/ad-accounts/a1/spark-posts", "bulk"),
    ("/v1/ad-accounts/a1/spark-posts/preview", "api"),
    ("/v1/engagement/events", "engagement"),
    ("/open_api/v1.3/campaign/create/", "tiktok"),
    ("/businesses", "pages"),
    ("/login", "pages"),
])
def test_each_route_class_has_its_limit(path: str, kind: str) -> None:
    assert body_class(path) == kind


def test_the_defaults_order_the_classes() -> None:
    assert LIMITS.api == LIMITS.pages == 256 * KIB
    assert LIMITS.api < LIMITS.bulk == LIMITS.tiktok == MIB < LIMITS.engagement == 4 * MIB


# --- the JSON escape \u0000, found in linear time ----------------------------------------------

_REFERENCE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # the scan it replaced, for comparison


@pytest.mark.parametrize("body", [
    b'{"a": "\\u0000"}', b'{"a": "\\\\u0000"}', b'{"a": "\\\\\\u0000"}', b"\\u0000",
    b"\\\\\\\\u0000", b"x\\u0000\\\\u0000", b"\\\\u0000\\u0000", b"u0000", b"\\u000", b"",
    b"\\" * 1001 + b"u0000", b"\\" * 1000 + b"u0000",
])
def test_the_json_nul_scan_agrees_with_the_escape_rules(body: bytes) -> None:
    assert has_json_nul(body) == (_REFERENCE.search(body) is not None)


def test_the_json_nul_scan_is_linear_on_its_worst_input() -> None:
    body = b"\\" * (4 * MIB) + b"u0000"
    started = time.perf_counter()
    assert not has_json_nul(body)
    assert time.perf_counter() - started < 0.5


# --- refusals, in each surface's shape ---------------------------------------------------------

def test_a_v1_body_over_the_limit_is_refused_before_auth(client: TestClient) -> None:
    r = client.post("/v1/businesses", content=b"x" * (LIMITS.api + 1),
                    headers={"content-type": "application/json"})  # no token: 413 comes first
    assert r.status_code == 413, r.text
    assert r.json() == {"error": {"code": "body_too_large", "message": _message("256 KiB"),
                                  "details": {"limit_bytes": LIMITS.api}}}
    assert r.headers["connection"] == "close"


def test_a_chunked_body_is_counted_as_it_streams(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 10_000

    r = client.post("/v1/businesses", content=chunks(),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large", r.text


def test_a_body_at_the_limit_goes_through(client: TestClient) -> None:
    h = f.user(client)
    body = json.dumps({"name": "Glow Labs"}).encode()
    padded = body[:-1] + b" " * (LIMITS.api - len(body)) + b"}"
    assert len(padded) == LIMITS.api
    r = client.post("/v1/businesses", content=padded,
                    headers=h | {"content-type": "application/json"})
    assert r.status_code == 201, r.text


def test_bulk_and_engagement_routes_take_more(client: TestClient) -> None:
    h = f.user(client)
    big = b"[" + b" " * (LIMITS.bulk - 2) + b"]"
    r = client.post("/v1/ad-accounts/nope/spark-posts", content=big,
                    headers=h | {"content-type": "application/json"})
    assert r.status_code != 413, r.text
    r = client.post("/v1/ad-accounts/nope/spark-posts", content=big + b" ",
                    headers=h | {"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["message"] == _message("1 MiB")
    events = b'{"events": [' + b" " * (3 * MIB) + b"]}"
    r = client.post("/v1/engagement/events", content=events,
                    headers=h | {"content-type": "application/json"})
    assert r.status_code != 413, r.text
    r = client.post("/v1/engagement/events", content=b" " * (LIMITS.engagement + 1),
                    headers=h | {"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["message"] == _message("4 MiB")


def test_the_tiktok_surface_answers_in_its_envelope(client: TestClient) -> None:
    r = client.post("/open_api/v1.3/campaign/create/", content=b"x" * (LIMITS.tiktok + 1),
                    headers={"content-type": "application/json", "x-request-id": "rid-413"})
    assert r.status_code == 413, r.text
    assert r.json() == {"code": 40002, "message": _message("1 MiB"), "request_id": "rid-413",
                        "data": {}}


def test_a_form_gets_a_readable_page(client: TestClient) -> None:
    r = client.post("/businesses", content=b"name=" + b"x" * LIMITS.pages,
                    headers={"accept": "text/html",
                             "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert "Too much at once" in r.text and _message("256 KiB") in r.text


# --- a real server: 1 GiB streamed, memory read from /proc --------------------------------------

def _memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (the peak resident) of a process, in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return {k: int(re.search(rf"^{k}:\s+(\d+) kB", status, re.M).group(1))  # type: ignore[union-attr]
            for k in ("VmRSS", "VmHWM")}


@pytest.fixture
def server(app, tmp_path: Path) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """`uvicorn sparkcodes.app:create_app` in its own process, on the test database; the
    engagement route's limit is raised to 48 MiB for the scan test."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the server's memory")
    port = f.free_port()
    settings = app.state.settings
    env = os.environ | {
        "SPARKCODES_DATABASE_URL": settings.database_url, "SPARKCODES_SECRET_KEY":
        settings.secret_key, "SPARKCODES_ENV": "test", "SPARKCODES_EMBEDDED_WORKER": "false",
        "SPARKCODES_BODY_LIMITS__ENGAGEMENT": str(48 * MIB)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "sparkcodes.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    # A busy 2-core machine can take well over 30 s to start a server; and a server that does
    # not start in time is stopped like one that did, never left running.
    deadline = time.time() + 180
    try:
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.time() < deadline, "server did not start"
            time.sleep(0.1)
        yield {"base": base, "port": port, "pid": proc.pid}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Upload(threading.Thread):
    """Streams ``total`` bytes over a raw socket in 1 MiB pieces while reading the answer."""

    def __init__(self, port: int, head: bytes, *, total: int, chunked: bool) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.settimeout(60)
        self.head, self.total, self.chunked = head, total, chunked
        self.sent = 0
        self.answer = b""
        self.error: str | None = None
        self.reader = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        try:
            while data := self.sock.recv(65536):
                self.answer += data
        except OSError:
            pass

    def run(self) -> None:
        self.reader.start()
        piece = b"x" * MIB
        frame = (b"%x\r\n" % len(piece)) + piece + b"\r\n" if self.chunked else piece
        try:
            self.sock.sendall(self.head)
            while self.sent < self.total:
                self.sock.sendall(frame)
                self.sent += len(piece)
            if self.chunked:
                self.sock.sendall(b"0\r\n\r\n")
        except OSError as exc:  # the server answered and closed: the rest is never read
            self.error = type(exc).__name__
        self.reader.join(timeout=30)
        self.sock.close()


def _watch(base: str, until: threading.Thread, pid: int) -> tuple[list[float], int]:
    """GET /health every 50 ms until ``until`` ends: the latencies, and the peak of the
    server's resident memory seen meanwhile (KiB)."""
    latencies: list[float] = []
    peak = 0
    with httpx.Client(base_url=base, timeout=10) as http:
        while until.is_alive() or not latencies:
            started = time.perf_counter()
            assert http.get("/health").status_code == 200
            latencies.append(time.perf_counter() - started)
            peak = max(peak, _memory_kib(pid)["VmRSS"])
            time.sleep(0.05)
    return latencies, peak


def _status_and_json(answer: bytes) -> tuple[int, Any]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        size, _, rest = body.partition(b"\r\n")
        body = rest[:int(size, 16)]
    return status, json.loads(body)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_1_gib_body_leaves_the_server_small_and_answering(server, chunked: bool) -> None:  # type: ignore[no-untyped-def]
    before = _memory_kib(server["pid"])
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % GIB
    head = (b"POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + framing + b"\r\n\r\n")
    upload = Upload(server["port"], head, total=GIB, chunked=chunked)
    upload.start()
    latencies, peak = _watch(server["base"], upload, server["pid"])
    upload.join(timeout=120)
    assert not upload.is_alive(), "the upload never ended"
    status, body = _status_and_json(upload.answer)
    assert status == 413, upload.answer[:300]
    assert body == {"error": {"code": "body_too_large", "message": _message("256 KiB"),
                              "details": {"limit_bytes": LIMITS.api}}}
    assert upload.sent < 64 * MIB, f"the server read {upload.sent} bytes before refusing"
    after = _memory_kib(server["pid"])
    # Resident memory sampled during the upload, against before it; and the process's peak
    # (VmHWM, whose start-up value is already above the idle RSS) must not have risen past it.
    assert (peak - before["VmRSS"]) / 1024 < 32, (before, after, peak)
    assert (after["VmHWM"] - before["VmHWM"]) / 1024 < 32, (before, after, peak)
    assert max(latencies) < 1.0, latencies


def test_the_nul_scan_of_a_big_body_does_not_stall_other_requests(server) -> None:  # type: ignore[no-untyped-def]
    """A 40 MiB body (under the raised engagement limit) made of the NUL scan's worst case,
    escaped backslashes before "u0000" again and again, with one real \\u0000 at its very end:
    other requests keep answering while it is scanned, and it is refused (422) with nothing
    parsed. (Parsing a body that big as JSON, once it passed the scan, is FastAPI's work in the
    event loop; the default limit keeps that small.)"""
    body = b'{"events": "' + b"\\\\u0000" * (40 * MIB // 7) + b'\\u0000"}'
    head = (b"POST /v1/engagement/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))

    class Send(threading.Thread):
        def __init__(self) -> None:
            super().__init__(daemon=True)
            self.answer = b""

        def run(self) -> None:
            with socket.create_connection(("127.0.0.1", server["port"])) as sock:
                sock.settimeout(120)
                sock.sendall(head + body)
                while data := sock.recv(65536):
                    self.answer += data
                    if b"}}" in self.answer:
                        break

    sender = Send()
    sender.start()
    latencies, _ = _watch(server["base"], sender, server["pid"])
    sender.join(timeout=120)
    assert sender.answer.split(b" ", 2)[1] == b"422", sender.answer[:200]
    assert b'"invalid_characters"' in sender.answer
    # Scanned in the event loop, this body would hold every request for the whole scan (about
    # 5 s here); a busy 2-core machine alone delays an answer by up to half a second.
    assert max(latencies) < 1.0, sorted(latencies)[-5:]
