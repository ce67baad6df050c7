"""Tracker first-page latency with many Spark posts in one business (issue: tracker pages in SQL).

    python bench/tracker_bench.py [--db sqlite|postgres] [--posts 100000] [--accounts 1000]
                                  [--live 1000] [--repeats 30] [--http/--no-http] [--csv]
                                  [--url URL]

Builds a fresh database (a temporary SQLite file, or a dedicated PostgreSQL database that is
dropped at the end), seeds one business with --posts Spark posts across --accounts ad accounts
by bulk inserts through SQLAlchemy Core, then times the first page (50 rows) of the tracker for
several filters and sorts: through ``tracker.service.track`` in this process, and over HTTP
against a uvicorn server in a subprocess, reading the server's CPU time from /proc per request.
Only talks to 127.0.0.1; cleans up its database and server.

The mix: codes ending between 60 days ago and 60 days ahead; 3 % deleted codes, 2 % posts taken
down, 2 % of creators with ad settings off, 5 % unbound, 5 % the business's own posts (TT_USER),
2 % duets carrying the original's code; --live Spark posts run one ad each that spent yesterday.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PER_PAGE = 50
BATCH = 5_000
TIMEZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles"]

# (label, query-string params) — the same filters through the service and over HTTP
CASES = [
    ("expiry (default)", {}),
    ("expiring within 72h", {"expiring_within": "72h"}),
    ("status AUTHORIZED", {"status": "AUTHORIZED"}),
    ("status POST_UNAVAILABLE", {"status": "POST_UNAVAILABLE"}),
    ("-expiry, include unbound", {"sort": "-expiry", "include_unbound": "true"}),
    ("days_left", {"sort": "days_left"}),
    ("spend_at_risk", {"sort": "spend_at_risk"}),
    ("creator", {"sort": "creator"}),
    ("within 7d, sort spend", {"expiring_within": "7d", "sort": "spend_at_risk"}),
    ("one ad account", {"account": "1"}),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Seeder:
    """A fresh database's bench business and its users, and bulk inserts by SQLAlchemy Core;
    shared by the benches that seed at scale (this one and sweep_bench)."""

    def __init__(self, url: str) -> None:
        from sparkcodes.business import service as business_service
        from sparkcodes.config import Settings
        from sparkcodes.db import Database
        from sparkcodes.user import service as user_service

        self.url = url
        self.settings = Settings(database_url=url, secret_key="bench-secret", env="test",
                                 embedded_worker=False)
        self.db = Database(self.settings)
        self.now = datetime.now(UTC)
        self.started = time.perf_counter()
        with self.db.unit_of_work() as s:
            brand = user_service.sign_up(s, email="brand@bench.local", password="benchmark!")
            creator = user_service.sign_up(s, email="creator@bench.local",
                                           password="benchmark!")
            business = business_service.create(s, user=brand, name="Bench brand")
            self.brand_id, self.creator_user_id = brand.id, creator.id
            self.business_id = business.id

    def bulk(self, model: Any, rows: list[dict[str, Any]]) -> None:  # noqa: ANN401
        """Insert the rows, BATCH to a statement, in one transaction."""
        with self.db.unit_of_work() as s:
            for start in range(0, len(rows), BATCH):
                s.execute(insert(model), rows[start:start + BATCH])

    def finish(self) -> float:
        """Refresh the planner's statistics, close the pool; the seconds seeding took."""
        with self.db.engine.connect() as c:
            if self.url.startswith("postgresql"):
                c.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
            else:
                c.execute(text("ANALYZE"))
                c.commit()
        self.db.dispose()
        return round(time.perf_counter() - self.started, 1)


@contextlib.contextmanager
def bench_database(kind: str, prefix: str = "sparkcodes-bench-") -> Iterator[str]:
    """A migrated, empty database for one run (a temporary SQLite file, or a PostgreSQL
    database of its own on 127.0.0.1), removed afterwards; yields its URL."""
    from sparkcodes.migrations import upgrade

    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix=prefix)
        try:
            url = f"sqlite:///{tmp}/bench.db"
            upgrade(url)
            yield url
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    name = f"sparkcodes_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        upgrade(url)
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, posts: int, accounts: int, live: int) -> dict[str, Any]:  # noqa: PLR0915
    """The business, its accounts, creators, posts, codes, Spark posts and live ads."""
    from sparkcodes.models import (
        Ad,
        AdAccount,
        AdGroup,
        Authorization,
        Campaign,
        Creator,
        EngagementDaily,
        Post,
        SparkPost,
        new_id,
    )

    seeder = Seeder(url)
    rng = random.Random(7)
    now = seeder.now
    brand_id, creator_user_id, business_id = (seeder.brand_id, seeder.creator_user_id,
                                              seeder.business_id)
    bulk = seeder.bulk

    account_rows = [{"id": new_id(), "business_id": business_id, "name": f"Bench {i:04d}",
                     "timezone": TIMEZONES[i % len(TIMEZONES)]} for i in range(accounts)]
    bulk(AdAccount, account_rows)
    account_ids = [a["id"] for a in account_rows]
    n_creators = max(1, posts // 50)
    creator_rows = []
    for i in range(n_creators):
        handle = f"bench.creator_{i:06d}"
        creator_rows.append({
            "id": new_id(), "owner_id": creator_user_id, "handle": handle,
            "handle_key": handle, "display_name": f"Creator {i}", "region": "US",
            "ad_settings_enabled_at": None if rng.random() < 0.02 else now - timedelta(days=400),
            "ad_terms_accepted_at": now - timedelta(days=400)})
    bulk(Creator, creator_rows)
    creator_ids = [c["id"] for c in creator_rows]

    post_rows, code_rows, spark_rows = [], [], []
    originals: list[tuple[str, str]] = []  # (post id, code id) of plain videos, for duets
    for i in range(posts):
        creator_id = creator_ids[i % n_creators]
        account_id = account_ids[rng.randrange(accounts)]
        post_id = new_id()
        roll = rng.random()
        duet = roll < 0.02 and originals
        own = 0.02 <= roll < 0.07
        original_post_id, original_code_id = rng.choice(originals) if duet else (None, None)
        post_rows.append({
            "id": post_id, "creator_id": creator_id, "kind": "duet" if duet else "video",
            "caption": f"Bench post {i}", "sound": "original", "visibility": "public",
            "original_post_id": original_post_id, "published_at": now - timedelta(days=90),
            "taken_down_at": now - timedelta(days=3) if rng.random() < 0.02 else None})
        code_id = None
        if not own:
            code_id = new_id()
            starts = now - timedelta(days=30) + timedelta(seconds=rng.randrange(-60, 60) * 86400)
            expires = now + timedelta(seconds=rng.uniform(-60, 60) * 86400)
            code_rows.append({
                "id": code_id, "post_id": post_id, "code_hash": uuid.uuid4().hex * 2,
                "code_hint": "ab12", "days": 30, "created_by_id": creator_user_id,
                "starts_at": min(starts, expires), "expires_at": expires,
                "deleted_at": now - timedelta(days=1) if rng.random() < 0.03 else None,
                "ad_account_id": account_id, "bound_at": min(starts, expires),
                "bound_by_id": brand_id, "created_at": min(starts, expires)})
            if not duet and len(originals) < 5_000:
                originals.append((post_id, code_id))
        unbound = rng.random() < 0.05
        spark_rows.append({
            "id": new_id(), "ad_account_id": account_id, "post_id": post_id,
            "identity_type": "TT_USER" if own else "AUTH_CODE", "authorization_id": code_id,
            "original_authorization_id": original_code_id, "bound_by_id": brand_id,
            "bound_at": now - timedelta(days=rng.uniform(1, 60)),
            "unbound_at": now - timedelta(hours=5) if unbound else None,
            "unbound_by_id": brand_id if unbound else None})
    bulk(Post, post_rows)
    bulk(Authorization, code_rows)
    bulk(SparkPost, spark_rows)

    # Live ads: one each on --live Spark posts whose code runs, with spend yesterday.
    codes = {c["id"]: c for c in code_rows}
    runnable = [sp for sp in spark_rows
                if sp["unbound_at"] is None and sp["identity_type"] == "AUTH_CODE"
                and codes[sp["authorization_id"]]["expires_at"] > now + timedelta(days=1)
                and codes[sp["authorization_id"]]["deleted_at"] is None]
    chosen = rng.sample(runnable, min(live, len(runnable)))
    tz_of = {a["id"]: a["timezone"] for a in account_rows}
    groups: dict[str, tuple[str, str]] = {}
    campaign_rows, group_rows, ad_rows, daily_rows = [], [], [], []
    post_of = {p["id"]: p for p in post_rows}
    from zoneinfo import ZoneInfo
    for sp in chosen:
        acc = sp["ad_account_id"]
        if acc not in groups:
            cid, gid = new_id(), new_id()
            campaign_rows.append({"id": cid, "ad_account_id": acc, "name": "Bench",
                                  "objective": "ENGAGEMENT", "budget_mode": "BUDGET_MODE_INFINITE",
                                  "budget_micros": None, "created_by_id": brand_id,
                                  "created_at": now - timedelta(days=60)})
            group_rows.append({"id": gid, "campaign_id": cid, "ad_account_id": acc,
                               "name": "Bench group", "budget_micros": 10**12,
                               "bid_micros": 5_000_000,
                               "schedule_start_at": now - timedelta(days=60),
                               "schedule_end_at": None, "created_by_id": brand_id,
                               "created_at": now - timedelta(days=60)})
            groups[acc] = (cid, gid)
        cid, gid = groups[acc]
        ad_id = new_id()
        post = post_of[sp["post_id"]]
        ad_rows.append({"id": ad_id, "ad_group_id": gid, "campaign_id": cid,
                        "ad_account_id": acc, "spark_post_id": sp["id"], "post_id": post["id"],
                        "post_revision": 1, "identity_type": "AUTH_CODE",
                        "creator_id": post["creator_id"], "name": "Bench ad",
                        "call_to_action": "SHOP_NOW", "landing_page_url": "https://bench.example/",
                        "ads_only": False, "created_by_id": brand_id,
                        "created_at": now - timedelta(days=30)})
        yesterday: date = now.astimezone(ZoneInfo(tz_of[acc])).date() - timedelta(days=1)
        daily_rows.append({"id": new_id(), "post_id": post["id"], "ad_key": ad_id,
                           "ad_group_id": gid, "campaign_id": cid, "ad_account_id": acc,
                           "day": yesterday, "spend_micros": rng.randrange(1, 500) * 1_000_000})
    bulk(Campaign, campaign_rows)
    bulk(AdGroup, group_rows)
    bulk(Ad, ad_rows)
    bulk(EngagementDaily, daily_rows)
    return {"business_id": business_id, "account_id": account_ids[0],
            "seed_seconds": seeder.finish()}


def _pct(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return (round(statistics.median(timings), 1),
            round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 1))


def _params(params: dict, ids: dict) -> dict:  # type: ignore[type-arg]
    out = {k: v for k, v in params.items() if k != "account"}
    if "account" in params:
        out["ad_account_id"] = ids["account_id"]
    return out


def measure_service(url: str, ids: dict, repeats: int) -> list[dict]:  # type: ignore[type-arg]
    from sparkcodes.config import Settings
    from sparkcodes.db import Database
    from sparkcodes.models import Business
    from sparkcodes.tracker import service

    db = Database(Settings(database_url=url, secret_key="bench-secret", env="test",
                           embedded_worker=False))
    rows = []
    try:
        for label, raw in CASES:
            p = _params(raw, ids)
            q = service.query(status=[p["status"]] if "status" in p else [],
                              expiring_within=p.get("expiring_within"),
                              ad_account_id=p.get("ad_account_id"),
                              include_unbound=p.get("include_unbound") == "true",
                              sort=p.get("sort", "expiry"))
            timings, cpu = [], []
            for _ in range(repeats):
                with db.unit_of_work() as s:
                    business = s.get(Business, ids["business_id"])
                    c0 = time.process_time()
                    t = time.perf_counter()
                    result = service.track(s, business=business, q=q,
                                           now=datetime.now(UTC), limit=PER_PAGE, offset=0)
                    timings.append((time.perf_counter() - t) * 1000)
                    cpu.append((time.process_time() - c0) * 1000)
            p50, p99 = _pct(timings)
            rows.append({"case": label, "via": "service", "total": result.total,
                         "rows": len(result.items), "p50_ms": p50, "p99_ms": p99,
                         "cpu_ms": round(statistics.median(cpu), 1)})
            print(f"  service {label:<28} total {result.total:>8,}  p50 {p50:>7} ms  "
                  f"p99 {p99:>7} ms", flush=True)
    finally:
        db.dispose()
    return rows


def _cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def server(url: str, src: Path | None = None
           ) -> Iterator[tuple[subprocess.Popen[bytes], httpx.Client]]:
    """A uvicorn server on the seeded database (importing sparkcodes from ``src`` when given,
    else as this interpreter does), and a client signed in as the seeded brand; stopped after."""
    port = _free_port()
    env = {**os.environ, "SPARKCODES_DATABASE_URL": url, "SPARKCODES_SECRET_KEY": "bench-secret",
           "SPARKCODES_ENV": "test", "SPARKCODES_EMBEDDED_WORKER": "false"}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "sparkcodes.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=ROOT if src is None else src.parent)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
            deadline = time.monotonic() + 180  # a loaded machine starts a server slowly
            while time.monotonic() < deadline:
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            token = http.post("/v1/tokens", json={"email": "brand@bench.local",
                                                  "password": "benchmark!"}).json()["token"]
            http.headers["Authorization"] = f"Bearer {token}"
            yield proc, http
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)  # a loaded machine can take its time to stop a server
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure_http(url: str, ids: dict, repeats: int, csv: bool) -> list[dict]:  # type: ignore[type-arg]
    rows = []
    with server(url) as (proc, http):
        path = f"/v1/businesses/{ids['business_id']}/tracker"
        for label, raw in CASES:
            params = {**_params(raw, ids), "limit": PER_PAGE}
            timings, cpu = [], []
            for _ in range(repeats):
                c0 = _cpu_ms(proc.pid)
                t = time.perf_counter()
                r = http.get(path, params=params)
                timings.append((time.perf_counter() - t) * 1000)
                cpu.append(_cpu_ms(proc.pid) - c0)
                assert r.status_code == 200, r.text
            p50, p99 = _pct(timings)
            rows.append({"case": label, "via": "http", "total": r.json()["total"],
                         "p50_ms": p50, "p99_ms": p99,
                         "server_cpu_ms": round(statistics.mean(cpu), 1)})
            print(f"  http    {label:<28} p50 {p50:>7} ms  p99 {p99:>7} ms  "
                  f"server cpu {rows[-1]['server_cpu_ms']} ms/req", flush=True)
        if csv:
            rss0 = _rss_kb(proc.pid)
            c0 = _cpu_ms(proc.pid)
            t = time.perf_counter()
            size, peak, first_byte = 0, rss0, None
            with http.stream("GET", f"{path}.csv", params={"include_unbound": "true"}) as r:
                for chunk in r.iter_bytes():
                    if first_byte is None:
                        first_byte = (time.perf_counter() - t) * 1000
                    size += len(chunk)
                    peak = max(peak, _rss_kb(proc.pid))
            rows.append({"case": "CSV export, every row", "via": "http",
                         "seconds": round(time.perf_counter() - t, 1),
                         "first_byte_ms": round(first_byte or 0, 1), "bytes": size,
                         "server_cpu_s": round((_cpu_ms(proc.pid) - c0) / 1000, 1),
                         "server_rss_before_mb": round(rss0 / 1024),
                         "server_rss_peak_mb": round(peak / 1024)})
            print(f"  csv     {rows[-1]}", flush=True)
    return rows


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def kept(url: str) -> dict[str, Any]:
    """The ids of a database seeded earlier (--url): its largest business and one of its ad
    accounts, migrated to this tree's head first."""
    from sparkcodes.migrations import upgrade

    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            business_id = conn.execute(text(
                "SELECT business_id FROM spark_posts GROUP BY business_id "
                "ORDER BY count(*) DESC LIMIT 1")).scalar_one()
            account_id = conn.execute(text(
                "SELECT id FROM ad_accounts WHERE business_id = :b ORDER BY name LIMIT 1"),
                {"b": business_id}).scalar_one()
            posts = conn.execute(text("SELECT count(*) FROM spark_posts WHERE business_id = :b"),
                                 {"b": business_id}).scalar_one()
    finally:
        engine.dispose()
    return {"business_id": business_id, "account_id": account_id, "seed_seconds": None,
            "posts": posts}


def run(args: argparse.Namespace) -> dict[str, Any]:
    with (contextlib.nullcontext(args.url) if args.url else bench_database(args.db)) as url:
        if args.url:
            ids = kept(url)
            args.posts = ids["posts"]
            print(f"[{args.db}] {args.posts:,} Spark posts kept at {url.split('@')[-1]}",
                  flush=True)
        else:
            print(f"[{args.db}] seeding {args.posts:,} Spark posts over {args.accounts} ad "
                  "accounts…", flush=True)
            ids = seed(url, args.posts, args.accounts, args.live)
            print(f"  seeded in {ids['seed_seconds']} s", flush=True)
        rows = measure_service(url, ids, args.repeats)
        if args.http:
            rows += measure_http(url, ids, args.repeats, args.csv)
        return {"db": args.db, "posts": args.posts, "accounts": args.accounts,
                "live": args.live, "seed_seconds": ids["seed_seconds"], "rows": rows,
                "peak_bench_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--live", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--http", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--csv", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--label", default="")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--url", default=None,
                        help="measure a database seeded earlier (by seed()) instead of seeding "
                             "one; --posts, --accounts and --live are then what it holds")
    args = parser.parse_args()
    result = run(args)
    result.update(label=args.label, date=f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                  uptime=subprocess.run(["uptime"], capture_output=True,
                                        text=True).stdout.strip())
    out = args.out or ROOT / "bench" / "results" / (
        f"tracker-{args.db}-{args.posts}-{datetime.now(UTC):%Y%m%d-%H%M}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"\nresults written to {out}")


if __name__ == "__main__":
    main()
