"""CPU time of one bind without HTTP: the service calls of POST /v1/ad-accounts/{id}/spark-posts.

    python bench/service_time.py [--db sqlite|postgres] [--binds 400] [--profile]

Seeds a fresh database through the JSON API (in-process), then binds ``--binds`` fresh codes one
by one in this thread, as the endpoint does: token, ad-account access, ``bind_many``, the response
presenter and the commit. Half are timed (CPU of this process), the other half optionally run
under cProfile. No threadpool, no HTTP: what the database round trips and the ORM cost alone.

It measures whichever ``sparkcodes`` is importable (set PYTHONPATH to measure another copy, e.g.
a ``git archive`` of an older commit). Databases are created on 127.0.0.1 only and dropped.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
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
    p.add_argument("--binds", type=int, default=400)
    p.add_argument("--profile", action="store_true")
    args = p.parse_args()

    from fastapi.testclient import TestClient

    from sparkcodes.ad_account import service as ad_account_service
    from sparkcodes.app import create_app
    from sparkcodes.config import Settings
    from sparkcodes.kit.clock import utc_now
    from sparkcodes.spark_post import presenters, service
    from sparkcodes.user import service as user_service

    tmp = Path(tempfile.mkdtemp(prefix="sparkcodes-service-time-"))
    db = create_sqlite(tmp) if args.db == "sqlite" else create_postgres(args.pg_url)
    try:
        env, _ = source_env(None, tmp)
        migrate(db.url, env)
        settings = Settings(database_url=db.url, secret_key=secrets.token_urlsafe(32),
                            env="test", sandbox=False)
        app = create_app(settings)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            brand, account_id, codes = seed_in_process(client, handle="bench_service",
                                                       codes=args.binds + 20)

        database = app.state.db
        # The response presenter of this copy: bound_out (rows kept) or load_out (re-reads).
        bound_out = getattr(presenters, "bound_out", None)

        def bind(code: str) -> None:
            session = database.session(write=True)
            try:
                me = user_service.authenticate_token(session, settings=settings, token=brand)
                account, _, _ = ad_account_service.access(session, user=me,
                                                          ad_account_id=account_id,
                                                          action="operate")
                guard = service.guard_for(app.state.limiter, user=me, account=account,
                                          ip=None)
                results = service.bind_many(session, settings=settings, guard=guard, user=me,
                                            account=account, codes=[code])
                now = utc_now()
                for res in results:
                    assert res.error is None, res.error
                    if bound_out is not None:
                        bound_out(session, res, now)
                    else:
                        presenters.load_out(session, res.spark_post, now)
                session.commit()
            finally:
                session.close()

        for code in codes[:20]:  # warm-up: statement caches, pool
            bind(code)
        half = args.binds // 2
        cpu0 = time.process_time()
        for code in codes[20:20 + half]:
            bind(code)
        cpu = time.process_time() - cpu0
        print(f"{args.db}: {1000 * cpu / half:.2f} ms CPU per bind (service only, no HTTP, "
              f"{half} binds)")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for code in codes[20 + half:]:
                bind(code)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(r"sparkcodes", 40)
        database.dispose()
    finally:
        db.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
