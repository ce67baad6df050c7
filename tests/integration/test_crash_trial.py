"""The crash trial: the API process and the workers are killed with SIGKILL at random points
while codes are bound (three ad accounts racing for each), extended, reminded about and
announced by webhook, and restarted each time. Afterwards, with the clock moved past every
code's end and the workers left to finish, the promises still hold:

- one binding per code, and it is the one the API answered;
- one reminder per code, window end and offset: one webhook message and one notification each,
  and every due reminder sent (the expiry alert of every bound code included), never dropped;
- every webhook message delivered, each POST verified by a real receiver with the
  ``standardwebhooks`` library;
- every extension the API confirmed applied once, with one audit row and one webhook each;
- no job lost: nothing due left undone, nothing given up on;
- the audit chain intact (`sparkcodes audit verify` exits 0).

Real processes (`sparkcodes serve`, two `sparkcodes worker`, forked from a warmed-up launcher so
that fifty restarts fit in a few minutes of a loaded machine), real HTTP, a database of their
own, the sandbox clock moved over HTTP, a webhook receiver in this process.
``SPARKCODES_CRASH_KILLS`` sets the number of kills (default 12 on SQLite, 50 on PostgreSQL),
``SPARKCODES_CRASH_SEED`` the random seed (printed on failure).
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tests import factories as f
from tests.integration import _processes as processes
from tests.integration._processes import PG_ENV
from tests.webhook.test_webhooks import Receiver

DEFAULT_KILLS = {"postgresql": 50, "sqlite": 12}
RACERS = 3  # ad accounts binding each code at once
# Rounds run at once, so that freshly started API processes meet simultaneous first binds. They
# used to answer them with 500 (NoSuchColumnError for the original-post alias of
# authorization.repository.with_post_by_code_hash): threads raced to build the module-level
# alias's columns, fixed by kit.sql.shared_alias (tests/kit/test_shared_alias.py).
DRIVERS = 3
SENT_UNANSWERED = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError,
                   httpx.ReadTimeout)
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)


def _kills(backend: str) -> int:
    return int(os.environ.get("SPARKCODES_CRASH_KILLS", DEFAULT_KILLS[backend]))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database for the trial's processes."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
        return
    if PG_ENV not in os.environ:
        pytest.skip(f"needs PostgreSQL: set {PG_ENV} (.ci/run sets it)")
    with processes.pg_database("sparkcodes_crash") as url:
        yield url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


@dataclass
class Process:
    forked: processes.Forked
    url: str = ""  # an API process's base URL

    @property
    def log(self) -> Path:
        return self.forked.log


class Deployment:
    """One API process and two workers, each killed with SIGKILL and replaced.

    Processes are forked from a warmed-up launcher (tests/integration/_processes.py), so a
    restart costs a fraction of a second rather than the seconds of CPU a cold start takes. The
    next API process is started before the active one is killed, and takes over once it answers;
    a worker is killed only once it runs (it said so), its successor started at once. The driver
    follows ``url``.
    """

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.logs = logs
        self.launcher = processes.Launcher(env, logs / "launcher.log")
        self.spawned = 0
        self.api: Process | None = None
        self.standby: Process | None = None
        self.workers: list[Process] = []
        self.kills: list[str] = []

    @property
    def url(self) -> str:
        assert self.api is not None
        return self.api.url

    def _log(self, name: str) -> Path:
        self.spawned += 1
        return self.logs / f"{self.spawned:03d}-{name}.log"

    def _spawn_api(self) -> Process:
        url, forked = self.launcher.serve(self._log("api"))
        return Process(forked, url)

    def _spawn_worker(self) -> Process:
        return Process(self.launcher.worker(self._log("worker")))

    def start(self) -> None:
        self.api = self._spawn_api()
        deadline = time.monotonic() + 120
        while not processes.healthy(self.api.url):
            assert self.api.forked.alive(), f"the API did not start: see {self.api.log}"
            assert time.monotonic() < deadline, f"the API did not answer: see {self.api.log}"
            time.sleep(0.1)
        self.standby = self._spawn_api()
        self.workers = [self._spawn_worker() for _ in range(2)]

    @staticmethod
    def _worker_runs(w: Process) -> bool:
        return w.log.exists() and b"running; Ctrl-C to stop" in w.log.read_bytes()

    def ready(self) -> list[str]:
        """The processes that may be killed now: the API once its successor answers, each worker
        once it runs."""
        for p in self.running():
            assert p.forked.alive(), f"a process exited by itself: see {p.log}"
        targets = [f"worker{i}" for i, w in enumerate(self.workers) if self._worker_runs(w)]
        if self.standby is not None and processes.healthy(self.standby.url):
            targets.append("api")
        return targets

    def kill(self, target: str, at: float) -> None:
        """SIGKILL one process (``api``, ``worker0``, ``worker1``) and put its successor in."""
        if target == "api":
            victim, self.api, self.standby = self.api, self.standby, self._spawn_api()
        else:
            i = int(target[-1])
            victim, self.workers[i] = self.workers[i], self._spawn_worker()
        assert victim is not None
        victim.forked.signal(signal.SIGKILL)
        self.kills.append(f"{at:7.2f}s {target} ({victim.log.name})")

    def running(self) -> list[Process]:
        return [p for p in [self.api, self.standby, *self.workers] if p is not None]

    def settled(self) -> None:
        """Wait until the workers run (after the last kills)."""
        deadline = time.monotonic() + 180
        while not all(self._worker_runs(w) for w in self.workers):
            assert time.monotonic() < deadline, f"the workers did not start: see {self.logs}"
            time.sleep(0.2)

    def stop(self) -> None:
        for p in self.running():
            p.forked.signal(signal.SIGTERM)
        self.launcher.close()


def send(url: Callable[[], str], method: str, path: str, *, headers: dict[str, str] | None = None,
         json: Any = None, retry_unanswered: bool) -> httpx.Response | None:
    """One request, sent again while the API process is down. A request that went out and got no
    answer (the process died under it) is sent again only if ``retry_unanswered`` (an
    idempotent one); otherwise None: it may or may not have taken effect."""
    deadline = time.monotonic() + 120
    while True:
        try:
            with httpx.Client(base_url=url(), timeout=60) as http:
                return http.request(method, path, headers=headers, json=json)
        except NOT_SENT:
            pass
        except SENT_UNANSWERED:
            if not retry_unanswered:
                return None
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {path}: the API did not come back within 120 s")
        time.sleep(0.1)


@dataclass
class Ledger:
    """What the API answered during the trial, to hold the database to afterwards."""

    codes: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> creation answer
    winners: dict[str, set[str]] = field(default_factory=dict)  # code id -> accounts told ok
    refusals: Counter[str] = field(default_factory=Counter)
    extended: Counter[str] = field(default_factory=Counter)  # code id -> confirmed extensions
    unanswered_extensions: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    rounds: int = 0  # started
    done: int = 0  # finished
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_round(self) -> int:
        with self.lock:
            self.rounds += 1
            return self.rounds


@dataclass
class Cast:
    creator_h: dict[str, str]
    creator_id: str
    brand_h: dict[str, str]
    accounts: list[str]  # ad account ids, two businesses
    endpoints: dict[str, str]  # business id -> endpoint id


def _ok(response: httpx.Response | None, status: int, ledger: Ledger) -> dict[str, Any] | None:
    if response is None:
        return None
    if response.status_code >= 500:
        ledger.server_errors.append(f"{response.request.method} {response.request.url.path}: "
                                    f"{response.status_code} {response.text[:300]}")
        return None
    assert response.status_code == status, (response.request.url.path, response.status_code,
                                            response.text)
    return response.json()  # type: ignore[no-any-return]


def _setup(url: str, receiver: Receiver) -> Cast:
    with httpx.Client(base_url=url, timeout=60) as http:
        creator_h = f.user(http)
        creator = f.creator(http, creator_h)
        brand_h = f.user(http)
        accounts, endpoints = [], {}
        for name in ("Acme", "Globex"):
            business = f.business(http, brand_h, name=name)
            path = f"/{business['id']}"
            r = http.post(f"/v1/businesses/{business['id']}/webhook-endpoints", headers=brand_h,
                          json={"url": receiver.url(path)})
            assert r.status_code == 201, r.text
            receiver.secrets[path] = r.json()["secret"]
            endpoints[business["id"]] = r.json()["id"]
            accounts += [f.ad_account(http, brand_h, business["id"])["id"] for _ in range(2)]
    return Cast(creator_h, creator["id"], brand_h, accounts, endpoints)


def _round(url: Callable[[], str], cast: Cast, ledger: Ledger, rng: random.Random,
           pool: ThreadPoolExecutor) -> None:
    """A post and a code; three ad accounts race to bind it; maybe an extension; every third
    round, the clock moves on most of a day (reminders fall due, dead workers' leases lapse)."""
    number = ledger.next_round()
    post = _ok(send(url, "POST", f"/v1/creators/{cast.creator_id}/posts", headers=cast.creator_h,
                    json={"caption": f"Round {number} #ad", "kind": "video",
                          "sound": "original", "visibility": "public"},
                    retry_unanswered=True), 201, ledger)
    if post is None:
        return
    code = _ok(send(url, "POST", f"/v1/posts/{post['id']}/authorizations",
                    headers=cast.creator_h, json={"days": 7}, retry_unanswered=True),
               201, ledger)
    if code is None:
        return
    ledger.codes[code["id"]] = code
    racers = rng.sample(cast.accounts, RACERS)

    def bind(account: str) -> tuple[str, httpx.Response | None]:
        # The same key on every retry: a bind whose answer was lost is answered, not redone.
        return account, send(url, "POST", f"/v1/ad-accounts/{account}/spark-posts",
                             headers={**cast.brand_h, "Idempotency-Key": f"{code['id']}:{account}"},
                             json={"codes": [code["code"]]}, retry_unanswered=True)

    for account, response in pool.map(bind, racers):
        body = _ok(response, 200, ledger)
        if body is None:
            continue
        (result,) = body["results"]
        if result["ok"]:
            ledger.winners.setdefault(code["id"], set()).add(account)
        else:
            ledger.refusals[result["error"]["code"]] += 1
    if code["id"] in ledger.winners and rng.random() < 0.6:
        r = send(url, "POST", f"/v1/authorizations/{code['id']}/extend", headers=cast.creator_h,
                 json={"days": 7}, retry_unanswered=False)
        if r is None:
            ledger.unanswered_extensions[code["id"]] += 1
        elif _ok(r, 200, ledger) is not None:
            ledger.extended[code["id"]] += 1
    if number % 3 == 0:
        send(url, "POST", "/v1/sandbox/clock", headers=cast.brand_h, json={"advance": "PT20H"},
             retry_unanswered=False)


def _sandbox_now(url: Callable[[], str], headers: dict[str, str]) -> datetime:
    r = send(url, "GET", "/v1/sandbox/clock", headers=headers, retry_unanswered=True)
    assert r is not None and r.status_code == 200, r
    return datetime.fromisoformat(r.json()["now"])


def _outstanding(db: Engine, now: datetime) -> dict[str, int]:
    """What the workers still owe: due jobs, undelivered webhooks, unsent reminders."""
    with db.connect() as conn:
        def count(sql: str, **params: Any) -> int:
            return int(conn.execute(text(sql), params).scalar_one())
        return {
            "jobs due": count("SELECT count(*) FROM jobs WHERE finished_at IS NULL "
                              "AND dead_at IS NULL AND run_at <= :now", now=now),
            "webhooks undelivered": count("SELECT count(*) FROM webhook_deliveries "
                                          "WHERE delivered_at IS NULL"),
            "reminders unsent": count("SELECT count(*) FROM reminders WHERE sent_at IS NULL "
                                      "AND skipped_at IS NULL"),
            "bound codes not told of their end": count(
                "SELECT count(*) FROM authorizations a WHERE a.ad_account_id IS NOT NULL "
                "AND a.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM reminders r "
                "WHERE r.authorization_id = a.id AND r.kind = 'expired' "
                "AND r.window_end = a.expires_at AND r.sent_at IS NOT NULL)"),
        }


def _next_job_at(db: Engine) -> datetime | None:
    """When the earliest unfinished job may run: its retry time (a webhook that failed under
    load waits out its backoff, hours after a few attempts), or the end of the lease a killed
    worker left on it."""
    with db.connect() as conn:
        at = conn.execute(text(
            "SELECT min(CASE WHEN locked_until IS NOT NULL AND locked_until > run_at "
            "THEN locked_until ELSE run_at END) FROM jobs "
            "WHERE finished_at IS NULL AND dead_at IS NULL")).scalar_one()
    if isinstance(at, str):  # SQLite
        at = datetime.fromisoformat(at)
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at


def _settle(url: Callable[[], str], headers: dict[str, str], db: Engine, deployment: Deployment,
            seconds: float = 240) -> dict[str, int]:
    """Let the workers finish: move the clock past every code's end, then, whenever they stall,
    to the moment the next unfinished job may run (six minutes on when none waits: a killed
    worker's lease lasts five), until nothing is owed."""
    r = send(url, "POST", "/v1/sandbox/clock", headers=headers, json={"advance": "P30D"},
             retry_unanswered=True)
    assert r is not None and r.status_code == 200, r
    deadline = time.monotonic() + seconds
    owed: dict[str, int] = {}
    while time.monotonic() < deadline:
        deployment.ready()  # none has exited by itself
        time.sleep(2)
        owed = _outstanding(db, _sandbox_now(url, headers))
        if not any(owed.values()):
            time.sleep(3)  # the workers ticked again: anything they still queue shows now
            owed = _outstanding(db, _sandbox_now(url, headers))
            if not any(owed.values()):
                return owed
        now = _sandbox_now(url, headers)
        next_at = _next_job_at(db)
        ahead = (math.ceil((next_at - now).total_seconds()) + 1
                 if next_at is not None and next_at > now else 360)
        send(url, "POST", "/v1/sandbox/clock", headers=headers, json={"advance": f"PT{ahead}S"},
             retry_unanswered=True)
    return owed


def _unfinished(db: Engine) -> list[str]:
    """The jobs still owed when the settling budget ran out, with when each may run and why it
    last failed: what tells a budget spent under load (a retry waiting out its backoff) from a
    promise no job holds any more."""
    return [f"{r.name} attempts={r.attempts}/{r.max_attempts} run_at={r.run_at} "
            f"locked_until={r.locked_until} last_error={(r.last_error or '')[:200]!r}"
            for r in _rows(db, "SELECT name, attempts, max_attempts, run_at, locked_until, "
                               "last_error FROM jobs WHERE finished_at IS NULL AND dead_at IS NULL "
                               "ORDER BY run_at LIMIT 20")]


def _undelivered(db: Engine) -> list[str]:
    """Each webhook delivery not delivered, with its attempts and the state of the job that holds
    it (finished, dead or waiting): a delivery given up on (failed_at) is told from one whose job
    ended while it was still owed."""
    return [", ".join(f"{k}={v!r}" for k, v in r._mapping.items())
            for r in _rows(db, "SELECT d.attempts, d.interrupted_attempts, d.last_status, "
                               "d.last_error, d.attempt_started_at, d.failed_at, "
                               "j.attempts AS job_attempts, j.run_at AS job_run_at, "
                               "j.locked_by, j.locked_until, j.finished_at AS job_finished_at, "
                               "j.dead_at AS job_dead_at, j.last_error AS job_last_error "
                               "FROM webhook_deliveries d LEFT JOIN jobs j "
                               "ON j.dedupe_key = 'webhook.deliver:' || d.id "
                               "WHERE d.delivered_at IS NULL LIMIT 20")]


def _rows(db: Engine, sql: str) -> list[Any]:
    with db.connect() as conn:
        return list(conn.execute(text(sql)))


def test_killed_processes_break_no_promise(database: str, receiver: Receiver,
                                           tmp_path: Path) -> None:
    backend = "sqlite" if database.startswith("sqlite") else "postgresql"
    kills = _kills(backend)
    seed = int(os.environ.get("SPARKCODES_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    env = {**os.environ,
           "SPARKCODES_DATABASE_URL": database,
           "SPARKCODES_SECRET_KEY": "crash-trial-secret-" + uuid.uuid4().hex,
           "SPARKCODES_ENV": "test",
           "SPARKCODES_SANDBOX": "1",
           "SPARKCODES_EMBEDDED_WORKER": "false",
           "SPARKCODES_WEBHOOKS__ALLOW_PRIVATE_ADDRESSES": "true",
           "SPARKCODES_WEBHOOKS__TIMEOUT_SECONDS": "5",
           "SPARKCODES_DB_POOL_SIZE": "10"}
    env.pop(PG_ENV, None)
    env.pop("SPARKCODES_REDIS_URL", None)
    processes.upgrade(env)
    deployment = Deployment(env, tmp_path)
    db = create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    why = f"seed {seed}, {kills} kills, logs in {tmp_path}"
    try:
        deployment.start()
        cast = _setup(deployment.url, receiver)
        ledger = Ledger()
        stop = threading.Event()
        failure: list[BaseException] = []

        def drive() -> None:
            with ThreadPoolExecutor(max_workers=RACERS) as pool:
                while not stop.is_set():
                    try:
                        _round(lambda: deployment.url, cast, ledger, rng, pool)
                    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
                        failure.append(exc)
                        return
                    with ledger.lock:
                        ledger.done += 1

        drivers = [threading.Thread(target=drive, name=f"crash-trial-driver-{i}", daemon=True)
                   for i in range(DRIVERS)]
        started = time.monotonic()
        for driver in drivers:
            driver.start()
        kill_rng = random.Random(seed + 1)
        done_at_last_kill = 0
        while len(deployment.kills) < kills and not failure:
            time.sleep(kill_rng.uniform(0.3, 1.5))
            targets = deployment.ready()
            # Each kill lands on work: a round has finished since the last one.
            if targets and ledger.done > done_at_last_kill:
                done_at_last_kill = ledger.done
                deployment.kill(kill_rng.choice(sorted(targets)), time.monotonic() - started)
        stop.set()
        for driver in drivers:
            driver.join(timeout=180)
            assert not driver.is_alive(), f"a driver is stuck ({why})"
        why += f", {ledger.done} rounds, {len(ledger.winners)} codes bound"
        if failure:
            raise failure[0]
        assert len(deployment.kills) == kills, why

        deployment.settled()
        owed = _settle(lambda: deployment.url, cast.brand_h, db, deployment)
        assert not any(owed.values()), (owed, _unfinished(db), _undelivered(db), why)
        _check(db, ledger, cast, receiver, why)
        verify = subprocess.run([str(processes.BIN), "audit", "verify"], env=env,
                                capture_output=True, text=True, timeout=300)
        assert verify.returncode == 0, (verify.stdout, verify.stderr, why)
    finally:
        deployment.stop()
        db.dispose()


def _check(db: Engine, ledger: Ledger, cast: Cast, receiver: Receiver, why: str) -> None:
    assert not ledger.server_errors, (ledger.server_errors, why)
    assert ledger.winners, f"no code was bound in {ledger.rounds} rounds ({why})"

    # One binding per code, and it is the one the API answered.
    held: dict[str, set[str]] = {}
    for authorization_id, account in _rows(db, "SELECT authorization_id, ad_account_id "
                                               "FROM spark_posts "
                                               "WHERE authorization_id IS NOT NULL"):
        held.setdefault(authorization_id, set()).add(account)
    assert all(len(accounts) == 1 for accounts in held.values()), (held, why)
    for code_id, accounts in ledger.winners.items():
        assert len(accounts) == 1, (code_id, accounts, why)
        assert held.get(code_id) == accounts, (code_id, accounts, held.get(code_id), why)
    bound = dict(_rows(db, "SELECT id, ad_account_id FROM authorizations "
                           "WHERE ad_account_id IS NOT NULL"))
    assert {k: {v} for k, v in bound.items()} == held, why
    assert set(ledger.refusals) <= {"code_used_elsewhere"}, (ledger.refusals, why)

    # Extensions: each confirmed one applied, each applied one audited and announced once.
    audited = Counter(target for (target,) in _rows(
        db, "SELECT target_id FROM audit_events WHERE action = 'authorization.extended'"))
    messages = _rows(db, "SELECT id, business_id, event_type, payload FROM webhook_messages")
    announced = Counter(payload["data"]["authorization_id"]
                        for _, _, event_type, payload in _payloads(messages)
                        if event_type == "authorization.extended")
    for code_id in ledger.codes:
        assert (ledger.extended[code_id] <= audited[code_id]
                <= ledger.extended[code_id] + ledger.unanswered_extensions[code_id]), (
            code_id, audited[code_id], ledger.extended[code_id], why)
    assert announced == +Counter({k: v for k, v in audited.items() if k in bound}), why

    # One reminder per code, window end and offset; one message and one notification each.
    reminded = Counter((p["data"]["authorization_id"], p["data"]["kind"],
                        p["data"]["window_end"], business)
                       for _, business, event_type, p in _payloads(messages)
                       if event_type in ("authorization.expiring", "authorization.expired"))
    assert reminded and max(reminded.values()) == 1, (
        [k for k, n in reminded.items() if n > 1], why)
    sent = _rows(db, "SELECT authorization_id, kind FROM reminders WHERE sent_at IS NOT NULL")
    assert len(sent) == len(reminded), (len(sent), len(reminded), why)
    told = Counter((user_id, data["authorization_id"], data["kind"], data["window_end"])
                   for user_id, event_type, data in _json_rows(
                       db, "SELECT user_id, event_type, data FROM notifications")
                   if event_type in ("authorization.expiring", "authorization.expired"))
    assert told and max(told.values()) == 1, ([k for k, n in told.items() if n > 1], why)

    # Every webhook message delivered to its endpoint, every POST's signature valid.
    assert not receiver.rejected, (receiver.rejected[:5], why)
    delivered_ids = {r["id"] for r in receiver.delivered()}
    assert {message_id for message_id, *_ in messages} <= delivered_ids, why
    assert {r["path"] for r in receiver.received} <= {f"/{b}" for b in cast.endpoints}, why

    # No job given up on.
    dead = _rows(db, "SELECT name, attempts, last_error FROM jobs WHERE dead_at IS NOT NULL")
    assert not dead, (dead[:5], why)


def _payloads(rows: list[Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for message_id, business_id, event_type, payload in rows:
        yield (message_id, business_id, event_type,
               json.loads(payload) if isinstance(payload, str) else payload)


def _json_rows(db: Engine, sql: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for user_id, event_type, data in _rows(db, sql):
        yield user_id, event_type, json.loads(data) if isinstance(data, str) else data

