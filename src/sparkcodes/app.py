"""create_app(settings): routers, middleware, error handlers."""

from __future__ import annotations

import gc
import logging
import re
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from sparkcodes import __version__, errors
from sparkcodes.config import Settings, get_settings
from sparkcodes.connector.actions import TikTokActions
from sparkcodes.db import Database
from sparkcodes.kit import metrics, text
from sparkcodes.kit.context import RequestIdMiddleware, current_request_id
from sparkcodes.kit.guards import RequestGuardMiddleware
from sparkcodes.kit.logs import install_access_log_redaction, redact_target
from sparkcodes.throttle.service import Limiter
from sparkcodes.web.kit import NOT_PAGES

log = logging.getLogger("sparkcodes")

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 413: "body_too_large",
    415: "unsupported_media_type", 429: "rate_limited",
}


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, str]]]:
    problems: list[dict[str, str]] = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        problems.append({"field": loc or "body", "problem": err.get("msg", "invalid")})
    first = problems[0] if problems else {"field": "body", "problem": "invalid"}
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return "The request body is not valid JSON.", problems
    return f"{first['field']}: {first['problem']}", problems


# --- request body limits (settings.body_limits), enforced by kit/guards.py ----------------------

TIKTOK_PREFIX = "/open_api/"
ENGAGEMENT_EVENTS = "/v1/engagement/events"
# /v1 routes that take a batch: binding up to codes.batch_size codes at once.
_BULK_ROUTES = re.compile(r"/v1/ad-accounts/[^/]+/spark-posts/?")


def body_class(path: str) -> str:
    """Which of settings.body_limits applies to a request for ``path``."""
    if path.startswith(TIKTOK_PREFIX):
        return "tiktok"
    if path.rstrip("/") == ENGAGEMENT_EVENTS:
        return "engagement"
    if _BULK_ROUTES.fullmatch(path):
        return "bulk"
    if path.startswith(NOT_PAGES):
        return "api"
    return "pages"


def body_limit_for(settings: Settings) -> Callable[[Scope], int]:
    limits = settings.body_limits

    def limit_for(scope: Scope) -> int:
        return int(getattr(limits, body_class(scope.get("path", ""))))

    return limit_for


def _size(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit:,} bytes"


def body_too_large(scope: Scope, limit: int) -> Response:
    """The 413 for a body over ``limit``: TikTok's envelope on its surface (40002, the parameter
    error, as docs/tiktok.md says), a page for forms, /v1's JSON error elsewhere. The connection
    closes after it, so the rest of the body is never read."""
    path = scope.get("path", "")
    message = (f"The request body is larger than the {_size(limit)} this route accepts; "
               "send less at once.")
    response: Response
    if path.startswith(TIKTOK_PREFIX):
        response = JSONResponse({"code": 40002, "message": message,
                                 "request_id": current_request_id(), "data": {}},
                                status_code=413)
    elif body_class(path) == "pages":
        from sparkcodes.web import error_page

        response = error_page(Request(scope), 413, message)
    else:
        response = _error(413, "body_too_large", message, {"limit_bytes": limit})
    response.headers["connection"] = "close"
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.AppError)
    async def _app_error(request: Request, exc: errors.AppError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, problems = _validation_message(exc)
        # A name or URL holding a line break gets its own code, like a NUL anywhere does.
        control = [e for e in exc.errors() if e.get("type") == text.CONTROL_ERROR]
        if control:
            field = ".".join(str(p) for p in control[0].get("loc", ()) if p != "body")
            return _error(422, text.INVALID_CHARACTERS, f"{field}: {control[0]['msg']}.",
                          {"problems": problems})
        return _error(422, "validation_error", message, {"problems": problems})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 404 and message == "Not Found":
            message = "No such route."
        return _error(exc.status_code, code, message)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # PostgreSQL refuses NUL in text; SQLite stores it. Refuse it the same way on both.
        if "NUL" in str(exc.orig):
            return _error(422, "invalid_characters",
                          "Text may not contain NUL (\\u0000) characters.")
        log.exception("database refused a value on %s %s", request.method,
                      redact_target(request.url.path))
        return _error(422, "invalid_value", "A value is out of the range the database accepts.")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method,
                      redact_target(request.url.path))
        return _error(500, "internal_error", "Something went wrong on our side; it was logged.")


def _metrics_token(settings: Settings, authorization: str | None) -> None:
    """In production /metrics needs settings.metrics.token (elsewhere only when one is set)."""
    expected = settings.metrics.token
    if not expected:
        return
    how = "send 'Authorization: Bearer <token>' with the value of SPARKCODES_METRICS__TOKEN."
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise errors.Unauthorized("/metrics needs the metrics token: " + how,
                                  code="metrics_token_required")
    if not secrets.compare_digest(given.strip().encode(), expected.encode()):
        raise errors.Unauthorized("That is not the metrics token: " + how,
                                  code="metrics_token_invalid")


def install_metrics(app: FastAPI, settings: Settings) -> None:
    """GET /metrics: every process's counters (kit/metrics.py), the job queue and the reminders
    given up, as they are now."""
    from prometheus_client.core import GaugeMetricFamily

    from sparkcodes.kit.clock import utc_now
    from sparkcodes.reminder import service as reminder_service
    from sparkcodes.worker import service as worker_service

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        _metrics_token(settings, request.headers.get("authorization"))
        with app.state.db.unit_of_work(write=False) as session:
            lines = worker_service.queue(session, now=utc_now())
            reminders_failed = reminder_service.count_failed(session)
        queued = GaugeMetricFamily("sparkcodes_jobs_queued",
                                   "Jobs not finished and not given up, by job name.",
                                   labels=["job"])
        due = GaugeMetricFamily("sparkcodes_jobs_due", "Jobs due now (run_at passed), by job name.",
                                labels=["job"])
        oldest = GaugeMetricFamily("sparkcodes_jobs_oldest_due_seconds",
                                   "How long the oldest due job has been waiting, by job name.",
                                   labels=["job"])
        for line in lines:
            queued.add_metric([line.name], line.queued)
            due.add_metric([line.name], line.due)
            oldest.add_metric([line.name], line.oldest_due_seconds)
        oldest_all = GaugeMetricFamily(
            "sparkcodes_jobs_oldest_due_seconds_max",
            "How long the oldest due job of any name has been waiting (0: none is due).",
            value=max((line.oldest_due_seconds for line in lines), default=0.0))
        failed = GaugeMetricFamily(
            "sparkcodes_reminders_failed",
            "Reminders recorded but never told: their tell job was given up "
            "(`sparkcodes reminders failed` lists them).", value=reminders_failed)
        body = metrics.exposition([queued, due, oldest, oldest_all, failed])
        return Response(body, media_type=metrics.CONTENT_TYPE)


class App(FastAPI):
    """The app, whose OpenAPI document also lists what each /v1 route answers when it refuses."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            from sparkcodes.web.apidocs import document_errors

            schema = super().openapi()
            document_errors(self, schema)
            self.openapi_schema = schema
        return self.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if settings.embedded_worker:
            from sparkcodes.worker.runner import start_in_thread

            worker = start_in_thread(app.state.db, settings)
        # What startup built (modules, routes, the ORM's mappers) lives as long as the server:
        # frozen, the collector's full passes no longer walk it. They did every few dozen
        # requests, and that one request then took 200 ms more (a tracker page at 1,000,000
        # Spark posts: p50 20 ms, the slowest of 60 225 ms; frozen, the slowest 48 ms).
        if settings.freeze_heap:
            gc.freeze()
        yield
        if settings.freeze_heap:
            gc.unfreeze()
        if worker is not None:
            thread, stop = worker
            stop.set()
            thread.join(timeout=10)
        app.state.db.dispose()

    app = App(
        lifespan=lifespan,
        title="sparkcodes",
        docs_url=None,  # web.apidocs serves /docs and /redoc without a CDN
        redoc_url=None,
        version=__version__,
        description="Spark Ads authorization codes end to end: creators issue codes, brands bind "
        "them and run Spark Ads, and nobody is surprised by an expiry.",
    )
    app.state.settings = settings
    install_access_log_redaction()
    app.state.db = Database(settings)
    app.state.limiter = Limiter(settings)
    # The writes on mirrored ad accounts, made on TikTok (ports.AdActions): one for the app.
    app.state.ad_actions = TikTokActions(app.state.db)
    app.add_middleware(RequestGuardMiddleware, envelope_prefixes=(TIKTOK_PREFIX,),
                       limit_for=body_limit_for(settings), too_large=body_too_large)
    app.add_middleware(RequestIdMiddleware)
    if settings.metrics_served:
        app.add_middleware(metrics.RequestMetricsMiddleware)  # outermost: edge refusals count
    install_error_handlers(app)

    # First of all routes, so a liveness probe is not matched against every route after it, and
    # async, so it does not wait for a thread of the pool.
    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, str]:
        """Liveness: answers without touching the database."""
        return {"status": "ok"}

    if settings.metrics_served:
        install_metrics(app, settings)

    from sparkcodes.ad.endpoints import router as ad_router
    from sparkcodes.ad_account.endpoints import router as ad_account_router
    from sparkcodes.authorization.endpoints import router as authorization_router
    from sparkcodes.business.endpoints import router as business_router
    from sparkcodes.calendar_feed.endpoints import router as calendar_feed_router
    from sparkcodes.code_request.endpoints import router as code_request_router
    from sparkcodes.connector.endpoints import router as connector_router
    from sparkcodes.contract.endpoints import router as contract_router
    from sparkcodes.creator.endpoints import router as creator_router
    from sparkcodes.creator_link.endpoints import router as creator_link_router
    from sparkcodes.developer_app.endpoints import router as developer_app_router
    from sparkcodes.engagement.endpoints import router as engagement_router
    from sparkcodes.fallback.endpoints import router as fallback_router
    from sparkcodes.notification.endpoints import router as notification_router
    from sparkcodes.post.endpoints import router as post_router
    from sparkcodes.renewal.endpoints import router as renewal_router
    from sparkcodes.report.endpoints import router as report_router
    from sparkcodes.roster.endpoints import router as roster_router
    from sparkcodes.spark_post.endpoints import router as spark_post_router
    from sparkcodes.tracker.endpoints import router as tracker_router
    from sparkcodes.transparency.endpoints import router as transparency_router
    from sparkcodes.user.endpoints import router as user_router
    from sparkcodes.webhook.endpoints import router as webhook_router

    if settings.tiktok.enabled:
        from sparkcodes.compat.tiktok import install as install_tiktok

        install_tiktok(app, settings)  # /open_api/v1.3, TikTok's Business API; first, so its
        # requests do not try every /v1 route before theirs

    for router in (renewal_router, code_request_router, transparency_router, fallback_router,
                   user_router, creator_router, post_router, authorization_router,
                   business_router, ad_account_router, spark_post_router, ad_router,
                   engagement_router, report_router, notification_router, webhook_router,
                   tracker_router, calendar_feed_router, roster_router, contract_router,
                   developer_app_router, connector_router, creator_link_router):
        app.include_router(router)
    if settings.sandbox:
        from sparkcodes.sandbox.endpoints import router as sandbox_router

        app.include_router(sandbox_router)

    from sparkcodes.web import apidocs
    from sparkcodes.web import install as install_web

    apidocs.install(app)

    install_web(app)  # HTML/HTMX pages and /static; /v1 JSON routes are untouched

    return app
