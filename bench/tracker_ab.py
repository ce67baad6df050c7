"""Tracker first pages over HTTP, this tree against another revision, requests alternating.

    python bench/tracker_ab.py --url URL --ref REV [--repeats 20] [--case days_left ...]

Starts two servers on a database seeded earlier (``tracker_bench.py``'s seed, kept with
``--url``): one running this tree, one running --ref (checked out in a temporary git worktree),
both migrated to this tree's head. Each request of each case goes to one server then the other,
so both are read under the same load, and each server's CPU per request is read from /proc.
Prints p50 / p99 wall ms and mean server CPU ms of each, and their ratio. Only talks to
127.0.0.1; removes its worktree and stops its servers.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tracker_bench  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _summary(wall: list[float], cpu: list[float]) -> tuple[float, float, float]:
    p50, p99 = tracker_bench._pct(wall)
    return p50, p99, round(statistics.mean(cpu), 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True, help="a database seeded by tracker_bench.py")
    p.add_argument("--ref", required=True, help="the revision to compare with")
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--case", action="append", default=None,
                   help="only this case of tracker_bench.CASES (by label); repeatable")
    args = p.parse_args()
    ids = tracker_bench.kept(args.url)
    cases = [(label, raw) for label, raw in tracker_bench.CASES
             if args.case is None or label in args.case]
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "ref"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                        args.ref], check=True, capture_output=True)
        try:
            with tracker_bench.server(args.url, tree / "src") as (ref_proc, ref), \
                    tracker_bench.server(args.url, ROOT / "src") as (new_proc, new):
                path = f"/v1/businesses/{ids['business_id']}/tracker"
                print(f"{'case':<28} {args.ref[:10]:>24} {'this tree':>24}   ratio (CPU)")
                for label, raw in cases:
                    params = {**tracker_bench._params(raw, ids), "limit": tracker_bench.PER_PAGE}
                    seen: dict[str, tuple[list[float], list[float]]] = {
                        "ref": ([], []), "new": ([], [])}
                    for _ in range(2):  # warm both
                        ref.get(path, params=params)
                        new.get(path, params=params)
                    for _ in range(args.repeats):
                        for name, proc, http in (("ref", ref_proc, ref), ("new", new_proc, new)):
                            c0 = tracker_bench._cpu_ms(proc.pid)
                            t = time.perf_counter()
                            r = http.get(path, params=params)
                            seen[name][0].append((time.perf_counter() - t) * 1000)
                            seen[name][1].append(tracker_bench._cpu_ms(proc.pid) - c0)
                            assert r.status_code == 200, r.text
                    a, b = _summary(*seen["ref"]), _summary(*seen["new"])
                    ratio = b[2] / a[2] if a[2] else float("nan")
                    print(f"{label:<28} {a[0]:>7} / {a[1]:>7} ({a[2]:>5}) "
                          f"{b[0]:>7} / {b[1]:>7} ({b[2]:>5})   {ratio:.2f}", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)


if __name__ == "__main__":
    main()
