"""Per-request overhead: what one request costs the server before any business logic runs.

    python bench/overhead_bench.py [--requests 20000] [--concurrency 32] [--rounds 3]

In one run, on one uvicorn worker each, it measures server CPU per request (read from /proc
before and after, the whole server process tree) and requests per second for:

- a minimal FastAPI app, ``async def`` route: the framework's ceiling;
- a minimal FastAPI app, plain ``def`` route (a thread-pool hop per request);
- sparkcodes ``GET /health`` (the whole middleware stack and router, no database), counted in
  /metrics with the counts in files as `sparkcodes serve` keeps them (PROMETHEUS_MULTIPROC_DIR);
- the same with /metrics turned off (SPARKCODES_METRICS__ENABLED=false): the ratio of the two is
  what counting a request costs;
- sparkcodes ``GET /v1/me`` (a bearer token checked against the database: one indexed read);
- with ``--ref REF``: ``GET /health`` and ``GET /v1/me`` also on a server running that git ref
  (exported, as bind_bench --ref does), counted in /metrics the same way: before and after a
  change, measured in turn in one run;

each ``--rounds`` times in turn, so the ratios come from the same machine state. The goal of
issue 14 is ``GET /health`` at or below 0.2 ms of server CPU. Results go to
bench/results/overhead-<date>.json and are printed as a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bind_bench import (  # noqa: E402
    RESULTS_DIR,
    Server,
    background_busy_pct,
    create_sqlite,
    machine_info,
    migrate,
    run_loadgen,
    source_env,
    tree_cpu,
)

MINIMAL = textwrap.dedent('''
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/async")
    async def fast() -> dict[str, str]:
        return {"status": "ok"}


    @app.get("/sync")
    def slow() -> dict[str, str]:
        return {"status": "ok"}
''')

GOAL_HEALTH_MS = 0.2


class MinimalServer(Server):
    """The same process handling as Server, over the minimal app in a temporary module."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        (tmp / "minimal_app.py").write_text(MINIMAL)
        import subprocess

        from bind_bench import HOST, free_port
        self.port = free_port()
        self.workers = 1
        self.log_path = tmp / f"minimal-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "minimal_app:app", "--host", HOST, "--port",
             str(self.port), "--no-access-log", "--log-level", "warning"],
            cwd=tmp, env={**env, "PYTHONPATH": str(tmp)}, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://{HOST}:{self.port}"
        self._stopped = False

    def wait_ready(self, timeout: float = 60) -> None:
        import httpx
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/async", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"minimal app did not start:\n{self.log_tail()}")


def _token(base: str) -> str:
    import httpx
    email = f"bench-{time.time_ns()}@example.com"
    httpx.post(base + "/v1/users", json={"email": email, "password": "correct horse battery"},
               timeout=30).raise_for_status()
    r = httpx.post(base + "/v1/tokens", json={"email": email, "password": "correct horse battery"},
                   timeout=30)
    r.raise_for_status()
    return str(r.json()["token"])


def measure(server: Server, path: str, headers: dict[str, str], args: argparse.Namespace,
            tmp: Path) -> dict[str, float]:
    spec = {"port": server.port, "concurrency": args.concurrency, "max_seconds": args.max_seconds,
            "warmup": 0, "requests": [["GET", path, headers, ""]] * args.requests}
    # Warm up separately so imports and first-request work are not counted.
    run_loadgen({**spec, "requests": spec["requests"][:500]}, tmp, 120)
    before = tree_cpu(server.proc.pid)
    result = run_loadgen(spec, tmp, args.max_seconds + 60)
    used = tree_cpu(server.proc.pid) - before
    done = result["requests"]
    return {"requests": done, "errors": result["errors"], "rps": result["rps"],
            "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"],
            "cpu_ms_per_request": 1000 * used / max(1, done)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--max-seconds", type=float, default=30)
    p.add_argument("--ref", help="also measure GET /health and GET /v1/me on this git ref")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)

    import os
    env = dict(os.environ)
    tmp = Path(tempfile.mkdtemp(prefix="overhead-"))
    busy = background_busy_pct(2.0)
    db = create_sqlite(tmp)
    migrate(db.url, env)
    servers: list[Server] = []
    try:
        minimal = MinimalServer(tmp, env)
        servers.append(minimal)
        # /metrics as `sparkcodes serve` runs it: counts in files shared by every process.
        (tmp / "metrics").mkdir()
        sparkcodes = Server(db.url, 1, tmp, {**env, "SPARKCODES_EMBEDDED_WORKER": "false",
                                             "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics")})
        servers.append(sparkcodes)
        unmetered = Server(db.url, 1, tmp, {**env, "SPARKCODES_EMBEDDED_WORKER": "false",
                                            "SPARKCODES_METRICS__ENABLED": "false"})
        servers.append(unmetered)
        ref = None
        if args.ref:
            ref_env, source = source_env(args.ref, tmp)
            (tmp / "ref-metrics").mkdir()
            ref = Server(db.url, 1, tmp, {**ref_env, "SPARKCODES_EMBEDDED_WORKER": "false",
                                          "PROMETHEUS_MULTIPROC_DIR": str(tmp / "ref-metrics")})
            servers.append(ref)
            print(f"--ref: {source}", flush=True)
        minimal.wait_ready()
        sparkcodes.wait_ready()
        unmetered.wait_ready()
        auth = {"authorization": f"Bearer {_token(sparkcodes.base)}"}
        cases = [("minimal async def", minimal, "/async", {}),
                 ("minimal def", minimal, "/sync", {}),
                 ("sparkcodes GET /health", sparkcodes, "/health", {}),
                 ("GET /health, no metrics", unmetered, "/health", {}),
                 ("sparkcodes GET /v1/me", sparkcodes, "/v1/me", auth)]
        if ref is not None:
            ref.wait_ready()
            # Each server has its own secret key: a token of its own.
            ref_auth = {"authorization": f"Bearer {_token(ref.base)}"}
            cases += [(f"{args.ref} GET /health", ref, "/health", {}),
                      (f"{args.ref} GET /v1/me", ref, "/v1/me", ref_auth)]
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in cases}
        for r in range(args.rounds):
            for name, server, path, headers in cases:
                rounds[name].append(measure(server, path, headers, args, tmp))
                print(f"round {r + 1}: {name}: {rounds[name][-1]}", flush=True)
    finally:
        for s in servers:
            s.stop()
    summary = {}
    for name, runs in rounds.items():
        summary[name] = {k: statistics.median(run[k] for run in runs)
                         for k in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request")}
        summary[name]["errors"] = sum(run["errors"] for run in runs)
    ceiling = summary["minimal async def"]["cpu_ms_per_request"]
    print(f"\nmachine busy with other work before the run: {busy}%")
    print(f"{'request':28} {'CPU ms/req':>10} {'x ceiling':>9} {'req/s':>8} {'p99 ms':>7}")
    for name, s in summary.items():
        print(f"{name:28} {s['cpu_ms_per_request']:10.3f} "
              f"{s['cpu_ms_per_request'] / ceiling:9.1f} {s['rps']:8.0f} {s['p99_ms']:7.1f}")
    health = summary["sparkcodes GET /health"]["cpu_ms_per_request"]
    verdict = "met" if health <= GOAL_HEALTH_MS else "NOT met"
    print(f"goal GET /health <= {GOAL_HEALTH_MS} ms CPU: {health:.3f} ms, {verdict}")
    out = args.out or RESULTS_DIR / f"overhead-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"machine": machine_info(), "background_busy_pct": busy,
                               "args": vars(args) | {"out": str(out)}, "rounds": rounds,
                               "summary": summary}, indent=2, default=str))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
