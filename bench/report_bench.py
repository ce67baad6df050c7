"""Report latency over a million engagement events for one ad account (issue: reports from rollups).

    python bench/report_bench.py [--db sqlite|postgres|both] [--events 1000000] [--days 60]

Builds a fresh database, one ad account with 20 running Spark Ads over --days days, ingests
--events events through the engagement ingestion service (the code path of
POST /v1/engagement/events, in batches of 1,000), then asks GET /v1/reports over HTTP (a real
uvicorn server in a subprocess) at every level, per day and in total, and prints p50/p99 latency.
Only talks to 127.0.0.1; cleans up its database and server.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ADS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_and_ingest(url: str, events: int, days: int) -> dict:  # type: ignore[type-arg]
    from sparkcodes.ad import repository as ad_repository
    from sparkcodes.ad import service as ad_service
    from sparkcodes.ad_account import service as ad_account_service
    from sparkcodes.authorization import repository as authorization_repository
    from sparkcodes.authorization import service as authorization_service
    from sparkcodes.business import service as business_service
    from sparkcodes.config import Settings
    from sparkcodes.creator import service as creator_service
    from sparkcodes.db import Database
    from sparkcodes.engagement import service as engagement
    from sparkcodes.models import Ad, AdGroup, Campaign
    from sparkcodes.notification import watch
    from sparkcodes.post import service as post_service
    from sparkcodes.spark_post import service as spark_post_service
    from sparkcodes.throttle.service import Limiter
    from sparkcodes.user import service as user_service

    settings = Settings(database_url=url, secret_key="bench-secret", env="test",
                        embedded_worker=False)
    db = Database(settings)
    now = datetime.now(UTC)
    start = now - timedelta(days=days, hours=1)
    with db.unit_of_work() as s:
        brand = user_service.sign_up(s, email="brand@bench.local", password="benchmark!")
        creator_user = user_service.sign_up(s, email="creator@bench.local", password="benchmark!")
        business = business_service.create(s, user=brand, name="Bench brand")
        account = ad_account_service.create(s, user=brand, business=business, name="Bench US")
        creator = creator_service.create(s, owner=creator_user, handle="bench.creator",
                                         display_name="Bench", region="US")
        creator_service.set_ad_settings(s, user=creator_user, creator=creator, enabled=True,
                                        accept_terms=True, watch=watch)
        campaign = ad_service.create_campaign(s, user=brand, account=account, name="Bench",
                                              objective="ENGAGEMENT",
                                              budget_mode="BUDGET_MODE_INFINITE",
                                              budget_micros=None)
        ad_repository.backdate(s, Campaign, campaign.id, start)
        group = ad_service.create_ad_group(s, user=brand, account=account, campaign=campaign,
                                           name="Bench group", budget_micros=10**12,
                                           bid_micros=5_000_000, schedule_start_at=start,
                                           schedule_end_at=None)
        ad_repository.backdate(s, AdGroup, group.id, start)
        guard = spark_post_service.guard_for(Limiter(settings, url="memory://"), user=brand,
                                             account=account, ip=None)
        ads = []
        for i in range(ADS):
            post = post_service.create(s, user=creator_user, creator=creator,
                                       caption=f"Bench post {i}", kind="video", sound="original",
                                       visibility="public")
            g = authorization_service.generate(s, settings=settings, user=creator_user,
                                               creator=creator, post=post, days=365)
            authorization_repository.set_window(s, authorization_id=g.authorization.id,
                                                starts_at=start,
                                                expires_at=start + timedelta(days=365))
            (result,) = spark_post_service.bind_many(s, settings=settings, guard=guard,
                                                     user=brand, account=account, codes=[g.code])
            ad = ad_service.create_ad(s, settings=settings, user=brand, account=account,
                                      group=group, spark_post_id=result.spark_post.id,
                                      name=f"Bench ad {i}", call_to_action="SHOP_NOW",
                                      landing_page_url="https://bench.example/",
                                      ads_only=False)
            ad_repository.backdate(s, Ad, ad.id, start)
            ads.append((ad.id, post.id))
    rng = random.Random(1)
    kinds = ["impression"] * 6 + ["view_2s"] * 2 + ["like", "comment", "share", "follow"]
    t0 = time.perf_counter()
    sent = 0
    batch_size = settings.engagement.batch_size
    span = (now - start).total_seconds() - 60
    while sent < events:
        n = min(batch_size, events - sent)
        batch = []
        for j in range(n):
            ad_id, post_id = ads[rng.randrange(ADS)]
            organic = rng.random() < 0.4
            at = start + timedelta(seconds=30 + rng.random() * span)
            batch.append(engagement.EventIn(f"b{sent + j}", post_id, rng.choice(kinds), at,
                                            None if organic else ad_id))
        with db.unit_of_work() as s:
            results = engagement.ingest(s, settings=settings, user=None, events=batch)
        refused = [r for r in results if r.status != "accepted"]
        if refused:
            raise SystemExit(f"ingestion refused events: {refused[0].error}")
        sent += n
        if sent % 100_000 == 0 or sent == events:
            rate = sent / (time.perf_counter() - t0)
            print(f"  ingested {sent:,} events ({rate:,.0f}/s)", flush=True)
    ingest_seconds = time.perf_counter() - t0
    db.dispose()
    return {"account_id": account.id, "campaign_id": campaign.id, "ad_group_id": group.id,
            "ad_id": ads[0][0], "post_id": ads[0][1], "ingest_seconds": ingest_seconds}


def measure(url: str, ids: dict, days: int, repeats: int) -> list[dict]:  # type: ignore[type-arg]
    port = _free_port()
    env = {**os.environ, "SPARKCODES_DATABASE_URL": url, "SPARKCODES_SECRET_KEY": "bench-secret",
           "SPARKCODES_ENV": "test", "SPARKCODES_EMBEDDED_WORKER": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "sparkcodes.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=ROOT)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as http:
            for _ in range(100):
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            token = http.post("/v1/tokens", json={"email": "brand@bench.local",
                                                  "password": "benchmark!"}).json()["token"]
            creator = http.post("/v1/tokens", json={"email": "creator@bench.local",
                                                    "password": "benchmark!"}).json()["token"]
            end = datetime.now(UTC).date()
            first = end - timedelta(days=days)
            cases = [("ad_account", ids["account_id"], token),
                     ("campaign", ids["campaign_id"], token),
                     ("ad_group", ids["ad_group_id"], token), ("ad", ids["ad_id"], token),
                     ("post", ids["post_id"], creator)]
            rows = []
            for level, obj_id, tok in cases:
                for granularity in ("day", "total"):
                    params = {"level": level, "id": obj_id, "granularity": granularity,
                              "start_date": first.isoformat(), "end_date": end.isoformat()}
                    timings = []
                    for _ in range(repeats):
                        t = time.perf_counter()
                        r = http.get("/v1/reports", params=params,
                                     headers={"Authorization": f"Bearer {tok}"})
                        timings.append((time.perf_counter() - t) * 1000)
                        assert r.status_code == 200, r.text
                    body = r.json()
                    timings.sort()
                    rows.append({"level": level, "granularity": granularity,
                                 "rows": len(body["rows"]),
                                 "impressions": body["total"]["impressions"],
                                 "p50_ms": round(statistics.median(timings), 1),
                                 "p99_ms": round(timings[min(len(timings) - 1,
                                                             int(len(timings) * 0.99))], 1)})
            return rows
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(db_kind: str, events: int, days: int, repeats: int) -> dict:  # type: ignore[type-arg]
    from sparkcodes.migrations import upgrade

    tmp = tempfile.mkdtemp(prefix="sparkcodes-bench-")
    drop = None
    if db_kind == "sqlite":
        url = f"sqlite:///{tmp}/bench.db"
    else:
        name = f"sparkcodes_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

        def drop() -> None:
            with admin.connect() as c:
                c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
    try:
        upgrade(url)
        print(f"[{db_kind}] seeding and ingesting {events:,} events over {days} days…", flush=True)
        ids = seed_and_ingest(url, events, days)
        rows = measure(url, ids, days, repeats)
        return {"db": db_kind, "events": events, "days": days,
                "ingest_seconds": round(ids["ingest_seconds"], 1), "reports": rows}
    finally:
        if drop:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = [run(k, args.events, args.days, args.repeats) for k in kinds]
    for res in results:
        print(f"\n{res['db']}: {res['events']:,} events ingested in {res['ingest_seconds']} s")
        print(f"  {'level':<11} {'granularity':<11} {'rows':>5} {'impressions':>12} "
              f"{'p50 ms':>8} {'p99 ms':>8}")
        for row in res["reports"]:
            print(f"  {row['level']:<11} {row['granularity']:<11} {row['rows']:>5} "
                  f"{row['impressions']:>12,} {row['p50_ms']:>8} {row['p99_ms']:>8}")
    out = args.out or ROOT / "bench" / "results" / f"report-{datetime.now(UTC):%Y%m%d-%H%M}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nresults written to {out}")


if __name__ == "__main__":
    main()
