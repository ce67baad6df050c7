"""TikTok's response envelope: ``{code, message, request_id, data}``, HTTP 200 even for errors."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi.responses import JSONResponse

from sparkcodes.kit.context import current_request_id

OK = 0


class TikTokError(Exception):
    """A refusal in TikTok's words: a numeric code from §7 and a message."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


def request_id() -> str:
    return current_request_id() or uuid.uuid4().hex


def body(code: int, message: str, data: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": request_id(), "data": data}


class EnvelopeResponse(JSONResponse):
    """ASCII-escaped JSON: a refusal that quotes what was sent stays valid even when that held
    a lone surrogate, which UTF-8 cannot encode."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


def ok(data: Any) -> JSONResponse:
    return EnvelopeResponse(body(OK, "OK", data))


def refused(error: TikTokError, status: int = 200) -> JSONResponse:
    """Errors carry ``data: {}``; business errors answer HTTP 200, as TikTok does."""
    return EnvelopeResponse(body(error.code, error.message, {}), status_code=status)
