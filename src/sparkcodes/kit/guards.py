"""Refuse NUL characters at the edge: PostgreSQL cannot store them and SQLite would, so the same
request would succeed or fail by backend. Path, query and body are checked before any route."""

from __future__ import annotations

import json
import re

# A JSON escape \u0000 is real only after an even number of backslashes ("\\u0000" is text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_FORM_NUL = b"%00"


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
        if (b"\x00" in body or _JSON_NUL.search(body)
                or (b"form" in content_type and _FORM_NUL in body)):
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
