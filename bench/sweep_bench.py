"""One pass of each sweep with many codes held and few due (issue 14: sweeps cost what is due).

    python bench/sweep_bench.py [--db sqlite|postgres|both] [--codes 1000000] [--due 1000]
                                [--requests N] [--out FILE]

Builds a fresh database (a temporary SQLite file, or a dedicated PostgreSQL database dropped at
the end), migrates it and seeds by bulk inserts through SQLAlchemy Core:

* --codes bound codes, each with its post, live Spark post and one enabled ad, over 100 ad
  accounts whose ad groups have a pause policy 48 h before a code ends. Of them, --due end
  within the next 40 hours with nothing told yet (a 72 h reminder due, and the fallback), a tenth
  of those a month ago with the expiry alert never sent (late, never dropped); every other code
  is held: ended in the past and told (reminded_end), ending 10 to 400 days ahead, deleted or
  unbound.
* --requests code requests and as many renewal requests (default: --codes): --due of each lapsed
  unanswered and not noticed (a tenth of them lapsed a month ago), the rest answered, withdrawn,
  noticed, or still open.

Then times one pass of each sweep, each in its own transaction committed as the worker commits
it: reminder.service.sweep, code_request / renewal expire_sweep and fallback.service.sweep; then a
second pass of each (everything due was told: it must find nothing, in the time of a look-up).
Goal: each first pass at most 1 s. Prints a table and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tracker_bench import Seeder, bench_database

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = 100
GOAL_S = 1.0
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def seed(url: str, codes: int, due: int, requests: int) -> dict[str, Any]:  # noqa: PLR0915
    from sparkcodes.models import (
        Ad,
        AdAccount,
        AdGroup,
        Authorization,
        Campaign,
        CodeRequest,
        Creator,
        FallbackPolicy,
        Post,
        RenewalRequest,
        SparkPost,
        new_id,
    )

    seeder = Seeder(url)
    rng = random.Random(14)
    now = seeder.now
    t0 = seeder.started
    brand_id, creator_user_id, business_id = (seeder.brand_id, seeder.creator_user_id,
                                              seeder.business_id)
    bulk = seeder.bulk

    accounts = [{"id": new_id(), "business_id": business_id, "name": f"Bench {i:03d}",
                 "timezone": "UTC"} for i in range(ACCOUNTS)]
    bulk(AdAccount, accounts)
    campaigns, groups, policies = [], [], []
    for a in accounts:
        cid, gid = new_id(), new_id()
        campaigns.append({"id": cid, "ad_account_id": a["id"], "name": "Bench",
                          "objective": "ENGAGEMENT", "budget_mode": "BUDGET_MODE_INFINITE",
                          "budget_micros": None, "created_by_id": brand_id,
                          "created_at": now - 60 * DAY})
        groups.append({"id": gid, "campaign_id": cid, "ad_account_id": a["id"],
                       "name": "Bench group", "budget_micros": 10**12, "bid_micros": 5_000_000,
                       "schedule_start_at": now - 60 * DAY, "schedule_end_at": None,
                       "created_by_id": brand_id, "created_at": now - 60 * DAY})
        policies.append({"id": new_id(), "ad_group_id": gid, "action": "pause",
                         "hours_before": 48, "backup_ad_id": None, "updated_by_id": brand_id,
                         "updated_at": now - 30 * DAY})
    bulk(Campaign, campaigns)
    bulk(AdGroup, groups)
    bulk(FallbackPolicy, policies)
    n_creators = max(1, codes // 100)
    creators = [{"id": new_id(), "owner_id": creator_user_id, "handle": f"bench.c{i:06d}",
                 "handle_key": f"bench.c{i:06d}", "display_name": f"Creator {i}", "region": "US",
                 "ad_settings_enabled_at": now - 400 * DAY,
                 "ad_terms_accepted_at": now - 400 * DAY} for i in range(n_creators)]
    bulk(Creator, creators)

    overdue = due // 10  # expired a month ago, alert never sent: late, never dropped
    code_ids: list[str] = []
    post_ids: list[str] = []
    for start in range(0, codes, 50_000):
        posts, auths, sparks, ads = [], [], [], []
        for i in range(start, min(codes, start + 50_000)):
            k = i % ACCOUNTS
            post_id, code_id, spark_id = new_id(), new_id(), new_id()
            creator_id = creators[i % n_creators]["id"]
            told = deleted = unbound = False
            if i < overdue:
                expires = now - 30 * DAY + rng.uniform(0, 3600) * timedelta(seconds=1)
            elif i < due:
                expires = now + HOUR + rng.uniform(0, 39) * HOUR
            else:
                roll = rng.random()
                if roll < 0.5:  # ended in the past and told
                    expires, told = now - rng.uniform(1, 700) * DAY, True
                elif roll < 0.9:  # far ahead
                    expires = now + rng.uniform(10, 400) * DAY
                else:  # deleted, or unbound (ended and told, or ending 10+ days ahead)
                    deleted, unbound = roll < 0.95, roll >= 0.95
                    expires = now + rng.choice([-1, 1]) * rng.uniform(10, 300) * DAY
                    told = unbound and expires < now
            starts = min(now - 10 * DAY, expires - 30 * DAY)
            posts.append({"id": post_id, "creator_id": creator_id, "kind": "video",
                          "caption": f"Bench post {i}", "sound": "original",
                          "visibility": "public", "published_at": now - 800 * DAY})
            auths.append({"id": code_id, "post_id": post_id, "code_hash": uuid.uuid4().hex * 2,
                          "code_hint": "ab12", "days": 30, "created_by_id": creator_user_id,
                          "starts_at": starts, "expires_at": expires,
                          "deleted_at": now - DAY if deleted else None,
                          "ad_account_id": accounts[k]["id"], "bound_at": starts,
                          "bound_by_id": brand_id, "created_at": starts,
                          "reminded_end": expires if told else None})
            sparks.append({"id": spark_id, "ad_account_id": accounts[k]["id"],
                           "post_id": post_id, "identity_type": "AUTH_CODE",
                           "authorization_id": code_id, "bound_by_id": brand_id,
                           "bound_at": starts, "unbound_at": now - DAY if unbound else None,
                           "unbound_by_id": brand_id if unbound else None})
            ads.append({"id": new_id(), "ad_group_id": groups[k]["id"],
                        "campaign_id": campaigns[k]["id"], "ad_account_id": accounts[k]["id"],
                        "spark_post_id": spark_id, "post_id": post_id, "post_revision": 1,
                        "identity_type": "AUTH_CODE", "creator_id": creator_id,
                        "name": f"Bench ad {i}", "call_to_action": "SHOP_NOW",
                        "landing_page_url": "https://bench.example/", "ads_only": False,
                        "created_by_id": brand_id, "created_at": starts})
            code_ids.append(code_id)
            post_ids.append(post_id)
        bulk(Post, posts)
        bulk(Authorization, auths)
        bulk(SparkPost, sparks)  # its triggers keep window_end_at and business_id
        bulk(Ad, ads)
        print(f"  {min(codes, start + 50_000):>9,} codes seeded "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)

    for model in (CodeRequest, RenewalRequest):
        for start in range(0, requests, 50_000):
            rows = []
            for i in range(start, min(requests, start + 50_000)):
                k = i % ACCOUNTS
                answer: dict[str, Any] = {}
                if i < due:  # lapsed unanswered, not noticed (a tenth a month ago)
                    lapsed = now - (30 * DAY if i < overdue else rng.uniform(1, 50) * HOUR)
                else:
                    roll = rng.random()
                    lapsed = now - rng.uniform(-10, 700) * DAY
                    if roll < 0.4:
                        answer = {"declined_at": lapsed - DAY, "decline_reason": "No"}
                    elif roll < 0.5:
                        answer = {"cancelled_at": lapsed - DAY}
                    elif roll < 0.6:
                        answer = ({"accepted_at": lapsed - DAY} if model is CodeRequest
                                  else {"approved_at": lapsed - DAY})
                    elif lapsed <= now:  # lapsed long ago and noticed then
                        answer = {"expiry_noticed_at": lapsed + 60 * timedelta(seconds=1)}
                common = {"id": new_id(), "ad_account_id": accounts[k]["id"], "days": 30,
                          "requested_by_id": brand_id, **answer}
                if model is CodeRequest:
                    rows.append({**common, "post_id": post_ids[i % codes], "fee_micros": None,
                                 "currency": "USD", "terms": "", "expires_at": lapsed,
                                 "created_at": lapsed - 7 * DAY})
                else:
                    rows.append({**common, "authorization_id": code_ids[i % codes],
                                 "message": "", "created_at": lapsed - 14 * DAY})
            bulk(model, rows)
        print(f"  {requests:>9,} {model.__tablename__} seeded "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)

    return {"seed_seconds": seeder.finish()}


def measure(url: str) -> list[dict[str, Any]]:
    from sparkcodes.code_request import service as code_request_service
    from sparkcodes.config import Settings
    from sparkcodes.db import Database
    from sparkcodes.fallback import service as fallback_service
    from sparkcodes.reminder import service as reminder_service
    from sparkcodes.renewal import service as renewal_service

    settings = Settings(database_url=url, secret_key="bench-secret", env="test",
                        embedded_worker=False)
    db = Database(settings)
    sweeps: list[tuple[str, Callable[..., int]]] = [
        ("reminder", lambda s, now: reminder_service.sweep(s, settings=settings, now=now)),
        ("code request notices", lambda s, now: code_request_service.expire_sweep(s, now=now)),
        ("renewal notices", lambda s, now: renewal_service.expire_sweep(s, now=now)),
        ("fallback", lambda s, now: fallback_service.sweep(s, settings=settings, now=now)),
    ]
    rows: list[dict[str, Any]] = []
    try:
        for label, sweep in sweeps:
            # A worker is a long-lived process: its connections are open and its statements
            # compiled. Warm this one alike with a pass that is rolled back (so the measured
            # first pass still finds everything due), timing it as the cold pass.
            t = time.perf_counter()
            session = db.session(write=True)
            try:
                sweep(session, datetime.now(UTC))
            finally:
                session.rollback()
                session.close()
            cold = time.perf_counter() - t
            rows.append({"sweep": label, "pass": "cold (rolled back)", "acted_on": None,
                         "seconds": round(cold, 3), "cpu_seconds": None, "goal_met": None})
            print(f"  {label:<22} cold pass (fresh process, rolled back): {cold:7.3f} s",
                  flush=True)
            for attempt in ("first", "second"):
                t = time.perf_counter()
                c0 = time.process_time()
                with db.unit_of_work() as s:
                    done = sweep(s, datetime.now(UTC))
                seconds = time.perf_counter() - t
                rows.append({"sweep": label, "pass": attempt, "acted_on": done,
                             "seconds": round(seconds, 3),
                             "cpu_seconds": round(time.process_time() - c0, 3),
                             "goal_met": seconds <= GOAL_S})
                print(f"  {label:<22} {attempt:<6} pass: {done:>5} acted on in "
                      f"{seconds:7.3f} s (goal <= {GOAL_S} s)", flush=True)
        # What the reminder pass queued: the alerts themselves, built by the tell jobs the
        # workers share (not part of the pass). Time 100 of them, one transaction each.
        from sqlalchemy import select

        from sparkcodes.models import Job
        with db.unit_of_work(write=False) as s:
            payloads = list(s.scalars(select(Job.payload).where(
                Job.name == reminder_service.TELL).limit(100)))
        t = time.perf_counter()
        for p in payloads:
            with db.unit_of_work() as s:
                reminder_service.tell(s, authorization_id=p["authorization_id"], kind=p["kind"],
                                      window_end=datetime.fromisoformat(p["window_end"]),
                                      now=datetime.now(UTC))
        per = (time.perf_counter() - t) / max(1, len(payloads))
        rows.append({"sweep": "reminder tell job (each)", "pass": "job", "acted_on": 1,
                     "seconds": round(per, 4), "cpu_seconds": None, "goal_met": None})
        print(f"  reminder tell job: {per * 1000:.1f} ms per alert ({len(payloads)} timed)",
              flush=True)
    finally:
        db.dispose()
    return rows


def run(db_name: str, args: argparse.Namespace) -> dict[str, Any]:
    with bench_database(db_name, prefix="sparkcodes-sweep-") as url:
        requests = args.codes if args.requests is None else args.requests
        print(f"[{db_name}] seeding {args.codes:,} codes and {requests:,} requests of each "
              f"kind, {args.due:,} due…", flush=True)
        seeded = seed(url, args.codes, args.due, requests)
        print(f"  seeded in {seeded['seed_seconds']} s", flush=True)
        return {"db": db_name, "codes": args.codes, "requests": requests, "due": args.due,
                **seeded, "rows": measure(url)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--codes", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    started = datetime.now(UTC)
    load = Path("/proc/loadavg").read_text().split()[:3]
    results = [run(name, args) for name in (["sqlite", "postgres"] if args.db == "both"
                                            else [args.db])]
    out = args.out or ROOT / "bench" / "results" / f"sweeps-{args.codes}-{started:%Y%m%d-%H%M}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "date": f"{started:%Y-%m-%d %H:%M} UTC", "loadavg_at_start": load,
        "loadavg_at_end": Path("/proc/loadavg").read_text().split()[:3],
        "cpus": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
        "results": results}, indent=2))
    print(f"\nresults written to {out}")


if __name__ == "__main__":
    main()
