"""The API docs (/docs: Swagger UI, /redoc: Redoc) served from the app itself.

FastAPI's own docs pages load Swagger UI and Redoc from a CDN, so they are blank on a machine
without internet. Here /docs points at the Swagger UI files the ``fastapi-offline`` package ships
(Swagger UI 5, which reads the OpenAPI 3.1 documents FastAPI writes), mounted under
``/docs/assets``: nothing is fetched from outside. /redoc sends the browser to /docs: the
packaged Redoc always loads its "API docs by Redocly" logo from Redocly's CDN.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

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
