"""What the code-guessing limiter costs one successful bind: the request's quick check, the
look-up counted against the four tiers before it is made, and the count given back because the
code exists.

    python bench/limiter_bench.py [--before SRC] [--after SRC] [--store postgres,sqlite,redis]
                                  [--cycles 2000] [--rounds 3]

``--before`` and ``--after`` are ``src`` folders of two copies of sparkcodes (default: a
``git archive`` of ``--ref`` (HEAD~1) and this working tree). For each store, each round runs one
subprocess per copy, alternately, each doing ``--cycles`` cycles of check + reserve + release on
fresh keys (as many distinct ad accounts and users), and reports per cycle: the statements (SQL)
or commands (Redis) sent, the CPU of the client process, the wall time, and for PostgreSQL the
CPU of the server backend. The ratios after ÷ before are taken within each round, as the machine
is shared and its speed drifts. Databases are made on 127.0.0.1 and dropped; Redis keys get a
prefix of the run and are deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bind_bench import DEFAULT_PG, create_postgres, machine_info  # noqa: E402

REDIS = "redis://127.0.0.1:6379/0"

CHILD = r"""
import json, sys, time, uuid
from sqlalchemy import event
from sparkcodes.config import Settings
from sparkcodes.throttle.service import Limiter

url, cycles = sys.argv[1], int(sys.argv[2])
settings = Settings(database_url="sqlite://", secret_key="bench-" + "x" * 32, env="test",
                    limiter_key_prefix="bench-" + uuid.uuid4().hex[:10])
limiter = Limiter(settings, url=url)
sent = [0]
storage = limiter.storage
if hasattr(storage, "engine"):
    def count(*args):
        sent[0] += 1
    event.listen(storage.engine, "before_cursor_execute", count)
else:
    conn = storage.get_connection()
    real = conn.execute_command
    def counted(*args, **kwargs):
        sent[0] += 1
        return real(*args, **kwargs)
    conn.execute_command = counted

def cycle(i):
    tiers = limiter.lookups(ad_account_id=f"acct-{i}", user_id=f"user-{i}", ip="203.0.113.7")
    limiter.check(tiers)
    limiter.reserve(tiers).release()

for i in range(50):  # warm-up: connections, statement caches, scripts loaded
    cycle(-i - 1)
sent[0] = 0
cpu0, wall0 = time.process_time(), time.perf_counter()
for i in range(cycles):
    cycle(i)
cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
print(json.dumps({"sent": sent[0] / cycles, "cpu_ms": 1000 * cpu / cycles,
                  "wall_ms": 1000 * wall / cycles}))
limiter.reset()
limiter.close()
"""


def run(src: Path, url: str, cycles: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    env = {k: v for k, v in env.items() if not k.startswith("SPARKCODES_")}
    proc = subprocess.run([sys.executable, "-c", CHILD, url, str(cycles)], env=env,
                          capture_output=True, text=True, timeout=900, check=True)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ref", default="HEAD~1")
    p.add_argument("--before")
    p.add_argument("--after", default=str(HERE.parent / "src"))
    p.add_argument("--store", default="postgres,sqlite,redis")
    p.add_argument("--cycles", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pg-url", default=DEFAULT_PG)
    args = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sparkcodes-limiter-bench-"))
    cleanups = []
    try:
        before = Path(args.before) if args.before else None
        if before is None:
            subprocess.run(f"git archive {args.ref} src | tar -x -C {tmp}", shell=True,
                           check=True, cwd=HERE.parent)
            before = tmp / "src"
        report: dict[str, object] = {"machine": machine_info(), "cycles": args.cycles,
                                     "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                                     "loadavg": Path("/proc/loadavg").read_text().split()[:3],
                                     "stores": {}}
        for store in args.store.split(","):
            if store == "postgres":
                db = create_postgres(args.pg_url)
                cleanups.append(db.cleanup)
                url = db.url
            elif store == "sqlite":
                url = f"sqlite:///{tmp / f'limits-{secrets.token_hex(3)}.db'}"
            else:
                url = REDIS
            rounds = []
            for r in range(args.rounds):
                row = {}
                order = [("before", before), ("after", Path(args.after))]
                for name, src in (order if r % 2 == 0 else order[::-1]):
                    row[name] = run(src, url, args.cycles)
                rounds.append(row)
                b, a = row["before"], row["after"]
                print(f"{store} round {r + 1}: statements {b['sent']:.1f} -> {a['sent']:.1f}; "
                      f"client CPU {b['cpu_ms']:.3f} -> {a['cpu_ms']:.3f} ms "
                      f"(x{a['cpu_ms'] / b['cpu_ms']:.2f}); wall {b['wall_ms']:.3f} -> "
                      f"{a['wall_ms']:.3f} ms (x{a['wall_ms'] / b['wall_ms']:.2f})", flush=True)
            ratios = {k: statistics.median(x["after"][k] / x["before"][k] for x in rounds)
                      for k in ("cpu_ms", "wall_ms")}
            print(f"{store}: median ratio after/before: CPU x{ratios['cpu_ms']:.2f}, "
                  f"wall x{ratios['wall_ms']:.2f}")
            report["stores"][store] = {"rounds": rounds, "median_ratios": ratios}  # type: ignore[index]
        out = HERE / "results" / f"limiter-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(report, indent=1))
        print(f"wrote {out}")
    finally:
        for cleanup in cleanups:
            cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
