"""Prometheus metrics, summed across processes.

`sparkcodes serve` may run several processes and workers run on their own, so every process
writes its counts to files in one directory (PROMETHEUS_MULTIPROC_DIR, prometheus-client's
multiprocess mode) and a scrape of any process adds them all up. Without that variable (one
process: tests, embedded use) counts stay in this process's memory.

The metrics are made on first use, not at import: the mode is read from the environment then,
so `sparkcodes serve` and `sparkcodes worker` can point every process at the directory before
anything counts.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DIRECTORY_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# A request no route matched: one label value, so scans of made-up paths add no series.
UNMATCHED = "<unmatched>"
# Request latency buckets (seconds): /health answers in well under a millisecond, a bind of a
# batch in tens of milliseconds, a report in up to a few seconds.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Metrics:
    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        registry: CollectorRegistry | None = None
        if directory:
            # Chosen by prometheus-client when it was imported; the variable may have been set
            # after that (the CLI imports the services before `serve` sets it).
            if not getattr(values.ValueClass, "_multiprocess", False):
                values.ValueClass = values.MultiProcessValue()
        else:
            registry = CollectorRegistry()
        self.registry = registry
        self.requests = Counter(
            "sparkcodes_http_requests", "HTTP requests answered, by route template and status.",
            ["method", "route", "status"], registry=registry)
        self.latency = Histogram(
            "sparkcodes_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by route template.",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=registry)
        self.binds = Counter(
            "sparkcodes_binds",
            "Codes bound to an ad account, and refusals by their error code (outcome=refused).",
            ["outcome", "code"], registry=registry)
        self.jobs = Counter(
            "sparkcodes_jobs_run",
            "Jobs run by a worker, by job name and outcome (finished, retried, failed for good).",
            ["job", "outcome"], registry=registry)
        self.webhooks = Counter(
            "sparkcodes_webhook_deliveries",
            "Webhook delivery attempts by outcome (delivered, failed).",
            ["outcome"], registry=registry)
        self.limited = Counter(
            "sparkcodes_limiter_refusals",
            "Attempts refused by a brute-force limiter, by the limit that tripped.",
            ["limit"], registry=registry)


_lock = threading.Lock()
_current: _Metrics | None = None


def _metrics() -> _Metrics:
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = _Metrics(os.environ.get(DIRECTORY_ENV))
    return _current


def share_across_processes(directory: Path) -> None:
    """Point this process, and every process it starts, at ``directory``; unless the operator
    chose one already (PROMETHEUS_MULTIPROC_DIR). Files of processes no longer running are
    removed: their counts restart from zero, which Prometheus reads as a counter reset."""
    chosen = Path(os.environ.setdefault(DIRECTORY_ENV, str(directory.resolve())))
    chosen.mkdir(parents=True, exist_ok=True)
    for path in chosen.glob("*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- counting ------------------------------------------------------------------------------------

def count_bind(refusal_code: str | None) -> None:
    """One code bound (None) or refused with ``refusal_code``."""
    if refusal_code is None:
        _metrics().binds.labels("bound", "").inc()
    else:
        _metrics().binds.labels("refused", refusal_code).inc()


def count_job(name: str, outcome: str) -> None:
    _metrics().jobs.labels(name, outcome).inc()


def count_webhook_delivery(outcome: str) -> None:
    _metrics().webhooks.labels(outcome).inc()


def count_limiter_refusal(limit: str) -> None:
    _metrics().limited.labels(limit).inc()


# --- exposition ----------------------------------------------------------------------------------

class _Families(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        yield from self.families


def exposition(at_scrape: Iterable[Metric] = ()) -> bytes:
    """Every process's counts in Prometheus' text format, then ``at_scrape``: families the caller
    measured just now (queue depth, read from the database)."""
    m = _metrics()
    if m.registry is None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = m.registry
    now = CollectorRegistry()
    now.register(_Families(at_scrape))
    return generate_latest(registry) + generate_latest(now)


# --- the middleware ------------------------------------------------------------------------------

class RequestMetricsMiddleware:
    """Counts each HTTP request and its duration by method, route template (``/v1/ad-accounts/
    {ad_account_id}``, never the raw path) and status. Outermost, so refusals made by the edge
    (413, NUL) count too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        m = _metrics()
        self.requests = m.requests
        self.latency = m.latency
        # The labelled children, found once per (method, route, status): labels() takes a lock
        # and builds its key on every call. Bounded: routes and methods are the app's own.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            key = (method, template, status)
            children = self._children.get(key)
            if children is None:
                children = self._children[key] = (
                    self.requests.labels(method, template, str(status)),
                    self.latency.labels(method, template))
            children[0].inc()
            children[1].observe(time.perf_counter() - started)
