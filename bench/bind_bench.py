"""Bind benchmark: how many Spark codes per second can one machine preview and bind?

    python bench/bind_bench.py [--db sqlite|postgres|both] [--requests N] [--concurrency 32]
                               [--workers 1,2] [--max-seconds 60] [--profile]

For each database and each server worker count it:

1. creates a fresh database (a SQLite file in a temporary directory, or a PostgreSQL database
   ``sparkcodes_bench_<random>`` on 127.0.0.1) and migrates it;
2. starts the service with uvicorn as a subprocess on a free 127.0.0.1 port;
3. seeds it over HTTP: creator and brand users with tokens, creators with ad settings on, posts,
   one distinct code per (post, ad account), businesses with several ad accounts;
4. drives it from a separate load-generator process (bench/loadgen.py) with ``--concurrency``
   closed-loop keep-alive clients: GET /health (the ceiling), POST .../spark-posts/preview, and
   POST .../spark-posts with one never-bound code per request (every request is a real write);
5. prints scenario, requests, errors, requests/s, p50 and p99, and writes everything as JSON to
   bench/results/.

Every run is bounded (``--requests`` per scenario and ``--max-seconds``), and the server, the load
generator and the databases are removed at the end, also on Ctrl-C or error. It only ever talks to
127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
HOST = "127.0.0.1"
DEFAULT_PG = f"postgresql://postgres@{HOST}:5432/"


def _ensure_venv() -> None:
    """Re-run under the project's venv when started with a Python that lacks the service."""
    try:
        import httpx  # noqa: F401

        import sparkcodes  # noqa: F401
    except ImportError:
        venv_python = ROOT / ".venv" / "bin" / "python"
        if venv_python.exists() and Path(sys.executable).resolve() != venv_python.resolve():
            os.execv(str(venv_python), [str(venv_python), *sys.argv])
        raise


_ensure_venv()

import httpx  # noqa: E402

# --------------------------------------------------------------------------------------------
# Machine facts


def machine_info() -> dict[str, Any]:
    cpu_model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    versions = {}
    for name in ("fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "pydantic"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[name] = version(name)
    return {
        "date": dt.date.today().isoformat(),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "packages": versions,
    }


# --------------------------------------------------------------------------------------------
# CPU accounting from /proc (server tree, PostgreSQL backends of our database, whole machine)

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of one process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def tree_pids(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for pid in _all_pids():
        st = _proc_stat(pid)
        if st:
            parents[pid] = st[0]
    found, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == current and pid not in found:
                found.add(pid)
                frontier.append(pid)
    return sorted(found)


def tree_cpu(root: int) -> float:
    return sum((_proc_stat(p) or (0, 0.0))[1] for p in tree_pids(root))


def tree_rss_kb(root: int) -> int:
    """Resident memory of a process and its children, from /proc (kB)."""
    total = 0
    for pid in tree_pids(root):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


class RssPeak:
    """The peak resident memory of a process tree while the block runs, sampled 10 times a
    second in a thread."""

    def __init__(self, root: int) -> None:
        import threading

        self.root, self.peak_kb = root, tree_rss_kb(root)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.root))

    @property
    def peak_mb(self) -> float:
        return round(self.peak_kb / 1024, 1)

    def __enter__(self) -> RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, tree_rss_kb(self.root))


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process, including backends that exited meanwhile.

    A backend that exits (a pooled connection closed) takes its CPU time with it, but the
    postmaster reaps it and the kernel adds it to the postmaster's children time (cutime/cstime).
    So: live processes + the postmaster's reaped children. This covers every database on the
    server, so other activity on it is counted too (the benchmark notes the background load).
    """
    total = 0.0
    for pid in _all_pids():
        try:
            with open(f"/proc/{pid}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        if comm != "postgres":
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) / _TICK
        try:
            with open(f"/proc/{int(fields[1])}/stat") as f:
                parent = f.read()
        except OSError:
            parent = ""
        if "(postgres)" not in parent:  # the postmaster: add the backends it reaped
            total += (int(fields[13]) + int(fields[14])) / _TICK
    return total


def pg_backends(db_name: str | None) -> dict[int, float]:
    """CPU seconds of each live PostgreSQL backend connected to our database, by pid."""
    out: dict[int, float] = {}
    if not db_name:
        return out
    for pid in _all_pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if cmd.startswith(b"postgres:") and f" {db_name} ".encode() in cmd:
            st = _proc_stat(pid)
            if st:
                out[pid] = st[1]
    return out


def pg_backends_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU our database's backends used in between; a backend that exited meanwhile is missed
    (the service's pool keeps its connections, so pg_stat_database shows almost none do)."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


def pg_db_stats(url: str | None) -> dict[str, int]:
    """Counters of pg_stat_database for our database (sessions opened, commits, rows)."""
    if url is None:
        return {}
    import psycopg

    cols = ("sessions", "xact_commit", "xact_rollback", "tup_returned", "tup_fetched",
            "tup_inserted", "tup_updated", "tup_deleted")
    with psycopg.connect(url, connect_timeout=10, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(f"SELECT {', '.join(cols)} FROM pg_stat_database "
                           "WHERE datname = current_database()").fetchone()
    return dict(zip(cols, (int(v or 0) for v in row), strict=True))


def wait_for_quiet(max_wait: float, threshold: float) -> float:
    """Wait (at most ``max_wait`` seconds) until others leave the machine quiet; return its load."""
    deadline = time.monotonic() + max_wait
    busy = background_busy_pct()
    while busy > threshold and time.monotonic() < deadline:
        busy = background_busy_pct(2.0)
    if busy > threshold:
        print(f"   warning: the machine was {busy}% busy with other work before this scenario; "
              "its figures are pessimistic", flush=True)
    return busy


def background_busy_pct(seconds: float = 1.0) -> float:
    """How busy the machine is before we load it (other people's work shares it)."""
    b0, t0 = machine_cpu()
    time.sleep(seconds)
    b1, t1 = machine_cpu()
    return round(100 * (b1 - b0) / max(1, t1 - t0), 1)


def result_cpus() -> int:
    return os.cpu_count() or 1


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


# --------------------------------------------------------------------------------------------
# Databases


@dataclass
class BenchDatabase:
    kind: str
    url: str
    name: str | None = None  # PostgreSQL database name
    drop: Any = None

    def cleanup(self) -> None:
        if self.drop is not None:
            drop, self.drop = self.drop, None
            drop()


def _check_local(url: str) -> None:
    from sqlalchemy.engine import make_url

    host = make_url(url).host
    if host not in (HOST, "localhost"):
        raise SystemExit(f"refusing to use a database on {host!r}: this benchmark only talks to "
                         f"{HOST}")


def create_sqlite(tmp: Path) -> BenchDatabase:
    return BenchDatabase("sqlite", f"sqlite:///{tmp / 'bench.db'}")


def create_postgres(base_url: str) -> BenchDatabase:
    import psycopg
    from sqlalchemy.engine import make_url

    _check_local(base_url)
    base = make_url(base_url)
    name = f"sparkcodes_bench_{secrets.token_hex(5)}"
    admin_conn = None
    last_error: Exception | None = None
    for admin_db in ("test", "postgres"):
        try:
            admin_conn = psycopg.connect(
                host=base.host, port=base.port or 5432, user=base.username or "postgres",
                password=base.password, dbname=admin_db, autocommit=True, connect_timeout=10,
            )
            break
        except psycopg.Error as exc:
            last_error = exc
    if admin_conn is None:
        raise SystemExit(f"cannot reach PostgreSQL at {base_url}: {last_error}")
    admin_conn.execute(f'CREATE DATABASE "{name}"')
    params = {"host": base.host, "port": base.port or 5432, "user": base.username or "postgres",
              "password": base.password}

    def drop() -> None:
        try:
            admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin_conn.close()

    auth = base.username or "postgres"
    if base.password:
        auth += f":{base.password}"
    url = f"postgresql://{auth}@{params['host']}:{params['port']}/{name}"
    return BenchDatabase("postgres", url, name=name, drop=drop)


def postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        settings = {
            key: conn.execute(f"SHOW {key}").fetchone()[0]
            for key in ("shared_buffers", "synchronous_commit", "fsync", "max_connections")
        }
    return f"{row[0]} ({', '.join(f'{k}={v}' for k, v in settings.items())})"


def migrate(url: str, env: dict[str, str]) -> None:
    """Run the migrations in a subprocess, with the same source tree the server will run."""
    code = "import sys; from sparkcodes.migrations import upgrade; upgrade(sys.argv[1])"
    done = subprocess.run([sys.executable, "-c", code, url], env=env, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"migration failed:\n{done.stderr[-3000:]}")


# --------------------------------------------------------------------------------------------
# Which source to measure: the working tree, or a git ref exported to a temporary directory


def source_env(ref: str | None, tmp_root: Path) -> tuple[dict[str, str], str]:
    """Environment for the server and migrations, and a description of the measured source."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SPARKCODES_") and k != "PYTHONPATH"}
    git = ["git", "-C", str(ROOT)]
    if ref is None:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "src"], capture_output=True,
                               text=True).stdout.strip()
        return env, f"working tree at {head}" + (" + uncommitted changes in src/" if dirty else "")
    commit = subprocess.run([*git, "rev-parse", "--short", f"{ref}^{{commit}}"],
                            capture_output=True, text=True)
    if commit.returncode != 0:
        raise SystemExit(f"unknown git ref {ref!r}: {commit.stderr.strip()}")
    target = tmp_root / "source"
    target.mkdir()
    archive = subprocess.run([*git, "archive", "--format=tar", ref, "src"], capture_output=True,
                             check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    # PYTHONPATH comes before the venv's editable-install path, so this copy is imported.
    env["PYTHONPATH"] = str(target / "src")
    return env, f"git {ref} = {commit.stdout.strip()} (exported, working tree not used)"


# --------------------------------------------------------------------------------------------
# The server


def seed_in_process(client: Any, *, handle: str, codes: int) -> tuple[str, str, list[str]]:
    """Through a TestClient: a brand with one ad account and a creator with ``codes`` posts, one
    fresh code each. Returns the brand's token, the ad account id and the raw codes."""
    def call(method, path, token=None, body=None):  # type: ignore[no-untyped-def]
        headers = {"authorization": f"Bearer {token}"} if token else {}
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code < 300, (path, r.status_code, r.text)
        return r.json()

    def user(email):  # type: ignore[no-untyped-def]
        call("POST", "/v1/users", body={"email": email, "password": "bench-password"})
        return call("POST", "/v1/tokens",
                    body={"email": email, "password": "bench-password"})["token"]

    brand = user("brand@bench.example.com")
    business = call("POST", "/v1/businesses", brand, {"name": "Brand"})
    account_id = call("POST", f"/v1/businesses/{business['id']}/ad-accounts", brand,
                      {"name": "Account", "region": "US"})["id"]
    owner = user("creator@bench.example.com")
    creator = call("POST", "/v1/creators", owner,
                   {"handle": handle, "display_name": "B", "region": "US"})
    call("PUT", f"/v1/creators/{creator['id']}/ad-settings", owner,
         {"enabled": True, "accept_terms": True})
    raw = []
    for i in range(codes):
        post = call("POST", f"/v1/creators/{creator['id']}/posts", owner, {"caption": f"post {i}"})
        raw.append(call("POST", f"/v1/posts/{post['id']}/authorizations", owner,
                        {"days": 30})["code"])
    return brand, account_id, raw


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """uvicorn --factory sparkcodes.app:create_app in its own session, killed as a group."""

    def __init__(self, db_url: str, workers: int, tmp: Path, base_env: dict[str, str]) -> None:
        self.port = free_port()
        self.workers = workers
        self.log_path = tmp / f"server-{self.port}.log"
        env = dict(base_env)
        env.update({
            "SPARKCODES_DATABASE_URL": db_url,
            "SPARKCODES_SECRET_KEY": secrets.token_urlsafe(32),
            "SPARKCODES_ENV": "test",
            "SPARKCODES_SANDBOX": "0",
        })
        cmd = [
            sys.executable, "-m", "uvicorn", "--factory", "sparkcodes.app:create_app",
            "--host", HOST, "--port", str(self.port), "--workers", str(workers),
            "--no-access-log", "--log-level", "warning",
        ]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        # cwd=tmp: the service reads .env and var/ relative to its working directory.
        self.proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://{HOST}:{self.port}"
        self._stopped = False

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base + "/health", timeout=2).status_code == 200:
                    # With several workers, give every worker time to finish importing.
                    if self.workers > 1:
                        time.sleep(2)
                    return
            time.sleep(0.2)
        raise RuntimeError(f"server did not answer /health in {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def worker_pids(self) -> list[int]:
        pids = tree_pids(self.proc.pid)
        return [p for p in pids if p != self.proc.pid] if self.workers > 1 else [self.proc.pid]

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        # Reap any worker left behind in the group (same session id as the server we started).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()


# --------------------------------------------------------------------------------------------
# Seeding over HTTP


@dataclass
class Seed:
    accounts: list[tuple[str, str]] = field(default_factory=list)  # (ad account id, brand token)
    codes: list[tuple[str, str]] = field(default_factory=list)  # (code, ad account id)
    posts: int = 0
    creators: int = 0
    seconds: float = 0.0


async def seed(base: str, *, codes_needed: int, businesses: int, accounts_per_business: int,
               creator_users: int, creators_per_user: int, concurrency: int) -> Seed:
    out = Seed()
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        gate = asyncio.Semaphore(concurrency)

        async def call(method: str, path: str, token: str | None = None,
                       body: dict | None = None) -> dict:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            async with gate:
                r = await client.request(method, path, json=body, headers=headers)
            if r.status_code >= 300:
                raise RuntimeError(f"seeding {method} {path} -> {r.status_code}: {r.text[:300]}")
            return r.json()

        async def user(email: str) -> str:
            await call("POST", "/v1/users", body={"email": email, "password": "bench-password"})
            got = await call("POST", "/v1/tokens",
                             body={"email": email, "password": "bench-password"})
            return got["token"]

        # Brands: businesses, each with its own admin user and several ad accounts.
        async def brand(b: int) -> list[tuple[str, str]]:
            token = await user(f"brand{b}@bench.example.com")
            business = await call("POST", "/v1/businesses", token, {"name": f"Brand {b}"})
            accounts = []
            for a in range(accounts_per_business):
                acct = await call("POST", f"/v1/businesses/{business['id']}/ad-accounts", token,
                                  {"name": f"Brand {b} account {a}", "region": "US"})
                accounts.append((acct["id"], token))
            return accounts

        for accounts in await asyncio.gather(*(brand(b) for b in range(businesses))):
            out.accounts.extend(accounts)
        n_accounts = len(out.accounts)

        # Creators: a few owner users, each with several creator accounts, ad settings on.
        async def creator_owner(u: int) -> list[tuple[str, str]]:
            token = await user(f"creator{u}@bench.example.com")
            made = []
            for c in range(creators_per_user):
                creator = await call("POST", "/v1/creators", token,
                                     {"handle": f"bench_{u}_{c}", "display_name": f"Bench {u}.{c}",
                                      "region": "US"})
                await call("PUT", f"/v1/creators/{creator['id']}/ad-settings", token,
                           {"enabled": True, "accept_terms": True})
                made.append((creator["id"], token))
            return made

        creators: list[tuple[str, str]] = []
        for made in await asyncio.gather(*(creator_owner(u) for u in range(creator_users))):
            creators.extend(made)
        out.creators = len(creators)

        # Posts: enough that every code is for a (post, ad account) pair not bound yet, so each
        # bind creates a Spark post instead of replacing a code.
        n_posts = math.ceil(codes_needed / n_accounts)
        out.posts = n_posts

        async def post(i: int) -> tuple[str, str]:
            creator_id, token = creators[i % len(creators)]
            got = await call("POST", f"/v1/creators/{creator_id}/posts", token,
                             {"caption": f"Bench post {i} #ad", "kind": "video",
                              "sound": "original", "visibility": "public"})
            return got["id"], token

        posts = await asyncio.gather(*(post(i) for i in range(n_posts)))

        # Codes: one per (post, ad account); the code is meant for that ad account.
        async def code(i: int) -> tuple[str, str]:
            post_id, token = posts[i // n_accounts]
            account_id, _ = out.accounts[i % n_accounts]
            got = await call("POST", f"/v1/posts/{post_id}/authorizations", token, {"days": 30})
            return got["code"], account_id

        out.codes = list(await asyncio.gather(*(code(i) for i in range(codes_needed))))
    out.seconds = time.perf_counter() - started
    return out


# --------------------------------------------------------------------------------------------
# Scenarios


def scenario_requests(name: str, seed_data: Seed, count: int) -> tuple[list[list], str | None]:
    tokens = dict(seed_data.accounts)
    if name == "health":
        return [["GET", "/health", {}, None] for _ in range(count)], '"ok"'
    reqs = []
    for code, account_id in seed_data.codes[:count]:
        auth = {"Authorization": f"Bearer {tokens[account_id]}"}
        if name == "preview":
            reqs.append(["POST", f"/v1/ad-accounts/{account_id}/spark-posts/preview", auth,
                         json.dumps({"code": code})])
        else:
            reqs.append(["POST", f"/v1/ad-accounts/{account_id}/spark-posts", auth,
                         json.dumps({"codes": [code]})])
    return reqs, ('"eligible":true' if name == "preview" else '"bound":1')


def run_loadgen(spec: dict, tmp: Path, timeout: float) -> dict:
    spec_path = tmp / f"spec-{secrets.token_hex(4)}.json"
    out_path = spec_path.with_suffix(".out.json")
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.Popen([sys.executable, str(BENCH_DIR / "loadgen.py"), str(spec_path),
                             str(out_path)], start_new_session=True)
    try:
        rc = proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if rc != 0:
        raise RuntimeError(f"load generator exited with {rc}")
    return json.loads(out_path.read_text())


def find_py_spy() -> str | None:
    found = shutil.which("py-spy")
    if found:
        return found
    for candidate in (ROOT / ".venv" / "bin" / "py-spy", Path("/tmp/pyspy-venv/bin/py-spy")):
        if candidate.exists():
            return str(candidate)
    return None


def run_config(kind: str, workers: int, args: argparse.Namespace, tmp_root: Path,
               stack: contextlib.ExitStack, env: dict[str, str]) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"{kind}-w{workers}-", dir=tmp_root))
    db = create_sqlite(tmp) if kind == "sqlite" else create_postgres(args.pg_url)
    stack.callback(db.cleanup)
    print(f"\n== {kind}, {workers} worker(s): database {db.name or db.url}", flush=True)
    migrate(db.url, env)
    pg_version = postgres_version(db.url) if kind == "postgres" else None

    server = Server(db.url, workers, tmp, env)
    stack.callback(server.stop)
    server.wait_ready()

    codes_needed = args.requests + args.warmup
    seed_data = asyncio.run(asyncio.wait_for(
        seed(server.base, codes_needed=codes_needed, businesses=args.businesses,
             accounts_per_business=args.accounts_per_business, creator_users=4,
             creators_per_user=10, concurrency=args.seed_concurrency),
        timeout=args.seed_timeout,
    ))
    # Spread consecutive requests over ad accounts and posts, the same way on every run.
    random.Random(42).shuffle(seed_data.codes)
    print(f"   seeded {len(seed_data.accounts)} ad accounts, {seed_data.creators} creators, "
          f"{seed_data.posts} posts, {len(seed_data.codes)} codes in {seed_data.seconds:.1f}s",
          flush=True)

    results = []
    for name in args.scenarios:
        reqs, check = scenario_requests(name, seed_data, codes_needed)
        spec = {"port": server.port, "concurrency": args.concurrency, "warmup": args.warmup,
                "max_seconds": args.max_seconds, "check": check, "requests": reqs}
        background = wait_for_quiet(args.wait_idle, args.idle_threshold)
        profiler = None
        if args.profile and name in args.profile_scenarios:
            profiler = start_profiler(server, kind, workers, name, args)
        stats0 = pg_db_stats(db.url if kind == "postgres" else None)
        busy0, total0 = machine_cpu()
        server_cpu0 = tree_cpu(server.proc.pid)
        pg_cpu0 = postgres_cpu()
        backends0 = pg_backends(db.name)
        with RssPeak(server.proc.pid) as rss:
            result = run_loadgen(spec, tmp, timeout=args.max_seconds + 60)
        result["server_rss_peak_mb"] = rss.peak_mb
        busy1, total1 = machine_cpu()
        server_cpu = tree_cpu(server.proc.pid) - server_cpu0
        pg_cpu = postgres_cpu() - pg_cpu0
        own_pg_cpu = pg_backends_delta(backends0, pg_backends(db.name))
        stats1 = pg_db_stats(db.url if kind == "postgres" else None)
        if profiler is not None:
            result["profile"] = stop_profiler(profiler)
        if server.proc.poll() is not None:
            raise RuntimeError(f"server died during {name}:\n{server.log_tail()}")
        # CPU is accounted over the whole load-generator run (warm-up included) per request.
        sent = result["requests"] + args.warmup
        busy_seconds = (busy1 - busy0) / _TICK
        ours = server_cpu + own_pg_cpu + result["loadgen_cpu_seconds"]
        wall = max(1e-9, (total1 - total0) / _TICK / result_cpus())
        result.update({
            "others_cpu_pct_during": round(100 * max(0.0, busy_seconds - ours) / wall
                                           / result_cpus(), 1),
            "scenario": name, "db": kind, "workers": workers, "concurrency": args.concurrency,
            "machine_cpu_busy_pct": round(100 * (busy1 - busy0) / max(1, total1 - total0), 1),
            "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, sent), 3),
            # Backends serving our database only (others' tests on the same server excluded).
            "postgres_cpu_ms_per_request": (round(1000 * own_pg_cpu / max(1, sent), 3)
                                            if kind == "postgres" else None),
            # Every PostgreSQL process (WAL writer, checkpointer, other databases too).
            "postgres_all_cpu_ms_per_request": (round(1000 * pg_cpu / max(1, sent), 3)
                                                if kind == "postgres" else None),
            "background_busy_pct_before": background,
            "postgres_per_request": {k: round((stats1[k] - stats0[k]) / max(1, sent), 3)
                                     for k in stats0},
            "loadgen_cpu_ms_per_request": round(
                1000 * result["loadgen_cpu_seconds"] / max(1, result["requests"]), 3),
        })
        results.append(result)
        print(f"   {name:8s} {result['requests']:6d} req  {result['errors']:4d} errors  "
              f"{result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.2f} ms  "
              f"p99 {result['p99_ms']:7.2f} ms  (cpu busy {result['machine_cpu_busy_pct']}%, "
              f"others {result['others_cpu_pct_during']}%)",
              flush=True)
        if result["sample_failures"]:
            print("   first failures:", *result["sample_failures"][:3], sep="\n     ")

    server.stop()
    db.cleanup()
    return {"db": kind, "workers": workers, "postgres_version": pg_version,
            "seed": {"ad_accounts": len(seed_data.accounts), "creators": seed_data.creators,
                     "posts": seed_data.posts, "codes": len(seed_data.codes),
                     "seconds": round(seed_data.seconds, 1)},
            "results": results}


def start_profiler(server: Server, kind: str, workers: int, name: str,
                   args: argparse.Namespace) -> dict | None:
    py_spy = find_py_spy()
    if py_spy is None:
        print("   --profile: py-spy not found (pip install py-spy); not profiling", flush=True)
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    procs = []
    for pid in server.worker_pids():
        out = (RESULTS_DIR
               / f"profile-{stamp}-{kind}-w{workers}-{name}-{args.profile_mode}-{pid}.txt")
        cmd = [py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
               "--nonblocking", "--duration", str(int(args.max_seconds) + 5), "-o", str(out)]
        if args.profile_mode == "gil":
            cmd.append("--gil")
        elif args.profile_mode == "wall":
            cmd.append("--idle")
        procs.append((subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                       start_new_session=True), out))
    time.sleep(1)
    return {"procs": procs}


def stop_profiler(profiler: dict) -> list[str]:
    files = []
    for proc, out in profiler["procs"]:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        files.append(str(out.relative_to(ROOT)))
    return files


# --------------------------------------------------------------------------------------------
# Report

COLUMNS = ("db", "workers", "scenario", "requests", "errors", "rps", "p50_ms", "p99_ms")


def table(configs: list[dict]) -> str:
    head = (f"{'db':9s} {'workers':>7s} {'scenario':9s} {'requests':>8s} {'errors':>6s} "
            f"{'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'srv cpu ms/req':>14s}")
    lines = [head, "-" * len(head)]
    for config in configs:
        for r in config["results"]:
            errors = r["errors"] + r["refused_2xx"]
            lines.append(
                f"{config['db']:9s} {config['workers']:>7d} {r['scenario']:9s} "
                f"{r['requests']:>8d} {errors:>6d} {r['rps']:>9.1f} {r['p50_ms']:>8.2f} "
                f"{r['p99_ms']:>8.2f} {r['server_cpu_ms_per_request']:>14.2f}"
            )
    return "\n".join(lines)


def target_verdict(configs: list[dict]) -> list[str]:
    lines = []
    for config in configs:
        if config["db"] != "postgres":
            continue
        for r in config["results"]:
            if r["scenario"] == "bind":
                ok = r["rps"] >= 1000 and r["p99_ms"] <= 50 and r["errors"] == 0
                lines.append(f"target bind >= 1000/s, p99 <= 50 ms on PostgreSQL with "
                             f"{config['workers']} worker(s): {'MET' if ok else 'NOT MET'} "
                             f"({r['rps']:.0f}/s, p99 {r['p99_ms']:.1f} ms)")
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--requests", type=int, default=1500,
                   help="measured requests per scenario (default 1500)")
    p.add_argument("--warmup", type=int, default=200,
                   help="unmeasured requests sent first in each scenario (default 200)")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--workers", default="1,2",
                   help="uvicorn worker counts to try, comma-separated (default 1,2)")
    p.add_argument("--max-seconds", type=float, default=20,
                   help="time limit per scenario (default 20)")
    p.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                   help="before each scenario wait up to this long for other work on the "
                        "machine to stop (default 0: measure and warn only)")
    p.add_argument("--idle-threshold", type=float, default=15,
                   help="percent of the machine's CPU others may use for it to count as quiet")
    p.add_argument("--scenarios", default="health,preview,bind")
    p.add_argument("--pg-url", default=DEFAULT_PG,
                   help=f"PostgreSQL server to create the bench database on (default {DEFAULT_PG})")
    p.add_argument("--businesses", type=int, default=4)
    p.add_argument("--accounts-per-business", type=int, default=2)
    p.add_argument("--seed-concurrency", type=int, default=16)
    p.add_argument("--seed-timeout", type=float, default=240)
    p.add_argument("--profile", action="store_true",
                   help="record the server workers with py-spy during the bind scenario "
                        "(figures of a profiled run are lower; use them for the profile only)")
    p.add_argument("--profile-scenarios", default="bind")
    p.add_argument("--profile-mode", choices=("gil", "active", "wall"), default="gil",
                   help="gil: only the thread holding the GIL (where Python CPU goes, default); "
                        "active: every thread py-spy thinks is running; wall: also idle threads")
    p.add_argument("--ref", help="measure this git ref (e.g. HEAD) exported to a temporary "
                   "directory instead of the working tree, which others may be editing")
    p.add_argument("--out", type=Path, help="JSON result file (default bench/results/...)")
    args = p.parse_args(argv)
    args.dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    args.worker_counts = [int(w) for w in str(args.workers).split(",") if w.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    args.profile_scenarios = [s.strip() for s in args.profile_scenarios.split(",")]
    for s in args.scenarios:
        if s not in ("health", "preview", "bind"):
            p.error(f"unknown scenario {s!r}")
    if args.requests < 1 or args.requests > 100_000:
        p.error("--requests must be between 1 and 100000")
    if not 1 <= args.concurrency <= 512:
        p.error("--concurrency must be between 1 and 512")
    if "postgres" in args.dbs:
        _check_local(args.pg_url)
    return args


def _raise_interrupt(signum, frame):  # type: ignore[no-untyped-def]
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Ctrl-C, kill and hang-up all clean up (also when started in the background, where SIGINT
    # arrives ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    print(f"machine: {info['nproc']} CPU ({info['cpu_model']}), {info['memory_gib']} GiB, "
          f"Python {info['python']}, SQLite {info['sqlite']}; {info['date']}", flush=True)
    print(f"each scenario: {args.requests} measured requests after {args.warmup} warm-up, "
          f"{args.concurrency} concurrent clients, at most {args.max_seconds:.0f}s", flush=True)
    started = time.perf_counter()
    configs: list[dict] = []
    tmp_root = Path(tempfile.mkdtemp(prefix="sparkcodes-bench-"))
    try:
        env, source = source_env(args.ref, tmp_root)
        info["source"] = source
        print(f"measuring: {source}", flush=True)
        for kind in args.dbs:
            for workers in args.worker_counts:
                with contextlib.ExitStack() as stack:
                    configs.append(run_config(kind, workers, args, tmp_root, stack, env))
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
    verdict = target_verdict(configs)
    if verdict:
        print()
        print("\n".join(verdict))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or RESULTS_DIR / f"bind-{stamp}-{'-'.join(args.dbs)}.json"
    payload = {
        "benchmark": "bind_bench", "machine": info, "total_seconds": round(
            time.perf_counter() - started, 1),
        "settings": {"requests": args.requests, "warmup": args.warmup,
                     "concurrency": args.concurrency, "workers": args.worker_counts,
                     "max_seconds": args.max_seconds, "profiled": args.profile,
                     "scenarios": args.scenarios},
        "configs": configs,
    }
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
