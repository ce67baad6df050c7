"""What PostgreSQL alone can do for a bind, driven by pgbench (C, no Python in the way).

    python bench/pg_floor.py [--clients 32] [--transactions-per-client 150] [--pg-url URL]

Creates a fresh database on 127.0.0.1, migrates it with the project's migrations, fills it with
synthetic creators, posts, ad accounts and unbound codes in plain SQL, then runs two pgbench
scripts, each binding codes never bound before (one per transaction):

* ``app-shaped``: the statements one ``POST .../spark-posts`` sends today, in the same order and
  the same transaction (token, ad account, membership, business, savepoint, code, post, creator,
  existing Spark post, count, UPDATE, re-read, savepoint, INSERT, release, audit INSERT, release,
  three re-reads, COMMIT), as listed by bench/sql_anatomy.py: 22 round trips;
* ``one-statement``: the same checks and writes as a single SQL statement (one round trip,
  autocommit): what the database costs if the application's round trips were gone.

Both also read the next code from a prepared queue table (one more short statement), which the
app does not need; the figures are therefore slightly pessimistic. Prints transactions/s and
latency percentiles, writes JSON under bench/results/, and drops the database at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bind_bench import (  # noqa: E402
    DEFAULT_PG,
    RESULTS_DIR,
    background_busy_pct,
    create_postgres,
    machine_cpu,
    machine_info,
    migrate,
    pg_backends,
    pg_backends_delta,
    postgres_version,
    source_env,
)

SEED_SQL = """
CREATE TEMP TABLE n AS SELECT generate_series(1, %(codes)s) AS i;
INSERT INTO users (id, email, name, password_hash, created_at)
  SELECT md5('user' || g), 'user' || g || '@bench.example.com', '', 'x', now()
  FROM generate_series(1, 8) g;
INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_at)
  SELECT md5('tok' || g), md5('user' || g), '', encode(sha256(('tok' || g)::bytea), 'hex'),
         'sct_', now() FROM generate_series(1, 8) g;
INSERT INTO businesses (id, name, created_by_id, created_at)
  SELECT md5('biz' || g), 'Brand ' || g, md5('user' || g), now() FROM generate_series(1, 4) g;
INSERT INTO business_members (id, business_id, user_id, role, created_at)
  SELECT md5('mem' || g), md5('biz' || g), md5('user' || g), 'admin', now()
  FROM generate_series(1, 4) g;
INSERT INTO ad_accounts (id, tiktok_id, business_id, name, region, timezone, created_at)
  SELECT md5('acct' || g), 7100000000000000000 + g, md5('biz' || ((g - 1) / 2 + 1)),
         'Account ' || g, 'US', 'UTC', now()
  FROM generate_series(1, 8) g;
INSERT INTO creators (id, tiktok_id, owner_id, handle, handle_key, display_name, region,
                      ad_settings_enabled_at, ad_terms_accepted_at, created_at)
  SELECT md5('cr' || g), 7200000000000000000 + g, md5('user' || (5 + g %% 4)), 'bench_' || g,
         'bench_' || g, 'Bench', 'US',
         now(), now(), now() FROM generate_series(1, 40) g;
INSERT INTO posts (id, tiktok_id, creator_id, kind, caption, sound, visibility, revision,
                   published_at, views, likes, comments, shares, created_at)
  SELECT md5('post' || g), 7300000000000000000 + g, md5('cr' || (g %% 40 + 1)), 'video',
         'Bench post ' || g, 'original',
         'public', 1, now(), 0, 0, 0, 0, now()
  FROM generate_series(1, (%(codes)s + 7) / 8) g;
INSERT INTO authorizations (id, post_id, code_hash, code_hint, days, created_by_id, starts_at,
                            expires_at, created_at)
  SELECT md5('auth' || i), md5('post' || ((i - 1) / 8 + 1)),
         encode(sha256(('code' || i)::bytea), 'hex'), 'ABCD', 30,
         md5('user' || (5 + ((i - 1) / 8 + 1) %% 40 %% 4)), now(), now() + interval '30 days', now()
  FROM n;
CREATE TABLE bench_queue AS
  SELECT row_number() OVER (ORDER BY random()) AS n, md5('auth' || i) AS auth_id,
         encode(sha256(('code' || i)::bytea), 'hex') AS code_hash,
         md5('acct' || ((i - 1) %% 8 + 1)) AS account_id,
         md5('biz' || (((i - 1) %% 8) / 2 + 1)) AS business_id,
         md5('post' || ((i - 1) / 8 + 1)) AS post_id,
         md5('cr' || (((i - 1) / 8 + 1) %% 40 + 1)) AS creator_id,
         md5('user' || (((i - 1) %% 8) / 2 + 1)) AS user_id,
         encode(sha256(('tok' || (((i - 1) %% 8) / 2 + 1))::bytea), 'hex') AS token_hash
  FROM n;
ALTER TABLE bench_queue ADD PRIMARY KEY (n);
CREATE SEQUENCE bench_seq;
ANALYZE;
"""

SQL_DIR = Path(__file__).resolve().parent / "pg_floor_sql"
SCRIPTS = {"app-shaped": SQL_DIR / "app_shaped.sql", "one-statement": SQL_DIR / "one_statement.sql"}


def percentiles(log_dir: Path) -> dict[str, float]:
    lat = []
    for path in log_dir.glob("pgbench_log*"):
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3:
                lat.append(int(parts[2]) / 1000)
    lat.sort()
    if not lat:
        return {}

    def pick(p: float) -> float:
        return lat[min(len(lat) - 1, max(0, round(p / 100 * len(lat) + 0.5) - 1))]

    return {"p50_ms": pick(50), "p99_ms": pick(99), "max_ms": lat[-1], "count": len(lat)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pg-url", default=DEFAULT_PG)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--transactions-per-client", type=int, default=150)
    p.add_argument("--scripts", default="app-shaped,one-statement")
    p.add_argument("--out", type=Path, help="JSON result file (default bench/results/...)")
    args = p.parse_args(argv)
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise SystemExit("pgbench not found (Debian: postgresql-contrib / postgresql-client)")
    scripts = [s.strip() for s in args.scripts.split(",")]
    per_script = args.clients * args.transactions_per_client
    codes = per_script * len(scripts) + 100
    tmp = Path(tempfile.mkdtemp(prefix="sparkcodes-pgfloor-"))
    db = create_postgres(args.pg_url)
    results = []
    try:
        env, source = source_env(None, tmp)
        migrate(db.url, env)
        import psycopg

        with psycopg.connect(db.url, autocommit=True) as conn:
            for statement in (SEED_SQL % {"codes": codes}).split(";\n"):
                if statement.strip():
                    conn.execute(statement)
        from sqlalchemy.engine import make_url

        url = make_url(db.url)
        print(f"database {db.name}: {codes} unbound codes over 8 ad accounts; "
              f"{args.clients} clients x {args.transactions_per_client} binds per script")
        for name in scripts:
            script = SCRIPTS[name]
            log_dir = tmp / f"log-{name}"
            log_dir.mkdir()
            background = background_busy_pct()
            busy0, total0 = machine_cpu()
            # pgbench's connections are opened after this, so every backend of ours is new.
            pg0 = pg_backends(db.name)
            proc = subprocess.Popen(
                [pgbench, "-n", "-M", "prepared", "-c", str(args.clients), "-j",
                 str(args.threads), "-t", str(args.transactions_per_client), "-f", str(script),
                 "-l", "--log-prefix", str(log_dir / "pgbench_log"), "-h", url.host or "127.0.0.1",
                 "-p", str(url.port or 5432), "-U", url.username or "postgres", db.name],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp,
            )
            # pgbench's backends exit with it: sample their CPU while they live (10 Hz).
            seen: dict[int, float] = {}
            deadline = time.monotonic() + 600
            while proc.poll() is None and time.monotonic() < deadline:
                seen.update(pg_backends(db.name))
                time.sleep(0.1)
            if proc.poll() is None:
                proc.kill()
            stdout, stderr = proc.communicate()
            done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
            busy1, total1 = machine_cpu()
            pg_cpu = pg_backends_delta(pg0, seen)
            if done.returncode != 0:
                print(done.stdout, done.stderr)
                raise SystemExit(f"pgbench failed on {name}")
            tps = next(float(line.split("=")[1].split()[0]) for line in done.stdout.splitlines()
                       if line.startswith("tps ="))
            failed = next((int(line.split(":")[1].split()[0]) for line in done.stdout.splitlines()
                           if line.startswith("number of failed transactions")), 0)
            with psycopg.connect(db.url, autocommit=True) as conn:
                bound = conn.execute("SELECT count(*) FROM spark_posts").fetchone()[0]
            row = {"script": name, "tps": tps, "failed": failed, **percentiles(log_dir),
                   "spark_posts_total": bound,
                   "postgres_cpu_ms_per_tx": round(1000 * pg_cpu / per_script, 3),
                   "machine_cpu_busy_pct": round(100 * (busy1 - busy0) / max(1, total1 - total0),
                                                 1),
                   "background_busy_pct_before": background}
            results.append(row)
            print(f"{name:14s} {tps:8.0f} binds/s  p50 {row.get('p50_ms', 0):6.2f} ms  "
                  f"p99 {row.get('p99_ms', 0):6.2f} ms  postgres CPU "
                  f"{row['postgres_cpu_ms_per_tx']:.2f} ms/bind  failed {failed}  "
                  f"(spark posts so far {bound}; machine busy {row['machine_cpu_busy_pct']}%, "
                  f"before {background}%)")
        pg_version = postgres_version(db.url)
    finally:
        db.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    info = machine_info()
    info["postgresql"] = pg_version
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or RESULTS_DIR / f"pgfloor-{stamp}.json"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "pg_floor", "machine": info, "source": source,
                               "clients": args.clients, "transactions_per_client":
                               args.transactions_per_client, "results": results}, indent=2) + "\n")
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
