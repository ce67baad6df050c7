"""CPU of one request through the whole ASGI app, in-process: no sockets, no load generator.

    python bench/request_cost.py [--db sqlite|postgres] [--requests 2000] [--path /v1/me ...]
                                 [--profile FILE]

Creates a fresh database, signs up one user, then sends ``--requests`` GET requests one after the
other straight into the app (middlewares, routing, dependencies, thread-pool hand-offs, the
database, the response) and prints the CPU time of this process (every thread) per request. One
request at a time, so the figure moves far less with the machine's load than a server's under a
load generator does; use it to compare two versions, not as a throughput.

It measures whichever ``sparkcodes`` is importable (set PYTHONPATH to measure another copy, e.g.
a ``git archive`` of an older commit, as bench/service_time.py does). ``--profile`` writes a
cProfile of the event-loop thread (wall time) for the last path.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bind_bench import DEFAULT_PG, create_postgres, create_sqlite, migrate, source_env  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--pg-url", default=DEFAULT_PG)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--path", action="append", help="GET path (default /health and /v1/me)")
    p.add_argument("--profile", type=Path)
    args = p.parse_args()
    paths = args.path or ["/health", "/v1/me"]

    from fastapi.testclient import TestClient

    from sparkcodes.app import create_app
    from sparkcodes.config import Settings

    tmp = Path(tempfile.mkdtemp(prefix="sparkcodes-request-cost-"))
    db = create_sqlite(tmp) if args.db == "sqlite" else create_postgres(args.pg_url)
    try:
        env, _ = source_env(None, tmp)
        migrate(db.url, env)
        settings = Settings(database_url=db.url, secret_key=secrets.token_urlsafe(32), env="test",
                            sandbox=False, embedded_worker=False)
        app = create_app(settings)
        password = "correct horse battery"
        with TestClient(app) as client:
            client.post("/v1/users", json={"email": "cost@example.com", "password": password})
            token = client.post("/v1/tokens", json={"email": "cost@example.com",
                                                    "password": password}).json()["token"]
        headers = [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())]
        source = os.environ.get("PYTHONPATH") or "the installed sparkcodes"
        print(f"{source}, {args.db}, load {os.getloadavg()[0]:.2f}")
        asyncio.run(_measure(app, paths, headers, args))
        app.state.db.dispose()
    finally:
        db.cleanup()
    return 0


async def _get(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 80), "state": {}}
    received = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the response is sent
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _measure(app: Any, paths: list[str], headers: list[tuple[bytes, bytes]],
                   args: argparse.Namespace) -> None:
    for path in paths:
        for _ in range(min(300, args.requests)):  # warm up: imports, caches, the pool
            status = await _get(app, path, headers)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")
        profiler = cProfile.Profile() if args.profile and path == paths[-1] else None
        if profiler is not None:
            profiler.enable()
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            await _get(app, path, headers)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        print(f"  GET {path:12s} {1000 * cpu / args.requests:7.3f} ms CPU/request "
              f"({1000 * wall / args.requests:.3f} ms wall)", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
