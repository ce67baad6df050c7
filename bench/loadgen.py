"""Closed-loop HTTP load generator for bench/bind_bench.py, run as its own process.

    python bench/loadgen.py SPEC.json RESULT.json

SPEC.json (written by bind_bench.py):

    {"port": 8123, "concurrency": 32, "max_seconds": 60, "warmup": 200,
     "check": "bound",            # optional: a byte string every good response body contains
     "requests": [["POST", "/v1/...", {"authorization": "Bearer ..."}, "{json body}"], ...]}

The first ``warmup`` requests are sent but not measured; the rest are measured. Each of the
``concurrency`` clients holds one keep-alive connection and sends its next request as soon as the
previous answer is read (closed loop). Requests are taken from the list in order, each exactly
once, so a list of distinct bind bodies means every request is a distinct write. The run stops
when the list is used up or ``max_seconds`` have passed, whichever comes first.

The client is deliberately tiny (asyncio streams + the httptools parser uvicorn itself uses, on
uvloop when available): on a 2-core machine every microsecond the load generator spends is taken
from the server, and a general-purpose client (httpx) costs several times more per request.
It only ever connects to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

import httptools

HOST = "127.0.0.1"


class _Response:
    __slots__ = ("status", "body", "done", "keep_alive")

    def __init__(self) -> None:
        self.status = 0
        self.body = bytearray()
        self.done = False
        self.keep_alive = True

    # httptools callbacks
    def on_body(self, data: bytes) -> None:
        self.body += data

    def on_message_complete(self) -> None:
        self.done = True


class Connection:
    """One HTTP/1.1 keep-alive connection to 127.0.0.1:port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                await self._open()
            try:
                return await self._roundtrip(raw)
            except (ConnectionError, asyncio.IncompleteReadError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _roundtrip(self, raw: bytes) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        response = _Response()
        parser = httptools.HttpResponseParser(response)
        while not response.done:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionResetError("server closed the connection")
            parser.feed_data(data)
        response.status = parser.get_status_code()
        if not parser.should_keep_alive():
            self.close()
        return response.status, bytes(response.body)


def encode(port: int, method: str, path: str, headers: dict[str, str], body: str | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    payload = body.encode() if body is not None else b""
    for name, value in headers.items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


async def run(spec: dict) -> dict:
    port = spec["port"]
    concurrency = spec["concurrency"]
    warmup = spec.get("warmup", 0)
    check = spec.get("check")
    check_bytes = check.encode() if check else None
    raws = [encode(port, m, p, h, b) for m, p, h, b in spec["requests"]]
    total = len(raws)
    next_index = 0
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    refused = 0
    transport_errors = 0
    sample_failures: list[str] = []
    measure_started = 0.0
    measure_ended = 0.0
    cpu_at_start = 0.0
    deadline = time.monotonic() + spec["max_seconds"]

    def cpu_seconds() -> float:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return ru.ru_utime + ru.ru_stime

    async def client() -> None:
        nonlocal next_index, refused, transport_errors, measure_started, measure_ended
        nonlocal cpu_at_start
        conn = Connection(port)
        try:
            while True:
                i = next_index
                if i >= total or time.monotonic() >= deadline:
                    return
                next_index += 1
                if i == warmup:
                    measure_started = time.perf_counter()
                    cpu_at_start = cpu_seconds()
                started = time.perf_counter()
                try:
                    status, body = await conn.request(raws[i])
                except (OSError, asyncio.IncompleteReadError) as exc:
                    conn.close()
                    if i >= warmup:
                        transport_errors += 1
                        if len(sample_failures) < 5:
                            sample_failures.append(f"transport: {exc!r}")
                    continue
                ended = time.perf_counter()
                if i < warmup:
                    continue
                latencies.append(ended - started)
                measure_ended = max(measure_ended, ended)
                statuses[status] = statuses.get(status, 0) + 1
                ok = 200 <= status < 300
                if ok and check_bytes is not None and check_bytes not in body:
                    refused += 1
                    ok = False
                if not ok and len(sample_failures) < 5:
                    sample_failures.append(f"{status}: {body[:300].decode(errors='replace')}")
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    cpu_used = cpu_seconds() - cpu_at_start if measure_started else 0.0
    elapsed = measure_ended - measure_started if measure_started else 0.0
    latencies.sort()
    completed = len(latencies)
    non_2xx = sum(n for s, n in statuses.items() if not 200 <= s < 300)
    return {
        "requests": completed,
        "errors": non_2xx + transport_errors,
        "non_2xx": non_2xx,
        "transport_errors": transport_errors,
        "refused_2xx": refused,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": elapsed,
        "rps": completed / elapsed if elapsed > 0 else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p90_ms": percentile(latencies, 90) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
        "mean_ms": sum(latencies) / completed * 1000 if completed else float("nan"),
        "loadgen_cpu_seconds": cpu_used,
        "stopped_by_time": next_index < total,
        "sample_failures": sample_failures,
    }


def main() -> None:
    spec_path, out_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(spec))
    else:
        result = uvloop.run(run(spec))
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
