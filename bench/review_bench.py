"""What the R30 review's reads cost a preview, in process: the two statements a post it made
before commit 60c11c4 (views from the rollups, then every scored comment's sentiment loaded and
counted in Python) against the one grouped statement of ``post.repository.organic_numbers``.

    python bench/review_bench.py [--db sqlite|postgres] [--comments 200] [--rounds 5]

Builds a fresh database (SQLite file, or ``sparkcodes_bench_<random>`` on 127.0.0.1, dropped at
the end), seeds 20 posts with ``--comments`` scored comments each (half positive, half negative)
through the JSON API, then times both ways for one post (the JSON preview) and for 20 (a batch
on the link page), alternating them round by round, and prints the CPU of this process per call
(median of the rounds) and the new ÷ old ratio. Both ways are checked to give the same numbers.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bind_bench import DEFAULT_PG, create_postgres, create_sqlite  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    p.add_argument("--pg-url", default=DEFAULT_PG)
    p.add_argument("--comments", type=int, default=200)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session
    from tests import factories as f

    from sparkcodes.app import create_app
    from sparkcodes.config import Settings
    from sparkcodes.migrations import upgrade
    from sparkcodes.models import EngagementDaily, EngagementEvent
    from sparkcodes.post import repository, rules

    db = (create_sqlite(Path(tempfile.mkdtemp(prefix="sparkcodes-review-"))) if args.db == "sqlite"
          else create_postgres(args.pg_url))
    try:
        upgrade(db.url)
        app = create_app(Settings(database_url=db.url, secret_key=secrets.token_urlsafe(32),
                                  env="test", sandbox=False))
        with TestClient(app) as client:
            w = f.World(client)
            posts = [w.post["id"]] + [f.post(client, w.creator_h, w.creator["id"])["id"]
                                      for _ in range(19)]
            texts = (["Love it, great video"] * (args.comments // 2)
                     + ["Awful, this is bad"] * (args.comments - args.comments // 2))
            for post_id in posts:
                batch = [{"event_id": uuid.uuid4().hex, "post_id": post_id, "type": "comment",
                          "comment_text": t} for t in texts]
                batch.append({"event_id": uuid.uuid4().hex, "post_id": post_id,
                              "type": "impression"})
                for i in range(0, len(batch), 500):
                    assert f.events(client, w.creator_h, batch[i:i + 500]).status_code == 200
        t = app.state.settings.review

        def before(session: Session, ids: list[str]) -> dict[str, Any]:
            out = {}
            for post_id in ids:
                views, watched = session.execute(
                    select(func.coalesce(func.sum(EngagementDaily.impressions), 0),
                           func.coalesce(func.sum(EngagementDaily.video_watched_15s), 0))
                    .where(EngagementDaily.post_id == post_id,
                           EngagementDaily.ad_key == "")).one()
                scores = [float(s) for s in session.scalars(
                    select(EngagementEvent.sentiment).where(
                        EngagementEvent.post_id == post_id, EngagementEvent.type == "comment",
                        EngagementEvent.sentiment.is_not(None))) if s is not None]
                out[post_id] = (int(views), int(watched), rules.tones(scores, t))
            return out

        def after(session: Session, ids: list[str]) -> dict[str, Any]:
            return repository.organic_numbers(session, ids, t)

        ways: dict[str, Callable[[Session, list[str]], dict[str, Any]]] = {
            "before": before, "after": after}
        print(f"{db.kind}, {args.comments} scored comments a post, CPU ms per call "
              f"(median of {args.rounds} rounds)")
        for size, calls in ((1, 200), (20, 20)):
            ids = posts[:size]
            with app.state.db.unit_of_work(write=False) as session:
                assert before(session, ids) == after(session, ids)
            spent: dict[str, list[float]] = {"before": [], "after": []}
            for _ in range(args.rounds):
                for name, way in ways.items():
                    with app.state.db.unit_of_work(write=False) as session:
                        start = time.process_time()
                        for _ in range(calls):
                            way(session, ids)
                        spent[name].append((time.process_time() - start) / calls * 1000)
            median = {k: sorted(v)[len(v) // 2] for k, v in spent.items()}
            rounds = ", ".join(f"{a:.2f}/{b:.2f}"
                               for a, b in zip(spent["before"], spent["after"], strict=True))
            print(f"  {size:>2} post(s): before {median['before']:.2f}, after "
                  f"{median['after']:.2f}, ratio {median['after'] / median['before']:.2f}  "
                  f"(rounds: {rounds})")
        app.state.db.engine.dispose()
    finally:
        db.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
