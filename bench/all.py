"""Every figure of issue 14 beside its goal and the ceilings measured in the same run.

    python bench/all.py [--quick] [--pg-url postgresql://postgres@127.0.0.1:5432/]
    make bench            # the same (QUICK=1 for --quick)

Runs, one after the other, the benches this folder already has, as functions:

1. overhead_bench: a minimal FastAPI app's ``async def`` route (the framework's ceiling) and
   sparkcodes ``GET /health``, server CPU per request from /proc;
2. pg_floor: pgbench replaying a bind as one SQL statement (the PostgreSQL floor);
3. bind_bench: preview and bind at 32 clients on PostgreSQL and SQLite, one server worker,
   server CPU per request and the server's peak RSS under the load;
4. tracker_bench: the tracker's first page (50 rows) for every filter and sort on SQLite and
   PostgreSQL, and the server's RSS during a CSV export of every row (SQLite);
5. sweep_bench: one pass of each sweep with many codes held and 1,000 due.

and prints one table: figure, measured, goal, met?, and the ratio to the ceiling where there is
one. The full size follows the goals (100,000 Spark posts on SQLite, 1,000,000 codes for sweeps,
which takes about an hour seeding on this machine); ``--quick`` shrinks every size for a run of a
few minutes, whose scale-dependent figures are then smaller than the goals' scale and say so.
Writes everything to bench/results/all-<date>.json. Talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import bind_bench  # noqa: E402
import overhead_bench  # noqa: E402
import pg_floor  # noqa: E402
import sweep_bench  # noqa: E402
import tracker_bench  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    overhead_requests: int
    floor_transactions: int  # per pgbench client (32 clients)
    bind_requests: int
    tracker_sqlite_posts: int
    tracker_postgres_posts: int
    tracker_repeats: int
    sweep_codes: int
    sweep_due: int
    seed_concurrency: int  # bind_bench seeds over HTTP


FULL = Sizes(overhead_requests=5_000, floor_transactions=150, bind_requests=1_500,
             tracker_sqlite_posts=100_000, tracker_postgres_posts=100_000, tracker_repeats=20,
             sweep_codes=1_000_000, sweep_due=1_000, seed_concurrency=16)
QUICK = Sizes(overhead_requests=1_500, floor_transactions=40, bind_requests=400,
              tracker_sqlite_posts=10_000, tracker_postgres_posts=10_000, tracker_repeats=8,
              sweep_codes=20_000, sweep_due=1_000, seed_concurrency=4)


@dataclass
class Figure:
    name: str
    measured: float | None
    unit: str
    goal: float | None
    higher_is_better: bool = False
    ceiling: str = ""  # a ratio to a ceiling or floor measured in the same run
    note: str = ""

    @property
    def met(self) -> str:
        if self.measured is None or self.goal is None:
            return "-"
        ok = (self.measured >= self.goal) if self.higher_is_better else (
            self.measured <= self.goal)
        return "yes" if ok else "NO"

    def row(self) -> list[str]:
        value = "n/a" if self.measured is None else f"{_number(self.measured)} {self.unit}"
        if self.goal is None:
            goal = ""
        else:
            goal = f"{'>=' if self.higher_is_better else '<='} {self.goal:,g} {self.unit}"
        return [self.name, value, goal, self.met, self.ceiling, self.note]


def _number(value: float) -> str:
    """Three significant digits, never in exponent form."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def overhead(sizes: Sizes, tmp: Path) -> list[Figure]:
    out = tmp / "overhead.json"
    overhead_bench.main(["--requests", str(sizes.overhead_requests), "--rounds", "1",
                         "--out", str(out)])
    summary = _read(out)["summary"]
    ceiling = summary["minimal async def"]["cpu_ms_per_request"]
    health = summary["sparkcodes GET /health"]["cpu_ms_per_request"]
    return [
        Figure("ceiling: minimal async route, server CPU", ceiling, "ms", None),
        Figure("GET /health, server CPU per request", health, "ms", 0.2,
               ceiling=f"{health / ceiling:.1f}x ceiling"),
    ]


def floor(sizes: Sizes, pg_url: str, tmp: Path) -> float:
    out = tmp / "floor.json"
    pg_floor.main(["--pg-url", pg_url, "--scripts", "one-statement",
                   "--transactions-per-client", str(sizes.floor_transactions),
                   "--out", str(out)])
    return float(_read(out)["results"][0]["tps"])


def binds(sizes: Sizes, pg_url: str, floor_tps: float | None, tmp: Path) -> list[Figure]:
    out = tmp / "bind.json"
    bind_bench.main(["--db", "both", "--workers", "1", "--requests", str(sizes.bind_requests),
                     "--warmup", str(min(200, sizes.bind_requests // 4)),
                     "--seed-concurrency", str(sizes.seed_concurrency),
                     "--scenarios", "preview,bind", "--pg-url", pg_url, "--out", str(out)])
    got = {(c["db"], r["scenario"]): r for c in _read(out)["configs"] for r in c["results"]}
    pg_bind, pg_preview = got[("postgres", "bind")], got[("postgres", "preview")]
    lite_bind = got[("sqlite", "bind")]
    ratio = f"{pg_bind['rps'] / floor_tps:.2f}x floor (goal >= 0.65)" if floor_tps else ""
    figures = [
        Figure("floor: pgbench one-statement bind", floor_tps, "/s", None),
        Figure("bind on PostgreSQL, 32 clients", pg_bind["rps"], "/s", 1000,
               higher_is_better=True, ceiling=ratio),
        Figure("bind on PostgreSQL, p99", pg_bind["p99_ms"], "ms", 50),
        Figure("bind, server CPU per request", pg_bind["server_cpu_ms_per_request"], "ms",
               1.5),
        Figure("preview on PostgreSQL", pg_preview["rps"], "/s", 2000, higher_is_better=True),
        Figure("preview, server CPU per request", pg_preview["server_cpu_ms_per_request"], "ms",
               0.8),
        Figure("SQLite, 32 concurrent binders, p99", lite_bind["p99_ms"], "ms", 250),
        Figure("API RSS under bind load (PostgreSQL)", pg_bind.get("server_rss_peak_mb"), "MB",
               250),
    ]
    errors = sum(r["errors"] for r in got.values())
    if errors:
        figures[1].note = f"{errors} failed requests"
    return figures


def tracker(sizes: Sizes, db: str, posts: int, goal_ms: float, *, csv: bool,
            full_scale: int) -> tuple[list[Figure], dict[str, Any]]:
    args = argparse.Namespace(db=db, posts=posts, accounts=min(1_000, max(10, posts // 100)),
                              live=min(1_000, posts // 10), repeats=sizes.tracker_repeats,
                              http=True, csv=csv)
    result = tracker_bench.run(args)
    http = [r for r in result["rows"] if r["via"] == "http" and "p99_ms" in r]
    scale = "" if posts >= full_scale else f"at {posts:,} (goal's scale {full_scale:,})"
    figures = [Figure(f"tracker {db} {posts:,}: {r['case']}, p99", r["p99_ms"], "ms", goal_ms,
                      ceiling=f"server CPU {r['server_cpu_ms']} ms", note=scale) for r in http]
    export = next((r for r in result["rows"] if r["case"].startswith("CSV")), None)
    if export is not None:
        figures.append(Figure(f"API RSS during CSV export of {posts:,} rows",
                              export["server_rss_peak_mb"], "MB", 250,
                              note=f"{export['seconds']} s, first byte "
                                   f"{export['first_byte_ms']} ms; goal's scale 1,000,000"))
    return figures, result


def sweeps(sizes: Sizes, db: str) -> tuple[list[Figure], dict[str, Any]]:
    args = argparse.Namespace(codes=sizes.sweep_codes, due=sizes.sweep_due, requests=None)
    result = sweep_bench.run(db, args)
    scale = "" if sizes.sweep_codes >= 1_000_000 else \
        f"{sizes.sweep_codes:,} held (goal's scale 1,000,000)"
    figures = [Figure(f"sweep {db}: {r['sweep']}, first pass", r["seconds"], "s",
                      sweep_bench.GOAL_S, note=f"{r['acted_on']} acted on; {scale}")
               for r in result["rows"] if r["pass"] == "first"]
    return figures, result


def guarded(part: str, run: Callable[[], list[Figure]]) -> list[Figure]:
    """One part's figures; a part that fails is reported in the table, and the others run."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - any failure of one bench, reported as such
        traceback.print_exc()
        return [Figure(f"{part}: did not finish", None, "", None,
                       note=f"{type(exc).__name__}: {str(exc)[:80]}")]


def table(figures: list[Figure]) -> str:
    head = ["figure", "measured", "goal", "met?", "against the ceiling", "note"]
    rows = [head, *(f.row() for f in figures)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    p.add_argument("--pg-url", default=bind_bench.DEFAULT_PG)
    p.add_argument("--only", default="overhead,floor,bind,tracker,sweeps",
                   help="comma-separated parts to run")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    parts = {s.strip() for s in args.only.split(",")}
    started = datetime.now(UTC)
    load0 = Path("/proc/loadavg").read_text().split()[:3]
    t0 = time.perf_counter()
    figures: list[Figure] = []
    raw: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="sparkcodes-all-") as tmp_name:
        tmp = Path(tmp_name)
        if "overhead" in parts:
            figures += guarded("overhead", lambda: overhead(sizes, tmp))
        floor_tps: float | None = None
        if "floor" in parts:
            try:
                floor_tps = floor(sizes, args.pg_url, tmp)
            except Exception:  # noqa: BLE001 - the bind figures are then without their floor
                traceback.print_exc()
        if "bind" in parts:
            figures += guarded("bind", lambda: binds(sizes, args.pg_url, floor_tps, tmp))
        elif floor_tps is not None:
            figures.append(Figure("floor: pgbench one-statement bind", floor_tps, "/s", None))
        if "tracker" in parts:
            for db, posts, goal, csv in (("sqlite", sizes.tracker_sqlite_posts, 150, True),
                                         ("postgres", sizes.tracker_postgres_posts, 50, False)):
                def run_tracker(db: str = db, posts: int = posts, goal: float = goal,
                                csv: bool = csv) -> list[Figure]:
                    found, raw[f"tracker_{db}"] = tracker(
                        sizes, db, posts, goal, csv=csv,
                        full_scale=100_000 if db == "sqlite" else 1_000_000)
                    return found
                figures += guarded(f"tracker {db}", run_tracker)
        if "sweeps" in parts:
            for db in ("sqlite", "postgres"):
                def run_sweeps(db: str = db) -> list[Figure]:
                    found, raw[f"sweeps_{db}"] = sweeps(sizes, db)
                    return found
                figures += guarded(f"sweeps {db}", run_sweeps)
    load1 = Path("/proc/loadavg").read_text().split()[:3]
    info = bind_bench.machine_info()
    print(f"\n{started:%Y-%m-%d %H:%M} UTC, {info['nproc']} CPU ({info['cpu_model']}), "
          f"{'quick' if args.quick else 'full'} sizes, {time.perf_counter() - t0:.0f} s; "
          f"load average {'/'.join(load0)} at the start, {'/'.join(load1)} at the end\n")
    print(table(figures))
    met = sum(f.met == "yes" for f in figures)
    judged = sum(f.met != "-" for f in figures)
    print(f"\n{met} of {judged} goals met in this run.")
    out = args.out or BENCH / "results" / f"all-{started:%Y%m%d-%H%M}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "date": f"{started:%Y-%m-%d %H:%M} UTC", "quick": args.quick, "machine": info,
        "loadavg_start": load0, "loadavg_end": load1,
        "figures": [f.__dict__ | {"met": f.met} for f in figures], "raw": raw},
        indent=2, default=str))
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
