"""TikTok surface vs /v1: the same operation through /open_api/v1.3 and through /v1, one server.

    python bench/tiktok_bench.py [--db sqlite|postgres|both] [--concurrency 8,32] [--rounds 4]
                                 [--requests 250] [--pairs bind,report_ad_day,report_account_total]
                                 [--no-throttle-demo] [--profile] [--ref REF]
    python bench/tiktok_bench.py --compare bench/results/tiktok-profile-<stamp>-<db>.json

Issue: "the tt_video/authorize and report/integrated/get throughput beside the /v1 bind and report
on the same server; the surface adds at most 15 % to the /v1 cost of the same operation".

For each database it:

1. creates a fresh database (bind_bench.py's helpers: a SQLite file, or ``sparkcodes_bench_<hex>``
   on 127.0.0.1:5432, dropped at the end) and migrates it;
2. for the report pairs, seeds report_bench.py's world in a subprocess (one ad account, 20 Spark
   Ads, ``--report-events`` engagement events over ``--report-days`` days, through the ingestion
   service) so both surfaces read the same rollup rows;
3. starts ONE uvicorn server (``--workers``, default 1) with the TikTok QPS limits lifted
   (``SPARKCODES_TIKTOK__APP_QPS`` / ``__ADVERTISER_QPS`` = 100000);
4. seeds bind_bench.py's world over HTTP: one distinct, never-bound code per (post, ad account),
   enough for every bind request of both surfaces;
5. checks that each report pair answers the same rows and the same totals;
6. for each concurrency, runs ``--rounds`` rounds; a round runs, for every pair, the /v1 and the
   TikTok scenario back to back (A B in even rounds, B A in odd ones) so drift and other people's
   load hit both alike. Each scenario run is one load-generator process (bench/loadgen.py,
   closed-loop keep-alive clients) with ``--warmup`` + ``--requests`` requests. Server CPU is
   utime+stime of the server's processes (/proc/<pid>/stat) over the run, per request sent;
7. reports, per pair, requests/s, p50, p99, CPU ms per request of each side (medians over the
   rounds) and the ratio TikTok/v1 of server CPU per request, taken within each round, as a
   median with its spread, against the 1.15 goal;
8. optionally (default on) restarts the server with the default QPS limits and sends a burst of
   tt_video/authorize requests, counting the 40100/40133 answers as "throttled".

Pairs (same ad account, same token, same rows):

* ``bind``: ``POST /v1/ad-accounts/{id}/spark-posts {"codes": [code]}`` (Bearer) vs
  ``POST /open_api/v1.3/tt_video/authorize/ {"advertiser_id", "auth_code"}`` (Access-Token),
  each request with a fresh code;
* ``report_ad_day``: one ad, per day over ``--report-days`` days;
* ``report_account_total``: the ad account, one total row over the same days.

The report pairs are skipped (and said so) while the server has no report/integrated/get/.
Only 127.0.0.1 is contacted; every loop is bounded in count and time; the server, the load
generator and the databases are removed at the end, also on Ctrl-C or error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bind_bench as bb  # noqa: E402  (re-runs this script under .venv when needed)
import httpx  # noqa: E402

BENCH_DIR = bb.BENCH_DIR
ROOT = bb.ROOT
RESULTS_DIR = bb.RESULTS_DIR
HOST = bb.HOST
TT = "/open_api/v1.3"
GOAL = 1.15
QPS_OFF = {"SPARKCODES_TIKTOK__APP_QPS": "100000", "SPARKCODES_TIKTOK__ADVERTISER_QPS": "100000"}
TT_OK = '"code":0,"message":"OK"'
THROTTLE_CODES = (40100, 40133)

# pair -> (/v1 scenario, TikTok scenario)
PAIRS: dict[str, tuple[str, str]] = {
    "bind": ("v1_bind", "tt_authorize"),
    "report_ad_day": ("v1_report_ad_day", "tt_report_ad_day"),
    "report_account_total": ("v1_report_account_total", "tt_report_account_total"),
}
# The TikTok report is asked for every metric /v1/reports answers that TikTok has a name for
# (all but completion_rate), so both sides compute and render the same numbers.
METRICS = ["spend", "impressions", "cpm", "likes", "comments", "shares", "follows",
           "profile_visits", "profile_visits_rate", "clicks_on_music_disc", "engagement_rate",
           "video_watched_2s", "video_watched_6s", "engaged_view_15s", "video_views_p100"]


# --------------------------------------------------------------------------------------------
# Worlds


def start_server(db_url: str, workers: int, tmp: Path, env: dict[str, str],
                 secret: str) -> bb.Server:
    """bind_bench.Server with a secret key of our choosing (it draws a random one): the throttle
    demo's second server must accept the tokens and codes seeded through the first."""
    real = bb.secrets
    bb.secrets = types.SimpleNamespace(token_urlsafe=lambda n=None: secret,
                                       token_hex=real.token_hex)
    try:
        return bb.Server(db_url, workers, tmp, env)
    finally:
        bb.secrets = real


def db_rows(url: str, sql: str) -> list[tuple]:
    """Rows of one SQL query on the benchmark database (127.0.0.1 or a local SQLite file)."""
    if url.startswith("sqlite:///"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(url[len("sqlite:///"):])) as conn:
            return list(conn.execute(sql).fetchall())
    import psycopg

    bb._check_local(url)
    with psycopg.connect(url, connect_timeout=10) as conn:
        return list(conn.execute(sql).fetchall())


def seed_reports(db_url: str, env: dict[str, str], tmp: Path, events: int, days: int,
                 timeout: float) -> dict:
    """report_bench.seed_and_ingest in a subprocess running the measured source tree."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import report_bench; "
            "ids = report_bench.seed_and_ingest(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]));"
            " print('IDS ' + json.dumps(ids))")
    done = subprocess.run([sys.executable, "-c", code, str(BENCH_DIR), db_url, str(events),
                           str(days)], env=env, cwd=tmp, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"report seeding failed:\n{done.stderr[-3000:]}")
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("IDS ")][-1]
    return json.loads(line[4:])


class World:
    """What the scenarios need: codes with their account, tokens, TikTok ids, report ids."""

    def __init__(self, seed: bb.Seed, tiktok_ids: dict[str, int]) -> None:
        self.seed = seed
        self.tokens = dict(seed.accounts)
        self.tiktok_ids = tiktok_ids
        self.codes = list(seed.codes)
        self.next_code = 0
        self.report: dict | None = None  # ids, token, tiktok ids, dates

    def take_codes(self, n: int) -> list[tuple[str, str]]:
        if self.next_code + n > len(self.codes):
            raise RuntimeError("not enough seeded codes (a bug in the code budget)")
        out = self.codes[self.next_code:self.next_code + n]
        self.next_code += n
        return out


def v1_bind(world: World, code: str, account_id: str) -> list:
    return ["POST", f"/v1/ad-accounts/{account_id}/spark-posts",
            {"Authorization": f"Bearer {world.tokens[account_id]}"}, json.dumps({"codes": [code]})]


def tt_authorize(world: World, code: str, account_id: str) -> list:
    return ["POST", f"{TT}/tt_video/authorize/", {"Access-Token": world.tokens[account_id]},
            json.dumps({"advertiser_id": str(world.tiktok_ids[account_id]), "auth_code": code})]


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def report_request(world: World, scenario: str) -> list:
    r = world.report
    assert r is not None
    if scenario.startswith("v1_"):
        level, obj, gran = (("ad", r["ad_id"], "day") if scenario == "v1_report_ad_day"
                            else ("ad_account", r["account_id"], "total"))
        q = _query({"level": level, "id": obj, "granularity": gran, "start_date": r["start"],
                    "end_date": r["end"]})
        return ["GET", f"/v1/reports?{q}", {"Authorization": f"Bearer {r['token']}"}, None]
    common = {"advertiser_id": str(r["advertiser_id"]), "report_type": "BASIC",
              "metrics": json.dumps(METRICS), "start_date": r["start"], "end_date": r["end"]}
    if scenario == "tt_report_ad_day":
        params = {**common, "data_level": "AUCTION_AD",
                  "dimensions": json.dumps(["ad_id", "stat_time_day"]),
                  "filtering": json.dumps([{"field_name": "ad_ids", "filter_type": "IN",
                                            "filter_value": json.dumps([str(r["ad_tiktok_id"])])}]),
                  "page_size": "1000"}
    else:
        params = {**common, "data_level": "AUCTION_ADVERTISER",
                  "dimensions": json.dumps(["advertiser_id"])}
    return ["GET", f"{TT}/report/integrated/get/?{_query(params)}", {"Access-Token": r["token"]},
            None]


def scenario_requests(world: World, scenario: str, n: int) -> tuple[list[list], str]:
    if scenario in ("v1_bind", "tt_authorize"):
        make = v1_bind if scenario == "v1_bind" else tt_authorize
        return ([make(world, code, acct) for code, acct in world.take_codes(n)],
                '"bound":1' if scenario == "v1_bind" else TT_OK)
    one = report_request(world, scenario)
    return [one] * n, ('"rows":[' if scenario.startswith("v1_") else TT_OK)


def fetch_json(base: str, req: list) -> tuple[int, Any]:
    method, path, headers, body = req
    if body:
        headers = {**headers, "Content-Type": "application/json"}
    r = httpx.request(method, base + path, headers=headers,
                      content=body.encode() if body else None, timeout=30)
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, r.text


def check_report_equivalence(base: str, world: World) -> dict:
    """Both report forms answer the same rows: the same days and the same counts."""
    out: dict[str, Any] = {}
    for pair in ("report_ad_day", "report_account_total"):
        v1_name, tt_name = PAIRS[pair]
        s1, v1 = fetch_json(base, report_request(world, v1_name))
        s2, tt = fetch_json(base, report_request(world, tt_name))
        if s1 != 200 or not isinstance(tt, dict) or tt.get("code") != 0:
            raise RuntimeError(f"{pair}: /v1 answered {s1} {str(v1)[:300]}; TikTok answered "
                               f"{s2} {str(tt)[:500]}")
        v1_rows = v1["rows"]
        tt_rows = tt["data"].get("list", [])
        v1_imp = sum(int(row["metrics"].get("impressions") or 0) for row in v1_rows)
        tt_imp = sum(int(float(row.get("metrics", {}).get("impressions") or 0)) for row in tt_rows)
        same = len(v1_rows) == len(tt_rows) and v1_imp == tt_imp
        out[pair] = {"v1_rows": len(v1_rows), "tt_rows": len(tt_rows), "v1_impressions": v1_imp,
                     "tt_impressions": tt_imp, "same": same,
                     "v1_bytes": len(json.dumps(v1)), "tt_bytes": len(json.dumps(tt))}
        print(f"   {pair}: /v1 {len(v1_rows)} rows, {v1_imp} impressions; TikTok "
              f"{len(tt_rows)} rows, {tt_imp} impressions -> {'same' if same else 'DIFFERENT'}",
              flush=True)
    return out


def report_surface_present(base: str, token: str) -> bool:
    """False while report/integrated/get/ is not served (the fallback answers 40008)."""
    _, body = fetch_json(base, ["GET", f"{TT}/report/integrated/get/", {"Access-Token": token},
                                None])
    return not (isinstance(body, dict) and body.get("code") == 40008)


# --------------------------------------------------------------------------------------------
# One measured scenario run


def throttled_in(result: dict) -> int:
    """How many refused 2xx answers were QPS refusals (from the load generator's samples)."""
    samples = result.get("sample_failures", [])
    if not result.get("refused_2xx"):
        return 0
    if samples and all(any(f'"code":{c}' in s for c in THROTTLE_CODES) for s in samples):
        return result["refused_2xx"]  # every sample was a QPS refusal: count them all
    return sum(1 for s in samples if any(f'"code":{c}' in s for c in THROTTLE_CODES))


def run_one(server: bb.Server, db: bb.BenchDatabase, world: World, scenario: str, *,
            concurrency: int, args: argparse.Namespace, tmp: Path, requests: int | None = None,
            max_seconds: float | None = None) -> dict:
    n = args.warmup + (requests or args.requests)
    max_seconds = max_seconds or args.max_seconds
    reqs, check = scenario_requests(world, scenario, n)
    spec = {"port": server.port, "concurrency": concurrency, "warmup": args.warmup,
            "max_seconds": max_seconds, "check": check, "requests": reqs}
    loadavg = os.getloadavg()
    busy0, total0 = bb.machine_cpu()
    cpu0 = bb.tree_cpu(server.proc.pid)
    backends0 = bb.pg_backends(db.name)
    result = bb.run_loadgen(spec, tmp, timeout=max_seconds + 60)
    cpu = bb.tree_cpu(server.proc.pid) - cpu0
    own_pg = bb.pg_backends_delta(backends0, bb.pg_backends(db.name))
    busy1, total1 = bb.machine_cpu()
    if server.proc.poll() is not None:
        raise RuntimeError(f"server died during {scenario}:\n{server.log_tail()}")
    # Every request sent costs CPU, the warm-up ones too (as bind_bench.py counts it).
    sent = result["requests"] + result["transport_errors"] + min(args.warmup, n)
    ncpu = bb.result_cpus()
    wall = max(1e-9, (total1 - total0) / bb._TICK / ncpu)
    busy_s = (busy1 - busy0) / bb._TICK
    ours = cpu + own_pg + result["loadgen_cpu_seconds"]
    throttled = throttled_in(result)
    return {
        "scenario": scenario, "concurrency": concurrency,
        "requests": result["requests"], "errors": result["errors"] + result["refused_2xx"]
        - throttled, "throttled": throttled, "statuses": result["statuses"],
        "rps": round(result["rps"], 1), "p50_ms": round(result["p50_ms"], 2),
        "p90_ms": round(result["p90_ms"], 2), "p99_ms": round(result["p99_ms"], 2),
        "seconds": round(result["seconds"], 2), "stopped_by_time": result["stopped_by_time"],
        "server_cpu_ms_per_request": round(1000 * cpu / max(1, sent), 3),
        "postgres_cpu_ms_per_request": (round(1000 * own_pg / max(1, sent), 3)
                                        if db.kind == "postgres" else None),
        "loadgen_cpu_ms_per_request": round(1000 * result["loadgen_cpu_seconds"]
                                            / max(1, result["requests"]), 3),
        "loadavg_before": [round(x, 2) for x in loadavg],
        "machine_cpu_busy_pct": round(100 * (busy1 - busy0) / max(1, total1 - total0), 1),
        "others_cpu_pct_during": round(100 * max(0.0, busy_s - ours) / wall / ncpu, 1),
        "sample_failures": result["sample_failures"][:3],
    }


# --------------------------------------------------------------------------------------------
# Throttle demo: default QPS limits, a burst of tt_video/authorize


async def _burst(port: int, reqs: list[list], concurrency: int, max_seconds: float) -> dict:
    from loadgen import Connection, encode

    raws = [encode(port, *r) for r in reqs]
    codes: dict[str, int] = {}
    statuses: dict[str, int] = {}
    next_i = 0
    deadline = time.monotonic() + max_seconds
    started = time.perf_counter()

    async def client() -> None:
        nonlocal next_i
        conn = Connection(port)
        try:
            while next_i < len(raws) and time.monotonic() < deadline:
                i = next_i
                next_i += 1
                try:
                    status, body = await conn.request(raws[i])
                except (OSError, asyncio.IncompleteReadError):
                    conn.close()
                    codes["transport"] = codes.get("transport", 0) + 1
                    continue
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                try:
                    code = str(json.loads(body).get("code"))
                except (ValueError, AttributeError):
                    code = "not-json"
                codes[code] = codes.get(code, 0) + 1
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    sent = sum(codes.values())
    return {"sent": sent, "seconds": round(seconds, 2), "codes": codes, "statuses": statuses,
            "ok": codes.get("0", 0),
            "throttled": sum(codes.get(str(c), 0) for c in THROTTLE_CODES),
            "errors": sent - codes.get("0", 0) - sum(codes.get(str(c), 0)
                                                    for c in THROTTLE_CODES)}


def throttle_demo(db: bb.BenchDatabase, world: World, env: dict[str, str], secret: str, tmp: Path,
                  args: argparse.Namespace, stack: contextlib.ExitStack) -> dict:
    # No QPS_OFF: TikTok's default 10/s limits. The same secret key, so tokens and codes hold.
    server = start_server(db.url, 1, tmp, env, secret)
    stack.callback(server.stop)
    server.wait_ready()
    reqs = [tt_authorize(world, code, acct) for code, acct in world.take_codes(args.demo_requests)]
    out = asyncio.run(asyncio.wait_for(
        _burst(server.port, reqs, args.demo_concurrency, args.demo_seconds),
        timeout=args.demo_seconds + 30))
    server.stop()
    out.update({"concurrency": args.demo_concurrency, "app_qps": 10, "advertiser_qps": 10})
    print(f"   throttle demo (default limits, {args.demo_concurrency} clients): {out['sent']} "
          f"tt_video/authorize in {out['seconds']} s -> {out['ok']} bound, {out['throttled']} "
          f"throttled (40100/40133), {out['errors']} errors; codes {out['codes']}", flush=True)
    return out


# --------------------------------------------------------------------------------------------
# Profile (optional): py-spy on the server during one extra run of each scenario


def profile_scenarios(server: bb.Server, db: bb.BenchDatabase, world: World, pairs: list[str],
                      concurrency: int, args: argparse.Namespace, tmp: Path) -> dict:
    """One extra run of every scenario under py-spy (not a measurement: the profiler costs CPU).
    Returns {scenario: {stacks, cpu_ms_per_request, ...}}."""
    import profile_summary

    py_spy = bb.find_py_spy()
    if py_spy is None:
        print("   --profile: py-spy not found (pip install py-spy); not profiling", flush=True)
        return {}
    out: dict[str, dict] = {}
    seconds = max(args.max_seconds, 30)
    for pair in pairs:
        for scenario in PAIRS[pair]:
            raw = tmp / f"profile-{scenario}.txt"
            cmd = [py_spy, "record", "--pid", str(server.proc.pid), "--format", "raw",
                   "--rate", str(args.profile_rate), "--nonblocking",
                   "--duration", str(int(seconds) + 15), "-o", str(raw)]
            if args.profile_mode == "gil":
                cmd.append("--gil")
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    start_new_session=True)
            try:
                time.sleep(1)
                r = run_one(server, db, world, scenario, concurrency=concurrency, args=args,
                            tmp=tmp, requests=args.profile_requests, max_seconds=seconds)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            stacks = profile_summary.load([raw]) if raw.exists() else []
            out[scenario] = {
                "pair": pair, "requests": r["requests"], "sent": r["requests"] + args.warmup,
                "server_cpu_ms_per_request": r["server_cpu_ms_per_request"],
                "mode": args.profile_mode, "rate": args.profile_rate,
                "samples": sum(c for _, c in stacks),
                "stacks": {";".join(f): c for f, c in stacks},
            }
            print(f"   profiled {scenario}: {r['requests']} req, "
                  f"{r['server_cpu_ms_per_request']} ms CPU/req under the profiler, "
                  f"{out[scenario]['samples']} samples", flush=True)
    return out


# What a sample is spent on: the innermost frame of its stack that matches one of these (a
# substring of "function (file:line)") names it; so SQLAlchemy under report/repository.py counts
# as the report query, and Starlette under envelope.ok as the TikTok envelope.
BUCKETS: list[tuple[str, str]] = [
    ("compat/tiktok/throttle.py", "TikTok QPS throttle (limits, memory storage)"),
    ("compat/tiktok/params.py", "TikTok parameter parsing (params.py)"),
    ("_params (sparkcodes/compat/tiktok/auth.py", "TikTok parameter parsing (params.py)"),
    ("JSONResponse.render", "TikTok envelope: JSONResponse.render (stdlib json.dumps)"),
    ("compat/tiktok/envelope.py", "TikTok envelope: ok() / JSONResponse render"),
    ("_value (sparkcodes/compat/tiktok/report.py", "TikTok report: metric values as strings"),
    ("_metrics_of (sparkcodes/compat/tiktok/report.py", "TikTok report: metric values as strings"),
    ("developer_app/", "TikTok: developer-app scope of the token"),
    ("containers.py", "TikTok report: ad_ids filter -> ids (by_tiktok_ids)"),
    ("report/repository.py", "report SQL: grouped_sums (count + page) / total_sums"),
    ("integrated_metrics (sparkcodes/report/service.py", "report metric arithmetic"),
    ("report/rules.py", "report metric arithmetic"),
    ("engagement/repository.py", "report SQL: sums (/v1: rows + total)"),
    ("user/repository.py", "token -> user (SQL)"),
    ("ad_account/repository.py", "ad account + membership (SQL)"),
    ("ad/repository.py", "ad lookup (SQL)"),
    ("spark_post/presenters.py", "/v1 bind response presenter"),
    ("spark_post/", "bind service (spark_post)"),
    ("authorization/", "bind service (code lookup/claim)"),
    ("audit/", "bind service (audit rows)"),
    ("_end (sparkcodes/deps.py", "commit / close (deps._end)"),
    ("serialize_response", "FastAPI response_model validation + serialization"),
    ("jsonable_encoder", "FastAPI response_model validation + serialization"),
    ("_prepare_response_content", "FastAPI response_model validation + serialization"),
    ("request_params_to_args", "FastAPI: query/header/path parameter validation"),
    ("request_body_to_args", "FastAPI: body validation (/v1 BindIn)"),
    ("run_in_threadpool", "threadpool hand-off (anyio to_thread)"),
    ("to_thread", "threadpool hand-off (anyio to_thread)"),
    ("WorkerThread", "threadpool hand-off (anyio to_thread)"),
    ("threading.py", "threadpool hand-off (anyio to_thread)"),
    ("solve_dependencies", "FastAPI dependency solving (other)"),
    ("_match (fastapi", "FastAPI/Starlette route matching"),
    ("matches (fastapi", "FastAPI/Starlette route matching"),
    ("matches (starlette", "FastAPI/Starlette route matching"),
    ("_get_routes_version", "FastAPI/Starlette route matching"),
    ("httptools_impl", "uvicorn HTTP protocol"),
    ("sparkcodes/kit/", "our middlewares (kit/)"),
    ("starlette/", "Starlette middleware / responses"),
    ("fastapi/", "FastAPI (other)"),
    ("asyncio", "event loop"),
]


def _bucket(frames: list[str]) -> str:
    for frame in reversed(frames):
        for pattern, label in BUCKETS:
            if pattern in frame:
                return label
    return "other"


def pack_profiles(profiles: dict[str, dict]) -> dict:
    """The raw stacks with every distinct frame stored once (a tenth of the size)."""
    frames: dict[str, int] = {}
    out = {}
    for scenario, prof in profiles.items():
        rows = [[[frames.setdefault(f, len(frames)) for f in joined.split(";")], count]
                for joined, count in prof["stacks"].items()]
        out[scenario] = {**prof, "stacks": rows}
    return {"format": "tiktok_bench packed stacks: frames[i]; stacks = [[frame indexes, root "
                      "first], samples]", "frames": list(frames), "profiles": out}


def unpack_profiles(blob: dict) -> dict[str, dict]:
    if "frames" not in blob:
        return blob
    frames = blob["frames"]
    return {scenario: {**prof, "stacks": {";".join(frames[i] for i in idx): count
                                          for idx, count in prof["stacks"]}}
            for scenario, prof in blob["profiles"].items()}


def _attribute(stacks: dict[str, int]) -> tuple[dict[str, int], ...]:
    """Per sample: its bucket (BUCKETS), the innermost frame in our code (with what it calls),
    every function on the stack once (inclusive), and the leaf (self)."""
    import profile_summary as ps

    buckets: dict[str, int] = {}
    under: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    for joined, count in stacks.items():
        frames = joined.split(";")
        b = _bucket(frames)
        buckets[b] = buckets.get(b, 0) + count
        label = None
        for frame in reversed(frames):
            if "sparkcodes/" in frame:
                label = ps.name(frame)
                break
        if label is None:
            label = "(none) " + ps._outside(frames)
        under[label] = under.get(label, 0) + count
        for n in {ps.name(f) for f in frames}:
            inclusive[n] = inclusive.get(n, 0) + count
        leaf = ps.name(frames[-1]) if frames else "?"
        own[leaf] = own.get(leaf, 0) + count
    return buckets, under, inclusive, own


def compare_profiles(profiles: dict[str, dict], top: int = 25) -> dict[str, dict]:
    """For each pair: ms of server CPU per request under each function, /v1 vs TikTok, and the
    difference, largest first. A function's ms/request = its share of the samples x the CPU per
    request measured during that profiled run (so the two sides are on one scale)."""
    out: dict[str, dict] = {}
    for pair, (v1_name, tt_name) in PAIRS.items():
        if v1_name not in profiles or tt_name not in profiles:
            continue
        sides = {}
        sampled = {}
        for name in (v1_name, tt_name):
            prof = profiles[name]
            # A sample stands for 1/rate seconds of the sampled state (holding the GIL in
            # "gil" mode): ms per request sent. In "active" mode, scale to the measured CPU.
            if prof["mode"] == "gil":
                scale = 1000 / prof["rate"] / max(1, prof["sent"])
            else:
                scale = prof["server_cpu_ms_per_request"] / max(1, prof["samples"])
            sampled[name] = prof["samples"] * scale
            sides[name] = [{k: v * scale for k, v in d.items()}
                           for d in _attribute(prof["stacks"])]
        result: dict[str, Any] = {
            "mode": profiles[v1_name]["mode"],
            "v1_cpu_ms_per_request": profiles[v1_name]["server_cpu_ms_per_request"],
            "tt_cpu_ms_per_request": profiles[tt_name]["server_cpu_ms_per_request"],
            "v1_sampled_ms_per_request": round(sampled[v1_name], 3),
            "tt_sampled_ms_per_request": round(sampled[tt_name], 3),
        }
        for i, kind in enumerate(("bucket", "innermost_sparkcodes_frame", "inclusive", "self")):
            a, b = sides[v1_name][i], sides[tt_name][i]
            rows = [{"function": k, "v1_ms": round(a.get(k, 0.0), 3),
                     "tt_ms": round(b.get(k, 0.0), 3),
                     "diff_ms": round(b.get(k, 0.0) - a.get(k, 0.0), 3),
                     "tt_share_pct": round(100 * b.get(k, 0.0)
                                           / max(1e-9, sampled[tt_name]), 1)}
                    for k in set(a) | set(b)]
            rows.sort(key=lambda r: -abs(r["diff_ms"]))
            result[kind] = rows if kind == "bucket" else rows[:top]
        out[pair] = result
    return out


def print_comparison(kind: str, comparison: dict[str, dict]) -> None:
    for pair, res in comparison.items():
        print(f"\n   [{kind}] {pair}: server CPU/request under the profiler: /v1 "
              f"{res['v1_cpu_ms_per_request']:.2f} ms, TikTok {res['tt_cpu_ms_per_request']:.2f}"
              f" ms; sampled ({res['mode']}): /v1 {res['v1_sampled_ms_per_request']:.2f} ms, "
              f"TikTok {res['tt_sampled_ms_per_request']:.2f} ms. Where they differ "
              "(ms/request, largest difference first):")
        for section, n in (("bucket", 40), ("self", 12)):
            print(f"     -- by {section.replace('_', ' ')}")
            for row in res[section][:n]:
                print(f"     {row['diff_ms']:+7.3f}  (/v1 {row['v1_ms']:6.3f}, TikTok "
                      f"{row['tt_ms']:6.3f} = {row['tt_share_pct']:4.1f}%)  {row['function']}")


# --------------------------------------------------------------------------------------------
# One database


def codes_budget(args: argparse.Namespace, pairs: list[str]) -> int:
    per_run = args.warmup + args.requests
    n = 0
    if "bind" in pairs:
        n += 2 * per_run * args.rounds * len(args.concurrencies)
        n += 2 * args.prime  # priming both bind scenarios
        if args.profile:
            n += 2 * (args.warmup + args.profile_requests)
    if args.throttle_demo:
        n += args.demo_requests
    return n


def run_db(kind: str, args: argparse.Namespace, tmp_root: Path, env: dict[str, str],
           stack: contextlib.ExitStack) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"tiktok-{kind}-", dir=tmp_root))
    db = bb.create_sqlite(tmp) if kind == "sqlite" else bb.create_postgres(args.pg_url)
    stack.callback(db.cleanup)
    print(f"\n== {kind}: database {db.name or db.url}", flush=True)
    loadavg0 = [round(x, 2) for x in os.getloadavg()]
    busy0 = bb.background_busy_pct(2.0)
    print(f"   before: load average {loadavg0}, machine {busy0}% busy over 2 s", flush=True)
    bb.migrate(db.url, env)
    pg_version = bb.postgres_version(db.url) if kind == "postgres" else None
    pairs = list(args.pairs)

    report_ids = None
    if any(p.startswith("report") for p in pairs):
        t = time.perf_counter()
        report_ids = seed_reports(db.url, env, tmp, args.report_events, args.report_days,
                                  timeout=args.seed_timeout)
        print(f"   report world: {args.report_events:,} events over {args.report_days} days "
              f"ingested in {time.perf_counter() - t:.1f}s", flush=True)

    server_env = {**env, **QPS_OFF}
    secret = secrets.token_urlsafe(32)
    server = start_server(db.url, args.workers, tmp, server_env, secret)
    stack.callback(server.stop)
    server.wait_ready()

    codes_needed = codes_budget(args, pairs)
    seed_data = asyncio.run(asyncio.wait_for(
        bb.seed(server.base, codes_needed=max(codes_needed, 1), businesses=args.businesses,
                accounts_per_business=args.accounts_per_business, creator_users=4,
                creators_per_user=10, concurrency=args.seed_concurrency),
        timeout=args.seed_timeout))
    random.Random(42).shuffle(seed_data.codes)
    tiktok_ids = {str(i): int(t)
                  for i, t in db_rows(db.url, "SELECT id, tiktok_id FROM ad_accounts")}
    world = World(seed_data, tiktok_ids)
    print(f"   seeded {len(seed_data.accounts)} ad accounts, {seed_data.posts} posts, "
          f"{len(seed_data.codes)} codes in {seed_data.seconds:.1f}s", flush=True)

    equivalence = None
    skipped: dict[str, str] = {}
    if report_ids is not None:
        token = httpx.post(server.base + "/v1/tokens", timeout=30, json={
            "email": "brand@bench.local", "password": "benchmark!"}).json()["token"]
        end = dt.datetime.now(dt.UTC).date()
        start = end - dt.timedelta(days=args.report_days - 1)
        ad_id = str(report_ids["ad_id"]).replace("'", "")
        (ad_tt,) = db_rows(db.url, f"SELECT tiktok_id FROM ads WHERE id = '{ad_id}'")[0]
        world.report = {**report_ids, "token": token, "start": start.isoformat(),
                        "end": end.isoformat(),
                        "advertiser_id": tiktok_ids[report_ids["account_id"]],
                        "ad_tiktok_id": ad_tt}
        if report_surface_present(server.base, token):
            equivalence = check_report_equivalence(server.base, world)
        else:
            for p in [p for p in pairs if p.startswith("report")]:
                pairs.remove(p)
                skipped[p] = "report/integrated/get/ not served yet (40008)"
            print("   report/integrated/get/ is not served yet (40008): report pairs skipped",
                  flush=True)

    # Prime every scenario once (imports, statement caches), unmeasured.
    for pair in pairs:
        for scenario in PAIRS[pair]:
            n = args.prime
            reqs, check = scenario_requests(world, scenario, n)
            bb.run_loadgen({"port": server.port, "concurrency": 4, "warmup": 0,
                            "max_seconds": args.max_seconds, "check": check, "requests": reqs},
                           tmp, timeout=args.max_seconds + 60)

    runs: list[dict] = []
    for c in args.concurrencies:
        for rnd in range(args.rounds):
            if args.wait_idle:
                bb.wait_for_quiet(args.wait_idle, args.idle_threshold)
            for pair in pairs:
                order = PAIRS[pair] if rnd % 2 == 0 else tuple(reversed(PAIRS[pair]))
                for scenario in order:
                    r = run_one(server, db, world, scenario, concurrency=c, args=args, tmp=tmp)
                    r.update({"pair": pair, "round": rnd})
                    runs.append(r)
                    extra = f", {r['throttled']} throttled" if r["throttled"] else ""
                    print(f"   c={c:<3d} round {rnd} {scenario:24s} {r['requests']:5d} req "
                          f"{r['errors']:3d} err{extra} {r['rps']:7.1f}/s  p50 {r['p50_ms']:7.1f}"
                          f"  p99 {r['p99_ms']:7.1f} ms  cpu {r['server_cpu_ms_per_request']:6.2f}"
                          f" ms/req  load {r['loadavg_before'][0]:.2f}  others "
                          f"{r['others_cpu_pct_during']}%", flush=True)
                    if r["errors"] and r["sample_failures"]:
                        print("     first failures:", *r["sample_failures"], sep="\n       ")

    profile = None
    if args.profile:
        profiles = profile_scenarios(server, db, world, pairs, args.concurrencies[0], args, tmp)
        if profiles:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            raw_path = RESULTS_DIR / f"tiktok-profile-{stamp}-{kind}.json"
            raw_path.write_text(json.dumps(pack_profiles(profiles), separators=(",", ":")) + "\n")
            comparison = compare_profiles(profiles)
            print_comparison(kind, comparison)
            profile = {"raw": str(raw_path.relative_to(ROOT)), "mode": args.profile_mode,
                       "concurrency": args.concurrencies[0], "comparison": comparison}
    server.stop()

    demo = throttle_demo(db, world, env, secret, tmp, args, stack) if args.throttle_demo else None
    db.cleanup()
    return {"db": kind, "workers": args.workers, "postgres_version": pg_version,
            "loadavg_before": loadavg0, "machine_busy_pct_before": busy0,
            "seed": {"ad_accounts": len(seed_data.accounts), "posts": seed_data.posts,
                     "codes": len(seed_data.codes), "seconds": round(seed_data.seconds, 1),
                     "report_events": args.report_events if report_ids else None,
                     "report_days": args.report_days if report_ids else None},
            "report_equivalence": equivalence, "skipped_pairs": skipped, "runs": runs,
            "summary": summarize(runs, kind), "throttle_demo": demo, "profile": profile}


# --------------------------------------------------------------------------------------------
# Summary


def _med(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


def summarize(runs: list[dict], kind: str) -> list[dict]:
    out = []
    keys = sorted({(r["pair"], r["concurrency"]) for r in runs},
                  key=lambda k: (list(PAIRS).index(k[0]), k[1]))
    for pair, c in keys:
        v1_name, tt_name = PAIRS[pair]
        mine = [r for r in runs if r["pair"] == pair and r["concurrency"] == c]
        by_round: dict[int, dict[str, dict]] = {}
        for r in mine:
            by_round.setdefault(r["round"], {})[r["scenario"]] = r
        ratios, total_ratios = [], []
        for rounds in by_round.values():
            if v1_name in rounds and tt_name in rounds:
                a, b = rounds[v1_name], rounds[tt_name]
                ratios.append(b["server_cpu_ms_per_request"]
                              / max(1e-9, a["server_cpu_ms_per_request"]))
                if kind == "postgres":
                    total_ratios.append(
                        (b["server_cpu_ms_per_request"] + b["postgres_cpu_ms_per_request"])
                        / max(1e-9, a["server_cpu_ms_per_request"]
                              + a["postgres_cpu_ms_per_request"]))
        sides = {}
        for name in (v1_name, tt_name):
            rs = [r for r in mine if r["scenario"] == name]
            sides[name] = {
                "runs": len(rs), "requests": sum(r["requests"] for r in rs),
                "errors": sum(r["errors"] for r in rs),
                "throttled": sum(r["throttled"] for r in rs),
                "rps": _med([r["rps"] for r in rs]), "p50_ms": _med([r["p50_ms"] for r in rs]),
                "p99_ms": _med([r["p99_ms"] for r in rs]),
                "server_cpu_ms_per_request": _med([r["server_cpu_ms_per_request"] for r in rs]),
                "postgres_cpu_ms_per_request": (_med([r["postgres_cpu_ms_per_request"]
                                                      for r in rs]) if kind == "postgres"
                                                else None),
                "loadavg_before": [r["loadavg_before"][0] for r in rs],
                "others_cpu_pct_during": [r["others_cpu_pct_during"] for r in rs],
            }
        ratio = statistics.median(ratios) if ratios else float("nan")
        out.append({
            "pair": pair, "concurrency": c, "v1": sides[v1_name], "tiktok": sides[tt_name],
            "cpu_ratio_per_round": [round(x, 3) for x in ratios],
            "cpu_ratio_median": round(ratio, 3),
            "cpu_ratio_min": round(min(ratios), 3) if ratios else None,
            "cpu_ratio_max": round(max(ratios), 3) if ratios else None,
            "server_plus_postgres_ratio_median": (round(statistics.median(total_ratios), 3)
                                                  if total_ratios else None),
            "goal": GOAL, "met": bool(ratios) and ratio <= GOAL,
        })
    return out


def table(configs: list[dict]) -> str:
    head = (f"{'db':8s} {'c':>3s} {'pair':21s} {'side':7s} {'req':>6s} {'err':>4s} {'thr':>4s} "
            f"{'req/s':>7s} {'p50 ms':>7s} {'p99 ms':>8s} {'cpu ms':>7s} {'pg ms':>6s}  "
            f"ratio tt/v1 (median, min-max)")
    lines = [head, "-" * len(head)]
    for config in configs:
        for s in config["summary"]:
            for side in ("v1", "tiktok"):
                x = s[side]
                pg = "" if x["postgres_cpu_ms_per_request"] is None else \
                    f"{x['postgres_cpu_ms_per_request']:.2f}"
                ratio = ""
                if side == "tiktok":
                    ratio = (f"{s['cpu_ratio_median']:.3f} ({s['cpu_ratio_min']:.3f}-"
                             f"{s['cpu_ratio_max']:.3f}) {'ok' if s['met'] else 'OVER 1.15'}")
                lines.append(
                    f"{config['db']:8s} {s['concurrency']:>3d} {s['pair']:21s} {side:7s} "
                    f"{x['requests']:>6d} {x['errors']:>4d} {x['throttled']:>4d} {x['rps']:>7.1f} "
                    f"{x['p50_ms']:>7.1f} {x['p99_ms']:>8.1f} "
                    f"{x['server_cpu_ms_per_request']:>7.2f} {pg:>6s}  {ratio}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--concurrency", default="8,32",
                   help="closed-loop clients, comma-separated (default 8,32)")
    p.add_argument("--rounds", type=int, default=4,
                   help="A/B rounds per pair and concurrency (default 4)")
    p.add_argument("--requests", type=int, default=250,
                   help="measured requests per scenario run (default 250)")
    p.add_argument("--warmup", type=int, default=25,
                   help="unmeasured requests at the start of each run (default 25)")
    p.add_argument("--prime", type=int, default=30,
                   help="unmeasured requests per scenario before the rounds (default 30)")
    p.add_argument("--max-seconds", type=float, default=12, help="time limit per run (default 12)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                   help="before each round wait up to this long for other work on the machine "
                        "to stop (default 0: measure and record only)")
    p.add_argument("--idle-threshold", type=float, default=15,
                   help="percent of the machine's CPU others may use for it to count as quiet")
    p.add_argument("--pairs", default="bind,report_ad_day,report_account_total")
    p.add_argument("--report-events", type=int, default=20_000)
    p.add_argument("--report-days", type=int, default=30)
    p.add_argument("--no-throttle-demo", dest="throttle_demo", action="store_false")
    p.add_argument("--demo-requests", type=int, default=300)
    p.add_argument("--demo-concurrency", type=int, default=8)
    p.add_argument("--demo-seconds", type=float, default=10)
    p.add_argument("--profile", action="store_true",
                   help="after the rounds, one more run of each scenario under py-spy, and where "
                        "the TikTok side spends more than /v1 (use --rounds 0 for only that)")
    p.add_argument("--profile-mode", choices=("gil", "active"), default="gil",
                   help="gil: only the thread holding the GIL, i.e. Python CPU (default); active: "
                        "every thread py-spy thinks runs (also native code such as SQLite, but "
                        "threads waiting on a Condition count too)")
    p.add_argument("--profile-rate", type=int, default=250)
    p.add_argument("--profile-requests", type=int, default=1000)
    p.add_argument("--pg-url", default=bb.DEFAULT_PG)
    p.add_argument("--businesses", type=int, default=4)
    p.add_argument("--accounts-per-business", type=int, default=2)
    p.add_argument("--seed-concurrency", type=int, default=16)
    p.add_argument("--seed-timeout", type=float, default=300)
    p.add_argument("--ref", help="measure this git ref exported to a temporary directory")
    p.add_argument("--tag", default="", help="suffix of the result file name")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    args.dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    args.concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    args.pairs = [x.strip() for x in args.pairs.split(",") if x.strip()]
    for x in args.pairs:
        if x not in PAIRS:
            p.error(f"unknown pair {x!r} (choose from {', '.join(PAIRS)})")
    if not (0 if args.profile else 1) <= args.rounds <= 20 or not 1 <= args.requests <= 20_000:
        p.error("--rounds must be 1..20 (0 with --profile) and --requests 1..20000")
    if not 1 <= args.profile_requests <= 20_000:
        p.error("--profile-requests must be 1..20000")
    if not all(1 <= c <= 256 for c in args.concurrencies) or not args.concurrencies:
        p.error("--concurrency values must be 1..256")
    if not 1 <= args.report_events <= 2_000_000 or not 1 <= args.report_days <= 366:
        p.error("--report-events must be 1..2000000 and --report-days 1..366")
    if "postgres" in args.dbs:
        bb._check_local(args.pg_url)
    return args


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) == 3 and sys.argv[1] == "--compare":
        # Re-read a saved profile (bench/results/tiktok-profile-*.json) without running anything.
        path = Path(sys.argv[2])
        print_comparison(path.stem,
                         compare_profiles(unpack_profiles(json.loads(path.read_text()))))
        return 0
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, bb._raise_interrupt)
    signal.signal(signal.SIGHUP, bb._raise_interrupt)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    info = bb.machine_info()
    info["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    info["started_at"] = dt.datetime.now().isoformat(timespec="seconds")
    print(f"machine: {info['nproc']} CPU ({info['cpu_model']}), Python {info['python']}, "
          f"SQLite {info['sqlite']}; {info['started_at']}; load average "
          f"{info['loadavg_at_start']}", flush=True)
    print(f"each run: {args.warmup} + {args.requests} requests, at most {args.max_seconds:.0f}s; "
          f"{args.rounds} A/B rounds; concurrency {args.concurrencies}; {args.workers} worker(s)",
          flush=True)
    started = time.perf_counter()
    configs: list[dict] = []
    tmp_root = Path(tempfile.mkdtemp(prefix="sparkcodes-tiktok-bench-"))
    try:
        env, source = bb.source_env(args.ref, tmp_root)
        info["source"] = source
        print(f"measuring: {source}", flush=True)
        for kind in args.dbs:
            with contextlib.ExitStack() as stack:
                configs.append(run_db(kind, args, tmp_root, env, stack))
    except KeyboardInterrupt:
        print("\ninterrupted: server and databases cleaned up", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    for config in configs:
        if config.get("postgres_version"):
            info["postgresql"] = config["postgres_version"]
    print()
    print(table(configs))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    tag = f"-{args.tag}" if args.tag else ""
    out = args.out or RESULTS_DIR / f"tiktok-{stamp}-{'-'.join(args.dbs)}{tag}.json"
    payload = {
        "benchmark": "tiktok_bench", "machine": info,
        "total_seconds": round(time.perf_counter() - started, 1),
        "settings": {k: getattr(args, k) for k in (
            "requests", "warmup", "prime", "rounds", "concurrencies", "workers", "max_seconds",
            "pairs", "report_events", "report_days", "throttle_demo", "profile", "wait_idle")},
        "server_env": QPS_OFF, "goal_cpu_ratio": GOAL, "configs": configs,
    }
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nresults written to {out} ({payload['total_seconds']:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
