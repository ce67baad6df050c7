"""The web app: HTMX pages over the same services as the JSON API.

``install(app)`` mounts the vendored static files, includes every noun's ``views.router`` and
makes errors on page routes render as pages (JSON routes keep their JSON errors untouched).
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from sparkcodes import errors
from sparkcodes.config import Settings
from sparkcodes.web.kit import (
    NOT_PAGES,
    SESSION_COOKIE,
    WEB_DIR,
    LoginRequired,
    login_url,
    secure_headers,
    templates,
)


def page_routers(settings: Settings) -> list[APIRouter]:
    """Every page router, in one place so the tenant-isolation test can find them all."""
    from sparkcodes.ad.views import router as ad_pages
    from sparkcodes.authorization.views import router as authorization_pages
    from sparkcodes.business.views import router as business_pages
    from sparkcodes.calendar_feed.views import router as calendar_pages
    from sparkcodes.code_request.views import router as code_request_pages
    from sparkcodes.connector.views import router as connector_pages
    from sparkcodes.creator.views import router as creator_pages
    from sparkcodes.creator_link.views import router as creator_link_pages
    from sparkcodes.developer_app.views import router as developer_app_pages
    from sparkcodes.fallback.views import router as fallback_pages
    from sparkcodes.notification.views import router as notification_pages
    from sparkcodes.post.views import router as post_pages
    from sparkcodes.renewal.views import router as renewal_pages
    from sparkcodes.report.views import router as report_pages
    from sparkcodes.roster.views import router as roster_pages
    from sparkcodes.spark_post.views import router as spark_post_pages
    from sparkcodes.tracker.views import router as tracker_pages
    from sparkcodes.user.views import router as user_pages
    from sparkcodes.webhook.views import router as webhook_pages

    routers = [user_pages, creator_pages, post_pages, authorization_pages, renewal_pages,
               code_request_pages, business_pages, spark_post_pages, ad_pages, report_pages,
               tracker_pages, calendar_pages, roster_pages, webhook_pages, notification_pages,
               developer_app_pages, connector_pages, fallback_pages, creator_link_pages]
    if settings.sandbox:
        from sparkcodes.sandbox.views import router as sandbox_pages

        routers.append(sandbox_pages)
    return routers


def is_page(request: Request) -> bool:
    if getattr(request.state, "page", False):
        return True
    path = request.url.path
    if path.startswith(NOT_PAGES):
        return False
    return (request.headers.get("hx-request") == "true"
            or "text/html" in request.headers.get("accept", ""))


_TITLES = {400: "That did not work", 401: "Please log in", 403: "Not allowed",
           404: "Not found", 405: "Not allowed", 409: "That did not work", 410: "Gone",
           413: "Too much at once", 422: "Please check the form", 429: "Slow down",
           503: "Try again shortly"}


def error_page(request: Request, status: int, message: str,
               headers: dict[str, str] | None = None) -> Response:
    name = "_error.html" if request.headers.get("hx-request") == "true" else "error.html"
    context: dict[str, Any] = {
        "web": None, "user": None, "csrf_token": "", "sandbox": False, "unread": 0,
        "path": request.url.path, "status": status, "title": _TITLES.get(status, "Error"),
        "message": message, "signed_in": SESSION_COOKIE in request.cookies,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status,
                                          headers=headers)
    return secure_headers(response)


async def _call(handler: Any, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    if inspect.isawaitable(result):
        result = await result
    return result


def install(app: FastAPI) -> None:
    """Mount /static, include the page routers, and render page errors as pages."""
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    for router in page_routers(app.state.settings):
        app.include_router(router, include_in_schema=False)

    json_app_error = app.exception_handlers[errors.AppError]
    json_invalid = app.exception_handlers[RequestValidationError]
    json_http = app.exception_handlers[StarletteHTTPException]

    # The decorator form: add_exception_handler is typed for handlers of any Exception, and each
    # of these takes only its own kind.
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        url = login_url(exc.next_url)
        if request.headers.get("hx-request") == "true":
            return secure_headers(Response(status_code=200, headers={"HX-Redirect": url}))
        return secure_headers(RedirectResponse(url, status_code=303))

    @app.exception_handler(errors.AppError)
    async def app_error(request: Request, exc: errors.AppError) -> Response:
        if is_page(request):
            return error_page(request, exc.status, exc.message, exc.headers)
        return await _call(json_app_error, request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_page(request):
            return error_page(request, 422, "Part of the form is missing or not in the expected "
                                            "shape; go back and check it.")
        return await _call(json_invalid, request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_page(request) and exc.status_code in (404, 405):
            return error_page(request, exc.status_code,
                              "There is no page at this address." if exc.status_code == 404
                              else "This address does not take that kind of request.")
        return await _call(json_http, request, exc)


__all__ = ["error_page", "install", "is_page", "page_routers"]
