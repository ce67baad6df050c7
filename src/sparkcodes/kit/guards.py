"""The edge of every request, before any route, authentication or check reads it.

Bodies are bounded: each request gets a limit (``limit_for(scope)``, by route class) and a body
over it is refused with 413 while it streams in, never held whole: a Content-Length over the
limit is refused before the first byte is read, and a chunked body as soon as the bytes read pass
the limit. The refusal (``too_large``, chosen by the app: /v1's JSON error, TikTok's envelope, a
page) closes the connection, so the rest of the body is never read.

NUL characters are refused: PostgreSQL cannot store them and SQLite would, so the same request
would succeed or fail by backend. Path, query and body are checked; a body larger than
``SCAN_INLINE`` is scanned in a worker thread, so a big one never stalls the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sparkcodes.kit.context import current_request_id

# A JSON escape \u0000 is real only after an even number of backslashes ("\\u0000" is text).
_JSON_NUL = b"\\u0000"
_FORM_NUL = b"%00"
# Bodies up to this size are scanned for NUL in the event loop (microseconds); larger ones in a
# worker thread.
SCAN_INLINE = 64 * 1024

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


def has_json_nul(body: bytes) -> bool:
    """True if ``body`` holds a real JSON escape \\u0000: one whose backslash follows an even run
    of backslashes. Linear, whatever the input: each occurrence is found in C (bytes.find), and
    the run before it is counted back no further than the previous occurrence's "u0000" (which
    holds no backslash), so no byte is looked at twice."""
    start = 0
    at = body.find(_JSON_NUL)
    while at != -1:
        before = body[start:at]
        if (len(before) - len(before.rstrip(b"\\"))) % 2 == 0:
            return True
        start = at + 1
        at = body.find(_JSON_NUL, start)
    return False


def has_nul(body: bytes, content_type: bytes) -> bool:
    return (b"\x00" in body or has_json_nul(body)
            or (b"form" in content_type and _FORM_NUL in body))


def declared_length(scope: Scope) -> int | None:
    """The Content-Length header as a number, or None (absent, or chunked)."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class TooLarge(Exception):
    pass


class RequestGuardMiddleware:
    """Bounded bodies and no NUL, before anything else reads the request.

    ``envelope_prefixes``: paths that answer in TikTok's envelope instead of /v1's errors.
    ``limit_for``: the largest body (bytes) the request's route accepts; None: no limit.
    ``too_large``: the ASGI response refusing a body over ``limit`` (HTTP 413).
    """

    def __init__(self, app: ASGIApp, envelope_prefixes: tuple[str, ...] = (),
                 limit_for: Callable[[Scope], int] | None = None,
                 too_large: Callable[[Scope, int], ASGIApp] | None = None) -> None:
        self.app = app
        self.envelope_prefixes = envelope_prefixes
        self.limit_for = limit_for
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
            await self._refuse(send, scope.get("path", ""))
            return
        limit = self.limit_for(scope) if self.limit_for is not None else None
        declared = declared_length(scope)
        if limit is not None and declared is not None and declared > limit:
            await self._too_large(scope, receive, send, limit)
            return
        try:
            body = await self._read(receive, limit)
        except TooLarge:
            assert limit is not None
            await self._too_large(scope, receive, send, limit)
            return
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
        if len(body) > SCAN_INLINE:
            found = await anyio.to_thread.run_sync(has_nul, body, content_type)
        else:
            found = has_nul(body, content_type)
        if found:
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

    @staticmethod
    async def _read(receive: Receive, limit: int | None) -> bytes:
        """The whole body, or TooLarge as soon as more than ``limit`` bytes arrived."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if limit is not None and size > limit:
                raise TooLarge
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        if self.too_large is None:
            start: Message = {"type": "http.response.start", "status": 413,
                              "headers": [(b"content-type", b"text/plain"),
                                          (b"connection", b"close")]}
            await send(start)
            await send({"type": "http.response.body", "body": b"Request body too large."})
            return
        await self.too_large(scope, limit)(scope, receive, send)

    async def _refuse(self, send: Send, path: str) -> None:
        start, body = _refusal(path, self.envelope_prefixes)
        await send(start)
        await send({"type": "http.response.body", "body": body})
