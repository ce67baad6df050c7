"""The surface's router: every route answers in TikTok's envelope, whatever goes wrong."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError

from sparkcodes import errors
from sparkcodes.compat.tiktok import codes
from sparkcodes.compat.tiktok.envelope import TikTokError, refused
from sparkcodes.deps import ROLLBACK_ONLY

log = logging.getLogger("sparkcodes.tiktok")

PREFIX = "/open_api/v1.3"
TAG = "TikTok Business API v1.3"


class TikTokRoute(APIRoute):
    """Refusals become ``{code, message, request_id, data: {}}`` with HTTP 200 (§1). They are
    caught inside the request's dependency scope, so the request is marked rollback-only: the
    session dependency then undoes whatever was written before the refusal."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except BaseException:
                setattr(request.state, ROLLBACK_ONLY, True)
                raise

        async def answer(request: Request) -> Response:
            # Sandbox mode's faults on demand (faults.py), served before anything else.
            serve_fault = getattr(request.app.state, "tiktok_faults_hook", None)
            if serve_fault is not None and (fault := await serve_fault(request)) is not None:
                return fault
            try:
                return await route(request)
            except TikTokError as exc:
                return refused(exc)
            except errors.AppError as exc:
                return refused(codes.translate(exc))
            except RequestValidationError:
                return refused(TikTokError(codes.PARAM_ERROR, "Invalid parameters."))
            except DataError as exc:
                if "NUL" in str(exc.orig):
                    return refused(TikTokError(codes.PARAM_ERROR,
                                               "Text may not contain NUL characters."))
                log.exception("database refused a value on %s", request.url.path)
                return refused(TikTokError(codes.PARAM_ERROR,
                                           "A value is out of the range the API accepts."))
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return refused(TikTokError(codes.SYSTEM_ERROR,
                                           "System error; it was logged. Retry later."),
                               status=500)

        return answer


class Envelope(BaseModel):
    """Every answer of the surface, success or refusal."""

    code: int = Field(description="0 is success; 4xxxx a refusal (docs/tiktok.md, Errors)")
    message: str = Field(description='"OK", or why it was refused')
    request_id: str
    data: dict[str, Any] = Field(description="The result; {} on a refusal")


def router() -> APIRouter:
    return APIRouter(prefix=PREFIX, tags=[TAG], route_class=TikTokRoute, responses={
        200: {"model": Envelope,
              "description": "TikTok's envelope: refusals also answer HTTP 200, with a non-zero "
                             "code"}})
