"""A tracker status page in its two parts, the page's rows and the count, before and after a change.

    python bench/status_filter_bench.py --url URL [--business ID] [--repeats 9] [--rounds 2]
                                        [--ref REV]

Times, in this process, for a few status filters and sorts: ``tracker.repository.keys`` (the
first page of 50 rows with the status) and ``count_status_among`` (the matches among the first
2,000 rows), median wall and CPU ms of --repeats calls each. With --ref, the same measurements
run alternately on the working tree and on REV's ``src`` (checked out into a temporary
worktree), --rounds times each, so both are read under the same load.

The database is one kept from ``tracker_bench.seed`` (seeding 1,000,000 rows takes ~10 min):

    python -c "import sys; sys.path.insert(0, 'bench'); import tracker_bench as t; \\
        from sparkcodes.migrations import upgrade; u='postgresql+psycopg://…/db'; upgrade(u); \\
        print(t.seed(u, 1_000_000, 1000, 1000))"

--business defaults to the business holding the most Spark posts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES = [("AUTHORIZED", "expiry"), ("POST_UNAVAILABLE", "expiry"),
         ("AUTHORIZATION_EXPIRED", "-expiry"), ("AUTHORIZED", "creator")]


def _median(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return round(statistics.median(walls), 1), round(statistics.median(cpus), 1)


def measure(url: str, business_id: str | None, repeats: int) -> list[dict[str, Any]]:
    """The measurements of the code importable here (this worktree's, or PYTHONPATH's)."""
    from sqlalchemy import func, select

    from sparkcodes.config import Settings
    from sparkcodes.db import Database
    from sparkcodes.kit.clock import utc_now
    from sparkcodes.models import Business, SparkPost
    from sparkcodes.tracker import repository, service

    db = Database(Settings(database_url=url, secret_key="bench-secret", env="test",
                           embedded_worker=False))
    rows = []
    try:
        with db.unit_of_work(write=False) as s:
            business_id = business_id or s.execute(
                select(SparkPost.business_id).group_by(SparkPost.business_id)
                .order_by(func.count().desc()).limit(1)).scalar_one()
        for status, sort in CASES:
            with db.unit_of_work(write=False) as s:
                business = s.get(Business, business_id)
                assert business is not None, business_id
                now = utc_now()
                q = service.query(status=[status], sort=sort)
                f = service._filters(s, business, q)
                assert f is not None
                page = _median(partial(repository.keys, s, f, now, sort=q.sort,
                                       descending=q.descending, offset=0, limit=50), repeats)
                counted = _median(partial(repository.count_status_among, s, f, now,
                                          examine=service.STATUS_EXAMINE), repeats)
                rows.append({"status": status, "sort": sort, "page_ms": page[0],
                             "page_cpu_ms": page[1], "count_ms": counted[0],
                             "count_cpu_ms": counted[1]})
    finally:
        db.engine.dispose()
    return rows


def _run(src: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    env = dict(os.environ, PYTHONPATH=str(src))
    out = subprocess.run([sys.executable, __file__, "--url", args.url, "--repeats",
                          str(args.repeats), "--json"]
                         + (["--business", args.business] if args.business else []),
                         env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True, help="a database seeded by tracker_bench.seed")
    p.add_argument("--business", default=None)
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--ref", default=None, help="also measure this revision, alternately")
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.json:
        print(json.dumps(measure(args.url, args.business, args.repeats)))
        return
    print(f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
          f"{os.cpu_count()} CPU, load {os.getloadavg()[0]:.2f}; {args.url.split('@')[-1]}")
    with tempfile.TemporaryDirectory(prefix="status-bench-") as tmp:
        sources = [("working tree", ROOT / "src")]
        if args.ref:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", tmp, args.ref],
                           check=True, capture_output=True)
            sources.insert(0, (args.ref, Path(tmp) / "src"))
        try:
            for round_ in range(args.rounds):
                for label, src in sources:
                    print(f"\n-- {label}, round {round_ + 1} (load {os.getloadavg()[0]:.2f})")
                    print(f"{'status':24} {'sort':9} {'page ms (cpu)':>15} {'count ms (cpu)':>15}")
                    for r in _run(src, args):
                        print(f"{r['status']:24} {r['sort']:9} "
                              f"{r['page_ms']:>7} ({r['page_cpu_ms']:>5}) "
                              f"{r['count_ms']:>7} ({r['count_cpu_ms']:>5})")
        finally:
            if args.ref:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", tmp],
                               check=False, capture_output=True)


if __name__ == "__main__":
    main()
