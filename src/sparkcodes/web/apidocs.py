"""The API docs (/docs: Swagger UI, /redoc: Redoc) served from the app itself.

FastAPI's own docs pages load Swagger UI and Redoc from a CDN, so they are blank on a machine
without internet. Here /docs points at the Swagger UI files the ``fastapi-offline`` package ships
(Swagger UI 5, which reads the OpenAPI 3.1 documents FastAPI writes), mounted under
``/docs/assets``: nothing is fetched from outside. /redoc sends the browser to /docs: the
packaged Redoc always loads its "API docs by Redocly" logo from Redocly's CDN.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

ASSETS = "/docs/assets"
# The package's static folder: swagger-ui-bundle.js, swagger-ui.css (and Redoc, unused).
ASSETS_DIR = files("fastapi_offline") / "static"


def install(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Serve the docs pages and their assets; the app must be made with docs_url=None and
    redoc_url=None so FastAPI's CDN pages are not installed too."""
    assert app.docs_url is None and app.redoc_url is None
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect = app.swagger_ui_oauth2_redirect_url or f"{docs_url}/oauth2-redirect"
    app.mount(ASSETS, StaticFiles(directory=str(ASSETS_DIR)), name="docs-assets")

    @app.get(docs_url, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} API",
            oauth2_redirect_url=oauth2_redirect,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            # No badge from the public validator: it would be fetched from the internet.
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(redoc_url, include_in_schema=False)
    def redoc() -> RedirectResponse:
        return RedirectResponse(docs_url, status_code=307)


# --- what the /v1 API answers besides success ----------------------------------------------------

class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine code, e.g. code_expired, not_found.")
    message: str = Field(description="What happened, for a person.")
    details: dict[str, Any] | None = Field(
        None, description="More, by error: the fields at fault (problems), the limit hit, ...")


class ErrorOut(BaseModel):
    """Every refusal of the /v1 API, whatever its status."""

    error: ErrorDetail


_ERRORS = {
    401: "No valid token: send 'Authorization: Bearer <token>' (error.code unauthorized).",
    403: "The token's user may not do this here (their role in the business is too low).",
    404: "Something the request names (in the path or the body) does not exist, or is not "
         "visible to this user.",
    409: "Refused by a rule of the current state (error.code says which, e.g. code_expired, "
         "caption_locked).",
    410: "What the request names has ended or been deleted (error.code says which).",
    413: "The request body is larger than this route accepts (error.details.limit_bytes).",
    422: "The request is malformed: error.details.problems names each field at fault.",
    429: "Too many attempts: error.details names the limit; Retry-After says when to try again.",
    503: "The store the limits are counted in cannot be reached; Retry-After says when to "
         "try again.",
}
WRITES = frozenset({"post", "put", "patch", "delete"})
# Routes whose attempts count against a brute-force limit (code look-ups, log-ins) declare these
# with responses=LIMITED.
LIMITED: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": _ERRORS[status]} for status in (429, 503)}


def _authenticated(dependant: Any) -> bool:
    """Whether the route's dependencies read the bearer token (deps.current_user)."""
    from sparkcodes import deps

    stack = [dependant]
    while stack:
        d = stack.pop()
        if d is None:
            continue
        if getattr(d, "call", None) in (deps.current_user, deps.caller):
            return True
        stack.extend(getattr(d, "dependencies", ()))
    return False


def _routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    """(method, full path) → the route's dependant, included routers flattened."""
    try:
        from fastapi.routing import iter_route_contexts

        routes: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:  # older FastAPI: app.routes is already flat
        routes = list(app.routes)
    found: dict[tuple[str, str], Any] = {}
    for route in routes:
        original = getattr(route, "original_route", route)
        for method in getattr(route, "methods", None) or ():
            found[(method.lower(), route.path)] = getattr(original, "dependant", None)
    return found


def document_errors(app: FastAPI, schema: dict[str, Any], prefix: str = "/v1/") -> None:
    """List in ``schema``, for every operation under ``prefix``, the refusals it can answer and
    their one shape (ErrorOut): 422 for any malformed request, 413 where there is a body, 401
    and 403 where a token is needed, 404 where something is named, 409 and 410 on writes.
    FastAPI's own 422 schema (its ``detail`` list) is not what the app sends."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorDetail, ErrorOut):
        schemas[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}")
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    routes = _routes(app)
    for path, item in schema.get("paths", {}).items():
        if not path.startswith(prefix):
            continue
        for method, operation in item.items():
            statuses = {422}
            if "requestBody" in operation:
                statuses |= {413, 404}
            if _authenticated(routes.get((method, path))):
                statuses |= {401, 403, 404}
            if "{" in path:
                statuses.add(404)
            if method in WRITES:
                statuses |= {409, 410}
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses[str(status)] = {"description": _ERRORS[status], "content": error}
    for unused in ("HTTPValidationError", "ValidationError"):
        if not _referenced(schema, f"#/components/schemas/{unused}"):
            schemas.pop(unused, None)


def _referenced(schema: dict[str, Any], ref: str) -> bool:
    import json

    return f'"{ref}"' in json.dumps(schema.get("paths", {}))
