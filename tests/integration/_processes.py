"""Real sparkcodes processes for the suites that drive a deployment from outside
(test_scale_out.py, test_crash_trial.py): a database of their own, `sparkcodes serve` and
`sparkcodes worker` as subprocesses with their output in log files, and the checks that they
answer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import factories as f

PG_ENV = "SPARKCODES_TEST_POSTGRES_URL"
BIN = Path(sys.executable).parent / "sparkcodes"


def pg_url(name: str | None = None) -> str:
    """The test server's URL with the psycopg driver, on database ``name`` if given."""
    url = os.environ[PG_ENV]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    if name is None:
        return url
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def pg_database(prefix: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one suite's processes (its URL); dropped afterwards, with
    whatever connections killed processes left behind."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def redis_answers(url: str) -> str | None:
    """None when Redis answers PING at ``url``, else why not."""
    try:
        import redis
    except ImportError:  # pragma: no cover - redis comes with the test extra
        return "the redis client is not installed"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        return f"Redis at {url} does not answer ({exc.__class__.__name__})"
    return None


def upgrade(env: dict[str, str]) -> None:
    """Build the schema with the migrations, as an operator would."""
    subprocess.run([str(BIN), "db", "upgrade"], env=env, check=True, capture_output=True,
                   timeout=180)


def healthy(url: str) -> bool:
    """Whether the API at ``url`` answers /health now."""
    try:
        return httpx.get(url + "/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path,
                 seconds: float = 180) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()}")
        if healthy(url):
            return
        time.sleep(0.1)
    # Where it hangs: faulthandler (PYTHONFAULTHANDLER, set by spawn_server) prints every
    # thread's stack.
    process.send_signal(signal.SIGABRT)
    process.wait(timeout=20)
    raise RuntimeError(f"{url} did not answer /health within {seconds:.0f} s:\n{log.read_text()}")


def spawn_server(env: dict[str, str], log: Path,
                 port: int | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    """`sparkcodes serve` on 127.0.0.1 (a free port unless given), not waited for."""
    port = port or f.free_port()
    with log.open("ab") as out:
        p = subprocess.Popen([str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
                             env={**env, "PYTHONFAULTHANDLER": "1"}, stdout=out,
                             stderr=subprocess.STDOUT)
    return f"http://127.0.0.1:{port}", p


def serve(env: dict[str, str], log: Path, port: int | None = None,
          ) -> tuple[str, subprocess.Popen[bytes]]:
    """`sparkcodes serve`, once it answers /health (on a loaded machine, start-up takes a while:
    every route's schemas are built)."""
    url, p = spawn_server(env, log, port)
    wait_healthy(url, p, log)
    return url, p


def worker(env: dict[str, str], log: Path, poll: float = 0.2) -> subprocess.Popen[bytes]:
    """`sparkcodes worker` polling every ``poll`` seconds when idle."""
    with log.open("ab") as out:
        return subprocess.Popen([str(BIN), "worker", "--poll", str(poll)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM, then SIGKILL whatever has not exited 20 s later."""
    for p in processes:
        if p.poll() is None:
            p.terminate()
    for p in processes:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=20)


# The launcher: one Python process that imports sparkcodes whole (every route, page and job
# handler) and then forks a child per `sparkcodes serve` or `sparkcodes worker` it is asked for,
# which runs the command line as the installed script would. A child starts in a fraction of a
# second instead of the seconds of CPU a cold start costs (every route's schemas are built), so a
# trial can kill and restart processes fifty times on a loaded machine. The launcher holds no
# connection, thread or event loop when it forks: each child opens its own.
_LAUNCHER = r"""
import faulthandler, importlib, json, os, pkgutil, signal, sys
import sparkcodes
from sparkcodes.cli import app
for module in pkgutil.walk_packages(sparkcodes.__path__, "sparkcodes."):
    if not module.name.startswith("sparkcodes.migrations"):
        importlib.import_module(module.name)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they die
print("ready", flush=True)
for line in sys.stdin:
    order = json.loads(line)
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        log = os.open(order["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        faulthandler.enable()
        code = 0
        try:
            app(args=order["args"], prog_name="sparkcodes")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    print(pid, flush=True)
"""


class Forked:
    """A process the launcher forked: alive until killed (the launcher reaps it)."""

    def __init__(self, pid: int, log: Path) -> None:
        self.pid = pid
        self.log = log

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def signal(self, sig: int, wait: float = 30) -> None:
        """Send ``sig`` and wait until the process is gone."""
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while self.alive():
            if time.monotonic() > deadline:
                raise RuntimeError(f"process {self.pid} outlived signal {sig}: see {self.log}")
            time.sleep(0.02)


class Launcher:
    """Starts `sparkcodes serve` and `sparkcodes worker` by forking a warmed-up process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._log = log.open("ab")
        self._process = subprocess.Popen([sys.executable, "-c", _LAUNCHER], env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._log)
        assert self._process.stdout is not None and self._process.stdin is not None
        self._out, self._in = self._process.stdout, self._process.stdin
        if self._out.readline().strip() != b"ready":
            raise RuntimeError(f"the launcher did not start: see {log}")

    def start(self, args: list[str], log: Path) -> Forked:
        import json

        self._in.write((json.dumps({"args": args, "log": str(log)}) + "\n").encode())
        self._in.flush()
        return Forked(int(self._out.readline()), log)

    def serve(self, log: Path) -> tuple[str, Forked]:
        """`sparkcodes serve` on a free port of 127.0.0.1, not waited for."""
        port = f.free_port()
        return (f"http://127.0.0.1:{port}",
                self.start(["serve", "--host", "127.0.0.1", "--port", str(port)], log))

    def worker(self, log: Path, poll: float = 0.1) -> Forked:
        return self.start(["worker", "--poll", str(poll)], log)

    def close(self) -> None:
        self._in.close()
        self._process.terminate()
        self._process.wait(timeout=20)
        self._log.close()
