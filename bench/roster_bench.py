"""The roster and overview pages with many Spark posts in one business (issue 14: pages that
read the tracker).

    python bench/roster_bench.py [--db sqlite|postgres] [--posts 20000] [--accounts 100]
                                 [--entries 50] [--contracts 100] [--repeats 10] [--url URL]

Seeds one business like ``tracker_bench`` (--posts Spark posts over --accounts ad accounts, a
creator per 50 posts), puts --entries creators on its roster and records --contracts contracts
with other creators (each running past the creator's codes, so the tracker flags them), then
renders ``GET /businesses/{id}/roster`` --repeats times in this process through the ASGI app
(signed in through the login form), timing each page and the process's CPU. With --url it
measures a database seeded before (by an earlier run with --keep), so two versions of the code
can be timed on the same rows: ``PYTHONPATH=<other checkout>/src python bench/roster_bench.py
--url ...``. Only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tracker_bench import seed  # noqa: E402

HTML = {"accept": "text/html"}


def _people(url: str, entries: int, contracts: int) -> str:
    """Roster entries and contracts on the seeded business; returns its id."""
    from sparkcodes.config import Settings
    from sparkcodes.contract import service as contract_service
    from sparkcodes.db import Database
    from sparkcodes.models import Business, Creator, User
    from sparkcodes.roster import service as roster_service

    db = Database(Settings(database_url=url, secret_key="bench-secret", env="test",
                           embedded_worker=False))
    try:
        with db.unit_of_work() as s:
            business = s.scalars(select(Business).where(Business.name == "Bench brand")).one()
            brand = s.scalars(select(User).where(User.email == "brand@bench.local")).one()
            creators = list(s.scalars(select(Creator).order_by(Creator.handle_key)
                                      .limit(entries + contracts)))
            now = datetime.now(UTC)
            for c in creators[:entries]:
                roster_service.add(s, user=brand, business=business, creator_id=c.id,
                                   handle=None, status="active", rate_micros=100_000_000,
                                   currency="USD", notes="")
            for c in creators[entries:entries + contracts]:
                contract_service.create(s, user=brand, business=business, creator_id=c.id,
                                        post_id=None, starts_at=now - timedelta(days=30),
                                        ends_at=now + timedelta(days=365), fee_micros=None,
                                        notes="")
            return business.id
    finally:
        db.dispose()


PAGES = ("roster", "overview")


def measure(url: str, business_id: str, repeats: int) -> dict[str, Any]:
    """Per page: median wall and CPU ms over ``repeats`` renders, after one to warm up."""
    from fastapi.testclient import TestClient

    from sparkcodes.app import create_app
    from sparkcodes.config import Settings

    app = create_app(Settings(database_url=url, secret_key="bench-secret", env="test",
                              embedded_worker=False))
    out: dict[str, Any] = {}
    with TestClient(app) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/login", headers=HTML).text)
        assert token, "no CSRF field on the login page"
        r = client.post("/login", data={"email": "brand@bench.local", "password": "benchmark!",
                                         "csrf_token": token.group(1)},
                        headers=HTML, follow_redirects=False)
        assert r.status_code == 303, r.text
        for name in PAGES:
            wall, cpu = [], []
            for _ in range(repeats + 1):
                c0, t0 = time.process_time(), time.perf_counter()
                page = client.get(f"/businesses/{business_id}/{name}", headers=HTML)
                wall.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert page.status_code == 200, page.text[:500]
            wall, cpu = wall[1:], cpu[1:]  # the first page warms the templates and the pool
            out[name] = {"pages": repeats, "wall_p50_ms": round(statistics.median(wall), 1),
                         "wall_max_ms": round(max(wall), 1),
                         "cpu_p50_ms": round(statistics.median(cpu), 1),
                         "bytes": len(page.content)}
            if name == "roster":
                out[name]["flagged_contracts"] = page.text.count(
                    'class="roster-card contract-flagged"')
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--live", type=int, default=1_000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--contracts", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--url", help="measure this database, seeded by an earlier --keep run")
    parser.add_argument("--keep", action="store_true",
                        help="seed a SQLite file that outlives the run and print its URL")
    args = parser.parse_args()
    if args.url:
        from sparkcodes.models import Business  # noqa: F401  (the models load before the app)

        business_id = json.loads(Path(args.url.removeprefix("sqlite:///") + ".json")
                                 .read_text())["business_id"]
        print(json.dumps(measure(args.url, business_id, args.repeats)))
        return
    if args.db == "postgres" or not args.keep:
        from tracker_bench import bench_database

        with bench_database(args.db, prefix="sparkcodes-roster-") as url:
            print(f"seeding {args.posts:,} Spark posts ...", flush=True)
            seeded = seed(url, args.posts, args.accounts, args.live)
            business_id = _people(url, args.entries, args.contracts)
            print(json.dumps({**measure(url, business_id, args.repeats),
                              "posts": args.posts, "seed_seconds": seeded["seed_seconds"]}))
        return
    from sparkcodes.migrations import upgrade

    url = f"sqlite:///{tempfile.mkdtemp(prefix='sparkcodes-roster-')}/bench.db"
    upgrade(url)
    print(f"seeding {args.posts:,} Spark posts into {url} ...", flush=True)
    seed(url, args.posts, args.accounts, args.live)
    business_id = _people(url, args.entries, args.contracts)
    Path(url.removeprefix("sqlite:///") + ".json").write_text(
        json.dumps({"business_id": business_id}))
    print(json.dumps(measure(url, business_id, args.repeats)))
    print(f"kept: {url}")


if __name__ == "__main__":
    main()
