"""Refuse NUL characters at the edge: PostgreSQL cannot store them and SQLite would, so the same
request would succeed or fail by backend. Path, query and body are checked before any route."""

from __future__ import annotations

import json

_BODY_MARKERS = (b"\x00", b"\\u0000")
_FORM_MARKER = b"%00"


def _refusal() -> tuple[dict, bytes]:  # type: ignore[type-arg]
    body = json.dumps({"error": {"code": "invalid_characters",
                                 "message": "Text may not contain NUL (\\u0000) characters."}})
    return ({"type": "http.response.start", "status": 422,
             "headers": [(b"content-type", b"application/json")]}, body.encode())


class NulGuardMiddleware:
    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
            await self._refuse(send)
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
        markers = _BODY_MARKERS + ((_FORM_MARKER,) if b"form" in content_type else ())
        if any(marker in body for marker in markers):
            await self._refuse(send)
            return
        sent = False

        async def replay():  # type: ignore[no-untyped-def]
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send) -> None:  # type: ignore[no-untyped-def]
        start, body = _refusal()
        await send(start)
        await send({"type": "http.response.body", "body": body})
