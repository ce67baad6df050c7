"""Anatomy of one preview and one bind: every SQL statement they send, and their service time.

    python bench/sql_anatomy.py [--db sqlite|postgres] [--binds 300]

Runs the app in this process (no HTTP server, no concurrency) against a fresh database, seeds a
small world through the JSON API, then:

1. lists the SQL statements of one preview and one bind request (the round trips each costs);
2. times ``--binds`` sequential binds and as many previews in-process: the service time of one
   request with nobody else competing, which bounds what one worker can do (the in-process test
   client adds roughly 1 ms per request of its own; compare with /health).

For where the CPU goes under load, use ``bind_bench.py --profile`` (py-spy on the real server).

It measures whichever ``sparkcodes`` is importable (set PYTHONPATH to measure another copy).
Databases are created on 127.0.0.1 only and dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bind_bench import (  # noqa: E402
    DEFAULT_PG,
    create_postgres,
    create_sqlite,
    migrate,
    seed_in_process,
    source_env,
)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    p.add_argument("--pg-url", default=DEFAULT_PG)
    p.add_argument("--binds", type=int, default=300)
    args = p.parse_args()

    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from sparkcodes.app import create_app
    from sparkcodes.config import Settings

    tmp = Path(tempfile.mkdtemp(prefix="sparkcodes-anatomy-"))
    db = create_sqlite(tmp) if args.db == "sqlite" else create_postgres(args.pg_url)
    try:
        env, _ = source_env(None, tmp)
        if os.environ.get("PYTHONPATH"):
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        migrate(db.url, env)
        settings = Settings(database_url=db.url, secret_key=secrets.token_urlsafe(32),
                            env="test", sandbox=False)
        app = create_app(settings)
        statements: list[str] = []
        engine = app.state.db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            statements.append(" ".join(statement.split()))

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            statements.append("BEGIN (implicit)")

        @event.listens_for(engine, "commit")
        def _commit(conn):  # type: ignore[no-untyped-def]
            statements.append("COMMIT")

        @event.listens_for(engine, "rollback")
        def _rollback(conn):  # type: ignore[no-untyped-def]
            statements.append("ROLLBACK")

        with TestClient(app, base_url="http://127.0.0.1") as client:
            def call(method, path, token=None, body=None):  # type: ignore[no-untyped-def]
                headers = {"authorization": f"Bearer {token}"} if token else {}
                r = client.request(method, path, json=body, headers=headers)
                assert r.status_code < 300, (path, r.status_code, r.text)
                return r.json()

            brand, account, codes = seed_in_process(client, handle="bench_anatomy",
                                                    codes=args.binds + 2)
            preview_path = f"/v1/ad-accounts/{account}/spark-posts/preview"
            bind_path = f"/v1/ad-accounts/{account}/spark-posts"

            # One of each, warm, with its statements.
            call("POST", preview_path, brand, {"code": codes[0]})
            call("POST", bind_path, brand, {"codes": [codes[0]]})
            for label, path, body in (("preview", preview_path, {"code": codes[1]}),
                                      ("bind", bind_path, {"codes": [codes[1]]})):
                statements.clear()
                out = call("POST", path, brand, body)
                assert out.get("bound", 1) == 1 and out.get("eligible", True), out
                sql = [s for s in statements if s not in ("BEGIN (implicit)", "COMMIT")]
                print(f"\n-- {label}: {len(sql)} SQL statements + BEGIN/COMMIT = "
                      f"{len(sql) + 2} round trips to the database")
                for i, s in enumerate(statements, 1):
                    print(f"{i:3d}. {s[:150]}")

            # Sequential service time, in-process (TestClient costs are included, as for both).
            def timed(label, fn, count):  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                cpu0 = time.process_time()
                for i in range(count):
                    fn(i)
                wall = time.perf_counter() - started
                cpu = time.process_time() - cpu0
                print(f"{label:8s} {count} sequential: {1000 * wall / count:6.2f} ms/request "
                      f"wall, {1000 * cpu / count:6.2f} ms/request CPU in this process")

            print()
            timed("health", lambda i: client.get("/health"), args.binds)
            timed("preview", lambda i: call("POST", preview_path, brand, {"code": codes[2 + i]}),
                  args.binds)
            timed("bind", lambda i: call("POST", bind_path, brand, {"codes": [codes[2 + i]]}),
                  args.binds)
        app.state.db.dispose()
    finally:
        db.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
