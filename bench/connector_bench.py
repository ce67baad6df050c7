"""The connector's sync of an agency: --advertisers advertisers × --posts Spark posts each, from a
stand-in TikTok (a sparkcodes server on its own database), by real `sparkcodes worker` processes.

    python bench/connector_bench.py [--advertisers 50] [--posts 2000] [--ads 20]
                                    [--workers 1] [--app-qps 10] [--advertiser-qps 10]
                                    [--changes 10]

1. The stand-in: a fresh SQLite database, migrated, seeded in bulk through SQLAlchemy Core
   (tracker_bench.py's approach): one agency user and business, --advertisers ad accounts, each
   with --posts posts of their own creators' bound by a live code, and --ads Spark ads (one
   campaign and ad group per advertiser) that spent yesterday and today. It is served by uvicorn
   in a subprocess with TikTok's QPS limits at --app-qps / --advertiser-qps.
2. Our side: a fresh SQLite database; the agency's admin links every advertiser with the
   agency's token (``link_by_token``, which asks the stand-in's ``advertiser/info/`` once), which
   queues one ``connector.sync`` per advertiser; --workers `sparkcodes worker` processes run them
   within the connector's budget (``connector.app_qps`` = --app-qps, ``advertiser_qps`` =
   --advertiser-qps; shared through Redis on 127.0.0.1:6379 when --workers > 1).
3. Three syncs are timed: the full one; an incremental one with nothing changed on TikTok; and
   one after --changes changes there (codes extended, Spark posts unbound, new posts bound).
   Each reports wall time, calls made (the sync runs' own count, retries included), calls/s
   against the budget, 40100/40133 answers seen, and CPU seconds of the stand-in server and of
   the workers from /proc, also per call. The mirror is checked after each.

Only 127.0.0.1 is contacted; the servers, workers and databases are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, insert, select, text, update

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BATCH = 5_000
STANDIN_SECRET = "bench-standin-secret"
OUR_SECRET = "bench-our-secret"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__repr__()


def _migrate(url: str) -> None:
    subprocess.run([str(BIN / "sparkcodes"), "db", "upgrade"], check=True, cwd=ROOT,
                   env={**os.environ, "SPARKCODES_DATABASE_URL": url,
                        "SPARKCODES_SECRET_KEY": "x" * 32, "SPARKCODES_ENV": "test"},
                   stdout=subprocess.DEVNULL)


# --- the stand-in -------------------------------------------------------------------------------

def seed_standin(url: str, advertisers: int, posts: int, ads: int) -> dict[str, Any]:
    """The agency on the stand-in: its token (raw) and its advertiser ids."""
    from sparkcodes.business import service as business_service
    from sparkcodes.config import Settings
    from sparkcodes.db import Database
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
    from sparkcodes.user import service as user_service

    settings = Settings(database_url=url, secret_key=STANDIN_SECRET, env="test",
                        embedded_worker=False)
    db = Database(settings)
    rng = random.Random(11)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    with db.unit_of_work() as s:
        agency = user_service.sign_up(s, email="agency@bench.local", password="benchmark!")
        creator_user = user_service.sign_up(s, email="creators@bench.local",
                                            password="benchmark!")
        business = business_service.create(s, user=agency, name="Bench agency")
        _, token = user_service.issue_token(s, settings=settings, user=agency, name="connector")
        agency_id, creator_user_id, business_id = agency.id, creator_user.id, business.id

    def bulk(model: Any, rows: list[dict[str, Any]]) -> None:
        with db.unit_of_work() as s:
            for start in range(0, len(rows), BATCH):
                s.execute(insert(model), rows[start:start + BATCH])

    accounts = [{"id": new_id(), "business_id": business_id, "name": f"Advertiser {i:03d}",
                 "timezone": "UTC"} for i in range(advertisers)]
    bulk(AdAccount, accounts)
    creators_each = max(1, posts // 50)
    creators = [{"id": new_id(), "owner_id": creator_user_id, "handle": f"bench.c{i:06d}",
                 "handle_key": f"bench.c{i:06d}", "display_name": f"Creator {i}",
                 "region": "US", "ad_settings_enabled_at": now - timedelta(days=400),
                 "ad_terms_accepted_at": now - timedelta(days=400)}
                for i in range(creators_each * advertisers)]
    bulk(Creator, creators)
    for a_index, account in enumerate(accounts):
        post_rows, code_rows, spark_rows = [], [], []
        for i in range(posts):
            creator = creators[a_index * creators_each + i % creators_each]
            post_id, code_id = new_id(), new_id()
            starts = now - timedelta(days=rng.randrange(1, 20))
            post_rows.append({"id": post_id, "creator_id": creator["id"], "kind": "video",
                              "caption": f"Bench post {a_index}/{i}", "sound": "original",
                              "visibility": "public", "published_at": now - timedelta(days=60)})
            code_rows.append({"id": code_id, "post_id": post_id,
                              "code_hash": uuid.uuid4().hex * 2, "code_hint": "ab12",
                              "days": 60, "created_by_id": creator_user_id, "starts_at": starts,
                              "expires_at": starts + timedelta(days=60),
                              "ad_account_id": account["id"], "bound_at": starts,
                              "bound_by_id": agency_id, "created_at": starts})
            spark_rows.append({"id": new_id(), "ad_account_id": account["id"],
                               "post_id": post_id, "identity_type": "AUTH_CODE",
                               "authorization_id": code_id, "bound_by_id": agency_id,
                               "bound_at": starts})
        bulk(Post, post_rows)
        bulk(Authorization, code_rows)
        bulk(SparkPost, spark_rows)
        if not ads:
            continue
        cid, gid = new_id(), new_id()
        bulk(Campaign, [{"id": cid, "ad_account_id": account["id"], "name": "Bench",
                         "objective": "ENGAGEMENT", "budget_mode": "BUDGET_MODE_INFINITE",
                         "budget_micros": None, "created_by_id": agency_id,
                         "created_at": now - timedelta(days=30)}])
        bulk(AdGroup, [{"id": gid, "campaign_id": cid, "ad_account_id": account["id"],
                        "name": "Bench group", "budget_micros": 10**12, "bid_micros": 5_000_000,
                        "schedule_start_at": now - timedelta(days=30), "schedule_end_at": None,
                        "created_by_id": agency_id, "created_at": now - timedelta(days=30)}])
        ad_rows, daily = [], []
        for sp, post in list(zip(spark_rows, post_rows, strict=True))[:ads]:
            ad_id = new_id()
            ad_rows.append({"id": ad_id, "ad_group_id": gid, "campaign_id": cid,
                            "ad_account_id": account["id"], "spark_post_id": sp["id"],
                            "post_id": post["id"], "post_revision": 1,
                            "identity_type": "AUTH_CODE", "creator_id": post["creator_id"],
                            "name": "Bench ad", "call_to_action": "SHOP_NOW",
                            "landing_page_url": "https://bench.example/", "ads_only": False,
                            "created_by_id": agency_id, "created_at": now - timedelta(days=20)})
            for day in (now.date() - timedelta(days=1), now.date()):
                daily.append({"id": new_id(), "post_id": post["id"], "ad_key": ad_id,
                              "ad_group_id": gid, "campaign_id": cid,
                              "ad_account_id": account["id"], "day": day,
                              "spend_micros": rng.randrange(1, 500) * 1_000_000})
        bulk(Ad, ad_rows)
        bulk(EngagementDaily, daily)
    with db.engine.connect() as c:
        c.execute(text("ANALYZE"))
        c.commit()
        ids = [str(v) for v in c.execute(select(AdAccount.tiktok_id).order_by(AdAccount.name))
               .scalars()]
    db.dispose()
    return {"token": token, "advertiser_ids": ids, "creator_user_id": creator_user_id,
            "agency_id": agency_id, "seed_seconds": round(time.perf_counter() - t0, 1)}


def change_standin(url: str, seeded: dict[str, Any], n: int) -> dict[str, int]:
    """On TikTok meanwhile: n codes extended, n Spark posts unbound, n new posts bound."""
    from sparkcodes.models import AdAccount, Authorization, Post, SparkPost, new_id

    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as c:
        account_id = c.execute(select(AdAccount.id).order_by(AdAccount.name)).scalars().first()
        codes = c.execute(select(Authorization.id, Authorization.expires_at)
                          .where(Authorization.ad_account_id == account_id)
                          .order_by(Authorization.id).limit(2 * n)).all()
        for code_id, expires in codes[:n]:
            c.execute(update(Authorization).where(Authorization.id == code_id)
                      .values(expires_at=expires + timedelta(days=30)))
        c.execute(update(SparkPost).where(SparkPost.authorization_id.in_(
            [code_id for code_id, _ in codes[n:]])).values(
            unbound_at=now, unbound_by_id=seeded["agency_id"]))
        creator_id = c.execute(select(Post.creator_id).join(
            Authorization, Authorization.post_id == Post.id).where(
            Authorization.ad_account_id == account_id)).scalars().first()
        for i in range(n):
            post_id, code_id = new_id(), new_id()
            c.execute(insert(Post).values(id=post_id, creator_id=creator_id, kind="video",
                                          caption=f"New bench post {i}", sound="original",
                                          visibility="public", published_at=now))
            c.execute(insert(Authorization).values(
                id=code_id, post_id=post_id, code_hash=uuid.uuid4().hex * 2, code_hint="cd34",
                days=30, created_by_id=seeded["creator_user_id"], starts_at=now,
                expires_at=now + timedelta(days=30), ad_account_id=account_id, bound_at=now,
                bound_by_id=seeded["agency_id"], created_at=now))
            c.execute(insert(SparkPost).values(
                id=new_id(), ad_account_id=account_id, post_id=post_id,
                identity_type="AUTH_CODE", authorization_id=code_id,
                bound_by_id=seeded["agency_id"], bound_at=now))
    engine.dispose()
    return {"extended": n, "unbound": n, "bound": n}


# --- our side -----------------------------------------------------------------------------------

def link(url: str, standin_url: str, seeded: dict[str, Any], app_qps: int,
         advertiser_qps: int) -> str:
    """The agency's admin on our side links every advertiser; one sync job each is queued."""
    from sparkcodes.business import service as business_service
    from sparkcodes.config import Settings
    from sparkcodes.connector import service as connector_service
    from sparkcodes.db import Database
    from sparkcodes.user import service as user_service

    settings = Settings(database_url=url, secret_key=OUR_SECRET, env="test",
                        embedded_worker=False, connector={
                            "allow_loopback_http": True, "app_qps": app_qps,
                            "advertiser_qps": advertiser_qps})
    db = Database(settings)
    with db.unit_of_work() as s:
        admin = user_service.sign_up(s, email="ops@bench.local", password="benchmark!")
        business = business_service.create(s, user=admin, name="Agency ops")
        made = connector_service.link_by_token(
            s, settings=settings, user=admin, business=business, base_url=standin_url,
            access_token=seeded["token"], advertiser_ids=seeded["advertiser_ids"])
        connection_id = made.connection.id
    db.dispose()
    return connection_id


def queue_syncs(url: str, connection_id: str) -> None:
    from sparkcodes.config import Settings
    from sparkcodes.connector import service as connector_service
    from sparkcodes.db import Database
    from sparkcodes.models import TikTokConnection

    db = Database(Settings(database_url=url, secret_key=OUR_SECRET, env="test",
                           embedded_worker=False))
    with db.unit_of_work() as s:
        connection = s.get(TikTokConnection, connection_id)
        assert connection is not None
        connector_service.enqueue_syncs(s, view=connector_service.view(s, connection),
                                        trigger="bench")
    db.dispose()


def unbound_mirrored(url: str) -> int:
    from sparkcodes.models import SparkPost

    engine = create_engine(url)
    with engine.connect() as c:
        n = c.execute(select(func.count()).select_from(SparkPost).where(
            SparkPost.source == "tiktok", SparkPost.unbound_at.is_not(None))).scalar_one()
    engine.dispose()
    return int(n)


def runs_state(url: str) -> tuple[int, int, int, int]:
    """(finished runs, open runs, calls of all runs, live mirrored Spark posts)."""
    from sparkcodes.models import SparkPost, TikTokSyncRun

    engine = create_engine(url)
    with engine.connect() as c:
        finished = c.execute(select(func.count()).where(
            TikTokSyncRun.finished_at.is_not(None))).scalar_one()
        open_ = c.execute(select(func.count()).where(
            TikTokSyncRun.finished_at.is_(None))).scalar_one()
        calls = c.execute(select(func.coalesce(func.sum(TikTokSyncRun.calls), 0))).scalar_one()
        live = c.execute(select(func.count()).select_from(SparkPost).where(
            SparkPost.source == "tiktok", SparkPost.unbound_at.is_(None))).scalar_one()
    engine.dispose()
    return int(finished), int(open_), int(calls), int(live)


def worker_env(url: str, args: argparse.Namespace) -> dict[str, str]:
    env = {**os.environ, "SPARKCODES_DATABASE_URL": url, "SPARKCODES_SECRET_KEY": OUR_SECRET,
           "SPARKCODES_ENV": "test", "SPARKCODES_EMBEDDED_WORKER": "false",
           "SPARKCODES_CONNECTOR__ALLOW_LOOPBACK_HTTP": "true",
           "SPARKCODES_CONNECTOR__APP_QPS": str(args.app_qps),
           "SPARKCODES_CONNECTOR__ADVERTISER_QPS": str(args.advertiser_qps),
           "SPARKCODES_CONNECTOR__THROTTLED_SECONDS": "5",
           # No scheduled sync in the middle of the timed ones.
           "SPARKCODES_CONNECTOR__SYNC_MINUTES": "1440"}
    if args.workers > 1:
        env["SPARKCODES_REDIS_URL"] = "redis://127.0.0.1:6379/0"
        env["SPARKCODES_LIMITER_KEY_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}"
    return env


def start_workers(url: str, args: argparse.Namespace, log: Path) -> list[subprocess.Popen[bytes]]:
    """The workers, idle and warmed up (imports done) before any sync is queued, so their CPU
    counts the syncs only."""
    workers = []
    with log.open("ab") as out:
        for _ in range(args.workers):
            workers.append(subprocess.Popen([str(BIN / "sparkcodes"), "worker", "--poll", "0.2"],
                                            env=worker_env(url, args), cwd=ROOT, stdout=out,
                                            stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 120
    while log.read_text(errors="replace").count("running;") < args.workers:
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not start")
        time.sleep(0.2)
    time.sleep(2)  # their first tick (the schedules) is behind them
    return workers


def timed_sync(label: str, url: str, args: argparse.Namespace, standin: subprocess.Popen[bytes],
               workers: list[subprocess.Popen[bytes]], expected_runs: int,
               queue: Any) -> dict[str, Any]:
    """Queue the syncs (``queue()``), wait until ``expected_runs`` more runs have finished."""
    finished0, _, calls0, _ = runs_state(url)
    s0 = _cpu_s(standin.pid)
    w0 = sum(_cpu_s(w.pid) for w in workers)
    t0 = time.perf_counter()
    queue()
    deadline = time.monotonic() + args.max_seconds
    while True:
        finished, open_, calls, live = runs_state(url)
        if finished - finished0 >= expected_runs and open_ == 0:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"{label}: not done after {args.max_seconds} s "
                             f"({finished - finished0} runs finished)")
        time.sleep(0.5)
    wall = time.perf_counter() - t0
    worker_cpu = sum(_cpu_s(w.pid) for w in workers) - w0
    standin_cpu = _cpu_s(standin.pid) - s0
    made = calls - calls0
    row = {"sync": label, "runs": expected_runs, "wall_s": round(wall, 1), "calls": made,
           "calls_per_s": round(made / wall, 2), "budget_app_qps": args.app_qps,
           "budget_share": round(made / wall / args.app_qps, 2),
           "standin_cpu_s": round(standin_cpu, 1), "workers_cpu_s": round(worker_cpu, 1),
           "standin_cpu_ms_per_call": round(standin_cpu * 1000 / max(made, 1), 1),
           "workers_cpu_ms_per_call": round(worker_cpu * 1000 / max(made, 1), 1),
           "live_mirrored_spark_posts": live, "loadavg": _loadavg()}
    print(json.dumps(row), flush=True)
    return row


def count_throttled(log: Path) -> int:
    text_ = log.read_text(errors="replace")
    return text_.count("retry 40100") + text_.count("retry 40133")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--advertisers", type=int, default=50)
    parser.add_argument("--posts", type=int, default=2000, help="Spark posts per advertiser")
    parser.add_argument("--ads", type=int, default=20, help="Spark ads per advertiser")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--app-qps", type=int, default=10)
    parser.add_argument("--advertiser-qps", type=int, default=10)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--max-seconds", type=int, default=3600, help="per sync")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON here")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="connector-bench-"))
    standin_url = f"sqlite:///{tmp / 'standin.db'}"
    our_url = f"sqlite:///{tmp / 'ours.db'}"
    log = tmp / "workers.log"
    server = None
    try:
        for url in (standin_url, our_url):
            _migrate(url)
        seeded = seed_standin(standin_url, args.advertisers, args.posts, args.ads)
        print(f"seeded the stand-in: {args.advertisers} × {args.posts} Spark posts, "
              f"{args.ads} ads each, in {seeded['seed_seconds']} s", flush=True)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "sparkcodes.app:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env={**os.environ, "SPARKCODES_DATABASE_URL": standin_url,
                 "SPARKCODES_SECRET_KEY": STANDIN_SECRET, "SPARKCODES_ENV": "test",
                 "SPARKCODES_EMBEDDED_WORKER": "false",
                 "SPARKCODES_TIKTOK__APP_QPS": str(args.app_qps),
                 "SPARKCODES_TIKTOK__ADVERTISER_QPS": str(args.advertiser_qps)}, cwd=ROOT)
        standin = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=standin) as http:
            for _ in range(300):
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
        workers = start_workers(our_url, args, log)
        n = args.advertisers
        made: list[str] = []
        try:
            rows = [timed_sync("full", our_url, args, server, workers, n, lambda: made.append(
                link(our_url, standin, seeded, args.app_qps, args.advertiser_qps)))]
            assert rows[0]["live_mirrored_spark_posts"] == n * args.posts, rows[0]
            rows.append(timed_sync("incremental, nothing changed", our_url, args, server,
                                   workers, n, lambda: queue_syncs(our_url, made[0])))
            assert rows[1]["live_mirrored_spark_posts"] == n * args.posts, rows[1]
            changed = change_standin(standin_url, seeded, args.changes)
            rows.append(timed_sync(f"incremental, {sum(changed.values())} changes", our_url,
                                   args, server, workers, n,
                                   lambda: queue_syncs(our_url, made[0])))
            assert rows[2]["live_mirrored_spark_posts"] == n * args.posts, rows[2]
            assert unbound_mirrored(our_url) == changed["unbound"]
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                try:
                    w.wait(timeout=30)
                except subprocess.TimeoutExpired:  # mid-job: a worker stops between jobs
                    w.kill()
                    w.wait(timeout=30)
        result = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                  "advertisers": n, "posts": args.posts, "ads": args.ads,
                  "workers": args.workers, "seed_seconds": seeded["seed_seconds"],
                  "throttle_retries_logged": count_throttled(log), "nproc": os.cpu_count(),
                  "rows": rows}
        print(json.dumps(result, indent=1))
        if args.out:
            args.out.write_text(json.dumps(result, indent=1) + "\n")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        for path in sorted(tmp.iterdir()):
            path.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
