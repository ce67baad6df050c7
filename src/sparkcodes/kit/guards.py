"""Refuse NUL characters at the edge: PostgreSQL cannot store them and SQLite would, so the same
request would succeed or fail by backend. Path, query and body are checked before any route."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sparkcodes.kit.context import current_request_id

# A JSON escape \u0000 is real only after an even number of backslashes ("\\u0000" is text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_FORM_NUL = b"%00"


MESSAGE = "Text may not contain NUL (\\u0000) characters."


def _refusal(path: str, envelope_prefixes: tuple[str, ...]) -> tuple[Message, bytes]:
    if path.startswith(envelope_prefixes):
        # TikTok's envelope, HTTP 200 and parameter error 40002, like every refusal there.
        body = json.dumps({"code": 40002, "message": MESSAGE, "request_id": current_request_id(),
                           "data": {}})
        return ({"type": "http.response.start", "status": 200,
                 "headers": [(b"content-type", b"application/json")]}, body.encode())
    body = json.dumps({"error": {"code": "invalid_characters", "message": MESSAGE}})
    return ({"type": "http.response.start", "status": 422,
             "headers": [(b"content-type", b"application/json")]}, body.encode())


class NulGuardMiddleware:
    """``envelope_prefixes``: paths that answer in TikTok's envelope instead of /v1's errors."""

    def __init__(self, app: ASGIApp, envelope_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.envelope_prefixes = envelope_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
            await self._refuse(send, scope.get("path", ""))
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
            await self._refuse(send, scope.get("path", ""))
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, path: str) -> None:
        start, body = _refusal(path, self.envelope_prefixes)
        await send(start)
        await send({"type": "http.response.body", "body": body})
