"""The API docs work offline: /docs (Swagger UI) references only files the app serves itself,
never a CDN (issue 13, item 4: /docs was blank without internet); /redoc leads there."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Refs(HTMLParser):
    """Every address an HTML page makes the browser load: src, href, Redoc's spec-url."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.refs.append(value)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def _refs(html: str) -> list[str]:
    parser = _Refs()
    parser.feed(html)
    inline = "\n".join(parser.scripts)
    # Swagger UI's inline set-up names the OpenAPI document as url: '...'.
    parser.refs += re.findall(r"""\burl:\s*['"]([^'"]+)['"]""", inline)
    return parser.refs


def test_docs_page_loads_only_what_the_app_serves(client) -> None:  # type: ignore[no-untyped-def]
    path = "/docs"
    kinds = {"/docs/assets/swagger-ui-bundle.js": "javascript",
             "/docs/assets/swagger-ui.css": "text/css", "/openapi.json": "json",
             "/static/favicon.svg": "svg"}
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "http://" not in r.text and "https://" not in r.text and "//cdn" not in r.text
    refs = _refs(r.text)
    assert set(kinds) <= set(refs), refs
    for ref in refs:
        assert ref.startswith("/") and not ref.startswith("//"), (path, ref)
        served = client.get(ref)
        assert served.status_code == 200, (path, ref, served.status_code)
        assert len(served.content) > 100, (path, ref)
        if ref in kinds:
            assert kinds[ref] in served.headers["content-type"], (ref, served.headers)


def test_swagger_ui_is_a_version_that_reads_openapi_3_1(client) -> None:  # type: ignore[no-untyped-def]
    """FastAPI writes OpenAPI 3.1; Swagger UI before 5 shows "Unable to render this definition"
    for it, so the bundled UI must be 5 or later."""
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in bundle
    # The bundle names the OpenAPI 3.1 dialect it understands.
    assert "https://spec.openapis.org/oas/3.1/dialect/base" in bundle


def test_redoc_leads_to_the_docs_page(client) -> None:  # type: ignore[no-untyped-def]
    """Redoc's bundle always fetches its logo from Redocly's CDN, so /redoc is not a second
    docs page but a way to the first."""
    r = client.get("/redoc", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/docs"


def test_the_oauth2_redirect_page_is_served(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/docs/oauth2-redirect")
    assert r.status_code == 200 and "oauth2" in r.text.lower()
    assert "https://" not in r.text
